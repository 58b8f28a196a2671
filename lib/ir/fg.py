"""Training, saving, loading and evaluating ensembles of R23's FGA net over seeds.

The chapters *Training the CNN* and *Benchmarking functional groups* call this module; the
training itself is :func:`lib.train.fit` (the one harness), the loss :mod:`lib.losses`, the
scores :mod:`lib.metrics`.

**Protocol** (R23's released code): the data set is split 70/15/15 once, with
:meth:`lib.ir.datasets.IRSet.split` ``(split_seed)`` (default :data:`lib.reference.R23_SPLIT_SEED`,
the same split for every model as in R23), so the seeds vary only the initialisation and the
batch order; ``split_seed=None`` splits with each model's own seed instead (to measure split
variance). The net is built after seeding with ``s``; Adam (rate 1e-3), batch 128, early
stopping after 6 epochs without a lower validation loss (the released ``train.py``), best weights
restored (:data:`lib.train.R23`); loss R23 eq. 2 with the group proportions of the training
split (``reweight=False``: plain mean binary cross-entropy). With
``l2_penalty=True`` the training loss also gets the released code's sum of squares of the last
convolution (:func:`lib.losses.r23_l2_penalty`). Per-group decision thresholds maximising F1 on
the model's *training* predictions (the authors' rule, :func:`lib.metrics.best_f1_thresholds`)
are stored with every model.

**Saved models** (:func:`save_model`): a folder holds one PyTorch state dict per model,
``seed<k>.pt``, and ``runs.json`` keyed by file stem with ``seed``, ``conv_channels``,
``input_len``, ``groups``, ``split_seed``, ``thresholds``, ``best_epoch``, ``epochs``, ``seconds``, ``history``,
``settings``. That is the layout of R23's published weight folder (state dicts + ``runs.json``),
so :func:`lib.models.fga.load_ensemble` and ``python -m lib predict --model DIR`` read both.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from lib import io, metrics
from lib.ir.datasets import IRSet, connectivity
from lib.losses import ReweightedBCELoss, r23_l2_penalty
from lib.models.fga import FGAEnsemble, FGANet, load_ensemble, predict_proba, read_runs
from lib.reference import R23_SPLIT_SEED
from lib.train import R23, FitResult, TrainConfig, fit

#: Targets set for this book (not published numbers): one seed early-stopped on 8,000 spectra within
#: two minutes on 2 CPU cores, and at least 20,000 spectra per second in inference.
TARGET_EARLY_STOP_S = 120
TARGET_SPECTRA_PER_S = 20_000
CLAMP = 1e-3  # p_j clipped to [CLAMP, 1 - CLAMP] so a group absent from a tiny training split cannot fail


# --------------------------------------------------------------------------- training
def bce_with_logits(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Unweighted mean binary cross-entropy on logits (the 'without reweighting' ablation)."""
    return F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype))


def micro_f1_metric(logits: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """Validation metric logged per epoch: micro-F1 at 0.5."""
    pred = (logits > 0).numpy().astype(np.int8)
    return {"micro_f1": metrics.micro_f1(targets.numpy().astype(np.int8), pred)}


def make_loss(y_train: np.ndarray, reweight: bool = True):
    """R23 eq. 2 with the training split's proportions, or plain BCE."""
    return ReweightedBCELoss.from_labels(y_train, clamp=CLAMP) if reweight else bce_with_logits


def train_seed(
    data: IRSet,
    seed: int,
    config: TrainConfig = R23,
    reweight: bool = True,
    l2_penalty: bool = True,
    conv_channels: int = 4,
    augment: int = 0,
    checkpoint: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = False,
    split_seed: int | None = R23_SPLIT_SEED,
) -> tuple[FitResult, dict[str, IRSet]]:
    """One seed of the protocol above; returns the fit and the split it used.

    ``augment > 0``: every epoch trains on that many fresh perturbed copies of the training split
    (:func:`augmenter`) instead of the split itself; validation stays unperturbed.
    """
    parts = data.split(seed if split_seed is None else split_seed)
    train, val = parts["train"], parts["val"]
    result = fit(
        lambda: FGANet(input_len=data.x.shape[1], n_groups=data.y.shape[1], conv_channels=conv_channels),
        augmenter(train, augment) if augment else (train.x, train.y),
        (val.x, val.y),
        config,
        seed=seed,
        loss=make_loss(train.y, reweight),
        metric=micro_f1_metric,
        penalty=r23_l2_penalty if l2_penalty else None,
        device=device,
        checkpoint=checkpoint,
        progress=progress,
        desc=f"seed {seed}",
    )
    return result, parts


def run_split(data: IRSet, run: dict) -> dict[str, IRSet]:
    """The train/validation/test split a saved model was trained on (its ``split_seed``; models saved
    without one were split with their own seed)."""
    split_seed = run.get("split_seed", run["seed"])
    return data.split(run["seed"] if split_seed is None else split_seed)


def data_signature(data: IRSet, **settings) -> str:
    """Short hash of the spectra, labels and training settings (names a cache folder)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(data.x, dtype=np.float32).tobytes())
    h.update(np.ascontiguousarray(data.y, dtype=np.float32).tobytes())
    if data.parts is not None:  # a fixed split is part of the data
        h.update("\n".join(map(str, data.parts)).encode())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()[:12]


# --------------------------------------------------------------------------- saving and loading
def save_model(folder: str | os.PathLike, model: FGANet, info: dict, stem: str) -> Path:
    """``folder/stem.pt`` (state dict) and the ``stem`` entry of ``folder/runs.json``, both atomic."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with io.atomic_open(folder / f"{stem}.pt", "wb") as handle:
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, handle)
    runs = read_runs(folder)
    runs[stem] = {"conv_channels": model.conv_channels, "input_len": model.input_len, **info}
    io.write_json(folder / "runs.json", runs)
    return folder / f"{stem}.pt"


def train_ensemble(
    data: IRSet,
    seeds: Sequence[int],
    folder: str | os.PathLike,
    config: TrainConfig = R23,
    reweight: bool = True,
    l2_penalty: bool = True,
    augment: int = 0,
    max_epochs: int | None = None,
    device: str = "cpu",
    progress: bool = False,
    split_seed: int | None = R23_SPLIT_SEED,
) -> Path:
    """Train every seed not yet saved in ``folder`` (``seed<k>.pt``); finished seeds are kept.

    ``folder/checkpoints/seed<k>`` holds the harness' resumable checkpoint while a seed trains.
    """
    folder = Path(folder)
    config = replace(config, max_epochs=max_epochs) if max_epochs else config
    settings = {"config": config.to_dict(), "reweight": reweight, "l2_penalty": l2_penalty, "augment": augment,
                "groups": data.groups, "split_seed": split_seed}  # fmt: skip
    for seed in seeds:
        stem = f"seed{seed}"
        if (folder / f"{stem}.pt").is_file() and stem in read_runs(folder):
            continue
        result, parts = train_seed(
            data, seed, config, reweight, l2_penalty, augment=augment, checkpoint=folder / "checkpoints" / stem,
            device=device, progress=progress, split_seed=split_seed,
        )  # fmt: skip
        train = parts["train"]
        thresholds = metrics.best_f1_thresholds(train.y, predict_proba(result.model, train.x))
        info = {
            "seed": seed,
            "split_seed": split_seed,
            "groups": list(data.groups),
            "thresholds": thresholds.tolist(),
            "n_train": len(train),
            "n_val": len(parts["val"]),
            "n_test": len(parts["test"]),
            "history": result.history,
            "settings": settings,
            **result.summary(),
        }
        save_model(folder, result.model.cpu(), info, stem)
    return folder


def load_trained(folder: str | os.PathLike, seeds: Sequence[int] | None = None) -> FGAEnsemble:
    """The models of a folder (ours or R23's), optionally only ``seed<k>`` for ``k`` in ``seeds``."""
    ensemble = load_ensemble(folder)
    if seeds is None:
        return ensemble
    keep = [i for i, name in enumerate(ensemble.names) if name in {f"seed{s}" for s in seeds}]
    missing = set(seeds) - {ensemble.runs[i].get("seed") for i in keep}
    if missing:
        raise FileNotFoundError(f"{folder} has no model for seeds {sorted(missing)}")
    return FGAEnsemble([ensemble[i] for i in keep], [ensemble.names[i] for i in keep], [ensemble.runs[i] for i in keep])


def histories(ensemble: FGAEnsemble) -> pd.DataFrame:
    """Per-epoch logs of every member in one long table (``model`` column added)."""
    pairs = zip(ensemble.names, ensemble.runs, strict=True)
    rows = [{"model": name, **h} for name, run in pairs for h in run["history"]]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- evaluation
def evaluate_seeds(ensemble: FGAEnsemble, data: IRSet, part: str = "test") -> dict[str, list]:
    """Each member on the ``part`` of the split it was trained with (:func:`run_split`): per-group tables
    and molecular scores.

    Returns lists (one entry per member) under ``groups@0.5``, ``groups@best``,
    ``molecular@0.5``, ``molecular@best`` ("best": the member's stored training-F1 thresholds).
    """
    out: dict[str, list] = {"groups@0.5": [], "groups@best": [], "molecular@0.5": [], "molecular@best": []}
    for model, run in zip(ensemble, ensemble.runs, strict=True):
        subset = run_split(data, run)[part]
        prob = predict_proba(model, subset.x)
        for rule, t in (("0.5", 0.5), ("best", np.asarray(run["thresholds"]))):
            out[f"groups@{rule}"].append(metrics.per_group_metrics(subset.y, prob, data.groups, threshold=t))
            out[f"molecular@{rule}"].append(metrics.molecular_metrics(subset.y, prob, threshold=t))
    return out


def score_fixed_set(ensemble: FGAEnsemble, data: IRSet, threshold: float = 0.5) -> dict:
    """Every member and the ensemble mean on one fixed set (e.g. real spectra).

    Returns ``members`` (molecular metrics per member, a DataFrame), ``ensemble`` (those of the
    mean probability, a Series) and ``groups`` (per-group table of the ensemble).
    """
    probs = np.stack([predict_proba(m, data.x) for m in ensemble])
    return score_probabilities(data.y, probs, ensemble.names, data.groups, threshold)


def score_probabilities(
    y: np.ndarray, probs: np.ndarray, names: Sequence[str], groups: Sequence[str], threshold: float = 0.5
) -> dict:
    """:func:`score_fixed_set` from the members' probabilities ``probs`` (members × spectra × groups)."""
    members = pd.DataFrame(
        [metrics.molecular_metrics(y, p, threshold) for p in probs], index=pd.Index(list(names), name="model")
    )
    mean = probs.mean(axis=0)
    return {
        "members": members,
        "ensemble": metrics.molecular_metrics(y, mean, threshold),
        "groups": metrics.per_group_metrics(y, mean, list(groups), threshold),
        "probabilities": mean,
        "member_probabilities": probs,
    }


def score_held_out(pairs: Sequence[tuple[FGAEnsemble, IRSet]], threshold: float = 0.5) -> dict:
    """Ensembles scored on held-out sets and pooled: every ``(ensemble, data)`` pair predicts its ``data``,
    the predictions are put together (member ``k`` of every ensemble forms pooled member ``k``) and scored
    as one set (:func:`score_probabilities`). The ensembles must have the same number of members."""
    sizes = {len(e) for e, _ in pairs}
    if len(sizes) != 1:
        raise ValueError(f"ensembles of different sizes {sorted(sizes)} cannot be pooled")
    probs = np.concatenate([np.stack([predict_proba(m, d.x) for m in e]) for e, d in pairs], axis=1)
    y = np.concatenate([d.y for _, d in pairs])
    return score_probabilities(y, probs, pairs[0][0].names, pairs[0][1].groups, threshold)


def real_spectra_table(scores: dict[str, dict], columns: Sequence[str] = ("micro_f1", "molecular_f1",
                       "molecular_perfection"), digits: int = 3) -> pd.DataFrame:  # fmt: skip
    """One table from several :func:`score_probabilities` results: per name a row ``"<name>, single models
    (n)"`` with mean ± standard deviation (ddof 1) over the members, and a row ``"<name>, ensemble mean"``."""
    rows = {}
    for name, score in scores.items():
        members = score["members"]
        rows[f"{name}, single models ({len(members)})"] = {
            c: f"{members[c].mean():.{digits}f} ± {members[c].std():.{digits}f}" for c in columns
        }
        rows[f"{name}, ensemble mean"] = {c: f"{score['ensemble'][c]:.{digits}f}" for c in columns}
    return pd.DataFrame(rows).T


# --------------------------------------------------------------------------- benchmark
def perturb(
    x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.01, max_shift: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` spectra drawn with replacement from ``x`` (rows), each perturbed: an intensity scale
    in [0.9, 1.1], a shift of up to ``max_shift`` grid points, Gaussian noise of standard deviation
    ``noise`` (the maximum is 1); clipped at 0 and divided by the maximum again. Returns the new
    spectra (float32), their labels and the source rows."""
    idx = rng.integers(0, len(x), n)
    out = x[idx].astype(np.float32) * rng.uniform(0.9, 1.1, (n, 1)).astype(np.float32)
    shifts = rng.integers(-max_shift, max_shift + 1, n)
    for s in np.unique(shifts):
        rows = shifts == s
        out[rows] = np.roll(out[rows], int(s), axis=1)
    out = np.clip(out + rng.normal(0, noise, out.shape).astype(np.float32), 0, None)
    out /= np.maximum(out.max(axis=1, keepdims=True), 1e-12)
    return out.astype(np.float32), y[idx], idx


def augmenter(train: IRSet, n: int, noise: float = 0.01, max_shift: int = 2):
    """A ``train_data`` callback for :func:`lib.train.fit`: every epoch ``n`` fresh perturbed
    copies (:func:`perturb`) of the training spectra."""

    def draw(epoch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, y, _ = perturb(train.x, train.y, n, rng, noise, max_shift)
        return x, y

    return draw


def resample(data: IRSet, n: int, seed: int = 0, noise: float = 0.01, max_shift: int = 2) -> IRSet:
    """``n`` perturbed spectra (:func:`perturb`) drawn from ``data``, as a data set; labels and
    names follow the source spectrum. For timing only (copies of one molecule can land in
    different splits)."""
    x, _, idx = perturb(data.x, data.y, n, np.random.default_rng(seed), noise, max_shift)
    out = data.subset(idx)
    out.x = x
    out.notes = {**data.notes, "resampled": {"n": n, "seed": seed, "noise": noise, "max_shift": max_shift}}
    return out


def time_early_stop(data: IRSet, seed: int = 0, config: TrainConfig = R23, max_epochs: int | None = None) -> dict:
    """Wall time of one R23 seed (R23's split, reweighted loss, early stopping) on ``data``, on CPU."""
    config = replace(config, max_epochs=max_epochs) if max_epochs else config
    start = time.perf_counter()
    result, parts = train_seed(data, seed, config, device="cpu")
    seconds = time.perf_counter() - start
    return {
        "spectra": len(data),
        "train": len(parts["train"]),
        "epochs": result.epochs,
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "seconds": seconds,
        "seconds_per_epoch": seconds / max(result.epochs, 1),
        "threads": torch.get_num_threads(),
    }


def inference_throughput(
    model: torch.nn.Module, n: int = 20_000, batch_size: int = 256, repeats: int = 3, seed: int = 0
) -> dict:
    """Spectra per second of :func:`lib.models.fga.predict_proba` on CPU (best of ``repeats``)."""
    n_in = model.input_len if isinstance(model, FGANet) else model[0].input_len
    x = np.random.default_rng(seed).random((n, n_in), dtype=np.float32)
    x /= x.max(axis=1, keepdims=True)
    model = model.cpu()
    predict_proba(model, x[:batch_size], batch_size)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict_proba(model, x, batch_size)
        times.append(time.perf_counter() - start)
    return {"spectra": n, "batch_size": batch_size, "seconds": min(times), "spectra_per_s": n / min(times),
            "threads": torch.get_num_threads()}  # fmt: skip


# --------------------------------------------------------------------------- other data
def labelled_dataset(dataset: str | os.PathLike, labels_csv: str | os.PathLike) -> IRSet:
    """A scraped NIST data set (``python -m lib ingest ... --dataset``) joined with ``label``'s CSV.

    Spectrum files are named ``{ID}_{i}.jdx`` by ``nist fetch``; the ID before the last
    underscore is matched with the ``ID`` column. Spectra without labels are left out.
    """
    from lib.ir import ingest

    arrays, _ = ingest.load_dataset(dataset)
    table = pd.read_csv(labels_csv, dtype={"ID": str}).set_index("ID")
    groups = [c for c in table.columns]
    files = [str(f) for f in arrays["files"]]
    ids = [Path(f).stem.rsplit("_", 1)[0] for f in files]
    keep = [i for i, cid in enumerate(ids) if cid in table.index]
    if not keep:
        raise ValueError(f"no spectrum of {dataset} has a label in {labels_csv}")
    y = table.loc[[ids[i] for i in keep], groups].to_numpy(dtype=np.float32)
    names = [files[i] for i in keep]
    return IRSet(
        arrays["x"][keep].astype(np.float32), y, arrays["grid"], names, [""] * len(keep), [ids[i] for i in keep],
        groups, {"source": str(dataset)},
    )  # fmt: skip


# --------------------------------------------------------------------------- the default data
def real_halves(real: IRSet, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two halves of a set of real spectra, every connectivity (InChIKey first block) in one half only.

    The connectivities are shuffled with ``seed`` and each goes to the half that has fewer spectra so
    far (the first on a tie). Returns the sorted row indices of both halves.
    """
    blocks = [connectivity(k) for k in real.inchikeys]
    unique = sorted(set(blocks))
    order = np.random.default_rng(seed).permutation(len(unique))
    halves: tuple[list[int], list[int]] = ([], [])
    for i in order:
        rows = [r for r, b in enumerate(blocks) if b == unique[i]]
        halves[int(len(halves[1]) < len(halves[0]))].extend(rows)
    return np.sort(np.asarray(halves[0], dtype=int)), np.sort(np.asarray(halves[1], dtype=int))


def broadening_tables(records: Sequence[dict], real: IRSet, halves, scales, fwhms) -> list[pd.DataFrame]:
    """For each half of ``real``: the mean cosine similarity of the broadened simulations of its molecules
    (paired by full InChIKey) to their measured spectra, for every scale × width
    (:func:`lib.ir.validation.similarity_grid`)."""
    from lib.ir import validation

    by_key = {r.get("inchikey"): r for r in records if r["status"] == "ok"}
    tables = []
    for half in halves:
        pairs = [(i, by_key[real.inchikeys[i]]) for i in half if real.inchikeys[i] in by_key]
        if not pairs:
            raise ValueError("no real spectrum of a half has a simulated counterpart to fit the broadening on")
        measured = real.x[[i for i, _ in pairs]]
        tables.append(validation.similarity_grid([r for _, r in pairs], measured, real.grid, list(scales), list(fwhms)))
    return tables


def default_data(
    lines_file: str | os.PathLike,
    molecules_file: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    scales: Sequence[float] = (0.97,),
    fwhms: Sequence[float] = (60.0,),
    fit_half: int = 0,
    halves_seed: int = 0,
) -> dict:
    """Simulated spectra of our curated set, without every molecule that shares its connectivity with a real
    jcamp spectrum, broadened with the setting of ``scales`` × ``fwhms`` that best matches (mean cosine
    similarity) the real spectra of one half (``fit_half``, :func:`real_halves`). The other half is never used
    for a choice: results on real spectra are reported on it. The set is split by :meth:`IRSet.split`'s seed.

    Returns ``simulated``, ``real`` (all real spectra), ``fit`` and ``held_out`` (its halves, :class:`IRSet`),
    ``halves`` (their row indices), ``scale``, ``fwhm``, ``similarity`` (on the fit half), ``tables`` (the
    similarity grid on each half), ``held_out_similarity`` (the chosen setting on the held-out half),
    ``excluded`` (molecules left out for sharing a skeleton with a real spectrum), ``failed`` (molecules whose
    simulation failed), ``n_records`` (molecules of the set), ``fit_half``, ``source`` and ``build`` (for
    :func:`refit`). :func:`nist_data` returns the same for the NIST index.
    """
    from lib.ir import datasets, molecules, simulate

    _check_half(fit_half)
    records = simulate.load_records(lines_file)
    real, _ = datasets.real_jcamp(data_dir=data_dir)
    halves = real_halves(real, halves_seed)
    by_input = {r["input"]: r for r in records}
    chosen = [by_input[m["smiles"]] for m in molecules.read_csv(molecules_file) if m["smiles"] in by_input]
    tables = broadening_tables(records, real, halves, scales, fwhms)
    counts = {**_record_counts(chosen, real), "source": "curated"}

    def build(scale: float, fwhm: float) -> IRSet:
        return datasets.simulated(chosen, grid=real.grid, exclude_inchikeys=set(real.inchikeys), fwhm=fwhm, scale=scale)

    return _assemble(build, real, halves, tables, fit_half, counts)


def nist_data(
    shards: str | os.PathLike | None = None,
    index_csv: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    scales: Sequence[float] = (0.97,),
    fwhms: Sequence[float] = (60.0,),
    fit_half: int = 0,
    halves_seed: int = 0,
    split_seed: int = R23_SPLIT_SEED,
    fraction: float = 1.0,
) -> dict:
    """The IR chapters' default data: the simulated NIST gas-phase index, R23's molecules.

    Every ``ok`` record of the shards (default: the repository's ``book/ir/data/nist_xtb``) in the part that
    R23's seeded 70/15/15 split of the whole labelled index (``index_csv``, default ``data/``) gives it
    (:func:`lib.ir.linesets.nist_lines`), without every molecule sharing its connectivity with a real jcamp
    spectrum; broadened with the setting of ``scales`` × ``fwhms`` fitted on one half of the real spectra, as
    :func:`default_data` does. The returned ``simulated`` set carries its parts (:attr:`IRSet.parts`), so every
    model trains and is tested on R23's split whatever its seed. ``fraction < 1`` keeps a seeded share of every
    part (for quick runs). Same keys as :func:`default_data`.
    """
    from lib.ir import datasets, labels, linesets, simulate

    _check_half(fit_half)
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    paths = linesets.default_paths()
    shards = Path(shards) if shards else paths["shards"]
    index_csv = Path(index_csv) if index_csv else paths["index"]
    real, _ = datasets.real_jcamp(data_dir=data_dir)
    halves = real_halves(real, halves_seed)
    records = simulate.load_shards(shards)
    labelled, _ = labels.label_index(index_csv)
    parts = linesets.nist_lines(shards, index_csv, real.inchikeys, split_seed, labelled)
    if fraction < 1:
        rng = np.random.default_rng(split_seed)
        parts = {name: part.subset(np.sort(rng.permutation(len(part))[: max(1, round(fraction * len(part)))]))
                 for name, part in parts.items()}  # fmt: skip
    tables = broadening_tables(records, real, halves, scales, fwhms)
    counts = {**_record_counts(records, real), "source": "NIST index", "n_index": len(labelled),
              "part_sizes": {name: len(part) for name, part in parts.items()}}  # fmt: skip
    names = [name for name, part in parts.items() for _ in range(len(part))]
    lines = [(w, i) for part in parts.values() for w, i in zip(part.wavenumbers, part.intensities, strict=True)]
    groups = parts["train"].groups

    def build(scale: float, fwhm: float) -> IRSet:
        x = np.array([simulate.broaden(w, i, real.grid, fwhm=fwhm, scale=scale) for w, i in lines], dtype=np.float32)
        return IRSet(
            x.reshape(len(lines), real.grid.size), np.concatenate([p.y for p in parts.values()]), real.grid,
            [k for p in parts.values() for k in p.ids], [""] * len(lines),
            [k for p in parts.values() for k in p.inchikeys],
            list(groups), {"source": "NIST index", "broadening": {"fwhm": fwhm, "scale": scale}}, np.array(names),
        )  # fmt: skip

    return _assemble(build, real, halves, tables, fit_half, counts)


DATA_KINDS = ("nist", "curated")


def chapter_data(
    kind: str,
    data_dir: str | os.PathLike | None = None,
    scales: Sequence[float] = (0.97,),
    fwhms: Sequence[float] = (60.0,),
    fit_half: int = 0,
    shards: str | os.PathLike | None = None,
    fraction: float = 1.0,
    molecules_file: str | os.PathLike | None = None,
    lines_file: str | os.PathLike | None = None,
) -> dict:
    """The IR chapters' ``data`` parameter: ``"nist"`` (:func:`nist_data`, the default of the book) or
    ``"curated"`` (:func:`default_data` with ``molecules_file`` and ``lines_file``)."""
    if kind == "nist":
        return nist_data(shards, None, data_dir, scales, fwhms, fit_half, fraction=fraction)
    if kind == "curated":
        if molecules_file is None or lines_file is None:
            raise ValueError("data='curated' needs molecules_file and lines_file")
        return default_data(lines_file, molecules_file, data_dir, scales, fwhms, fit_half)
    raise ValueError(f"data must be one of {DATA_KINDS}, got {kind!r}")


def _record_counts(records: Sequence[dict], real: IRSet) -> dict:
    """``n_records``, ``failed`` (status not ok) and ``excluded`` (ok, sharing a connectivity with a real spectrum)."""
    blocks = {connectivity(k) for k in real.inchikeys}
    ok = [r for r in records if r["status"] == "ok"]
    return {"n_records": len(records), "failed": len(records) - len(ok),
            "excluded": sum(connectivity(r.get("inchikey") or "") in blocks for r in ok)}  # fmt: skip


def _check_half(fit_half: int) -> None:
    if fit_half not in (0, 1):
        raise ValueError(f"fit_half must be 0 or 1, got {fit_half!r}")


def refit(data: dict, fit_half: int) -> dict:
    """:func:`default_data`'s (or :func:`nist_data`'s) result with the broadening fitted on the other half
    instead (nothing reloaded)."""
    _check_half(fit_half)
    return _assemble(data["build"], data["real"], data["halves"], data["tables"], fit_half, data["counts"])


def _assemble(build, real: IRSet, halves, tables: list[pd.DataFrame], fit_half: int, counts: dict) -> dict:
    from lib.ir import validation

    scale, fwhm, similarity = validation.best_setting(tables[fit_half])
    held = 1 - fit_half
    return {"simulated": build(scale, fwhm), "real": real, "fit": real.subset(halves[fit_half]),
            "held_out": real.subset(halves[held]), "halves": halves, "scale": scale, "fwhm": fwhm,
            "similarity": similarity, "tables": tables, "table": tables[fit_half],
            "held_out_similarity": float(tables[held].loc[scale, fwhm]), "fit_half": fit_half, "build": build,
            "counts": counts, **counts}  # fmt: skip


def models_folder(data: IRSet, root: str | os.PathLike | None = None, **settings) -> Path:
    """``root/<hash of data and settings>`` (``root`` default ``_build/cache/fg_models``): the
    folder both chapters use, so the benchmark finds the training chapter's models."""
    from lib.paths import cache_dir

    root = Path(root) if root else cache_dir("fg_models")
    return root / data_signature(data, **settings)


def ensure_ensemble(
    data: IRSet,
    seeds: Sequence[int],
    models_dir: str | os.PathLike | None = None,
    reweight: bool = True,
    augment: int = 0,
    max_epochs: int | None = None,
    progress: bool = False,
    split_seed: int | None = R23_SPLIT_SEED,
) -> Path:
    """The folder of the models for ``seeds`` under these settings, training the missing ones.

    ``models_dir`` is a root folder (default ``_build/cache/fg_models``); the models live in a
    sub-folder named by :func:`models_folder`, so chapters asking for the same data and settings
    share them and any change of data or settings trains afresh.
    """
    config = replace(R23, max_epochs=max_epochs) if max_epochs else R23
    settings = {"config": config.to_dict(), "reweight": reweight, "augment": augment, "split_seed": split_seed}
    folder = models_folder(data, models_dir, **settings)
    return train_ensemble(
        data, seeds, folder, config, reweight=reweight, augment=augment, progress=progress, split_seed=split_seed
    )


def bn_settling_batches(model: FGANet, x: np.ndarray) -> tuple[float, int]:
    """The first BatchNorm's problem on small data sets: its running variance starts at 1, the
    variance it should reach is that of the first convolution's ReLU output (``v``, mean over the
    channels that are not dead, on ``x``); with momentum ``m`` the excess decays as ``(1 − m)^n``,
    so it falls below ``v`` after ``n = log(v / (1 − v)) / log(1 − m)`` training batches.
    Returns ``(v, n)``."""
    bn = model.features[2]
    with torch.no_grad():
        h = model.features[:2].eval()(torch.as_tensor(np.asarray(x, dtype=np.float32)).unsqueeze(1))
    var = h.var(dim=(0, 2)).double().numpy()
    v = float(var[var > 0].mean())
    return v, int(np.ceil(np.log(v / (1 - v)) / np.log(1 - bn.momentum)))
