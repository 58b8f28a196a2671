"""Figures of the chapter *Learning a metric*: each function takes results of
:mod:`lib.synthetic.metric_study` and returns a plotly figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sklearn.manifold import TSNE

from lib import notebook, reference
from lib import train as tr


def training_curves(fits: Mapping[str, tr.FitResult | list[dict]]) -> go.Figure:
    """Validation triplet loss and leave-one-out 1-NN accuracy per epoch, one line per run (a fit or its history)."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=["Validation triplet loss", "Validation leave-one-out 1-NN accuracy"]
    )
    for i, (name, res) in enumerate(fits.items()):
        h = pd.DataFrame(getattr(res, "history", res))
        colour = notebook.PALETTE[i % len(notebook.PALETTE)]
        fig.add_trace(go.Scatter(x=h["epoch"], y=h["val_loss"], name=name, line={"color": colour}), row=1, col=1)
        fig.add_trace(
            go.Scatter(x=h["epoch"], y=h["val_accuracy"], name=name, line={"color": colour}, showlegend=False),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="epoch")
    losses = np.concatenate([pd.DataFrame(getattr(r, "history", r))["val_loss"].to_numpy() for r in fits.values()])
    fig.update_yaxes(**notebook.log_axis(losses), row=1, col=1)  # round ticks, no stray "2" or "9"
    fig.update_layout(title="Training curves", legend={"orientation": "h", "y": -0.2})
    return fig


def distance_histogram(pos: np.ndarray, neg: np.ndarray, margin: float) -> go.Figure:
    """Densities of same-class and different-class embedding distances, with the margin marked."""
    fig = go.Figure()
    for d, name, colour in [
        (pos, "positive (same class)", notebook.PALETTE[0]),
        (neg, "negative", notebook.PALETTE[3]),
    ]:
        fig.add_trace(
            go.Histogram(x=d, name=name, histnorm="probability density", opacity=0.6, marker_color=colour, nbinsx=80)
        )
    fig.add_vline(x=margin, line_dash="dot", annotation_text="margin")
    fig.update_layout(
        barmode="overlay", title="Pairwise embedding distances of test spectra", xaxis_title="Euclidean distance"
    )
    return fig


def unseen_curve(table: pd.DataFrame, n_unseen: int) -> go.Figure:
    """Accuracy on the unseen classes against the references per class, with V24's number."""
    fig = go.Figure(
        go.Scatter(x=table.index, y=100 * table["accuracy"], mode="lines+markers", name="ours, unseen classes")
    )
    n_seen, n_v24 = reference.V24_UNSEEN_CLASSES
    fig.add_hline(
        y=100 * reference.V24_UNSEEN_ACCURACY,
        line_dash="dash",
        annotation_text=f"V24 ({n_v24} unseen classes, {reference.V24_REFS_PER_CLASS} references)",
    )
    fig.update_layout(
        title=f"Unseen classes ({n_unseen}): accuracy against references per class",
        xaxis={"title": "reference spectra per class", **notebook.log_axis(table.index)},
        yaxis_title="test accuracy (%)",
    )
    return fig


def challenge_bars(by_kind: pd.Series) -> go.Figure:
    """Challenge-set accuracy per kind of triplet, with V24's overall number and chance within a triplet."""
    fig = go.Figure(go.Bar(x=by_kind.index, y=100 * by_kind.values, text=[f"{100 * v:.0f}" for v in by_kind.values]))
    # the lines' labels sit in the right margin, clear of the bars
    fig.add_hline(
        y=100 * reference.V24_CHALLENGE_ACCURACY, line_dash="dash", annotation_text="V24 overall",
        annotation_position="right",
    )  # fmt: skip
    fig.add_hline(y=100 / 3, line_dash="dot", annotation_text="chance within<br>a triplet", annotation_position="right")
    fig.update_layout(
        title="Challenge set: accuracy by kind of difference", yaxis={"title": "accuracy (%)", "range": [0, 105]},
        margin={"r": 110},
    )  # fmt: skip
    return fig


SUM_NAMES = {
    "sum": "normalised member sum",
    "best_member": "closest single member",
    "other": "another mixture's members",
}


def sum_histograms(sums: Mapping, encoders: Sequence[str], components: Sequence[int]) -> go.Figure:
    """Cosine similarity of each mixture with its member sum, closest member and another mixture's members."""
    fig = make_subplots(
        rows=len(encoders), cols=len(components), shared_xaxes=True, shared_yaxes=True,
        subplot_titles=[f"{e}, {k} components" for e in encoders for k in components],
    )  # fmt: skip
    for row, e in enumerate(encoders, 1):
        for col, k in enumerate(components, 1):
            for i, what in enumerate(SUM_NAMES):
                fig.add_trace(
                    go.Histogram(
                        x=sums[e, k][what], name=SUM_NAMES[what], marker_color=notebook.PALETTE[[0, 1, 3][i]],
                        opacity=0.6, nbinsx=40, showlegend=row == col == 1, legendgroup=what,
                    ),
                    row=row, col=col,
                )  # fmt: skip
    for col in range(1, len(components) + 1):
        fig.update_xaxes(title_text="cosine similarity with the mixture", row=len(encoders), col=col)
    fig.update_layout(
        barmode="overlay", title="Is the embedding of a mixture the sum of its members'?",
        height=300 + 200 * len(encoders), legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    return fig


def table1_bars(table: pd.DataFrame, encoders: Sequence[str], components: Sequence[int]) -> go.Figure:
    """V24 Table 1 and ours as grouped bars, one panel per number of components."""
    fig = make_subplots(
        rows=1, cols=len(components), subplot_titles=[f"{k} components" for k in components], shared_yaxes=True
    )
    for col, k in enumerate(components, 1):
        for i, e in enumerate(["V24", *encoders]):
            y = table[(f"{k} components", e)].dropna()
            fig.add_trace(
                go.Bar(
                    x=[f"≥ {j}" for j in y.index], y=100 * y.values,
                    name="V24 (published)" if e == "V24" else f"ours: {e}",
                    marker_color=notebook.PALETTE[[7, 0, 2][i % 3]], showlegend=col == 1, legendgroup=e,
                ),
                row=1, col=col,
            )  # fmt: skip
        fig.update_xaxes(title_text="members right", row=1, col=col)
    fig.update_yaxes(title_text="share of mixtures (%)", row=1, col=1)
    fig.update_layout(
        barmode="group", title="Mixture components identified (V24 Table 1)", legend={"orientation": "h", "y": -0.25}
    )
    return fig


def summary_bars(summary: pd.DataFrame) -> go.Figure:
    """Our accuracies and V24's side by side, one group per row of the summary table."""
    fig = go.Figure(
        [
            go.Bar(x=summary.index, y=100 * summary[col], name=col, marker_color=notebook.PALETTE[i])
            for i, col in zip([0, 2, 7], summary.columns, strict=True)
        ]
    )
    fig.update_layout(barmode="group", title="Ours and V24", yaxis={"title": "accuracy (%)"}, height=480)
    return fig


def tsne_view(groups: Mapping[str, tuple[np.ndarray, np.ndarray]], class_names: Sequence, seed: int = 0) -> go.Figure:
    """t-SNE of embeddings, coloured by class; ``groups``: name → (embeddings, labels), one marker per group."""
    points = np.vstack([emb for emb, _ in groups.values()])
    labels = np.concatenate([lab for _, lab in groups.values()])
    kind = np.concatenate([np.full(len(lab), name) for name, (_, lab) in groups.items()])
    xy = TSNE(2, perplexity=min(30.0, (len(points) - 1) / 3), init="pca", random_state=seed).fit_transform(points)
    shown = np.unique(labels)
    colours = notebook.PALETTE if len(shown) <= len(notebook.PALETTE) else px.colors.qualitative.Dark24
    symbols = ["circle", "x", "diamond", "square"]
    fig = go.Figure()
    for c in shown:
        for i, name in enumerate(groups):
            sel = (labels == c) & (kind == name)
            fig.add_trace(
                go.Scatter(
                    x=xy[sel, 0], y=xy[sel, 1], mode="markers",
                    marker={"symbol": symbols[i % len(symbols)], "color": colours[c % len(colours)], "size": 7},
                    name=f"class {class_names[c]}", legendgroup=str(c), showlegend=i == 0,
                )
            )  # fmt: skip
    marks = ", ".join(f"{symbols[i % len(symbols)]}: {name}" for i, name in enumerate(groups))
    fig.update_layout(title=f"t-SNE of the embedding ({marks})", xaxis_title="t-SNE 1", yaxis_title="t-SNE 2")
    return fig
