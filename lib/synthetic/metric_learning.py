"""Metric learning on spectra (Vorozhtsov & Kitina 2024, "V24").

A convolutional *encoder* maps a spectrum to a point on the unit sphere; a triplet loss pulls
spectra of one class together and pushes other classes at least ``margin`` further away; a
spectrum is then classified by its nearest neighbours among labelled *reference* spectra, which
works for classes the encoder never saw in training. Mixtures are decomposed by adding
embeddings.

* :class:`Encoder`: the convolution stack of an S23 benchmark network (:func:`lib.models.benchmark.build`;
  V24 use the stack of S23's CNN-BN, :data:`ARCHITECTURE`) with a linear embedding head of
  ``dim`` outputs, L2-normalised.
* :class:`TripletLoss`: online mining inside each mini-batch, ``"batch-hard"`` (hardest positive
  and hardest negative per anchor; Hermans et al. 2017) or ``"semi-hard"`` (every positive pair
  with the closest negative farther than the positive; Schroff et al. 2015, as TensorFlow
  Addons' ``TripletSemiHardLoss``). Mining needs several spectra per class in a batch:
  :func:`pk_order` builds batches of ``P`` classes × ``K`` spectra and is handed to
  :func:`lib.train.fit` as its ``batch_order``; :func:`train_encoder` wires it all up.
* k-nearest neighbours: :func:`knn_search` is an exact search (all query × reference cosine
  similarities by matrix product, in chunks); :func:`knn_classify` votes, :func:`choose_k` picks
  ``k`` on validation data.
* Mixtures: :func:`make_mixtures` sums 2–4 max-normalised class spectra; :func:`sum_consistency`
  compares the normalised sum of member embeddings with the mixture's embedding;
  :func:`nearest_combination` is V24's classifier (every ``C(n, k)`` combination of class
  centroids), :func:`beam_search` finds a combination without enumerating them all;
  :func:`component_accuracy` is V24 Table 1's measure.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lib import train as tr
from lib.models import benchmark
from lib.synthetic import generator as synthetic
from lib.synthetic.benchmark_runs import prepare, subset_classes

#: V24's encoder: "a neural network with identical convolutional layer architecture" to one that reached
#: 99.02 ± 0.21 % on the S23 benchmark; of S23's eight networks that is CNN-BN (44.2 errors of 4,500).
ARCHITECTURE = "CNN-BN"
MININGS = ("batch-hard", "semi-hard")


# --------------------------------------------------------------------------- encoder
class Encoder(nn.Module):
    """Convolution stack of a benchmark network → flatten → (hidden dense layers) → linear ``dim`` → L2 norm.

    ``architecture`` and ``switches`` go to :func:`lib.models.benchmark.build` (e.g.
    ``batch_norm=False``); only its ``features`` are kept. ``hidden``: sizes of ReLU dense layers
    before the embedding (none by default); ``dropout`` acts before every dense layer.
    ``bn_momentum`` overrides the batch-norm momentum of the stack (PyTorch convention; the
    benchmark nets use Keras' slow 0.01, whose running statistics lag far behind in short runs).

    ``zero_anchor`` (ours, not V24's): the embedding is ``normalise(z(x) − z(0))``, where ``z`` is the
    output before normalisation and ``0`` the empty spectrum (appended to every batch). Convolutions,
    LeakyReLU, pooling and batch norm (eval mode) act locally, so where the peaks of two spectra are
    farther apart than the receptive field, ``z(a + b) − z(0) = (z(a) − z(0)) + (z(b) − z(0))``: the
    embedding of a mixture is then exactly the normalised sum of its members' (up to scale).
    """

    def __init__(
        self,
        input_len: int = 5000,
        dim: int = 64,
        architecture: str = ARCHITECTURE,
        hidden: Sequence[int] = (),
        dropout: float = 0.0,
        bn_momentum: float | None = None,
        init: str = "keras",
        zero_anchor: bool = False,
        **switches,
    ):
        super().__init__()
        self.zero_anchor = zero_anchor
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        base = benchmark.build(architecture, input_len, 1, dense=(), dropout=0.0, init=init, **switches)
        self.name, self.input_len, self.dim = f"{base.name}-embedding", input_len, dim
        self.features, self.flat_size = base.features, base.flat_size
        layers: list[nn.Module] = [nn.Flatten()]
        width = self.flat_size
        for size in hidden:
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(width, dim))
        self.head = nn.Sequential(*layers)
        if init == "keras":
            benchmark.keras_init(self.head)
        if bn_momentum is not None:
            for module in self.features.modules():
                if isinstance(module, nn.BatchNorm1d):
                    module.momentum = bn_momentum

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(1)
        if not self.zero_anchor:
            return F.normalize(self.head(self.features(x)), dim=1)
        z = self.head(self.features(torch.cat([x, x.new_zeros(1, *x.shape[1:])])))
        return F.normalize(z[:-1] - z[-1:], dim=1)


# --------------------------------------------------------------------------- triplet loss
def pairwise_distances(emb: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """Euclidean distances between all rows, ``(B, B)``; exactly 0 on the diagonal, finite gradients."""
    sq = (emb * emb).sum(dim=1)
    d2 = (sq[:, None] - 2 * emb @ emb.T + sq[None, :]).clamp_min(0.0)
    d2 = d2 * (1 - torch.eye(len(emb), device=emb.device, dtype=emb.dtype))
    if squared:
        return d2
    zero = d2 == 0
    return torch.sqrt(d2 + zero * 1e-16) * ~zero  # no infinite gradient of sqrt at 0


def _masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def batch_hard_mining(dist: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per anchor: index of the farthest same-class and of the closest other-class sample, and whether both exist."""
    pos_mask, neg_mask = _masks(labels)
    inf = torch.tensor(float("inf"), dtype=dist.dtype, device=dist.device)
    hardest_pos = torch.where(pos_mask, dist, -inf).argmax(dim=1)
    hardest_neg = torch.where(neg_mask, dist, inf).argmin(dim=1)
    return hardest_pos, hardest_neg, pos_mask.any(dim=1) & neg_mask.any(dim=1)


def semi_hard_negatives(dist: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distance of the chosen negative for every (anchor, positive) pair, ``(B, B)``, and the valid pairs.

    The negative is the closest one farther from the anchor than the positive; when there is none,
    the farthest negative (TensorFlow Addons' rule). Valid: a positive pair whose anchor has a negative.
    """
    pos_mask, neg_mask = _masks(labels)
    inf = torch.tensor(float("inf"), dtype=dist.dtype, device=dist.device)
    d_an = dist[:, None, :]  # (a, 1, n)
    d_ap = dist[:, :, None]  # (a, p, 1)
    outside = torch.where(neg_mask[:, None, :] & (d_an > d_ap), d_an, inf).amin(dim=2)  # (a, p)
    inside = torch.where(neg_mask, dist, -inf).amax(dim=1, keepdim=True)  # (a, 1)
    chosen = torch.where(torch.isfinite(outside), outside, inside.expand_as(outside))
    return chosen, pos_mask & neg_mask.any(dim=1, keepdim=True)


class TripletLoss(nn.Module):
    """Triplet loss ``max(d(a, p) − d(a, n) + margin, 0)`` with online mining (see the module docstring).

    ``mining="batch-hard"``: mean over anchors of the hardest triplet; ``"semi-hard"``: mean over
    all positive pairs with their semi-hard negative. Distances are Euclidean (``squared=True``:
    squared). A batch without any valid triplet gives 0 (with a gradient of 0).
    """

    def __init__(self, margin: float = 0.2, mining: str = "batch-hard", squared: bool = False):
        super().__init__()
        if mining not in MININGS:
            raise ValueError(f"mining must be one of {MININGS}, got {mining!r}")
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin!r}")
        self.margin, self.mining, self.squared = float(margin), mining, squared

    def forward(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        dist = pairwise_distances(emb, self.squared)
        if self.mining == "batch-hard":
            pos, neg, valid = batch_hard_mining(dist, labels)
            rows = torch.arange(len(dist), device=dist.device)
            losses = F.relu(dist[rows, pos] - dist[rows, neg] + self.margin)[valid]
        else:
            d_an, valid = semi_hard_negatives(dist, labels)
            losses = F.relu(dist - d_an + self.margin)[valid]
        if losses.numel() == 0:
            return emb.sum() * 0.0
        return losses.mean()

    def extra_repr(self) -> str:
        return f"margin={self.margin}, mining={self.mining!r}, squared={self.squared}"


# --------------------------------------------------------------------------- batches of P classes × K spectra
def pk_order(seed: int, epoch: int, labels: np.ndarray, k: int, keep_rest: bool = False) -> np.ndarray:
    """Sample order in which every run of ``k`` consecutive samples shares a class, groups shuffled.

    Per class the samples are shuffled and cut into groups of ``k``; a class with fewer than ``k``
    samples fills its one group by drawing with replacement; the groups are shuffled. Left-over
    samples (fewer than ``k``) are dropped, or appended at the end with ``keep_rest``. A batch
    size that is a multiple of ``k`` thus holds ``batch / k`` groups. Depends only on the arguments.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    labels = np.asarray(labels)
    rng = np.random.default_rng([seed, epoch, 2])
    groups, rest = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if len(idx) < k:
            groups.append(np.concatenate([idx, rng.choice(idx, k - len(idx))]))
            continue
        m = len(idx) // k * k
        groups.extend(idx[:m].reshape(-1, k))
        rest.append(idx[m:])
    order = np.stack(groups)[rng.permutation(len(groups))].ravel()
    if keep_rest and rest:
        order = np.concatenate([order, *rest])
    return order.astype(np.int64)


def pk_sampler(k: int) -> Callable[[int, int, np.ndarray], np.ndarray]:
    """``batch_order`` for :func:`lib.train.fit`: :func:`pk_order` with ``k`` spectra per class."""

    def order(seed: int, epoch: int, labels: np.ndarray) -> np.ndarray:
        return pk_order(seed, epoch, labels, k)

    return order


# --------------------------------------------------------------------------- exact nearest neighbours
def _tensor(x) -> torch.Tensor:
    return x.float() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x, dtype=np.float32))


def knn_search(
    queries, references, k: int = 1, exclude_self: bool = False, chunk: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` references most similar to every query (cosine = dot product of unit vectors), exactly.

    Every query × reference product is computed (a matrix product per chunk of queries) and the
    top ``k`` kept, so the result is the exact one. ``exclude_self``: queries *are* the references
    (leave-one-out). Returns similarities and indices, ``(n_queries, k)``, most similar first.
    """
    q, r = _tensor(queries), _tensor(references)
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries have {q.shape[1]} dimensions, references {r.shape[1]}")
    if exclude_self and len(q) != len(r):
        raise ValueError("exclude_self needs queries and references to be the same set")
    k = min(k, len(r) - int(exclude_self))
    if k < 1:
        raise ValueError("not enough references for a neighbour")
    chunk = chunk or max(1, 2**25 // max(len(r), 1))
    sims, idx = [], []
    for start in range(0, len(q), chunk):
        s = q[start : start + chunk] @ r.T
        if exclude_self:
            rows = torch.arange(len(s))
            s[rows, start + rows] = -float("inf")
        top = s.topk(k, dim=1)
        sims.append(top.values)
        idx.append(top.indices)
    return torch.cat(sims).numpy(), torch.cat(idx).numpy()


def vote(neighbour_labels: np.ndarray, neighbour_sims: np.ndarray) -> np.ndarray:
    """Majority label of each row of neighbours; ties go to the larger summed similarity."""
    classes, inv = np.unique(neighbour_labels, return_inverse=True)
    inv = inv.reshape(neighbour_labels.shape)
    k = neighbour_labels.shape[1]
    weight = 1.0 + (1.0 + np.asarray(neighbour_sims, dtype=np.float64)) / (2 * (k + 1))  # count + tie-break < 1
    scores = np.zeros((len(inv), len(classes)))
    np.add.at(scores, (np.repeat(np.arange(len(inv)), k), inv.ravel()), weight.ravel())
    return classes[scores.argmax(axis=1)]


def knn_classify(query_emb, ref_emb, ref_labels, k: int = 1) -> np.ndarray:
    """Label of each query by a vote of its ``k`` nearest references (:func:`knn_search`, :func:`vote`)."""
    sims, idx = knn_search(query_emb, ref_emb, k)
    return vote(np.asarray(ref_labels)[idx], sims)


def choose_k(val_emb, val_labels, ref_emb, ref_labels, ks: Sequence[int]) -> tuple[int, dict[int, float]]:
    """The ``k`` of ``ks`` with the best validation accuracy (the smallest on ties) and every accuracy."""
    ks = sorted({int(k) for k in ks if k <= len(ref_labels)})
    if not ks:
        raise ValueError("no usable k (each must be at most the number of references)")
    sims, idx = knn_search(val_emb, ref_emb, max(ks))
    neighbours = np.asarray(ref_labels)[idx]
    val_labels = np.asarray(val_labels)
    acc = {k: float((vote(neighbours[:, :k], sims[:, :k]) == val_labels).mean()) for k in ks}
    return max(ks, key=lambda k: (acc[k], -k)), acc


def loo_accuracy(emb: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Leave-one-out 1-NN accuracy inside a set of embeddings (a ``metric`` for :func:`lib.train.fit`)."""
    _, idx = knn_search(emb, emb, 1, exclude_self=True)
    labels = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
    return {"accuracy": float((labels[idx[:, 0]] == labels).mean())}


def select_references(labels: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of ``per_class`` randomly chosen samples of every class (all when a class has fewer), sorted."""
    labels = np.asarray(labels)
    rng = np.random.default_rng([seed, 3])
    chosen = [
        rng.choice(np.flatnonzero(labels == c), min(per_class, int((labels == c).sum())), replace=False)
        for c in np.unique(labels)
    ]
    return np.sort(np.concatenate(chosen))


def embed(model: nn.Module, x, batch_size: int = 512, device=None) -> np.ndarray:
    """Embeddings of ``x`` (eval mode, batches), float32 ``(n, dim)``."""
    return tr.predict(model, x, batch_size=batch_size, device=device)


# --------------------------------------------------------------------------- training and evaluation
def train_encoder(
    data: dict[str, np.ndarray],
    config: tr.TrainConfig,
    *,
    dim: int = 64,
    margin: float = 0.2,
    mining: str = "batch-hard",
    per_class: int = 4,
    seed: int = 0,
    device="auto",
    train_data: Callable | None = None,
    checkpoint=None,
    progress: bool = False,
    bf16: bool = False,
    on_epoch_end: Callable[[dict], None] | None = None,
    desc: str | None = None,
    **encoder,
) -> tr.FitResult:
    """Train an :class:`Encoder` with :class:`TripletLoss` through :func:`lib.train.fit`.

    ``data`` holds ``x_train, y_train, x_val, y_val`` (max-normalised). Mini-batches are
    ``config.batch_size / per_class`` classes × ``per_class`` spectra (:func:`pk_order`); the
    validation set is put once into the same kind of order, so its loss also sees positives and
    negatives in every batch, and its ``val_accuracy`` is the leave-one-out 1-NN accuracy.
    ``train_data``: a per-epoch callback (fresh variations) instead of the fixed training set.
    ``bf16``: compute under bfloat16 autocast (:class:`lib.train.Autocast`; faster on CPUs with
    native bfloat16, not V24's float32). ``on_epoch_end`` and ``desc`` go to :func:`lib.train.fit`.
    ``encoder``: keyword arguments of :class:`Encoder`.
    """
    if config.batch_size % per_class:
        raise ValueError(f"batch_size {config.batch_size} must be a multiple of per_class {per_class}")
    input_len = data["x_train"].shape[-1]
    val_order = pk_order(seed, 0, data["y_val"], per_class, keep_rest=True)

    def build() -> nn.Module:
        net = Encoder(input_len, dim, **encoder)
        return tr.Autocast(net) if bf16 else net

    return tr.fit(
        build,
        train_data or (data["x_train"], data["y_train"]),
        (data["x_val"][val_order], data["y_val"][val_order]),
        config,
        seed=seed,
        loss=TripletLoss(margin, mining),
        metric=loo_accuracy,
        device=device,
        checkpoint=checkpoint,
        progress=progress,
        batch_order=pk_sampler(per_class),
        on_epoch_end=on_epoch_end,
        desc=desc,
    )


def evaluate_knn(
    model: nn.Module,
    references: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    ks: Sequence[int] = (1, 3, 5, 7, 9),
    device=None,
) -> dict:
    """k-NN classification of ``test`` against ``references``, ``k`` chosen on ``val``; all ``(x, y)`` pairs."""
    ref_emb = embed(model, references[0], device=device)
    k, val_acc = choose_k(embed(model, val[0], device=device), val[1], ref_emb, references[1], ks)
    test_emb = embed(model, test[0], device=device)
    pred = knn_classify(test_emb, ref_emb, references[1], k)
    wrong = np.flatnonzero(pred != np.asarray(test[1]))
    return {
        "k": k,
        "val_accuracy": val_acc,
        "n": len(pred),
        "n_wrong": len(wrong),
        "accuracy": 1 - len(wrong) / len(pred),
        "wrong": wrong,
        "pred": pred,
        "n_references": len(references[1]),
        "test_emb": test_emb,
        "ref_emb": ref_emb,
    }


def pair_distances(
    emb: np.ndarray, labels: np.ndarray, max_pairs: int = 200_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances of same-class (positive) and different-class (negative) pairs, each at most ``max_pairs``.

    All positive pairs ``i < j`` when there are few enough, else a random sample; negatives are random pairs.
    """
    emb, labels = np.asarray(emb, dtype=np.float64), np.asarray(labels)
    rng = np.random.default_rng([seed, 4])
    i, j = np.triu_indices(len(labels), k=1)
    same = labels[i] == labels[j]
    pi, pj = i[same], j[same]
    if len(pi) > max_pairs:
        keep = rng.choice(len(pi), max_pairs, replace=False)
        pi, pj = pi[keep], pj[keep]
    ni, nj = i[~same], j[~same]
    if len(ni) > max_pairs:
        keep = rng.choice(len(ni), max_pairs, replace=False)
        ni, nj = ni[keep], nj[keep]

    def dist(a, b):
        return np.linalg.norm(emb[a] - emb[b], axis=1)

    return dist(pi, pj), dist(ni, nj)


# --------------------------------------------------------------------------- mixtures
@dataclass(frozen=True)
class Mixtures:
    """Mixture spectra ``x`` (model input), their member classes ``members`` ``(n, k)`` and ``components``
    ``(n, k, L)`` (each member's spectrum alone, model input)."""

    x: np.ndarray
    members: np.ndarray
    components: np.ndarray


def make_mixtures(
    classes: synthetic.ClassSet,
    n_components: int,
    n: int,
    seed: int = 0,
    downsample: int = 1,
    variation: synthetic.Variation | None = None,
    pool: Sequence[int] | None = None,
) -> Mixtures:
    """``n`` synthetic mixtures of ``n_components`` distinct classes drawn from ``pool`` (all classes by default).

    Each member is one randomly varied spectrum of its class (``variation``; default S23's training variation),
    divided by its maximum; the mixture is their sum, down-sampled and divided by its maximum
    (:func:`lib.synthetic.benchmark_runs.prepare`), i.e. equal parts of every member.
    """
    pool = np.arange(len(classes)) if pool is None else np.asarray(pool)
    if not 1 <= n_components <= len(pool):
        raise ValueError(f"n_components must lie in [1, {len(pool)}], got {n_components}")
    rng = np.random.default_rng([seed, 5, n_components])
    members = pool[np.argsort(rng.random((n, len(pool))), axis=1)[:, :n_components]]
    peaks = synthetic.vary_peaks(subset_classes(classes, members.ravel()), 1, rng, variation or synthetic.Variation())
    comps = synthetic.normalise(peaks.render(classes.datapoints))
    x = prepare(comps.reshape(n, n_components, -1).sum(axis=1), downsample)
    components = prepare(comps, downsample).reshape(n, n_components, -1)
    return Mixtures(x, members, components)


def centroids(emb: np.ndarray, labels: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Unit-length mean embedding of each class ``0 … n_classes − 1``, ``(n_classes, dim)``."""
    labels = np.asarray(labels)
    n_classes = int(labels.max()) + 1 if n_classes is None else n_classes
    sums = np.zeros((n_classes, emb.shape[1]))
    np.add.at(sums, labels, emb)
    if (np.bincount(labels, minlength=n_classes) == 0).any():
        raise ValueError("every class needs at least one embedding")
    return (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32)


def normalised_sum(emb: np.ndarray) -> np.ndarray:
    """Sum over the second-to-last axis, scaled to unit length: the embedding of a combination."""
    s = np.asarray(emb, dtype=np.float64).sum(axis=-2)
    return (s / np.linalg.norm(s, axis=-1, keepdims=True)).astype(np.float32)


def sum_consistency(member_emb: np.ndarray, mix_emb: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """How close the normalised sum of member embeddings ``(n, k, dim)`` is to the mixture embedding ``(n, dim)``.

    Returns cosine similarities per mixture: ``sum`` (with its own members), ``best_member`` (with
    the closest single member) and ``other`` (with the members of another, randomly paired mixture).
    """
    mix = np.asarray(mix_emb, dtype=np.float64)
    s = normalised_sum(member_emb)
    shuffled = np.random.default_rng([seed, 6]).permutation(len(mix))
    if len(mix) > 1:  # a derangement: move every mixture by one place in the shuffled order
        other = np.empty_like(shuffled)
        other[shuffled] = np.roll(shuffled, 1)
    else:
        other = shuffled
    return {
        "sum": (s * mix).sum(axis=1),
        "best_member": np.einsum("nkd,nd->nk", np.asarray(member_emb, dtype=np.float64), mix).max(axis=1),
        "other": (s[other] * mix).sum(axis=1),
    }


def combination_count(n_classes: int, k: int) -> int:
    """Rows of the nearest-combination table: ``C(n_classes, k)``."""
    return math.comb(n_classes, k)


def nearest_combination(
    mix_emb: np.ndarray, cents: np.ndarray, k: int, chunk: int = 50_000, max_combinations: int = 20_000_000
) -> tuple[np.ndarray, np.ndarray]:
    """V24's classifier: the ``k`` classes whose normalised centroid sum is most similar to each mixture.

    Enumerates all ``C(n, k)`` combinations (in chunks, never stored at once) and refuses more than
    ``max_combinations``. Returns the classes ``(n_mix, k)`` (ascending) and the cosine similarity.
    """
    total = combination_count(len(cents), k)
    if total > max_combinations:
        raise ValueError(f"C({len(cents)}, {k}) = {total:,} combinations exceed max_combinations={max_combinations:,}")
    mix, c = _tensor(mix_emb), _tensor(cents)
    best = torch.full((len(mix),), -float("inf"))
    best_idx = torch.zeros((len(mix), k), dtype=torch.long)
    combos = itertools.combinations(range(len(cents)), k)
    while True:
        block = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, chunk)), dtype=np.int64)
        if block.size == 0:
            break
        block = torch.from_numpy(block.reshape(-1, k))
        sums = F.normalize(c[block].sum(dim=1), dim=1)
        top = (mix @ sums.T).max(dim=1)
        better = top.values > best
        best = torch.where(better, top.values, best)
        best_idx[better] = block[top.indices[better]]
    return best_idx.numpy(), best.numpy()


def beam_search(mix_emb: np.ndarray, cents: np.ndarray, k: int, beam: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """``k`` classes whose normalised centroid sum is most similar to each mixture, by beam search.

    Start from the empty set; at each of ``k`` steps extend every kept set by every class not in it,
    score the extension by the cosine similarity of its normalised centroid sum with the mixture,
    and keep the ``beam`` best distinct sets. ``beam=1`` is the greedy search. Work per mixture:
    ``k · beam · n`` scores instead of ``C(n, k)``; with ``beam >= C(n, j)`` for every ``j < k`` it
    is exact. Returns the classes ``(n_mix, k)`` (ascending) and the similarity.
    """
    mix, c = _tensor(mix_emb), _tensor(cents)
    n, n_classes = len(mix), len(c)
    if not 1 <= k <= n_classes:
        raise ValueError(f"k must lie in [1, {n_classes}], got {k}")
    cm = mix @ c.T  # (n, C): c_j · m
    gram = c @ c.T  # (C, C)
    self_sq = gram.diagonal()
    hashes = torch.from_numpy(np.random.default_rng(7).integers(1, 2**62, n_classes))  # set key = sum of hashes
    sets = torch.zeros((n, 1, 0), dtype=torch.long)
    keys = torch.zeros((n, 1), dtype=torch.long)
    s_dot_m = torch.zeros((n, 1))  # s · m of each kept (unnormalised) sum s
    s_sq = torch.zeros((n, 1))  # |s|²
    s_dot_c = torch.zeros((n, 1, n_classes))  # s · c_j
    alive = torch.ones((n, 1), dtype=torch.bool)
    score = torch.zeros((n, 1))
    for step in range(k):
        num = s_dot_m[:, :, None] + cm[:, None, :]  # (n, B, C)
        norm_sq = s_sq[:, :, None] + 2 * s_dot_c + self_sq[None, None, :]
        cand = num / norm_sq.clamp_min(1e-12).sqrt()
        if step:
            cand.scatter_(2, sets, -float("inf"))  # a class only once
        cand = torch.where(alive[:, :, None], cand, -float("inf"))
        cand_keys = keys[:, :, None] + hashes[None, None, :]
        flat, flat_keys = cand.reshape(n, -1), cand_keys.reshape(n, -1)
        # the same set reached in another order: keep only its best-scored copy
        by_score = flat.argsort(dim=1, descending=True, stable=True)
        keys_by_score = flat_keys.gather(1, by_score)
        sorted_keys, perm = keys_by_score.sort(dim=1, stable=True)
        dup = torch.zeros_like(flat, dtype=torch.bool)
        dup_sorted = torch.cat([torch.zeros((n, 1), dtype=torch.bool), sorted_keys[:, 1:] == sorted_keys[:, :-1]], 1)
        dup.scatter_(1, by_score.gather(1, perm), dup_sorted)
        flat = flat.masked_fill(dup, -float("inf"))
        width = min(beam, flat.shape[1])
        top = flat.topk(width, dim=1)
        b, j = top.indices // n_classes, top.indices % n_classes
        sets = torch.cat([sets.gather(1, b[:, :, None].expand(-1, -1, step)), j[:, :, None]], dim=2)
        keys = flat_keys.gather(1, top.indices)
        s_dot_m = num.reshape(n, -1).gather(1, top.indices)
        s_sq = norm_sq.reshape(n, -1).gather(1, top.indices)
        s_dot_c = s_dot_c.gather(1, b[:, :, None].expand(-1, -1, n_classes)) + gram[j]
        alive = torch.isfinite(top.values)
        score = top.values
    best = score.argmax(dim=1)
    rows = torch.arange(n)
    return sets[rows, best].sort(dim=1).values.numpy(), score[rows, best].numpy()


def component_accuracy(pred: np.ndarray, members: np.ndarray) -> np.ndarray:
    """V24 Table 1: share of mixtures with at least ``j`` members predicted correctly, ``j = 1 … k``."""
    pred, members = np.asarray(pred), np.asarray(members)
    correct = (pred[:, :, None] == members[:, None, :]).any(axis=2).sum(axis=1)
    return np.array([(correct >= j).mean() for j in range(1, members.shape[1] + 1)])
