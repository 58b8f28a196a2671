"""The universal synthetic spectra of Schuetzke et al. 2023 (S23).

A *class* is a short list of peak positions (integer indices into a spectrum of
``datapoints`` points) and heights (the largest is 1.0). A *spectrum* of a class puts
delta peaks at (varied) positions with (varied) heights on a zero array and blurs them
with a Gaussian of width ``sigma`` (``scipy.ndimage.gaussian_filter1d``, ``mode="constant"``).

Everything here is vectorised over spectra: :func:`render` writes each spectrum's peaks
straight into one float32 array, ``2 * radius + 1`` points per peak, instead of filtering
every 5,000-point row (see :func:`render` for why the result is the same).

Spectra are returned *before* normalisation; dividing each by its maximum is the models'
input step (:func:`normalise`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lib import io

TRUNCATE = 4.0  # scipy.ndimage.gaussian_filter1d's default kernel truncation, in sigmas


# --------------------------------------------------------------------------- classes
@dataclass(frozen=True)
class ClassSet:
    """Peak positions and heights of every class, padded to a rectangle.

    ``positions`` is ``(n_classes, max_peaks)`` int64 with ``-1`` as padding; ``heights``
    has ``0.0`` there. ``meta`` keeps the other fields of the JSON file.
    """

    positions: np.ndarray
    heights: np.ndarray
    datapoints: int = 5000
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.positions)

    @property
    def n_peaks(self) -> np.ndarray:
        """Number of peaks of each class."""
        return (self.positions >= 0).sum(axis=1)

    def peaks(self, label: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and heights of one class, without padding."""
        keep = self.positions[label] >= 0
        return self.positions[label][keep], self.heights[label][keep]

    def ideal(self, labels: np.ndarray | list[int] | None = None, sigma: float = 2.0) -> np.ndarray:
        """The unvaried spectrum of each class in ``labels`` (all classes by default)."""
        labels = np.arange(len(self)) if labels is None else np.asarray(labels)
        return render(self.positions[labels], self.heights[labels], sigma, self.datapoints)

    def to_json(self, path: str | os.PathLike) -> None:
        """Write in the published file layout (atomically)."""
        spectra = {}
        for label in range(len(self)):
            pos, hei = self.peaks(label)
            spectra[str(label)] = {"peak_positions": pos.tolist(), "peak_heights": hei.tolist()}
        io.write_json(path, {**self.meta, "datapoints": self.datapoints, "classes": len(self), "spectra": spectra})


def _pad(rows: list[list[float]], fill: float, dtype: type) -> np.ndarray:
    width = max(len(r) for r in rows)
    out = np.full((len(rows), width), fill, dtype=dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def load_classes(path: str | os.PathLike) -> ClassSet:
    """Read a class definition file (S23's ``dataset500.json`` layout).

    Raises ``ValueError`` naming the file and the field when the content is not usable.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"class definition file not found: {path}") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    for key in ("datapoints", "spectra"):
        if key not in raw:
            raise ValueError(f"{path}: missing field '{key}'")
    datapoints = raw["datapoints"]
    if not isinstance(datapoints, int) or datapoints < 2:
        raise ValueError(f"{path}: field 'datapoints' must be an integer >= 2, got {datapoints!r}")
    spectra = raw["spectra"]
    labels = sorted(spectra, key=int)
    if [int(k) for k in labels] != list(range(len(labels))):
        raise ValueError(f"{path}: field 'spectra' must have keys 0..n-1")
    positions, heights = [], []
    for key in labels:
        entry = spectra[key]
        pos, hei = entry.get("peak_positions"), entry.get("peak_heights")
        where = f"{path}: spectra['{key}']"
        if not isinstance(pos, list) or not isinstance(hei, list) or len(pos) != len(hei) or not pos:
            raise ValueError(f"{where}: 'peak_positions' and 'peak_heights' must be equal-length, non-empty lists")
        if any((not isinstance(p, int)) or p < 0 or p >= datapoints for p in pos):
            raise ValueError(f"{where}.peak_positions: every position must be an integer in [0, {datapoints})")
        if any((not isinstance(h, (int, float))) or h < 0 for h in hei):
            raise ValueError(f"{where}.peak_heights: every height must be a number >= 0")
        positions.append(pos)
        heights.append(hei)
    if "classes" in raw and raw["classes"] != len(labels):
        raise ValueError(f"{path}: field 'classes' says {raw['classes']} but 'spectra' has {len(labels)}")
    meta = {k: v for k, v in raw.items() if k not in ("spectra", "datapoints", "classes")}
    return ClassSet(_pad(positions, -1, np.int64), _pad(heights, 0.0, np.float64), datapoints, meta)


def generate_classes(
    n_classes: int = 500,
    datapoints: int = 5000,
    boundary: int = 100,
    min_peaks: int = 2,
    max_peaks: int = 10,
    max_height: int = 100,
    seed: int = 2022,
) -> ClassSet:
    """Draw new classes with S23's published recipe.

    Peak count ``round(Gamma(1.2, 1.2) + 2)`` (at most ``max_peaks``), positions uniform in
    ``[boundary, datapoints - boundary)``, integer heights 1..``max_height`` divided by the
    class maximum and rounded to 3 decimals, peaks sorted by position. The random calls
    follow the authors' generator, so ``seed=2022`` re-creates the published 500 classes.
    """
    if boundary * 2 >= datapoints:
        raise ValueError(f"boundary={boundary} leaves no room in datapoints={datapoints}")
    rng = np.random.default_rng(seed)
    positions, heights = [], []
    for _ in range(n_classes):
        n = int(np.round(rng.gamma(1.2, 1.2) + 2))
        pos = rng.integers(boundary, datapoints - boundary, n)[:max_peaks]
        hei = rng.integers(1, max_height, n, endpoint=True)[:max_peaks]
        hei = np.round(hei / hei.max(), 3)
        order = np.argsort(pos)
        positions.append(np.sort(pos).tolist())
        heights.append(hei[order].tolist())
    if min(len(p) for p in positions) < min_peaks:  # cannot happen with the Gamma recipe
        raise ValueError("a class has fewer than min_peaks peaks")
    meta = {"boundary": boundary, "min_peaks": min_peaks, "max_peaks": max_peaks, "max_height": max_height}
    return ClassSet(_pad(positions, -1, np.int64), _pad(heights, 0.0, np.float64), datapoints, meta)


# --------------------------------------------------------------------------- rendering
def _last_wins(positions: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Heights with every peak zeroed that a later peak at the same position overwrites.

    The authors write peaks with ``scan[positions] = heights``: at a repeated index the
    last value wins, it is not added. We keep that behaviour.
    """
    same = positions[:, :, None] == positions[:, None, :]
    later = np.triu(np.ones(positions.shape[1:] * 2, dtype=bool), k=1)
    overwritten = (same & later & (positions >= 0)[:, None, :]).any(axis=2)
    return np.where(overwritten, 0.0, heights)


def gaussian_kernels(sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Discrete normalised Gaussian kernels as ``gaussian_filter1d`` builds them.

    Returns the offsets ``-R..R`` (``R`` the largest radius) and one kernel per sigma,
    zero beyond its own radius ``int(4 * sigma + 0.5)``.
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    radius = (TRUNCATE * sigma + 0.5).astype(np.int64)
    offsets = np.arange(-radius.max(), radius.max() + 1)
    kernels = np.exp(-0.5 * offsets[None, :] ** 2 / sigma[:, None] ** 2)
    kernels[np.abs(offsets)[None, :] > radius[:, None]] = 0.0
    kernels /= kernels.sum(axis=1, keepdims=True)
    return offsets, kernels


def render(
    positions: np.ndarray,
    heights: np.ndarray,
    sigma: float | np.ndarray,
    datapoints: int,
) -> np.ndarray:
    """Spectra from peak lists: delta peaks blurred by a Gaussian, as float32.

    ``positions`` and ``heights`` are ``(n, peaks)``; a negative position is padding.
    ``sigma`` is a number or one value per spectrum.

    Equal to ``gaussian_filter1d(delta_row, sigma, mode="constant")`` for every row, but
    the filter of a row with a handful of peaks touches only ``peaks * (2R + 1)`` points,
    so we add those directly instead of filtering 5,000 points per row (scipy has no
    per-row sigma either). Written this way it takes well under a second for the
    34,500 spectra of the benchmark and no memory beyond the output.
    """
    positions = np.asarray(positions, dtype=np.int64)
    heights = _last_wins(positions, np.asarray(heights, dtype=np.float64))
    n, n_peaks = positions.shape
    sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (n,))
    out = np.zeros((n, datapoints), dtype=np.float32)
    if n == 0:
        return out
    offsets, kernels = gaussian_kernels(sigma)
    flat = out.reshape(-1)
    row_start = (np.arange(n, dtype=np.int64) * datapoints)[:, None]
    for k in range(n_peaks):
        rows = np.flatnonzero((positions[:, k] >= 0) & (heights[:, k] != 0))
        if rows.size == 0:
            continue
        cols = positions[rows, k][:, None] + offsets[None, :]
        values = (heights[rows, k][:, None] * kernels[rows]).astype(np.float32)
        index = row_start[rows] + cols
        # mode="constant": what falls off either end is dropped
        inside = (cols >= 0) & (cols < datapoints)
        if inside.all():
            flat[index.ravel()] += values.ravel()  # indices are unique within one peak slot
        else:
            flat[index[inside]] += values[inside]
    return out


def normalise(x: np.ndarray) -> np.ndarray:
    """Divide each spectrum (last axis) by its maximum: the models' input step."""
    peak = x.max(axis=-1, keepdims=True)
    return x / np.where(peak > 0, peak, 1)


# --------------------------------------------------------------------------- sampling
@dataclass(frozen=True)
class Variation:
    """Random variation of the training and validation spectra (S23's values by default).

    ``shift``: integer position shift drawn from ``[-shift, shift)``; ``height``: uniform
    height change in ``[-height, height)``, heights clipped to ``[0, 2]``; ``sigma``: the
    Gaussian width range ``[low, high)``; ``fix_max``: leave peaks of height 1.0 unchanged
    (the challenge set).
    """

    shift: int = 50
    height: float = 0.05
    sigma: tuple[float, float] = (2.0, 5.0)
    fix_max: bool = False


@dataclass(frozen=True)
class Peaks:
    """Peak tables of a set of spectra: what :func:`render` turns into spectra."""

    positions: np.ndarray  # (n, max_peaks), -1 = padding
    heights: np.ndarray  # (n, max_peaks)
    sigma: np.ndarray  # (n,)
    labels: np.ndarray  # (n,)

    def render(self, datapoints: int) -> np.ndarray:
        """The spectra, float32 ``(n, datapoints)``."""
        return render(self.positions, self.heights, self.sigma, datapoints)


def vary_peaks(
    classes: ClassSet, per_class: int, rng: np.random.Generator, variation: Variation = Variation()
) -> Peaks:
    """Peak tables of ``per_class`` randomly varied spectra of every class, in class order."""
    labels = np.repeat(np.arange(len(classes)), per_class)
    pos = classes.positions[labels]
    hei = classes.heights[labels]
    shape = pos.shape
    new_pos = np.clip(pos + rng.integers(-variation.shift, variation.shift, shape), 0, classes.datapoints - 1)
    new_hei = np.clip(hei + rng.uniform(-variation.height, variation.height, shape), 0.0, 2.0)
    if variation.fix_max:
        new_hei = np.where(hei == 1.0, hei, new_hei)
    padding = pos < 0
    new_pos[padding], new_hei[padding] = -1, 0.0
    sigma = rng.uniform(*variation.sigma, len(labels))
    return Peaks(new_pos, new_hei, sigma, labels)


# --------------------------------------------------------------------------- deterministic test sets
@dataclass(frozen=True)
class TestRules:
    """The deterministic test variants.

    ``patterns`` lists, per variant, a (position sign, height sign) pair: the positions
    move by ``sign * shift`` and every height except the 1.0 peaks by ``sign * height``.
    ``class_patterns`` overrides ``patterns`` per class; ``shift_exceptions`` and
    ``height_exceptions`` override the magnitudes per class. Test spectra use ``sigma``.
    """

    __test__ = False  # not a pytest class

    shift: int = 30
    height: float = 0.04
    sigma: float = 2.0
    patterns: tuple[tuple[int, int], ...] = (
        (0, 0), (-1, 0), (1, 0),
        (0, 1), (-1, 1), (1, 1),
        (0, -1), (-1, -1), (1, -1),
    )  # fmt: skip
    class_patterns: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    shift_exceptions: dict[int, int] = field(default_factory=dict)
    height_exceptions: dict[int, float] = field(default_factory=dict)

    def per_class(self) -> int:
        """Number of test spectra per class."""
        return len(self.patterns)


#: S23's 9 test spectra per class, with the exceptions of the released data: classes whose
#: shifted test spectra would cross into a neighbouring class use a smaller shift or height.
BENCHMARK_RULES = TestRules(
    shift_exceptions={8: 17, 318: 17},
    height_exceptions={164: 0.025, 219: 0.025, 281: 0.025, 347: 0.025},
)
#: The same variants without the exceptions (for newly generated classes).
PLAIN_RULES = TestRules()

_EXACT_LO = ((0, 0), (-1, 0), (1, 0), (0, -1), (-1, -1), (1, -1))
_EXACT_HI = ((0, 0), (-1, 0), (1, 0), (0, 1), (-1, 1), (1, 1))
_LO_HI = ((0, -1), (-1, -1), (1, -1), (0, 1), (-1, 1), (1, 1))
_RIGHT = ((0, 0), (1, 0), (0, 1), (1, 1), (0, -1), (1, -1))
_LEFT = ((0, 0), (-1, 0), (0, 1), (-1, 1), (0, -1), (-1, -1))
_BOTH = ((-1, 0), (1, 0), (-1, 1), (1, 1), (-1, -1), (1, -1))
#: S23's challenge set: 6 test spectra per class, chosen per class so that no test spectrum
#: crosses to the side of a sibling class (our restatement of the authors' released script).
CHALLENGE_RULES = TestRules(
    shift=30,
    height=0.03,
    patterns=_EXACT_LO,
    class_patterns={
        **{c: _EXACT_LO for c in range(9)},
        **{c: _RIGHT for c in (9, 12, 15)},
        **{c: _BOTH for c in (10, 13, 16)},
        **{c: _LEFT for c in (11, 14, 17)},
        **{c: _EXACT_HI for c in (18, 21, 24)},
        **{c: _LO_HI for c in (19, 22, 25)},
        **{c: _EXACT_LO for c in (20, 23, 26)},
    },
)
RULES = {"benchmark": BENCHMARK_RULES, "plain": PLAIN_RULES, "challenge": CHALLENGE_RULES}


def deterministic_peaks(classes: ClassSet, rules: TestRules = BENCHMARK_RULES) -> Peaks:
    """Peak tables of the deterministic test spectra, in class order."""
    n_classes, v = len(classes), rules.per_class()
    signs = np.array([rules.class_patterns.get(c, rules.patterns) for c in range(n_classes)])  # (C, V, 2)
    if signs.shape[1] != v:
        raise ValueError("every class pattern must have as many variants as 'patterns'")
    shift = np.array([rules.shift_exceptions.get(c, rules.shift) for c in range(n_classes)])
    dh = np.array([rules.height_exceptions.get(c, rules.height) for c in range(n_classes)])
    pos = classes.positions[:, None, :]
    hei = classes.heights[:, None, :]
    new_pos = np.clip(pos + (signs[..., 0] * shift[:, None])[..., None], 0, classes.datapoints - 1)
    new_hei = np.clip(hei + (signs[..., 1] * dh[:, None])[..., None], 0.0, 2.0)
    new_hei = np.where(hei == 1.0, hei, new_hei)  # the 1.0 peak never changes
    padding = np.broadcast_to(pos < 0, new_pos.shape)
    new_pos, new_hei = np.where(padding, -1, new_pos), np.where(padding, 0.0, new_hei)
    labels = np.repeat(np.arange(n_classes), v)
    sigma = np.full(len(labels), rules.sigma)
    return Peaks(new_pos.reshape(n_classes * v, -1), new_hei.reshape(n_classes * v, -1), sigma, labels)


def difference_window(classes: ClassSet, a: int, b: int, margin: int = 100, tol: float = 0.02) -> tuple[int, int]:
    """Index range ``[lo, hi)`` covering where the ideal spectra of classes ``a`` and ``b`` differ.

    Both spectra are divided by their maximum; points differing by more than ``tol`` count,
    widened by ``margin`` on each side. The whole range when they never differ.
    """
    ideal = normalise(classes.ideal([a, b]))
    where = np.flatnonzero(np.abs(ideal[0] - ideal[1]) > tol)
    if where.size == 0:
        return 0, classes.datapoints
    return max(0, int(where[0]) - margin), min(classes.datapoints, int(where[-1]) + margin + 1)


def closest_peaks(classes: ClassSet, a: int, b: int, variation: Variation = Variation()) -> tuple[int, int]:
    """Indices of the peak of class ``a`` and the peak of class ``b`` that are easiest to confuse.

    Distance between two peaks: position difference in units of the training shift plus
    height difference in units of the training height change. Returns the pair with the
    smallest distance (peak indices within each class).
    """
    pa, ha = classes.peaks(a)
    pb, hb = classes.peaks(b)
    distance = (
        np.abs(pa[:, None] - pb[None, :]) / variation.shift + np.abs(ha[:, None] - hb[None, :]) / variation.height
    )
    i, j = np.unravel_index(np.argmin(distance), distance.shape)
    return int(i), int(j)


def closest_peak_table(classes: ClassSet, pairs: dict[str, tuple[int, int]], variation: Variation = Variation()):
    """For every named pair ``{name: (a, b)}``: its closest peaks (:func:`closest_peaks`), their position and
    height differences (``b`` minus ``a``), and whether their training ranges overlap (both differences
    smaller than the full width of the variation, ``2 * shift`` and ``2 * height``). A pandas DataFrame."""
    import pandas as pd

    rows = []
    for name, (a, b) in pairs.items():
        ia, ib = closest_peaks(classes, a, b, variation)
        (pa, ha), (pb, hb) = classes.peaks(a), classes.peaks(b)
        d_pos, d_height = int(pb[ib] - pa[ia]), round(float(hb[ib] - ha[ia]), 3)
        rows.append(
            {"pair": name, "a": a, "b": b, "peak a": int(ia), "peak b": int(ib),
             "position a": int(pa[ia]), "height a": float(ha[ia]), "position b": int(pb[ib]),
             "height b": float(hb[ib]), "Δ position": d_pos, "Δ height": d_height,
             "overlap": abs(d_pos) < 2 * variation.shift and abs(d_height) < 2 * variation.height}
        )  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- data sets
SPLITS = ("train", "val", "test")


def sample_peaks(
    classes: ClassSet,
    seed: int = 0,
    n_train: int = 50,
    n_val: int = 10,
    rules: TestRules = BENCHMARK_RULES,
    variation: Variation | None = None,
) -> dict[str, Peaks]:
    """Peak tables of the train, validation and test spectra (see :func:`make_dataset`)."""
    if n_train < 0 or n_val < 0:
        raise ValueError(f"n_train and n_val must be >= 0, got {n_train}, {n_val}")
    if variation is None:
        variation = Variation(fix_max=rules is CHALLENGE_RULES)
    rng = np.random.default_rng(seed)
    return {
        "train": vary_peaks(classes, n_train, rng, variation),
        "val": vary_peaks(classes, n_val, rng, variation),
        "test": deterministic_peaks(classes, rules),
    }


def make_dataset(
    classes: ClassSet,
    seed: int = 0,
    n_train: int = 50,
    n_val: int = 10,
    rules: TestRules = BENCHMARK_RULES,
    variation: Variation | None = None,
) -> dict[str, np.ndarray]:
    """Train, validation and test spectra with labels: ``{"x_train": ..., "y_train": ...}``.

    Rows are in class order. Training and validation spectra vary at random (``seed``); the
    test spectra follow ``rules`` exactly. The challenge rules also keep the 1.0 peaks of
    the training variation fixed, as S23 did.
    """
    return dataset_from_peaks(sample_peaks(classes, seed, n_train, n_val, rules, variation), classes.datapoints)


def dataset_from_peaks(peaks: dict[str, Peaks], datapoints: int) -> dict[str, np.ndarray]:
    """Render the peak tables of :func:`sample_peaks` into ``{"x_train": ..., "y_train": ...}``."""
    data = {}
    for split, table in peaks.items():
        data[f"x_{split}"] = table.render(datapoints)
        data[f"y_{split}"] = table.labels
    return data


def save_dataset(data: dict[str, np.ndarray], out: str | os.PathLike) -> list[Path]:
    """Write every array as ``NAME.npy`` into ``out`` (atomically, one file at a time)."""
    paths = []
    for name, array in data.items():
        path = Path(out) / f"{name}.npy"
        io.save_npy(path, array)
        paths.append(path)
    return paths


def load_dataset(folder: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read the six arrays that :func:`save_dataset` wrote."""
    folder = Path(folder)
    data = {}
    for split in SPLITS:
        for kind in ("x", "y"):
            path = folder / f"{kind}_{split}.npy"
            if not path.is_file():
                raise FileNotFoundError(f"data set file missing: {path}")
            data[f"{kind}_{split}"] = np.load(path)
    return data


# --------------------------------------------------------------------------- benchmark
def benchmark_generation(classes: ClassSet, repeats: int = 3, seed: int = 0) -> dict[str, float]:
    """Time and peak memory of :func:`make_dataset` for ``classes`` (in memory, no files).

    Returns the wall time of the first (cold: fresh memory pages) and the best of ``repeats``
    runs, the number of spectra, the float32 output size and the peak memory that numpy
    allocated during one run (tracemalloc sees numpy's buffers).
    """
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        data = make_dataset(classes, seed=seed)
        times.append(time.perf_counter() - start)
        del data
    tracemalloc.start()
    data = make_dataset(classes, seed=seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = sum(len(v) for k, v in data.items() if k.startswith("x_"))
    output = sum(v.nbytes for k, v in data.items() if k.startswith("x_"))
    return {
        "spectra": int(n),
        "seconds": float(min(times)),
        "first_seconds": float(times[0]),
        "spectra_per_second": float(n / min(times)),
        "output_mb": output / 2**20,
        "peak_mb": peak / 2**20,
        "peak_over_output": peak / output,
    }


def write_floor(shapes: dict[str, tuple[tuple[int, ...], str]], out: str | os.PathLike) -> None:
    """The floor under ``synthetic generate``: allocate arrays of the data set's shapes and dtypes
    (``{name: (shape, dtype)}``), touch every page, and write them as :func:`save_dataset` does."""
    for name, (shape, dtype) in shapes.items():
        io.save_npy(Path(out) / f"{name}.npy", np.ones(shape, dtype=dtype))


def benchmark_command_line(
    classes_file: str | os.PathLike, repeats: int = 5, scratch: str | os.PathLike | None = None
) -> dict[str, float]:
    """Wall time of ``python -m lib synthetic generate`` end to end against the machine's floor.

    Each repeat runs, in fresh interpreters, the command (imports, generation, durable writes) and
    :func:`write_floor` for the same arrays (numpy and :mod:`lib.io` imported, allocation, the same
    writes); the two alternate so that load on a shared machine hits both alike. Returns the medians
    and ``ratio`` = median command / median floor.
    """
    classes_file = Path(classes_file).resolve()
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        out, floor_out = Path(tmp) / "generate", Path(tmp) / "floor"
        command = [
            sys.executable,
            "-m",
            "lib",
            "synthetic",
            "generate",
            "--classes",
            str(classes_file),
            "--out",
            str(out),
        ]
        shapes = {k: (v.shape, v.dtype.str) for k, v in make_dataset(load_classes(classes_file)).items()}
        floor = [sys.executable, "-c", "import json, sys; from lib.synthetic.generator import write_floor; "
                 "write_floor(json.loads(sys.argv[1]), sys.argv[2])", json.dumps(shapes), str(floor_out)]  # fmt: skip
        times: dict[str, list[float]] = {"command": [], "floor": []}
        for _ in range(repeats):
            for name, argv in (("command", command), ("floor", floor)):
                start = time.perf_counter()
                subprocess.run(argv, cwd=Path(__file__).resolve().parents[2], check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
        output = sum(np.load(path, mmap_mode="r").nbytes for path in out.glob("*.npy"))
    command_s, floor_s = statistics.median(times["command"]), statistics.median(times["floor"])
    return {
        "command_seconds": command_s,
        "floor_seconds": floor_s,
        "ratio": command_s / floor_s,
        "repeats": repeats,
        "command_all": times["command"],
        "floor_all": times["floor"],
        "written_mb": output / 2**20,
    }
