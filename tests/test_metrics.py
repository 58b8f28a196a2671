"""Per-group and molecular metrics against scikit-learn and small hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from lib import metrics

# 3 molecules x 4 groups, worked by hand
Y_TRUE = np.array(
    [
        [1, 1, 0, 0],  # molecule A: groups 0, 1
        [0, 1, 1, 0],  # molecule B: groups 1, 2
        [0, 0, 0, 0],  # molecule C: no group at all (think CO)
    ]
)
Y_PROB = np.array(
    [
        [0.9, 0.8, 0.1, 0.2],  # A -> predicts {0, 1}: all right, F1 = 1
        [0.7, 0.6, 0.4, 0.0],  # B -> predicts {0, 1}: TP 1 (g1), FP 1 (g0), FN 1 (g2): F1 = 2/(2+1+1) = 0.5
        [0.1, 0.2, 0.3, 0.5],  # C -> predicts nothing (0.5 is not > 0.5): all right
    ]
)


def test_hand_worked_molecular_metrics():
    pred = metrics.binarize(Y_PROB)
    np.testing.assert_array_equal(pred, [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]])
    # perfection: A and C are entirely right, B is not -> 2/3
    assert metrics.molecular_perfection(Y_TRUE, pred) == pytest.approx(2 / 3)
    # molecular F1, R23's way: C has no positive label and is left out -> (1 + 0.5) / 2
    assert metrics.molecular_f1(Y_TRUE, pred) == pytest.approx(0.75)
    np.testing.assert_allclose(metrics.molecular_f1_per_molecule(Y_TRUE, pred), [1.0, 0.5, np.nan])
    # scored instead: C predicted nothing, F1 = 1 -> (1 + 0.5 + 1) / 3
    assert metrics.molecular_f1(Y_TRUE, pred, no_positive="score") == pytest.approx(2.5 / 3)
    # micro-F1 over all 12 labels: TP 3, FP 1, FN 1 -> 6 / 8
    assert metrics.micro_f1(Y_TRUE, pred) == pytest.approx(0.75)
    s = metrics.molecular_metrics(Y_TRUE, Y_PROB)
    assert list(s.index) == ["molecular_perfection", "molecular_f1", "micro_f1"]
    np.testing.assert_allclose(s.to_numpy(), [2 / 3, 0.75, 0.75])


def test_hand_worked_false_alarm_on_empty_molecule():
    pred = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1]])  # C now predicts group 3
    assert metrics.molecular_perfection(Y_TRUE, pred) == pytest.approx(1 / 3)
    assert metrics.molecular_f1(Y_TRUE, pred) == pytest.approx(0.75)  # C still left out
    assert metrics.molecular_f1(Y_TRUE, pred, no_positive="score") == pytest.approx(1.5 / 3)  # C scores 0
    # a molecule with positives but no prediction scores 0 either way
    assert metrics.molecular_f1([[1, 0]], [[0, 0]]) == 0.0
    assert metrics.molecular_f1([[0, 0]], [[0, 0]]) != metrics.molecular_f1([[0, 0]], [[0, 0]])  # NaN: nobody left
    with pytest.raises(ValueError, match="no_positive"):
        metrics.molecular_f1(Y_TRUE, pred, no_positive="drop")


def test_hand_worked_per_group_table():
    table = metrics.per_group_metrics(Y_TRUE, Y_PROB, groups=["a", "b", "c", "d"])
    assert list(table.index) == ["a", "b", "c", "d"] and table.index.name == "group"
    assert list(table.columns) == ["proportion", "support", "f1", "auc", "accuracy", "precision", "recall"]
    # group a: true [1,0,0], pred [1,1,0] -> precision 1/2, recall 1, F1 2/3, accuracy 2/3; AUC: 0.9 beats 0.7, 0.1 -> 1
    np.testing.assert_allclose(table.loc["a", ["proportion", "f1", "auc", "accuracy", "precision", "recall"]],
                               [1 / 3, 2 / 3, 1.0, 2 / 3, 0.5, 1.0])  # fmt: skip
    # group c: true [0,1,0], pred [0,0,0] -> precision 0/0 := 0, recall 0, F1 0, accuracy 2/3;
    # AUC: the positive's 0.4 beats 0.1 and 0.3 -> 1
    np.testing.assert_allclose(table.loc["c", ["f1", "auc", "accuracy", "precision", "recall"]], [0, 1, 2 / 3, 0, 0])
    # group d never positive: AUC undefined
    assert np.isnan(table.loc["d", "auc"]) and table.loc["d", "support"] == 0
    assert np.isnan(metrics.per_group_metrics(Y_TRUE, Y_PROB, zero_division=np.nan).loc[2, "precision"])


def random_case(seed=0, n=300, m=6):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, m)) < np.linspace(0.05, 0.7, m)).astype(int)
    prob = np.clip(0.35 * y + rng.random((n, m)) * 0.7, 0, 1)
    y[:5] = 0  # a few molecules without any group
    return y, prob


@pytest.mark.parametrize("threshold", [0.5, 0.3, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]])
def test_per_group_against_sklearn(threshold):
    y, prob = random_case()
    table = metrics.per_group_metrics(y, prob, threshold=threshold)
    pred = (prob > np.asarray(threshold)).astype(int)
    for j in range(y.shape[1]):
        t, q = y[:, j], pred[:, j]
        assert table.loc[j, "f1"] == pytest.approx(skm.f1_score(t, q))
        assert table.loc[j, "auc"] == pytest.approx(skm.roc_auc_score(t, prob[:, j]))
        assert table.loc[j, "accuracy"] == pytest.approx(skm.accuracy_score(t, q))
        assert table.loc[j, "precision"] == pytest.approx(skm.precision_score(t, q))
        assert table.loc[j, "recall"] == pytest.approx(skm.recall_score(t, q))
        assert table.loc[j, "proportion"] == pytest.approx(t.mean())


def test_molecular_metrics_against_sklearn():
    y, prob = random_case(seed=1)
    pred = metrics.binarize(prob, 0.5)
    # subset accuracy is molecular perfection
    assert metrics.molecular_perfection(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    keep = y.sum(axis=1) > 0
    assert metrics.molecular_f1(y, pred) == pytest.approx(
        skm.f1_score(y[keep], pred[keep], average="samples", zero_division=0)
    )
    assert metrics.molecular_f1(y, pred, no_positive="score") == pytest.approx(
        skm.f1_score(y, pred, average="samples", zero_division=1)
    )
    assert metrics.micro_f1(y, pred) == pytest.approx(skm.f1_score(y, pred, average="micro"))


def test_best_f1_thresholds_are_the_lowest_cut_with_maximal_f1_for_ge():
    y, prob = random_case(seed=2)
    best = metrics.best_f1_thresholds(y, prob)
    assert best.shape == (y.shape[1],)
    for j in range(y.shape[1]):
        cuts = np.unique(prob[:, j])  # brute force: every cut-off, F1 = 2 TP / (2 TP + FP + FN) with >=
        hits = prob[:, j][None, :] >= cuts[:, None]
        tp = (hits & (y[:, j] == 1)).sum(axis=1)
        f1 = 2 * tp / (hits.sum(axis=1) + y[:, j].sum())
        assert best[j] == cuts[np.flatnonzero(np.isclose(f1, f1.max()))[0]]
    np.testing.assert_array_equal(metrics.best_f1_thresholds(np.zeros((4, 1)), np.full((4, 1), 0.3)), [0.5])


def test_best_thresholds_are_applied_with_a_strict_greater_than():
    # the pipeline (binarize, per_group_metrics, the authors' notebook) predicts y_prob > t, so the spectrum
    # that sits exactly on the chosen cut-off becomes a negative
    y = np.array([[0], [1], [1], [0], [1]])
    prob = np.array([[0.1], [0.4], [0.6], [0.35], [0.8]])
    best = metrics.best_f1_thresholds(y, prob)
    assert best.tolist() == [0.4]  # >= 0.4 catches all three positives and nothing else: F1 1
    np.testing.assert_array_equal(metrics.binarize(prob, best)[:, 0], [0, 0, 1, 0, 1])
    assert metrics.per_group_metrics(y, prob, threshold=best).loc[0, "f1"] == pytest.approx(0.8)  # TP 2, FN 1
    assert metrics.per_group_metrics(y, prob, threshold=best).loc[0, "recall"] == pytest.approx(2 / 3)


def test_mean_std_over_seeds():
    tables, series = [], []
    for seed in range(3):
        y, prob = random_case(seed=seed)
        tables.append(metrics.per_group_metrics(y, prob))
        series.append(metrics.molecular_metrics(y, prob))
    summary = metrics.mean_std(tables)
    stacked = np.stack([t.to_numpy(dtype=float) for t in tables])
    np.testing.assert_allclose(summary.xs("mean", axis=1, level=1).to_numpy(), stacked.mean(axis=0))
    np.testing.assert_allclose(summary.xs("std", axis=1, level=1).to_numpy(), stacked.std(axis=0, ddof=1))
    np.testing.assert_allclose(
        metrics.mean_std(tables, ddof=0)[("f1", "std")], stacked[:, :, list(tables[0].columns).index("f1")].std(0)
    )
    mol = metrics.mean_std(series)
    assert list(mol.columns) == ["mean", "std"]
    vals = pd.concat(series, axis=1).to_numpy()
    np.testing.assert_allclose(mol["mean"], vals.mean(axis=1))
    np.testing.assert_allclose(mol["std"], vals.std(axis=1, ddof=1))
    text = metrics.format_mean_std(summary, digits=2)
    f1_mean, f1_std = summary.loc[0, ("f1", "mean")], summary.loc[0, ("f1", "std")]
    assert text.shape == (6, 7) and text.loc[0, "f1"] == f"{f1_mean:.2f} ± {f1_std:.2f}"
    assert metrics.format_mean_std(mol).loc["molecular_f1", "value"].startswith(f"{vals[1].mean():.3f} ± ")
    with pytest.raises(ValueError, match="differ"):
        metrics.mean_std([tables[0], tables[1].iloc[:3]])


def test_input_checks():
    with pytest.raises(ValueError, match="0 and 1"):
        metrics.per_group_metrics([[2, 0]], [[0.1, 0.2]])
    with pytest.raises(ValueError, match="thresholds"):
        metrics.binarize(Y_PROB, [0.5, 0.5])
    with pytest.raises(ValueError, match="shape"):
        metrics.molecular_perfection(Y_TRUE, Y_TRUE[:, :3])
    for fn in (metrics.molecular_f1, metrics.molecular_perfection, metrics.micro_f1):
        with pytest.raises(ValueError, match="binarize"):
            fn(Y_TRUE, Y_PROB)


def test_interval_distance_of_truncated_values():
    # R23's printed 0.93 means [0.93, 0.94): 0.935 is inside, 0.94 is not, 0.9 is 0.03 below
    d = metrics.interval_distance([0.935, 0.94, 0.9, 0.95], [0.93, 0.93, 0.93, 0.93], [0.94, 0.94, 0.94, 0.94])
    np.testing.assert_allclose(d, [0.0, 0.0, -0.03, 0.01], atol=1e-12)
    assert metrics.interval_distance([0.941], 0.93, 0.94)[0] == pytest.approx(0.001)
    with pytest.raises(ValueError, match="lo < hi"):
        metrics.interval_distance([0.5], 0.6, 0.6)
