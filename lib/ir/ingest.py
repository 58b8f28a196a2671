"""JCAMP-DX ingestion: read, check, convert units, put on a common grid, save.

One file goes through four steps:

1. :func:`read_jcamp` parses the text (latin-1, as NIST writes it) with the ``jcamp``
   package, which handles the compressed ASDF forms (SQZ, DIF, DUP). Before and after the
   parser we check what it does not: the file is JCAMP-DX at all (not an HTML page, not the
   WebBook's "Spectrum not found"), it is complete (``##END=``), it has a data table whose
   length agrees with ``##NPOINTS=``, every value is finite. Lines are bounded in length so
   that a hostile file cannot make the parser's quadratic corners hang.
2. :class:`Filters` decide whether a spectrum belongs in the data set; the default is R23's
   released code: ``state == gas``, ``yunits == ABSORBANCE``, ``xunits == 1/CM``.
3. :func:`to_absorbance` converts units (transmittance → absorbance ``-log10(T)``;
   micrometres → cm⁻¹ ``1e4 / λ``; NIST's quantitative ``(micromol/mol)-1m-1`` is
   absorbance per concentration and path length, i.e. absorbance up to a factor), then
   :func:`clean_xy` sorts by x and averages repeated x values.
4. :func:`to_grid` interpolates linearly onto the grid (default R23's code,
   :data:`lib.reference.R23_GRID`), zero outside the measured range, and divides by the maximum.

A file that cannot be used raises :class:`JcampError` (a ``ValueError``) naming the file and
the field; :func:`ingest` runs many files, keeps the good ones and lists every rejection with
its reason (:meth:`IngestResult.qc_table`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io as _io
import json
import os
import platform
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jcamp
import numpy as np

from lib import io
from lib.reference import R23_GRID, r23_grid

GRID_START, GRID_STOP, GRID_POINTS = R23_GRID
HEADER_FIELDS = ("title", "state", "xunits", "yunits", "origin", "cas")
MAX_BYTES = 64 * 2**20  # a NIST IR file is < 0.5 MB
MAX_LINE = 2048  # JCAMP-DX lines are <= 80 columns; the parser's DUP expansion is quadratic per line
MAX_POINTS = 2_000_000
T_MIN = 1e-4  # transmittance floor before -log10: absorbance at most 4
DATASET_FORMAT = "spectra-nn-book/ir-dataset"
DATASET_VERSION = 1

ABSORBANCE = "ABSORBANCE"
QUANT_ABSORBANCE = "(MICROMOL/MOL)-1M-1"
TRANSMITTANCE = "TRANSMITTANCE"
PERCENT_TRANSMITTANCE = "PERCENT TRANSMITTANCE"
WAVENUMBER = "1/CM"
MICROMETERS = "MICROMETERS"
NANOMETERS = "NANOMETERS"
CONVERTIBLE_X = (MICROMETERS, NANOMETERS)
CONVERTIBLE_Y = (TRANSMITTANCE, PERCENT_TRANSMITTANCE, QUANT_ABSORBANCE)

_X_ALIASES = {
    WAVENUMBER: ("1/CM", "CM-1", "CM^-1", "CM**-1", "1/CENTIMETERS", "WAVENUMBER", "WAVENUMBERS"),
    MICROMETERS: ("MICROMETERS", "MICROMETER", "MICRONS", "MICRON", "UM", "µM", "MICROMETRES"),
    NANOMETERS: ("NANOMETERS", "NANOMETER", "NM", "NANOMETRES"),
}
_STATE_ALIASES = {"vapor": "gas", "vapour": "gas"}
_DATA_LABELS = ("xydata", "xypoints", "peak table")


class JcampError(ValueError):
    """A JCAMP-DX file that cannot be used; ``file`` and ``field`` say where."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        self.file, self.field, self.reason = file, field, reason
        super().__init__(f"{file}: {field}: {reason}")


class FilteredOut(ValueError):
    """A readable spectrum that the :class:`Filters` leave out."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        self.file, self.field, self.reason = file, field, reason
        super().__init__(f"{file}: {field}: {reason}")


# --------------------------------------------------------------------------- reading
@dataclass
class RawSpectrum:
    """A parsed file: data as written (after ``XFACTOR``/``YFACTOR``) and every header field as text."""

    file: str
    x: np.ndarray
    y: np.ndarray
    header: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        """A header field by its lower-case JCAMP label (``"cas"`` is ``##CAS REGISTRY NO=``)."""
        if name == "cas":
            name = "cas registry no"
        return self.header.get(name, default)


def _label(line: str) -> tuple[str, str] | None:
    """``(label, value)`` of a ``##LABEL=value`` line as the ``jcamp`` parser splits it."""
    if not line.startswith("##") or "=" not in line:
        return None
    lhs, rhs = line.strip("#").split("=", 1)
    return lhs.strip().lower(), rhs.strip()


def _prescan(text: str, name: str) -> list[str]:
    """Checks the parser does not make; returns the lines to parse."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise JcampError(name, "file", "empty")
    head = stripped[:1024].lower()
    if head.startswith("<") or "<html" in head or "<!doctype" in head:
        raise JcampError(name, "file", "an HTML page, not JCAMP-DX")
    if not stripped.startswith("##"):
        raise JcampError(name, "TITLE", "not JCAMP-DX: the first line must be a ##LABEL= line")
    lines = stripped.splitlines(keepends=True)
    labels: list[str] = []
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise JcampError(name, f"line {number}", f"longer than {MAX_LINE} characters")
        if "\x00" in line:
            raise JcampError(name, f"line {number}", "contains a NUL byte (binary file?)")
        if line.startswith("##"):
            pair = _label(line)
            if pair is None:
                raise JcampError(name, f"line {number}", "a ##LABEL line without '='")
            key, value = pair
            labels.append(key)
            if key == "title" and value.lower().startswith("spectrum not found"):
                raise JcampError(name, "TITLE", "the WebBook's 'Spectrum not found' answer")
            if key == "npoints" and value.isascii() and value.isdigit() and not 2 <= int(value) <= MAX_POINTS:
                raise JcampError(name, "NPOINTS", f"{value} is not between 2 and {MAX_POINTS}")
    if not labels or labels[-1] != "end":
        raise JcampError(name, "END", "no ##END= at the end (truncated file?)")
    if not any(key in _DATA_LABELS for key in labels):
        raise JcampError(name, "XYDATA", "no data table (##XYDATA=, ##XYPOINTS= or ##PEAK TABLE=)")
    if "xydata" in labels:  # the x values of (X++(Y..Y)) come from these three labels
        for key in ("firstx", "lastx", "npoints"):
            if key not in labels:
                raise JcampError(name, key.upper(), "missing (needed for ##XYDATA=(X++(Y..Y)))")
    return lines


def read_jcamp(source: str | os.PathLike | bytes, name: str | None = None) -> RawSpectrum:
    """Parse one JCAMP-DX file (a path, or the bytes of one) into a :class:`RawSpectrum`.

    The bytes are decoded as latin-1 (NIST's encoding; every byte is valid). Raises
    :class:`JcampError` naming the file (``name``, or the path) and the field at fault, and
    ``FileNotFoundError`` when a path does not exist.
    """
    if isinstance(source, bytes | bytearray):
        data, name = bytes(source), name or "<bytes>"
    else:
        path = Path(source)
        name = name or str(path)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise FileNotFoundError(f"JCAMP-DX file not found: {path}") from None
        if size > MAX_BYTES:
            raise JcampError(name, "file", f"{size} bytes is more than {MAX_BYTES}")
        data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise JcampError(name, "file", f"{len(data)} bytes is more than {MAX_BYTES}")
    lines = _prescan(data.decode("latin-1"), name)
    printed = _io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), np.errstate(all="ignore"):
            parsed = jcamp.read(lines)
    except RecursionError:
        raise JcampError(name, "data", "nesting too deep") from None
    except Exception as err:  # the parser raises bare Exception, KeyError, IndexError, ...
        raise JcampError(name, "data", f"the jcamp parser failed: {type(err).__name__}: {err}") from None
    warnings = [line for line in printed.getvalue().splitlines() if line.strip()]
    if parsed.get("children"):
        raise JcampError(name, "DATA TYPE", "a compound (LINK) file with several blocks; split it first")
    if "peak table" in parsed and "xydata" not in parsed and "xypoints" not in parsed:
        raise JcampError(name, "PEAK TABLE", "a peak table, not a continuous spectrum")
    if not any(key in parsed for key in _DATA_LABELS):
        raise JcampError(name, "XYDATA", "no data table")
    try:
        x = np.asarray(parsed["x"], dtype=np.float64).ravel()
        y = np.asarray(parsed["y"], dtype=np.float64).ravel()
    except (TypeError, ValueError) as err:
        raise JcampError(name, "XYDATA", f"values are not numbers ({err})") from None
    if y.size == 0:
        raise JcampError(name, "XYDATA", "no data points")
    npoints = parsed.get("npoints")
    if npoints is not None and (not isinstance(npoints, int) or npoints != y.size):
        raise JcampError(name, "NPOINTS", f"says {npoints!r} but the data table holds {y.size} values")
    if x.size != y.size:
        raise JcampError(name, "XYDATA", f"{x.size} x values but {y.size} y values")
    if y.size < 2:
        raise JcampError(name, "XYDATA", "fewer than 2 points")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise JcampError(name, "XYDATA", "non-finite values (check FIRSTX, LASTX, XFACTOR, YFACTOR)")
    header = {key: str(value) for key, value in parsed.items() if key not in ("x", "y", "children", "filename") and key}
    for label in ("xunits", "yunits"):
        if not header.get(label, "").strip():
            raise JcampError(name, label.upper(), "missing (a required JCAMP-DX label)")
    return RawSpectrum(name, x, y, header, warnings)


# --------------------------------------------------------------------------- units
def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().upper())


def canonical_state(state: str) -> str:
    """``"GAS (150 mmHg, N2 ADDED…)"`` → ``"gas"``: first word, lower case; vapour counts as gas."""
    words = re.findall(r"[a-z]+", state.lower())
    word = words[0] if words else ""
    return _STATE_ALIASES.get(word, word)


def canonical_xunits(xunits: str) -> str:
    """``1/CM``, ``MICROMETERS`` or ``NANOMETERS`` for the spellings we know, else the upper-cased text."""
    squashed = _squash(xunits).replace(" ", "")
    for canonical, aliases in _X_ALIASES.items():
        if squashed in aliases:
            return canonical
    return _squash(xunits)


def canonical_yunits(yunits: str) -> str:
    """``ABSORBANCE``, ``TRANSMITTANCE``, ``PERCENT TRANSMITTANCE``, ``(MICROMOL/MOL)-1M-1`` or the upper-cased text."""
    squashed = _squash(yunits)
    compact = squashed.replace(" ", "")
    if compact.startswith(QUANT_ABSORBANCE):
        return QUANT_ABSORBANCE
    if "TRANSMITTANCE" in squashed or "TRANSMISSION" in squashed:
        return PERCENT_TRANSMITTANCE if ("%" in squashed or "PERCENT" in squashed) else TRANSMITTANCE
    if squashed in ("ABSORBANCE", "ABSORBANCE UNITS", "ABS", "A", "AU"):
        return ABSORBANCE
    return squashed


@dataclass(frozen=True)
class Filters:
    """Which spectra to keep, on canonical header values (see ``canonical_*``).

    ``None`` accepts anything. ``convert=True`` also accepts the units :func:`to_absorbance`
    can convert (micrometres, nanometres, transmittance, NIST's quantitative absorbance).
    The default is R23's released code: gas, ``ABSORBANCE``, ``1/CM``.
    """

    states: tuple[str, ...] | None = ("gas",)
    xunits: tuple[str, ...] | None = (WAVENUMBER,)
    yunits: tuple[str, ...] | None = (ABSORBANCE,)
    convert: bool = False

    def reason(self, raw: RawSpectrum) -> tuple[str, str] | None:
        """``(field, reason)`` when ``raw`` is left out, else ``None``."""
        state = canonical_state(raw.get("state"))
        if self.states is not None and state not in self.states:
            return "STATE", f"{raw.get('state') or 'missing'!r} is not {' or '.join(self.states)}"
        xu, yu = canonical_xunits(raw.get("xunits")), canonical_yunits(raw.get("yunits"))
        xs = None if self.xunits is None else self.xunits + (CONVERTIBLE_X if self.convert else ())
        ys = None if self.yunits is None else self.yunits + (CONVERTIBLE_Y if self.convert else ())
        if xs is not None and xu not in xs:
            return "XUNITS", f"{raw.get('xunits') or 'missing'!r} is not {' or '.join(xs)}"
        if ys is not None and yu not in ys:
            return "YUNITS", f"{raw.get('yunits') or 'missing'!r} is not {' or '.join(ys)}"
        return None


R23_FILTERS = Filters()
CONVERTING_FILTERS = Filters(convert=True)


def to_absorbance(raw: RawSpectrum, t_min: float = T_MIN) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Wavenumbers (cm⁻¹) and absorbance of a spectrum, and the conversions applied.

    Transmittance ``T`` (a fraction; percent when the unit says so or when values exceed 2)
    becomes ``-log10(max(T, t_min))``; micrometres ``1e4 / λ``, nanometres ``1e7 / λ``; NIST's
    quantitative ``(micromol/mol)-1m-1`` is taken as absorbance (it is absorbance divided by
    concentration and path length, a constant factor that normalisation removes).
    """
    x, y, done = raw.x.astype(np.float64), raw.y.astype(np.float64), []
    xu, yu = canonical_xunits(raw.get("xunits")), canonical_yunits(raw.get("yunits"))
    if xu in CONVERTIBLE_X:
        if (x <= 0).any():
            raise JcampError(raw.file, "XYDATA", f"wavelengths must be > 0 to convert from {xu}")
        x = (1e4 if xu == MICROMETERS else 1e7) / x
        done.append(f"x: {xu} -> 1/CM")
    elif xu != WAVENUMBER:
        raise JcampError(raw.file, "XUNITS", f"cannot convert {raw.get('xunits')!r} to 1/CM")
    if yu in (TRANSMITTANCE, PERCENT_TRANSMITTANCE):
        percent = yu == PERCENT_TRANSMITTANCE or float(np.max(y)) > 2.0
        if percent:
            y = y / 100.0
        with np.errstate(all="ignore"):
            y = -np.log10(np.maximum(y, t_min))
        done.append(f"y: {'percent ' if percent else ''}transmittance -> absorbance")
    elif yu == QUANT_ABSORBANCE:
        done.append("y: (micromol/mol)-1m-1 taken as absorbance")
    elif yu != ABSORBANCE:
        raise JcampError(raw.file, "YUNITS", f"cannot convert {raw.get('yunits')!r} to absorbance")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise JcampError(raw.file, "XYDATA", "non-finite values after unit conversion")
    return x, y, done


def clean_xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by x and replace the points of a repeated x by their mean."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    unique, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return unique, np.bincount(inverse, weights=y) / counts


def default_grid() -> np.ndarray:
    """R23's grid (:data:`lib.reference.R23_GRID`), cm⁻¹."""
    return r23_grid()


def to_grid(x: np.ndarray, y: np.ndarray, grid: np.ndarray | None = None, file: str = "<spectrum>") -> np.ndarray:
    """Linear interpolation onto ``grid`` (zero outside ``x``'s range), divided by the maximum.

    ``x`` must be sorted and unique (:func:`clean_xy`). Raises :class:`JcampError` when nothing
    positive is left on the grid.
    """
    grid = default_grid() if grid is None else np.asarray(grid, dtype=np.float64)
    if x.size < 2:
        raise JcampError(file, "XYDATA", "fewer than 2 distinct x values")
    values = np.interp(grid, x, y, left=0.0, right=0.0)
    peak = float(values.max()) if values.size else 0.0
    if not peak > 0 or not np.isfinite(peak):
        lo, hi = float(x[0]), float(x[-1])
        raise JcampError(file, "XYDATA", f"no positive absorbance on the grid (data span {lo:.6g}..{hi:.6g} cm-1)")
    return values / peak


# --------------------------------------------------------------------------- one file, many files
@dataclass
class Processed:
    """One spectrum ready for the data set."""

    file: str
    path: str
    vector: np.ndarray  # on the grid, max 1
    x: np.ndarray  # cm-1, sorted, unique
    y: np.ndarray  # absorbance
    header: dict[str, str]
    conversions: list[str]
    warnings: list[str]
    sha256: str

    def fields(self) -> dict[str, str]:
        """The kept header fields (:data:`HEADER_FIELDS`), as written in the file."""
        return {name: self.header.get("cas registry no" if name == "cas" else name, "") for name in HEADER_FIELDS}


@dataclass(frozen=True)
class Rejection:
    """A file left out and why: ``kind`` is ``"error"`` (unusable) or ``"filter"``."""

    file: str
    path: str
    kind: str
    field: str
    reason: str


def ingest_file(
    path: str | os.PathLike,
    grid: np.ndarray | None = None,
    filters: Filters = R23_FILTERS,
    name: str | None = None,
) -> Processed:
    """Read, filter, convert and grid one file.

    Raises :class:`JcampError` for an unusable file and :class:`FilteredOut` for one the
    filters leave out.
    """
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise FileNotFoundError(f"JCAMP-DX file not found: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise JcampError(name, "file", f"{path.stat().st_size} bytes is more than {MAX_BYTES}")
    data = path.read_bytes()
    raw = read_jcamp(data, name)
    rejected = filters.reason(raw)
    if rejected is not None:
        raise FilteredOut(name, *rejected)
    x, y, conversions = to_absorbance(raw)
    x, y = clean_xy(x, y)
    vector = to_grid(x, y, grid, name)
    sha = hashlib.sha256(data).hexdigest()
    return Processed(name, str(path), vector, x, y, raw.header, conversions, raw.warnings, sha)


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given; a folder becomes its ``*.jdx``/``*.jcamp``/``*.dx`` files, sorted by name."""
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in (".jdx", ".jcamp", ".dx"))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return out


@dataclass
class IngestResult:
    """Kept spectra (in input order) and every rejection."""

    grid: np.ndarray
    filters: Filters
    kept: list[Processed]
    rejections: list[Rejection]
    inputs: list[str]

    @property
    def x(self) -> np.ndarray:
        """``(n, len(grid))`` float32, each row's maximum 1."""
        if not self.kept:
            return np.zeros((0, self.grid.size), dtype=np.float32)
        return np.stack([p.vector for p in self.kept]).astype(np.float32)

    @property
    def files(self) -> list[str]:
        return [p.file for p in self.kept]

    def header(self, name: str) -> list[str]:
        """One kept header field for every kept spectrum."""
        return [p.fields()[name] for p in self.kept]

    def qc_table(self):
        """One row per input file: status, state, units, origin, points, conversions, reason (a DataFrame)."""
        import pandas as pd

        rows = []
        for p in self.kept:
            f = p.fields()
            rows.append(
                {
                    "file": p.file,
                    "status": "kept",
                    "state": f["state"],
                    "xunits": f["xunits"],
                    "yunits": f["yunits"],
                    "origin": f["origin"],
                    "points": int(p.x.size),
                    "xmin": float(p.x[0]),
                    "xmax": float(p.x[-1]),
                    "conversions": "; ".join(p.conversions),
                    "field": "",
                    "reason": "",
                }
            )
        for r in self.rejections:
            rows.append({"file": r.file, "status": f"rejected ({r.kind})", "field": r.field, "reason": r.reason})
        order = {name: i for i, name in enumerate(self.inputs)}
        table = pd.DataFrame(rows)
        if len(table):
            table = table.sort_values("file", key=lambda s: s.map(lambda v: order.get(v, len(order))), kind="stable")
        return table.reset_index(drop=True)


def ingest(
    paths: Iterable[str | os.PathLike],
    grid: np.ndarray | None = None,
    filters: Filters = R23_FILTERS,
    progress: bool = False,
) -> IngestResult:
    """Run :func:`ingest_file` on every file (folders expanded); a bad file is recorded, not fatal."""
    files = expand_paths(paths)
    grid = default_grid() if grid is None else np.asarray(grid, dtype=np.float64)
    kept, rejections = [], []
    iterator: Iterable[Path] = files
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc="ingest", unit="file")
    for path in iterator:
        try:
            kept.append(ingest_file(path, grid, filters))
        except JcampError as err:
            rejections.append(Rejection(path.name, str(path), "error", err.field, err.reason))
        except FilteredOut as err:
            rejections.append(Rejection(path.name, str(path), "filter", err.field, err.reason))
        except OSError as err:
            rejections.append(Rejection(path.name, str(path), "error", "file", str(err)))
    return IngestResult(grid, filters, kept, rejections, [p.name for p in files])


# --------------------------------------------------------------------------- saving
def _software() -> dict[str, str]:
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for package in ("numpy", "jcamp", "spectra-nn-book"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def _str_array(values: Sequence[str]) -> np.ndarray:
    return np.asarray(list(values), dtype=str) if len(values) else np.zeros(0, dtype="<U1")


def save_npz(path: str | os.PathLike, result: IngestResult) -> Path:
    """R23-style arrays: ``x`` (n × grid), ``grid``, ``files`` and the kept header fields, atomically."""
    arrays = {"x": result.x, "grid": result.grid, "files": _str_array(result.files)}
    arrays |= {name: _str_array(result.header(name)) for name in HEADER_FIELDS}
    path = Path(path)
    with io.atomic_open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    return path


def dataset_metadata(result: IngestResult) -> dict:
    """The provenance recorded with :func:`save_dataset`."""
    grid = result.grid
    return {
        "format": DATASET_FORMAT,
        "version": DATASET_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "software": _software(),
        "grid": {"start": float(grid[0]), "stop": float(grid[-1]), "points": int(grid.size), "kind": "linear"},
        "processing": "interp(left=0, right=0) on the grid, then each row divided by its maximum",
        "filters": asdict(result.filters),
        "inputs": result.inputs,
        "spectra": [
            {
                "file": p.file,
                "path": p.path,
                "sha256": p.sha256,
                "points": int(p.x.size),
                "conversions": p.conversions,
                "warnings": p.warnings,
                "header": p.header,
            }
            for p in result.kept
        ],
        "rejections": [asdict(r) for r in result.rejections],
    }


def save_dataset(path: str | os.PathLike, result: IngestResult) -> Path:
    """The full self-describing data set: one ``.npz`` (no pickles), written atomically.

    Holds everything :func:`save_npz` writes, the converted spectra before gridding
    (``raw_x``/``raw_y`` concatenated, row ``i`` is ``raw_offsets[i]:raw_offsets[i+1]``) and a
    ``metadata`` JSON string: format and version, time, software versions, grid, filters,
    per-file sha256, conversions, parser warnings, full headers and every rejection.
    """
    arrays = {"x": result.x, "grid": result.grid, "files": _str_array(result.files)}
    arrays |= {name: _str_array(result.header(name)) for name in HEADER_FIELDS}
    lengths = [p.x.size for p in result.kept]
    arrays["raw_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    arrays["raw_x"] = np.concatenate([p.x for p in result.kept]) if lengths else np.zeros(0)
    arrays["raw_y"] = np.concatenate([p.y for p in result.kept]) if lengths else np.zeros(0)
    arrays["metadata"] = np.asarray(json.dumps(dataset_metadata(result)))
    path = Path(path)
    with io.atomic_open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    return path


def load_dataset(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    """Arrays and metadata of a :func:`save_dataset` file; ``ValueError`` if it is not one."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"data set not found: {path}") from None
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a readable .npz ({err})") from None
    if "metadata" not in arrays:
        raise ValueError(f"{path}: field 'metadata' missing (not a {DATASET_FORMAT} file)")
    meta = json.loads(str(arrays.pop("metadata")))
    if meta.get("format") != DATASET_FORMAT or meta.get("version") != DATASET_VERSION:
        raise ValueError(f"{path}: field 'metadata.format' is {meta.get('format')!r} v{meta.get('version')!r}")
    return arrays, meta
