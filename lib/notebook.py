"""What every chapter calls first: figure style, the plotly renderer, seeds.

Plotly >= 6 emits only its own mime type in notebooks, which a static HTML page cannot
show. :func:`setup` registers a renderer that emits both that mime type (JupyterLab, VS
Code) and an HTML ``<div>`` that draws with the ``plotly.min.js`` the book ships in
``_static`` (so pages work offline and stay small).
"""

from __future__ import annotations

import base64
import os
import random
import sys
from typing import Any

import numpy as np

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


#: Points a line trace keeps on a book page: more than a figure's width in pixels.
MAX_POINTS = 1000
_PER_POINT = ("x", "y", "text", "hovertext", "customdata", "ids")


def _decode(value: Any) -> np.ndarray | None:
    """A plotly data array (a list, a NumPy array or plotly's ``{"dtype", "bdata"}``) as NumPy."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(n) for n in str(value.get("shape", "")).split(",") if n.strip()]
        return array.reshape(shape) if shape else array
    if isinstance(value, list | tuple | np.ndarray):
        return np.asarray(value)
    return None


def _encode(array: np.ndarray) -> dict[str, str]:
    """A 1-D numeric array in plotly's typed-array form; 64-bit floats become 32-bit (7 digits), 64-bit
    integers 32-bit ones or, beyond their range, 64-bit floats (plotly.js reads no 64-bit integers)."""
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    elif array.dtype.kind in "iu" and array.dtype.itemsize == 8:
        fits = array.size == 0 or (array.min() >= np.iinfo(np.int32).min and array.max() <= np.iinfo(np.int32).max)
        array = array.astype(np.int32 if fits else np.float64)
    return {"dtype": array.dtype.str.lstrip("<|"), "bdata": base64.b64encode(np.ascontiguousarray(array)).decode()}


def decimate_indices(y: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most about ``max_points`` of ``y`` that keep its shape on screen.

    The points are cut into ``max_points // 2`` consecutive buckets; each keeps its minimum and its
    maximum (so a narrow peak survives, unlike a plain stride), and the first and last points stay.
    A series with gaps (NaN) is strided instead.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if max_points < 4:
        raise ValueError(f"max_points must be at least 4, got {max_points}")
    if n <= max_points:
        return np.arange(n)
    if not np.isfinite(y).all():
        return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
    size = -(-n // (max_points // 2))
    padded = np.concatenate([y, np.full(-n % size, y[-1])]).reshape(-1, size)
    starts = np.arange(0, padded.size, size)
    picks = np.r_[0, starts + padded.argmin(axis=1), starts + padded.argmax(axis=1), n - 1]
    return np.unique(np.minimum(picks, n - 1))


def _single(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace with its 64-bit float arrays (``x``, ``y``, ``z``) stored as 32-bit floats."""
    out = dict(trace)
    for key in ("x", "y", "z"):
        value = trace.get(key)
        if isinstance(value, dict | np.ndarray):
            array = _decode(value)
            if array is not None and array.dtype == np.float64:
                out[key] = _encode(array.ravel()) | (
                    {"shape": ", ".join(map(str, array.shape))} if array.ndim > 1 else {}
                )
    return out


def _explicit_x(trace: dict[str, Any], n: int) -> dict[str, Any] | None:
    """The trace with its ``x`` spelt out where plotly would derive it from ``x0`` and ``dx`` (a subset of
    ``y`` must take its ``x`` with it); ``None`` where ``x0`` or ``dx`` is no number (a date, a category)."""
    if "x" in trace:
        return trace
    x0, dx = trace.get("x0", 0), trace.get("dx", 1)
    if not all(isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) for v in (x0, dx)):
        return None
    out = {k: v for k, v in trace.items() if k not in ("x0", "dx")}
    out["x"] = x0 + dx * np.arange(n)
    return out


def _decimated(trace: dict[str, Any], max_points: int) -> dict[str, Any]:
    """A long line trace decimated (:func:`decimate_indices`); any other trace, or one that must stay
    whole, as it is."""
    if trace.get("type", "scatter") not in ("scatter", "scattergl"):
        return trace
    y = _decode(trace.get("y"))
    if y is None or y.ndim != 1 or len(y) <= max_points or "markers" in str(trace.get("mode", "lines")):
        return trace
    n = len(y)
    full = _explicit_x(trace, n)
    if full is None:
        return trace
    per_point = {k: _decode(full.get(k)) for k in _PER_POINT if k in full}
    if any(v is None or len(v) != n for v in per_point.values()):
        return trace  # a per-point field we cannot subset in step: leave the trace whole
    styles = [v for sub in ("marker", "line") for v in (trace.get(sub) or {}).values()]
    if any(isinstance(v, list | tuple | np.ndarray) or (isinstance(v, dict) and "bdata" in v) for v in styles):
        return trace  # per-point colours or sizes
    if y.dtype.kind not in "fiu" or not np.isfinite(y).all():
        return trace  # text values, or several lines in one trace split by gaps: each point is kept
    keep = decimate_indices(y, max_points)
    out = dict(full)
    for key, values in per_point.items():
        part = values[keep]
        out[key] = _encode(part) if part.dtype.kind in "fiu" else part.tolist()
    return out


def thin_figure(fig_dict: dict[str, Any], max_points: int = MAX_POINTS) -> dict[str, Any]:
    """A plotly figure dict as a page should carry it: every long line trace decimated to about
    ``max_points`` points (:func:`decimate_indices`) and every 64-bit float array stored in 32 bits.

    Marker-only traces, bars and heat maps keep every point (each point is a mark), and so does a
    trace that draws several lines split by gaps (NaN).
    """
    return {**fig_dict, "data": [_single(_decimated(t, max_points)) for t in fig_dict.get("data", [])]}


def _register_plotly() -> None:
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.io._base_renderers import MimetypeRenderer

    class BookHTML(MimetypeRenderer):
        """``text/html`` of the thinned figure without the plotly.js bundle; the book page loads it once."""

        def to_mimebundle(self, fig_dict):
            html = pio.to_html(
                thin_figure(fig_dict), include_plotlyjs=False, full_html=False, validate=False, include_mathjax=False
            )
            return {"text/html": html}

    pio.renderers["book_html"] = BookHTML()
    pio.renderers.default = "plotly_mimetype+book_html"
    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.update(font={"size": 13}, colorway=PALETTE, margin={"l": 60, "r": 20, "t": 50, "b": 50}, height=420)
    pio.templates["book"] = template
    pio.templates.default = "book"


def _style_matplotlib() -> None:
    import matplotlib

    matplotlib.rcParams.update(
        {"figure.dpi": 110, "figure.figsize": (7, 3.6), "axes.spines.top": False, "axes.spines.right": False}
    )


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and (when imported) PyTorch."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (third-party code may use the global stream)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def cpu_load_note(own_threads: int, load: float | None = None, cores: int | None = None) -> str:
    """A clause for timing prose: did other processes share the processor while the timing ran?

    Compares the 1-minute load average with the threads the timed run keeps busy; more than half a
    core beyond them means other processes competed and the times are upper bounds.
    """
    load = os.getloadavg()[0] if load is None else load
    cores = (os.cpu_count() or 1) if cores is None else cores
    where = f"1-minute load average {load:.1f} on {cores} cores for a {own_threads}-thread run"
    if load - own_threads > 0.5:
        return f"{where}: other processes shared the processor, so these times are upper bounds"
    return f"{where}: the processor was otherwise idle"


def live_kernel() -> bool:
    """True inside a running IPython kernel (Jupyter, VS Code, papermill), where ipywidgets can be
    built; False in plain Python and in tests. A chapter shows widgets only when this holds *and*
    its own switch asks for them (the book's presets switch them off: a static page cannot run them)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def setup(seed: int = 0) -> None:
    """Figure style, plotly renderer and seeds for a chapter."""
    _register_plotly()
    _style_matplotlib()
    seed_everything(seed)


def glue(name: str, value: Any, display: bool = False) -> None:
    """myst-nb's ``glue`` with NumPy scalars turned into Python numbers first.

    A glued ``np.float64`` keeps its repr (``np.float64(0.5)``) as text, which ``{glue:text}`name:.2f```
    cannot format; ``.item()`` gives the plain number.
    """
    from myst_nb import glue as myst_glue

    if isinstance(value, np.generic):
        value = value.item()
    myst_glue(name, value, display=display)


def pct(x: float, digits: int = 2) -> str:
    """A share as a percentage: ``pct(0.9903) == '99.03 %'``, ``pct(0.915, 1) == '91.5 %'``."""
    return f"{100 * x:.{digits}f} %"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: ``count(1, "pair") == "1 pair"``,
    ``count(1200, "error") == "1,200 errors"``, ``count(2, "class", "classes") == "2 classes"``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def join_and(items: list[str] | tuple[str, ...]) -> str:
    """Words as prose lists them: ``join_and(["a", "b", "c"]) == "a, b and c"``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class _Bundle:
    """An object that IPython shows as a fixed mime bundle."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.bundle


def figure_bundle(fig: Any) -> Any:
    """What :func:`glue_figure` glues: a plotly figure as its mime bundle (it would otherwise
    display itself and glue nothing), a matplotlib figure as it is."""
    if hasattr(fig, "to_plotly_json"):
        return _Bundle(fig._repr_mimebundle_())
    return fig


def glue_figure(name: str, fig: Any) -> None:
    """Glue a plotly or matplotlib figure for a captioned ``{glue:figure}``, not shown in the cell.

    A matplotlib figure is closed after glueing (else the notebook shows it a second time).
    """
    from myst_nb import glue as myst_glue

    myst_glue(name, figure_bundle(fig), display=False)
    if hasattr(fig, "savefig"):
        import matplotlib.pyplot as plt

        plt.close(fig)


def log_ticks(values: Any, per_decade: tuple[float, ...] = (1.0, 2.0, 5.0)) -> list[float]:
    """Round tick values (1, 2, 5 × 10^k) spanning ``values``, for a plotly log axis.

    Plotly labels the minor ticks of a log axis with bare digits ("2", "9"); giving it these as
    ``tickvals`` shows only round numbers. Over less than a factor of 5 it falls back to 1…9 × 10^k,
    so at least two ticks fall inside the data.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        raise ValueError("log_ticks: no positive finite value")
    lo, hi = float(v.min()), float(v.max())
    for steps in (per_decade, tuple(float(k) for k in range(1, 10))):
        ticks = [
            m * 10.0**e for e in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1) for m in steps
        ]
        # one tick either side of the data keeps the ends labelled
        below = [t for t in ticks if t <= lo][-1:]
        above = [t for t in ticks if t >= hi][:1]
        inside = [t for t in ticks if lo < t < hi]
        if len(inside) >= 2 or steps != per_decade:
            return [float(f"{t:.6g}") for t in below + inside + above]
    raise AssertionError("unreachable")  # pragma: no cover


def log_axis(values: Any) -> dict[str, Any]:
    """Layout of a log axis with round ticks only (:func:`log_ticks`), for ``update_xaxes``/``update_yaxes``."""
    ticks = log_ticks(values)
    return {"type": "log", "tickvals": ticks, "ticktext": [f"{t:g}" for t in ticks]}
