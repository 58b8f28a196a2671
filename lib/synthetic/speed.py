"""Training speed of the S23 networks on the CPU, beside the machine's measured peak.

For each network, batch size and option, a few Adam steps (forward, backward, update) on random
max-normalised spectra of S23's shape (5,000 points, 500 classes) are timed; the result is in
training spectra per second and in achieved GFLOP/s. On a shared machine one timing says little:
the peak and the training are timed alternately, ``repeats`` times each, and the medians are
reported with the spread of the training rate and the load averages seen. The FLOPs of one training step are analytic
(:func:`training_flops`): the forward pass costs two FLOPs per multiply-add of the convolutions and
dense layers (:func:`lib.models.benchmark.layer_macs`), the backward pass twice that (gradients
of the weights and of the layer inputs), less the input gradient of the first layer, which
nobody needs. Pooling, activations, dropout, the loss and the optimiser are not counted, so the
GFLOP/s are a slight underestimate of the work done. The peak is the best of a few large matrix
products (:func:`peak_gflops`) in the arithmetic the row trains in: float32, or bfloat16 for the
``bf16`` options, so each share of the peak compares like with like.

Options (:data:`OPTIONS`): ``eager`` (PyTorch's default), ``bf16`` (``torch.autocast`` to
bfloat16 on the CPU; the weights and Adam stay float32), ``bf16-tcmalloc`` (the same in a child process with
the tcmalloc memory allocator preloaded, :func:`lib.train.memory_allocator`), ``no-mkldnn`` (PyTorch's own
convolutions instead of oneDNN's), ``compile`` (``torch.compile`` of the model, its compile time
reported separately and run in a child process with a time limit) and ``background`` (a thread
draws fresh training spectra, as :func:`lib.synthetic.benchmark_runs.fresh_variations` does,
while the network trains). PyTorch's ``channels_last`` memory format exists only for 4-D
tensors; a 1-D network has no such switch.

The machine may be shared: every row records the one-minute load average when it was measured.

Command line: ``python -m lib.synthetic.speed --out book/synthetic/results/speed_cpu.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from lib import io
from lib.models import benchmark
from lib.paths import REPO
from lib.synthetic import benchmark_runs
from lib.synthetic import generator as synthetic
from lib.train import memory_allocator

OPTIONS = ("eager", "bf16", "bf16-tcmalloc", "no-mkldnn", "compile", "background")
BF16_OPTIONS = ("bf16", "bf16-tcmalloc")
INPUT_LEN, N_CLASSES = 5000, 500
#: The measurement shipped with the book (``python -m lib.synthetic.speed --out STORED``).
STORED = REPO / "book" / "synthetic" / "results" / "speed_cpu.json"


# --------------------------------------------------------------------------- counting
def training_flops(model: nn.Module, input_len: int | None = None) -> dict[str, int]:
    """FLOPs per spectrum: ``forward`` (2 × multiply-adds) and ``train`` (forward + backward).

    The backward pass of a layer computes the gradient of its weights and of its input, each as
    many multiply-adds as the forward pass; the first layer's input gradient is not computed.
    """
    rows = benchmark.layer_macs(model, input_len)
    macs = sum(r["macs"] for r in rows)
    first = rows[0]["macs"] if rows else 0
    return {"forward": 2 * macs, "train": 2 * (3 * macs - first)}


def peak_gflops(size: int = 2048, repeats: int = 5, dtype: torch.dtype = torch.float32) -> float:
    """Best GFLOP/s of ``repeats`` products of two ``size × size`` matrices (``2 size³`` FLOPs each)."""
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(size, size, generator=gen).to(dtype)
    b = torch.rand(size, size, generator=gen).to(dtype)
    torch.matmul(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def load_average() -> float:
    """The one-minute load average (``nan`` where the system has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


def bf16_supported() -> bool:
    """Whether the CPU has native bfloat16 instructions (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


# --------------------------------------------------------------------------- data in the background
class BackgroundSpectra:
    """A thread drawing S23-like training spectra (``per_round`` random classes' variations) until stopped.

    Its :attr:`count` is the number of spectra rendered; the draws stand for
    :func:`lib.synthetic.benchmark_runs.fresh_variations` of the full benchmark.
    """

    def __init__(self, per_round: int = 100, input_len: int = INPUT_LEN, seed: int = 0):
        self.classes = synthetic.generate_classes(n_classes=per_round, seed=seed, datapoints=input_len)
        self.input_len, self.seed = input_len, seed
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = np.random.default_rng(self.seed)
        while not self._stop.is_set():
            peaks = synthetic.vary_peaks(self.classes, 1, rng)
            benchmark_runs.prepare(peaks.render(self.input_len))
            self.count += len(peaks.labels)

    def __enter__(self) -> BackgroundSpectra:
        self._start = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.seconds = time.perf_counter() - self._start


def generation_rate(n: int = 2000, input_len: int = INPUT_LEN, seed: int = 0) -> float:
    """Spectra per second of drawing and rendering fresh training spectra (one thread of numpy)."""
    classes = synthetic.generate_classes(n_classes=n, seed=seed, datapoints=input_len)
    rng = np.random.default_rng(seed)
    benchmark_runs.prepare(synthetic.vary_peaks(classes, 1, rng).render(input_len)[:10])  # warm-up (imports)
    start = time.perf_counter()
    peaks = synthetic.vary_peaks(classes, 1, rng)
    benchmark_runs.prepare(peaks.render(input_len))
    return n / (time.perf_counter() - start)


# --------------------------------------------------------------------------- one measurement
def measure(
    name: str,
    batch_size: int = 128,
    threads: int = 1,
    option: str = "eager",
    n_batches: int = 3,
    warmup: int = 1,
    input_len: int = INPUT_LEN,
    n_classes: int = N_CLASSES,
    repeats: int = 1,
    peak_size: int = 2048,
) -> dict[str, Any]:
    """Training (and inference) spectra per second of one network under one option (see the module docstring).

    ``repeats`` rounds each time the matrix-product peak (:func:`peak_gflops`, bfloat16 for the ``bf16``
    option, else float32) and then ``n_batches`` training steps; the row gives the medians, the
    ratio of the fastest to the slowest training round (``train_spread``) and the load averages seen.
    """
    if option not in OPTIONS:
        raise ValueError(f"option must be one of {OPTIONS}, got {option!r}")
    if option in BF16_OPTIONS and not bf16_supported():
        raise ValueError(f"option {option!r} needs a CPU with AVX512-BF16 or AMX")
    if option == "bf16-tcmalloc" and memory_allocator() != "tcmalloc":
        raise ValueError("option 'bf16-tcmalloc' runs in a process with tcmalloc preloaded (LD_PRELOAD)")
    previous_threads, previous_mkldnn = torch.get_num_threads(), torch.backends.mkldnn.enabled
    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = option != "no-mkldnn"
    try:
        torch.manual_seed(0)
        net = benchmark.build(name, input_len, n_classes)
        flops = training_flops(net, input_len)
        gen = torch.Generator().manual_seed(0)
        x = torch.rand(batch_size, 1, input_len, generator=gen)
        x = x / x.amax(dim=-1, keepdim=True)
        y = torch.randint(0, n_classes, (batch_size,), generator=gen)
        optimiser = torch.optim.Adam(net.parameters(), lr=3e-4, eps=1e-7)
        model = net
        compile_s = None
        if option == "compile":
            model = torch.compile(net)
        bf16 = option in BF16_OPTIONS
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext()

        def step() -> None:
            optimiser.zero_grad(set_to_none=True)
            with autocast:
                out = model(x)
            nn.functional.cross_entropy(out.float(), y).backward()
            optimiser.step()

        model.train()
        start = time.perf_counter()
        step()
        if option == "compile":
            compile_s = time.perf_counter() - start
        for _ in range(warmup - 1):
            step()
        peak_dtype = torch.bfloat16 if bf16 else torch.float32
        peaks, train_times, loads = [], [], []
        background = BackgroundSpectra() if option == "background" else nullcontext()
        cpu_before = os.times()
        with background:
            for _ in range(max(1, repeats)):
                peaks.append(peak_gflops(peak_size, repeats=3, dtype=peak_dtype))
                loads.append(load_average())
                start = time.perf_counter()
                for _ in range(n_batches):
                    step()
                train_times.append(time.perf_counter() - start)
        cpu_after = os.times()
        train_s = float(np.median(train_times))
        model.eval()
        with torch.inference_mode(), autocast:
            model(x)
            start = time.perf_counter()
            for _ in range(n_batches):
                model(x)
            infer_s = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous_threads)
        torch.backends.mkldnn.enabled = previous_mkldnn
    rate = batch_size * n_batches / train_s
    row = {
        "model": name,
        "batch_size": batch_size,
        "threads": threads,
        "option": option,
        "train_spectra_per_s": round(rate, 2),
        "infer_spectra_per_s": round(batch_size * n_batches / infer_s, 2),
        "train_gflops": round(rate * flops["train"] / 1e9, 2),
        "train_gflop_per_spectrum": round(flops["train"] / 1e9, 4),
        "forward_gflop_per_spectrum": round(flops["forward"] / 1e9, 4),
        "n_batches": n_batches,
        "repeats": len(train_times),
        "train_spread": round(max(train_times) / min(train_times), 2),
        "peak_gflops": round(float(np.median(peaks)), 1),
        "peak_dtype": "bfloat16" if peak_dtype == torch.bfloat16 else "float32",
        "load_1min": float(np.median(loads)),
        "load_range": [min(loads), max(loads)],
        "allocator": memory_allocator(),
        "kernel_share": kernel_share(cpu_before, cpu_after),
    }
    if compile_s is not None:
        row["compile_s"] = round(compile_s, 1)
    if option == "background":
        row["background_spectra_per_s"] = round(background.count / background.seconds, 1)
    return row


def kernel_share(before: os.times_result, after: os.times_result) -> float:
    """Share of this process's CPU time between two :func:`os.times` spent in the kernel (page faults of freshly
    mapped memory, thread wake-ups) rather than in user code."""
    user, system = after.user - before.user, after.system - before.system
    return round(system / (user + system), 3) if user + system > 0 else float("nan")


def measure_in_child(timeout: float, env: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process (environment ``env``), given up after ``timeout`` seconds (for
    ``torch.compile``, and for an allocator that must be preloaded)."""
    cmd = [sys.executable, "-m", "lib.synthetic.speed", "--single", json.dumps(kwargs)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        return {**kwargs, "error": f"gave up after {timeout:.0f} s", "load_1min": load_average()}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return {**kwargs, "error": last[:300], "load_1min": load_average()}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the table
def speed_table(
    models: Sequence[str] = ("Lite", "VGG", "CNN-BN", "CNN2", "CNN6"),
    batch_sizes: Sequence[int] = (128, 256, 512),
    threads: Sequence[int] = (1, 2),
    options: Sequence[str] = ("bf16", "no-mkldnn", "background", "compile"),
    option_models: Sequence[str] = ("Lite", "VGG"),
    compile_models: Sequence[str] = ("Lite",),
    n_batches: int = 2,
    max_batch_gflop: float = 120.0,
    compile_timeout: float = 300.0,
    repeats: int = 3,
    out: str | os.PathLike | None = None,
    log=print,
) -> dict[str, Any]:
    """Eager speed of every model × batch size × thread count; for ``option_models`` also each option
    at the smallest batch with the faster thread count (``compile`` only for ``compile_models``).

    Every row carries the peak (:func:`peak_gflops` at its thread count and in its arithmetic) timed
    alternately with the training, ``repeats`` times, as medians with the load averages seen, so its
    share of the peak compares like with like on a shared machine.
    A batch that would exceed ``max_batch_gflop`` GFLOP of training work is skipped, except at the
    smallest batch size, which is measured with one batch (CNN6 needs minutes per batch on two
    cores). With ``out`` the table so far is written (atomically) after every row. At the end,
    ``estimates`` gives the hours of a full-scale run (:func:`run_estimates`).
    """
    from lib.train import device_name

    rows: list[dict[str, Any]] = []
    table = {
        "machine": device_name("cpu"),
        **cpu_info(),
        "cpu_count": os.cpu_count(),
        "repeats": repeats,
        "load_start": load_average(),
        "torch": torch.__version__,
        "bf16_native": bf16_supported(),
        "generation_spectra_per_s": round(generation_rate(), 1),
        "rows": rows,
    }

    def add(row: dict) -> None:
        rows.append(row)
        log(_line(row))
        if out is not None:
            io.write_json(out, table)

    smallest = min(batch_sizes)
    for name in models:
        per_spectrum = training_flops(benchmark.build(name, INPUT_LEN, N_CLASSES).to("meta"))["train"] / 1e9
        for batch in batch_sizes:
            if batch * per_spectrum > max_batch_gflop and batch != smallest:
                continue
            for t in threads:
                nb = n_batches if batch * per_spectrum <= max_batch_gflop else 1
                add(measure(name, batch, t, "eager", n_batches=nb, repeats=repeats))
        if name in option_models:
            for row in option_rows(rows, name, options, smallest, max(threads), n_batches, repeats,
                                   compile_models, compile_timeout):  # fmt: skip
                add(row)
    table["load_end"] = load_average()
    table["estimates"] = run_estimates(table)
    if out is not None:
        io.write_json(out, table)
    return table


def option_rows(
    rows: Sequence[dict], name: str, options: Sequence[str], batch_size: int, threads: int, n_batches: int = 2,
    repeats: int = 3, compile_models: Sequence[str] = ("Lite",), timeout: float = 300.0,
):  # fmt: skip
    """Measure each of ``options`` for network ``name`` at ``batch_size`` with the faster thread count of its eager
    ``rows`` (``threads`` when it has none), yielding one row each (an ``error`` row where an option cannot run).
    ``compile`` and ``bf16-tcmalloc`` run in a child process (:func:`measure_in_child`)."""
    import ctypes.util

    eager = [r for r in rows if r["model"] == name and r["batch_size"] == batch_size and r["option"] == "eager"
             and "error" not in r]  # fmt: skip
    best = max(eager, key=lambda r: r["train_spectra_per_s"])["threads"] if eager else threads
    for option in options:
        if (option in BF16_OPTIONS and not bf16_supported()) or (option == "compile" and name not in compile_models):
            continue
        kwargs = {"name": name, "batch_size": batch_size, "threads": best, "option": option, "repeats": repeats,
                  "n_batches": n_batches, "warmup": 2 if option == "compile" else 1}  # fmt: skip
        if option == "compile":
            row = measure_in_child(timeout, **kwargs)
        elif option == "bf16-tcmalloc":
            library = ctypes.util.find_library("tcmalloc")
            row = (measure_in_child(timeout, env={**os.environ, "LD_PRELOAD": library}, **kwargs) if library
                   else {"error": "tcmalloc is not installed", "load_1min": load_average()})  # fmt: skip
        else:
            row = measure(**kwargs)
        if "error" in row:
            row = {"model": name, "batch_size": batch_size, "threads": best, "option": option,
                   "error": row["error"], "load_1min": row["load_1min"]}  # fmt: skip
        yield row


def add_options(
    path: str | os.PathLike, options: Sequence[str], models: Sequence[str], n_batches: int = 2, repeats: int = 3,
    log=print,
) -> dict[str, Any]:  # fmt: skip
    """Measure ``options`` for ``models`` (S23's batch size, each network's faster eager thread count) and put the
    rows into the stored table at ``path``, replacing a row of the same network and option, writing the table after
    each; the estimates are kept (they come from float32 rows)."""
    table = read_table(path)
    batch = min(r["batch_size"] for r in table["rows"])
    threads = max(r["threads"] for r in table["rows"])
    for name in models:
        for row in option_rows(table["rows"], name, options, batch, threads, n_batches, repeats):
            same = (name, row["option"], batch)
            table["rows"] = [r for r in table["rows"] if (r["model"], r["option"], r["batch_size"]) != same] + [row]
            log(_line(row))
            io.write_json(path, table)
    return table


def cpu_info() -> dict[str, Any]:
    """The CPU as ``/proc/cpuinfo`` names it: ``cpu_model``, and whether it has ``amx`` and ``avx512_bf16``."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "")
    flags = set(next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), []))
    return {"cpu_model": model or "unknown", "amx": "amx_bf16" in flags, "avx512_bf16": "avx512_bf16" in flags}


def machine_words(table: dict[str, Any]) -> str:
    """The CPU of a stored table in words: ``Intel(R) Xeon(R) Processor, AMX, 2 cores`` (older tables: their name)."""
    if "cpu_model" not in table:
        return str(table.get("machine", "unknown CPU"))
    unit = "AMX" if table.get("amx") else "AVX512-BF16" if table.get("avx512_bf16") else "no bfloat16 unit"
    return f"{table['cpu_model']}, {unit}, {table.get('cpu_count', '?')} cores"


def estimate_threads(table: dict[str, Any]) -> str:
    """The thread counts the stored run estimates assume, in words: ``2 threads`` or ``1 or 2 threads``."""
    counts = sorted({int(e["threads"]) for e in table["estimates"]})
    return " or ".join(map(str, counts)) + (" thread" if counts == [1] else " threads")


def load_words(table: dict[str, Any]) -> str:
    """The load the rows were measured under and what it means for them: an otherwise idle machine (load at
    most the cores plus half a process: the measuring threads alone) gives the machine's speeds; more,
    lower bounds."""
    loads = [float(r["load_1min"]) for r in table["rows"] if r.get("load_1min") is not None]
    if not loads:
        return "with an unrecorded load: the speeds may be lower bounds"
    cores = int(table.get("cpu_count") or 1)
    span = f"{min(loads):.1f}–{max(loads):.1f}" if round(min(loads), 1) != round(max(loads), 1) else f"{min(loads):.1f}"
    if max(loads) <= cores + 0.5:
        return (
            f"with a one-minute load average of {span} while it ran: the machine did nothing "
            "else, so these are its speeds"
        )
    return (
        f"with a one-minute load average of {span} while it ran: the machine was shared, "
        "so the speeds are lower bounds and the hours upper bounds"
    )


def _line(row: dict) -> str:
    if "error" in row:
        return f"{row['model']:7s} b{row['batch_size']:<4d} t{row['threads']} {row['option']:10s} error: {row['error']}"
    return (
        f"{row['model']:7s} b{row['batch_size']:<4d} t{row['threads']} {row['option']:10s} "
        f"{row['train_spectra_per_s']:8.1f} spectra/s  {row['train_gflops']:6.1f} GFLOP/s  load {row['load_1min']}"
    )


def epoch_seconds(train_per_s: float, infer_per_s: float, n_train: int = 25_000, n_val: int = 5_000) -> float:
    """Seconds of one S23 epoch: ``n_train`` training spectra and ``n_val`` validation spectra (inference)."""
    if train_per_s <= 0 or infer_per_s <= 0:
        raise ValueError(f"speeds must be positive, got {train_per_s} and {infer_per_s} spectra/s")
    return n_train / train_per_s + n_val / infer_per_s


def run_estimates(table: dict, epochs: Sequence[int] = (100, 200, 500), batch_size: int = 128) -> list[dict]:
    """Hours of a full-scale run per model and epoch count, from the fastest float32 row at ``batch_size``.

    Only ``eager`` and ``no-mkldnn`` rows count (bf16 changes the arithmetic, compiling takes its
    own time); the 4,500 test spectra once at the end are negligible.
    """
    best: dict[str, dict] = {}
    for row in table["rows"]:
        if row.get("batch_size") != batch_size or row.get("option") not in ("eager", "no-mkldnn") or "error" in row:
            continue
        if row["model"] not in best or row["train_spectra_per_s"] > best[row["model"]]["train_spectra_per_s"]:
            best[row["model"]] = row
    out = []
    for model, row in best.items():
        seconds = epoch_seconds(row["train_spectra_per_s"], row["infer_spectra_per_s"])
        for n in epochs:
            out.append({"model": model, "threads": row["threads"], "option": row["option"], "epochs": n,
                        "epoch_minutes": round(seconds / 60, 1), "hours": round(n * seconds / 3600, 1),
                        "load_1min": row["load_1min"]})  # fmt: skip
    return out


def rows_frame(table: dict) -> pd.DataFrame:
    """The measured rows as a ``pandas.DataFrame``, with the share of the peak at the same thread count."""
    df = pd.DataFrame(table["rows"])
    if "train_gflops" in df:
        df["share_of_peak"] = (df["train_gflops"] / df["peak_gflops"]).round(3)
    return df


# --------------------------------------------------------------------------- reading a stored table
#: What the full-scale runner (:mod:`lib.synthetic.full_scale`) does with each option.
USE = {
    "threads": "--threads sets it; default 1",
    "bf16": "--bf16, off by default: not S23's float32 arithmetic",
    "bf16-tcmalloc": "--bf16 with LD_PRELOAD=libtcmalloc.so.4 (the record names its allocator)",
    "no-mkldnn": "not used: oneDNN stays on",
    "compile": "not used: eager PyTorch",
    "background": "not used: a fixed training set (--fresh draws new spectra in the main thread)",
}


def read_table(path: str | os.PathLike) -> dict[str, Any]:
    """A table written by :func:`speed_table`, checked for the fields the book reads (errors name the file)."""
    path = Path(path)
    try:
        table = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(
            f"no speed table {path} (make one: python -m lib.synthetic.speed --out {path})"
        ) from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    for name in ("machine", "cpu_count", "torch", "rows", "estimates"):
        if name not in table:
            raise ValueError(f"{path}: field {name!r} is missing")
    need = ("model", "batch_size", "threads", "option", "train_spectra_per_s", "train_gflops", "peak_gflops")
    for i, row in enumerate(table["rows"]):
        missing = [k for k in need if k not in row and not (k.startswith("train") and "error" in row)]
        if missing:
            raise ValueError(f"{path}: rows[{i}] lacks {', '.join(missing)}")
    return table


def option_effects(table: dict, batch_size: int = 128) -> pd.DataFrame:
    """Every option against its baseline, per model, at ``batch_size``: one row per option tried.

    The baseline is float32 ``eager`` at the same batch size and thread count; the option
    ``threads`` compares the fastest eager thread count with one thread. Columns: model, option,
    threads, spectra/s before and after, the speed-up, achieved GFLOP/s and the share of the peak
    (measured at the same thread count) after, and what the full-scale runner does with it (:data:`USE`).
    """
    rows = [r for r in table["rows"] if r.get("batch_size") == batch_size and "error" not in r]
    eager = {(r["model"], r["threads"]): r for r in rows if r["option"] == "eager"}
    out = []

    def add(model: str, option: str, base: dict, after: dict) -> None:
        out.append(
            {"model": model, "option": option, "threads": after["threads"],
             "before_spectra_per_s": base["train_spectra_per_s"], "after_spectra_per_s": after["train_spectra_per_s"],
             "speedup": round(after["train_spectra_per_s"] / base["train_spectra_per_s"], 2),
             "before_gflops": base["train_gflops"], "after_gflops": after["train_gflops"],
             "peak_gflops": after["peak_gflops"],
             "after_share_of_peak": round(after["train_gflops"] / after["peak_gflops"], 3),
             "use": USE.get(option, "")}
        )  # fmt: skip

    for model in dict.fromkeys(r["model"] for r in rows):
        threads = sorted(t for m, t in eager if m == model)
        if len(threads) > 1 and (model, 1) in eager:
            best = max(threads[1:], key=lambda t: eager[(model, t)]["train_spectra_per_s"])
            add(model, "threads", eager[(model, 1)], eager[(model, best)])
        for r in rows:
            if r["model"] == model and r["option"] != "eager" and (model, r["threads"]) in eager:
                add(model, r["option"], eager[(model, r["threads"])], r)
    columns = ["model", "option", "threads", "before_spectra_per_s", "after_spectra_per_s", "speedup",
               "before_gflops", "after_gflops", "peak_gflops", "after_share_of_peak", "use"]  # fmt: skip
    return pd.DataFrame(out, columns=columns)


def estimate_frame(table: dict) -> pd.DataFrame:
    """Hours of a full 500-class run per model (rows) and epoch count (columns), with the minutes per epoch."""
    est = pd.DataFrame(table["estimates"])
    if est.empty:
        return pd.DataFrame(columns=["epoch_minutes"])
    hours = est.pivot(index="model", columns="epochs", values="hours")
    hours.columns = [f"hours at {e} epochs" for e in hours.columns]
    minutes = est.groupby("model", sort=False)["epoch_minutes"].first()
    order = list(dict.fromkeys(est["model"]))
    return pd.concat([minutes, hours], axis=1).loc[order]


def option_summary(effects: pd.DataFrame) -> dict[str, str]:
    """Per option of :func:`option_effects`, its speed-ups as text: ``{"bf16": "Lite ×2.25, VGG ×1.79"}``."""
    return {
        option: ", ".join(f"{r.model} ×{r.speedup:.2f}" for r in group.itertuples())
        for option, group in effects.groupby("option", sort=False)
    }


def allocator_gains(table: dict, batch_size: int = 128) -> str:
    """What preloading tcmalloc adds to bfloat16 training, per network: the ``bf16-tcmalloc`` row against the
    ``bf16`` row at the same batch size and thread count, with the share of CPU time each spent in the kernel
    where measured: ``"Lite ×1.22 (kernel 31 % → 4 % of the CPU time)"``; empty when not measured."""
    rows = [r for r in table["rows"] if r.get("batch_size") == batch_size and "error" not in r]
    plain = {(r["model"], r["threads"]): r for r in rows if r["option"] == "bf16"}
    parts = []
    for r in rows:
        base = plain.get((r["model"], r["threads"]))
        if r["option"] != "bf16-tcmalloc" or base is None:
            continue
        text = f"{r['model']} ×{r['train_spectra_per_s'] / base['train_spectra_per_s']:.2f}"
        if "kernel_share" in r and "kernel_share" in base:
            text += f" (kernel {100 * base['kernel_share']:.0f} % → {100 * r['kernel_share']:.0f} % of the CPU time)"
        parts.append(text)
    return ", ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.synthetic.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="JSON file for the table")
    parser.add_argument("--models", nargs="+", default=["Lite", "VGG", "CNN-BN", "CNN2", "CNN6"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[128, 256, 512])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--options", nargs="*", default=["bf16", "no-mkldnn", "background", "compile"])
    parser.add_argument("--option-models", nargs="*", default=["Lite", "VGG"])
    parser.add_argument("--compile-models", nargs="*", default=["Lite"])
    parser.add_argument("--n-batches", type=int, default=2)
    parser.add_argument("--max-batch-gflop", type=float, default=120.0)
    parser.add_argument("--repeats", type=int, default=3, help="alternate peak and training this many times")
    parser.add_argument(
        "--add",
        action="store_true",
        help="measure --options for --option-models and put them into --out (replacing their rows)",
    )
    parser.add_argument("--single", help=argparse.SUPPRESS)  # one measure(**json) for measure_in_child
    args = parser.parse_args(argv)
    if args.single:
        print(json.dumps(measure(**json.loads(args.single))))
        return 0
    if args.add:
        if args.out is None:
            parser.error("--add needs --out (the stored table to extend)")
        add_options(args.out, args.options, args.option_models, args.n_batches, args.repeats)
        print(f"wrote {args.out}")
        return 0
    speed_table(
        models=args.models,
        batch_sizes=args.batch_sizes,
        threads=args.threads,
        options=args.options,
        option_models=args.option_models,
        compile_models=args.compile_models,
        n_batches=args.n_batches,
        max_batch_gflop=args.max_batch_gflop,
        repeats=args.repeats,
        out=args.out,
    )
    if args.out:
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
