"""R23 step 1: the strongest activations per channel and the input windows behind them; the zoom of R23 Fig. 4."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.ir.explain._common import _grid, _group_index
from lib.ir.explain.frequencies import GROUP_FREQUENCIES, in_ranges
from lib.ir.explain.receptive import column_wavenumbers, column_windows, latent_activations
from lib.ir.explain.weights import weight_map
from lib.models.fga import R23_GROUPS, FGANet, receptive_field


def top_activations(latent: np.ndarray, k: int = 100) -> pd.DataFrame:
    """The ``k`` largest activations of each channel over samples × positions.

    ``latent`` is ``(N, C, L)``. Returns one row per (channel, rank): ``channel``, ``rank`` (0 =
    strongest), ``sample``, ``position`` (latent column) and ``activation``. Ties are broken by
    the lower flat index (sample-major), so the result is deterministic.
    """
    latent = np.asarray(latent)
    n, c, length = latent.shape
    k = min(int(k), n * length)
    rows = []
    for ch in range(c):
        flat = latent[:, ch, :].reshape(-1)
        if k < len(flat):
            part = np.argpartition(-flat, k - 1)[:k]
            # argpartition may cut a tie arbitrarily: take every element >= the k-th value
            kth = flat[part].min()
            part = np.flatnonzero(flat >= kth)
        else:
            part = np.arange(len(flat))
        order = part[np.lexsort((part, -flat[part]))][:k]
        sample, position = np.divmod(order, length)
        rows.append(
            pd.DataFrame(
                {"channel": ch, "rank": np.arange(len(order)), "sample": sample, "position": position,
                 "activation": flat[order]}
            )
        )  # fmt: skip
    return pd.concat(rows, ignore_index=True)


@dataclass
class ChannelPatterns:
    """Step 1 of R23: per channel, the strongest activations and the input windows behind them.

    ``table``: :func:`top_activations` plus ``lo``/``hi`` (input indices, half-open) and
    ``wn_lo``/``wn_hi`` (wavenumbers of the window's first and last point). ``windows``: the
    spectrum inside each window, ``(len(table), window size)`` (NaN-padded if a window is clipped).
    ``offsets``: wavenumber of each window point relative to the window's first point.
    """

    table: pd.DataFrame
    windows: np.ndarray
    offsets: np.ndarray

    def channel(self, ch: int) -> tuple[pd.DataFrame, np.ndarray]:
        """Rows and windows of one channel."""
        mask = (self.table["channel"] == ch).to_numpy()
        return self.table[mask], self.windows[mask]


def channel_patterns(
    model: FGANet,
    spectra: np.ndarray,
    k: int = 100,
    grid: np.ndarray | None = None,
    latent: np.ndarray | None = None,
    columns: np.ndarray | None = None,
) -> ChannelPatterns:
    """R23 step 1 (Fig. 3): the ``k`` strongest activations per channel and their input windows.

    ``columns`` (indices or a boolean mask over the latent columns) restricts the search to those
    positions, e.g. the columns of a zoomed wavenumber region (R23 Fig. 4).
    """
    spectra = np.asarray(spectra, dtype=float)
    grid = _grid(grid, model.input_len)
    latent = latent_activations(model, spectra) if latent is None else np.asarray(latent)
    if columns is not None:
        keep = np.zeros(latent.shape[2], dtype=bool)
        keep[np.asarray(columns)] = True
        if not keep.any():
            raise ValueError("columns selects no latent column")
        latent = np.where(keep[None, None, :], latent, -np.inf)
        k = min(int(k), latent.shape[0] * int(keep.sum()))
    table = top_activations(latent, k)
    rf = receptive_field(model, model.input_len)
    win = column_windows(model)
    lo, hi = win[table["position"], 0], win[table["position"], 1]
    table = table.assign(lo=lo, hi=hi, wn_lo=grid[lo], wn_hi=grid[hi - 1])
    windows = np.full((len(table), rf.size), np.nan)
    for row, (s, a, b) in enumerate(zip(table["sample"], lo, hi, strict=True)):
        windows[row, : b - a] = spectra[s, a:b]
    step = float(np.mean(np.diff(grid)))
    return ChannelPatterns(table=table, windows=windows, offsets=np.arange(rf.size) * step)


def overlay(x: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many curves over the same ``x`` as one line with NaN breaks (one plotly trace instead of hundreds)."""
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    xs = np.tile(np.append(np.asarray(x, dtype=float), np.nan), len(rows))
    ys = np.concatenate([np.append(r, np.nan) for r in rows]) if len(rows) else np.zeros(0)
    return xs[: len(ys)], ys


def zoom_channels(
    model: FGANet,
    group: int | str,
    region: tuple[float, float],
    n: int = 3,
    grid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The alkene zoom of R23 Fig. 4, for any group and region.

    Returns ``(channels, columns)``: the ``n`` channels with the largest (positive) weight for
    ``group`` among the latent columns whose centre lies in ``region`` (strongest first), and the
    indices of those columns (ascending). R23 show "the first three channels"; we pick the three
    that matter most there, which is what the figure is meant to show.
    """
    centres = column_wavenumbers(model, grid)
    columns = np.flatnonzero(in_ranges(centres, [region]))
    if len(columns) == 0:
        raise ValueError(f"no latent column has its centre in {region}")
    w = weight_map(model)[_group_index(group), :, columns]  # (columns, channels)
    peak = w.max(axis=0)
    order = np.lexsort((np.arange(len(peak)), -peak))
    return order[: min(n, len(peak))], columns


def zoom_figure(
    model: FGANet,
    spectra: np.ndarray,
    group: int | str,
    region: tuple[float, float],
    n_channels: int = 3,
    k: int = 100,
    grid: np.ndarray | None = None,
    latent: np.ndarray | None = None,
    groups: Sequence[str] = R23_GROUPS,
):
    """R23 Fig. 4 for any group: the weights of the ``n_channels`` channels that weigh most for
    ``group`` inside ``region`` (heat map, negatives clipped; dotted lines: the group's textbook
    ranges), and beside each channel its ``k`` strongest input windows *inside the region*
    (grey) with their median (colour). Returns ``(figure, channels, patterns)``."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    grid = _grid(grid, model.input_len)
    g = _group_index(group, groups)
    channels, columns = zoom_channels(model, g, region, n_channels, grid)
    patterns = channel_patterns(model, spectra, k, grid, latent, columns=columns)
    centres = column_wavenumbers(model, grid)[columns]
    w = weight_map(model, clip_negative=True)[g][channels][:, columns]
    n = len(channels)
    specs = [[{"rowspan": n}, {}]] + [[None, {}] for _ in range(n - 1)]
    titles = [f"{groups[g]}: weights, {region[0]:.0f}–{region[1]:.0f} cm⁻¹"] + [
        f"ch {c}: top {k} windows" for c in channels
    ]
    fig = make_subplots(rows=n, cols=2, specs=specs, column_widths=[0.6, 0.4], subplot_titles=titles,
                        horizontal_spacing=0.1, vertical_spacing=0.1)  # fmt: skip
    colorbar = {"title": {"text": "weight", "side": "top"}, "orientation": "h", "x": 0.27, "xanchor": "center",
                "y": -0.32, "len": 0.5, "thickness": 10}  # fmt: skip
    fig.add_trace(go.Heatmap(z=w, x=centres, y=[f"ch {c}" for c in channels], colorscale="Viridis",
                             colorbar=colorbar), 1, 1)  # fmt: skip
    for lo, hi in GROUP_FREQUENCIES.get(groups[g], ()):
        for edge in (lo, hi):
            if region[0] <= edge <= region[1]:
                fig.add_vline(x=edge, line_dash="dot", line_color="white", row=1, col=1)
    fig.update_xaxes(autorange="reversed", title_text="wavenumber (cm⁻¹)", row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=1, col=1)  # channels top to bottom, as the patterns beside them
    for r, c in enumerate(channels):
        _, windows = patterns.channel(int(c))
        x, y = overlay(patterns.offsets, windows)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", showlegend=False, opacity=0.3,
                                 line={"color": "grey", "width": 0.5}), r + 1, 2)  # fmt: skip
        fig.add_trace(go.Scatter(x=patterns.offsets, y=np.nanmedian(windows, axis=0), mode="lines", showlegend=False,
                                 line={"color": "#1f77b4", "width": 2}), r + 1, 2)  # fmt: skip
        fig.update_xaxes(autorange="reversed", row=r + 1, col=2)
    fig.update_xaxes(title_text="cm⁻¹ above the window's low end", row=n, col=2)
    fig.update_layout(height=max(480, 220 * n), margin={"b": 130})
    return fig, channels, patterns


def zoom_summary(
    model: FGANet,
    patterns: ChannelPatterns,
    channels: Sequence[int],
    group: int | str,
    target: float,
    grid: np.ndarray | None = None,
) -> pd.DataFrame:
    """Numbers behind :func:`zoom_figure`, to test R23's reading of their Fig. 4 ("the peak in the
    patterns is oriented towards the wave number where C=C vibrations are expected").

    Per channel: ``max_weight`` (largest weight in the zoomed columns), ``weight_centre`` (weight-
    weighted mean wavenumber of the top windows' columns), and ``towards_target``: the share of its
    top windows whose maximum lies on the side of the window centre that faces ``target`` (cm⁻¹).
    A window whose centre is within half a window of ``target`` counts as facing it.
    """
    grid = _grid(grid, model.input_len)
    w = weight_map(model)[_group_index(group)]
    rows = []
    for c in channels:
        table, windows = patterns.channel(int(c))
        pos = table["position"].to_numpy()
        weights = np.clip(w[int(c), pos], 0, None)
        centre = (table["wn_lo"].to_numpy() + table["wn_hi"].to_numpy()) / 2
        peak = table["wn_lo"].to_numpy() + patterns.offsets[np.nanargmax(windows, axis=1)]
        half = (table["wn_hi"].to_numpy() - table["wn_lo"].to_numpy()) / 2
        facing = np.where(np.abs(target - centre) <= half, True, np.sign(peak - centre) == np.sign(target - centre))
        mean_centre = float(np.average(centre, weights=weights)) if weights.sum() > 0 else np.nan
        rows.append({"channel": int(c), "max_weight": float(w[int(c), pos].max()), "weight_centre": mean_centre,
                     "median_window_centre": float(np.median(centre)),
                     "towards_target": float(facing.mean())})  # fmt: skip
    return pd.DataFrame(rows).set_index("channel")


def pattern_spread(patterns: ChannelPatterns, latent: np.ndarray) -> tuple[pd.DataFrame, list[int]]:
    """Where each channel's top windows lie and whether any channel is dead.

    Per channel: quantiles (``min``, ``25%``, ``50%``, ``75%``, ``max``) of the window centres (cm⁻¹),
    their interquartile range ``iqr`` and the median position of the maximum inside the window
    (``peak inside window``: 0 = low-wavenumber end, 1 = high end). Also the channels whose
    activation is constant over ``latent`` ``(N, C, L)`` (dead).
    """
    table = patterns.table
    centre = (table["wn_lo"] + table["wn_hi"]) / 2
    spread = centre.groupby(table["channel"]).describe()[["min", "25%", "50%", "75%", "max"]]
    spread["iqr"] = spread["75%"] - spread["25%"]
    size = patterns.windows.shape[1]
    peak = pd.Series(np.nanargmax(patterns.windows, axis=1) / max(size - 1, 1), index=table.index)
    spread["peak inside window"] = peak.groupby(table["channel"]).median()
    latent = np.asarray(latent)
    dead = [c for c in range(latent.shape[1]) if np.ptp(latent[:, c]) < 1e-6]
    return spread, dead
