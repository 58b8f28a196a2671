"""Static plotly explorers of the synthetic data for the HTML book: every view is in the figure,
and dropdowns or sliders only switch which traces are visible (no kernel needed).

:func:`class_explorer` steps through classes: the clean spectrum, a few training variants and
the test spectra of each. :func:`pair_explorer` steps through confused class pairs: both classes'
clean spectra and a misclassified test spectrum, with the pair's cause in the title.
Spectra are reduced to the maximum of every ``block`` neighbouring points (peaks keep their
height) and rounded, so that the figures stay small.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.synthetic import generator as synthetic

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
    offset = (block - 1) / 2
    fig = go.Figure()
    owner: list[int] = []  # the step each trace belongs to
    for step, c in enumerate(shown):
        first = step == 0
        clean = synthetic.normalise(classes.ideal([c]))[0]
        train = synthetic.normalise(data["x_train"][data["y_train"] == c][:n_train_shown])
        test = synthetic.normalise(data["x_test"][data["y_test"] == c])
        for k, y in enumerate(train):
            fig.add_trace(_line(block_max(y, block), block, offset, f"training {k + 1}", TRAIN_COLOUR, 1, first))
        for k, y in enumerate(test):
            fig.add_trace(_line(block_max(y, block), block, offset, f"test {k}", TEST_COLOUR, 1, first))
        fig.add_trace(_line(block_max(clean, block), block, offset, "clean", CLEAN_COLOUR, 2, first))
        owner += [step] * (len(train) + len(test) + 1)
    owner_arr = np.array(owner)
    steps = [
        {
            "method": "update",
            "label": str(c),
            "args": [
                {"visible": (owner_arr == step).tolist()},
                {"title.text": _class_title(classes, c, int((data["y_test"] == c).sum()), n_train_shown)},
            ],
        }
        for step, c in enumerate(shown)
    ]
    fig.update_layout(
        title=_class_title(classes, shown[0], int((data["y_test"] == shown[0]).sum()), n_train_shown),
        sliders=[{"active": 0, "currentvalue": {"prefix": "class "}, "steps": steps, "pad": {"t": 40}}],
        showlegend=False, height=430, xaxis={"title": "point"}, yaxis={"title": "intensity (÷ max)"},
    )  # fmt: skip
    return fig


def _class_title(classes: synthetic.ClassSet, c: int, n_test: int, n_train: int) -> str:
    pos, hei = classes.peaks(c)
    peaks = ", ".join(f"{p}: {h:.3f}" for p, h in zip(pos, hei, strict=True))
    return f"Class {c} ({len(pos)} peaks; position: height {peaks}): clean, {n_train} training, {n_test} test"


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
        lo, hi = synthetic.difference_window(classes, a, b, margin=margin)
        clean = synthetic.normalise(classes.ideal([a, b]))
        hit = wrong[((wrong["true"] == a) & (wrong["pred"] == b)) | ((wrong["true"] == b) & (wrong["pred"] == a))]
        if hit.empty:
            raise ValueError(f"pair_explorer: no row of `wrong` for the pair {a}/{b}")
        first = hit.iloc[0]
        lo_d, hi_d = lo // downsample, -(-hi // downsample)
        spectrum = x_test[int(first["index"])][lo_d:hi_d]
        visible = k == 0
        for c, y, colour in ((a, clean[0, lo:hi], "#1f77b4"), (b, clean[1, lo:hi], "#d62728")):
            fig.add_trace(
                go.Scatter(y=np.round(y, 3), x0=lo, dx=1, name=f"class {c} (clean)", visible=visible,
                           line={"color": colour, "width": 2})
            )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                y=np.round(spectrum, 3), x0=lo_d * downsample + (downsample - 1) / 2, dx=downsample,
                name=f"test spectrum of {int(first['true'])}, taken for {int(first['pred'])}", visible=visible,
                line={"color": "black", "dash": "dot"},
            )
        )  # fmt: skip
        title = f"{a} vs {b}: {row['cause']}, {int(row['errors'])} wrong test spectra"
        flags = [j // per_pair == k for j in range(per_pair * len(pairs))]
        buttons.append(
            {"method": "update", "label": f"{a} / {b}", "args": [{"visible": flags}, {"title.text": title}]}
        )  # fmt: skip
    fig.update_layout(
        # title top left, the dropdown under it on the left: clear of plotly's toolbar (top right)
        title={"text": buttons[0]["args"][1]["title.text"], "x": 0.01, "xanchor": "left", "y": 0.97, "yanchor": "top"},
        margin={"t": 110},
        updatemenus=[
            {"buttons": buttons, "direction": "down", "x": 0.0, "xanchor": "left", "y": 1.03, "yanchor": "bottom"}
        ],
        height=420, xaxis={"title": "point"}, yaxis={"title": "intensity (÷ max)"},
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    return fig
