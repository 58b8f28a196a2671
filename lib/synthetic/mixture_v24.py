"""V24's mixture experiment on V24's own protocol (the authors' public ``mixtureAnalyzer.ipynb``).

The book's other mixture experiment (:mod:`lib.synthetic.metric_full`) is harder by design: a
single-spectrum encoder, all 500 classes, a beam search. This module repeats what V24 ran for their
Table 1, step by step:

* **Encoder** (:class:`V24Net`): conv(16, 21) → max-pool 2 → LeakyReLU → batch norm; conv(32, 11) →
  … ; conv(64, 5) → … ; flatten → linear to 64 → L2 norm ("same" padding), as in the notebook.
* **Mixture-aware triplets** (:func:`triplet_indices`), on classes 100–499 with 20 training spectra
  each (V24's reduced training set; the first 20 of our 50): anchor = a spectrum of class A;
  positive = another spectrum of A **plus** one of a random other class X; negative = a spectrum of X
  plus another of X. Every input is divided by its maximum and gets Gaussian noise of σ 0.005.
* **Loss** (:func:`triplet_loss`): cosine distances, margin 1, only the triplets whose loss exceeds
  0.3 count ("semi-hard" in the notebook), averaged over those.
* **Training**: AdamW, learning rate 4e-3 halved after epochs 4, 8, 12 and 16, batches of 128, 16
  epochs (no early stopping: the notebook trains a fixed 16 epochs).
* **Mixtures** (:func:`test_mixtures`): for every test spectrum of the 100 held-out classes 0–99 (9
  each, 900 in all), add a random test spectrum of each of ``k − 1`` random other held-out classes
  (drawn with replacement, as the notebook does), divide the raw sum by its maximum and add the noise.
* **Classifier**: the references are the normalised mean embeddings of each held-out class's 20
  training spectra; a mixture gets the combination of ``k`` classes whose normalised reference sum
  is nearest, searched exactly over all C(100, k) (:func:`lib.synthetic.metric_learning.nearest_combination`).
* **Score** (:func:`component_accuracy`): the share of mixtures with at least ``j`` members named
  right, counted as the notebook does (a class drawn twice counts twice among the members).

* **Beyond the paper** (:func:`all_classes`): the same encoder names mixtures over all 500 classes,
  exactly for two and three components and by a beam search for four, whose exactness is measured.

Run: ``python -m lib.synthetic.mixture_v24 [--points 5000] [--bf16]``; the record goes to
``book/synthetic/results/full/mixtures/``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lib import reference
from lib import train as tr
from lib.synthetic import benchmark_runs as br
from lib.synthetic import full_scale
from lib.synthetic import generator as synthetic
from lib.synthetic import metric_learning as metric

FORMAT = 1
RESULTS = full_scale.RESULTS / "mixtures"
HELD_OUT = 100  # classes 0…99 are never trained on
COMPONENTS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Protocol:
    """V24's settings (``mixtureAnalyzer.ipynb``); ``points`` and ``bf16`` are ours to choose."""

    points: int = 5000
    seed: int = 0
    data_seed: int = 0
    bf16: bool = False
    n_train: int = 20
    dim: int = 64
    margin: float = 1.0
    semi_hard: float = 0.3
    noise: float = 0.005
    lr: float = 4e-3
    milestones: tuple[int, ...] = (4, 8, 12, 16)
    gamma: float = 0.5
    epochs: int = 16
    batch_size: int = 128

    @property
    def name(self) -> str:
        """File stem: ``V24net-5000-s0`` (``-bf16`` when computed in bfloat16)."""
        return f"V24net-{self.points}{'-bf16' if self.bf16 else ''}-s{self.seed}"


class V24Net(nn.Module):
    """The notebook's ``SiameseNet``: three conv → pool → LeakyReLU → batch-norm blocks, a linear map, L2 norm."""

    def __init__(self, input_len: int = 5000, dim: int = 64):
        super().__init__()
        blocks: list[nn.Module] = []
        channels = [1, 16, 32, 64]
        for c_in, c_out, kernel in zip(channels[:-1], channels[1:], (21, 11, 5), strict=True):
            blocks += [nn.Conv1d(c_in, c_out, kernel, padding="same"), nn.MaxPool1d(2, 2), nn.LeakyReLU(),
                       nn.BatchNorm1d(c_out)]  # fmt: skip
        self.features = nn.Sequential(*blocks, nn.Flatten())
        self.head = nn.Linear(64 * (input_len // 8), dim)
        self.input_len = input_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.head(self.features(x.view(-1, 1, self.input_len)))
        return F.normalize(z.float(), dim=1)


def triplet_loss(a: torch.Tensor, p: torch.Tensor, n: torch.Tensor, margin: float, semi_hard: float):
    """Cosine-distance triplet loss; only losses above ``semi_hard`` count. Returns (loss, share counted)."""
    losses = (1 - F.cosine_similarity(a, p)) - (1 - F.cosine_similarity(a, n)) + margin
    losses = torch.where(losses > semi_hard, losses, torch.zeros_like(losses))
    counted = torch.count_nonzero(losses)
    return losses.sum() / (counted + 1e-16), counted / len(losses)


def transform(x: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """The notebook's input transform: divide each spectrum by its maximum, add Gaussian noise."""
    x = x / x.max(axis=-1, keepdims=True)
    return (x + rng.normal(0.0, noise, x.shape)).astype(np.float32)


def triplet_indices(n_classes: int, n_per: int, rng: np.random.Generator) -> np.ndarray:
    """One epoch of mixture-aware triplets as spectrum indices ``(n_classes · n_per, 5)`` into ``(class, i)``:
    anchor ``(A, i)``; positive ``(A, i') + (X, j)``; negative ``(X, j') + (X, j'')``, X ≠ A drawn per triplet.

    Columns: anchor, positive's A spectrum, positive's X spectrum, negative's two X spectra (flat indices
    ``class · n_per + i``), shuffled into a random order.
    """
    a = np.repeat(np.arange(n_classes), n_per)
    i = np.tile(np.arange(n_per), n_classes)
    x = (a + rng.integers(1, n_classes, a.size)) % n_classes  # any class but A
    pick = lambda c: c * n_per + rng.integers(0, n_per, c.size)  # noqa: E731
    rows = np.stack([a * n_per + i, pick(a), pick(x), pick(x), pick(x)], axis=1)
    return rows[rng.permutation(len(rows))]


def test_mixtures(
    x_test: np.ndarray,
    y_test: np.ndarray,
    k: int,
    noise: float,
    rng: np.random.Generator,
    anchors: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's test mixtures: every test spectrum (or only the rows ``anchors``) plus one random test
    spectrum of each of ``k − 1`` other classes of the whole pool (with replacement); returns the transformed
    mixtures and their members ``(n, k)``."""
    classes = np.unique(y_test)
    by_class = {c: np.flatnonzero(y_test == c) for c in classes}
    rows = np.arange(len(y_test)) if anchors is None else np.asarray(anchors)
    members = np.empty((len(rows), k), dtype=np.int64)
    members[:, 0] = y_test[rows]
    mix = x_test[rows].astype(np.float64).copy()
    for col in range(1, k):
        for row, c in enumerate(members[:, 0]):
            other = classes[classes != c][rng.integers(0, len(classes) - 1)]
            members[row, col] = other
            mix[row] += x_test[by_class[other][rng.integers(0, len(by_class[other]))]]
    return transform(mix, noise, rng), members


def component_accuracy(pred: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Share of mixtures with at least ``j`` members right, ``j = 1 … k``, counted as the notebook does:
    errors = k − |set(members) ∩ set(pred)|."""
    k = members.shape[1]
    right = np.array([len(np.intersect1d(m, p)) for m, p in zip(members, pred, strict=True)])
    return np.array([(right >= j).mean() for j in range(1, k + 1)])


def data(protocol: Protocol, classes: synthetic.ClassSet) -> dict[str, np.ndarray]:
    """Training spectra (classes 100…, the first ``n_train`` of S23's 50 per class), the held-out classes'
    training spectra (references) and test spectra, raw (not normalised), down-sampled to ``points``."""
    factor = classes.datapoints // protocol.points
    if factor * protocol.points != classes.datapoints:
        raise ValueError(f"points must divide {classes.datapoints}, got {protocol.points}")
    study = br.Study(tuple(range(len(classes))), protocol.data_seed, 1, 50, 10, "benchmark")
    peaks = study.peaks(classes)  # S23's 50 training spectra per class, class-major; V24 keep the first 20
    n = len(classes)
    keep = (np.arange(n * 50) % 50) < protocol.n_train
    train_peaks = synthetic.Peaks(
        *(getattr(peaks["train"], f)[keep] for f in ("positions", "heights", "sigma", "labels"))
    )
    x_train = br.downsample_mean(train_peaks.render(classes.datapoints), factor).reshape(n, protocol.n_train, -1)
    raw = {"x_test": peaks["test"].render(classes.datapoints), "y_test": peaks["test"].labels}
    x_test = br.downsample_mean(raw["x_test"], factor)
    held = raw["y_test"] < HELD_OUT
    return {
        "train": x_train[HELD_OUT:],  # (400, 20, L)
        "refs": x_train[:HELD_OUT],  # (100, 20, L)
        "x_test": x_test[held],
        "y_test": raw["y_test"][held],
        "x_test_all": x_test,  # every class's test spectra, for the mixtures over all classes
        "y_test_all": raw["y_test"],
    }


def _embed(model: nn.Module, x: np.ndarray, bf16: bool, batch: int = 256) -> np.ndarray:
    out = []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for s in range(0, len(x), batch):
            out.append(model(torch.from_numpy(np.ascontiguousarray(x[s : s + batch], dtype=np.float32))).float())
    return torch.cat(out).numpy()


def train(
    protocol: Protocol, spectra: dict[str, np.ndarray], folder: Path, log=print
) -> tuple[nn.Module, list[dict[str, float]]]:
    """Train (or resume from ``folder``) the mixture-aware encoder; one checkpoint per epoch."""
    torch.manual_seed(protocol.seed)
    model = V24Net(protocol.points, protocol.dim)
    opt = torch.optim.AdamW(model.parameters(), lr=protocol.lr)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(protocol.milestones), gamma=protocol.gamma)
    history: list[dict[str, float]] = []
    folder.mkdir(parents=True, exist_ok=True)
    recipe = folder / "protocol.json"
    if recipe.is_file() and json.loads(recipe.read_text()) != json.loads(json.dumps(asdict(protocol))):
        raise ValueError(f"checkpoint {folder} belongs to another protocol; use another folder")
    recipe.write_text(json.dumps(asdict(protocol)))
    state = folder / "state.pt"
    if state.is_file():
        saved = torch.load(state, weights_only=False)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        sched.load_state_dict(saved["sched"])
        history = saved["history"]
        log(f"resumed after epoch {len(history)} from {state}")
    train_x = spectra["train"]
    n_classes, n_per, length = train_x.shape
    flat = train_x.reshape(-1, length)
    for epoch in range(len(history) + 1, protocol.epochs + 1):
        rng = np.random.default_rng([protocol.seed, epoch])
        rows = triplet_indices(n_classes, n_per, rng)
        model.train()
        start, losses, shares = time.perf_counter(), [], []
        for s in range(0, len(rows), protocol.batch_size):
            r = rows[s : s + protocol.batch_size]
            anchor = transform(flat[r[:, 0]], protocol.noise, rng)
            positive = transform(flat[r[:, 1]] + flat[r[:, 2]], protocol.noise, rng)
            negative = transform(flat[r[:, 3]] + flat[r[:, 4]], protocol.noise, rng)
            # three forward passes, as the notebook's SiameseNet does: batch norm sees anchors, positive
            # mixtures and negative mixtures each on their own (one concatenated batch would pool them)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=protocol.bf16):
                a, p, n = (model(torch.from_numpy(part)) for part in (anchor, positive, negative))
            loss, share = triplet_loss(a, p, n, protocol.margin, protocol.semi_hard)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            shares.append(share.item())
        sched.step()
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "counted_share": float(np.mean(shares)),
                        "lr": opt.param_groups[0]["lr"], "seconds": time.perf_counter() - start})  # fmt: skip
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "history": history}, state)  # fmt: skip
        log(f"epoch {epoch}: loss {history[-1]['loss']:.4f}, counted {history[-1]['counted_share']:.3f}, "
            f"{history[-1]['seconds']:.0f} s")  # fmt: skip
    return model.eval(), history


def evaluate(
    model: nn.Module, protocol: Protocol, spectra: dict[str, np.ndarray], components=COMPONENTS
) -> list[dict[str, Any]]:
    """Table 1 on V24's protocol: per ``k``, the share of the 900 mixtures with at least ``j`` members right."""
    rng = np.random.default_rng([protocol.seed, 99])
    cents = _centroids(model, spectra["refs"], protocol.bf16)
    rows = []
    for k in components:
        start = time.perf_counter()
        mix, members = test_mixtures(spectra["x_test"], spectra["y_test"], k, protocol.noise, rng)
        pred, _ = metric.nearest_combination(_embed(model, mix, protocol.bf16), cents, k)
        acc = component_accuracy(pred, members)
        published = reference.V24_MIXTURE_ACCURACY.get(k, ())
        for j, share in enumerate(acc, start=1):
            rows.append({"components": k, "at least j right": j, "accuracy": float(share), "n": len(members),
                         "V24": published[j - 1] if j <= len(published) else None,
                         "combinations": metric.combination_count(HELD_OUT, k),
                         "seconds": time.perf_counter() - start})  # fmt: skip
    return rows


def _centroids(model: nn.Module, spectra: np.ndarray, bf16: bool) -> np.ndarray:
    """Unit mean embeddings of each class's reference spectra ``(n_classes, n_per, L)``, max-normalised."""
    flat = (spectra / spectra.max(axis=-1, keepdims=True)).reshape(-1, spectra.shape[-1])
    return metric.centroids(_embed(model, flat, bf16), np.repeat(np.arange(len(spectra)), spectra.shape[1]))


def _same_share(pred: np.ndarray, exact: np.ndarray) -> float:
    """Share of rows on which two searches name the same set of classes."""
    return float((np.sort(pred, axis=1) == np.sort(exact, axis=1)).all(axis=1).mean())


def all_classes(
    model: nn.Module,
    protocol: Protocol,
    spectra: dict[str, np.ndarray],
    n_mix: int = 900,
    beam: int = 16,
    log=print,
) -> dict[str, Any]:
    """Beyond V24: mixtures over all 500 classes, named by the same encoder and references.

    References are the mean embeddings of every class's 20 training spectra (classes 100–499 trained the
    encoder; 0–99 did not); ``n_mix`` test spectra of any class anchor a mixture with test spectra of
    random other classes, built as the notebook builds them. Two and three components are searched
    exactly (C(500, 3) = 20.7 million sums per mixture), four by a beam of ``beam`` sets per step. The
    beam's exactness is measured where the exact answer is known: against the exact search at three
    components over 500 classes and at four over the 100 held-out classes (V24's own test).
    """
    rng = np.random.default_rng([protocol.seed, 500])
    refs = np.concatenate([spectra["refs"], spectra["train"]])  # classes 0…499 in order
    cents = _centroids(model, refs, protocol.bf16)
    x, y = spectra["x_test_all"], spectra["y_test_all"]
    anchors = np.sort(rng.choice(len(y), size=min(n_mix, len(y)), replace=False))
    rows, search = [], []

    def score(k: int, method: str, pred: np.ndarray, members: np.ndarray, pool: int, seconds: float) -> None:
        for j, share in enumerate(component_accuracy(pred, members), start=1):
            rows.append({"components": k, "method": method, "pool": pool, "at least j right": j,
                         "accuracy": float(share), "n": len(members), "seconds": seconds})  # fmt: skip

    for k in (2, 3, 4):
        mix, members = test_mixtures(x, y, k, protocol.noise, rng, anchors=anchors)
        emb = _embed(model, mix, protocol.bf16)
        exact = None
        if k <= 3:
            start = time.perf_counter()
            exact, _ = metric.nearest_combination(emb, cents, k, max_combinations=25_000_000)
            score(k, "exact", exact, members, len(cents), time.perf_counter() - start)
        if k >= 3:
            start = time.perf_counter()
            pred, _ = metric.beam_search(emb, cents, k, beam=beam)
            seconds = time.perf_counter() - start
            score(k, f"beam {beam}", pred, members, len(cents), seconds)
            if exact is not None:
                same = _same_share(pred, exact)
                search.append({"components": k, "pool": len(cents), "method": f"beam {beam}",
                               "same answer as exact": same, "n": len(members)})  # fmt: skip
        log(f"all classes, {k} components: done")
    # the beam at four components where the exact answer is affordable: V24's 100 held-out classes
    held = _centroids(model, spectra["refs"], protocol.bf16)
    mix, members = test_mixtures(spectra["x_test"], spectra["y_test"], 4, protocol.noise, rng)
    emb = _embed(model, mix, protocol.bf16)
    exact, _ = metric.nearest_combination(emb, held, 4)
    pred, _ = metric.beam_search(emb, held, 4, beam=beam)
    same = _same_share(pred, exact)
    search.append({"components": 4, "pool": len(held), "method": f"beam {beam}", "same answer as exact": same,
                   "n": len(members)})  # fmt: skip
    return {"pool": len(cents), "n": len(anchors), "beam": beam, "accuracy": rows, "search": search}


def run(
    protocol: Protocol, out: Path = RESULTS, checkpoint_dir: Path | None = None, beyond: bool = True, log=print
) -> dict[str, Any]:
    """Train, evaluate and write the record ``out/<name>.json`` (a finished record is read back; one without
    the mixtures over all classes gets them added when ``beyond``, from the finished checkpoint)."""
    path = Path(out) / f"{protocol.name}.json"
    done = json.loads(path.read_text()) if path.is_file() else None
    if done is not None and (done.get("all_classes") or not beyond):
        return done
    classes = synthetic.load_classes(full_scale.default_classes("benchmark"))
    start = time.perf_counter()
    spectra = data(protocol, classes)
    folder = Path(checkpoint_dir) if checkpoint_dir else full_scale.default_checkpoints() / "mixtures" / protocol.name
    model, history = train(protocol, spectra, folder, log)
    if done is not None:  # a finished record without the mixtures over all classes: add them
        done["all_classes"] = all_classes(model, protocol, spectra, log=log)
        _write(path, done)
        log(f"added the mixtures over all classes to {path}")
        return done
    rows = evaluate(model, protocol, spectra)
    record = {
        "format": FORMAT,
        "part": "mixtures-v24",
        "protocol": asdict(protocol),
        "points": protocol.points,
        "reduced": protocol.points != classes.datapoints,
        "classes": full_scale.classes_digest(classes),
        "n_classes": HELD_OUT,
        "trained_classes": len(classes) - HELD_OUT,
        "epochs": len(history),
        "history": history,
        "machine": tr.device_name("cpu"),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "seconds": time.perf_counter() - start,
        "accuracy": rows,
    }
    if beyond:
        record["all_classes"] = all_classes(model, protocol, spectra, log=log)
    _write(path, record)
    log(f"wrote {path}")
    return record


def _write(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` atomically (a temporary file renamed over ``path``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)


def load_records(folder: str | os.PathLike = RESULTS) -> list[dict[str, Any]]:
    """Every record in ``folder`` (sorted by name); an empty list without the folder."""
    folder = Path(folder)
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def table(record: dict[str, Any]):
    """Our shares beside V24's Table 1: one row per (components, at least j right)."""
    import pandas as pd

    frame = pd.DataFrame(record["accuracy"])[["components", "at least j right", "accuracy", "V24", "n"]]
    return frame.assign(difference=frame["accuracy"] - frame["V24"].astype(float))


def pick(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The record to show: a full-scale one (5,000 points) if any, else the largest reduced one."""
    if not records:
        return None
    return max(records, key=lambda r: (not r.get("reduced"), r["points"]))


def sentence(records: list[dict[str, Any]], within: float = 0.02) -> str:
    """What the shipped run on V24's protocol scores beside V24's Table 1, and how many rows lie ``within``."""
    r = pick(records)
    if r is None:
        return "No run on V24's protocol is shipped yet."
    t = table(r)
    full = t[t["components"] == t["at least j right"]].set_index("components")
    ks = [k for k in full.index if k > 1]
    ours = ", ".join(f"{100 * full.loc[k, 'accuracy']:.1f}" for k in ks)
    theirs = ", ".join(f"{100 * full.loc[k, 'V24']:.1f}" for k in ks)
    rows = t.dropna(subset=["V24"])
    close = int((rows["difference"].abs() <= within + 1e-9).sum())
    above = int((rows["difference"] >= 0).sum())
    worst = rows.loc[rows["difference"].abs().idxmax()]
    scale = f"{r['points']:,} points per spectrum" + ("; a reduced run, V24 used 5,000" if r.get("reduced") else "")
    precision = "bfloat16" if r["protocol"].get("bf16") else "float32"
    epochs = f"{r['epochs']} epoch{'' if r['epochs'] == 1 else 's'}"
    sizes = ", ".join(f"{k}-" for k in ks[:-1]) + f" and {ks[-1]}-component" if len(ks) > 1 else f"{ks[0]}-component"
    return (
        f"Trained and scored as V24's notebook does ({epochs} in {precision}, one seed, {scale}), "
        f"the encoder names every member of {sizes} mixtures of the held-out classes "
        f"in {ours} % of {int(full['n'].iloc[0])} mixtures each (V24: {theirs} %). {above} of {len(rows)} rows of "
        f"Table 1 are at or above V24's and {close} lie within {100 * within:.0f} points of it; the largest gap is "
        f"{100 * worst['difference']:+.1f} points ({int(worst['components'])} components, at least "
        f"{int(worst['at least j right'])} right)."
    )


def pick_all_classes(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The record whose mixtures over all classes to show (:func:`pick` among those that have them)."""
    return pick([r for r in records if r.get("all_classes")])


def all_classes_table(record: dict[str, Any]):
    """The mixtures over all classes (:func:`all_classes`): one row per number of components and search, the
    share with every member named, and how often the beam found the exact answer where that was measured."""
    import pandas as pd

    beyond = record.get("all_classes")
    if not beyond:
        return pd.DataFrame()
    rows = pd.DataFrame(beyond["accuracy"])
    rows = rows[rows["components"] == rows["at least j right"]]
    exactness = {(s["components"], s["method"]): s for s in beyond["search"] if s["pool"] == beyond["pool"]}
    return pd.DataFrame(
        {"components": r.components, "search": r.method, "classes": r.pool,
         "combinations": metric.combination_count(r.pool, r.components) if r.method == "exact" else np.nan,
         "all members right": r.accuracy, "mixtures": r.n,
         "same answer as exact": exactness.get((r.components, r.method), {}).get("same answer as exact", np.nan)}
        for r in rows.itertuples()
    )  # fmt: skip


def all_classes_sentence(records: list[dict[str, Any]]) -> str:
    """What the shipped encoder does on mixtures over all classes, with the beam's measured exactness."""
    r = pick_all_classes(records)
    if r is None:
        return "The mixtures over all 500 classes are not run yet."
    beyond = r["all_classes"]
    t = all_classes_table(r).set_index(["components", "search"])
    beam = f"beam {beyond['beam']}"
    exact = [k for k in (2, 3) if (k, "exact") in t.index]
    shares = " and ".join(f"{100 * t.loc[(k, 'exact'), 'all members right']:.1f}" for k in exact)
    checks = " and ".join(
        f"{100 * s['same answer as exact']:.0f} % of the {s['components']}-component mixtures over {s['pool']} classes"
        for s in beyond["search"]
    )
    scale = "" if not r.get("reduced") else f" (a reduced run at {r['points']:,} points)"
    return (
        f"Beyond V24, the same encoder{scale} names the members of mixtures drawn from all {beyond['pool']} classes "
        f"({r['trained_classes']} of them seen in training), with references for every class: every member of "
        f"{' and '.join(f'{k}-' for k in exact)}component mixtures in {shares} % of {beyond['n']} mixtures by the "
        f"exact search, and of 4-component mixtures in {100 * t.loc[(4, beam), 'all members right']:.1f} % by a "
        f"beam search keeping {beyond['beam']} sets per step, which found the exact search's answer in {checks}."
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lib.synthetic.mixture_v24", description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=5000, help="points per spectrum (5000: full scale)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bf16", action="store_true", help="compute under bfloat16 autocast (not V24's float32)")
    p.add_argument("--epochs", type=int, default=16, help="V24: 16")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--checkpoint-dir", type=Path)
    p.add_argument("--no-beyond", action="store_true", help="skip the mixtures over all 500 classes")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    protocol = Protocol(points=args.points, seed=args.seed, bf16=args.bf16, epochs=args.epochs)
    record = run(protocol, args.out, args.checkpoint_dir, beyond=not args.no_beyond)
    print(table(record).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
