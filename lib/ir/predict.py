"""``python -m lib predict FILE... [--model DIR] [--json] [--csv FILE] [--explain FILE.html]``.

Functional groups of anyone's measured spectra. Every file goes through the data pipeline's
ingestion (:func:`lib.ir.ingest.ingest_file`: JCAMP-DX parsing, unit conversion to absorbance,
R23's 850-point grid, division by the maximum). The models were trained on gas-phase spectra: a
file that states another ``##STATE=`` is refused unless ``--any-state`` is given, and a file with
no ``##STATE=`` at all is taken as state unknown and predicted, with a warning on stderr.

``--model`` picks who answers: ``r23`` (the default: R23's ten published nets, trained on measured NIST
gas-phase spectra, downloaded and checked by :mod:`lib.ir.weights`), ``sim`` (the ensemble shipped in
``lib/weights/fga``, trained on simulated spectra only), ``both`` (the mean of those two ensembles'
probabilities, each ensemble weighted equally) or a folder of FGA-net state dicts (``*.pt``, optional
``runs.json``). The default is the model that *Benchmarking functional groups* measures best on the 64
measured spectra (exact match, then micro-F1). Without a network and without a cached or local copy of
R23's weights the default falls back to ``sim`` with a one-line warning. Every output names the model that
answered. The reported probability of a group is the mean over the models of their sigmoid outputs;
groups above ``--threshold`` (0.5) are "predicted".

``--csv`` writes one row per file (file, each group's probability, the predicted groups, any
warning or error). ``--explain`` writes a self-contained HTML page (plotly) with each spectrum and,
for each predicted group, where on the spectrum the evidence for it lies: the activation × weight
relevance of every latent column (exactly the column's share of the group's logit, the classifier
being linear), spread evenly over the input points the column sees (its receptive field) and
averaged over the models. A file that cannot be read or is refused gets a one-line error and the
other files are still reported; the exit status is 1 when any file failed, 2 when the model
folder is unusable.
"""

from __future__ import annotations

import argparse
import csv
import io as _io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHIPPED_MODELS = Path(__file__).resolve().parent.parent / "weights" / "fga"
NO_STATE_WARNING = "no ##STATE= in the file: state unknown, predicted as if it were gas"


#: who may answer, and how the outputs name them
MODELS = {
    "r23": "R23's published ensemble (10 FGA nets trained on measured NIST gas-phase spectra)",
    "sim": "the simulation-trained ensemble shipped in lib/weights/fga",
    "both": "the mean of R23's published ensemble and the simulation-trained ensemble",
}
#: the model Benchmarking functional groups measures best on the measured spectra (exact match, then micro-F1)
DEFAULT_MODEL = "r23"
OFFLINE_WARNING = (
    "R23's published weights are not available (no network, no cached or local copy): answering with the "
    "simulation-trained ensemble, which finds far fewer polar groups (alcohols, esters, ketones, nitriles) on "
    "measured spectra; run `python -m lib weights` once online"
)


@dataclass
class Answerer:
    """One or more ensembles that answer together: a group's probability is the mean over the ensembles of
    their members' mean probability."""

    parts: list
    groups: list[str]
    name: str
    description: str
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``name: description``, as the outputs print it."""
        return f"{self.name}: {self.description}"

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        from lib.models.fga import predict_proba

        return np.mean([predict_proba(part, x) for part in self.parts], axis=0)


def _ensemble(folder: Path):
    """The ensemble in ``folder`` and its group names, checked against the grid."""
    from lib.ir import ingest
    from lib.ir.labels import GROUPS
    from lib.models.fga import load_ensemble

    ensemble = load_ensemble(folder)
    n_groups = ensemble[0].n_groups
    groups = next((run["groups"] for run in ensemble.runs if run.get("groups")), list(GROUPS))
    if len(groups) != n_groups:
        raise ValueError(f"{folder}: models have {n_groups} outputs but {len(groups)} group names")
    if ensemble[0].input_len != ingest.default_grid().size:
        raise ValueError(
            f"{folder}: models take {ensemble[0].input_len} points, the grid has {ingest.default_grid().size}"
        )
    return ensemble, list(groups)


def load_model(model: str | os.PathLike | None = None) -> Answerer:
    """Who answers: ``"r23"``, ``"sim"``, ``"both"``, a folder of ``*.pt``, or ``None`` for :data:`DEFAULT_MODEL`
    (R23's weights, falling back to ``sim`` with a warning when they cannot be had)."""
    from lib.ir import weights

    name = DEFAULT_MODEL if model is None else str(model)
    if name not in MODELS:
        ensemble, groups = _ensemble(Path(name))
        return Answerer([ensemble], groups, name, f"the {len(ensemble)} FGA nets in {name}")
    warnings = []
    try:
        r23 = _ensemble(weights.published_weights_dir()) if name in ("r23", "both") else None
    except FileNotFoundError:
        if model is not None:
            raise
        r23, name, warnings = None, "sim", [OFFLINE_WARNING]
    sim = _ensemble(SHIPPED_MODELS) if name in ("sim", "both") else None
    parts = [e for e in (r23, sim) if e is not None]
    if len({tuple(g) for _, g in parts}) != 1:
        raise ValueError("R23's and the shipped ensemble name different groups; they cannot be averaged")
    return Answerer([e for e, _ in parts], parts[0][1], name, MODELS[name], warnings)


def ingest_checked(path: str | os.PathLike, grid: np.ndarray, any_state: bool = False):
    """One file on the grid (:class:`lib.ir.ingest.Processed`) and its warnings.

    Units are converted. A stated non-gas state raises :class:`lib.ir.ingest.FilteredOut` unless
    ``any_state``; a missing one is a warning. The pipeline's other errors pass through.
    """
    from lib.ir import ingest

    processed = ingest.ingest_file(path, grid, ingest.Filters(states=None, convert=True))
    stated = processed.header.get("state", "").strip()
    warnings = []
    if not stated:
        warnings.append(NO_STATE_WARNING)
    elif not any_state and ingest.canonical_state(stated) != "gas":
        raise ingest.FilteredOut(processed.file, "STATE", f"{stated!r} is not gas (--any-state accepts it)")
    return processed, warnings


def predict_files(
    files: list[str | os.PathLike],
    model: str | os.PathLike | None = None,
    any_state: bool = False,
    answerer: Answerer | None = None,
) -> tuple[list[str], list[dict], dict[int, np.ndarray]]:
    """Group names, one result per file and the gridded spectra (by result index).

    A result is ``{"file", "probabilities": {group: p}}`` (plus ``"warnings"`` when there are any)
    or ``{"file", "error"}``. ``answerer`` may be given from :func:`load_model` (else ``model`` is loaded).
    """
    from lib.ir import ingest

    answerer = answerer if answerer is not None else load_model(model)
    groups = answerer.groups
    grid = ingest.default_grid()
    results: list[dict] = []
    vectors: dict[int, np.ndarray] = {}
    for f in files:
        try:
            processed, warnings = ingest_checked(f, grid, any_state)
        except (ingest.JcampError, ingest.FilteredOut, OSError, ValueError) as err:
            results.append({"file": str(f), "error": f"{type(err).__name__}: {err}"})
            continue
        vectors[len(results)] = processed.vector.astype(np.float32)
        results.append({"file": str(f), **({"warnings": warnings} if warnings else {})})
    if vectors:
        prob = answerer.predict_proba(np.stack(list(vectors.values())))
        for i, p in zip(vectors, prob, strict=True):
            results[i]["probabilities"] = {g: round(float(v), 6) for g, v in zip(groups, p, strict=True)}
    return groups, results, vectors


def predicted(result: dict, threshold: float) -> list[str]:
    """The groups of one result above ``threshold``, most probable first."""
    probs = result.get("probabilities", {})
    return sorted((g for g, p in probs.items() if p > threshold), key=lambda g: -probs[g])


# --------------------------------------------------------------------------- relevance
def relevance(models, spectra: np.ndarray) -> np.ndarray:
    """Activation × weight relevance on the input points, ``(N, n_groups, input_len)``, mean over ``models``.

    For each net, latent column ``k``'s share of group ``g``'s logit is ``sum_c a[c, k] w[g, c, k]``;
    that share is spread evenly over the input points of the column's receptive field window.
    Summed over the points, a net's relevance is its logit minus the classifier bias.
    """
    import torch

    x = torch.as_tensor(np.asarray(spectra, dtype=np.float32))
    total = None
    for model in models:
        model.eval()
        with torch.no_grad():
            latent = model.latent(x).double().numpy()  # (N, 2c, L)
        weight = model.classifier_weights().double().numpy()  # (G, 2c, L)
        columns = np.einsum("ncl,gcl->ngl", latent, weight)
        points = np.zeros((*columns.shape[:2], model.input_len))
        for k in range(model.rf.length):
            lo, hi = model.rf.window(k)
            points[..., lo:hi] += columns[..., k : k + 1] / (hi - lo)
        total = points if total is None else total + points
    return total / len(models)


def explain_page(
    groups: list[str],
    results: list[dict],
    vectors: dict[int, np.ndarray],
    answerer: Answerer,
    threshold: float = 0.5,
    title: str = "Functional groups: where the evidence lies",
) -> str:
    """A self-contained HTML page: per spectrum, its predicted groups and their positive relevance (the mean
    over the answering ensembles of :func:`relevance`)."""
    import html

    from plotly.subplots import make_subplots

    from lib.ir import ingest

    grid = ingest.default_grid()
    order = list(vectors)
    if order:
        stacked = np.stack([vectors[i] for i in order])
        rel = np.mean([relevance(part, stacked) for part in answerer.parts], axis=0)
    else:
        rel = np.zeros((0, len(groups), grid.size))
    colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p>Black: the spectrum as the networks see it (absorbance on the model grid, maximum 1). Coloured, one "
        "panel per group above the threshold: the activation × weight relevance of the networks' latent columns, "
        "spread over the wavenumbers each column sees and averaged over the models; only the part that speaks "
        f"for the group is drawn, scaled to the largest value. Threshold: {threshold:g}.</p>",
        f"<p>Model: {html.escape(answerer.label)}.</p>",
        *(f"<p><em>warning: {html.escape(w)}</em></p>" for w in answerer.warnings),
    ]
    first = True
    for row, i in enumerate(order):
        r = results[i]
        shown = predicted(r, threshold)
        titles = [f"{g} ({r['probabilities'][g]:.2f})" for g in shown] or ["no group above the threshold"]
        fig = make_subplots(rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=titles)
        for j in range(len(titles)):
            fig.add_scatter(
                x=grid,
                y=vectors[i],
                mode="lines",
                line=dict(color="black", width=1),
                name="spectrum",
                showlegend=j == 0,
                row=j + 1,
                col=1,
            )
        for j, g in enumerate(shown):
            positive = np.clip(rel[row, groups.index(g)], 0, None)
            fig.add_scatter(
                x=grid,
                y=positive / (positive.max() or 1.0),
                mode="lines",
                fill="tozeroy",
                opacity=0.5,
                line=dict(color=colours[j % len(colours)], width=1),
                name=f"{g}: relevance",
                row=j + 1,
                col=1,
            )
        fig.update_xaxes(autorange="reversed")
        fig.update_xaxes(title_text="wavenumber (cm⁻¹)", row=len(titles), col=1)
        fig.update_yaxes(range=[0, 1.05])
        fig.update_layout(
            height=120 + 170 * len(titles), margin=dict(t=70, b=40), template="plotly_white", title=Path(r["file"]).name
        )
        parts.append(fig.to_html(full_html=False, include_plotlyjs=first))
        for w in r.get("warnings", []):
            parts.append(f"<p><em>{html.escape(w)}</em></p>")
        first = False
    for r in results:
        if "error" in r:
            parts.append(f"<p><strong>{html.escape(r['file'])}</strong>: {html.escape(r['error'])}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def csv_text(groups: list[str], results: list[dict], threshold: float = 0.5, model: str = "") -> str:
    """One row per file: file, each group's probability, predicted groups (``;``-separated), the model that
    answered, warning, error."""
    out = _io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", *groups, "predicted", "model", "warning", "error"])
    for r in results:
        probs = r.get("probabilities", {})
        writer.writerow(
            [
                r["file"],
                *(probs.get(g, "") for g in groups),
                ";".join(predicted(r, threshold)),
                model,
                " | ".join(r.get("warnings", [])),
                r.get("error", ""),
            ]
        )
    return out.getvalue()


# --------------------------------------------------------------------------- command line
def _readable(path: Path) -> None:
    """Give a written report the permissions of a normally created file (atomic writes make it private)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def _run(args: argparse.Namespace) -> int:
    from lib import io
    from lib.download import ChecksumError

    try:
        answerer = load_model(args.model)
    except (FileNotFoundError, ValueError, RuntimeError, ChecksumError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for w in answerer.warnings:
        print(f"warning: {w}", file=sys.stderr)
    groups, results, vectors = predict_files(args.files, any_state=args.any_state, answerer=answerer)
    if args.json:
        doc = {"model": answerer.name, "model_description": answerer.description, "groups": groups, "results": results}
        print(json.dumps(doc, indent=1))
    else:
        print(f"model: {answerer.label}")
    for r in results:
        for w in r.get("warnings", []):
            print(f"warning: {r['file']}: {w}", file=sys.stderr)
        if "error" in r:
            print(f"error: {r['file']}: {r['error']}", file=sys.stderr)
        elif not args.json:
            present = [f"{g} ({r['probabilities'][g]:.2f})" for g in predicted(r, args.threshold)]
            print(f"{r['file']}: {', '.join(present) if present else '(no group above threshold)'}")
    if args.csv:
        io.write_text(args.csv, csv_text(groups, results, args.threshold, answerer.name))
        _readable(args.csv)
    if args.explain:
        io.write_text(args.explain, explain_page(groups, results, vectors, answerer, args.threshold))
        _readable(args.explain)
    return 1 if any("error" in r for r in results) else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``predict`` to ``python -m lib``'s sub-parsers."""
    p = sub.add_parser("predict", help="functional groups of JCAMP-DX spectra with an ensemble of FGA nets")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="JCAMP-DX files")
    p.add_argument(
        "--model",
        metavar="sim|r23|both|DIR",
        help="r23 (default: R23's published nets, the best measured), sim (lib/weights/fga, trained on "
        "simulations), both (their mean) or a folder of *.pt state dicts",
    )
    p.add_argument("--json", action="store_true", help='print {"groups": [...], "results": [...]}')
    p.add_argument("--csv", type=Path, metavar="FILE", help="write one row per file: probabilities, predicted groups")
    p.add_argument("--explain", type=Path, metavar="FILE.html", help="write an HTML page of the relevant regions")
    p.add_argument("--threshold", type=float, default=0.5, help="report groups above this probability")
    p.add_argument("--any-state", action="store_true", help="also accept spectra that state a non-gas phase")
    p.set_defaults(func=_run)
