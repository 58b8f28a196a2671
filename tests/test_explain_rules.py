"""The rules that turn the explanation study's numbers into findings (constructed inputs, exact values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.ir.explain import rules


def test_join_reads_as_a_list():
    assert rules.join([]) == "none"
    assert rules.join(["a"]) == "a"
    assert rules.join([1, 2, 3]) == "1, 2 and 3"


def test_spread_rule_counts_wide_channels_and_names_dead_ones():
    iqr = pd.Series([100.0, 600.0, 700.0, 800.0])
    f = rules.spread_rule(iqr, width=500.0, dead=[2])
    assert f.holds and f.values == {"wide": 3, "n": 4}
    assert "span 100–800 cm⁻¹; for 3 of 4 channels" in f.sentence
    assert "Channels 2 are dead" in f.sentence
    g = rules.spread_rule(iqr, width=650.0)
    assert not g.holds and g.values["wide"] == 2 and "No channel is dead." in g.sentence


def test_seed_agreement_rule_against_the_reference():
    groups = ["a", "b", "c"]
    agreement = pd.Series([0.5, 0.3, 0.4], index=groups)
    reference = pd.Series([0.1, 0.35, 0.1], index=groups)
    f = rules.seed_agreement_rule(agreement, reference, published=pd.Series([0.6, 0.6, 0.6], index=groups))
    assert f.holds and f.title == "Seeds agree partly."
    assert f.values["mean"] == pytest.approx(0.4) and f.values["reference"] == pytest.approx(0.55 / 3)
    assert f.values["above"] == 2
    assert "correlate at 0.40 on average (R23's own models: 0.60)" in f.sentence
    assert "2 of 3 groups above" in f.sentence and "lowest: b, 0.30" in f.sentence and "far from" in f.sentence
    ab = ["a", "b"]
    close = rules.seed_agreement_rule(pd.Series([0.95, 0.97], index=ab), pd.Series([0.1, 0.1], index=ab))
    assert close.holds and close.title == "Seeds agree well." and "close to identical" in close.sentence
    below = rules.seed_agreement_rule(pd.Series([0.1], index=["a"]), pd.Series([0.2], index=["a"]))
    assert not below.holds and "not above the 0.20" in below.sentence


def _shares(share, chance):
    t = pd.DataFrame({"share": share, "chance": chance}, index=[f"g{i}" for i in range(len(share))])
    t["ratio"] = t["share"] / t["chance"]
    return t


def test_textbook_rule_separates_above_chance_from_mostly():
    t = _shares([0.2, 0.3], [0.1, 0.1])  # ratios 2 and 3
    f = rules.textbook_rule(t, factor=1.0, majority=0.5)
    assert f.holds and not f.values["mostly"]
    assert f.values["share"] == pytest.approx(0.25) and f.values["ratio"] == pytest.approx(2.5)
    assert "On average 25%" in f.sentence and "2.5 × chance; 2 of 2 groups above 1 × chance" in f.sentence
    assert "'more than chance', not in the sense 'mostly'" in f.sentence
    assert rules.textbook_rule(t, factor=2.5).values["above"] == 1  # only the ratio 3 exceeds 2.5
    mostly = rules.textbook_rule(_shares([0.6, 0.8], [0.2, 0.2]))
    assert mostly.holds and mostly.values["mostly"] and "and in the sense 'mostly'" in mostly.sentence
    none = rules.textbook_rule(_shares([0.05, 0.1], [0.1, 0.1]))
    assert not none.holds and none.title == "Group frequencies get no more weight than chance."


def test_band_rule_picks_the_nearer_band():
    near_sim = rules.band_rule(2380.0, 2340.0, 2260.0)
    assert near_sim.holds and "follows where the simulation puts the band" in near_sim.sentence
    near_real = rules.band_rule(2270.0, 2340.0, 2260.0)
    assert not near_real.holds and "peaks at 2270 cm⁻¹" in near_real.sentence


def test_orientation_rule_needs_most_channels_above_one_half():
    f = rules.orientation_rule(pd.Series([0.36, 0.54, 0.8]), 1650.0)
    assert f.holds and f.values["facing"] == 2 and "36%, 54% and 80%" in f.sentence
    assert not rules.orientation_rule(pd.Series([0.5, 0.4, 0.9]), 1650.0).holds  # 0.5 is not above one half


def test_region_rule_compares_published_with_ours():
    level = {"simulated": 0.018, "real": 0.011}
    f = rules.region_rule({"nitro": 0.06, "ketones": 0.08}, 0.09, level, {"nitro": 0.11, "ketones": 0.10})
    assert f.holds and "0.060 and 0.080 of the nitro and ketones weight mass" in f.sentence
    assert "is consistent with R23's explanation" in f.sentence
    g = rules.region_rule({"nitro": 0.2, "ketones": 0.2}, 0.09, level, {"nitro": 0.11, "ketones": 0.10})
    assert not g.holds and "do not weigh the region more than ours" in g.sentence
    alone = rules.region_rule({"nitro": 0.2}, 0.09, level)
    assert not alone.holds and "R23" not in alone.sentence


def test_faithfulness_rule_ranks_and_compares_with_the_input_ranking():
    summary = pd.DataFrame({"difference": [0.8, 0.86, 0.48, -0.01]},
                           index=["act_x_weight", "occlusion", "input", "random"])  # fmt: skip
    f = rules.faithfulness_rule(summary, resolution=64.0)
    assert f.holds and f.values == {"rank": 2, "difference": 0.8}
    assert "ranks 2 of 4" in f.sentence and "occlusion 0.86, input 0.48 and random -0.01" in f.sentence
    assert "a faithful one" in f.sentence and "(64 cm⁻¹)" in f.sentence
    summary.loc["input", "difference"] = 0.9
    g = rules.faithfulness_rule(summary)
    assert not g.holds and g.values["rank"] == 3 and "not better than the input ranking" in g.sentence


def test_pointing_rule_gain_over_the_better_reference():
    idx = ["act_x_weight", "gradcam", "input", "random"]
    own_tr = pd.Series([0.9, 0.3, 0.8, 0.1], index=idx)
    own_un = pd.Series([0.0, 0.5, 0.8, 0.1], index=idx)
    dist_tr = pd.Series([0.6, 0.2, 0.4, 0.0], index=idx)
    dist_un = pd.Series([0.1, 0.5, 0.4, 0.0], index=idx)
    f = rules.pointing_rule(own_tr, own_un, dist_tr, dist_un, min_gain=0.05, trivial_ratio=0.5)
    gain = f.values["gain"]
    assert gain["act_x_weight"] == pytest.approx(0.2)  # 0.6 − max(0.1, input 0.4)
    assert gain["gradcam"] == pytest.approx(-0.3)  # 0.2 − max(0.5, 0.4)
    assert f.holds and f.values["winners"] == ["act_x_weight"] and f.values["trivial"] == ["gradcam"]
    assert "act_x_weight gains more than 0.05" in f.sentence and "at least 50% as often" in f.sentence
    assert "All land less often on distinctive peaks" in f.sentence
    none = rules.pointing_rule(own_tr, own_un, dist_tr.replace(0.6, 0.42), dist_un, min_gain=0.05)
    assert not none.holds and "no method gains more than 0.05" in none.sentence


def test_discussion_is_a_bullet_list_with_titles():
    text = rules.discussion([rules.Finding(True, "One.", title="A."), rules.Finding(False, "Two.")])
    assert text == "- **A.** One.\n- Two."


def test_rules_accept_numpy_scalars():
    f = rules.band_rule(np.float64(1.0), np.float64(2.0), np.float64(5.0))
    assert f.holds is True
