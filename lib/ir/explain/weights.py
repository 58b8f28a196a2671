"""R23 step 2: the classifier weights per group, per-group profiles over seeds and how well seeds agree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from lib.models.fga import R23_GROUPS, FGANet


def weight_map(model: FGANet, clip_negative: bool = False) -> np.ndarray:
    """Classifier weights ``(n_groups, channels, L)``; negatives set to 0 with ``clip_negative`` (display)."""
    w = model.classifier_weights().cpu().numpy().astype(float)
    return np.clip(w, 0.0, None) if clip_negative else w


def group_profiles(model: FGANet, clip_negative: bool = False) -> np.ndarray:
    """Per group the maximum of the weights over channels: ``(n_groups, L)`` (R23 Fig. 6)."""
    return weight_map(model, clip_negative).max(axis=1)


def seed_profiles(models: Iterable[FGANet], clip_negative: bool = False) -> np.ndarray:
    """:func:`group_profiles` of several models (seeds) stacked ``(n_models, n_groups, L)``."""
    return np.stack([group_profiles(m, clip_negative) for m in models])


def profile_mean_std(profiles: np.ndarray, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over the first axis (seeds); std is 0 for a single model."""
    profiles = np.asarray(profiles, dtype=float)
    std = profiles.std(axis=0, ddof=ddof) if len(profiles) > ddof else np.zeros(profiles.shape[1:])
    return profiles.mean(axis=0), std


def mean_pairwise_correlation(profiles: np.ndarray) -> float:
    """Mean Pearson correlation over all pairs of rows of ``(n_models, L)`` (NaN with < 2 rows or a constant row)."""
    profiles = np.asarray(profiles, dtype=float)
    if len(profiles) < 2:
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(profiles)
    iu = np.triu_indices(len(profiles), k=1)
    return float(np.mean(corr[iu]))


def seed_agreement(profiles: np.ndarray, groups: Sequence[str] = R23_GROUPS) -> pd.Series:
    """Per group, the mean pairwise Pearson correlation between seeds of ``(n_models, n_groups, L)`` profiles."""
    profiles = np.asarray(profiles, dtype=float)
    values = [mean_pairwise_correlation(profiles[:, g]) for g in range(profiles.shape[1])]
    return pd.Series(values, index=list(groups)[: len(values)], name="seed agreement")


def cross_group_agreement(profiles: np.ndarray, groups: Sequence[str] = R23_GROUPS) -> pd.Series:
    """The reference for :func:`seed_agreement`: per group, the mean Pearson correlation of its profile
    with the profiles of the *other* groups in the *other* models.

    Profiles share structure that says nothing about a group (e.g. low weights wherever spectra are
    empty); seed agreement means something only where it exceeds this. With one model the other
    groups of the same model are used.
    """
    p = np.asarray(profiles, dtype=float)
    n, n_groups, length = p.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(p.reshape(n * n_groups, length)).reshape(n, n_groups, n, n_groups)
    other_model = ~np.eye(n, dtype=bool) if n > 1 else np.ones((1, 1), dtype=bool)
    values = []
    for g in range(n_groups):
        block = corr[:, g][:, :, np.arange(n_groups) != g]  # (n, n, n_groups - 1)
        values.append(float(np.nanmean(block[other_model])))
    return pd.Series(values, index=list(groups)[:n_groups], name="cross-group reference")
