"""Tests of lib.synthetic.review_verdicts: every rule on constructed numbers, at and beside its margins.

Margins in the boundary tests are binary fractions (0.125, 0.25 …), so ``a - b`` equals the
margin exactly and the tests check the comparison operator (``>=``), not rounding.
"""

import math

import pytest

from lib.synthetic import review_verdicts as rv

EPS = 2**-20


def test_verdict_validates_outcome_and_percent_keys():
    with pytest.raises(ValueError, match="outcome"):
        rv.Verdict("c", "r", {"a": 1.0}, 0.1, "maybe", "why")
    with pytest.raises(ValueError, match="missing from numbers"):
        rv.Verdict("c", "r", {"a": 1.0}, 0.1, rv.CONFIRMED, "why", percent=("b",))
    v = rv.Verdict("c", "r", {"a": 0.5, "b": 1.25, "c": math.nan}, 0.1, rv.CONFIRMED, "why", percent=("a",))
    assert v.shown() == "a 50.0 %; b 1.250; c –"


def test_cnn_beats_forest():
    assert rv.cnn_beats_forest(0.875, 0.75, 0.9, margin=0.125).outcome == rv.CONFIRMED  # exactly the margin
    assert rv.cnn_beats_forest(0.875, 0.75 + EPS, 0.9, margin=0.125).outcome == rv.NOT_CONFIRMED
    assert rv.cnn_beats_forest(0.5, 0.75, 0.9).outcome == rv.NOT_CONFIRMED
    v = rv.cnn_beats_forest(0.95, 0.8, 0.5)  # a CNN at chance on validation: the run failed
    assert v.outcome == rv.NOT_TESTED and "50.0 %" in v.reason
    assert rv.cnn_beats_forest(0.95, 0.8, 0.75, competence=0.75).outcome == rv.CONFIRMED  # competence is >=
    assert rv.cnn_beats_forest(0.95, 0.8, 0.75 - EPS, competence=0.75).outcome == rv.NOT_TESTED
    v = rv.cnn_beats_forest(0.9, 0.8, 0.9)
    assert v.numbers == pytest.approx({"CNN3 validation": 0.9, "CNN3 test": 0.9, "forest test": 0.8, "difference": 0.1})
    assert v.margin == rv.CNN_FOREST_MARGIN == 0.05
    assert "10.0 points ahead" in v.reason


def test_pooling_helps_forest():
    ok = rv.pooling_helps_forest(0.5, 0.625, 0.75, 4, margin=0.125, second_margin=0.125)
    assert ok.outcome == rv.CONFIRMED and ok.numbers["one step (window 4)"] == 0.625
    assert rv.pooling_helps_forest(0.5, 0.625 - EPS, 0.75, 4, margin=0.125, second_margin=0.0).outcome == (
        rv.NOT_CONFIRMED
    )
    v = rv.pooling_helps_forest(0.5, 0.625, 0.75 - EPS, 4, margin=0.125, second_margin=0.125)
    assert v.outcome == rv.NOT_CONFIRMED and v.reason.startswith("The second step adds")
    assert rv.pooling_helps_forest(0.8, 0.9, math.nan, 30).outcome == rv.NOT_TESTED
    v = rv.pooling_helps_forest(0.8, 0.8, math.nan, 30)  # the first step already fails
    assert v.outcome == rv.NOT_CONFIRMED and v.reason.startswith("One pooling step adds only 0.0 points")


def test_convolutions_isolate_peak():
    assert rv.convolutions_isolate_peak(0.25, [0.25, 0.5], 0.9, factor=2.0).outcome == rv.CONFIRMED
    assert rv.convolutions_isolate_peak(0.25, [0.25, 0.5 - EPS], 0.9, factor=2.0).outcome == rv.NOT_CONFIRMED
    assert rv.convolutions_isolate_peak(0.25, [0.9], 0.6).outcome == rv.NOT_TESTED
    v = rv.convolutions_isolate_peak(0.1, [0.2, 0.3, 0.4], 0.9)
    assert v.numbers["best block / input"] == pytest.approx(4.0) and "4.0 times" in v.reason
    assert "best block / input" not in v.percent and "block 3" in v.percent


def test_relu_filters_go_blind():
    assert rv.relu_filters_go_blind(0.25, 0.0, minimum=0.25).outcome == rv.CONFIRMED
    assert rv.relu_filters_go_blind(0.25 - EPS, 0.0, minimum=0.25).outcome == rv.NOT_CONFIRMED
    assert rv.relu_filters_go_blind(0.5, 0.01).outcome == rv.NOT_CONFIRMED  # the fix must remove every blind filter


def test_border_hurts_resnet():
    kw = {"margin": 0.125, "shallow_margin": 0.125, "competence": 0.875}
    assert rv.border_hurts_resnet(0.75, 0.875, 0.875, 1.0, **kw).outcome == rv.CONFIRMED
    assert rv.border_hurts_resnet(0.75 + EPS, 0.875, 0.875, 1.0, **kw).outcome == rv.NOT_CONFIRMED
    assert rv.border_hurts_resnet(0.5, 0.875, 0.625 - EPS, 1.0, **kw).outcome == rv.NOT_CONFIRMED
    # ResNet at 65 % far from the border never learned the task: not tested, whatever the border shows
    v = rv.border_hurts_resnet(0.3, 0.65, 0.95, 0.99)
    assert v.outcome == rv.NOT_TESTED and v.reason.startswith("ResNet reaches only 65.0 %")
    v = rv.border_hurts_resnet(0.5, 0.99, 0.6, 0.7)
    assert v.outcome == rv.NOT_TESTED and v.reason.startswith("The shallow CNN")
    assert rv.border_hurts_resnet(0.5, 0.875 - EPS, 0.9, 0.95, **kw).outcome == rv.NOT_TESTED
    v = rv.border_hurts_resnet(0.98, 1.0, 0.95, 1.0)
    assert v.outcome == rv.NOT_CONFIRMED and v.numbers["ResNet drop"] == pytest.approx(0.02)
    assert set(v.numbers) >= {"ResNet < 5 pts", "ResNet ≥ 25 pts"}


def test_batch_norm_hurts():
    kw = {"jumpiness_margin": 0.125, "accuracy_margin": 0.125, "competence": 0.75}
    # jumpier by exactly the margin, equally accurate
    v = rv.batch_norm_hurts(0.5, 0.375, 0.875, 0.875, 0.875, 0.875, **kw)
    assert v.outcome == rv.CONFIRMED and "jumpier by the margin" in v.reason and "less than the margin" in v.reason
    # less accurate by exactly the margin, smoother
    v = rv.batch_norm_hurts(0.25, 0.5, 0.75, 0.875, 0.875, 0.875, **kw)
    assert v.outcome == rv.CONFIRMED and "not jumpier" in v.reason and "at least the margin" in v.reason
    assert rv.batch_norm_hurts(0.5 - EPS, 0.375, 0.75 + EPS, 0.875, 0.875, 0.875, **kw).outcome == rv.NOT_CONFIRMED
    # the default run of the earlier chapter: smoother with BN but at chance -> not tested
    v = rv.batch_norm_hurts(0.295, 0.410, 0.501, 0.92, 0.5, 0.95)
    assert v.outcome == rv.NOT_TESTED and v.reason.startswith("The network with batch norm reaches only 50.0 %")
    assert rv.batch_norm_hurts(0.3, 0.3, 0.9, 0.9, 0.9, 0.75 - EPS, **kw).outcome == rv.NOT_TESTED
    assert v.numbers["accuracy lost"] == pytest.approx(0.419)


def test_table_and_counts():
    verdicts = [
        rv.cnn_beats_forest(0.95, 0.8, 0.95),
        rv.relu_filters_go_blind(0.1, 0.0),
        rv.border_hurts_resnet(0.3, 0.65, 0.95, 0.99),
    ]
    assert rv.count_outcomes(verdicts) == {rv.CONFIRMED: 1, rv.NOT_CONFIRMED: 1, rv.NOT_TESTED: 1}
    table = rv.verdict_table(verdicts)
    assert table["outcome"].tolist() == [rv.CONFIRMED, rv.NOT_CONFIRMED, rv.NOT_TESTED]
    assert (
        table.loc[0, "numbers used"]
        == "CNN3 validation 95.0 %; CNN3 test 95.0 %; forest test 80.0 %; difference 15.0 %"
    )


def test_running_average_note():
    assert rv.running_average_note("ResNet", 0.75, 0.5, margin=0.25).endswith(
        "the running averages alone cost 25.0 points."
    )
    assert rv.running_average_note("ResNet", 0.75, 0.5 + EPS, margin=0.25).endswith("differ by less than 25.0 points.")
    note = rv.running_average_note("CNN2", 0.5, 0.75, margin=0.25)
    assert note.startswith("CNN2 scores 50.0 % on the test spectra") and note.endswith("score 25.0 points higher.")
