"""What the functional-group CNN looks at: R23's two-step explainability and how faithful it is.

R23 (§2.4, REFERENCE.md §1 "Explainability") explain the FGA net (:mod:`lib.models.fga`) in two
steps, both possible because the classifier is a single linear layer on an 8 × 209 latent matrix:

1. **Patterns per channel** (:func:`top_activations`, :func:`channel_patterns`): the ``k``
   strongest latent activations of each channel over a set of spectra (samples × positions), and
   the input window (receptive field) behind each. The windows come from the model's layer
   arithmetic (:func:`lib.models.fga.receptive_field`), never from hard-coded numbers: for R23,
   column ``k`` sees input points ``4k … 4k+15`` (16 points, ~67 cm⁻¹).
2. **Where the classifier looks** (:func:`weight_map`, :func:`group_profiles`,
   :func:`seed_profiles`, :func:`seed_agreement`): the dense weights as groups × channels ×
   positions, each position mapped to the wavenumbers of its window (:func:`column_wavenumbers`);
   per group the maximum over channels; mean ± std over seeds; agreement between seeds as the mean
   pairwise Pearson correlation of those profiles.

R23's alkene zoom (Fig. 4) for any group and region: :func:`zoom_channels` (the channels with the
largest weights there), :func:`zoom_figure` (heat map with the channels' strongest windows in the
region beside it) and :func:`zoom_summary` (do the windows' peaks face a given band?).

Beyond R23: a reference for seed agreement (:func:`cross_group_agreement`: how much *different*
groups' profiles of different seeds correlate); textbook group-frequency ranges
(:data:`GROUP_FREQUENCIES`) and the share of weight mass inside them (:func:`textbook_share`) or
inside any region (:func:`region_share`); the 2400–2700 cm⁻¹ region study of R23 Fig. 7
(:func:`region_study`); a per-spectrum explanation (:func:`column_contributions`,
:func:`channel_contributions`, :func:`spectrum_figure`) with an ipywidgets :class:`Explorer`; and a
**faithfulness** comparison (:func:`deletion_insertion`, :func:`compare_methods`) of R23's
activation × weight relevance with our own Integrated Gradients, Grad-CAM-1D, occlusion, a random
ranking and the model-free ``input`` ranking (:data:`BASELINES`), by deletion and insertion curves.
For softmax classifiers (the synthetic study, :mod:`lib.synthetic.explain`) :func:`centred_copy`
makes every method explain the centred logit.

**Baseline.** Deleting an input point sets it to 0 (default ``baseline=0.0``): that is what the
grid holds outside a spectrum's measured range (zero-fill in :func:`lib.ir.ingest.to_grid`), so
"absent" means "no absorbance". Spectra are *not* renormalised after a deletion. Scores are the
group's probability (sigmoid of the logit) unless ``score="logit"``.

Models are used in eval mode and on the CPU; spectra are ``(N, P)`` arrays already divided by
their maxima. Every function that takes a "model" for the attribution methods only needs a
module mapping ``(N, P)`` float tensors to ``(N, n_groups)`` logits, except the ones that need
the FGA net's latent matrix (activation × weight, Grad-CAM).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from lib.models.fga import R23_GROUPS, FGANet, ReceptiveField, receptive_field

METHODS = ("act_x_weight", "integrated_gradients", "gradcam", "occlusion", "random")
#: Model-free references besides ``random``: ``input`` ranks the points by the spectrum itself (the
#: strongest absorbance first). A method that does no better than it says nothing about the model.
BASELINES = ("input",)


# --------------------------------------------------------------------------- helpers
def _grid(grid: np.ndarray | None, n: int) -> np.ndarray:
    if grid is None:
        from lib.ir.ingest import default_grid

        grid = default_grid()
    grid = np.asarray(grid, dtype=float)
    if grid.shape != (n,):
        raise ValueError(f"grid has shape {grid.shape}, the model takes {n} input points")
    return grid


def _tensor(x: np.ndarray | torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach().to(dtype=dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def _dtype(model: nn.Module) -> torch.dtype:
    p = next(model.parameters(), None)
    return p.dtype if p is not None else torch.float32


def _group_index(group: int | str, groups: Sequence[str] = R23_GROUPS) -> int:
    return groups.index(group) if isinstance(group, str) else int(group)


def _rf(model: FGANet) -> ReceptiveField:
    return receptive_field(model, model.input_len)


@torch.no_grad()
def latent_activations(model: FGANet, spectra: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """The latent matrices ``(N, channels, L)`` of ``spectra`` (eval mode), as numpy."""
    model.eval()
    x = _tensor(spectra, _dtype(model))
    out = [model.latent(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return torch.cat(out).cpu().numpy() if out else np.zeros((0, *model.latent_shape))


# --------------------------------------------------------------------------- step 1: patterns
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


def column_windows(model: FGANet) -> np.ndarray:
    """``(L, 2)`` half-open input ranges ``[lo, hi)`` behind each latent column (from the layer arithmetic)."""
    rf = _rf(model)
    return np.array([rf.window(k) for k in range(rf.length)], dtype=int)


def column_ranges(model: FGANet, grid: np.ndarray | None = None) -> np.ndarray:
    """``(L, 2)`` wavenumbers of the first and last input point of each column's window."""
    grid = _grid(grid, model.input_len)
    win = column_windows(model)
    return np.stack([grid[win[:, 0]], grid[win[:, 1] - 1]], axis=1)


def column_wavenumbers(model: FGANet, grid: np.ndarray | None = None) -> np.ndarray:
    """``(L,)`` centre wavenumber of each latent column's window (midpoint of its first and last point)."""
    return column_ranges(model, grid).mean(axis=1)


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
    rf = _rf(model)
    win = column_windows(model)
    lo, hi = win[table["position"], 0], win[table["position"], 1]
    table = table.assign(lo=lo, hi=hi, wn_lo=grid[lo], wn_hi=grid[hi - 1])
    windows = np.full((len(table), rf.size), np.nan)
    for row, (s, a, b) in enumerate(zip(table["sample"], lo, hi, strict=True)):
        windows[row, : b - a] = spectra[s, a:b]
    step = float(np.mean(np.diff(grid)))
    return ChannelPatterns(table=table, windows=windows, offsets=np.arange(rf.size) * step)


# --------------------------------------------------------------------------- step 2: weights
def weight_map(model: FGANet, clip_negative: bool = False) -> np.ndarray:
    """Classifier weights ``(n_groups, channels, L)``; negatives set to 0 with ``clip_negative`` (display)."""
    w = model.classifier_weights().cpu().numpy().astype(float)
    return np.clip(w, 0.0, None) if clip_negative else w


def group_profiles(model: FGANet, clip_negative: bool = False) -> np.ndarray:
    """Per group the maximum of the weights over channels: ``(n_groups, L)`` (R23 Fig. 6)."""
    return weight_map(model, clip_negative).max(axis=1)


def seed_profiles(models: Iterable[FGANet], clip_negative: bool = False) -> np.ndarray:
    """:func:`group_profiles` of several models (seeds) stacked ``(n_models, n_groups, L)``."""
    return np.stack([group_profiles(m, clip_negative) for m in models])


def profile_mean_std(profiles: np.ndarray, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over the first axis (seeds); std is 0 for a single model."""
    profiles = np.asarray(profiles, dtype=float)
    std = profiles.std(axis=0, ddof=ddof) if len(profiles) > ddof else np.zeros(profiles.shape[1:])
    return profiles.mean(axis=0), std


def mean_pairwise_correlation(profiles: np.ndarray) -> float:
    """Mean Pearson correlation over all pairs of rows of ``(n_models, L)`` (NaN with < 2 rows or a constant row)."""
    profiles = np.asarray(profiles, dtype=float)
    if len(profiles) < 2:
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(profiles)
    iu = np.triu_indices(len(profiles), k=1)
    return float(np.mean(corr[iu]))


def seed_agreement(profiles: np.ndarray, groups: Sequence[str] = R23_GROUPS) -> pd.Series:
    """Per group, the mean pairwise Pearson correlation between seeds of ``(n_models, n_groups, L)`` profiles."""
    profiles = np.asarray(profiles, dtype=float)
    values = [mean_pairwise_correlation(profiles[:, g]) for g in range(profiles.shape[1])]
    return pd.Series(values, index=list(groups)[: len(values)], name="seed agreement")


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


def region_share(
    profiles: np.ndarray,
    centres: np.ndarray,
    region: tuple[float, float],
    groups: Sequence[str] = R23_GROUPS,
) -> pd.DataFrame:
    """Per group, the share of (clipped) profile mass in columns whose centre lies in ``region``.

    ``profiles`` is ``(n_groups, L)`` or ``(n_models, n_groups, L)`` (then mean and standard
    deviation over models); ``chance`` is the share of a flat profile.
    """
    p = np.clip(np.asarray(profiles, dtype=float), 0.0, None)
    p = p[None] if p.ndim == 2 else p
    mask = in_ranges(centres, [region])
    total = p.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = p[:, :, mask].sum(axis=2) / total
    names = list(groups)[: p.shape[1]]
    std = share.std(axis=0, ddof=1) if len(share) > 1 else np.zeros(p.shape[1])
    index = pd.Index(names, name="group")
    return pd.DataFrame({"share": share.mean(axis=0), "std": std, "chance": mask.mean()}, index=index)


def cross_group_agreement(profiles: np.ndarray, groups: Sequence[str] = R23_GROUPS) -> pd.Series:
    """The reference for :func:`seed_agreement`: per group, the mean Pearson correlation of its profile
    with the profiles of the *other* groups in the *other* models.

    Profiles share structure that says nothing about a group (e.g. low weights wherever spectra are
    empty); seed agreement means something only where it exceeds this. With one model the other
    groups of the same model are used.
    """
    p = np.asarray(profiles, dtype=float)
    n, n_groups, length = p.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(p.reshape(n * n_groups, length)).reshape(n, n_groups, n, n_groups)
    other_model = ~np.eye(n, dtype=bool) if n > 1 else np.ones((1, 1), dtype=bool)
    values = []
    for g in range(n_groups):
        block = corr[:, g][:, :, np.arange(n_groups) != g]  # (n, n, n_groups - 1)
        values.append(float(np.nanmean(block[other_model])))
    return pd.Series(values, index=list(groups)[:n_groups], name="cross-group reference")


# --------------------------------------------------------------------------- group frequencies
# Textbook IR group-frequency ranges (cm⁻¹) of the 17 groups, authored from standard correlation
# tables (Silverstein, Webster & Kiemle, "Spectrometric Identification of Organic Compounds",
# ch. 2; Pavia, Lampman & Kriz, "Introduction to Spectroscopy", ch. 2; Socrates, "Infrared and
# Raman Characteristic Group Frequencies"). Ranges are deliberately generous (conjugated and
# saturated forms together); only bands inside R23's 500–3900 cm⁻¹ grid are listed.
GROUP_FREQUENCIES: dict[str, tuple[tuple[float, float], ...]] = {
    # sp3 C–H stretch; CH2 scissoring / CH3 asymmetric bend; CH3 umbrella bend
    "alkane": ((2840, 3000), (1440, 1480), (1360, 1390)),
    # CH3 asymmetric/symmetric stretch (2962/2872); asymmetric bend; symmetric (umbrella) bend
    "methyl": ((2850, 2980), (1440, 1470), (1365, 1385)),
    # =C–H stretch; C=C stretch; =C–H out-of-plane bends
    "alkene": ((3000, 3100), (1620, 1680), (650, 1000)),
    # ≡C–H stretch; C≡C stretch; ≡C–H bend
    "alkyne": ((3260, 3330), (2100, 2260), (600, 700)),
    # O–H stretch (free and H-bonded); C–O stretch
    "alcohols": ((3200, 3650), (1000, 1260)),
    # N–H stretch; N–H bend (scissoring); C–N stretch (aliphatic and aromatic); N–H wag
    "amines": ((3300, 3500), (1580, 1650), (1020, 1335), (665, 910)),
    # C≡N stretch
    "nitriles": ((2210, 2260),),
    # aromatic C–H stretch; ring C=C stretches; C–H out-of-plane bends
    "aromatics": ((3000, 3100), (1450, 1600), (675, 900)),
    # C–Cl / C–Br / C–I stretch; C–F stretch and CH2–X wag
    "alkyl halides": ((500, 850), (1000, 1400)),
    # C=O stretch (saturated 1735–1750, conjugated/aryl down to 1715); C–O stretches
    "esters": ((1715, 1750), (1000, 1300)),
    # C=O stretch (saturated 1705–1725, conjugated down to 1665); C–C(=O)–C stretch/bend
    "ketones": ((1665, 1725), (1100, 1230)),
    # C=O stretch (conjugated 1685 – saturated 1740); aldehyde C–H Fermi doublet
    "aldehydes": ((1685, 1740), (2695, 2860)),
    # very broad O–H stretch; C=O stretch; C–O stretch; O–H out-of-plane bend
    "carboxylic acids": ((2500, 3300), (1680, 1725), (1210, 1320), (900, 960)),
    # C–O–C stretches (aliphatic ~1050–1150, aryl alkyl ~1020–1075 and ~1200–1275)
    "ether": ((1000, 1300),),
    # C=O stretch (chloride ~1800, bromide ~1810, fluoride ~1850)
    "acyl halides": ((1770, 1850),),
    # N–H stretch; amide I (C=O) and amide II (N–H bend)
    "amides": ((3100, 3500), (1510, 1690)),
    # NO2 asymmetric and symmetric stretch
    "nitro": ((1500, 1570), (1300, 1370)),
}


def in_ranges(wavenumbers: np.ndarray, ranges: Iterable[tuple[float, float]]) -> np.ndarray:
    """Boolean mask: which ``wavenumbers`` fall inside any of the closed ``ranges``."""
    wavenumbers = np.asarray(wavenumbers, dtype=float)
    mask = np.zeros(wavenumbers.shape, dtype=bool)
    for lo, hi in ranges:
        mask |= (wavenumbers >= lo) & (wavenumbers <= hi)
    return mask


def group_frequency_table(table: Mapping[str, Sequence[tuple[float, float]]] = GROUP_FREQUENCIES) -> pd.DataFrame:
    """The textbook ranges as a long table: ``group``, ``lo``, ``hi`` (cm⁻¹)."""
    rows = [{"group": g, "lo": lo, "hi": hi} for g, ranges in table.items() for lo, hi in ranges]
    return pd.DataFrame(rows)


def textbook_share(
    profiles: np.ndarray,
    centres: np.ndarray,
    groups: Sequence[str] = R23_GROUPS,
    table: Mapping[str, Sequence[tuple[float, float]]] = GROUP_FREQUENCIES,
) -> pd.DataFrame:
    """Per group, the share of (clipped, non-negative) weight mass in columns whose centre is inside its ranges.

    ``profiles``: ``(n_groups, L)`` (e.g. :func:`group_profiles` with ``clip_negative=True``, or a
    seed mean); negatives are clipped here too. ``chance`` is the share a flat profile would get
    (the fraction of columns inside), ``ratio`` = share / chance.
    """
    profiles = np.clip(np.asarray(profiles, dtype=float), 0.0, None)
    rows = []
    for g, name in enumerate(groups[: len(profiles)]):
        mask = in_ranges(centres, table.get(name, ()))
        total = profiles[g].sum()
        share = profiles[g, mask].sum() / total if total > 0 else float("nan")
        chance = mask.mean()
        rows.append({"group": name, "share": share, "chance": chance, "ratio": share / chance if chance else np.nan})
    return pd.DataFrame(rows).set_index("group")


def overlay(x: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many curves over the same ``x`` as one line with NaN breaks (one plotly trace instead of hundreds)."""
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    xs = np.tile(np.append(np.asarray(x, dtype=float), np.nan), len(rows))
    ys = np.concatenate([np.append(r, np.nan) for r in rows]) if len(rows) else np.zeros(0)
    return xs[: len(ys)], ys


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


def band_position(
    spectra: np.ndarray,
    labels: np.ndarray,
    group: int | str,
    region: tuple[float, float],
    grid: np.ndarray | None = None,
    groups: Sequence[str] = R23_GROUPS,
) -> float:
    """Median wavenumber of the strongest point inside ``region`` over the spectra carrying ``group``
    (NaN without any): where a data set puts a group's band, e.g. C≡N in 2000–2700 cm⁻¹."""
    spectra = np.asarray(spectra, dtype=float)
    grid = _grid(grid, spectra.shape[1])
    cols = in_ranges(grid, [region])
    has = np.asarray(labels)[:, _group_index(group, groups)] > 0.5
    if not has.any() or not cols.any():
        return float("nan")
    return float(np.median(grid[cols][spectra[has][:, cols].argmax(axis=1)]))


# --------------------------------------------------------------------------- region study (Fig. 7)
@dataclass
class RegionStudy:
    """Spectra in a wavenumber region split by presence of a group, with the subsets' medians."""

    wavenumbers: np.ndarray
    present: np.ndarray
    absent: np.ndarray
    median_present: np.ndarray
    median_absent: np.ndarray

    def summary(self) -> dict[str, float]:
        """Sizes, mean of each median, and mean absolute difference between the medians."""
        return {
            "n_present": len(self.present),
            "n_absent": len(self.absent),
            "mean_median_present": float(np.mean(self.median_present)),
            "mean_median_absent": float(np.mean(self.median_absent)),
            "mean_abs_median_diff": float(np.mean(np.abs(self.median_present - self.median_absent))),
        }


def region_study(
    spectra: np.ndarray,
    labels: np.ndarray,
    group: int | str,
    grid: np.ndarray | None = None,
    region: tuple[float, float] = (2400.0, 2700.0),
    groups: Sequence[str] = R23_GROUPS,
) -> RegionStudy:
    """R23 Fig. 7: the spectra inside ``region`` for molecules with and without ``group``, and their medians."""
    spectra = np.asarray(spectra, dtype=float)
    grid = _grid(grid, spectra.shape[1])
    g = _group_index(group, groups)
    cols = in_ranges(grid, [region])
    has = np.asarray(labels)[:, g] > 0.5
    present, absent = spectra[has][:, cols], spectra[~has][:, cols]

    def med(a: np.ndarray) -> np.ndarray:
        return np.median(a, axis=0) if len(a) else np.full(cols.sum(), np.nan)

    return RegionStudy(grid[cols], present, absent, med(present), med(absent))


# --------------------------------------------------------------------------- per-spectrum explanation
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


class Explorer:
    """Choose a group, a spectrum and a channel; see :func:`spectrum_figure` for that choice.

    :meth:`figure` gives the current figure (static, for the book); :meth:`widget` the ipywidgets
    controls with the figure below, updated on every change (needs a live Jupyter kernel).
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

    def widget(self):
        """Dropdowns (group, spectrum, channel) above an output area that redraws on each change."""
        import ipywidgets as widgets
        from IPython.display import display

        group = widgets.Dropdown(options=self.groups, value=self.group, description="group")
        spectrum = widgets.Dropdown(options=[(n, i) for i, n in enumerate(self.names)], value=self.index,
                                    description="spectrum")  # fmt: skip
        channels = [("all", -1)] + [(f"channel {c}", c) for c in range(self.model.latent_shape[0])]
        channel = widgets.Dropdown(options=channels, value=-1 if self.channel is None else self.channel,
                                   description="channel")  # fmt: skip
        out = widgets.Output()

        def update(_=None):
            self.group, self.index = group.value, int(spectrum.value)
            self.channel = None if channel.value < 0 else int(channel.value)
            out.clear_output(wait=True)
            with out:
                display(self.figure())

        for control in (group, spectrum, channel):
            control.observe(update, names="value")
        update()
        return widgets.VBox([widgets.HBox([group, spectrum, channel]), out])


def columns_to_points(values: np.ndarray, model: FGANet) -> np.ndarray:
    """Spread per-column values ``(..., L)`` onto input points ``(..., P)``.

    Each column shares its value evenly over the points of its window, so totals are kept.
    """
    values = np.asarray(values, dtype=float)
    win = column_windows(model)
    out = np.zeros((*values.shape[:-1], model.input_len))
    for k, (lo, hi) in enumerate(win):
        out[..., lo:hi] += values[..., k : k + 1] / (hi - lo)
    return out


# --------------------------------------------------------------------------- attribution methods
def centred_copy(model: FGANet) -> FGANet:
    """A copy whose logits are the original ones minus their mean over the outputs.

    For a softmax classifier only differences between logits matter (adding the same number to
    every logit changes no probability), so a class's raw logit carries an arbitrary common part;
    the centred logit ``z_c − mean_k z_k`` is what distinguishes class ``c`` from the others. The
    classifier is linear, so centring its weights and bias does it exactly and every method here
    (activation × weight included) explains the centred logit.
    """
    out = copy.deepcopy(model).eval()
    with torch.no_grad():
        layer = out.classifier[0]
        layer.weight -= layer.weight.mean(dim=0, keepdim=True)
        layer.bias -= layer.bias.mean()
    return out


def act_x_weight(model: FGANet, spectra: np.ndarray, group: int | str) -> np.ndarray:
    """R23's relevance per input point ``(N, P)``: :func:`column_contributions` spread over each window."""
    return columns_to_points(column_contributions(model, spectra, group), model)


def integrated_gradients(
    model: nn.Module,
    spectra: np.ndarray,
    group: int | str,
    baseline: float | np.ndarray = 0.0,
    steps: int = 64,
    batch_size: int = 4096,
) -> np.ndarray:
    """Integrated Gradients of the group's logit, ``(N, P)``, by the midpoint rule with ``steps`` points.

    Attribution ``(x − x′) · mean_s ∇f(x′ + α_s (x − x′))`` with ``α_s = (s + ½)/steps``; their
    sum approximates ``f(x) − f(x′)`` (completeness). ``baseline`` ``x′`` defaults to zeros.
    """
    model.eval()
    g = _group_index(group)
    dtype = _dtype(model)
    x = _tensor(spectra, dtype)
    base = torch.broadcast_to(_tensor(np.asarray(baseline, dtype=float), dtype), x.shape)
    alphas = (torch.arange(steps, dtype=dtype) + 0.5) / steps
    total = torch.zeros_like(x)
    per = max(1, batch_size // max(1, len(x)))
    for i in range(0, steps, per):
        a = alphas[i : i + per].view(-1, 1, 1)
        path = (base + a * (x - base)).reshape(-1, x.shape[1]).requires_grad_(True)
        out = model(path)[:, g].sum()
        (grad,) = torch.autograd.grad(out, path)
        total += grad.reshape(len(a), *x.shape).sum(0)
    return ((x - base) * total / steps).numpy().astype(float)


@torch.no_grad()
def completeness_gap(
    model: nn.Module,
    spectra: np.ndarray,
    attributions: np.ndarray,
    group: int | str,
    baseline: float | np.ndarray = 0.0,
) -> np.ndarray:
    """``Σ attributions − (f(x) − f(x′))`` per spectrum for the group's logit: 0 for exact Integrated Gradients.

    The published R23 nets can be far from smooth along the straight path (dead channels and the last
    BatchNorm's tiny running variances amplify ReLU kinks): on real spectra 64 steps leave a median gap
    of ~2 % of ``|f(x) − f(0)|`` (512 steps: ~0.2 %), on random inputs much more.
    """
    model.eval()
    g = _group_index(group)
    dtype = _dtype(model)
    x = _tensor(spectra, dtype)
    base = torch.broadcast_to(_tensor(np.asarray(baseline, dtype=float), dtype), x.shape).contiguous()
    diff = (model(x)[:, g] - model(base)[:, g]).double().numpy()
    return np.asarray(attributions, dtype=float).sum(axis=1) - diff


def _gradcam_split(model: FGANet, layer: int | None) -> int:
    """Index (in ``model.features``) of the layer whose output Grad-CAM uses: default the last conv's ReLU."""
    if layer is not None:
        return int(layer)
    convs = [i for i, m in enumerate(model.features) if isinstance(m, nn.Conv1d)]
    i = convs[-1]
    if i + 1 < len(model.features) and isinstance(model.features[i + 1], nn.ReLU | nn.LeakyReLU):
        i += 1
    return i


def gradcam(model: FGANet, spectra: np.ndarray, group: int | str, layer: int | None = None) -> np.ndarray:
    """Grad-CAM-1D of the group's logit on the last conv layer (after its ReLU), upsampled to ``(N, P)``.

    Channel weights are the position-mean of the gradients; the map is ``ReLU(Σ_c α_c A_c)``, placed
    at each position's receptive-field centre (from the layer arithmetic) and linearly interpolated.
    """
    model.eval()
    g = _group_index(group)
    split = _gradcam_split(model, layer)
    x = model._as_batch(_tensor(spectra, _dtype(model)))
    act = model.features[: split + 1](x).detach().requires_grad_(True)
    out = model.classifier(model.features[split + 1 :](act))[:, g].sum()
    (grad,) = torch.autograd.grad(out, act)
    alpha = grad.mean(dim=2, keepdim=True)
    cam = torch.relu((alpha * act).sum(dim=1)).detach().numpy().astype(float)
    rf = receptive_field(model.features[: split + 1], model.input_len)
    centres = rf.start + np.arange(rf.length) * rf.stride + (rf.size - 1) / 2
    points = np.arange(model.input_len)
    return np.stack([np.interp(points, centres, row) for row in cam])


@torch.no_grad()
def _scores(model: nn.Module, x: torch.Tensor, g: int, score: str, batch_size: int = 8192) -> np.ndarray:
    out = torch.cat([model(x[i : i + batch_size])[:, g] for i in range(0, len(x), batch_size)])
    if score == "proba":
        out = torch.sigmoid(out)
    elif score != "logit":
        raise ValueError(f"score must be 'proba' or 'logit', not {score!r}")
    return out.double().numpy()


def occlusion(
    model: nn.Module,
    spectra: np.ndarray,
    group: int | str,
    window: int = 16,
    stride: int = 4,
    baseline: float = 0.0,
    score: str = "logit",
) -> np.ndarray:
    """Occlusion relevance ``(N, P)``: drop of the score when a sliding window is set to ``baseline``,
    averaged over the windows covering each point (points no window covers get 0)."""
    model.eval()
    g = _group_index(group)
    x = _tensor(spectra, _dtype(model))
    n, p = x.shape
    starts = list(range(0, p - window + 1, stride))
    if starts and starts[-1] + window < p:
        starts.append(p - window)
    ref = _scores(model, x, g, score)
    occluded = x.unsqueeze(1).repeat(1, len(starts), 1)
    for j, s in enumerate(starts):
        occluded[:, j, s : s + window] = baseline
    drop = ref[:, None] - _scores(model, occluded.reshape(-1, p), g, score).reshape(n, len(starts))
    total, count = np.zeros((n, p)), np.zeros(p)
    for j, s in enumerate(starts):
        total[:, s : s + window] += drop[:, j : j + 1]
        count[s : s + window] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def random_relevance(spectra: np.ndarray, seed: int = 0) -> np.ndarray:
    """A random ranking (uniform noise) of the same shape: the floor any method should beat."""
    return np.random.default_rng(seed).random(np.asarray(spectra).shape)


def relevance(model: FGANet, spectra: np.ndarray, group: int | str, method: str, **kwargs) -> np.ndarray:
    """Relevance per input point ``(N, P)`` by one of :data:`METHODS` or :data:`BASELINES`."""
    funcs: dict[str, Callable[..., np.ndarray]] = {
        "act_x_weight": lambda: act_x_weight(model, spectra, group),
        "integrated_gradients": lambda: integrated_gradients(model, spectra, group, **kwargs),
        "gradcam": lambda: gradcam(model, spectra, group, **kwargs),
        "occlusion": lambda: occlusion(model, spectra, group, **kwargs),
        "random": lambda: random_relevance(spectra, **kwargs),
        "input": lambda: np.array(spectra, dtype=float),
    }
    if method not in funcs:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS + BASELINES}")
    return funcs[method]()


def method_kwargs(model: FGANet, method: str, ig_steps: int = 32, baseline: float = 0.0, seed: int = 0) -> dict:
    """The settings every comparison here uses: IG with ``ig_steps`` points from ``baseline``, occlusion
    by one receptive field slid by its stride, a seeded random ranking."""
    if method == "integrated_gradients":
        return {"steps": ig_steps, "baseline": baseline}
    if method == "random":
        return {"seed": seed}
    if method == "occlusion":
        rf = _rf(model)
        return {"window": rf.size, "stride": rf.stride, "baseline": baseline}
    return {}


# --------------------------------------------------------------------------- faithfulness
def ranking(rel: np.ndarray, seed: int = 0) -> np.ndarray:
    """Input points ordered most relevant first ``(N, P)``; ties broken at random (seeded)."""
    rel = np.asarray(rel, dtype=float)
    tie = np.random.default_rng(seed).random(rel.shape)
    return np.lexsort((tie, -rel), axis=-1)


@dataclass
class Curves:
    """Deletion and insertion curves ``(N, len(fractions))`` and their areas ``(N,)``."""

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray

    @property
    def deletion_auc(self) -> np.ndarray:
        return np.trapezoid(self.deletion, self.fractions, axis=1)

    @property
    def insertion_auc(self) -> np.ndarray:
        return np.trapezoid(self.insertion, self.fractions, axis=1)


def deletion_insertion(
    model: nn.Module,
    spectra: np.ndarray,
    rel: np.ndarray,
    group: int | str,
    n_steps: int = 20,
    baseline: float = 0.0,
    score: str = "proba",
    seed: int = 0,
) -> Curves:
    """Deletion (most relevant points set to ``baseline`` first) and insertion (most relevant points
    restored first, starting from the all-baseline spectrum) curves at ``n_steps + 1`` fractions.

    A faithful relevance makes the deletion curve fall fast (small area) and the insertion curve
    rise fast (large area). Spectra are not renormalised after deletion.
    """
    model.eval()
    g = _group_index(group)
    x = np.asarray(spectra, dtype=float)
    n, p = x.shape
    order = ranking(rel, seed)
    fractions = np.linspace(0.0, 1.0, n_steps + 1)
    counts = np.round(fractions * p).astype(int)
    # rank[i, j] = position of point j in sample i's ordering
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(p)[None].repeat(n, 0), axis=1)
    top = rank[:, None, :] < counts[None, :, None]  # (N, S, P): point among the first `count`
    deleted = np.where(top, baseline, x[:, None, :])
    inserted = np.where(top, x[:, None, :], baseline)
    dtype = _dtype(model)
    both = torch.as_tensor(np.concatenate([deleted, inserted], axis=1).reshape(-1, p), dtype=dtype)
    s = _scores(model, both, g, score).reshape(n, 2, len(fractions))
    return Curves(fractions=fractions, deletion=s[:, 0], insertion=s[:, 1])


def compare_methods(
    model: FGANet,
    spectra: np.ndarray,
    labels: np.ndarray | None,
    groups: Sequence[int | str] = R23_GROUPS,
    methods: Sequence[str] = METHODS,
    n_steps: int = 20,
    baseline: float = 0.0,
    score: str = "proba",
    positives_only: bool = True,
    max_spectra: int | None = None,
    ig_steps: int = 32,
    seed: int = 0,
    keep_curves: bool = False,
) -> pd.DataFrame:
    """Deletion and insertion areas per group and method (mean over spectra).

    With ``positives_only`` only the spectra labelled with the group are used (``labels`` given).
    Rows: group × method with ``n``, ``deletion_auc`` (lower is better), ``insertion_auc`` (higher
    is better) and ``difference`` = insertion − deletion. Groups with no spectra are skipped.
    ``keep_curves`` adds the mean curves (``deletion_curve``, ``insertion_curve``: arrays over
    ``n_steps + 1`` equally spaced fractions).
    """
    spectra = np.asarray(spectra, dtype=float)
    rows = []
    for group in groups:
        g = _group_index(group)
        name = R23_GROUPS[g] if g < len(R23_GROUPS) else str(g)
        idx = np.arange(len(spectra))
        if positives_only and labels is not None:
            idx = np.flatnonzero(np.asarray(labels)[:, g] > 0.5)
        if max_spectra is not None:
            idx = idx[:max_spectra]
        if len(idx) == 0:
            continue
        x = spectra[idx]
        for method in methods:
            rel = relevance(model, x, g, method, **method_kwargs(model, method, ig_steps, baseline, seed + g))
            curves = deletion_insertion(model, x, rel, g, n_steps=n_steps, baseline=baseline, score=score, seed=seed)
            d, i = curves.deletion_auc.mean(), curves.insertion_auc.mean()
            row = {"group": name, "method": method, "n": len(idx), "deletion_auc": d, "insertion_auc": i,
                   "difference": i - d}  # fmt: skip
            if keep_curves:
                row.update(deletion_curve=curves.deletion.mean(axis=0), insertion_curve=curves.insertion.mean(axis=0))
            rows.append(row)
    return pd.DataFrame(rows)
