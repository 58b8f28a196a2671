"""Latent activations and the input window behind each latent column (from :func:`lib.models.fga.receptive_field`)."""

from __future__ import annotations

import numpy as np
import torch

from lib.ir.explain._common import _dtype, _grid, _tensor
from lib.models.fga import FGANet, receptive_field


@torch.no_grad()
def latent_activations(model: FGANet, spectra: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """The latent matrices ``(N, channels, L)`` of ``spectra`` (eval mode), as numpy."""
    model.eval()
    x = _tensor(spectra, _dtype(model))
    out = [model.latent(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return torch.cat(out).cpu().numpy() if out else np.zeros((0, *model.latent_shape))


def column_windows(model: FGANet) -> np.ndarray:
    """``(L, 2)`` half-open input ranges ``[lo, hi)`` behind each latent column (from the layer arithmetic)."""
    rf = receptive_field(model, model.input_len)
    return np.array([rf.window(k) for k in range(rf.length)], dtype=int)


def column_ranges(model: FGANet, grid: np.ndarray | None = None) -> np.ndarray:
    """``(L, 2)`` wavenumbers of the first and last input point of each column's window."""
    grid = _grid(grid, model.input_len)
    win = column_windows(model)
    return np.stack([grid[win[:, 0]], grid[win[:, 1] - 1]], axis=1)


def column_wavenumbers(model: FGANet, grid: np.ndarray | None = None) -> np.ndarray:
    """``(L,)`` centre wavenumber of each latent column's window (midpoint of its first and last point)."""
    return column_ranges(model, grid).mean(axis=1)


def columns_to_points(values: np.ndarray, model: FGANet) -> np.ndarray:
    """Spread per-column values ``(..., L)`` onto input points ``(..., P)``.

    Each column shares its value evenly over the points of its window, so totals are kept.
    """
    values = np.asarray(values, dtype=float)
    win = column_windows(model)
    out = np.zeros((*values.shape[:-1], model.input_len))
    for k, (lo, hi) in enumerate(win):
        out[..., lo:hi] += values[..., k : k + 1] / (hi - lo)
    return out
