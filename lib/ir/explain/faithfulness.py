"""Deletion and insertion curves and the comparison of relevance methods by them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from lib.ir.explain._common import _dtype, _group_index
from lib.ir.explain.attribution import METHODS, _scores, method_kwargs, relevance
from lib.models.fga import R23_GROUPS, FGANet


def ranking(rel: np.ndarray, seed: int = 0) -> np.ndarray:
    """Input points ordered most relevant first ``(N, P)``; ties broken at random (seeded)."""
    rel = np.asarray(rel, dtype=float)
    tie = np.random.default_rng(seed).random(rel.shape)
    return np.lexsort((tie, -rel), axis=-1)


@dataclass
class Curves:
    """Deletion and insertion curves ``(N, len(fractions))`` and their areas ``(N,)``."""

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray

    @property
    def deletion_auc(self) -> np.ndarray:
        return np.trapezoid(self.deletion, self.fractions, axis=1)

    @property
    def insertion_auc(self) -> np.ndarray:
        return np.trapezoid(self.insertion, self.fractions, axis=1)


def deletion_insertion(
    model: nn.Module,
    spectra: np.ndarray,
    rel: np.ndarray,
    group: int | str,
    n_steps: int = 20,
    baseline: float = 0.0,
    score: str = "proba",
    seed: int = 0,
) -> Curves:
    """Deletion (most relevant points set to ``baseline`` first) and insertion (most relevant points
    restored first, starting from the all-baseline spectrum) curves at ``n_steps + 1`` fractions.

    A faithful relevance makes the deletion curve fall fast (small area) and the insertion curve
    rise fast (large area). Spectra are not renormalised after deletion.
    """
    model.eval()
    g = _group_index(group)
    x = np.asarray(spectra, dtype=float)
    n, p = x.shape
    order = ranking(rel, seed)
    fractions = np.linspace(0.0, 1.0, n_steps + 1)
    counts = np.round(fractions * p).astype(int)
    # rank[i, j] = position of point j in sample i's ordering
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(p)[None].repeat(n, 0), axis=1)
    top = rank[:, None, :] < counts[None, :, None]  # (N, S, P): point among the first `count`
    deleted = np.where(top, baseline, x[:, None, :])
    inserted = np.where(top, x[:, None, :], baseline)
    dtype = _dtype(model)
    both = torch.as_tensor(np.concatenate([deleted, inserted], axis=1).reshape(-1, p), dtype=dtype)
    s = _scores(model, both, g, score).reshape(n, 2, len(fractions))
    return Curves(fractions=fractions, deletion=s[:, 0], insertion=s[:, 1])


def compare_methods(
    model: FGANet,
    spectra: np.ndarray,
    labels: np.ndarray | None,
    groups: Sequence[int | str] = R23_GROUPS,
    methods: Sequence[str] = METHODS,
    n_steps: int = 20,
    baseline: float = 0.0,
    score: str = "proba",
    positives_only: bool = True,
    max_spectra: int | None = None,
    ig_steps: int = 32,
    seed: int = 0,
    keep_curves: bool = False,
) -> pd.DataFrame:
    """Deletion and insertion areas per group and method (mean over spectra).

    With ``positives_only`` only the spectra labelled with the group are used (``labels`` given).
    Rows: group × method with ``n``, ``deletion_auc`` (lower is better), ``insertion_auc`` (higher
    is better) and ``difference`` = insertion − deletion. Groups with no spectra are skipped.
    ``keep_curves`` adds the mean curves (``deletion_curve``, ``insertion_curve``: arrays over
    ``n_steps + 1`` equally spaced fractions).
    """
    spectra = np.asarray(spectra, dtype=float)
    rows = []
    for group in groups:
        g = _group_index(group)
        name = R23_GROUPS[g] if g < len(R23_GROUPS) else str(g)
        idx = np.arange(len(spectra))
        if positives_only and labels is not None:
            idx = np.flatnonzero(np.asarray(labels)[:, g] > 0.5)
        if max_spectra is not None:
            idx = idx[:max_spectra]
        if len(idx) == 0:
            continue
        x = spectra[idx]
        for method in methods:
            rel = relevance(model, x, g, method, **method_kwargs(model, method, ig_steps, baseline, seed + g))
            curves = deletion_insertion(model, x, rel, g, n_steps=n_steps, baseline=baseline, score=score, seed=seed)
            d, i = curves.deletion_auc.mean(), curves.insertion_auc.mean()
            row = {"group": name, "method": method, "n": len(idx), "deletion_auc": d, "insertion_auc": i,
                   "difference": i - d}  # fmt: skip
            if keep_curves:
                row.update(deletion_curve=curves.deletion.mean(axis=0), insertion_curve=curves.insertion.mean(axis=0))
            rows.append(row)
    return pd.DataFrame(rows)


def compare_models(
    entries: Sequence[tuple[str, str, FGANet, np.ndarray, np.ndarray]],
    methods: Sequence[str] = METHODS,
    **kwargs,
) -> pd.DataFrame:
    """:func:`compare_methods` (with ``keep_curves=True`` and ``kwargs``) for several models, one table.

    ``entries``: ``(models, model, net, spectra, labels)``, where ``models`` names the set (e.g.
    ``ours``) and ``model`` the member; both become columns of the result.
    """
    tables = [
        compare_methods(net, x, y, methods=methods, keep_curves=True, **kwargs).assign(models=label, model=name)
        for label, name, net, x, y in entries
    ]
    return pd.concat(tables, ignore_index=True)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean deletion area, insertion area and their difference per model set and method (order kept)."""
    cols = ["deletion_auc", "insertion_auc", "difference"]
    return table.groupby(["models", "method"], sort=False)[cols].mean()
