"""``python -m lib predict FILE... --model DIR [--json]``: functional groups of measured spectra.

Every file goes through the data pipeline's ingestion (:func:`lib.ir.ingest.ingest_file`:
JCAMP-DX parsing, unit conversion to absorbance, R23's 850-point grid, division by the
maximum) with ``--any-state`` choosing whether non-gas spectra are accepted (default: gas only,
as the models were trained). ``DIR`` is a folder of FGA-net state dicts (``*.pt``, optional
``runs.json``): R23's published weights or a folder written by :func:`lib.ir.fg.save_model`. The
reported probability of a group is the mean over the models of their sigmoid outputs; groups
above ``--threshold`` (0.5) are listed. A file that cannot be read or is filtered out gets a
one-line error (stderr, or an ``error`` entry with ``--json``) and the other files are still
reported; the exit status is 1 when any file failed, 2 when the model folder is unusable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np


def predict_files(
    files: list[str | os.PathLike], model_dir: str | os.PathLike, any_state: bool = False
) -> tuple[list[str], list[dict]]:
    """Group names and one result per file: ``{"file", "probabilities": {group: p}}`` or ``{"file", "error"}``."""
    from lib.ir import ingest
    from lib.ir.labels import GROUPS
    from lib.models.fga import load_ensemble, predict_proba

    ensemble = load_ensemble(model_dir)
    n_groups = ensemble[0].n_groups
    groups = next((run["groups"] for run in ensemble.runs if run.get("groups")), list(GROUPS))
    if len(groups) != n_groups:
        raise ValueError(f"{model_dir}: models have {n_groups} outputs but {len(groups)} group names")
    filters = ingest.Filters(states=None, convert=True) if any_state else ingest.CONVERTING_FILTERS
    grid = ingest.default_grid()
    if ensemble[0].input_len != grid.size:
        raise ValueError(f"{model_dir}: models take {ensemble[0].input_len} points, the grid has {grid.size}")
    results, rows, vectors = [], [], []
    for f in files:
        try:
            vectors.append(ingest_one(f, grid, filters))
            rows.append(len(results))
            results.append({"file": str(f)})
        except (ingest.JcampError, ingest.FilteredOut, OSError, ValueError) as err:
            results.append({"file": str(f), "error": f"{type(err).__name__}: {err}"})
    if vectors:
        prob = predict_proba(ensemble, np.stack(vectors).astype(np.float32))
        for i, p in zip(rows, prob, strict=True):
            results[i]["probabilities"] = {g: round(float(v), 6) for g, v in zip(groups, p, strict=True)}
    return list(groups), results


def ingest_one(path: str | os.PathLike, grid: np.ndarray, filters) -> np.ndarray:
    """One file on the grid (maximum 1); the pipeline's errors pass through."""
    from lib.ir import ingest

    return ingest.ingest_file(path, grid, filters).vector


def _run(args: argparse.Namespace) -> int:
    try:
        groups, results = predict_files(args.files, args.model, any_state=args.any_state)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"groups": groups, "results": results}, indent=1))
    for r in results:
        if "error" in r:
            print(f"error: {r['file']}: {r['error']}", file=sys.stderr)
        elif not args.json:
            present = [f"{g} ({p:.2f})" for g, p in r["probabilities"].items() if p > args.threshold]
            print(f"{r['file']}: {', '.join(present) if present else '(no group above threshold)'}")
    return 1 if any("error" in r for r in results) else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``predict`` to ``python -m lib``'s sub-parsers."""
    p = sub.add_parser("predict", help="functional groups of JCAMP-DX spectra with a folder of FGA nets")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="JCAMP-DX files")
    p.add_argument("--model", required=True, type=Path, metavar="DIR", help="folder of *.pt state dicts")
    p.add_argument("--json", action="store_true", help='print {"groups": [...], "results": [...]}')
    p.add_argument("--threshold", type=float, default=0.5, help="report groups above this probability")
    p.add_argument("--any-state", action="store_true", help="also accept non-gas spectra")
    p.set_defaults(func=_run)
