"""Simulated IR spectra at scale: a per-molecule cache, local or Dask parallelism, broadening.

Each molecule's harmonic line spectrum (:mod:`lib.ir.xtb`) is cached as one JSON file,
keyed by InChIKey and a hash of the method and settings, and written atomically: a rerun
skips what is there, an interrupted run loses nothing. Failures are recorded with their
reason and never stop a batch. Line spectra are broadened onto a grid only when a data set
is built, so the width and the frequency scaling factor can change without recomputation.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lib import io
from lib.reference import r23_grid

TARGET_PER_HOUR = 4000  # molecules per hour on 2 cores we aim for with the NIST index


@dataclass(frozen=True)
class Settings:
    """What determines a line spectrum (and so its cache key)."""

    method: str = "GFN2-xTB"
    seed: int = 0  # RDKit embedding seed
    step: float = 5e-3  # finite-difference step, Bohr
    retries: int = 2  # re-optimisations away from an imaginary mode
    optimiser: str = "BFGS"  # scipy.optimize.minimize method for the geometry
    initial_hessian: str = "force-field"  # BFGS starts from the MMFF/UFF Hessian ("identity": plain BFGS)
    # Hessian by finite differences of the gradients: "central" for every coordinate, "forward"
    # for every coordinate, "hydrogen-central" (central for hydrogen atoms, forward otherwise) or
    # "bond-central" (hydrogens: central along the X–H bond, forward across it; forward otherwise)
    differences: str = "bond-central"

    # values of the fields added later, as the records made before them were computed
    LEGACY = {"initial_hessian": "identity", "differences": "central"}

    @classmethod
    def from_record(cls, settings: dict) -> Settings:
        """The settings a record was made with (its ``settings`` field; missing fields as they were then)."""
        unknown = set(settings) - set(asdict(cls()))
        if unknown:
            raise ValueError(f"unknown simulation setting(s) {sorted(unknown)} in a record")
        return cls(**{**cls.LEGACY, **settings})

    def _fields(self) -> dict:
        # central differences were the only scheme before this field existed: leaving the field
        # out of the hash then keeps the keys (and the caches made under them) as they were
        fields = asdict(self)
        if fields["differences"] == "central":
            del fields["differences"]
        return fields

    def key(self) -> str:
        """Short stable hash of the settings."""
        return _hash(self._fields())

    def accepted_keys(self) -> list[str]:
        """Cache keys whose records count as these settings: own key first, then equivalent earlier ones.

        The starting Hessian of the optimiser changes the path, not the minimum: records made
        before that field existed (plain BFGS from the identity) agree with the force-field
        start within the optimiser's convergence (largest wavenumber difference of the real
        modes above 100 cm⁻¹ ≲ 2.5 cm⁻¹ on a NIST sample). Central differences for every
        coordinate are the most accurate Hessian, and the cheaper schemes differ from it by a
        few cm⁻¹ (the *Simulated spectra* chapter measures both): records made with central
        differences are reused by every scheme, not recomputed, and those made with
        hydrogen-central differences by the bond-central scheme (which displaces fewer times).
        """
        keys = [self.key()]
        finer = ["hydrogen-central"] if self.differences == "bond-central" else []
        for differences in dict.fromkeys([self.differences, *finer, "central"]):
            base = replace(self, differences=differences)
            earlier = {k: v for k, v in base._fields().items() if k != "initial_hessian"}
            keys += [base.key(), _hash(earlier), replace(base, initial_hessian="identity").key()]
        return list(dict.fromkeys(keys))


def _hash(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


def inchikey(text: str) -> str:
    """InChIKey of a SMILES or InChI string (``ValueError`` when RDKit cannot parse it)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    text = text.strip()
    mol = Chem.MolFromInchi(text) if text.startswith("InChI=") else Chem.MolFromSmiles(text)
    if mol is None:
        raise ValueError(f"cannot parse molecule {text!r}")
    return Chem.MolToInchiKey(mol)


def simulate_record(text: str, settings: Settings = Settings()) -> dict:
    """Simulate one molecule; always returns a record (``status`` ok / imaginary / failed).

    The record also says how long it took (wall and CPU seconds of this process) and which
    process ran it (``host:pid``).
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from threadpoolctl import threadpool_limits

    from lib.ir import dft, xtb

    run = dft.simulate if dft.is_dft(settings.method) else xtb.simulate
    start, cpu_start = time.perf_counter(), time.process_time()
    record = {"input": text, "settings": asdict(settings), "status": "failed", "error": None}
    try:
        record["inchikey"] = inchikey(text)
        # One BLAS/OpenMP thread per molecule: its matrices are tiny (3n ≲ 200), and a threaded eigh
        # of a 60×60 Hessian spends ~40x the CPU of a single-threaded one on a busy machine (measured:
        # 47 ms vs 1 ms). Parallelism comes from worker processes instead.
        with threadpool_limits(1):
            line = run(
                text,
                seed=settings.seed,
                method=settings.method,
                step=settings.step,
                retries=settings.retries,
                optimiser=settings.optimiser,
                initial_hessian=settings.initial_hessian,
                differences=settings.differences,
            )
        record.update(
            status="imaginary" if line.n_imaginary else "ok",
            wavenumbers=line.wavenumbers.round(3).tolist(),
            intensities=line.intensities.round(5).tolist(),
            numbers=line.numbers.tolist(),
            positions_bohr=line.positions.round(6).tolist(),
            energy=line.energy,
            types=list(line.types),
            rotational_constants=list(line.rotational_constants),
            notes=line.notes,
            calls=line.calls,
        )
    except Exception as err:  # recorded, never raised: one bad molecule must not stop a batch
        record["error"] = f"{type(err).__name__}: {err}"
    record["seconds"] = round(time.perf_counter() - start, 3)
    record["cpu_seconds"] = round(time.process_time() - cpu_start, 3)
    record["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return record


class Cache:
    """One JSON file per molecule under ``root/<settings key>/``.

    New records go to the folder of ``settings``; lookups also read the folders of the
    equivalent earlier settings (:meth:`Settings.accepted_keys`).
    """

    def __init__(self, root: str | os.PathLike, settings: Settings = Settings()):
        self.settings = settings
        self.folder = Path(root) / settings.key()
        self.folder.mkdir(parents=True, exist_ok=True)
        io.write_json(self.folder / "settings.json", asdict(settings))
        self.folders = [Path(root) / key for key in settings.accepted_keys()]

    def name(self, text: str) -> str:
        """File name of a molecule's record: its InChIKey, or a hash if RDKit cannot parse it."""
        try:
            name = inchikey(text)
        except ValueError:
            name = "unparseable-" + hashlib.sha256(text.encode()).hexdigest()[:16]
        return f"{name}.json"

    def path(self, text: str) -> Path:
        """Where a new record of a molecule is written."""
        return self.folder / self.name(text)

    def get(self, text: str) -> dict | None:
        """The cached record (current settings first, then accepted earlier ones), or None."""
        name = self.name(text)
        for folder in self.folders:
            path = folder / name
            if path.is_file():
                return json.loads(path.read_text())
        return None

    def put(self, text: str, record: dict) -> None:
        """Store a record atomically."""
        io.write_json(self.path(text), record)


def run_batch(
    molecules: Iterable[str],
    out: str | os.PathLike,
    settings: Settings = Settings(),
    workers: int = 1,
    scheduler: str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
) -> list[dict]:
    """Simulate every molecule not yet in the cache; return all records in input order.

    ``workers`` > 1 runs local processes; ``scheduler`` (an address such as
    ``tcp://host:8786``, or ``"local"`` for a ``dask.distributed.LocalCluster``) runs the
    same job on Dask. Records are written by this process as they arrive, so workers need
    no shared file system.
    """
    molecules = list(dict.fromkeys(m.strip() for m in molecules if m and m.strip()))
    cache = Cache(out, settings)
    records: dict[str, dict] = {}
    todo = []
    for text in molecules:
        cached = cache.get(text)
        if cached is not None and (cached["status"] != "failed" or not retry_failed):
            records[text] = cached
        else:
            todo.append(text)
    bar = tqdm(total=len(todo), desc="simulating", unit="mol", disable=not progress or not todo, mininterval=2)
    for text, record in _execute(todo, settings, workers, scheduler):
        cache.put(text, record)
        records[text] = record
        bar.update()
        bar.set_postfix(failed=sum(r["status"] == "failed" for r in records.values()), refresh=False)
    bar.close()
    return [records[text] for text in molecules]


def _execute(todo: list[str], settings: Settings, workers: int, scheduler: str | None):
    if not todo:
        return
    if scheduler:
        yield from _execute_dask(todo, settings, workers, scheduler)
    elif workers <= 1:
        for text in todo:
            yield text, simulate_record(text, settings)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")  # tblite's OpenMP state must not be forked
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_single_thread) as pool:
            futures = {pool.submit(simulate_record, text, settings): text for text in todo}
            for future in as_completed(futures):
                yield futures[future], future.result()


def _single_thread() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"


def _execute_dask(todo: list[str], settings: Settings, workers: int, scheduler: str):
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None,
            env={"OMP_NUM_THREADS": "1"},
        )  # fmt: skip
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = client.map(simulate_record, todo, settings=settings, pure=False)
        index = {future.key: text for future, text in zip(futures, todo, strict=True)}
        for future in as_completed(futures):
            yield index[future.key], future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- spectra
def broaden(
    wavenumbers: np.ndarray,
    intensities: np.ndarray,
    grid: np.ndarray | None = None,
    fwhm: float = 30.0,
    shape: str = "lorentzian",
    eta: float = 0.5,
    scale: float = 1.0,
    normalise: bool = True,
) -> np.ndarray:
    """A line spectrum as a continuous spectrum on ``grid`` (cm⁻¹).

    Each mode at ``scale * wavenumber`` (real modes only) adds a Lorentzian or a
    pseudo-Voigt (``eta`` Lorentzian share) of full width ``fwhm`` with area proportional
    to its intensity. Divided by the maximum like a measured spectrum when ``normalise``.
    """
    grid = r23_grid() if grid is None else np.asarray(grid, dtype=float)
    nu = np.asarray(wavenumbers, dtype=float)
    strength = np.asarray(intensities, dtype=float)
    real = nu > 0
    centre = scale * nu[real][:, None]
    dx = grid[None, :] - centre
    gamma = fwhm / 2
    lorentz = gamma / np.pi / (dx**2 + gamma**2)
    if shape == "lorentzian":
        profile = lorentz
    elif shape == "pseudo-voigt":
        sigma = fwhm / (2 * np.sqrt(2 * np.log(2)))
        gauss = np.exp(-0.5 * (dx / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        profile = eta * lorentz + (1 - eta) * gauss
    else:
        raise ValueError(f"shape must be 'lorentzian' or 'pseudo-voigt', got {shape!r}")
    spectrum = (strength[real][:, None] * profile).sum(axis=0)
    if normalise and spectrum.max() > 0:
        spectrum = spectrum / spectrum.max()
    return spectrum


def spectra(records: list[dict], grid: np.ndarray | None = None, **broadening) -> tuple[np.ndarray, list[int]]:
    """Broadened spectra (float32) of the usable records and their indices in ``records``."""
    keep = [i for i, r in enumerate(records) if r["status"] == "ok"]
    grid = r23_grid() if grid is None else grid
    x = np.array(
        [broaden(records[i]["wavenumbers"], records[i]["intensities"], grid, **broadening) for i in keep],
        dtype=np.float32,
    ).reshape(len(keep), len(grid))
    return x, keep


# --------------------------------------------------------------------------- shipped artefact
def export_records(records: list[dict], path: str | os.PathLike) -> Path:
    """Write records as gzip-compressed JSON (atomically), without the per-atom geometry."""
    import gzip

    slim = [{k: v for k, v in r.items() if k != "positions_bohr"} for r in records]
    path = Path(path)
    with io.atomic_open(path, "wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as gz:
        gz.write(json.dumps(slim, separators=(",", ":")).encode())
    return path


def load_records(path: str | os.PathLike) -> list[dict]:
    """Read records written by :func:`export_records`."""
    import gzip

    with gzip.open(path, "rt") as handle:
        return json.load(handle)


# --------------------------------------------------------------------------- shards
SHARD_SIZE = 500  # molecules per shard
SHARD_DECIMALS = {"wavenumbers": 1, "intensities": 3}  # cm⁻¹, km/mol


def shard_record(record: dict) -> dict:
    """The compact form of a cache record kept in a shard: identity, status, reason, rounded lines, and (records
    made since they exist) each line's mode type and the rotational constants."""
    slim = {"input": record["input"], "inchikey": record.get("inchikey"), "status": record["status"]}
    if record["status"] == "failed":
        slim["reason"] = record.get("error")
    elif record["status"] == "imaginary":
        slim["reason"] = "; ".join(record.get("notes") or []) or "imaginary mode"
    if record["status"] != "failed":
        for key, decimals in SHARD_DECIMALS.items():
            slim[key] = [round(float(v), decimals) for v in record[key]]
        for key in ("types", "rotational_constants"):  # records made since mode types exist
            if record.get(key):
                slim[key] = record[key]
    return slim


def line_types(record: dict) -> list[str]:
    """Each line's mode type (:data:`lib.ir.modes.TYPES`); ``"unknown"`` for every line of a record made before
    types were stored."""
    types = record.get("types")
    n = len(record.get("wavenumbers") or [])
    if not types:
        return ["unknown"] * n
    if len(types) != n:
        raise ValueError(f"record {record.get('input')!r}: {len(types)} mode types for {n} lines")
    return list(types)


def shard_path(folder: str | os.PathLike, number: int) -> Path:
    """``folder/part-NNN.json.gz``."""
    return Path(folder) / f"part-{number:03d}.json.gz"


@dataclass
class ShardReport:
    """What :func:`export_shards` did: shard numbers written, already there, and still incomplete."""

    written: list[int]
    existing: list[int]
    incomplete: list[int]
    missing: int  # molecules without a record in the incomplete shards


def export_shards(molecules: list[str], cache: Cache, folder: str | os.PathLike, size: int = SHARD_SIZE) -> ShardReport:
    """Write the cached records of ``molecules`` in fixed chunks of ``size``, in input order.

    Shard ``k`` holds molecules ``k*size`` to ``(k+1)*size - 1`` (duplicates removed first,
    as :func:`run_batch` does). It is written (gzip JSON, atomically) only when every molecule
    of the chunk has a record, and never rewritten: an existing shard is checked to hold the
    same molecules, so a changed molecule list raises instead of mixing two orders.
    """
    import gzip

    if size < 1:
        raise ValueError(f"shard size must be at least 1, got {size}")
    molecules = list(dict.fromkeys(m.strip() for m in molecules if m and m.strip()))
    report = ShardReport([], [], [], 0)
    for number, first in enumerate(range(0, len(molecules), size)):
        chunk = molecules[first : first + size]
        path = shard_path(folder, number)
        if path.is_file():
            inputs = [r["input"] for r in load_shard(path)["records"]]
            if inputs != chunk:
                raise ValueError(f"{path}: holds other molecules than positions {first}-{first + len(chunk) - 1}")
            report.existing.append(number)
            continue
        records = [cache.get(text) for text in chunk]
        if any(r is None for r in records):
            report.incomplete.append(number)
            report.missing += sum(r is None for r in records)
            continue
        shard = {"first": first, "count": len(chunk), "settings": asdict(cache.settings),
                 "records": [shard_record(r) for r in records]}  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        with io.atomic_open(path, "wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as gz:
            gz.write(json.dumps(shard, separators=(",", ":")).encode())
        report.written.append(number)
    return report


def run_by_shard(
    molecules: Iterable[str],
    out: str | os.PathLike,
    folder: str | os.PathLike,
    size: int = SHARD_SIZE,
    settings: Settings = Settings(),
    workers: int = 1,
    progress: bool = True,
    on_shard=None,
) -> list[int]:
    """Simulate ``molecules`` one shard's chunk at a time and write each shard as soon as it is complete.

    Chunks whose shard file exists already are skipped without touching the cache, so the committed shards
    alone are a resume point (a fresh machine with an empty cache ``out`` goes on with the first missing
    shard). ``on_shard(number, path)`` is called after each shard written (e.g. to commit it). Returns the
    numbers of the shards written by this call."""
    molecules = list(dict.fromkeys(m.strip() for m in molecules if m and m.strip()))
    written = []
    for number, first in enumerate(range(0, len(molecules), size)):
        if shard_path(folder, number).is_file():
            continue
        chunk = molecules[first : first + size]
        run_batch(chunk, out, settings, workers=workers, progress=progress)
        report = export_shards(molecules[: first + len(chunk)], Cache(out, settings), folder, size)
        if number not in report.written:
            raise RuntimeError(f"shard {number}: not complete after its batch ({report.missing} missing)")
        written.append(number)
        if on_shard is not None:
            on_shard(number, shard_path(folder, number))
    return written


def load_shard(path: str | os.PathLike) -> dict:
    """One shard: ``first``, ``count``, ``settings`` and ``records``."""
    import gzip

    with gzip.open(path, "rt") as handle:
        shard = json.load(handle)
    held = len(shard.get("records", []))
    if held != shard.get("count"):
        raise ValueError(f"{path}: 'count' is {shard.get('count')} but it holds {held} records")
    return shard


def load_shards(folder: str | os.PathLike, max_shards: int | None = None) -> list[dict]:
    """All records of the shards in ``folder`` (only the first ``max_shards`` files when given), in molecule
    order, each with its ``position``.

    Shards need not be contiguous (a later one may be finished before an earlier one);
    ``position`` is the molecule's place in the full list.
    """
    if max_shards is not None and max_shards < 1:
        raise ValueError(f"max_shards must be at least 1, got {max_shards}")
    paths = sorted(Path(folder).glob("part-*.json.gz"))[:max_shards]
    records = []
    for path in paths:
        shard = load_shard(path)
        for offset, record in enumerate(shard["records"]):
            records.append({"position": shard["first"] + offset, **record})
    return records
