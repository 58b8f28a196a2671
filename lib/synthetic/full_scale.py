"""S23's whole benchmark or challenge set at full scale, one network × seed per run, resumable after any epoch.

A run trains one network (:func:`lib.models.benchmark.build`) on S23's complete data set — all
classes of the class file (500), 5,000 points, 50 training and 10 validation spectra per class
drawn with ``data_seed``, the 9 deterministic test spectra per class — under S23's protocol
(:data:`lib.train.S23`: Adam 3e-4, batch 128, at most 500 epochs, learning rate halved after 10
stale epochs, early stopping after 25 with min delta 1e-4, best weights restored). The data are
those of ``python -m lib synthetic generate --seed DATA_SEED`` (same order, same ``y_test``),
divided by their maxima. The challenge set (``rules="challenge"``, :data:`DATASETS`) is S23's 27
classes of ``synthetic_challenge_classes.json`` with the same 50/10 spectra per class, the unit
peak kept at height 1.0 in training, and 6 test spectra per class (162). ``fresh=True`` draws new
training spectra every epoch instead (:func:`lib.synthetic.benchmark_runs.fresh_variations`), an
augmentation S23 did not use.

Training goes through :func:`lib.train.fit` with a checkpoint folder (default
``_build/cache/full_scale/<run>``, or ``_build/cache/full_scale/challenge/<run>``; outside git):
after every epoch it holds the model, the optimiser (with its current learning rate), the best
weights, the early-stopping and plateau counters, the random states and the history, written
atomically. Started again, a run continues after its last finished epoch and ends with the same
weights as an uninterrupted one (on the CPU). ``run.json`` in the folder records the data recipe;
a checkpoint of another recipe is refused.

A finished run writes ``<out>/<run>.json`` (``<run>`` is ``<model>-s<seed>``, or
``<model>-fresh-s<seed>``; ``-bf16`` marks bfloat16 runs; ``<out>`` by default
``book/synthetic/results/full``, its ``challenge`` folder for the challenge set): the settings,
epochs, best epoch, seconds, machine, PyTorch version, the history and ``test_pred`` — the
predicted class of every test spectrum in the order of ``y_test`` — but no weights. :func:`load_runs` reads a folder of
them and recomputes the test errors from ``test_pred`` and the regenerated ``y_test``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from lib import io
from lib.notebook import count, join_and
from lib.paths import BUILD, REPO, data_file
from lib.synthetic import benchmark_runs
from lib.synthetic import generator as synthetic
from lib.tables import mean_sd
from lib.train import Autocast, memory_allocator  # noqa: F401  (Autocast re-exported: result files name it)

CLASSES_FILE = "synthetic_benchmark_classes.json"
FORMAT = 1
RESULTS = REPO / "book" / "synthetic" / "results" / "full"

#: The data sets a run can train on: class file and test rules (a key of ``generator.RULES``).
DATASETS: dict[str, dict[str, str]] = {
    "benchmark": {"classes": CLASSES_FILE, "rules": "benchmark"},
    "challenge": {"classes": "synthetic_challenge_classes.json", "rules": "challenge"},
}

#: Fields every result file has, with their types (``test_pred`` and ``history`` are lists).
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "format": int,
    "model": str,
    "seed": int,
    "data_seed": int,
    "fresh": bool,
    "bf16": bool,
    "rules": str,
    "n_classes": int,
    "points": int,
    "n_test": int,
    "epochs": int,
    "best_epoch": int,
    "seconds": (int, float),
    "machine": str,
    "torch": str,
    "test_errors": int,
    "test_pred": list,
    "history": list,
}


@dataclass(frozen=True)
class Run:
    """One full-scale run: network, seeds and data recipe (``rules``: a key of ``generator.RULES``).

    ``bf16``: the network computes under bfloat16 autocast (:class:`Autocast`), not S23's float32.
    """

    model: str
    seed: int = 0
    data_seed: int = 0
    fresh: bool = False
    bf16: bool = False
    n_train: int = 50
    n_val: int = 10
    rules: str = "benchmark"

    def __post_init__(self):
        if self.rules not in synthetic.RULES:
            raise ValueError(f"rules must be one of {list(synthetic.RULES)}, got {self.rules!r}")
        for name in ("seed", "data_seed", "n_train", "n_val"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"Run.{name} must be a non-negative integer, got {value!r}")

    @property
    def name(self) -> str:
        """File stem of the run: ``Lite-s0``, ``Lite-fresh-s0``, ``Lite-bf16-s0``, ``Lite-fresh-bf16-s0``."""
        return f"{self.model}{'-fresh' if self.fresh else ''}{'-bf16' if self.bf16 else ''}-s{self.seed}"

    def study(self, classes: synthetic.ClassSet) -> benchmark_runs.Study:
        """The data recipe as a study of every class at full resolution."""
        return benchmark_runs.Study(
            tuple(range(len(classes))), self.data_seed, 1, self.n_train, self.n_val, self.rules
        )  # fmt: skip


class _Paused(Exception):
    """Raised after an epoch to stop a run whose time is up (its checkpoint is written)."""

    def __init__(self, epoch: int):
        super().__init__(f"paused after epoch {epoch}")
        self.epoch = epoch


def _dataset(dataset: str) -> dict[str, str]:
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {dataset!r}")
    return DATASETS[dataset]


def default_classes(dataset: str = "benchmark") -> Path:
    """The class definitions of ``dataset`` (S23's 500 classes, or the 27 of the challenge set)."""
    return data_file(_dataset(dataset)["classes"])


def default_out(dataset: str = "benchmark") -> Path:
    """Result folder of ``dataset``: ``book/synthetic/results/full`` and its ``challenge`` folder."""
    _dataset(dataset)
    return RESULTS if dataset == "benchmark" else RESULTS / dataset


def default_checkpoints() -> Path:
    """``_build/cache/full_scale``: where checkpoint folders go unless told otherwise."""
    return BUILD / "cache" / "full_scale"


def checkpoint_folder(spec: Run) -> Path:
    """Default checkpoint folder of a run: ``<default_checkpoints>/<run>``, under ``challenge/`` for that set."""
    base = default_checkpoints()
    return base / spec.name if spec.rules == "benchmark" else base / spec.rules / spec.name


def classes_digest(classes: synthetic.ClassSet) -> str:
    """A short SHA-256 of the class definitions (positions, heights, points), to tell class files apart."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(classes.positions, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(np.round(classes.heights, 6), dtype=np.float64).tobytes())
    digest.update(str(classes.datapoints).encode())
    return digest.hexdigest()[:16]


def test_labels(n_classes: int, rules: str = "benchmark") -> np.ndarray:
    """``y_test`` of the deterministic test set: every class's test spectra in class order."""
    if rules not in synthetic.RULES:
        raise ValueError(f"rules must be one of {list(synthetic.RULES)}, got {rules!r}")
    return np.repeat(np.arange(n_classes), synthetic.RULES[rules].per_class())


# --------------------------------------------------------------------------- one run
def run(
    spec: Run,
    classes: synthetic.ClassSet,
    out: str | os.PathLike,
    checkpoint_dir: str | os.PathLike | None = None,
    max_epochs: int = 500,
    device: str = "auto",
    progress: bool = True,
    config=None,
    hours: float | None = None,
    finish_by: float | None = None,
    log=print,
) -> dict[str, Any] | None:
    """Train (or continue) one run and write its result file; a finished run is read back, not retrained.

    ``config`` defaults to :data:`lib.train.S23` (``max_epochs`` replaces its epoch limit).
    ``hours``: stop after the first epoch that ends past this much time of this call, checkpoint
    kept, and return ``None`` (start again to continue). ``finish_by``: hours after which the run
    ends instead — after the first epoch past them, with the best weights so far — and its record
    says so (``time_capped``; the epoch limit in ``config`` becomes that epoch). Returns the result
    record.
    """
    if hours is not None and finish_by is not None:
        raise ValueError("give hours (pause, resumable) or finish_by (end with the best weights), not both")
    from lib import train
    from lib.models import benchmark

    out = Path(out)
    path = out / f"{spec.name}.json"
    if path.is_file():
        log(f"{path} exists: the run is finished")
        return json.loads(path.read_text())
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else checkpoint_folder(spec)
    digest = classes_digest(classes)
    recipe = {**asdict(spec), "classes": digest, "points": classes.datapoints, "n_classes": len(classes)}
    check_recipe(folder, recipe)

    study = spec.study(classes)
    start = time.perf_counter()
    data = study.dataset(classes)
    data_s = time.perf_counter() - start
    n_classes, input_len = len(classes), data["x_val"].shape[-1]
    if spec.fresh:
        fresh = benchmark_runs.fresh_variations(study, classes)
        train_data = fresh
        del data["x_train"], data["y_train"]
    else:
        train_data = (data["x_train"], data["y_train"])
    config = replace(config or train.S23, max_epochs=max_epochs)

    def build() -> nn.Module:
        net = benchmark.build(spec.model, input_len, n_classes)
        return Autocast(net) if spec.bf16 else net

    def fit(cfg, on_epoch_end):
        return train.fit(
            build,
            train_data,
            (data["x_val"], data["y_val"]),
            cfg,
            seed=spec.seed,
            device=device,
            checkpoint=folder,
            progress=progress,
            desc=spec.name,
            on_epoch_end=on_epoch_end,
        )

    result, config, time_capped = timed_fit(fit, config, hours, finish_by, spec.name, folder, start, log)
    if result is None:
        return None
    net = result.model
    test = train.evaluate(net, data["x_test"], data["y_test"])
    record = {
        "format": FORMAT,
        "model": spec.model,
        "seed": spec.seed,
        "data_seed": spec.data_seed,
        "fresh": spec.fresh,
        "bf16": spec.bf16,
        "rules": spec.rules,
        "classes": digest,
        "n_classes": n_classes,
        "points": input_len,
        "n_train": spec.n_train,
        "n_val": spec.n_val,
        "n_test": int(test["n"]),
        "config": config.to_dict(),
        "parameters": benchmark.count_parameters(net),
        "macs": benchmark.count_macs(net.cpu().eval(), input_len),
        "data_seconds": data_s,
        **training_fields(result, time_capped),
        "test_errors": int(test["n_wrong"]),
        "test_accuracy": test["accuracy"],
        "test_pred": test["pred"].astype(int).tolist(),
    }
    return write_record(path, record, log)


def training_fields(result, time_capped: bool) -> dict[str, Any]:
    """How a run trained (a :class:`lib.train.FitResult`): epochs, how it ended, time, machine, PyTorch, history."""
    return {
        "epochs": result.epochs,
        "best_epoch": result.best_epoch,
        "best_val_loss": result.best_val_loss,
        "stopped_early": result.stopped_early,
        "time_capped": time_capped,
        "seconds": result.seconds,
        "resumed_from": result.resumed_from,
        "machine": result.device_name,
        "device": result.device,
        "threads": torch.get_num_threads(),
        "allocator": memory_allocator(),
        "torch": torch.__version__,
        "history": result.history,
    }


def write_record(path: Path, record: dict[str, Any], log=print) -> dict[str, Any]:
    """Write a finished run's record atomically, say what it scored, and return it."""
    io.write_json(path, record)
    log(f"{path}: {record['test_errors']}/{record['n_test']} test errors, {record['epochs']} epochs, "
        f"best {record['best_epoch']}, {record['seconds'] / 3600:.2f} h of training")  # fmt: skip
    return record


def timed_fit(
    fit: Callable[[Any, Callable[[dict], None] | None], Any],
    config,
    hours: float | None = None,
    finish_by: float | None = None,
    name: str = "run",
    folder: str | os.PathLike | None = None,
    start: float | None = None,
    log=print,
) -> tuple[Any, Any, bool]:
    """Call ``fit(config, on_epoch_end)`` (a checkpointed :func:`lib.train.fit`) under a time limit.

    ``hours``: after the first epoch that ends past this many hours since ``start`` (default: now), stop;
    the checkpoint is kept and the result is ``None``. ``finish_by``: end instead, with the best weights
    so far (the checkpoint continued with the epoch limit set to that epoch trains nothing more and
    restores them). Returns ``(result, config, time_capped)``; ``config`` carries that epoch limit.
    """
    if hours is not None and finish_by is not None:
        raise ValueError("give hours (pause, resumable) or finish_by (end with the best weights), not both")
    start = time.perf_counter() if start is None else start
    limit = hours if hours is not None else finish_by

    def pause(logs: dict) -> None:
        if limit is not None and time.perf_counter() - start > limit * 3600:
            raise _Paused(logs["epoch"])

    try:
        return fit(config, pause), config, False
    except _Paused as paused:
        if finish_by is None:
            log(f"{name}: paused after epoch {paused.epoch}; checkpoint in {folder}")
            return None, config, False
        log(f"{name}: time is up after epoch {paused.epoch}; ending with the best weights so far")
        config = replace(config, max_epochs=paused.epoch)
        return fit(config, None), config, True


def check_recipe(folder: Path, recipe: dict) -> None:
    """Write ``run.json`` into a new checkpoint folder, or check that an existing one has the same recipe."""
    path = folder / "run.json"
    if path.is_file():
        saved = json.loads(path.read_text())
        changed = sorted(k for k in set(saved) | set(recipe) if saved.get(k) != recipe.get(k))
        if changed:
            raise ValueError(
                f"checkpoint {folder} belongs to another run (differs in {', '.join(changed)}); "
                "use another --checkpoint-dir or delete it"
            )
    else:
        io.write_json(path, recipe)


# --------------------------------------------------------------------------- reading results
def read_fields(path: Path, required: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """A JSON object from ``path`` whose ``required`` fields exist with their types (errors name file and field)."""
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(record).__name__}")
    for name, kind in required.items():
        if name not in record:
            raise ValueError(f"{path}: field {name!r} is missing")
        value = record[name]
        if not isinstance(value, kind) or (kind in (int, (int, float)) and isinstance(value, bool)):
            raise ValueError(f"{path}: field {name!r} has type {type(value).__name__}, expected {kind_name(kind)}")
    return record


def read_run(path: str | os.PathLike) -> dict[str, Any]:
    """One result file, checked field by field (a clear error names the file and the field)."""
    path = Path(path)
    record = read_fields(path, REQUIRED)
    if record["format"] != FORMAT:
        raise ValueError(f"{path}: field 'format' is {record['format']}, this code reads format {FORMAT}")
    if record["rules"] not in synthetic.RULES:
        raise ValueError(f"{path}: field 'rules' is {record['rules']!r}, expected one of {list(synthetic.RULES)}")
    n_test = len(test_labels(record["n_classes"], record["rules"]))
    pred = record["test_pred"]
    if len(pred) != n_test or record["n_test"] != n_test:
        raise ValueError(
            f"{path}: field 'test_pred' has {len(pred)} entries and 'n_test' is {record['n_test']}; "
            f"{record['n_classes']} classes under the {record['rules']!r} rules have {n_test} test spectra"
        )
    if not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p < record["n_classes"] for p in pred):
        raise ValueError(f"{path}: field 'test_pred' must hold class numbers 0…{record['n_classes'] - 1}")
    if not 1 <= record["best_epoch"] <= record["epochs"]:
        raise ValueError(f"{path}: field 'best_epoch' ({record['best_epoch']}) must lie in 1…{record['epochs']}")
    if len(record["history"]) != record["epochs"]:
        n = len(record["history"])
        raise ValueError(f"{path}: field 'history' has {n} epochs, 'epochs' says {record['epochs']}")
    return record


def kind_name(kind) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


RUN_COLUMNS = ["model", "seed", "fresh", "bf16", "n_classes", "points", "test_errors", "n_test", "test_accuracy",
               "epochs", "best_epoch", "stopped_early", "time_capped", "hours", "machine", "device", "torch", "rules",
               "file"]  # fmt: skip


def read_checked(path: str | os.PathLike) -> dict[str, Any]:
    """:func:`read_run`, its ``test_errors`` recounted from ``test_pred`` and ``y_test`` (a mismatch is refused)."""
    record = read_run(path)
    y_test = test_labels(record["n_classes"], record["rules"])
    errors = int(np.count_nonzero(np.asarray(record["test_pred"]) != y_test))
    if errors != record["test_errors"]:
        raise ValueError(f"{path}: field 'test_errors' is {record['test_errors']}, but 'test_pred' has {errors}")
    return record


def load_records(folder: str | os.PathLike, rules: str | None = None) -> list[dict[str, Any]]:
    """Every result file of ``folder`` (sorted by file name), checked by :func:`read_checked`, with ``file`` added.

    ``rules``: keep only the runs on that data set's test rules (``"benchmark"``, ``"challenge"``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no results folder {folder}")
    records = [{**read_checked(path), "file": path.name} for path in sorted(folder.glob("*.json"))]
    return [r for r in records if rules is None or r["rules"] == rules]


def load_runs(folder: str | os.PathLike) -> pd.DataFrame:
    """One row per result file in ``folder``: settings, epochs, how the run ended, time and the test errors, recounted.

    The errors are counted from ``test_pred`` against ``y_test`` regenerated from the class count
    and the test rules; a file whose stored ``test_errors`` disagrees is refused. Files without
    ``stopped_early`` or ``time_capped`` count as False.
    """
    rows = [
        {
            "model": r["model"],
            "seed": r["seed"],
            "fresh": r["fresh"],
            "bf16": r["bf16"],
            "n_classes": r["n_classes"],
            "points": r["points"],
            "test_errors": r["test_errors"],
            "n_test": r["n_test"],
            "test_accuracy": 1 - r["test_errors"] / r["n_test"],
            "epochs": r["epochs"],
            "best_epoch": r["best_epoch"],
            "stopped_early": bool(r.get("stopped_early", False)),
            "time_capped": bool(r.get("time_capped", False)),
            "hours": r["seconds"] / 3600,
            "machine": r["machine"],
            "device": r.get("device", ""),
            "torch": r["torch"],
            "rules": r["rules"],
            "file": r["file"],
        }
        for r in load_records(folder)
    ]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


# --------------------------------------------------------------------------- shipped results beside a rerun
SHIPPED, RERUN, PUBLISHED = "full scale (shipped)", "reduced rerun (this page)", "S23 (published)"


def shipped_runs(folder: str | os.PathLike) -> pd.DataFrame:
    """:func:`load_runs` of ``folder``, or an empty table of the same columns when the folder is absent or empty."""
    folder = Path(folder)
    if folder.is_dir() and any(folder.glob("*.json")):
        return load_runs(folder)
    return pd.DataFrame(columns=RUN_COLUMNS)


def comparison(
    shipped: pd.DataFrame,
    rerun: pd.DataFrame,
    published: dict[str, float],
    rerun_points: int,
    rerun_epochs: int,
    published_points: int,
    published_epochs: int,
) -> pd.DataFrame:
    """One table of test accuracies, each row labelled by where it comes from (column ``setting``).

    ``shipped``: :func:`shipped_runs` (one row per run); ``rerun``: the reduced runs of this page
    with columns ``model`` and ``test_accuracy`` (one row per run, averaged per model here), run
    on ``rerun_points`` points for at most ``rerun_epochs`` epochs; ``published``: network →
    accuracy from the paper, trained on ``published_points`` points for at most
    ``published_epochs`` epochs. Columns: setting, network, runs, points, epochs, test_accuracy.
    """
    rows = []
    for r in shipped.itertuples():
        capped = ", time limit" if r.time_capped else ""
        name = network_label(r.model, r.fresh, r.bf16)
        rows.append({"setting": SHIPPED, "network": f"{name} (seed {r.seed})", "runs": 1,
                     "points": int(r.points), "epochs": f"{r.epochs} (best {r.best_epoch}{capped})",
                     "test_accuracy": float(r.test_accuracy)})  # fmt: skip
    if len(rerun):
        for model, acc in rerun.groupby("model", sort=True)["test_accuracy"]:
            rows.append({"setting": RERUN, "network": model, "runs": len(acc), "points": rerun_points,
                         "epochs": f"≤ {rerun_epochs}", "test_accuracy": float(acc.mean())})  # fmt: skip
    for network, acc in published.items():
        rows.append({"setting": PUBLISHED, "network": network, "runs": np.nan, "points": published_points,
                     "epochs": f"≤ {published_epochs}", "test_accuracy": float(acc)})  # fmt: skip
    table = pd.DataFrame(rows, columns=["setting", "network", "runs", "points", "epochs", "test_accuracy"])
    return table.astype({"runs": "Int64"})  # a count: "1", and a dash where the paper does not say


def duration(seconds: float) -> str:
    """A training time as a reader wants it: ``"2.5 h"`` from an hour on, ``"7 min"`` from a minute, else ``"36 s"``."""
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def per_epoch(seconds: float) -> str:
    """Seconds per epoch: whole seconds from 10 s on, else one decimal (``"0.3 s"``)."""
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def shipped_sentence(shipped: pd.DataFrame, folder: str) -> str:
    """One sentence on the shipped full-scale runs: how many and where (each one is a row of :func:`runs_frame`);
    or that there are none. ``folder`` is the folder as the reader should see it named."""
    if not len(shipped):
        return f"No full-scale run is shipped with the book yet (folder {folder})."
    n = len(shipped)
    return f"{n} full-scale run{'s are' if n > 1 else ' is'} shipped in {folder}."


def where_sentence(shipped: pd.DataFrame) -> str:
    """Where and in which arithmetic the shipped runs trained, as one sentence: the GPU runs (float32, with cuDNN's
    TF32 convolutions) and the CPU runs (their thread counts), each group in float32 or bfloat16 autocast. Empty
    without runs."""
    if not len(shipped):
        return ""
    parts = []
    for gpu in (True, False):
        group = shipped[(shipped["device"] == "cuda") == gpu]
        if not len(group):
            continue
        where = join_and(sorted({str(m) for m in group["machine"]}))
        kinds = [("bfloat16 autocast (not S23's float32 arithmetic)" if bf16 else
                  "float32 as S23 did" + (" (cuDNN computes the convolutions in TF32 there by default)" if gpu else ""))
                 for bf16 in sorted(set(group["bf16"].astype(bool)))]  # fmt: skip
        parts.append(f"{len(group)} on {'one ' if gpu else ''}{where}{' GPU' if gpu else ''}, in {' or '.join(kinds)}")
    return "The shipped runs trained: " + "; ".join(parts) + "."


def runs_frame(shipped: pd.DataFrame) -> pd.DataFrame:
    """The shipped full-scale runs for people, one row each: network (with its arithmetic), seed, test spectra
    right, accuracy, epochs (best), what ended the run, its time, per epoch, and the machine."""
    rows = [{"network": network_label(r.model, r.fresh, r.bf16), "seed": r.seed,
             "right": f"{r.n_test - r.test_errors:,} of {r.n_test:,}", "accuracy": 100 * r.test_accuracy,
             "epochs": f"{r.epochs} (best {r.best_epoch})", "ended by": "time limit" if r.time_capped else
             "early stopping", "time": duration(3600 * r.hours), "per epoch": per_epoch(3600 * r.hours / r.epochs),
             "machine": r.machine} for r in shipped.itertuples()]  # fmt: skip
    return pd.DataFrame(rows, columns=["network", "seed", "right", "accuracy", "epochs", "ended by", "time",
                                       "per epoch", "machine"])  # fmt: skip


def target_sentence(
    shipped: pd.DataFrame, target: float, published: float, published_name: str, errors: bool = False
) -> str:
    """Which shipped networks reach ``target``, per network (mean ± sd over converged seeds, every seed listed,
    those computed in bfloat16 marked).

    By default ``target`` and ``published`` are test accuracies (higher is better); with
    ``errors=True`` they are wrong test spectra (at most ``target``). ``published``: the paper's
    value for ``published_name``, named beside ours. Only runs that early stopping ended count; the
    time-capped ones (``time_capped``) are named apart. Empty without runs.
    """
    if not len(shipped):
        return ""
    capped_mask = shipped["time_capped"].astype(bool) if "time_capped" in shipped else pd.Series(False, shipped.index)
    capped, shipped = shipped[capped_mask], shipped[~capped_mask]

    def show(value: float) -> str:
        return f"{value:.1f}".removesuffix(".0") if errors else f"{100 * value:.1f} %"

    def spread(values: pd.Series) -> str:
        return show(values.iloc[0]) if len(values) == 1 else mean_sd(values if errors else 100 * values, 1,
                                                                        "" if errors else " %")  # fmt: skip

    column = "test_errors" if errors else "test_accuracy"
    parts, reached = [], []
    # one network whatever the precision: each seed computed in bfloat16 is marked
    labels = [network_label(r.model, r.fresh, False) for r in shipped.itertuples()]
    for label, runs in shipped.groupby(labels, sort=False):
        runs = runs.sort_values("seed")
        values = runs[column].astype(float)
        seeds = ", ".join(show(v) + (" bf16" if b else "") for v, b in zip(values, runs["bf16"], strict=True))
        parts.append(f"{label} {spread(values)}" + (f" (seeds: {seeds})" if len(values) > 1 else ""))
        if (values.mean() <= target) if errors else (values.mean() >= target):
            reached.append(label)
    goal = f"at most {target:g} wrong test spectra" if errors else f"{100 * target:.0f} %"
    measure = "mean wrong test spectra over the seeds that early stopping ended"
    measure = measure if errors else measure.replace("wrong test spectra", "test accuracy")
    verdict = (f"{join_and(reached)} {'reaches' if len(reached) == 1 else 'reach'} our goal of {goal}"
               if reached else f"No shipped network reaches our goal of {goal} on the mean")  # fmt: skip
    text = f"{verdict} ({measure}; S23's {published_name}: {show(published)}): " + "; ".join(parts) + "."
    if len(capped):
        named = [f"{network_label(r.model, r.fresh, r.bf16)} seed {r.seed} {show(getattr(r, column))}"
                 for r in capped.itertuples()]  # fmt: skip
        text += f" Not counted, ended by a time limit before converging: {join_and(named)}."
    return text


# --------------------------------------------------------------------------- the benchmark per network
NETWORK_COLUMNS = ["network", "runs", "seeds", "test_errors", "test_errors_sd", "per_seed", "n_test", "test_accuracy",
                   "s23_test_errors", "s23_per_seed", "epochs", "best_epoch", "ended", "hours", "machine"]  # fmt: skip
ENDINGS = ("early stopping", "epoch limit", "time limit")
CAPPED = " (time-capped)"  # the row label of a network's runs that the time limit ended


def network_label(model: str, fresh: bool, bf16: bool) -> str:
    """A run's network as the tables name it: ``Lite``, ``Lite-fresh``, ``VGG-bf16``, ``Lite-fresh-bf16``."""
    return f"{model}{'-fresh' if fresh else ''}{'-bf16' if bf16 else ''}"


def ending(stopped_early: bool, time_capped: bool) -> str:
    """How a run ended: ``"time limit"`` (ended by a deadline), ``"early stopping"``, or ``"epoch limit"``."""
    return ENDINGS[2] if time_capped else ENDINGS[0] if stopped_early else ENDINGS[1]


def network_table(
    shipped: pd.DataFrame,
    published: dict[str, float],
    rules: str = "benchmark",
    published_seeds: dict[str, tuple[int, ...]] | None = None,
) -> pd.DataFrame:
    """Per network, the shipped full-scale runs on ``rules``'s data set beside the published mean errors.

    ``shipped``: :func:`shipped_runs`; ``published``: architecture → mean wrong test spectra
    (S23's, ``lib.reference.S23_TEST_ERRORS``), given to every network of that architecture
    (``-fresh`` and ``-bf16`` included; NaN for one S23 did not train). Rows: S23's networks in
    ``published`` order, then the others by name. Columns: ``network``; ``runs``; ``seeds``,
    ``per_seed`` (wrong test spectra), ``epochs`` and ``best_epoch`` as text, one entry per run
    in seed order; ``test_errors`` and ``test_accuracy`` (means over runs), ``test_errors_sd`` (the
    sample sd over runs, NaN for one run); ``n_test``; ``s23_per_seed`` (``published_seeds``, S23's
    errors per seed, as text; empty without them); runs ended by
    the time limit are never averaged with the others: they form their own row, ``NAME (time-capped)``;
    ``s23_test_errors``; ``ended`` (:func:`ending`, with counts when the runs ended differently);
    ``hours`` (mean per run); ``machine`` (those used, by name).
    """
    published_seeds = published_seeds or {}
    runs = shipped[shipped["rules"] == rules] if len(shipped) else shipped
    if not len(runs):
        return pd.DataFrame(columns=NETWORK_COLUMNS)
    runs = runs.assign(
        network=[network_label(r.model, r.fresh, r.bf16) + (CAPPED if r.time_capped else "") for r in runs.itertuples()]
    )
    names = list(dict.fromkeys(runs["network"]))
    rank = {m: i for i, m in enumerate(published)}

    def order(name: str) -> tuple:
        base = name.removesuffix(CAPPED)
        return (0, rank[base], base, name != base) if base in rank else (1, 0, base, name != base)

    names.sort(key=order)
    rows = []
    for name in names:
        g = runs[runs["network"] == name].sort_values("seed")
        if g["n_test"].nunique() != 1:
            raise ValueError(f"the runs of {name} have different test sets: {sorted(set(g['n_test']))} spectra")
        ends = [ending(bool(r.stopped_early), bool(r.time_capped)) for r in g.itertuples()]
        counts = {e: ends.count(e) for e in dict.fromkeys(ends)}
        join = lambda values: ", ".join(str(int(v)) for v in values)  # noqa: E731
        rows.append(
            {
                "network": name,
                "runs": len(g),
                "seeds": join(g["seed"]),
                "test_errors": float(g["test_errors"].mean()),
                "test_errors_sd": float(g["test_errors"].std(ddof=1)) if len(g) > 1 else np.nan,
                "per_seed": join(g["test_errors"]),
                "n_test": int(g["n_test"].iloc[0]),
                "test_accuracy": float(g["test_accuracy"].mean()),
                "s23_test_errors": float(published.get(g["model"].iloc[0], np.nan)),
                "s23_per_seed": join(published_seeds.get(g["model"].iloc[0], ())),
                "epochs": join(g["epochs"]),
                "best_epoch": join(g["best_epoch"]),
                "ended": ends[0] if len(counts) == 1 else ", ".join(f"{n} {e}" for e, n in counts.items()),
                "hours": float(g["hours"].mean()),
                "machine": ", ".join(sorted(set(g["machine"]))),
            }
        )
    return pd.DataFrame(rows, columns=NETWORK_COLUMNS)


def network_sentence(table: pd.DataFrame, published: dict[str, float], folder: str) -> str:
    """The wrong test spectra of every network of :func:`network_table` beside S23's, as one sentence.

    With no runs: that none is shipped, naming ``folder`` as the reader should see it.
    """
    if not len(table):
        return f"No full-scale benchmark run is shipped with the book yet (folder {folder})."
    parts = []
    for r in table.itertuples():
        sd = f"{r.test_errors:.1f} ± {r.test_errors_sd:.1f}"
        spread = f"seed {r.seeds}" if r.runs == 1 else f"mean ± sd of {r.runs} seeds, {sd}: {r.per_seed}"
        s23 = "" if np.isnan(r.s23_test_errors) else f"; S23 {r.s23_test_errors:.1f}"
        parts.append(f"{r.network} {r.test_errors:.1f} ({spread}{s23})")
    sizes = sorted(set(table["n_test"]))
    text = f"Wrong test spectra of {', '.join(f'{n:,}' for n in sizes)}, full scale (shipped): " + "; ".join(parts)
    if published:
        best = min(published, key=published.get)
        text += f". S23's fewest: {best} with {published[best]:.1f} on average"
    return text + "."


def ending_note(shipped: pd.DataFrame, patience: int, max_epochs: int, rules: str = "benchmark") -> str:
    """How the shipped runs ended, with an honest note on each run ended by the time limit (``time_capped``).

    ``patience`` and ``max_epochs``: the protocol's early-stopping patience and epoch limit.
    """
    runs = shipped[shipped["rules"] == rules] if len(shipped) else shipped
    if not len(runs):
        return ""
    ends = [ending(bool(r.stopped_early), bool(r.time_capped)) for r in runs.itertuples()]
    capped = [r for r, e in zip(runs.itertuples(), ends, strict=True) if e == "time limit"]
    text = (f"Of {len(runs)} shipped run{'s' if len(runs) > 1 else ''}, {ends.count('early stopping')} stopped early "
            f"({patience} epochs without improvement), {ends.count('epoch limit')} reached the limit of {max_epochs} "
            f"epochs and {len(capped)} {'was' if len(capped) == 1 else 'were'} ended by the time limit.")  # fmt: skip
    if capped:
        each = "; ".join(
            f"{network_label(r.model, r.fresh, r.bf16)} seed {r.seed} after {r.epochs} epochs (best epoch "
            f"{r.best_epoch})"
            for r in capped
        )
        text += (f" The time limit ended {each}, with the best weights so far: not S23's protocol to the end, "
                 "which trains until early stopping or the epoch limit, and more epochs might have lowered "
                 "the errors.")  # fmt: skip
    return text


def as_study_runs(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Full-scale records in the shape of ``benchmark_runs`` runs (``test_wrong`` and the wrong ``test_pred``).

    The run's ``model`` becomes its :func:`network_label`; every record must share the class count and rules.
    """
    if len({(r["n_classes"], r["rules"]) for r in records}) > 1:
        raise ValueError("the runs have different class counts or test rules; compare runs of one data set")
    out = []
    for r in records:
        pred = np.asarray(r["test_pred"])
        wrong = np.flatnonzero(pred != test_labels(r["n_classes"], r["rules"]))
        out.append({"model": network_label(r["model"], r["fresh"], r["bf16"]), "seed": r["seed"],
                    "test_wrong": wrong.tolist(), "test_pred": pred[wrong].tolist()})  # fmt: skip
    return out


def confused_pairs(
    records: list[dict[str, Any]], classes: synthetic.ClassSet, named: dict[str, tuple[int, int]] | None = None
) -> pd.DataFrame:
    """Class pairs confused on the whole test set, pooled over ``records``, with their cause.

    :func:`lib.synthetic.benchmark_runs.confusions` of the runs (``a < b``, errors, runs, networks,
    most errors first) with :func:`lib.synthetic.benchmark_runs.pair_cause`'s rule added
    (``cause``), and in ``named`` the published name of the pair where the paper names it
    (``named``: cause → pair, e.g. ``lib.reference.S23_HARD_PAIRS``; empty text elsewhere).
    """
    from lib.synthetic import benchmark_runs as br

    runs = as_study_runs(records)
    n = records[0]["n_classes"] if records else len(classes)
    if n != len(classes):
        raise ValueError(f"the runs have {n} classes, the class definitions {len(classes)}")
    rules = records[0]["rules"] if records else "benchmark"
    pairs = br.attribute(br.confusions(runs, list(range(n)), test_labels(n, rules)), classes)
    names = {tuple(sorted(p)): cause for cause, p in (named or {}).items()}
    pairs["named"] = [names.get((int(a), int(b)), "") for a, b in zip(pairs["a"], pairs["b"], strict=True)]
    return pairs[["a", "b", "errors", "runs", "models", "cause", "named", "max_shift", "max_height_diff"]]


def by_cause(pairs: pd.DataFrame) -> str:
    """Confused pairs and their errors per cause, in the order the causes first appear; "none" if no pair."""
    counts = pairs.groupby("cause", sort=False)["errors"].agg(["size", "sum"]) if len(pairs) else pd.DataFrame()
    parts = [f"{c}: {count(int(r['size']), 'pair')}, {count(int(r['sum']), 'error')}" for c, r in counts.iterrows()]
    return "; ".join(parts) or "none"


def confusion_sentence(pairs: pd.DataFrame, n_runs: int, named: dict[str, tuple[int, int]]) -> str:
    """Confused pairs by cause, and how often the paper's named pairs were confused, as one sentence."""
    total = int(pairs["errors"].sum()) if len(pairs) else 0
    confused = f"{count(len(pairs), 'class pair')} were confused with {count(total, 'error')}"
    text = f"Pooled over {count(n_runs, 'run')}, {confused}"
    if len(pairs):
        text += f" (by cause: {by_cause(pairs)})"
    errors = {(int(a), int(b)): int(e) for a, b, e in zip(pairs["a"], pairs["b"], pairs["errors"], strict=True)}
    if named:
        text += ". S23's example pairs: " + "; ".join(
            f"{min(p)}/{max(p)} ({cause}) {count(errors.get(tuple(sorted(p)), 0), 'error')}"
            for cause, p in named.items()
        )
    return text + "."


# --------------------------------------------------------------------------- command line
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``python -m lib synthetic full-scale``."""
    p.add_argument("--model", required=True, help="a name of lib.models.benchmark.build, e.g. Lite, CNN6, VGG")
    p.add_argument("--seed", type=int, default=0, help="training seed (initial weights, dropout, batch order)")
    p.add_argument(
        "--dataset",
        choices=list(DATASETS),
        default="benchmark",
        help="S23's 500-class benchmark or its 27-class challenge set (default: benchmark)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="folder for the result (default: book/synthetic/results/full, its challenge/ for the challenge set)",
    )
    p.add_argument("--classes", type=Path, help="class definitions (default: the data set's file in the shared data)")
    p.add_argument("--data-seed", type=int, default=0, help="seed of the training/validation spectra")
    p.add_argument("--fresh", action="store_true", help="draw new training spectra every epoch (not S23's protocol)")
    p.add_argument(
        "--bf16",
        action="store_true",
        help="compute under bfloat16 autocast (faster on CPUs with AVX512-BF16/AMX; not S23's float32)",
    )
    p.add_argument("--max-epochs", type=int, default=500)
    p.add_argument(
        "--checkpoint-dir", type=Path, help="checkpoint folder (default _build/cache/full_scale/[challenge/]RUN)"
    )
    p.add_argument("--hours", type=float, help="stop (resumably) after the first epoch past this many hours")
    p.add_argument(
        "--finish-by-hours",
        type=float,
        help="end the run after the first epoch past this many hours, with the best weights so far "
        "(the record says time_capped; not S23's protocol)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="PyTorch CPU threads (default 1: on the shared 2-core machine one thread trained 1.1-2.6 times "
        "faster than two, book/synthetic/results/speed_cpu.json)",
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--no-progress", action="store_true")


def main(args: argparse.Namespace) -> int:
    """Run :func:`run` from the parsed command line."""
    from lib.models import benchmark

    if args.model not in benchmark.SPECS and args.model not in benchmark.MODIFIED:
        raise ValueError(f"--model {args.model!r} is not a benchmark network; choose from {list(benchmark.SPECS)}")
    if args.threads < 1:
        raise ValueError(f"--threads must be at least 1, got {args.threads}")
    classes = synthetic.load_classes(args.classes or default_classes(args.dataset))
    spec = Run(args.model, args.seed, args.data_seed, args.fresh, args.bf16, rules=DATASETS[args.dataset]["rules"])
    out = args.out if args.out is not None else default_out(args.dataset)
    previous = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        run(spec, classes, out, args.checkpoint_dir, args.max_epochs, args.device, not args.no_progress,
            hours=args.hours, finish_by=args.finish_by_hours)  # fmt: skip
    finally:
        torch.set_num_threads(previous)
    return 0
