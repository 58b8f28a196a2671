"""Summaries of a WebBook crawl: injected faults, what the downloaded files contain, their ranges.

The chapter *Scraping the NIST WebBook* shows these tables and numbers; they work on the cache
folder written by :func:`lib.ir.nist.fetch`, the :class:`lib.ir.ingest.IngestResult` of its
spectra and, for a crawl of :class:`lib.ir.replay.ReplayServer`, the server's request log.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.ir import ingest, nist
from lib.ir.replay import ReplayServer


def fault_table(server: ReplayServer) -> pd.DataFrame:
    """The requests that got a fault, in order: ``request``, ``fault``."""
    return pd.DataFrame([(target, kind) for target, kind in server.log if kind], columns=["request", "fault"])


def source_files(server: ReplayServer, out: str | Path) -> dict[str, str]:
    """Cached spectrum file name → the replayed file it came from."""
    return {
        nist.spectrum_path(Path(out), cid, i).name: f.name
        for cid, files in server.catalogue.spectra.items()
        for i, f in enumerate(files)
    }


def qc_overview(
    result: ingest.IngestResult, sources: dict[str, str] | None = None, origin_width: int = 50
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The QC table with each file's title (and replayed source), and its kept rows with canonical fields.

    In the kept rows ``state``, ``xunits`` and ``yunits`` are canonical (``ingest.canonical_*``),
    ``points`` is an integer and ``origin`` is cut to ``origin_width`` characters.
    """
    qc = result.qc_table()
    titles = {p.file: p.header.get("title", "") for p in result.kept}
    qc.insert(1, "title", qc["file"].map(titles).fillna(""))
    if sources is not None:
        qc.insert(1, "source file", qc["file"].map(sources))
    kept = qc[qc["status"] == "kept"].copy()
    kept["points"] = kept["points"].astype(int)
    kept["state"] = kept["state"].map(ingest.canonical_state)
    kept["xunits"] = kept["xunits"].map(ingest.canonical_xunits)
    kept["yunits"] = kept["yunits"].map(ingest.canonical_yunits)
    kept["origin"] = kept["origin"].str.slice(0, origin_width)
    return qc, kept


def file_numbers(qc: pd.DataFrame, kept: pd.DataFrame, strict: ingest.IngestResult) -> dict[str, float | int]:
    """Counts and ranges of the downloaded files as plain numbers (for the chapter's text).

    ``files``, ``kept``, ``rejected``, ``strict_kept`` (R23's filter, no conversion), point counts
    (``points_min/max/median``), where the spectra start and end (``start_min/max``,
    ``end_min/max``, cm⁻¹) and ``wavelength_files`` (x in micrometres or nanometres).
    """
    return {
        "files": len(qc),
        "kept": len(kept),
        "rejected": len(qc) - len(kept),
        "strict_kept": len(strict.kept),
        "points_min": int(kept["points"].min()),
        "points_max": int(kept["points"].max()),
        "points_median": float(kept["points"].median()),
        "start_min": float(kept["xmin"].min()),
        "start_max": float(kept["xmin"].max()),
        "end_min": float(kept["xmax"].min()),
        "end_max": float(kept["xmax"].max()),
        "wavelength_files": int(kept["xunits"].isin(ingest.CONVERTIBLE_X).sum()),
    }
