"""Multi-label metrics of R23 (Tables 1 and 2): per group and per molecule.

Inputs are ``y_true`` 0/1 labels ``(n_samples, n_groups)`` and either probabilities ``y_prob``
(same shape; needed for ROC-AUC) or binary predictions ``y_pred``. ``threshold`` turns
probabilities into predictions (``y_prob > threshold``, strict as in the authors' notebook); it is
a scalar (default 0.5) or one value per group.

**Thresholds in R23's tables.** The authors' evaluation notebook does not use 0.5: per group it
picks the threshold that maximises F1 on the *training* set's predictions (their
``get_best_thresholds``) and applies it to the test set, for Table 1 and Table 2 alike.
:func:`best_f1_thresholds` reproduces that choice; pass its result as ``threshold``.

**Molecular F1** (Fine et al. 2020, as R23 use it): for each molecule, F1 over its groups
(``2·TP / (2·TP + FP + FN)``), averaged over molecules. A molecule with *no* positive label has
no recall; R23's notebook leaves such molecules out of the average (``no_positive="exclude"``, the
default), so a gas like CO or N₂ neither helps nor hurts. ``no_positive="score"`` keeps them
instead with F1 = 1 when nothing is predicted and 0 otherwise (scikit-learn's
``average="samples", zero_division=1``). A molecule with positives but no positive prediction
scores 0 either way.

**Molecular perfection**: the share of molecules whose every group prediction is right.
**Micro-F1**: one F1 over all (molecule, group) labels pooled.

Mean ± std over seeds: :func:`mean_std` (``ddof`` a parameter; R23's Table 1 used ``np.std``,
ddof 0, and Table 2 ``DataFrame.std``, ddof 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn import metrics as skm

PER_GROUP_COLUMNS = ("proportion", "support", "f1", "auc", "accuracy", "precision", "recall")


def _as_2d(a, name: str, dtype=None) -> np.ndarray:
    a = np.asarray(a, dtype=dtype)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must be (n_samples, n_groups), got shape {a.shape}")
    return a


def _check_labels(y_true) -> np.ndarray:
    y = _as_2d(y_true, "y_true")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must hold only 0 and 1")
    return y.astype(np.int8)


def _check_pair(y_true, y_other, name: str) -> tuple[np.ndarray, np.ndarray]:
    y = _check_labels(y_true)
    other = _as_2d(y_other, name)
    if other.shape != y.shape:
        raise ValueError(f"y_true {y.shape} and {name} {other.shape} differ in shape")
    return y, other


def _check_pred(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y, q = _check_pair(y_true, y_pred, "y_pred")
    if not np.isin(q, (0, 1)).all():
        raise ValueError("y_pred must hold only 0 and 1 (binarize probabilities first)")
    return y, q.astype(np.int8)


def binarize(y_prob, threshold: float | Sequence[float] | np.ndarray = 0.5) -> np.ndarray:
    """``y_prob > threshold`` as 0/1 int8; ``threshold`` scalar or one per group (column)."""
    y_prob = _as_2d(y_prob, "y_prob", dtype=np.float64)
    t = np.asarray(threshold, dtype=np.float64)
    if t.ndim == 1 and len(t) != y_prob.shape[1]:
        raise ValueError(f"{len(t)} thresholds for {y_prob.shape[1]} groups")
    if t.ndim > 1:
        raise ValueError("threshold must be a scalar or one value per group")
    return (y_prob > t).astype(np.int8)


def best_f1_thresholds(y_true, y_prob) -> np.ndarray:
    """Per group, the threshold maximising F1 on (typically training-set) predictions.

    The authors' ``get_best_thresholds``: over ``precision_recall_curve`` thresholds, the first
    one reaching the maximum F1. Apply it as ``y_prob > t`` (their ``>``); note that the curve's
    thresholds are meant for ``>=``, so the chosen cut-off itself moves to the negative side.
    A group with no positives gets 0.5.
    """
    y, p = _check_pair(y_true, y_prob, "y_prob")
    out = np.full(y.shape[1], 0.5)
    for j in range(y.shape[1]):
        if not y[:, j].any():
            continue
        precision, recall, thresholds = skm.precision_recall_curve(y[:, j], p[:, j])
        f1 = 2 * recall * precision / (recall + precision + 1e-20)
        out[j] = thresholds[int(np.argmax(f1[:-1] == np.nanmax(f1[:-1])))]
    return out


def per_group_metrics(
    y_true,
    y_prob,
    groups: Sequence[str] | None = None,
    threshold: float | Sequence[float] | np.ndarray = 0.5,
    zero_division: float = 0.0,
) -> pd.DataFrame:
    """R23 Table 1 for one model: a DataFrame indexed by group.

    Columns: ``proportion`` (share of positives in ``y_true``), ``support`` (number of positives),
    ``f1``, ``auc`` (ROC-AUC of the probabilities; NaN when a group has one class only),
    ``accuracy``, ``precision``, ``recall`` (from ``y_prob > threshold``). ``zero_division`` is the
    value of precision/recall/F1 when undefined (no predicted or no true positives); pass
    ``np.nan`` to keep them undefined (the authors' notebook gave NaN).
    """
    y, p = _check_pair(y_true, y_prob, "y_prob")
    pred = binarize(p, threshold)
    groups = list(groups) if groups is not None else list(range(y.shape[1]))
    if len(groups) != y.shape[1]:
        raise ValueError(f"{len(groups)} group names for {y.shape[1]} groups")
    rows = []
    for j in range(y.shape[1]):
        t, q = y[:, j], pred[:, j]
        both = len(np.unique(t)) == 2
        rows.append(
            {
                "proportion": t.mean(),
                "support": int(t.sum()),
                "f1": skm.f1_score(t, q, zero_division=zero_division),
                "auc": skm.roc_auc_score(t, p[:, j]) if both else np.nan,
                "accuracy": skm.accuracy_score(t, q),
                "precision": skm.precision_score(t, q, zero_division=zero_division),
                "recall": skm.recall_score(t, q, zero_division=zero_division),
            }
        )
    return pd.DataFrame(rows, index=pd.Index(groups, name="group"), columns=list(PER_GROUP_COLUMNS))


def molecular_perfection(y_true, y_pred) -> float:
    """Share of molecules (rows) whose predictions are right for every group."""
    y, q = _check_pred(y_true, y_pred)
    return float(np.all(y == q, axis=1).mean())


def molecular_f1_per_molecule(y_true, y_pred, no_positive: str = "exclude") -> np.ndarray:
    """F1 of each molecule over its groups; NaN for molecules left out (see the module docstring)."""
    y, q = _check_pred(y_true, y_pred)
    tp = (y & q).sum(axis=1)
    n_true, n_pred = y.sum(axis=1), q.sum(axis=1)
    denom = n_true + n_pred  # = 2·TP + FP + FN
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)
    if no_positive == "exclude":
        f1 = np.where(n_true > 0, f1, np.nan)
    elif no_positive == "score":
        f1 = np.where(n_true > 0, f1, np.where(n_pred == 0, 1.0, 0.0))
    else:
        raise ValueError(f"no_positive must be 'exclude' or 'score', got {no_positive!r}")
    return f1


def molecular_f1(y_true, y_pred, no_positive: str = "exclude") -> float:
    """Mean over molecules of the per-molecule F1 (Fine et al. 2020; R23 Table 2)."""
    f1 = molecular_f1_per_molecule(y_true, y_pred, no_positive=no_positive)
    return float(np.nanmean(f1)) if np.isfinite(f1).any() else float("nan")


def micro_f1(y_true, y_pred) -> float:
    """F1 over all (molecule, group) labels pooled."""
    y, q = _check_pred(y_true, y_pred)
    return float(skm.f1_score(y.ravel(), q.ravel(), zero_division=0.0))


def molecular_metrics(
    y_true,
    y_prob,
    threshold: float | Sequence[float] | np.ndarray = 0.5,
    no_positive: str = "exclude",
) -> pd.Series:
    """R23 Table 2 for one model, plus micro-F1: ``molecular_perfection``, ``molecular_f1``, ``micro_f1``."""
    pred = binarize(y_prob, threshold)
    return pd.Series(
        {
            "molecular_perfection": molecular_perfection(y_true, pred),
            "molecular_f1": molecular_f1(y_true, pred, no_positive=no_positive),
            "micro_f1": micro_f1(y_true, pred),
        },
        name="value",
    )


def mean_std(tables: Sequence[pd.DataFrame | pd.Series], ddof: int = 1) -> pd.DataFrame:
    """Mean and standard deviation, cell by cell, over several seeds' tables of the same layout.

    DataFrames (e.g. :func:`per_group_metrics` per seed) give columns ``(metric, "mean"|"std")``
    on the same index; Series (e.g. :func:`molecular_metrics` per seed) give a DataFrame with
    columns ``mean`` and ``std``. NaN cells are skipped. One table gives std NaN with ``ddof=1``.
    """
    tables = list(tables)
    if not tables:
        raise ValueError("no tables to summarise")
    if all(isinstance(t, pd.Series) for t in tables):
        stacked = pd.concat(tables, axis=1)
        return pd.DataFrame({"mean": stacked.mean(axis=1), "std": stacked.std(axis=1, ddof=ddof)})
    if not all(isinstance(t, pd.DataFrame) for t in tables):
        raise TypeError("mean_std takes all DataFrames or all Series")
    first = tables[0]
    for t in tables[1:]:
        if not (t.index.equals(first.index) and t.columns.equals(first.columns)):
            raise ValueError("tables differ in index or columns")
    stacked = np.stack([t.to_numpy(dtype=np.float64) for t in tables])
    with warnings.catch_warnings():  # all-NaN cells and single tables warn otherwise
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, std = np.nanmean(stacked, axis=0), np.nanstd(stacked, axis=0, ddof=ddof)
    out = {}
    for c, name in enumerate(first.columns):
        out[(name, "mean")] = mean[:, c]
        out[(name, "std")] = std[:, c]
    return pd.DataFrame(out, index=first.index)


def interval_distance(values, lo, hi) -> np.ndarray:
    """Signed distance of each value from the half-open interval ``[lo, hi)``: 0 inside, ``value - lo``
    (negative) below it, ``value - hi`` (zero or positive) from ``hi`` on. For comparing with a published
    value that was truncated (R23's Table 1: a printed 0.93 means ``[0.93, 0.94)``)."""
    v, lo, hi = (np.asarray(a, dtype=np.float64) for a in (values, lo, hi))
    if np.any(hi <= lo):
        raise ValueError("every interval needs lo < hi")
    return np.where(v < lo, v - lo, np.where(v >= hi, v - hi, 0.0))


def format_mean_std(summary: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """``"0.912 ± 0.004"`` strings from :func:`mean_std`'s output (either layout)."""
    if isinstance(summary.columns, pd.MultiIndex):
        names = list(dict.fromkeys(summary.columns.get_level_values(0)))
        return pd.DataFrame(
            {n: _fmt(summary[(n, "mean")], summary[(n, "std")], digits) for n in names}, index=summary.index
        )
    return pd.DataFrame({"value": _fmt(summary["mean"], summary["std"], digits)}, index=summary.index)


def _fmt(mean: pd.Series, std: pd.Series, digits: int) -> list[str]:
    return [
        f"{m:.{digits}f} ± {s:.{digits}f}" if np.isfinite(s) else f"{m:.{digits}f}"
        for m, s in zip(mean, std, strict=True)
    ]
