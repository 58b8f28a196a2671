"""R23 eq. 2 reweighted binary cross-entropy: hand-worked weights, the p = 0.5 limit, stability."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lib import losses
from lib.models.fga import FGANet

# 4 samples x 2 groups: group 0 is positive once (p = 1/4), group 1 twice (p = 1/2)
LABELS = torch.tensor([[1.0, 1.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]])


def test_proportions_and_weights_by_hand():
    p = losses.positive_proportions(LABELS)
    np.testing.assert_array_equal(p, [0.25, 0.5])
    pos, neg = losses.r23_weights(p)
    np.testing.assert_allclose(pos, [4.0, 2.0])  # 1/p
    np.testing.assert_allclose(neg, [4 / 3, 2.0])  # 1/(1-p)
    # R23 eq. 2 written as in the paper: w = (p(1-y) + (1-p)y) / ((1-p)p)
    for y in (0, 1):
        w = (p * (1 - y) + (1 - p) * y) / ((1 - p) * p)
        np.testing.assert_allclose(w, pos if y else neg)


def test_loss_by_hand_zero_logits():
    # every BCE term is log 2; weights: group 0 -> 4, 4/3, 4/3, 4/3; group 1 -> 2, 2, 2, 2
    # mean weight = (4 + 3 * 4/3 + 4 * 2) / 8 = 16 / 8 = 2, so the loss is 2 log 2
    loss = losses.reweighted_bce_with_logits(torch.zeros(4, 2), LABELS, [0.25, 0.5])
    assert loss.item() == pytest.approx(2 * math.log(2), rel=1e-6)


def test_loss_by_hand_nonzero_logits():
    z = torch.tensor([[2.0, -1.0], [0.5, 0.0], [-3.0, 1.5], [0.0, -2.0]], dtype=torch.float64)
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    total = 0.0
    for i in range(4):
        for j, p in enumerate((0.25, 0.5)):
            y, q = LABELS[i, j].item(), sig(z[i, j].item())
            total += (y / p) * -math.log(q) + ((1 - y) / (1 - p)) * -math.log(1 - q)
    got = losses.reweighted_bce_with_logits(z, LABELS, [0.25, 0.5])
    assert got.dtype == torch.float64
    assert got.item() == pytest.approx(total / 8, rel=1e-12)
    per = losses.reweighted_bce_with_logits(z, LABELS, [0.25, 0.5], reduction="none")
    assert per.shape == (4, 2) and per.sum().item() == pytest.approx(total, rel=1e-12)
    assert losses.reweighted_bce_with_logits(z, LABELS, [0.25, 0.5], reduction="sum").item() == pytest.approx(total)


def test_half_proportion_is_twice_plain_bce():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(50, 17, generator=gen)
    y = (torch.rand(50, 17, generator=gen) < 0.3).float()
    plain = F.binary_cross_entropy_with_logits(z, y)
    weighted = losses.reweighted_bce_with_logits(z, y, np.full(17, 0.5))
    assert weighted.item() == pytest.approx(2 * plain.item(), rel=1e-6)


def test_each_group_balanced():
    """With p from the same labels, positives and negatives of every group carry total weight N each."""
    rng = np.random.default_rng(1)
    y = (rng.random((200, 6)) < [0.01, 0.05, 0.2, 0.5, 0.7, 0.95]).astype(np.float32)
    y[0] = 1 - y[1]  # no group constant
    pos, neg = losses.r23_weights(losses.positive_proportions(y))
    np.testing.assert_allclose((y * pos).sum(axis=0), 200)
    np.testing.assert_allclose(((1 - y) * neg).sum(axis=0), 200)


def test_matches_authors_sigmoid_form_and_stays_finite_for_large_logits():
    p = [0.25, 0.5]
    pos_w, neg_w = (torch.tensor(w, dtype=torch.float32) for w in losses.r23_weights(p))
    z = torch.tensor([[3.0, -2.0], [0.1, 4.0], [-5.0, 0.7], [1.0, -1.0]])
    authors = (
        F.binary_cross_entropy(torch.sigmoid(z), LABELS, reduction="none") * (pos_w * LABELS + neg_w * (1 - LABELS))
    ).mean()
    assert losses.reweighted_bce_with_logits(z, LABELS, p).item() == pytest.approx(authors.item(), rel=1e-5)

    big = torch.tensor([[1e4, 1e4], [-1e4, -1e4], [-1e4, 1e4], [-1e4, -1e4]], requires_grad=True)
    right = losses.reweighted_bce_with_logits(big, LABELS, p)
    assert right.item() == 0.0
    wrong = losses.reweighted_bce_with_logits(-big, LABELS, p)
    assert math.isfinite(wrong.item()) and wrong.item() == pytest.approx(1e4 * 2.0, rel=1e-6)  # mean weight 2
    wrong.backward()
    assert torch.isfinite(big.grad).all() and big.grad.abs().max() > 0
    # the probability form saturates (torch clamps log at -100), the logit form does not
    clamped = F.binary_cross_entropy(torch.sigmoid(-big.detach()), LABELS)
    assert clamped.item() == pytest.approx(100.0)


def test_degenerate_proportions_raise_or_clamp():
    with pytest.raises(ValueError, match="nitro"):
        losses.r23_weights([0.3, 0.0], groups=["alkane", "nitro"])
    with pytest.raises(ValueError, match="group 0"):
        losses.ReweightedBCELoss([1.0, 0.5])
    with pytest.raises(ValueError, match="strictly between"):
        losses.ReweightedBCELoss.from_labels(torch.zeros(5, 2))
    pos, neg = losses.r23_weights([0.0, 1.0], clamp=1e-3)
    np.testing.assert_allclose(pos, [1000, 1 / 0.999])
    np.testing.assert_allclose(neg, [1 / 0.999, 1000])


def test_module_equals_function():
    loss_fn = losses.ReweightedBCELoss.from_labels(LABELS)
    np.testing.assert_allclose(loss_fn.proportions.numpy(), [0.25, 0.5])
    z = torch.randn(4, 2, requires_grad=True)
    a, b = loss_fn(z, LABELS), losses.reweighted_bce_with_logits(z, LABELS, [0.25, 0.5])
    assert a.dtype == torch.float32 and a.item() == pytest.approx(b.item(), rel=1e-6)
    a.backward()
    assert z.grad.shape == (4, 2)
    assert losses.ReweightedBCELoss([0.25, 0.5], reduction="none")(z, LABELS).shape == (4, 2)
    with pytest.raises(ValueError, match="must both be"):
        loss_fn(torch.zeros(4, 3), torch.zeros(4, 3))


def test_authors_l2_term_is_last_conv_sum_of_squares():
    model = FGANet()
    conv = model.features[10]
    assert isinstance(conv, torch.nn.Conv1d) and model.features[-5] is conv
    expected = conv.weight.pow(2).sum() + conv.bias.pow(2).sum()
    assert losses.r23_l2_penalty(model).item() == pytest.approx(expected.item(), rel=1e-6)
    assert losses.r23_l2_penalty(model, scale=1e-3).item() == pytest.approx(1e-3 * expected.item(), rel=1e-6)
