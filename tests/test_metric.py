"""Metric learning (lib.synthetic.metric_learning): mining, triplet loss, exact k-NN, mixtures, beam search,
a tiny training run."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from lib import train as tr
from lib.models.fga import receptive_field
from lib.synthetic import generator as synthetic
from lib.synthetic import metric_learning as m
from lib.synthetic.benchmark_runs import Study

pytestmark = pytest.mark.usefixtures("one_thread")


def unit(rows) -> torch.Tensor:
    x = torch.tensor(rows, dtype=torch.float32)
    return x / x.norm(dim=1, keepdim=True)


# --------------------------------------------------------------------------- encoder
def test_encoder_embeddings_are_unit_length_and_use_the_cnn_bn_stack():
    enc = m.Encoder(200, dim=12)
    x = torch.rand(5, 200)
    out = enc.eval()(x)
    assert out.shape == (5, 12)
    assert torch.allclose(out.norm(dim=1), torch.ones(5), atol=1e-5)
    convs = [mod for mod in enc.features.modules() if isinstance(mod, torch.nn.Conv1d)]
    assert [(c.out_channels, c.kernel_size[0]) for c in convs] == [(16, 21), (32, 11), (64, 5)]  # CNN-BN
    assert any(isinstance(mod, torch.nn.BatchNorm1d) for mod in enc.features.modules())
    enc2 = m.Encoder(200, dim=4, bn_momentum=0.1, hidden=(8,), dropout=0.1, batch_norm=False)
    assert not any(isinstance(mod, torch.nn.BatchNorm1d) for mod in enc2.modules())
    assert enc2(x).shape == (5, 4)
    with pytest.raises(ValueError):
        m.Encoder(200, dim=0)
    # conv 21 → pool 2 → conv 11 → pool 2 → conv 5 → pool 2: 21 + 1 + 10·2 + 1·2 + 4·4 + 1·4 = 64 points
    assert receptive_field(enc.features, 200).size == 64


def test_zero_anchored_embedding_is_additive_for_distant_peaks():
    torch.manual_seed(0)
    enc = m.Encoder(400, dim=8, zero_anchor=True).eval()
    with torch.no_grad():  # as after training: biases and batch-norm statistics away from zero
        for module in enc.modules():
            if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.Linear, torch.nn.Conv1d)):
                module.bias.uniform_(-0.5, 0.5)
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.uniform_(-0.2, 0.2)
    a, b = torch.zeros(1, 400), torch.zeros(1, 400)
    a[0, 60:70], b[0, 300:310] = 1.0, 1.0  # farther apart than the receptive field (64 points)
    with torch.no_grad():
        za, zb, zab, z0 = enc.head(enc.features(torch.cat([a, b, a + b, torch.zeros(1, 400)]).unsqueeze(1)))
        eab = enc(a + b)
    assert torch.allclose(zab - z0, (za - z0) + (zb - z0), atol=1e-4)  # additive before normalising
    assert not torch.allclose(zab, za + zb, atol=1e-2)  # the plain output carries z(0) twice
    assert torch.allclose(eab[0], (zab - z0) / (zab - z0).norm(), atol=1e-5)
    b[0, 100:110] = 1.0  # now within the receptive field of a's peak: no longer exact
    with torch.no_grad():
        za, zb, zab, z0 = enc.head(enc.features(torch.cat([a, b, a + b, torch.zeros(1, 400)]).unsqueeze(1)))
    assert not torch.allclose(zab - z0, (za - z0) + (zb - z0), atol=1e-4)


# --------------------------------------------------------------------------- mining and loss
def test_pairwise_distances_match_torch_cdist():
    e = unit(np.random.default_rng(0).normal(size=(7, 5)))
    assert torch.allclose(m.pairwise_distances(e), torch.cdist(e, e), atol=1e-5)
    assert torch.all(m.pairwise_distances(e).diagonal() == 0)


def test_batch_hard_mining_picks_the_hardest_pair():
    # 1-D points: class 0 at 0, 1, 3; class 1 at 3.5, 10; class 2 alone at 20
    pts = torch.tensor([[0.0], [1.0], [3.0], [3.5], [10.0], [20.0]])
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    pos, neg, valid = m.batch_hard_mining(torch.cdist(pts, pts), labels)
    assert pos[:3].tolist() == [2, 2, 0]  # farthest same-class point
    assert neg[:5].tolist() == [3, 3, 3, 2, 2]  # closest other-class point
    assert valid.tolist() == [True, True, True, True, True, False]  # class 2 has no positive


def test_semi_hard_negative_is_the_closest_beyond_the_positive():
    pts = torch.tensor([[0.0], [2.0], [1.0], [3.0], [5.0]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    chosen, valid = m.semi_hard_negatives(torch.cdist(pts, pts), labels)
    assert valid[0, 1] and not valid[0, 0] and not valid[0, 2]
    assert chosen[0, 1] == 3.0  # negatives at 1 (too close), 3 and 5: the closest farther than 2 is 3
    pts2 = torch.tensor([[0.0], [4.0], [1.0], [2.0]])
    chosen2, _ = m.semi_hard_negatives(torch.cdist(pts2, pts2), torch.tensor([0, 0, 1, 1]))
    assert chosen2[0, 1] == 2.0  # no negative beyond 4: the farthest negative


@pytest.mark.parametrize("mining", m.MININGS)
def test_triplet_loss_zero_when_margin_met_positive_otherwise(mining):
    labels = torch.tensor([0, 0, 1, 1])
    tight = unit([[1, 0.01], [1, -0.01], [-1, 0.01], [-1, -0.01]])
    assert m.TripletLoss(0.5, mining)(tight, labels).item() == 0.0
    mixed = unit([[1, 0], [0, 1], [0.9, 0.1], [0.1, 0.9]]).requires_grad_()
    loss = m.TripletLoss(0.2, mining)(mixed, labels)
    assert loss.item() > 0.1
    loss.backward()
    assert torch.isfinite(mixed.grad).all() and mixed.grad.abs().sum() > 0
    one_class = m.TripletLoss(0.2, mining)(tight, torch.zeros(4, dtype=torch.long))
    assert one_class.item() == 0.0
    with pytest.raises(ValueError):
        m.TripletLoss(0.2, "random")


def test_batch_hard_loss_value_by_hand():
    pts = torch.tensor([[0.0, 0.0], [0.3, 0.0], [0.5, 0.0], [2.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])
    loss = m.TripletLoss(margin=1.0, mining="batch-hard")(pts, labels)
    # anchors: 0: 0.3-0.5+1=0.8; 1: 0.3-0.2+1=1.1; 2: 1.5-0.2+1=2.3; 3: 1.5-1.7+1=0.8
    assert loss.item() == pytest.approx((0.8 + 1.1 + 2.3 + 0.8) / 4, abs=1e-5)


def test_pk_order_groups_k_samples_of_one_class():
    labels = np.repeat(np.arange(5), [9, 8, 8, 3, 12])
    order = m.pk_order(0, 1, labels, 4)
    groups = labels[order].reshape(-1, 4)
    assert (groups == groups[:, :1]).all()
    assert len(np.unique(order[labels[order] != 3])) == len(order[labels[order] != 3])  # no repeats but class 3
    assert np.array_equal(order, m.pk_order(0, 1, labels, 4))
    assert not np.array_equal(order, m.pk_order(0, 2, labels, 4))
    full = m.pk_order(0, 0, labels, 4, keep_rest=True)
    assert set(full) == set(range(len(labels)))


# --------------------------------------------------------------------------- k-NN
def test_knn_search_is_exact_against_brute_force():
    rng = np.random.default_rng(1)
    refs = rng.normal(size=(300, 8)).astype(np.float32)
    refs /= np.linalg.norm(refs, axis=1, keepdims=True)
    queries = refs[:50] + 0.3 * rng.normal(size=(50, 8)).astype(np.float32)
    sims, idx = m.knn_search(queries, refs, k=5, chunk=7)
    brute = np.argsort(-(queries @ refs.T), axis=1, kind="stable")[:, :5]
    assert np.array_equal(idx, brute)
    assert np.allclose(sims, np.take_along_axis(queries @ refs.T, brute, axis=1), atol=1e-5)
    _, self_idx = m.knn_search(refs, refs, k=1, exclude_self=True)
    assert (self_idx[:, 0] != np.arange(300)).all()


def test_vote_majority_then_similarity():
    labels = np.array([[3, 5, 5], [3, 5, 7], [2, 2, 9]])
    sims = np.array([[0.99, 0.5, 0.4], [0.2, 0.9, 0.1], [0.1, 0.1, 0.99]])
    assert m.vote(labels, sims).tolist() == [5, 5, 2]


def test_choose_k_and_references():
    rng = np.random.default_rng(2)
    centres = np.eye(4, dtype=np.float32)
    y = np.repeat(np.arange(4), 20)
    emb = centres[y] + 0.4 * rng.normal(size=(80, 4)).astype(np.float32)
    refs = m.select_references(y, 5)
    assert np.bincount(y[refs]).tolist() == [5, 5, 5, 5]
    k, acc = m.choose_k(emb, y, emb[refs], y[refs], [1, 3, 5, 50])
    assert k in (1, 3, 5) and set(acc) == {1, 3, 5} and acc[k] == max(acc.values())


# --------------------------------------------------------------------------- mixtures
def test_beam_search_finds_the_exact_best_combination():
    rng = np.random.default_rng(3)
    cents = rng.normal(size=(9, 6)).astype(np.float32)
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    members = np.stack([rng.choice(9, 3, replace=False) for _ in range(60)])
    mix = m.normalised_sum(cents[members] + 0.3 * rng.normal(size=(60, 3, 6)))
    exact, exact_score = m.nearest_combination(mix, cents, 3)
    # by hand for one mixture
    combos = list(itertools.combinations(range(9), 3))
    scores = [float(m.normalised_sum(cents[list(c)]) @ mix[0]) for c in combos]
    assert tuple(exact[0]) == combos[int(np.argmax(scores))]
    wide, wide_score = m.beam_search(mix, cents, 3, beam=36)  # C(9, 2) = 36 partial sets: exact
    assert np.array_equal(wide, exact) and np.allclose(wide_score, exact_score, atol=1e-5)
    greedy, greedy_score = m.beam_search(mix, cents, 3, beam=1)
    assert (greedy_score <= exact_score + 1e-5).all()
    assert (np.sort(greedy, axis=1) == greedy).all() and all(len(set(r)) == 3 for r in greedy)
    with pytest.raises(ValueError):
        m.nearest_combination(mix, cents, 3, max_combinations=10)
    assert m.combination_count(500, 4) == 2_573_031_125


def test_component_accuracy_counts_at_least_j_correct():
    members = np.array([[1, 2, 3], [1, 2, 3], [4, 5, 6]])
    pred = np.array([[1, 2, 3], [1, 2, 9], [7, 8, 6]])
    assert m.component_accuracy(pred, members).tolist() == pytest.approx([1.0, 2 / 3, 1 / 3])


def test_make_mixtures_and_sum_consistency():
    classes = synthetic.generate_classes(6, datapoints=500, boundary=60, seed=1)
    mixes = m.make_mixtures(classes, 3, 10, seed=0, downsample=2)
    assert mixes.x.shape == (10, 250) and mixes.components.shape == (10, 3, 250) and mixes.members.shape == (10, 3)
    assert all(len(set(r)) == 3 for r in mixes.members)
    assert np.allclose(mixes.x.max(axis=1), 1.0)
    summed = mixes.components.sum(axis=1)
    assert np.allclose(mixes.x, summed / summed.max(axis=1, keepdims=True), atol=0.05)  # equal parts, renormalised
    emb = np.eye(6, dtype=np.float32)[mixes.members]  # orthogonal class embeddings
    check = m.sum_consistency(emb, m.normalised_sum(emb))
    assert np.allclose(check["sum"], 1.0) and (check["best_member"] < 0.6).all()


# --------------------------------------------------------------------------- end to end
def test_tiny_training_separates_easy_classes():
    classes = synthetic.generate_classes(6, datapoints=1000, boundary=100, seed=5)
    data = Study(labels=tuple(range(6)), downsample=4, n_train=32, n_val=8, rules="plain").dataset(classes)
    config = tr.TrainConfig(lr=2e-3, batch_size=24, max_epochs=10, patience=None)
    result = m.train_encoder(data, config, dim=8, margin=0.3, per_class=4, seed=0, bn_momentum=0.1)
    assert result.epochs == 10 and "val_accuracy" in result.history[-1]
    refs = m.select_references(data["y_train"], 5)
    ev = m.evaluate_knn(
        result.model,
        (data["x_train"][refs], data["y_train"][refs]),
        (data["x_val"], data["y_val"]),
        (data["x_test"], data["y_test"]),
        ks=(1, 3),
    )
    assert ev["accuracy"] >= 0.8  # chance: 1/6
    with pytest.raises(ValueError):
        m.train_encoder(data, tr.TrainConfig(batch_size=10), per_class=4)


def test_fit_uses_the_batch_order_hook():
    x = np.random.default_rng(0).random((40, 16)).astype(np.float32)
    y = np.repeat(np.arange(5), 8)
    seen = []

    def loss(out, labels):
        seen.append(labels.tolist())
        return out.pow(2).mean()

    config = tr.TrainConfig(batch_size=8, max_epochs=2, patience=None)
    tr.fit(torch.nn.Linear(16, 3), (x, y), config=config, loss=loss, progress=False, batch_order=m.pk_sampler(4))
    assert len(seen) == 10 and all(b[:4] == [b[0]] * 4 and b[4:] == [b[4]] * 4 for b in seen)
    with pytest.raises(ValueError, match="outside"):
        tr.fit(torch.nn.Linear(16, 3), (x, y), config=config, loss=loss, progress=False,
               batch_order=lambda s, e, lab: np.arange(41))  # fmt: skip
