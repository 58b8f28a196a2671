"""The measured-spectra protocol's statistics: skeleton bootstrap, paired differences, the score log."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lib import metrics
from lib.ir import protocol

RNG = np.random.default_rng(3)
Y = RNG.integers(0, 2, size=(40, 5))
NOISY = np.where(RNG.random(Y.shape) < 0.2, 1 - Y, Y)


def test_fast_statistics_match_lib_metrics():
    assert protocol.micro_f1(Y, NOISY) == pytest.approx(metrics.micro_f1(Y, NOISY))
    assert protocol.exact_match(Y, NOISY) == pytest.approx(metrics.molecular_perfection(Y, NOISY))
    found = protocol.positives_found([1, 3])
    assert found(Y, Y) == 1.0
    assert found(Y, np.zeros_like(Y)) == 0.0
    assert np.isnan(found(np.zeros_like(Y), Y))
    assert protocol.molecular_f1(Y, NOISY) == pytest.approx(metrics.molecular_f1(Y, NOISY))
    per_group = metrics.per_group_metrics(Y, NOISY, [f"g{j}" for j in range(Y.shape[1])])
    for j in range(Y.shape[1]):
        assert protocol.group_f1(j)(Y, NOISY) == pytest.approx(per_group["f1"].iloc[j])


def test_resamples_keep_skeletons_whole():
    skeletons = ["a", "a", "b", "c", "c", "c"]
    for rows in protocol.group_resamples(skeletons, n=50, seed=1):
        drawn = [skeletons[i] for i in rows]
        for key in set(drawn):
            # a drawn skeleton brings all its rows, as many times as it was drawn
            assert drawn.count(key) % skeletons.count(key) == 0
        assert len({skeletons[i] for i in rows}) <= 3


def test_bootstrap_interval_brackets_the_value_and_narrows_with_size():
    keys = [str(i // 2) for i in range(len(Y))]
    out = protocol.bootstrap_by_group(Y, NOISY, keys, protocol.micro_f1, n=2000)
    assert out["lo"] < out["value"] < out["hi"]
    big_y, big_p = np.tile(Y, (10, 1)), np.tile(NOISY, (10, 1))
    big_keys = [f"{k}-{r}" for r in range(10) for k in keys]
    big = protocol.bootstrap_by_group(big_y, big_p, big_keys, protocol.micro_f1, n=2000)
    assert big["hi"] - big["lo"] < out["hi"] - out["lo"]
    # one skeleton holding every row: nothing varies
    one = protocol.bootstrap_by_group(Y, NOISY, ["x"] * len(Y), protocol.micro_f1, n=200)
    assert one["lo"] == one["hi"] == pytest.approx(one["value"])


def test_paired_difference_resolves_a_clear_gap_and_not_noise():
    keys = [str(i) for i in range(len(Y))]
    clear = protocol.paired_difference(Y, Y, 1 - Y, keys, protocol.micro_f1, n=1000)
    assert clear["value"] == pytest.approx(1.0) and clear["resolved"]
    same = protocol.paired_difference(Y, NOISY, NOISY, keys, protocol.micro_f1, n=1000)
    assert same["value"] == 0 and not same["resolved"]
    with pytest.raises(ValueError, match="shapes differ"):
        protocol.paired_difference(Y, NOISY, NOISY[:3], keys, protocol.micro_f1)


def test_measured_report_and_targets():
    groups = ["alkane", "methyl", "ketones", "nitriles", "alcohols"]
    keys = [str(i // 3) for i in range(len(Y))]
    probs = {"perfect": Y.astype(float), "noisy": NOISY * 0.9, "none": np.zeros(Y.shape)}
    report = protocol.measured_report(Y, probs, keys, groups, reference="noisy", n=300)
    perfect = report[report["model"] == "perfect"].set_index("statistic")
    assert perfect.loc["micro_f1", "value"] == 1.0 and perfect.loc["exact_match", "value"] == 1.0
    assert perfect.loc["polar_found", "found"] == perfect.loc["polar_found", "positives"] == Y[:, 2:].sum()
    assert perfect.loc["micro_f1", "diff"] > 0
    assert report[report["model"] == "noisy"]["diff"].isna().all()
    assert protocol.targets_met(report, "perfect") == {"micro_f1": True, "exact_match": True, "polar_found": True}
    assert protocol.targets_met(report, "none") == {"micro_f1": False, "exact_match": False, "polar_found": False}
    with pytest.raises(ValueError, match="reference model"):
        protocol.measured_report(Y, probs, keys, groups, reference="R23")


def test_record_score_refuses_a_second_score_of_one_recipe(tmp_path):
    log = tmp_path / "measured_scores.json"
    protocol.record_score(log, "recipe A", "abc", {"micro_f1": 0.5}, commit="123")
    protocol.record_score(log, "recipe B", "def", {"micro_f1": 0.6})
    with pytest.raises(ValueError, match="already has a measured score"):
        protocol.record_score(log, "recipe A again", "abc", {"micro_f1": 0.9})
    entries = json.loads(log.read_text())
    assert [e["fingerprint"] for e in entries] == ["abc", "def"]


def test_report_table_is_for_people():
    groups = ["alkane", "methyl", "ketones", "nitriles", "alcohols"]
    keys = [str(i // 3) for i in range(len(Y))]
    report = protocol.measured_report(Y, {"R23": NOISY * 0.9, "ours": Y * 1.0}, keys, groups, reference="R23", n=200)
    table = protocol.report_table(report)
    assert list(table.index) == ["R23", "ours"]
    assert table.loc["R23", "micro-F1: difference"] == "reference"
    assert table.loc["ours", "micro-F1"].startswith("1.00 [1.00, 1.00]")
    assert table.loc["ours", "polar groups found"].startswith(f"{Y[:, 2:].sum()} of {Y[:, 2:].sum()}: 1.00")
    assert table.loc["ours", "micro-F1: difference"].startswith("+")
    assert table.loc["ours", "molecular F1"].startswith("1.00 [1.00, 1.00]")


def test_group_report_gives_each_present_group_its_f1_and_ci():
    groups = ["alkane", "methyl", "ketones", "nitriles", "alcohols"]
    keys = [str(i // 3) for i in range(len(Y))]
    report = protocol.group_report(Y, {"ours": NOISY * 1.0, "perfect": Y * 1.0}, keys, groups, n=200)
    present = [g for g, n in zip(groups, Y.sum(axis=0), strict=True) if n]
    assert report[report["model"] == "ours"]["group"].tolist() == present
    perfect = report[report["model"] == "perfect"]
    assert (perfect["value"] == 1.0).all() and (perfect["lo"] == 1.0).all()
    ours = report[report["model"] == "ours"]
    assert (ours["lo"] <= ours["value"]).all() and (ours["value"] <= ours["hi"]).all()
    assert ours["positives"].tolist() == [int(n) for n in Y.sum(axis=0) if n]


def test_r23_parts_finds_skeletons_in_the_index(tmp_path):
    index = tmp_path / "index.csv"
    inchis = {"A": "1S/CH4/h1H4", "B": "1S/C2H6/c1-2/h1-2H3", "C": "1S/C3H8/c1-3-2/h3H2,1-2H3",
              "D": "1S/C2H6O/c1-2-3/h3H,2H2,1H3"}  # fmt: skip
    index.write_text("ID,Inchi\n" + "".join(f'{k},"{v}"\n' for k, v in inchis.items()))
    from rdkit.Chem import inchi

    keys = [inchi.InchiToInchiKey("InChI=" + v) for v in inchis.values()]
    got = protocol.r23_parts([*keys, "XXXXXXXXXXXXXX-UHFFFAOYSA-N"], index)
    assert got[-1] == "absent" and set(got[:-1]) <= {"train", "val", "test"} and len(got) == 5


def test_choose_recipe_follows_the_written_rule():
    c = {
        "plain": {"micro_f1": 0.80, "exact_match": 0.30, "steps": 1},
        "more": {"micro_f1": 0.804, "exact_match": 0.28, "steps": 3},
        "most": {"micro_f1": 0.803, "exact_match": 0.35, "steps": 5},
    }
    assert protocol.choose_recipe(c) == "most"  # all tied on micro-F1; the best exact match wins
    assert protocol.choose_recipe(c, tie=0.0) == "more"
    c["most"]["exact_match"] = 0.30
    c["more"]["exact_match"] = 0.30
    assert protocol.choose_recipe(c) == "plain"  # tied twice: fewer steps
    with pytest.raises(ValueError, match="no candidate"):
        protocol.choose_recipe({})
    exact = {"a": {"micro_f1": 0.5006, "exact_match": 0.1, "steps": 0},
             "b": {"micro_f1": 0.4956, "exact_match": 0.2, "steps": 1}}  # fmt: skip
    assert protocol.choose_recipe(exact) == "b"  # 0.0050 below the best is within the tie, despite float error


def test_measured_like_renders_are_fixed_and_randomised():
    from lib.ir.linesets import LineSet
    from lib.reference import r23_grid

    rng = np.random.default_rng(0)
    nus = [np.sort(rng.uniform(600, 3500, 12)) for _ in range(4)]
    lines = LineSet(nus, [rng.uniform(0.1, 1, 12) for _ in range(4)], np.zeros((4, 17)), list("abcd"), list("abcd"))
    a, b = protocol.measured_like(lines), protocol.measured_like(lines)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4, r23_grid().size) and np.allclose(a.max(axis=1), 1.0)
    assert not np.array_equal(a, protocol.measured_like(lines, seed=1))
    assert protocol.validation_physics().water > 0 and protocol.validation_physics().randomise.jitter > 0


def test_the_committed_score_log_has_one_entry_per_recipe():
    from lib.paths import REPO

    entries = json.loads((REPO / "book/ir/results/measured_scores.json").read_text())
    assert len({e["fingerprint"] for e in entries}) == len(entries) >= 3
    for e in entries:
        assert {"recipe", "fingerprint", "commit", "date", "scores"} <= set(e)
        assert {"micro_f1", "exact_match", "polar_found"} <= set(e["scores"])
        # the early entries say in words what they are; recipe-score's entries carry R23 and both beside them
        assert e["scores"].get("note") or {"R23", "both"} <= set(e["scores"].get("others", {}))


def test_validation_physics_version_2_corrects_typed_lines_and_leaves_untyped_ones_to_version_1():
    from lib.ir.linesets import LineSet

    nu, strength = [np.array([1000.0, 2400.0, 3000.0])], [np.array([1.0, 3.0, 1.0])]
    plain = LineSet(nu, strength, np.zeros((1, 1)), ["a"], ["A"], ["g"])
    typed = LineSet(nu, strength, np.zeros((1, 1)), ["a"], ["A"], ["g"], [["skel", "C#N", "CHal"]],
                    [[5.28, 0.307, 0.307]])  # fmt: skip
    np.testing.assert_array_equal(protocol.measured_like(plain, version=2), protocol.measured_like(plain))
    assert not np.array_equal(protocol.measured_like(typed, version=2), protocol.measured_like(typed))
    physics = protocol.validation_physics_modes()
    assert physics.base == protocol.validation_physics() and physics.contours
    with pytest.raises(ValueError, match="version"):
        protocol.measured_like(plain, version=3)


def test_rank_models_orders_by_exact_match_then_micro_f1():
    y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    exact = y * 0.9  # every row right
    half = np.where(np.array([[1, 0, 1], [0, 1, 1], [1, 0, 0]]), 0.8, 0.1)  # rows 2, 3 wrong: exact 1/3
    tie = np.where(np.array([[1, 0, 1], [0, 1, 0], [1, 0, 0]]), 0.8, 0.1)  # row 3 misses one: exact 2/3
    assert protocol.rank_models(y, {"half": half, "tie": tie, "exact": exact}) == ["exact", "tie", "half"]
    # equal exact match: the higher micro-F1 first
    more = np.where(np.array([[1, 0, 1], [0, 1, 0], [1, 1, 1]]), 0.8, 0.1)  # row 3 one extra: exact 2/3
    fewer = np.where(np.array([[1, 0, 1], [0, 1, 0], [0, 0, 0]]), 0.8, 0.1)  # row 3 misses two: exact 2/3
    assert protocol.rank_models(y, {"fewer": fewer, "more": more}) == ["more", "fewer"]
