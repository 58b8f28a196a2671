"""Simulated against measured spectra: similarity, band positions, fitted scaling and width."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from lib.ir import simulate


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of matching rows of ``a`` and ``b`` (1 = same shape)."""
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return (a * b).sum(axis=1) / np.where(norm > 0, norm, 1)


def strongest_bands(spectrum: np.ndarray, grid: np.ndarray, n: int = 3, separation: float = 60.0) -> np.ndarray:
    """Wavenumbers of the ``n`` highest local maxima at least ``separation`` cm⁻¹ apart."""
    from scipy.signal import find_peaks

    step = float(np.median(np.diff(grid)))
    peaks, _ = find_peaks(spectrum, distance=max(1, int(separation / step)))
    order = peaks[np.argsort(spectrum[peaks])[::-1]][:n]
    return grid[order]


def similarity_grid(
    records: list[dict], measured: np.ndarray, grid: np.ndarray, scales: list[float], fwhms: list[float]
) -> pd.DataFrame:
    """Mean cosine similarity between broadened simulations and ``measured`` for every scale × width."""
    table = pd.DataFrame(index=pd.Index(scales, name="scale"), columns=pd.Index(fwhms, name="FWHM (cm⁻¹)"))
    for scale in scales:
        for fwhm in fwhms:
            sim = np.array([simulate.broaden(r["wavenumbers"], r["intensities"], grid, fwhm=fwhm, scale=scale)
                            for r in records])  # fmt: skip
            table.loc[scale, fwhm] = cosine(sim, measured).mean()
    return table.astype(float)


def best_setting(table: pd.DataFrame) -> tuple[float, float, float]:
    """``(scale, fwhm, similarity)`` of the best cell of :func:`similarity_grid`."""
    stacked = table.stack()
    scale, fwhm = stacked.idxmax()
    return float(scale), float(fwhm), float(stacked.max())


def band_errors(
    records: list[dict], measured: np.ndarray, grid: np.ndarray, scale: float, fwhm: float, n: int = 1
) -> pd.DataFrame:
    """Per molecule: the measured strongest band, the nearest simulated strong band, and the error."""
    rows = []
    for record, spectrum in zip(records, measured, strict=True):
        sim = simulate.broaden(record["wavenumbers"], record["intensities"], grid, fwhm=fwhm, scale=scale)
        target = strongest_bands(spectrum, grid, n)
        candidates = strongest_bands(sim, grid, 3)
        for band in target:
            nearest = candidates[np.argmin(np.abs(candidates - band))] if candidates.size else np.nan
            rows.append({"molecule": record["input"], "measured (cm⁻¹)": band, "simulated (cm⁻¹)": nearest,
                         "error (cm⁻¹)": nearest - band})  # fmt: skip
    return pd.DataFrame(rows)


def throughput(smiles: list[str], workers_list: list[int], settings: simulate.Settings | None = None) -> pd.DataFrame:
    """Molecules per hour simulating ``smiles`` from scratch with each number of local workers."""
    import tempfile

    settings = settings or simulate.Settings()
    rows = []
    for workers in workers_list:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            records = simulate.run_batch(smiles, tmp, settings, workers=workers, progress=False)
            seconds = time.perf_counter() - start
        ok = sum(r["status"] != "failed" for r in records)
        rows.append({"workers": workers, "molecules": len(records), "simulated": ok, "seconds": seconds,
                     "molecules per hour": len(records) / seconds * 3600})  # fmt: skip
    return pd.DataFrame(rows).set_index("workers")
