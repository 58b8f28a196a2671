"""Textbook group-frequency ranges, the share of weight mass inside them or any region, and R23's region study."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.ir.explain._common import _grid, _group_index
from lib.models.fga import R23_GROUPS

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


def share_table(
    profiles: np.ndarray,
    centres: np.ndarray,
    groups: Sequence[str] = R23_GROUPS,
    table: Mapping[str, Sequence[tuple[float, float]]] = GROUP_FREQUENCIES,
) -> pd.DataFrame:
    """:func:`textbook_share` of the seed mean of ``(n_models, n_groups, L)`` (or ``(n_groups, L)``) profiles,
    with the ``strongest column (cm⁻¹)`` of each group and whether it lies in the group's ranges."""
    p = np.asarray(profiles, dtype=float)
    mean = p.mean(axis=0) if p.ndim == 3 else p
    out = textbook_share(mean, centres, groups, table)
    peak = np.asarray(centres, dtype=float)[mean.argmax(axis=1)]
    out["strongest column (cm⁻¹)"] = peak.round(0)
    out["strongest in range"] = [
        bool(in_ranges([c], table.get(g, ()))[0]) for c, g in zip(peak, out.index, strict=True)
    ]
    return out


def region_level(spectra: np.ndarray, grid: np.ndarray, region: tuple[float, float]) -> float:
    """Median over spectra of each spectrum's maximum inside ``region`` (NaN if no grid point is inside)."""
    cols = in_ranges(grid, [region])
    if not cols.any() or len(spectra) == 0:
        return float("nan")
    return float(np.median(np.asarray(spectra, dtype=float)[:, cols].max(axis=1)))


def ranges_text(table: Mapping[str, Sequence[tuple[float, float]]] = GROUP_FREQUENCIES) -> pd.DataFrame:
    """The textbook ranges one row per group, as text (``lo–hi, lo–hi`` cm⁻¹)."""
    rows = {g: ", ".join(f"{lo:.0f}–{hi:.0f}" for lo, hi in r) for g, r in table.items()}
    return pd.Series(rows, name="textbook ranges (cm⁻¹)").rename_axis("group").to_frame()


def measured_band_share(
    models: Sequence,
    spectra: np.ndarray,
    labels: np.ndarray,
    grid: np.ndarray,
    groups: Sequence[str] = R23_GROUPS,
    table: Mapping[str, Sequence[tuple[float, float]]] = GROUP_FREQUENCIES,
) -> pd.DataFrame:
    """Where an ensemble looks on (measured) spectra that carry a group: per group with positives and textbook
    ranges, R23's activation × weight relevance (:func:`lib.ir.explain.attribution.act_x_weight`, negatives
    clipped) summed over those spectra and the ``models``, and its :func:`textbook_share` on the ``grid``
    wavenumbers; ``spectra`` is the number of spectra behind each row."""
    from lib.ir.explain.attribution import act_x_weight

    labels = np.asarray(labels)
    names, profiles, counts = [], [], []
    for g, name in enumerate(groups):
        rows = np.flatnonzero(labels[:, g] > 0)
        if not len(rows) or not table.get(name):
            continue
        total = sum(np.clip(act_x_weight(m, spectra[rows], g), 0.0, None).sum(axis=0) for m in models)
        names.append(name)
        profiles.append(total)
        counts.append(len(rows))
    if not names:
        raise ValueError("no group with textbook ranges is present in the labels")
    out = textbook_share(np.array(profiles), grid, names, table)
    out["spectra"] = counts
    return out


def band_share_sentence(tables: Mapping[str, pd.DataFrame], near: tuple[float, float] = (0.8, 1.25)) -> str:
    """One sentence per ensemble of :func:`measured_band_share` tables: the median share of its relevance inside
    the textbook ranges beside the median chance share, and which groups lie above, near (``near``: ratios in
    that interval) or below chance, naming those near or below with their ratios."""
    parts = []
    for name, table in tables.items():
        ratio = table["ratio"].astype(float)
        above = ratio[ratio > near[1]]
        at = ratio[(ratio >= near[0]) & (ratio <= near[1])]
        below = ratio[ratio < near[0]]

        def named(values: pd.Series) -> str:
            return ", ".join(f"{g} {v:.2f}×" for g, v in values.items())

        text = (f"{name}: a median {float(table['share'].median()):.0%} of the relevance lies inside the textbook "
                f"ranges against a median chance of {float(table['chance'].median()):.0%} (median ratio "
                f"{float(ratio.median()):.1f}); {len(above)} of {len(table)} groups clearly above chance")  # fmt: skip
        if len(at):
            text += f", {len(at)} at about chance ({named(at)})"
        if len(below):
            text += f", {len(below)} below it ({named(below)})"
        parts.append(text)
    return "; ".join(parts) + "."
