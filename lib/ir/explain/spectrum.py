"""One spectrum, one group: activation × weight per latent column and channel, and its figure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from lib.ir.explain._common import _dtype, _grid, _group_index, _tensor
from lib.ir.explain.receptive import column_ranges, column_wavenumbers, column_windows, latent_activations
from lib.ir.explain.weights import weight_map
from lib.models.fga import R23_GROUPS, FGANet


def column_contributions(model: FGANet, spectra: np.ndarray, group: int | str) -> np.ndarray:
    """Activation × weight summed over channels, per latent column: ``(N, L)`` (or ``(L,)`` for one spectrum).

    Their sum plus the classifier bias is the group's logit exactly (the classifier is linear).
    """
    spectra = np.asarray(spectra, dtype=float)
    single = spectra.ndim == 1
    latent = latent_activations(model, spectra[None] if single else spectra).astype(float)
    w = weight_map(model)[_group_index(group)]
    out = np.einsum("ncl,cl->nl", latent, w)
    return out[0] if single else out


def explain_spectrum(
    model: FGANet, spectrum: np.ndarray, group: int | str, grid: np.ndarray | None = None
) -> pd.DataFrame:
    """One spectrum, one group: per latent column its window (indices, wavenumbers) and contribution.

    ``contribution`` > 0 pushed the prediction up, < 0 down; ``positive``/``negative`` split it.
    """
    c = column_contributions(model, np.asarray(spectrum, dtype=float), group)
    win = column_windows(model)
    ranges = column_ranges(model, grid)
    return pd.DataFrame(
        {"column": np.arange(len(c)), "lo": win[:, 0], "hi": win[:, 1], "wn_lo": ranges[:, 0],
         "wn_hi": ranges[:, 1], "wn_centre": ranges.mean(axis=1), "contribution": c,
         "positive": np.clip(c, 0, None), "negative": np.clip(c, None, 0)}
    )  # fmt: skip


def channel_contributions(model: FGANet, spectrum: np.ndarray, group: int | str) -> np.ndarray:
    """Activation × weight per channel and latent column for one spectrum: ``(channels, L)``.

    The sum over channels is :func:`column_contributions`.
    """
    latent = latent_activations(model, np.asarray(spectrum, dtype=float)[None])[0].astype(float)
    return latent * weight_map(model)[_group_index(group)]


def spectrum_figure(
    model: FGANet,
    spectrum: np.ndarray,
    group: int | str,
    grid: np.ndarray | None = None,
    channel: int | None = None,
    name: str = "",
    groups: Sequence[str] = R23_GROUPS,
):
    """Plotly figure of one spectrum with the activation × weight of each latent column for ``group``.

    Bars at the column centres (right axis): green pushed the group's logit up, red down; all
    channels summed, or only ``channel``. Wavenumbers run from high to low.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    spectrum = np.asarray(spectrum, dtype=float)
    grid = _grid(grid, model.input_len)
    g = _group_index(group, groups)
    per_channel = channel_contributions(model, spectrum, g)
    values = per_channel.sum(axis=0) if channel is None else per_channel[int(channel)]
    centres = column_wavenumbers(model, grid)
    with torch.no_grad():
        logit = float(model(_tensor(spectrum[None], _dtype(model)))[0, g])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=grid, y=spectrum, name="spectrum", line={"color": "black", "width": 1}),
                  secondary_y=False)  # fmt: skip
    for label, part, colour in (("pushes up", np.clip(values, 0, None), "#2ca02c"),
                                ("pushes down", np.clip(values, None, 0), "#d62728")):  # fmt: skip
        fig.add_trace(go.Bar(x=centres, y=part, name=label, marker_color=colour, opacity=0.6), secondary_y=True)
    which = "all channels" if channel is None else f"channel {int(channel)}"
    fig.update_xaxes(autorange="reversed", title_text="wavenumber (cm⁻¹)")
    fig.update_yaxes(title_text="absorbance (max = 1)", secondary_y=False)
    fig.update_yaxes(title_text="activation × weight", secondary_y=True)
    prob = 1.0 / (1.0 + np.exp(-logit))
    fig.update_layout(title=f"{name}: {groups[g]}, {which} (logit {logit:+.2f}, p = {prob:.2f})", bargap=0,
                      barmode="relative")  # fmt: skip
    return fig
