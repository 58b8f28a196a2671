"""Choose a spectrum and a group and see the explanation: an ipywidgets explorer and a static plotly one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.ir.explain._common import _grid, _group_index
from lib.ir.explain.receptive import column_wavenumbers
from lib.ir.explain.rules import join
from lib.ir.explain.spectrum import column_contributions, spectrum_figure
from lib.models.fga import R23_GROUPS, FGANet, predict_proba
from lib.notebook import PALETTE

if TYPE_CHECKING:
    from lib.widgets import LiveFigure


class Explorer:
    """Choose a group, a spectrum and a channel; see :func:`spectrum_figure` for that choice.

    :meth:`figure` gives the current figure (static, for the book); :meth:`widget` the ipywidgets
    controls with the figure below, redrawn on every change in a live Jupyter kernel.
    """

    def __init__(
        self,
        model: FGANet,
        spectra: np.ndarray,
        names: Sequence[str],
        grid: np.ndarray | None = None,
        group: int | str = 0,
        index: int = 0,
        channel: int | None = None,
        groups: Sequence[str] = R23_GROUPS,
    ):
        self.model, self.spectra, self.names = model, np.asarray(spectra, dtype=float), list(names)
        self.grid = _grid(grid, model.input_len)
        self.groups = list(groups)
        self.group, self.index, self.channel = self.groups[_group_index(group, self.groups)], int(index), channel

    def figure(self):
        """The figure of the current choice."""
        return spectrum_figure(self.model, self.spectra[self.index], self.group, self.grid, self.channel,
                               self.names[self.index], self.groups)  # fmt: skip

    def widget(self) -> LiveFigure:
        """Dropdowns (group, spectrum, channel) above the figure of the current choice, redrawn on each
        change in a live kernel (a :class:`lib.widgets.LiveFigure`; needs ipywidgets)."""
        import ipywidgets as widgets

        from lib.widgets import LiveFigure

        group = widgets.Dropdown(options=self.groups, value=self.group, description="group")
        spectrum = widgets.Dropdown(options=[(n, i) for i, n in enumerate(self.names)], value=self.index,
                                    description="spectrum")  # fmt: skip
        channels = [("all", -1)] + [(f"channel {c}", c) for c in range(self.model.latent_shape[0])]
        channel = widgets.Dropdown(options=channels, value=-1 if self.channel is None else self.channel,
                                   description="channel")  # fmt: skip

        def draw(group: str, spectrum: int, channel: int) -> go.Figure:
            self.group, self.index = group, int(spectrum)
            self.channel = None if channel < 0 else int(channel)
            return self.figure()

        return LiveFigure(draw, {"group": group, "spectrum": spectrum, "channel": channel})


def pick_molecules(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` spectra (ascending) such that every group carried by any spectrum is carried by
    at least one chosen one where ``n`` allows: rarest group first, a random (seeded) carrier each,
    the rest drawn at random."""
    labels = np.asarray(labels) > 0.5
    rng = np.random.default_rng(seed)
    n = min(int(n), len(labels))
    chosen: list[int] = []
    for g in np.argsort(labels.sum(axis=0), kind="stable"):
        carriers = np.flatnonzero(labels[:, g])
        if len(chosen) >= n or len(carriers) == 0 or labels[chosen, g].any():
            continue
        chosen.append(int(rng.choice(carriers)))
    rest = np.setdiff1d(np.arange(len(labels)), chosen)
    chosen += [int(i) for i in rng.choice(rest, n - len(chosen), replace=False)]
    return np.sort(np.array(chosen, dtype=int))


def molecule_f1(proba: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """F1 of each spectrum's predicted group set (probability ≥ ``threshold``) against the groups it carries
    (1 when both sets are empty)."""
    pred, true = np.asarray(proba) >= threshold, np.asarray(labels) > 0.5
    tp = (pred & true).sum(axis=1)
    size = pred.sum(axis=1) + true.sum(axis=1)
    return np.where(size == 0, 1.0, 2 * tp / np.maximum(size, 1))


def explorer_cases(proba: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> tuple[int, int]:
    """The spectrum an explorer opens on and the failure the text discusses, as row indices.

    Opening: a representative correct prediction — the exact match (predicted set = carried set) that
    carries the most groups, ties broken by the most confident decision (the largest smallest distance of
    a probability from ``threshold``); without an exact match, the highest molecular F1. Failure: the
    lowest molecular F1, ties broken by the most confident wrong group.
    """
    proba, true = np.asarray(proba, dtype=float), np.asarray(labels) > 0.5
    if proba.shape != true.shape or len(proba) == 0:
        raise ValueError(f"explorer_cases: probabilities {proba.shape} and labels {true.shape} must match, non-empty")
    f1 = molecule_f1(proba, true, threshold)
    margin = np.abs(proba - threshold).min(axis=1)
    wrong = (proba >= threshold) != true
    worst_wrong = np.where(wrong, np.abs(proba - threshold), 0.0).max(axis=1)
    opening = int(np.lexsort((-margin, -true.sum(axis=1), -(f1 == 1.0).astype(int), -f1))[0])
    failure = int(np.lexsort((-worst_wrong, f1))[0])
    return opening, failure


def explorer_note(
    names: Sequence[str],
    proba: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[str] = R23_GROUPS,
    threshold: float = 0.5,
) -> str:
    """Prose on :func:`explorer_cases`: the spectrum the explorer opens on and the worst failure."""
    proba, true = np.asarray(proba, dtype=float), np.asarray(labels) > 0.5
    opening, failure = explorer_cases(proba, true, threshold)
    f1 = molecule_f1(proba, true, threshold)

    def carried(i: int) -> str:
        found = [groups[g] for g in np.flatnonzero(true[i])]
        return join(found) if found else "none of the groups"

    def predicted(i: int) -> str:
        hits = sorted(np.flatnonzero(proba[i] >= threshold), key=lambda g: -proba[i, g])
        return join(f"{groups[g]} (p = {proba[i, g]:.2f})" for g in hits) if hits else "no group"

    if f1[opening] == 1.0:
        first = (
            f"The explorer opens on {names[opening]}, the correct prediction with the most groups among the "
            f"{len(names)}: it carries {carried(opening)}, and the model predicts {predicted(opening)}."
        )
    else:
        first = (
            f"No spectrum of the {len(names)} is predicted exactly; the explorer opens on the best, "
            f"{names[opening]} (molecular F1 {f1[opening]:.2f}): it carries {carried(opening)}, and the model "
            f"predicts {predicted(opening)}."
        )
    wrong = np.flatnonzero((proba[failure] >= threshold) != true[failure])
    extreme = float(proba[failure, wrong[np.argmax(np.abs(proba[failure, wrong] - threshold))]]) if len(wrong) else None
    confident = extreme is not None and abs(extreme - threshold) >= 0.4
    return (
        f"{first} The worst of them is {names[failure]} (molecular F1 {f1[failure]:.2f}): it carries "
        f"{carried(failure)}, and the model predicts {predicted(failure)}"
        + (
            f"; it is wrong at a probability of {extreme:.2f}, so a probability near 0 or 1 from this network "
            "is no guarantee on a measured spectrum."
            if confident
            else "."
        )
    )


def static_explorer(
    model: FGANet,
    spectra: np.ndarray,
    names: Sequence[str],
    labels: np.ndarray | None = None,
    grid: np.ndarray | None = None,
    groups: Sequence[str] = R23_GROUPS,
    max_groups: int = 3,
    threshold: float = 0.5,
    decimals: int = 3,
) -> go.Figure:
    """A plotly explorer that works in static HTML: a dropdown chooses a spectrum; the figure shows it
    (top left), activation × weight per latent column for its predicted groups (bottom left; the most
    probable one shown, the others one click away in the legend) and the probability of every group
    (right; dark bars: groups the spectrum carries, when ``labels`` are given).

    Each spectrum owns ``2 + n_explained`` traces (spectrum, probabilities, one per explained group:
    those with probability ≥ ``threshold``, at most ``max_groups``, at least the most probable); button
    ``i`` of ``fig.layout.updatemenus[0]`` makes exactly spectrum ``i``'s traces visible. Values are
    rounded to ``decimals`` to keep the page small.
    """
    spectra = np.asarray(spectra, dtype=float)
    grid = np.round(_grid(grid, model.input_len), 1)
    centres = np.round(column_wavenumbers(model, grid), 1)
    proba = predict_proba(model, spectra)
    fig = make_subplots(rows=2, cols=2, column_widths=[0.72, 0.28], specs=[[{}, {"rowspan": 2}], [{}, None]],
                        shared_xaxes=True, vertical_spacing=0.08, horizontal_spacing=0.12,
                        subplot_titles=["spectrum", "probability per group",
                                        "activation × weight per column"])  # fmt: skip
    owners, titles = [], []
    for i, spectrum in enumerate(spectra):
        first = i == 0
        fig.add_trace(go.Scatter(x=grid, y=np.round(spectrum, decimals), name="spectrum", visible=first,
                                 line={"color": "black", "width": 1}, showlegend=False), 1, 1)  # fmt: skip
        carried = np.zeros(len(groups), dtype=bool) if labels is None else np.asarray(labels[i]) > 0.5
        fig.add_trace(go.Bar(x=np.round(proba[i], decimals), y=list(groups), orientation="h", visible=first,
                             marker_color=np.where(carried, "#1f4e79", "#9ecae1"), showlegend=False,
                             name="probability"), 1, 2)  # fmt: skip
        order = np.argsort(-proba[i], kind="stable")
        explained = [int(g) for g in order[:max_groups] if proba[i, g] >= threshold] or [int(order[0])]
        for j, g in enumerate(explained):
            values = np.round(column_contributions(model, spectrum, g), decimals)
            shown = (True if j == 0 else "legendonly") if first else False
            fig.add_trace(go.Scatter(x=centres, y=values, name=f"{groups[g]} (p = {proba[i, g]:.2f})", visible=shown,
                                     mode="lines", line={"color": PALETTE[j % len(PALETTE)], "width": 1.2},
                                     fill="tozeroy"), 2, 1)  # fmt: skip
        owners.append((2 + len(explained), explained))
        titles.append(f"{names[i]}: predicted {join(groups[g] for g in explained)}")
    n_traces = sum(n for n, _ in owners)
    buttons, start = [], 0
    for i, (n, _) in enumerate(owners):
        visible: list[bool | str] = [False] * n_traces
        visible[start : start + n] = [True, True, True] + ["legendonly"] * (n - 3)
        buttons.append({"label": str(names[i])[:40], "method": "update",
                        "args": [{"visible": visible}, {"title.text": titles[i]}]})  # fmt: skip
        start += n
    fig.update_layout(
        # the title on the top line, the dropdown on its own line under it (neither covers the other)
        updatemenus=[{"buttons": buttons, "direction": "down", "x": 0.0, "xanchor": "left", "y": 1.09,
                      "yanchor": "bottom", "active": 0}],
        title={"text": titles[0] if titles else "", "x": 0.01, "xanchor": "left", "y": 0.985, "yanchor": "top"},
        height=640, margin={"t": 140},
        legend={"orientation": "h", "y": -0.12},
    )  # fmt: skip
    fig.update_xaxes(autorange="reversed", row=1, col=1)
    fig.update_xaxes(autorange="reversed", title_text="wavenumber (cm⁻¹)", row=2, col=1)
    fig.update_xaxes(range=[0, 1], row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    return fig
