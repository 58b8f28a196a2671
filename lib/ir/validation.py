"""Simulated against measured spectra: similarity, band positions, fitted scaling and width."""

from __future__ import annotations

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


def cost(texts: list[str], settings: dict[str, simulate.Settings]) -> pd.DataFrame:
    """CPU seconds and GFN2-xTB single points per molecule for each named setting.

    Molecules run one after another in this process (no cache), so ``cpu seconds`` is this
    process's CPU time for the molecule: unlike wall time it does not grow with other jobs on
    the machine. One row per molecule and setting, with the record for comparisons.
    """
    rows = []
    for name, setting in settings.items():
        for text in texts:
            record = simulate.simulate_record(text, setting)
            rows.append({"setting": name, "molecule": text, "atoms": len(record.get("numbers", [])),
                         "status": record["status"], "cpu seconds": record["cpu_seconds"],
                         "single points": record.get("calls"), "record": record})  # fmt: skip
    return pd.DataFrame(rows)


def line_differences(a: list[dict], b: list[dict], above: float = 100.0, fwhm: float = 30.0) -> pd.DataFrame:
    """How far two simulations of the same molecules differ, per molecule simulated by both.

    ``max shift`` is the largest wavenumber difference (cm⁻¹) between the sorted modes above
    ``above`` cm⁻¹; ``cosine`` compares the spectra broadened with ``fwhm`` on R23's grid.
    """
    rows = []
    for x, y in zip(a, b, strict=True):
        if x["status"] == "failed" or y["status"] == "failed":
            continue
        nu_x, nu_y = np.asarray(x["wavenumbers"]), np.asarray(y["wavenumbers"])
        order_x, order_y = np.argsort(nu_x), np.argsort(nu_y)
        keep = nu_x[order_x] > above
        shift = np.abs(nu_x[order_x] - nu_y[order_y])[keep]
        spectra = [simulate.broaden(r["wavenumbers"], r["intensities"], fwhm=fwhm) for r in (x, y)]
        rows.append({"molecule": x["input"], "max shift (cm⁻¹)": float(shift.max()) if shift.size else 0.0,
                     "cosine": float(cosine(*spectra)[0])})  # fmt: skip
    return pd.DataFrame(rows)


def scheme_table(runs: pd.DataFrame, reference: str, cores: int = 2) -> pd.DataFrame:
    """Cost and accuracy of each setting of a :func:`cost` run against the ``reference`` setting.

    One row per setting: summed CPU seconds and single points, the CPU speed-up and the ratio
    of single points (reference / setting), molecules per hour with ``cores`` worker processes
    busy all the time, molecules left with an imaginary mode, the median and largest shift of
    the modes above 100 cm⁻¹, and the smallest cosine of the broadened spectra against the reference (same molecules).
    """
    if reference not in set(runs["setting"]):
        raise KeyError(f"reference setting {reference!r} is not among {sorted(set(runs['setting']))}")
    by = {name: part for name, part in runs.groupby("setting", sort=False)}
    ref = by[reference]
    rows = {}
    for name, part in by.items():
        diff = line_differences(list(ref["record"]), list(part["record"]))
        cpu = float(part["cpu seconds"].sum())
        rows[name] = {
            "cpu seconds": cpu,
            "single points": int(part["single points"].fillna(0).sum()),
            "speed-up": float(ref["cpu seconds"].sum()) / cpu,
            "fewer single points": float(ref["single points"].sum()) / float(part["single points"].sum()),
            "molecules per hour": cores * 3600 / float(part["cpu seconds"].mean()),
            "imaginary": int((part["status"] == "imaginary").sum()),
            "median shift (cm⁻¹)": float(diff["max shift (cm⁻¹)"].median()),
            "max shift (cm⁻¹)": float(diff["max shift (cm⁻¹)"].max()),
            "min cosine": float(diff["cosine"].min()),
        }
    return pd.DataFrame(rows).T.rename_axis("setting")


def timed_batch(molecules: list[str], workers: int = 2, settings: simulate.Settings | None = None) -> dict:
    """Wall-clock throughput of :func:`lib.ir.simulate.run_batch` on ``molecules`` from scratch (an empty
    cache), with ``workers`` processes and ``settings`` (default: the settings in use): ``n``, ``ok``,
    ``workers``, ``wall_s``, ``per_hour`` and the one-minute load average before and after (other jobs on
    the machine slow the wall clock)."""
    import os
    import tempfile
    import time

    molecules = list(dict.fromkeys(molecules))
    if not molecules:
        raise ValueError("timed_batch needs at least one molecule")
    settings = simulate.Settings() if settings is None else settings
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        records = simulate.run_batch(molecules, cache, settings, workers=workers, progress=False)
        wall = time.perf_counter() - start
    return {"n": len(molecules), "ok": sum(r["status"] == "ok" for r in records), "workers": workers,
            "wall_s": wall, "per_hour": len(molecules) * 3600 / wall, "load_before": load_before,
            "load_after": os.getloadavg()[0]}  # fmt: skip
