"""Plotly explorers of the synthetic data. The static ones, for the HTML book, hold every view in
the figure, and dropdowns or sliders only switch which traces are visible (no kernel needed); their
live counterparts (:func:`class_browser`, :func:`pair_browser`) redraw on demand in a Jupyter kernel.

:func:`class_explorer` steps through classes: the clean spectrum, a few training variants and
the test spectra of each. :func:`pair_explorer` steps through confused class pairs: both classes'
clean spectra and a misclassified test spectrum, with the pair's cause in the title.
Spectra are reduced to the maximum of every ``block`` neighbouring points (peaks keep their
height) and rounded, so that the figures stay small.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.synthetic import generator as synthetic

if TYPE_CHECKING:
    from lib.widgets import LiveFigure

TRAIN_COLOUR, TEST_COLOUR, CLEAN_COLOUR = "rgba(31,119,180,0.5)", "rgba(214,39,40,0.35)", "black"


def block_max(x: np.ndarray, block: int) -> np.ndarray:
    """Maximum of every ``block`` neighbouring points of the last axis (a trailing remainder is dropped)."""
    x = np.asarray(x)
    if block == 1:
        return x
    n = x.shape[-1] // block
    return x[..., : n * block].reshape(*x.shape[:-1], n, block).max(axis=-1)


def _line(y: np.ndarray, block: int, offset: float, name: str, colour: str, width: float, visible: bool) -> go.Scatter:
    """One spectrum as a trace with implicit x (``x0``, ``dx``): only the y values are stored."""
    return go.Scatter(
        y=np.round(y, 3), x0=offset, dx=block, mode="lines", name=name, visible=visible,
        line={"color": colour, "width": width}, hoverinfo="name",
    )  # fmt: skip


def _class_traces(
    classes: synthetic.ClassSet, data: dict[str, np.ndarray], c: int, n_train_shown: int, block: int, visible: bool
) -> list[go.Scatter]:
    """Class ``c``'s first ``n_train_shown`` training spectra, its test spectra and its clean spectrum
    (σ = 2), each divided by its maximum and reduced to the maximum of every ``block`` points."""
    offset = (block - 1) / 2
    clean = synthetic.normalise(classes.ideal([c]))[0]
    train = synthetic.normalise(data["x_train"][data["y_train"] == c][:n_train_shown])
    test = synthetic.normalise(data["x_test"][data["y_test"] == c])
    return (
        [_line(block_max(y, block), block, offset, f"training {k + 1}", TRAIN_COLOUR, 1, visible)
         for k, y in enumerate(train)]
        + [_line(block_max(y, block), block, offset, f"test {k}", TEST_COLOUR, 1, visible) for k, y in enumerate(test)]
        + [_line(block_max(clean, block), block, offset, "clean", CLEAN_COLOUR, 2, visible)]
    )  # fmt: skip


def _class_layout(fig: go.Figure, title: str) -> None:
    fig.update_layout(title=title, showlegend=False, height=430, xaxis={"title": "point"},
                      yaxis={"title": "intensity (÷ max)"})  # fmt: skip


def class_explorer(
    classes: synthetic.ClassSet,
    data: dict[str, np.ndarray],
    shown: Sequence[int],
    n_train_shown: int = 3,
    block: int = 10,
) -> go.Figure:
    """A slider over the classes ``shown``: each step shows the class's clean spectrum (σ = 2),
    its first ``n_train_shown`` training spectra and all its test spectra, each divided by its
    maximum. ``data`` is a full-resolution data set of all classes (``x_train``, ``y_train``,
    ``x_test``, ``y_test``, as :func:`lib.synthetic.generator.dataset_from_peaks` makes it)."""
    shown = [int(c) for c in shown]
    if not shown:
        raise ValueError("class_explorer: `shown` lists no class")
    fig = go.Figure()
    owner: list[int] = []  # the step each trace belongs to
    for step, c in enumerate(shown):
        traces = _class_traces(classes, data, c, n_train_shown, block, visible=step == 0)
        fig.add_traces(traces)
        owner += [step] * len(traces)
    owner_arr = np.array(owner)
    steps = [
        {
            "method": "update",
            "label": str(c),
            "args": [
                {"visible": (owner_arr == step).tolist()},
                {"title.text": _class_title(classes, data, c, n_train_shown)},
            ],
        }
        for step, c in enumerate(shown)
    ]
    _class_layout(fig, _class_title(classes, data, shown[0], n_train_shown))
    fig.update_layout(sliders=[{"active": 0, "currentvalue": {"prefix": "class "}, "steps": steps, "pad": {"t": 40}}])
    return fig


def class_figure(
    classes: synthetic.ClassSet, data: dict[str, np.ndarray], c: int, n_train_shown: int = 3, block: int = 1
) -> go.Figure:
    """One class as a step of :func:`class_explorer` shows it (full resolution by default)."""
    if not 0 <= int(c) < len(classes):
        raise ValueError(f"class_figure: class {c} is not among the {len(classes)} classes")
    fig = go.Figure(_class_traces(classes, data, int(c), int(n_train_shown), block, visible=True))
    _class_layout(fig, _class_title(classes, data, int(c), int(n_train_shown)))
    return fig


def class_browser(
    classes: synthetic.ClassSet, data: dict[str, np.ndarray], first: int = 0, n_train_shown: int = 3
) -> LiveFigure:
    """The live counterpart of :func:`class_explorer` (needs ipywidgets): a slider over every class
    and one for the number of training spectra, drawing :func:`class_figure` at full resolution."""
    import ipywidgets as widgets

    from lib.widgets import LiveFigure

    per_class = int(np.bincount(data["y_train"], minlength=len(classes)).max())
    controls = {
        "c": widgets.IntSlider(value=int(first), min=0, max=len(classes) - 1, description="class",
                               continuous_update=False),
        "n_train_shown": widgets.IntSlider(value=min(n_train_shown, per_class), min=0, max=per_class,
                                           description="training", continuous_update=False),
    }  # fmt: skip
    return LiveFigure(lambda c, n_train_shown: class_figure(classes, data, c, n_train_shown), controls)


def _class_title(classes: synthetic.ClassSet, data: dict[str, np.ndarray], c: int, n_train: int) -> str:
    pos, hei = classes.peaks(c)
    peaks = ", ".join(f"{p}: {h:.3f}" for p, h in zip(pos, hei, strict=True))
    n_train = min(n_train, int((data["y_train"] == c).sum()))
    n_test = int((data["y_test"] == c).sum())
    return f"Class {c} ({len(pos)} peaks; position: height {peaks}): clean, {n_train} training, {n_test} test"


def _pair_hits(wrong: pd.DataFrame, a: int, b: int) -> pd.DataFrame:
    """Rows of ``wrong`` where a test spectrum of ``a`` was taken for ``b`` or the other way round."""
    hit = wrong[((wrong["true"] == a) & (wrong["pred"] == b)) | ((wrong["true"] == b) & (wrong["pred"] == a))]
    if hit.empty:
        raise ValueError(f"pair_explorer: no row of `wrong` for the pair {a}/{b}")
    return hit


def _pair_traces(
    classes: synthetic.ClassSet,
    a: int,
    b: int,
    hit: pd.Series,
    x_test: np.ndarray,
    downsample: int,
    margin: int,
    visible: bool,
) -> list[go.Scatter]:
    """Both classes' clean spectra where they differ and the misclassified test spectrum ``hit``
    (a row of ``wrong``) as the network saw it."""
    lo, hi = synthetic.difference_window(classes, a, b, margin=margin)
    clean = synthetic.normalise(classes.ideal([a, b]))
    lo_d, hi_d = lo // downsample, -(-hi // downsample)
    spectrum = x_test[int(hit["index"])][lo_d:hi_d]
    traces = [
        go.Scatter(y=np.round(y, 3), x0=lo, dx=1, name=f"class {c} (clean)", visible=visible,
                   line={"color": colour, "width": 2})
        for c, y, colour in ((a, clean[0, lo:hi], "#1f77b4"), (b, clean[1, lo:hi], "#d62728"))
    ]  # fmt: skip
    traces.append(
        go.Scatter(
            y=np.round(spectrum, 3), x0=lo_d * downsample + (downsample - 1) / 2, dx=downsample,
            name=f"test spectrum of {int(hit['true'])}, taken for {int(hit['pred'])}", visible=visible,
            line={"color": "black", "dash": "dot"},
        )
    )  # fmt: skip
    return traces


def _pair_layout(fig: go.Figure, title: str) -> None:
    fig.update_layout(title=title, height=420, xaxis={"title": "point"}, yaxis={"title": "intensity (÷ max)"},
                      legend={"orientation": "h", "y": -0.2})  # fmt: skip


def _pair_title(row: pd.Series) -> str:
    return f"{int(row['a'])} vs {int(row['b'])}: {row['cause']}, {int(row['errors'])} wrong test spectra"


def pair_explorer(
    classes: synthetic.ClassSet,
    pairs: pd.DataFrame,
    wrong: pd.DataFrame,
    x_test: np.ndarray,
    downsample: int = 1,
    max_pairs: int = 12,
    margin: int = 100,
) -> go.Figure:
    """A dropdown over confused class pairs (the first ``max_pairs`` rows of ``pairs``: ``a``, ``b``,
    ``cause``, ``errors``): both classes' clean spectra and the first misclassified test spectrum of
    the pair (``wrong``: rows of :func:`lib.synthetic.benchmark_runs.wrong_predictions`, indices into
    ``x_test``, the models' down-sampled input), drawn where the two classes differ."""
    pairs = pairs.head(max_pairs).reset_index(drop=True)
    if pairs.empty:
        raise ValueError("pair_explorer: `pairs` is empty; there is no confused pair to show")
    fig = go.Figure()
    buttons = []
    per_pair = 3
    for k, row in pairs.iterrows():
        a, b = int(row["a"]), int(row["b"])
        hit = _pair_hits(wrong, a, b).iloc[0]
        fig.add_traces(_pair_traces(classes, a, b, hit, x_test, downsample, margin, visible=k == 0))
        flags = [j // per_pair == k for j in range(per_pair * len(pairs))]
        buttons.append(
            {"method": "update", "label": f"{a} / {b}", "args": [{"visible": flags}, {"title.text": _pair_title(row)}]}
        )  # fmt: skip
    _pair_layout(fig, buttons[0]["args"][1]["title.text"])
    fig.update_layout(
        # title top left, the dropdown under it on the left: clear of plotly's toolbar (top right)
        title={"x": 0.01, "xanchor": "left", "y": 0.97, "yanchor": "top"},
        margin={"t": 110},
        updatemenus=[
            {"buttons": buttons, "direction": "down", "x": 0.0, "xanchor": "left", "y": 1.03, "yanchor": "bottom"}
        ],
    )  # fmt: skip
    return fig


def pair_figure(
    classes: synthetic.ClassSet,
    pairs: pd.DataFrame,
    wrong: pd.DataFrame,
    x_test: np.ndarray,
    pair: int,
    spectrum: int = 0,
    downsample: int = 1,
    margin: int = 100,
) -> go.Figure:
    """Row ``pair`` of ``pairs`` as :func:`pair_explorer` draws it, with the pair's ``spectrum``-th
    misclassified test spectrum (the last one where the pair has fewer)."""
    row = pairs.iloc[int(pair)]
    a, b = int(row["a"]), int(row["b"])
    hits = _pair_hits(wrong, a, b)
    k = min(int(spectrum), len(hits) - 1)
    fig = go.Figure(_pair_traces(classes, a, b, hits.iloc[k], x_test, downsample, margin, visible=True))
    _pair_layout(fig, f"{_pair_title(row)} (test spectrum {k + 1} of {len(hits)})")
    return fig


def pair_browser(
    classes: synthetic.ClassSet,
    pairs: pd.DataFrame,
    wrong: pd.DataFrame,
    x_test: np.ndarray,
    downsample: int = 1,
    margin: int = 100,
) -> LiveFigure:
    """The live counterpart of :func:`pair_explorer` (needs ipywidgets): a dropdown over every
    confused pair and a slider over the pair's misclassified test spectra, drawing :func:`pair_figure`."""
    import ipywidgets as widgets

    from lib.widgets import LiveFigure

    pairs = pairs.reset_index(drop=True)
    if pairs.empty:
        raise ValueError("pair_browser: `pairs` is empty; there is no confused pair to show")
    n_hits = [len(_pair_hits(wrong, int(r["a"]), int(r["b"]))) for _, r in pairs.iterrows()]
    options = [(f"{int(r['a'])} / {int(r['b'])} ({r['cause']})", k) for k, r in pairs.iterrows()]
    pair = widgets.Dropdown(options=options, value=0, description="pair")
    spectrum = widgets.IntSlider(value=0, min=0, max=n_hits[0] - 1, description="wrong test", continuous_update=False)

    def draw(pair: int, spectrum: int) -> go.Figure:
        return pair_figure(classes, pairs, wrong, x_test, pair, spectrum, downsample, margin)

    def fit_slider(change: dict) -> None:  # the slider reaches exactly the new pair's spectra
        spectrum.max = n_hits[change["new"]] - 1

    pair.observe(fit_slider, names="value")
    return LiveFigure(draw, {"pair": pair, "spectrum": spectrum})
