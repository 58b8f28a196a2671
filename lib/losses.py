"""R23's class-reweighted binary cross-entropy (R23 eq. 2).

With ``p_j`` the share of training samples that carry group ``j``, a positive label is weighted
``1/p_j`` and a negative one ``1/(1 − p_j)``, i.e. eq. 2,
``w_ij = (p_j (1 − y_ij) + (1 − p_j) y_ij) / (p_j (1 − p_j))``; the weighted per-label BCE is then
averaged over samples *and* groups. Each group's positives and negatives thus carry the same
total weight (``N`` each), whatever the group's rarity. This is what the authors' released
training code does (``weights = p/(p(1−p))`` on negatives, ``anti_weights = (1−p)/(p(1−p))`` on
positives, ``.mean()`` over the batch); the paper's eq. 3 omits the ``1/M``.

We work on logits (``binary_cross_entropy_with_logits``, i.e. ``max(z, 0) − z·y + log(1 + e^−|z|)``),
which is exact for any logit; the authors applied ``binary_cross_entropy`` to sigmoid outputs,
which clamps each log at −100 and so agrees except for saturated outputs.

A group with ``p_j`` in {0, 1} has an infinite weight: :func:`r23_weights` raises a
``ValueError`` naming it, unless ``clamp`` is given, in which case ``p`` is clipped to
``[clamp, 1 − clamp]`` first (documented escape hatch for tiny subsets, e.g. the ``ci`` preset).

Not in the paper: the released ``train.py`` also adds, to the *training* loss only, the
unscaled sum of squares of the last convolution's parameters (``model.features[-5]``, i.e.
``features.10``; an ``l2_lambda = 0.001`` is defined there but never used). The small weights of
``features.10`` in the published files bear this out. :func:`r23_l2_penalty` reproduces it for a
harness that wants to follow the code.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def positive_proportions(labels: np.ndarray | torch.Tensor) -> np.ndarray:
    """``p_j``: the share of samples (rows) with label ``j`` equal to 1, as float64."""
    labels = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"labels must be (n_samples, n_groups), got shape {labels.shape}")
    return (labels == 1).mean(axis=0).astype(np.float64)


def r23_weights(
    proportions: np.ndarray | torch.Tensor | list[float],
    clamp: float | None = None,
    groups: list[str] | tuple[str, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(positive_weight, negative_weight) = (1/p, 1/(1 − p))`` per group, float64.

    Raises ``ValueError`` for ``p`` outside the open interval (0, 1) unless ``clamp`` (e.g. 1e-3)
    is given, which clips ``p`` to ``[clamp, 1 − clamp]``.
    """
    p = proportions.detach().cpu().numpy() if isinstance(proportions, torch.Tensor) else np.asarray(proportions)
    p = p.astype(np.float64).reshape(-1)
    if clamp is not None:
        if not 0 < clamp < 0.5:
            raise ValueError(f"clamp must lie in (0, 0.5), got {clamp}")
        p = np.clip(p, clamp, 1 - clamp)
    bad = ~((p > 0) & (p < 1))
    if bad.any():
        names = [groups[j] if groups is not None else f"group {j}" for j in np.flatnonzero(bad)]
        raise ValueError(
            f"positive proportion must lie strictly between 0 and 1; {', '.join(names)} "
            f"have p = {p[bad].tolist()} in the training labels (every label equal). Drop the group, "
            "use more data, or pass clamp=... to clip p"
        )
    return 1.0 / p, 1.0 / (1.0 - p)


def _weighted_bce(
    logits: torch.Tensor, targets: torch.Tensor, pos_w: torch.Tensor, neg_w: torch.Tensor, reduction: str
) -> torch.Tensor:
    if logits.shape != targets.shape or logits.dim() != 2 or logits.shape[-1] != pos_w.numel():
        raise ValueError(
            f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} must both be (N, {pos_w.numel()})"
        )
    targets = targets.to(logits.dtype)
    pos_w = pos_w.to(device=logits.device, dtype=logits.dtype)
    neg_w = neg_w.to(device=logits.device, dtype=logits.dtype)
    loss = (targets * pos_w + (1 - targets) * neg_w) * F.binary_cross_entropy_with_logits(
        logits, targets, reduction="none"
    )
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reweighted_bce_with_logits(
    logits: torch.Tensor,
    targets: torch.Tensor,
    proportions: np.ndarray | torch.Tensor | list[float],
    clamp: float | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    """R23 eq. 2 loss from logits ``(N, M)`` and 0/1 targets ``(N, M)``.

    ``reduction``: ``"mean"`` (over samples and groups, R23), ``"sum"`` or ``"none"`` (``(N, M)``).
    Soft targets in [0, 1] interpolate the weight linearly, as in the authors' code.
    """
    pos_w, neg_w = r23_weights(proportions, clamp=clamp)
    return _weighted_bce(logits, targets, torch.as_tensor(pos_w), torch.as_tensor(neg_w), reduction)


class ReweightedBCELoss(nn.Module):
    """Module form of :func:`reweighted_bce_with_logits`; the weights are fixed at construction.

    Build it from the training labels with :meth:`from_labels`, or from proportions directly.
    The weights are buffers, so ``.to(device)`` moves them.
    """

    def __init__(
        self,
        proportions: np.ndarray | torch.Tensor | list[float],
        clamp: float | None = None,
        groups: list[str] | tuple[str, ...] | None = None,
        reduction: str = "mean",
    ):
        super().__init__()
        pos_w, neg_w = r23_weights(proportions, clamp=clamp, groups=groups)
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction
        self.register_buffer("pos_weight", torch.as_tensor(pos_w, dtype=torch.float64))
        self.register_buffer("neg_weight", torch.as_tensor(neg_w, dtype=torch.float64))

    @classmethod
    def from_labels(cls, labels: np.ndarray | torch.Tensor, **kwargs) -> ReweightedBCELoss:
        """From the training labels ``(N, M)``: ``p_j`` = share of ones in column ``j``."""
        return cls(positive_proportions(labels), **kwargs)

    @property
    def proportions(self) -> torch.Tensor:
        """``p_j`` as used (after any clamp)."""
        return 1.0 / self.pos_weight

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return _weighted_bce(logits, targets, self.pos_weight, self.neg_weight, self.reduction)

    def extra_repr(self) -> str:
        return f"n_groups={self.pos_weight.numel()}, reduction={self.reduction!r}"


def r23_l2_penalty(model: nn.Module, layer: int = -5, scale: float = 1.0) -> torch.Tensor:
    """``scale`` × sum of squares of the parameters of ``model.features[layer]`` (the released code's extra term).

    With the defaults this is exactly what the authors' ``train.py`` adds to the training loss
    (``features[-5]`` is the last convolution, ``features.10``); it is not part of eq. 2 nor of
    the validation loss.
    """
    params = list(model.features[layer].parameters())
    if not params:
        raise ValueError(f"model.features[{layer}] has no parameters")
    return scale * sum(p.pow(2).sum() for p in params)
