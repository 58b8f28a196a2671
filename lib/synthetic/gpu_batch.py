"""Several full-scale runs at once on one GPU, all ended by one deadline: the prepared script for a short lease.

One Python process cannot keep a GPU busy with S23's small networks (each training step is a few
short kernels), and a GPU may be at hand for minutes only, so :data:`PLAN` puts one run per process — the
whole 500-class benchmark for VGG, Lite (three seeds), Lite with fresh spectra each epoch, CNN2 and
CNN6, and the challenge set for the networks the CPU runs lack, one after another in one slot — and
starts them together. Every run is ``python -m lib synthetic full-scale`` with
``--finish-by-hours``: a run that has not stopped early by the deadline ends after its current
epoch with its best weights, and its record says ``time_capped``. Results land in ``<out>/full``
and ``<out>/full/challenge`` (the layout of ``book/synthetic/results``), a log per run in
``<out>/logs``, and ``<out>/batch.json`` lists what each slot did and how long it took.

``python -m lib synthetic gpu-batch --minutes 8 --out DIR`` (``--dry-run`` prints the commands).
The runs keep :data:`lib.train.S23`'s deterministic kernels. Sharing the GPU this way, a network
with CNN6's multiply-adds (about twelve times Lite's) gets through only a few epochs by a deadline
of minutes; give it a slot of its own or a longer lease.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lib import io


@dataclass(frozen=True)
class Job:
    """One full-scale run: ``dataset`` is ``benchmark`` or ``challenge``."""

    model: str
    seed: int = 0
    dataset: str = "benchmark"
    fresh: bool = False

    @property
    def name(self) -> str:
        return f"{self.dataset}-{self.model}{'-fresh' if self.fresh else ''}-s{self.seed}"


#: Slots run side by side; the jobs of one slot run one after another.
PLAN: tuple[tuple[Job, ...], ...] = (
    (Job("Lite", 0),),
    (Job("VGG", 0),),
    (Job("Lite", 0, fresh=True),),
    (Job("CNN2", 0),),
    (Job("CNN6", 0),),
    (Job("Lite", 1),),
    (Job("Lite", 2),),
    (Job("CNN6", 0, "challenge"), Job("CNN2", 0, "challenge"), Job("Lite", 0, "challenge", fresh=True)),
)


def parse_job(text: str) -> Job:
    """``DATASET/MODEL/SEED`` or ``DATASET/MODEL/SEED/fresh`` as a :class:`Job`."""
    parts = text.split("/")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "fresh") or not parts[2].isdigit():
        raise ValueError(f"--job must look like benchmark/Lite/0 or challenge/Lite/0/fresh, got {text!r}")
    return Job(parts[1], int(parts[2]), parts[0], len(parts) == 4)


def command(
    job: Job, out: Path, checkpoints: Path, hours: float, device: str, max_epochs: int, extra: tuple[str, ...] = ()
) -> list[str]:
    """The ``python -m lib synthetic full-scale`` command line of ``job`` (``extra``: more of its options)."""
    folder = out / "full" if job.dataset == "benchmark" else out / "full" / job.dataset
    cmd = [sys.executable, "-m", "lib", "synthetic", "full-scale", "--model", job.model, "--seed", str(job.seed),
           "--dataset", job.dataset, "--out", str(folder), "--checkpoint-dir", str(checkpoints / job.name),
           "--device", device, "--max-epochs", str(max_epochs), "--finish-by-hours", f"{hours:.5f}",
           "--no-progress"]  # fmt: skip
    return cmd + (["--fresh"] if job.fresh else []) + list(extra)


def run_plan(
    plan: tuple[tuple[Job, ...], ...],
    out: str | os.PathLike,
    minutes: float,
    device: str = "cuda",
    max_epochs: int = 500,
    margin_minutes: float = 0.75,
    dry_run: bool = False,
    extra: tuple[str, ...] = (),
    checkpoints: str | os.PathLike | None = None,
) -> list[dict]:
    """Start every slot of ``plan`` at once; each run gets the time left to the deadline less ``margin_minutes``.

    The margin leaves room for the last epoch, the test set and writing the result; a job that
    would start with under half a minute left is skipped. ``extra``: options added to every
    ``full-scale`` command. ``checkpoints``: their folder (default ``<out>/checkpoints``; a RAM disk
    such as ``/dev/shm`` saves the per-epoch writes of the larger networks). Returns one record per
    job (command, exit code, seconds), also written to ``<out>/batch.json``.
    """
    if minutes <= margin_minutes:
        raise ValueError(f"minutes must exceed the margin of {margin_minutes} min, got {minutes}")
    out = Path(out)
    checkpoints = out / "checkpoints" if checkpoints is None else Path(checkpoints)
    logs = out / "logs"
    deadline = time.monotonic() + minutes * 60
    records: list[dict] = []
    lock = threading.Lock()

    def slot(jobs: tuple[Job, ...]) -> None:
        for job in jobs:
            left = (deadline - time.monotonic()) / 60 - margin_minutes
            if left < 0.5:
                with lock:
                    records.append({"job": job.name, "skipped": "no time left"})
                continue
            cmd = command(job, out, checkpoints, left / 60, device, max_epochs, extra)
            if dry_run:
                with lock:
                    records.append({"job": job.name, "command": cmd})
                continue
            logs.mkdir(parents=True, exist_ok=True)
            start = time.monotonic()
            with open(logs / f"{job.name}.log", "w") as handle:
                env = {**os.environ, "PYTHONUNBUFFERED": "1"}
                code = subprocess.call(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env)
            with lock:
                records.append({"job": job.name, "command": cmd, "returncode": code,
                                "seconds": round(time.monotonic() - start, 1)})  # fmt: skip
            print(f"{job.name}: exit {code} after {time.monotonic() - start:.0f} s", flush=True)

    threads = [threading.Thread(target=slot, args=(jobs,)) for jobs in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not dry_run:
        io.write_json(out / "batch.json", {"minutes": minutes, "device": device, "jobs": records})
    return records


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``python -m lib synthetic gpu-batch``."""
    p.add_argument("--out", type=Path, required=True, help="folder for results, logs and checkpoints")
    p.add_argument("--minutes", type=float, required=True, help="wall-clock minutes until every run has ended")
    p.add_argument("--device", default="cuda")
    p.add_argument("--max-epochs", type=int, default=500)
    p.add_argument("--checkpoints", type=Path, help="checkpoint folder (default OUT/checkpoints)")
    p.add_argument(
        "--job",
        action="append",
        type=parse_job,
        help="run this instead of PLAN, in a slot of its own: DATASET/MODEL/SEED[/fresh] (repeatable)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")


def main(args: argparse.Namespace) -> int:
    """Run :func:`run_plan` from the parsed command line."""
    plan = PLAN if not args.job else tuple((job,) for job in args.job)
    records = run_plan(plan, args.out, args.minutes, args.device, args.max_epochs, dry_run=args.dry_run,
                       checkpoints=args.checkpoints)  # fmt: skip
    if args.dry_run:
        for record in records:
            print(" ".join(record["command"]))
    failed = [r["job"] for r in records if r.get("returncode")]
    if failed:
        print(f"failed: {', '.join(failed)} (logs in {args.out / 'logs'})", file=sys.stderr)
    return 1 if failed else 0
