"""Neural network models: the FGA net of R23, the eight S23 benchmark networks, encoders."""

from __future__ import annotations

from torch import nn


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; batch-norm running statistics are buffers and never count."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
