"""The chapter's experiments and reporting (lib.synthetic.metric_study) and its figures
(lib.synthetic.metric_figures)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib import reference
from lib import train as tr
from lib.synthetic import generator as synthetic
from lib.synthetic import metric_figures as figures
from lib.synthetic import metric_learning as metric
from lib.synthetic import metric_study as ms
from lib.synthetic.benchmark_runs import Study

pytestmark = pytest.mark.usefixtures("one_thread")


def test_pct_and_settings_tag():
    assert ms.pct(0.9903) == "99.03 %"
    assert ms.pct(0.5, 0) == "50 %"
    assert ms.settings_tag({"a": 1, "b": 2}) == ms.settings_tag({"b": 2, "a": 1})
    assert ms.settings_tag({"a": 1}) != ms.settings_tag({"a": 2})
    assert len(ms.settings_tag({"a": 1})) == 10


def test_hard_classes_and_enrichment_of_a_subset():
    assert ms.hard_classes() == [246, 382, 8, 318, 164, 281, 219, 347]
    labels = [*ms.hard_classes(), *range(400, 472)]  # 80 classes, all 8 hard ones among them
    e = ms.hard_enrichment(labels, 500, ms.hard_classes())
    assert (e["hard_in_subset"], e["n_subset"], e["hard_in_full"], e["n_full"]) == (8, 80, 8, 500)
    assert e["share_subset"] == pytest.approx(0.1) and e["share_full"] == pytest.approx(0.016)
    assert e["factor"] == pytest.approx(6.25)
    text = ms.enrichment_sentence(e, 0, 40)
    assert "8 of its 80 classes (10.0 %)" in text and "8 of 500 (1.6 %)" in text and "6.2-fold" in text
    assert "40 classes, 0 of them hard" in text
    everything = ms.hard_enrichment(range(500), 500, ms.hard_classes())
    assert everything["factor"] == pytest.approx(1.0)
    assert ms.enrichment_sentence(everything, 8, 500).startswith("The run uses all 500 classes")


def test_keep_per_class_relabel_and_split_seen():
    y = np.array([0, 1, 0, 2, 1, 0, 2, 2])
    assert ms.keep_per_class(y, 2).tolist() == [0, 1, 2, 3, 4, 6]
    split = {f"{v}_{p}": (np.arange(8.0)[:, None] if v == "x" else y) for v in "xy" for p in ("train", "val", "test")}
    out = ms.relabel(split, [2, 0])  # class 2 becomes 0, class 0 becomes 1; class 1 is dropped
    assert out["y_train"].tolist() == [1, 1, 0, 1, 0, 0]
    assert out["x_train"][:, 0].tolist() == [0.0, 2.0, 3.0, 5.0, 6.0, 7.0]
    seen, unseen = ms.split_seen(10, 0.8, seed=0)
    assert len(seen) == 8 and len(unseen) == 2 and sorted([*seen, *unseen]) == list(range(10))
    assert ms.split_seen(10, 0.8, seed=0)[1].tolist() == unseen.tolist()
    with pytest.raises(ValueError, match="seen_share"):
        ms.split_seen(3, 0.9)
    assert ms.group_size(np.repeat(np.arange(3), 10), 8, 128) == 8
    assert ms.group_size(np.repeat(np.arange(3), 5), 8, 128) == 4  # the rarest class has 5; 4 divides 128
    assert ms.group_size(np.repeat(np.arange(3), 3), 8, 30) == 3


def test_beam_extensions_and_search_methods():
    assert ms.beam_extensions(500, 4, 16) == 500 + 3 * 16 * 500 == 24_500
    assert ms.beam_extensions(500, 4, 4) == 6_500
    assert ms.beam_extensions(5, 3, 16) == 5 + 5 * 5 + 10 * 5  # C(5, 1) = 5 and C(5, 2) = 10 sets fit the beam
    assert ms.search_methods(40, [2, 3, 4], 16, 25_000_000) == {2: "exact", 3: "exact", 4: "exact"}
    assert ms.search_methods(500, [2, 4], 16, 25_000_000) == {2: "exact", 4: "beam 16"}


def test_distance_stats_and_the_separation_rule():
    pos, neg = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.35, 1.0, 1.2, 1.4])
    d = ms.distance_stats(pos, neg)
    assert d["auc"] == pytest.approx(15 / 16)  # only 0.35 < 0.4 is out of order
    assert d["overlap"] == pytest.approx(0.25) and d["pos_median"] == pytest.approx(0.25)
    assert d["neg_median"] == pytest.approx(1.1) and (d["n_pos"], d["n_neg"]) == (4, 4)
    assert ms.separation_sentence(d).startswith("The two distributions overlap: the AUC is below 0.999")
    apart = ms.distance_stats(pos, neg + 1)
    assert apart["auc"] == 1.0 and apart["overlap"] == 0.0
    assert ms.separation_sentence(apart).startswith("The two distributions barely overlap")


def test_challenge_by_kind_and_sentence():
    y = np.repeat(np.arange(27), 2)
    pred = y.copy()
    pred[:18] = (y[:18] + 1) % 9  # every minor-peak spectrum wrong
    pred[18:27] = 0  # half of the 18 position spectra wrong
    by_kind = ms.challenge_by_kind(y, pred)
    assert list(by_kind.index) == ["minor peak", "peak position", "peak height"]
    assert by_kind.tolist() == [0.0, 0.5, 1.0]
    text = ms.challenge_sentence(by_kind)
    assert text.startswith("In this run the triplets that differ by a minor peak (0.0 %) and a peak position (50.0 %)")
    assert text.endswith("those that differ by a peak height (100.0 %) reach at least 75 %.")
    all_easy = pd.Series({"minor peak": 0.9, "peak position": 0.8, "peak height": 1.0})
    assert ms.challenge_sentence(all_easy).startswith("In this run every kind of triplet reaches at least 75 %")


def check_table(values: dict) -> pd.DataFrame:
    rows = [
        {"encoder": e, "components": k, "sum: mean": s, "closest member: mean": c} for (e, k), (s, c) in values.items()
    ]
    return pd.DataFrame(rows).set_index(["encoder", "components"])


def test_additivity_rule_and_sentence():
    check = check_table({("A", 2): (0.9, 0.8), ("A", 3): (0.9, 0.7), ("B", 2): (0.9, 0.8), ("B", 3): (0.6, 0.7)})
    assert ms.additive(check) == {"A": True, "B": False}
    text = ms.additivity_sentence(check)
    assert text.startswith("For the A the normalised member sum lies closer")
    assert "for the B the closest single member is on average at least as close as the member sum with 3 comp" in text
    assert ms.additivity_sentence(check.loc[["B"]]).startswith("For the B the closest single member")


def test_table1_summary_and_targets():
    acc = pd.DataFrame(
        [{"encoder": e, "components": 2, "method": m, "at least j right": j, "accuracy": a}
         for e, m, j, a in [("X", "exact", 1, 1.0), ("X", "exact", 2, 0.95), ("X", "beam 4", 1, 0.5),
                            ("X", "beam 4", 2, 0.4), ("Y", "exact", 1, 0.99), ("Y", "exact", 2, 0.93)]]
    )  # fmt: skip
    t1 = ms.table1(acc, ["X", "Y"], {2: "exact"})
    assert t1.loc[2, ("2 components", "X")] == 0.95 and t1.loc[2, ("2 components", "V24")] == 0.920
    assert ms.mixture_sentence(t1, 2) == (
        "With 2 components, X: 100.0 % / 95.0 %; Y: 99.0 % / 93.0 % (V24: 99.2 % / 92.0 %) of the mixtures have "
        "at least 1, 2, … members right."
    )
    fractions = pd.DataFrame({"fraction": [1.0, 0.4], "accuracy": [0.9, 0.8], "V24": [0.9903, 0.9895]})
    plain, beyond = t1.xs("X", axis=1, level=1), t1.xs("Y", axis=1, level=1)
    summary = ms.summary_table(0.9, None, fractions, (5, 0.95), 0.5, plain, beyond)
    assert summary.loc["benchmark, 40 %", "ours, V24's method"] == 0.8
    assert summary.loc["unseen classes, 5 refs", "V24"] == reference.V24_UNSEEN_ACCURACY
    assert summary.loc["mixture of 2, ≥ 2 right", "ours, beyond the paper"] == 0.93
    assert math.isnan(summary.loc["benchmark, 100 %", "ours, beyond the paper"])
    targets = ms.targets_table({"plain": 0.9985, "other": 0.99}, (5, 0.95), summary)
    assert targets["met"].tolist() == ["yes", "no", "no"]  # no 3rd or 4th component in this summary
    assert targets.loc[0, "this run"] == "99.85 % (plain), 99.00 % (other)"
    assert ms.unseen_compared_at([1, 5, 20, 50]) == 20 and ms.unseen_compared_at([50, 100]) == 50
    # a beyond-the-paper value for the benchmark only: the mixtures are judged with V24's method
    nan = math.nan
    mixed = pd.DataFrame(
        {"ours, V24's method": [0.99, 0.9], "ours, beyond the paper": [0.995, nan], "V24": [0.9903, 0.788]},
        index=["benchmark, 100 %", "mixture of 3, ≥ 3 right"],
    )
    row = ms.targets_table({"a": 0.99}, (20, 0.99), mixed).iloc[2]
    assert row["this run"] == "3, ≥ 3 right: +0.112" and row["met"] == "yes"
    assert ms.fraction_sentence(fractions) == "With 40 % of the training set 80.00 % (V24 98.95 %)."


def test_agreement_confusion_and_scale_sentences(benchmark_classes):
    search = pd.DataFrame(
        {"encoder": ["E", "E"], "components": [2, 3], "method": ["beam 4"] * 2, "same answer as exact": [1.0, 0.5]}
    )
    assert ms.agreement_sentence(search, "E", 4) == (
        "The beam search returns the exact classifier's answer for 100.0 % (2 components), 50.0 % (3 components) "
        "of the mixtures."
    )
    assert ms.agreement_sentence(search.assign(**{"same answer as exact": np.nan}), "E", 4).startswith("No exact")
    labels = [8, 318, 5]
    pairs = ms.confusion_pairs(benchmark_classes, labels, np.array([0, 0, 1, 2]), np.array([1, 1, 1, 2]))
    assert pairs[["true", "predicted", "test spectra"]].values.tolist() == [[8, 318, 2]]
    assert pairs.loc[0, "cause"] == "overlapping positions"
    assert ms.confusion_sentence(pairs) == "2 wrong test spectra in 1 class pair; causes: overlapping positions (2)."
    none = ms.confusion_pairs(benchmark_classes, labels, np.zeros(2, int), np.zeros(2, int))
    assert ms.confusion_sentence(none) == "The main run classifies every test spectrum correctly."
    reduced = ms.scale_sentence(False, 80, 40, 500, 8, 64)
    assert "reduced run (80 classes, mixtures of 40 classes, 500 input points, at most 8 epochs" in reduced
    assert ms.scale_sentence(True, 500, 500, 5000, 100, 64).startswith("This run uses V24's data settings")


def test_published_facts_come_from_the_reference_module():
    facts = ms.published_facts()
    assert facts["v24_acc"] == "99.03 %" and facts["v24_unseen"] == "99.667 %"
    assert facts["s23_closest"] == metric.ARCHITECTURE and facts["s23_closest_errors"] == "44.2"
    assert facts["v24_acc10"] == "97.64 % ± 0.21 %"


def test_trainer_and_the_studies_on_a_tiny_benchmark(tmp_path):
    classes = synthetic.generate_classes(5, datapoints=1000, boundary=100, seed=5)
    data = Study(labels=tuple(range(5)), downsample=4, n_train=20, n_val=6, rules="plain").dataset(classes)
    config = tr.TrainConfig(lr=2e-3, batch_size=20, max_epochs=3, patience=None)
    trainer = ms.Trainer(config, tmp_path, dim=8, margin=0.3, per_class=4, seed=0, bn_momentum=0.1, ks=(1, 3))
    fr = ms.fraction_study(trainer, data, [1.0, 0.5], refs_per_class=5)
    assert fr.table["train spectra per class"].tolist() == [20, 10]
    assert fr.table["epochs"].tolist() == [3, 6]  # half the data, twice the epochs
    assert fr.table.loc["100 % of the training set", "accuracy"] == fr.main_eval["accuracy"]
    assert fr.main_eval["n"] == len(data["y_test"]) and set(fr.fits) == set(fr.table.index)
    again, _ = trainer.fit("fraction1", data)  # loaded from the folder, not retrained
    assert again.history == fr.main.history
    un = ms.unseen_study(trainer, data, 0.6, [1, 5], refs_per_class=5)
    assert (len(un.seen), len(un.unseen)) == (3, 2)
    assert un.table.index.tolist() == [1, 5] and un.unseen_eval["n"] == 2 * len(data["y_test"]) // 5
    with pytest.raises(ValueError, match="1.0"):
        ms.fraction_study(trainer, data, [0.5], 5)
    pool = np.arange(5)
    mixes = {2: metric.make_mixtures(classes, 2, 12, seed=0, downsample=4, pool=pool)}
    mix = ms.mixture_study({"E": fr.main.model}, (data["x_train"], data["y_train"]), 5, mixes, pool, 4, 100)
    assert set(mix.search["method"]) == {"exact", "beam 4", "greedy"}
    beam_row = mix.search[mix.search["method"] == "beam 4"].iloc[0]
    assert beam_row["same answer as exact"] == 1.0  # 4 of 5 classes stay in the beam; a pair has 2
    assert mix.check.loc[("E", 2), "sum: mean"] <= 1.0 and len(mix.sums["E", 2]["sum"]) == 12


def test_figures_hold_the_results():
    pos, neg = np.array([0.1, 0.2]), np.array([1.0, 1.1, 1.2])
    fig = figures.distance_histogram(pos, neg, 0.2)
    assert [len(t.x) for t in fig.data] == [2, 3]
    by_kind = pd.Series({"minor peak": 0.5, "peak position": 0.75, "peak height": 1.0})
    assert list(figures.challenge_bars(by_kind).data[0].y) == [50.0, 75.0, 100.0]
    table = pd.DataFrame({"accuracy": [0.8, 0.9]}, index=pd.Index([1, 5], name="references per class"))
    assert list(figures.unseen_curve(table, 2).data[0].y) == [80.0, 90.0]
    summary = pd.DataFrame({"a": [0.5], "b": [0.6], "V24": [0.7]}, index=["x"])
    assert [list(t.y) for t in figures.summary_bars(summary).data] == [[50.0], [60.0], [70.0]]
    sums = {("E", 2): {"sum": np.ones(3), "best_member": np.zeros(3), "other": np.zeros(3)}}
    assert len(figures.sum_histograms(sums, ["E"], [2]).data) == 3
    rng = np.random.default_rng(0)
    groups = {
        "test": (rng.normal(size=(12, 4)), np.repeat([0, 1], 6)),
        "validation": (rng.normal(size=(6, 4)), np.repeat([0, 1], 3)),
    }
    fig = figures.tsne_view(groups, [17, 42], seed=0)
    assert len(fig.data) == 4 and fig.data[0].name == "class 17" and sum(len(t.x) for t in fig.data) == 18
