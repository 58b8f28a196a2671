"""Study runs (saved, resumable, loadable), the confused-pair rule on constructed and published pairs,
the comparisons the chapters print, and the pair explorer."""

from __future__ import annotations

import numpy as np
import pytest

from lib import reference
from lib.paths import data_file
from lib.synthetic import benchmark_runs as br
from lib.synthetic import explorers
from lib.synthetic import generator as synthetic


@pytest.fixture(scope="module")
def classes():
    return synthetic.load_classes(data_file("synthetic_benchmark_classes.json"))


@pytest.mark.parametrize("cause", ["overlooked minor peak", "overlapping positions", "overlapping intensities"])
def test_pair_cause_on_s23_examples(classes, cause):
    a, b = reference.S23_HARD_PAIRS[cause]
    expected = {"overlooked minor peak": "minor peak"}.get(cause, cause)
    assert br.pair_cause(classes, a, b)["cause"] == expected
    assert br.pair_cause(classes, b, a)["cause"] == expected


def test_pair_cause_on_challenge_triplets():
    cc = synthetic.load_classes(data_file("synthetic_challenge_classes.json"))
    assert br.pair_cause(cc, 0, 1)["cause"] == "minor peak"
    assert br.pair_cause(cc, 9, 10)["cause"] == "overlapping positions"
    assert br.pair_cause(cc, 18, 19)["cause"] == "overlapping intensities"


def _pair(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> synthetic.ClassSet:
    """Two classes from (position, height) lists, padded as in the class files."""
    width = max(len(a), len(b))
    pos = np.full((2, width), -1, dtype=np.int64)
    hei = np.zeros((2, width))
    for row, peaks in enumerate((a, b)):
        for k, (p, h) in enumerate(peaks):
            pos[row, k], hei[row, k] = p, h
    return synthetic.ClassSet(pos, hei, 5000)


BASE = [(1000, 1.0), (3000, 0.5)]


@pytest.mark.parametrize(
    ("b", "cause", "max_shift", "max_height_diff", "unmatched"),
    [
        # a third peak of 0.08 that the other class lacks: an overlooked minor peak
        (BASE + [(2000, 0.08)], "minor peak", 0, 0.0, [0.08]),
        # the extra peak is exactly as high as a minor peak may be
        (BASE + [(2000, 0.1)], "minor peak", 0, 0.0, [0.1]),
        # an extra peak of 0.11 is no longer minor
        (BASE + [(2000, 0.11)], "other", 0, 0.0, [0.11]),
        # a minor extra peak, but a shared peak differs by 0.3 in height: that separates them
        ([(1000, 1.0), (3000, 0.8), (2000, 0.05)], "other", 0, 0.3, [0.05]),
        # one peak moved by 40 points (< 2 x 50), heights equal: overlapping positions
        ([(1000, 1.0), (3040, 0.5)], "overlapping positions", 40, 0.0, []),
        # moved by exactly 2 x 50 points: still matched
        ([(1000, 1.0), (3100, 0.5)], "overlapping positions", 100, 0.0, []),
        # moved by 101 points: both peaks unmatched and high, no cause
        ([(1000, 1.0), (3101, 0.5)], "other", 0, 0.0, [0.5, 0.5]),
        # heights within h / 2 = 0.025 count as equal
        ([(1000, 1.0), (3010, 0.52)], "overlapping positions", 10, 0.02, []),
        # a height difference of 0.06 (between h / 2 and 2 h): overlapping intensities
        ([(1000, 1.0), (3000, 0.56)], "overlapping intensities", 0, 0.06, []),
        ([(1000, 1.0), (3020, 0.59)], "overlapping intensities", 20, 0.09, []),
        # 0.15 apart in height (> 2 h = 0.1): separable, no cause
        ([(1000, 1.0), (3000, 0.65)], "other", 0, 0.15, []),
        # entirely different classes
        ([(500, 1.0), (4000, 0.7)], "other", 0, 0.0, [1.0, 0.5, 1.0, 0.7]),
    ],
)
def test_pair_cause_on_constructed_pairs(b, cause, max_shift, max_height_diff, unmatched):
    pair = _pair(BASE, b)
    got = br.pair_cause(pair, 0, 1)
    assert got["cause"] == cause
    assert got["max_shift"] == max_shift
    assert got["max_height_diff"] == pytest.approx(max_height_diff, abs=1e-9)
    assert sorted(got["unmatched_heights"]) == pytest.approx(sorted(unmatched))
    assert br.pair_cause(pair, 1, 0)["cause"] == cause  # symmetric


def test_confusable_pairs_finds_exactly_the_constructed_ones():
    peaks = [
        BASE,  # 0
        BASE + [(2000, 0.06)],  # 1: minor peak with 0
        [(1000, 1.0), (3030, 0.5)],  # 2: positions with 0 (and a minor peak with 1)
        [(1000, 1.0), (3000, 0.57)],  # 3: intensities with 0, 2 and 1 (0.07 < 0.1)
        [(2500, 1.0), (4500, 0.3)],  # 4: nothing near anyone
    ]
    width = max(map(len, peaks))
    pos = np.full((5, width), -1, dtype=np.int64)
    hei = np.zeros((5, width))
    for row, pk in enumerate(peaks):
        for k, (p, h) in enumerate(pk):
            pos[row, k], hei[row, k] = p, h
    table = br.confusable_pairs(synthetic.ClassSet(pos, hei, 5000))
    got = {(int(r.a), int(r.b)): r.cause for r in table.itertuples()}
    assert got == {
        (0, 1): "minor peak",
        (0, 2): "overlapping positions",
        (0, 3): "overlapping intensities",
        (1, 2): "minor peak",
        (1, 3): "minor peak",
        (2, 3): "overlapping intensities",
    }


def test_confusable_pairs_of_the_published_classes(classes):
    table = br.confusable_pairs(classes)
    counts = table["cause"].value_counts().to_dict()
    assert counts == {"minor peak": 7, "overlapping intensities": 5, "overlapping positions": 2}
    # the published pairs are among them; S23 name seven minor-peak pairs as well
    pairs = set(zip(table["a"], table["b"], strict=True))
    assert {(246, 382), (8, 318), (164, 281), (219, 347)} <= pairs
    assert counts["minor peak"] == reference.S23_MINOR_PEAK_PAIRS
    enriched = br.pair_enrichment([246, 382, 8, 318, 164, 281, 219, 347], table, 500)
    assert (enriched["confusable_subset"], enriched["pairs_subset"]) == (4, 28)
    assert (enriched["confusable_full"], enriched["pairs_full"]) == (14, 124_750)
    assert enriched["enrichment"] == pytest.approx((4 / 28) / (14 / 124_750))
    assert br.exception_classes(synthetic.BENCHMARK_RULES) == [8, 164, 219, 281, 318, 347]


def test_match_peaks_is_one_to_one():
    assert br.match_peaks(np.array([100, 200]), np.array([110, 400]), 100) == [(0, 0)]
    assert br.match_peaks(np.array([100, 120]), np.array([110]), 100) in ([(0, 0)], [(1, 0)])


def test_subset_keeps_exceptions(classes):
    labels = [300, 8, 318]
    rules = br.subset_rules(synthetic.BENCHMARK_RULES, labels)
    assert rules.shift_exceptions == {1: 17, 2: 17}
    sub = br.subset_classes(classes, labels)
    np.testing.assert_array_equal(sub.peaks(1)[0], classes.peaks(8)[0])


def test_choose_classes_and_downsample():
    chosen = br.choose_classes(500, 10, must=[8, 318, 8])
    assert chosen[:2] == [8, 318] and len(set(chosen)) == 10
    assert br.choose_classes(5, 10) == list(range(5))
    x = np.arange(10, dtype=np.float32)[None]
    np.testing.assert_allclose(br.downsample_mean(x, 5), [[2.0, 7.0]])


def test_run_study_saves_resumes_and_loads(tmp_path, classes):
    study = br.Study(labels=(246, 382, 8), downsample=20, n_train=4, n_val=2)
    models = ["VGG", br.ModelSpec("CNN2-relu", "CNN2", {"dense_activation": "relu"})]
    table = br.run_study(
        tmp_path, study, classes, models, seeds=[0], max_epochs=2, device="cpu", log=None, save_models=["VGG"]
    )
    net = br.load_model(tmp_path, "VGG", 0, 250, 3)
    assert net.output.out_features == 3
    assert list(table["model"]) == ["CNN2-relu", "VGG"]
    assert (tmp_path / "summary.csv").is_file()
    runs = br.load_runs(tmp_path)
    assert len(runs[0]["history"]) == 2 and runs[0]["n_test"] == 27 and runs[0]["input_len"] == 250
    mtime = br.run_path(tmp_path, "VGG", 0).stat().st_mtime
    br.run_study(tmp_path, study, classes, models, seeds=[0], max_epochs=2, device="cpu", log=None)
    assert br.run_path(tmp_path, "VGG", 0).stat().st_mtime == mtime  # skipped, not retrained
    with pytest.raises(ValueError, match="other settings"):
        br.run_study(tmp_path, br.Study(labels=(1, 2)), classes, models, [0], max_epochs=2, log=None)
    table = br.per_model(br.summary(runs), order=["VGG", "CNN2-relu"])
    assert list(table.index) == ["VGG", "CNN2-relu"] and table["runs"].tolist() == [1, 1]
    assert table.loc["VGG", "test_mean"] == len(runs[1]["test_wrong"])
    assert table.loc["VGG", "epochs"] == 2


def test_confusions_and_causes_of_constructed_runs(classes):
    labels = (246, 382, 8, 318)
    y_test = np.repeat(np.arange(4), 9)
    runs = [
        {"model": "A", "seed": 0, "test_wrong": [0, 1, 20], "test_pred": [1, 1, 3]},
        {"model": "B", "seed": 0, "test_wrong": [10], "test_pred": [0]},
        {"model": "A", "seed": 1, "test_wrong": [], "test_pred": []},
    ]
    wrong = br.wrong_predictions(runs, labels, y_test)
    assert wrong[["index", "true", "pred"]].values.tolist() == [
        [0, 246, 382],
        [1, 246, 382],
        [20, 8, 318],
        [10, 382, 246],
    ]
    pairs = br.attribute(br.confusions(runs, labels, y_test), classes)
    assert pairs[["a", "b", "errors", "runs", "models", "cause"]].values.tolist() == [
        [246, 382, 3, 2, "A, B", "minor peak"],
        [8, 318, 1, 1, "A", "overlapping positions"],
    ]
    none = br.confusions(runs[2:], labels, y_test)
    assert none.empty and list(none.columns) == ["a", "b", "errors", "runs", "models"]
    fig = explorers.pair_explorer(classes, pairs, wrong, np.zeros((36, 250)), downsample=20)
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["246 / 382", "8 / 318"]
    assert buttons[0].args[0]["visible"] == [True, True, True, False, False, False]
    assert buttons[1].args[0]["visible"] == [False, False, False, True, True, True]
    assert buttons[1].args[1]["title.text"] == "8 vs 318: overlapping positions, 1 wrong test spectra"
    lo, hi = synthetic.difference_window(classes, 8, 318)
    clean_8 = fig.data[3]
    assert clean_8.x0 == lo and len(clean_8.y) == hi - lo
    np.testing.assert_allclose(clean_8.y, synthetic.normalise(classes.ideal([8]))[0, lo:hi].round(3))
    assert fig.data[5].name == "test spectrum of 8, taken for 318" and fig.data[5].dx == 20
    with pytest.raises(ValueError, match="no row of `wrong`"):
        explorers.pair_explorer(classes, pairs, wrong.iloc[:2], np.zeros((36, 250)), downsample=20)


def test_count_difference_and_rank_agreement():
    assert br.count_difference(10, 40) == "fewer"  # 30 > 2 sqrt(50) = 14.1
    assert br.count_difference(40, 10) == "more"
    assert br.count_difference(10, 16) == "within counting noise"  # 6 < 2 sqrt(26) = 10.2
    assert br.count_difference(0, 0) == "within counting noise"
    got = br.rank_agreement({"CNN2": 30, "VGG": 20, "CNN6": 5}, reference.S23_TEST_ERRORS)
    assert got["models"] == ["CNN2", "VGG", "CNN6"] and got["tau"] == pytest.approx(1.0)
    got = br.rank_agreement({"CNN2": 3, "VGG": 20, "CNN6": 5}, reference.S23_TEST_ERRORS)
    assert got["tau"] == pytest.approx(-1 / 3)
    assert np.isnan(br.rank_agreement({"CNN2": 3, "Lite": 1}, reference.S23_TEST_ERRORS)["tau"])


def test_loss_rise_share_and_study_hours():
    import pandas as pd

    hist = pd.DataFrame(
        {"model": ["A"] * 5 + ["A"] * 3, "seed": [0] * 5 + [1] * 3, "epoch": [1, 2, 3, 4, 5, 1, 2, 3],
         "val_loss": [1.0, 0.8, 0.9, 0.7, 0.75, 1.0, 0.9, 0.8]}
    )  # fmt: skip
    assert br.loss_rise_share(hist)["A"] == pytest.approx((2 / 4 + 0 / 2) / 2)
    assert br.study_hours([36.0, 72.0], n_seeds=5, epochs=100) == pytest.approx(15.0)  # 108 s x 500 epochs


def test_modified_comparison_keeps_only_complete_pairs():
    import pandas as pd

    median = pd.Series({"VGG-noConvDO": 0.6, "CNN2-linear": 0.5, "CNN6-BN": 0.7, "VGG-linear": 0.45})
    table = br.modified_comparison(median, ["VGG-noConvDO", "CNN6-BN"])
    assert table["modified"].tolist() == ["VGG-noConvDO"]  # CNN6-relu was not trained
    assert table["difference"].iloc[0] == pytest.approx(0.15)
    assert br.originals_needed(["VGG-noConvDO", "CNN6-BN"]) == {"VGG-linear": "VGG", "CNN6-relu": "CNN6"}
    with pytest.raises(ValueError, match="modified: unknown"):
        br.originals_needed(["VGG-plain"])
    mean = pd.Series({"CNN2-linear": 0.5, "CNN2-relu": 0.6, "Lite-relu": 0.9})
    assert br.activation_gain(mean, ["CNN2", "Lite"]) == {"CNN2": pytest.approx(0.1)}


def test_boundary_shares():
    grid = np.array([[3, 3, 3], [3, 4, 4], [4, 4, 4], [7, 4, 4]])
    assert br.boundary_shares(grid, 3, 4) == {"pure_rows": 0.5, "share_a": 4 / 12, "share_b": 7 / 12}


def _height_then_position():
    """A stand-in network: class 0 when the first peak (points < 60 of 250) is at most a tenth of the
    spectrum's maximum, else class 1 when it lies left of point 45 (900 of 5,000), else class 2."""
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            window = x.reshape(len(x), -1)[:, :60]
            low = window.max(dim=1).values <= 0.1
            left = window.argmax(dim=1) < 45
            out = torch.zeros(len(x), 3)
            out[low, 0] = 1
            out[~low & left, 1] = 1
            out[~low & ~left, 2] = 1
            return out

    return Net()


def test_decision_map_follows_the_model():
    grid = br.decision_map(
        _height_then_position(), np.array([900, 1500]), np.array([0.1, 1.0]), 0, np.array([850, 1050]),
        np.array([0.05, 0.2]), 5000, 20,
    )  # fmt: skip
    assert grid.tolist() == [[0, 0], [1, 2]]


def test_fresh_variations_differ_per_epoch(classes):
    study = br.Study(labels=(5, 6), downsample=50, n_train=3)
    draw = br.fresh_variations(study, classes)
    x1, y1 = draw(1, np.random.default_rng(1))
    x2, _ = draw(2, np.random.default_rng(2))
    assert x1.shape == (6, 100) and list(y1) == [0, 0, 0, 1, 1, 1]
    assert not np.allclose(x1, x2) and np.isclose(x1.max(), 1.0)
