"""What every chapter calls first: figure style, the plotly renderer, seeds.

Plotly >= 6 emits only its own mime type in notebooks, which a static HTML page cannot
show. :func:`setup` registers a renderer that emits both that mime type (JupyterLab, VS
Code) and an HTML ``<div>`` that draws with the ``plotly.min.js`` the book ships in
``_static`` (so pages work offline and stay small).
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any

import numpy as np

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _register_plotly() -> None:
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.io._base_renderers import MimetypeRenderer

    class BookHTML(MimetypeRenderer):
        """``text/html`` without the plotly.js bundle; the book page loads it once."""

        def to_mimebundle(self, fig_dict):
            html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False, validate=False, include_mathjax=False)
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
    """A clause for timing prose: was the machine busy with other work while we measured?

    Compares the 1-minute load average with the threads the chapter itself keeps busy; more than
    half a core beyond them means other jobs competed and the times are pessimistic.
    """
    load = os.getloadavg()[0] if load is None else load
    cores = (os.cpu_count() or 1) if cores is None else cores
    where = f"1-minute load average {load:.1f} on {cores} cores, {own_threads} of them ours"
    if load - own_threads > 0.5:
        return f"other jobs shared the machine ({where}), so these times are pessimistic"
    return f"the machine was otherwise idle ({where})"


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
