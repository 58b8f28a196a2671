"""Figures of the explanation chapter: channel patterns, weight maps, seed profiles, the region study
and deletion/insertion curves. Every wavenumber axis runs from high to low."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.ir.explain.frequencies import GROUP_FREQUENCIES, region_study
from lib.ir.explain.patterns import ChannelPatterns, overlay
from lib.ir.explain.weights import profile_mean_std
from lib.models.fga import R23_GROUPS
from lib.notebook import PALETTE

#: Decimals kept in the figures' data (the page stays small; the plots do not change visibly).
DECIMALS = 4


def patterns_figure(patterns: ChannelPatterns, n_channels: int, n_examples: int = 4, seed: int = 0) -> go.Figure:
    """R23 Fig. 3: per channel (columns) the top windows overlaid (first row) and ``n_examples`` of them,
    drawn at random (seeded), one per row below."""
    rng = np.random.default_rng(seed)
    fig = make_subplots(rows=1 + n_examples, cols=n_channels, shared_xaxes=True, vertical_spacing=0.02,
                        horizontal_spacing=0.015, subplot_titles=[f"ch {c}" for c in range(n_channels)])  # fmt: skip
    k = 0
    for c in range(n_channels):
        _, windows = patterns.channel(c)
        k = max(k, len(windows))
        x, y = overlay(patterns.offsets, np.round(windows, DECIMALS))
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line={"width": 0.5, "color": "grey"}, opacity=0.3,
                                 showlegend=False), 1, c + 1)  # fmt: skip
        for r, i in enumerate(rng.choice(len(windows), min(n_examples, len(windows)), replace=False)):
            line = {"color": PALETTE[c % len(PALETTE)]}
            fig.add_trace(go.Scatter(x=patterns.offsets, y=np.round(windows[i], DECIMALS), mode="lines", line=line,
                                     showlegend=False), r + 2, c + 1)  # fmt: skip
    fig.update_xaxes(autorange="reversed", showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=150 * (1 + n_examples), title=f"Top {k} input windows per channel, then random examples")
    return fig


def weights_figure(
    weights: np.ndarray, centres: np.ndarray, groups: Sequence[str] = R23_GROUPS, title: str = ""
) -> go.Figure:
    """R23 Fig. 5: one heat map (channels × latent columns) per group, three groups a row."""
    rows = -(-len(groups) // 3)
    fig = make_subplots(rows=rows, cols=3, subplot_titles=list(groups), shared_xaxes=True, vertical_spacing=0.03)
    for g in range(len(groups)):
        heat = go.Heatmap(z=np.round(weights[g], DECIMALS), x=centres, coloraxis="coloraxis")
        fig.add_trace(heat, g // 3 + 1, g % 3 + 1)
    fig.update_xaxes(autorange="reversed")
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=180 * rows + 20, coloraxis={"colorscale": "Viridis"}, title=title)
    return fig


def profiles_figure(
    profiles: Mapping[str, np.ndarray],
    centres: np.ndarray,
    names: Sequence[str] = ("methyl", "alkene"),
    groups: Sequence[str] = R23_GROUPS,
) -> go.Figure:
    """R23 Fig. 6: for each group in ``names``, mean ± std over models of each set of ``(n_models,
    n_groups, L)`` profiles, with the textbook ranges shaded."""
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=list(names))
    for j, name in enumerate(names):
        g = list(groups).index(name)
        for k, (label, prof) in enumerate(profiles.items()):
            mean, std = profile_mean_std(prof)
            colour = PALETTE[k % len(PALETTE)]
            fig.add_trace(go.Scatter(x=centres, y=mean[g] + std[g], line={"width": 0}, showlegend=False,
                                     legendgroup=label), 1, j + 1)  # fmt: skip
            fig.add_trace(go.Scatter(x=centres, y=mean[g] - std[g], fill="tonexty", line={"width": 0}, opacity=0.2,
                                     fillcolor=colour, showlegend=False, legendgroup=label), 1, j + 1)  # fmt: skip
            fig.add_trace(go.Scatter(x=centres, y=mean[g], name=f"{label} ({len(prof)} models)", legendgroup=label,
                                     line={"color": colour, "width": 1.5}, showlegend=j == 0), 1, j + 1)  # fmt: skip
        for lo, hi in GROUP_FREQUENCIES.get(name, ()):
            fig.add_vrect(x0=lo, x1=hi, fillcolor="orange", opacity=0.15, line_width=0, row=1, col=j + 1)
    fig.update_xaxes(autorange="reversed", title_text="wavenumber (cm⁻¹)")
    fig.update_layout(title="Max over channels, mean ± std over models (orange: textbook ranges)", height=420)
    return fig


def all_profiles_figure(
    profiles: Mapping[str, np.ndarray], centres: np.ndarray, groups: Sequence[str] = R23_GROUPS
) -> go.Figure:
    """Every group's mean profile of each set, scaled to its maximum, with the textbook ranges shaded."""
    rows = -(-len(groups) // 3)
    fig = make_subplots(rows=rows, cols=3, subplot_titles=list(groups), shared_xaxes=True, vertical_spacing=0.03)
    for g, name in enumerate(groups):
        r, c = g // 3 + 1, g % 3 + 1
        for k, (label, prof) in enumerate(profiles.items()):
            mean, _ = profile_mean_std(prof)
            scale = mean[g].max() or 1.0
            fig.add_trace(go.Scatter(x=centres, y=mean[g] / scale, name=label, legendgroup=label, showlegend=g == 0,
                                     line={"color": PALETTE[k % len(PALETTE)], "width": 1}), r, c)  # fmt: skip
        for lo, hi in GROUP_FREQUENCIES.get(name, ()):  # after the traces: plotly skips shapes on empty subplots
            fig.add_vrect(x0=lo, x1=hi, fillcolor="orange", opacity=0.2, line_width=0, row=r, col=c)
    fig.update_xaxes(autorange="reversed")
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=180 * rows + 20, title="All groups: mean profile scaled to its maximum (orange: textbook)")
    return fig


def region_figure(
    spectra: np.ndarray,
    labels: np.ndarray,
    grid: np.ndarray,
    names: Sequence[str],
    region: tuple[float, float],
    max_lines: int = 40,
) -> go.Figure:
    """R23 Fig. 7: per group (rows) the spectra inside ``region`` without and with it (columns; at most
    ``max_lines`` each, enough to show the spread while keeping the page light) and their medians (dotted)."""
    fig = make_subplots(rows=len(names), cols=2, shared_yaxes=True, vertical_spacing=0.12,
                        subplot_titles=[f"{g} {s}" for g in names for s in ("absent", "present")])  # fmt: skip
    for r, name in enumerate(names):
        study = region_study(spectra, labels, name, grid, tuple(region))
        for c, (subset, med) in enumerate(((study.absent, study.median_absent), (study.present, study.median_present))):
            x, y = overlay(study.wavenumbers, np.round(subset[:max_lines], DECIMALS))
            fig.add_trace(go.Scatter(x=x, y=y, line={"width": 0.4, "color": "grey"}, opacity=0.4, showlegend=False),
                          r + 1, c + 1)  # fmt: skip
            fig.add_trace(go.Scatter(x=study.wavenumbers, y=med, line={"color": "black", "dash": "dot"},
                                     showlegend=False), r + 1, c + 1)  # fmt: skip
    fig.update_xaxes(autorange="reversed")
    fig.update_layout(height=300 * len(names), title="Spectra in the region; dotted: median")
    return fig


def curves_figure(table: pd.DataFrame, methods: Sequence[str]) -> go.Figure:
    """Mean deletion and insertion curves per method over the rows of a :func:`compare_methods` table
    made with ``keep_curves=True``."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["deletion (lower is better)", "insertion (higher is better)"])
    for k, method in enumerate(methods):
        part = table[table["method"] == method]
        for j, curve in enumerate(("deletion_curve", "insertion_curve")):
            y = np.mean(np.stack(part[curve].to_list()), axis=0)
            line = {"color": PALETTE[k % len(PALETTE)]}
            fig.add_trace(go.Scatter(x=np.linspace(0, 1, len(y)), y=y, name=method, legendgroup=method, line=line,
                                     showlegend=j == 0), 1, j + 1)  # fmt: skip
    fig.update_xaxes(title_text="fraction of points deleted / restored")
    fig.update_yaxes(title_text="probability of the group", range=[0, 1])
    fig.update_layout(title="Mean curves over groups, held-out spectra and models", height=400)
    return fig
