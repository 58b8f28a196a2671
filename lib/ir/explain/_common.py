"""Small conversions shared by the explanation modules (grid, tensors, group indices)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from lib.models.fga import R23_GROUPS


def _grid(grid: np.ndarray | None, n: int) -> np.ndarray:
    if grid is None:
        from lib.ir.ingest import default_grid

        grid = default_grid()
    grid = np.asarray(grid, dtype=float)
    if grid.shape != (n,):
        raise ValueError(f"grid has shape {grid.shape}, the model takes {n} input points")
    return grid


def _tensor(x: np.ndarray | torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach().to(dtype=dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def _dtype(model: nn.Module) -> torch.dtype:
    p = next(model.parameters(), None)
    return p.dtype if p is not None else torch.float32


def _group_index(group: int | str, groups: Sequence[str] = R23_GROUPS) -> int:
    return groups.index(group) if isinstance(group, str) else int(group)
