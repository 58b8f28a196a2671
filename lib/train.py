"""One training harness for every chapter: seeded, early-stopped, resumable mini-batch training.

:func:`fit` trains any ``nn.Module`` with Adam on mini-batches and, after every epoch, logs
the training loss, the validation loss, a validation metric (accuracy by default), the
learning rate and the seconds taken. It follows Keras' callbacks, which produced S23's numbers:

* **Early stopping** (``patience``, ``min_delta``) on the validation loss: an epoch improves
  when ``val_loss < best - min_delta``; training stops after ``patience`` epochs without
  improvement and the weights of the best epoch are restored (also when ``max_epochs`` ends
  the run first).
* **Learning-rate plateau** (``lr_factor``, ``lr_patience``, ``lr_min_delta``): the rate is
  multiplied by ``lr_factor`` after ``lr_patience`` epochs without improvement of its own
  best (Keras' ``ReduceLROnPlateau``, which reduces after exactly ``patience`` stale epochs;
  PyTorch's scheduler waits one epoch more).

Reproducibility: the data order of epoch ``e`` is :func:`epoch_order` — a permutation drawn
from a generator seeded only by ``(seed, e)`` — so every model sees the same mini-batches for
a given seed; dropout draws from ``torch.manual_seed(seed)``; a model passed as a factory is
built right after seeding. On CPU two runs with the same seed give identical weights; on CUDA
deterministic algorithms are requested (``deterministic=True``), which makes most but not
every kernel reproducible.

A ``checkpoint`` folder makes a run resumable: after every epoch it holds ``state.pt`` (model,
optimiser, best weights, random states, counters and history) and ``history.json``, written
atomically (:mod:`lib.io`); at the end ``model.pt`` (best weights) and ``metrics.json``. A run
started again with the same folder continues after the last saved epoch and ends with the
same weights as an uninterrupted one (CPU); a finished run is loaded, not retrained.

The loss is any callable ``loss(outputs, targets) -> scalar`` (cross-entropy on logits by
default; e.g. ``lib.losses.ReweightedBCELoss`` for multi-label data, a triplet loss on
embeddings); ``penalty(model)`` adds a term to the training loss only. ``train_data`` may be a
callback ``(epoch, rng) -> (x, y)`` that draws fresh training data every epoch (on-the-fly
augmentation). ``batch_order(seed, epoch, y)`` optionally replaces :func:`epoch_order`, e.g. to
put several samples of each class into every mini-batch for a triplet loss
(:func:`lib.synthetic.metric_learning.pk_order`); it must depend on its arguments only, so runs stay reproducible.

The S23 networks see every spectrum divided by its maximum: :func:`max_normalise` is that
step, applied by the caller to every split (the harness never changes its inputs).
"""

from __future__ import annotations

import copy
import os
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from lib import io
from lib.reference import R23_STALE_EPOCHS

Array = np.ndarray | torch.Tensor
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Metric = Callable[[torch.Tensor, torch.Tensor], "float | dict[str, float]"]
DataFn = Callable[[int, np.random.Generator], tuple[Array, Array]]


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule and stopping rules of a run.

    ``lr_factor=None`` switches the plateau schedule off, ``patience=None`` early stopping.
    ``restore_best``: end with the weights of the epoch with the best validation loss (else
    the last epoch's). ``eps`` is Adam's epsilon.
    """

    lr: float = 1e-3
    batch_size: int = 128
    max_epochs: int = 500
    lr_factor: float | None = None
    lr_patience: int = 10
    lr_min_delta: float = 1e-4  # Keras ReduceLROnPlateau's default
    min_lr: float = 0.0
    patience: int | None = 5
    min_delta: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    restore_best: bool = True
    deterministic: bool = True

    def __post_init__(self):
        checks = {
            "lr": self.lr > 0,
            "batch_size": isinstance(self.batch_size, int) and self.batch_size >= 1,
            "max_epochs": isinstance(self.max_epochs, int) and self.max_epochs >= 1,
            "lr_factor": self.lr_factor is None or 0 < self.lr_factor < 1,
            "lr_patience": isinstance(self.lr_patience, int) and self.lr_patience >= 1,
            "lr_min_delta": self.lr_min_delta >= 0,
            "min_lr": self.min_lr >= 0,
            "patience": self.patience is None or (isinstance(self.patience, int) and self.patience >= 1),
            "min_delta": self.min_delta >= 0,
            "eps": self.eps > 0,
            "weight_decay": self.weight_decay >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"TrainConfig.{name} has an invalid value: {getattr(self, name)!r}")

    def to_dict(self) -> dict:
        """Plain dictionary (lists for tuples), for JSON files."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


#: S23's protocol (paper text). ``eps=1e-7`` is Keras' Adam default.
#: Where the authors' ``training/benchmark.py`` differs from the paper: it calls
#: ``ReduceLROnPlateau(patience=10)`` with Keras' default factor 0.1, not 0.5
#: (``dataclasses.replace(S23, lr_factor=0.1)`` follows the code), and it restores the weights of the
#: lowest validation loss (as we do), where the paper says "maximal validation accuracy".
S23 = TrainConfig(
    lr=3e-4, batch_size=128, max_epochs=500, lr_factor=0.5, lr_patience=10, patience=25, min_delta=1e-4, eps=1e-7
)
#: R23's protocol as their released ``train.py`` runs it: Adam with its default rate, batch 128, no schedule,
#: and early stopping when ``cur_patience > max_patience`` with ``max_patience = 5``, i.e. after 6 epochs
#: without a lower validation loss (the paper says 5); here ``patience`` counts the stale epochs that stop a run.
R23 = TrainConfig(lr=1e-3, batch_size=128, max_epochs=500, lr_factor=None, patience=R23_STALE_EPOCHS, min_delta=0.0)


def max_normalise(x: Array) -> np.ndarray:
    """Every spectrum (last axis) divided by its maximum, as float32: the S23 models' input step."""
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    x = x.astype(np.float32, copy=False)
    peak = x.max(axis=-1, keepdims=True)
    return x / np.where(peak > 0, peak, np.float32(1))


# --------------------------------------------------------------------------- devices and seeds
def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"`` (or ``None``): CUDA when available, else CPU; anything else as given."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def device_name(device: str | torch.device | None = "auto") -> str:
    """Readable name of a device: the GPU's model, or the CPU's model with the thread count."""
    device = resolve_device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    n = torch.get_num_threads()
    return f"{cpu} ({n} thread{'' if n == 1 else 's'})"


def memory_allocator() -> str:
    """The C memory allocator this process runs on: ``tcmalloc`` or ``jemalloc`` when one is preloaded
    (``LD_PRELOAD``), else the C library's (``libc``). On a CPU, PyTorch's training allocates and frees large
    buffers every step; glibc hands them back to the system and faults them in again, which a caching allocator
    avoids (:mod:`lib.synthetic.speed`'s ``bf16-tcmalloc`` option measures what that gains)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return "unknown"
    for name in ("tcmalloc", "jemalloc", "mimalloc"):
        if f"lib{name}" in maps:
            return name
    return "libc"


def seed_everything(seed: int) -> None:
    """Seed PyTorch's generators (CPU and every GPU) for model initialisation and dropout."""
    torch.manual_seed(seed)


@contextmanager
def deterministic_algorithms(enabled: bool = True) -> Iterator[None]:
    """Request deterministic kernels (and no cuDNN autotuning) inside the block; restore afterwards.

    Kernels without a deterministic version warn instead of failing. CUDA's cuBLAS also needs
    ``CUBLAS_WORKSPACE_CONFIG``, set here if unset (it must be set before CUDA starts to count).
    """
    previous = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = previous[2], previous[3]


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The order of the ``n`` training samples in ``epoch`` (1-based): depends on ``seed`` and ``epoch`` only."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator handed to a ``train_data`` callback in ``epoch`` (independent of :func:`epoch_order`)."""
    return np.random.default_rng([seed, epoch, 1])


# --------------------------------------------------------------------------- losses and metrics
def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy on logits with integer labels (S23's loss), mean over the batch.

    Keras' ``categorical_crossentropy`` on softmax outputs clips probabilities to ``[1e-7, 1 - 1e-7]``;
    on logits no clipping is needed, so the two differ only for saturated outputs.
    """
    return F.cross_entropy(logits, labels)


def accuracy(outputs: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Share of rows whose largest output is the label."""
    return {"accuracy": float((outputs.argmax(dim=1) == labels).float().mean())}


# --------------------------------------------------------------------------- results
@dataclass
class FitResult:
    """What :func:`fit` returns; ``model`` holds the restored (best) weights.

    ``history`` has one dictionary per epoch: ``epoch`` (1-based), ``train_loss``, ``val_loss``,
    ``val_<metric>``, ``lr`` (the rate used in that epoch), ``seconds``, ``improved``.
    """

    model: nn.Module = field(repr=False)
    history: list[dict]
    best_epoch: int
    best_val_loss: float | None
    epochs: int
    stopped_early: bool
    seconds: float
    device: str
    device_name: str
    resumed_from: int = 0

    def summary(self) -> dict:
        """Everything but the model and the history, JSON-ready."""
        return {
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "epochs": self.epochs,
            "stopped_early": self.stopped_early,
            "seconds": self.seconds,
            "device": self.device,
            "device_name": self.device_name,
            "resumed_from": self.resumed_from,
        }


# --------------------------------------------------------------------------- helpers
def _as_tensors(x: Array, y: Array, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.as_tensor(np.asarray(x, dtype=np.float32) if not isinstance(x, torch.Tensor) else x.float())
    y = torch.as_tensor(y if isinstance(y, torch.Tensor) else np.asarray(y))
    if y.dtype in (torch.int8, torch.int16, torch.int32, torch.uint8):
        y = y.long()
    elif y.dtype == torch.float64:
        y = y.float()
    if len(x) != len(y):
        raise ValueError(f"{name}: {len(x)} inputs but {len(y)} targets")
    if len(x) == 0:
        raise ValueError(f"{name}: no samples")
    return x, y


def _place(x: torch.Tensor, y: torch.Tensor, device: torch.device, limit_gb: float = 4.0):
    """Move a whole data set to a GPU when it is small enough; batches are then sliced there."""
    if device.type == "cuda" and (x.nelement() * x.element_size() + y.nelement() * y.element_size()) < limit_gb * 2**30:
        return x.to(device), y.to(device)
    return x, y


def _batch_outputs(model: nn.Module, x: torch.Tensor, batch_size: int, device: torch.device) -> Iterator[torch.Tensor]:
    for start in range(0, len(x), batch_size):
        yield model(x[start : start + batch_size].to(device, non_blocking=True))


def _validate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Loss,
    metric: Metric | None,
    batch_size: int,
    device: torch.device,
) -> dict[str, float]:
    """Validation loss (batch means weighted by batch size, eval mode) and metric(s)."""
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    outputs = []
    with torch.no_grad():
        for start, out in zip(range(0, len(x), batch_size), _batch_outputs(model, x, batch_size, device), strict=True):
            yb = y[start : start + batch_size].to(device, non_blocking=True)
            total += loss_fn(out, yb).double() * len(yb)
            if metric is not None:
                outputs.append(out.float().cpu())
    logs = {"val_loss": float(total) / len(x)}
    if metric is not None:
        value = metric(torch.cat(outputs), y.cpu())
        value = value if isinstance(value, dict) else {"metric": value}
        logs.update({f"val_{k}": float(v) for k, v in value.items()})
    return logs


def _state_to_cpu(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


def _rng_state() -> dict[str, Any]:
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def _save(path: Path, obj: Any) -> None:
    with io.atomic_open(path, "wb") as handle:
        torch.save(obj, handle)


# --------------------------------------------------------------------------- training
def fit(
    model: nn.Module | Callable[[], nn.Module],
    train_data: tuple[Array, Array] | DataFn,
    val_data: tuple[Array, Array] | None = None,
    config: TrainConfig = S23,
    *,
    seed: int = 0,
    loss: Loss | None = None,
    metric: Metric | None = None,
    penalty: Callable[[nn.Module], torch.Tensor] | None = None,
    device: str | torch.device | None = "auto",
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    checkpoint_every: int = 1,
    desc: str | None = None,
    on_epoch_end: Callable[[dict], None] | None = None,
    batch_order: Callable[[int, int, np.ndarray], np.ndarray] | None = None,
) -> FitResult:
    """Train ``model`` (or build it from a factory after seeding) and return the result.

    ``train_data``: ``(x, y)`` arrays, or a callback ``(epoch, rng) -> (x, y)`` called at the
    start of every epoch with :func:`epoch_rng` (fresh augmented data). ``val_data``: ``(x, y)``;
    without it there is no early stopping, no schedule and the last weights are kept.
    ``loss`` defaults to :func:`cross_entropy`, whose ``metric`` defaults to :func:`accuracy`;
    a ``metric(outputs, targets)`` returns a number or a dictionary, logged with ``val_``.
    ``penalty(model)`` is added to the training loss only. ``checkpoint``: a folder that makes
    the run resumable (see the module docstring), saved every ``checkpoint_every`` epochs and at
    the end (the state of a large model with its Adam moments is several GB); a different
    ``config`` (other than ``max_epochs``) or ``seed`` there raises ``ValueError``.
    ``on_epoch_end(log)`` sees every epoch's log (after the checkpoint is written).
    ``batch_order(seed, epoch, y_train)`` returns the indices of the training samples in the order
    of the epoch's mini-batches (default :func:`epoch_order`; samples may be left out or repeated).
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(checkpoint_every, int) or checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be a positive integer, got {checkpoint_every!r}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    dev = resolve_device(device)
    loss_fn = cross_entropy if loss is None else loss
    if metric is None and loss is None:
        metric = accuracy
    if isinstance(model, nn.Module):
        net = model
    elif callable(model):
        seed_everything(seed)
        net = model()
    else:
        raise TypeError("model must be an nn.Module or a function that builds one")
    net.to(dev)
    if isinstance(loss_fn, nn.Module):
        loss_fn.to(dev)

    data_fn: DataFn | None = None
    if callable(train_data):
        data_fn = train_data
        x_train = y_train = None
    else:
        x_train, y_train = _place(*_as_tensors(*train_data, "train_data"), dev)
    x_val = y_val = None
    if val_data is not None:
        x_val, y_val = _place(*_as_tensors(*val_data, "val_data"), dev)

    optimiser = torch.optim.Adam(
        net.parameters(), lr=config.lr, betas=config.betas, eps=config.eps, weight_decay=config.weight_decay
    )
    state = {
        "epoch": 0,
        "history": [],
        "best_loss": float("inf"),
        "best_epoch": 0,
        "wait": 0,
        "plateau_best": float("inf"),
        "plateau_wait": 0,
        "stopped_early": False,
        "seconds": 0.0,
    }
    best_weights: dict[str, torch.Tensor] | None = None
    folder = Path(checkpoint) if checkpoint is not None else None
    seed_everything(seed)  # dropout and anything random inside the model
    resumed_from = 0
    if folder is not None and (folder / "state.pt").is_file():
        saved = torch.load(folder / "state.pt", map_location="cpu", weights_only=True)
        _check_resume(saved, config, seed, folder)
        net.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        best_weights = saved["best_weights"]
        state.update(saved["trainer"])
        _set_rng_state(saved["rng"])
        resumed_from = state["epoch"]
    finished = state["stopped_early"] or state["epoch"] >= config.max_epochs

    bar = tqdm(total=config.max_epochs, initial=state["epoch"], disable=not progress, desc=desc, leave=False)
    try:
        with deterministic_algorithms(config.deterministic):
            while not finished:
                epoch = state["epoch"] + 1
                start = time.perf_counter()
                if data_fn is not None:
                    x_train, y_train = _place(*_as_tensors(*data_fn(epoch, epoch_rng(seed, epoch)), "train_data"), dev)
                lr = optimiser.param_groups[0]["lr"]
                if batch_order is None:
                    order = epoch_order(seed, epoch, len(x_train))
                else:
                    order = _check_order(batch_order(seed, epoch, y_train.cpu().numpy()), len(x_train))
                train_loss = _train_epoch(
                    net, optimiser, x_train, y_train, loss_fn, penalty, order, config.batch_size, dev
                )
                log = {"epoch": epoch, "train_loss": train_loss}
                improved = False
                if x_val is not None:
                    log.update(_validate(net, x_val, y_val, loss_fn, metric, config.batch_size, dev))
                    improved = _update_stopping(state, log["val_loss"], epoch, config, optimiser)
                    if improved:
                        best_weights = _state_to_cpu(net.state_dict())
                log.update(lr=lr, seconds=time.perf_counter() - start, improved=improved)
                state["history"].append(log)
                state["epoch"] = epoch
                state["seconds"] += log["seconds"]
                finished = state["stopped_early"] or epoch >= config.max_epochs
                if folder is not None and (finished or epoch % checkpoint_every == 0):
                    _write_checkpoint(folder, net, optimiser, best_weights, state, config, seed)
                bar.update(1)
                bar.set_postfix({k: f"{v:.4g}" for k, v in log.items() if k not in ("epoch", "improved", "seconds")})
                if on_epoch_end is not None:
                    on_epoch_end(log)
    finally:
        bar.close()

    if best_weights is not None and config.restore_best:
        net.load_state_dict(best_weights)
    result = FitResult(
        model=net,
        history=state["history"],
        best_epoch=state["best_epoch"] if x_val is not None else state["epoch"],
        best_val_loss=state["best_loss"] if x_val is not None and state["best_epoch"] else None,
        epochs=state["epoch"],
        stopped_early=state["stopped_early"],
        seconds=state["seconds"],
        device=str(dev),
        device_name=device_name(dev),
        resumed_from=resumed_from,
    )
    if folder is not None:
        _save(folder / "model.pt", _state_to_cpu(net.state_dict()))
        io.write_json(folder / "metrics.json", {**result.summary(), "config": config.to_dict(), "seed": seed})
    return result


def _write_checkpoint(
    folder: Path,
    net: nn.Module,
    optimiser: torch.optim.Optimizer,
    best_weights: dict | None,
    state: dict,
    config: TrainConfig,
    seed: int,
) -> None:
    """``state.pt`` (everything needed to continue) and ``history.json`` (readable log), each atomic."""
    _save(
        folder / "state.pt",
        {
            "model": _state_to_cpu(net.state_dict()),
            "optimiser": optimiser.state_dict(),
            "best_weights": best_weights,
            "trainer": state,
            "rng": _rng_state(),
            "config": config.to_dict(),
            "seed": seed,
        },
    )
    io.write_json(folder / "history.json", {"config": config.to_dict(), "seed": seed, "history": state["history"]})


def _train_epoch(
    net: nn.Module,
    optimiser: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Loss,
    penalty: Callable[[nn.Module], torch.Tensor] | None,
    order: np.ndarray,
    batch_size: int,
    device: torch.device,
) -> float:
    """One pass over ``x`` in ``order``; the mean training loss (batch means weighted by size)."""
    net.train()
    order_t = torch.from_numpy(order).to(x.device)
    total = torch.zeros((), dtype=torch.float64, device=device)
    for start in range(0, len(order_t), batch_size):
        idx = order_t[start : start + batch_size]
        xb, yb = x[idx].to(device, non_blocking=True), y[idx].to(device, non_blocking=True)
        optimiser.zero_grad(set_to_none=True)
        batch_loss = loss_fn(net(xb), yb)
        total += batch_loss.detach().double() * len(idx)
        if penalty is not None:
            batch_loss = batch_loss + penalty(net)
        batch_loss.backward()
        optimiser.step()
    return float(total) / len(order)


def _check_order(order: Any, n: int) -> np.ndarray:
    """A ``batch_order`` result as int64 indices into the ``n`` training samples, or a clear error."""
    order = np.asarray(order)
    if order.ndim != 1 or order.size == 0 or not np.issubdtype(order.dtype, np.integer):
        raise ValueError(f"batch_order must return a non-empty 1-D integer array, got {order.dtype} {order.shape}")
    if order.min() < 0 or order.max() >= n:
        raise ValueError(f"batch_order returned indices outside [0, {n})")
    return order.astype(np.int64, copy=False)


def _update_stopping(state: dict, val_loss: float, epoch: int, config: TrainConfig, optimiser) -> bool:
    """Keras' EarlyStopping and ReduceLROnPlateau after one epoch; True when the epoch is the new best."""
    improved = val_loss < state["best_loss"] - config.min_delta
    if improved:
        state["best_loss"], state["best_epoch"], state["wait"] = val_loss, epoch, 0
    else:
        state["wait"] += 1
        if config.patience is not None and state["wait"] >= config.patience:
            state["stopped_early"] = True
    if config.lr_factor is not None:
        if val_loss < state["plateau_best"] - config.lr_min_delta:
            state["plateau_best"], state["plateau_wait"] = val_loss, 0
        else:
            state["plateau_wait"] += 1
            if state["plateau_wait"] >= config.lr_patience:
                for group in optimiser.param_groups:
                    group["lr"] = max(group["lr"] * config.lr_factor, config.min_lr)
                state["plateau_wait"] = 0
    return improved


def _check_resume(saved: dict, config: TrainConfig, seed: int, folder: Path) -> None:
    old, new = dict(saved["config"]), config.to_dict()
    old.pop("max_epochs"), new.pop("max_epochs")
    changed = sorted(k for k in new if old.get(k) != new[k])
    if changed or saved["seed"] != seed:
        what = ", ".join(changed + (["seed"] if saved["seed"] != seed else []))
        raise ValueError(f"checkpoint {folder} was written with a different {what}; use another folder or delete it")


# --------------------------------------------------------------------------- prediction
def predict(
    model: nn.Module,
    x: Array,
    batch_size: int = 512,
    device: str | torch.device | None = None,
    output: str = "logits",
) -> np.ndarray:
    """Model outputs for ``x`` in batches, eval mode, as a float32 array.

    ``output``: ``"logits"`` (raw), ``"softmax"`` (class probabilities) or ``"sigmoid"``
    (multi-label probabilities). ``device=None`` uses the model's device; another device moves the model.
    """
    if output not in ("logits", "softmax", "sigmoid"):
        raise ValueError(f"output must be 'logits', 'softmax' or 'sigmoid', got {output!r}")
    if device is None:
        param = next(model.parameters(), None)
        dev = param.device if param is not None else torch.device("cpu")
    else:
        dev = resolve_device(device)
        model.to(dev)
    x_t = torch.as_tensor(np.asarray(x, dtype=np.float32) if not isinstance(x, torch.Tensor) else x.float())
    model.eval()
    parts = []
    with torch.no_grad():
        for out in _batch_outputs(model, x_t, batch_size, dev):
            if output == "softmax":
                out = out.softmax(dim=1)
            elif output == "sigmoid":
                out = out.sigmoid()
            parts.append(out.float().cpu())
    return torch.cat(parts).numpy()


def evaluate(
    model: nn.Module, x: Array, y: Array, batch_size: int = 512, device: str | torch.device | None = None
) -> dict[str, Any]:
    """Classification result on ``(x, y)``: accuracy, number misclassified, their indices, predictions, loss.

    ``loss`` is the mean softmax cross-entropy.
    """
    logits = torch.from_numpy(predict(model, x, batch_size, device))
    labels = torch.as_tensor(np.asarray(y)).long()
    if len(labels) != len(logits):
        raise ValueError(f"x has {len(logits)} samples but y has {len(labels)}")
    pred = logits.argmax(dim=1)
    wrong = torch.nonzero(pred != labels).flatten().numpy()
    return {
        "n": len(labels),
        "n_wrong": int(len(wrong)),
        "accuracy": float(1 - len(wrong) / len(labels)),
        "loss": float(F.cross_entropy(logits, labels)),
        "wrong": wrong,
        "pred": pred.numpy(),
    }


# --------------------------------------------------------------------------- throughput
def throughput(
    model: nn.Module,
    input_len: int | None = None,
    batch_size: int = 128,
    n_batches: int = 3,
    warmup: int = 1,
    device: str | torch.device | None = "auto",
    loss: Loss | None = None,
    lr: float = 3e-4,
) -> dict[str, Any]:
    """Training and inference speed (spectra per second) of ``model`` on ``device``.

    A copy of the model trains ``warmup + n_batches`` Adam steps on random max-normalised
    spectra with random labels (cross-entropy unless ``loss`` is given); only the last
    ``n_batches`` count. Inference times the same number of eval-mode batches under
    ``torch.inference_mode``. The model itself is not changed.
    """
    if n_batches < 1 or warmup < 0 or batch_size < 1:
        raise ValueError(f"need n_batches >= 1, warmup >= 0, batch_size >= 1; got {n_batches}, {warmup}, {batch_size}")
    input_len = input_len or getattr(model, "input_len", None)
    if input_len is None:
        raise ValueError("input_len is needed for a model without an 'input_len' attribute")
    dev = resolve_device(device)
    net = copy.deepcopy(model).to(dev)
    loss_fn = cross_entropy if loss is None else loss
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(batch_size, 1, input_len, generator=gen)
    x = (x / x.amax(dim=-1, keepdim=True)).to(dev)
    with torch.no_grad():
        n_out = net.eval()(x[:1]).shape[-1]
    y = torch.randint(0, n_out, (batch_size,), generator=gen).to(dev)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    for i in range(warmup + n_batches):
        if i == warmup:
            sync()
            start = time.perf_counter()
        optimiser.zero_grad(set_to_none=True)
        loss_fn(net(x), y).backward()
        optimiser.step()
    sync()
    train_s = time.perf_counter() - start
    net.eval()
    with torch.inference_mode():
        for i in range(warmup + n_batches):
            if i == warmup:
                sync()
                start = time.perf_counter()
            net(x)
        sync()
    infer_s = time.perf_counter() - start
    return {
        "model": getattr(model, "name", type(model).__name__),
        "device": str(dev),
        "device_name": device_name(dev),
        "batch_size": batch_size,
        "n_batches": n_batches,
        "train_spectra_per_s": batch_size * n_batches / train_s,
        "infer_spectra_per_s": batch_size * n_batches / infer_s,
    }


def save_result(result: FitResult, folder: str | os.PathLike, extra: dict | None = None) -> None:
    """Write ``history.json`` and ``metrics.json`` (summary + ``extra``) of a run into ``folder``, atomically."""
    folder = Path(folder)
    io.write_json(folder / "history.json", {"history": result.history})
    io.write_json(folder / "metrics.json", {**result.summary(), **(extra or {})})


class Autocast(nn.Module):
    """``net`` computed under ``torch.autocast`` to bfloat16 (weights stay float32); float32 outputs.

    On a CPU with native bfloat16 instructions a network trains about twice as fast this way
    (``lib.synthetic.speed``); the arithmetic is no longer S23's float32.
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.name, self.input_len = getattr(net, "name", None), getattr(net, "input_len", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, dtype=torch.bfloat16):
            out = self.net(x)
        return out.float()
