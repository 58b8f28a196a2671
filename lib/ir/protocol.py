"""The measured-spectra protocol (``book/ir/PROTOCOL.md``) in code: what a measured score reports and how.

- :func:`bootstrap_by_group`: percentile 95 % CIs of a statistic, resampling *groups of rows* (skeletons:
  the first block of the InChIKey) rather than rows, so two spectra of one molecule form one unit.
- :func:`paired_difference`: the same for the difference of two models scored on the same rows, with the
  same resamples, and whether the interval excludes zero.
- :func:`measured_report`: micro-F1, exact match, molecular F1 and polar groups found of several models with their
  CIs and each one's paired difference to a reference model (R23's published ensemble in the book);
  :func:`group_report`: each group's F1 with its positives and CI.
- :func:`record_score`: the append-only log of measured scores (one entry per fixed recipe).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lib import metrics

#: O/N groups that count as "polar" in the targets (those present in a set are the ones scored).
POLAR_GROUPS = (
    "alcohols", "esters", "ketones", "nitriles", "aldehydes", "carboxylic acids", "ether", "amines",
    "amides", "nitro", "acyl halides",
)  # fmt: skip
N_RESAMPLES = 10_000
THRESHOLD = 0.5
#: targets of issue 25 for the simulation-trained ensemble (micro-F1, exact match, share of polar positives)
TARGETS = {"micro_f1": 0.70, "exact_match": 0.40, "polar_share": 0.5}

Statistic = Callable[[np.ndarray, np.ndarray], float]  # (y_true rows, y_pred rows) -> value


def group_resamples(groups: Sequence, n: int = N_RESAMPLES, seed: int = 0) -> list[np.ndarray]:
    """``n`` bootstrap resamples of row indices: each draws as many groups as there are, with replacement,
    and takes every row of each drawn group."""
    keys = pd.Index(list(groups))
    if len(keys) == 0:
        raise ValueError("no rows to resample")
    codes, uniques = pd.factorize(keys)
    members = [np.flatnonzero(codes == g) for g in range(len(uniques))]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(members), size=(n, len(members)))
    return [np.concatenate([members[g] for g in draw]) for draw in draws]


def micro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """F1 over all labels pooled (as :func:`lib.metrics.micro_f1`, in plain NumPy: it runs per resample)."""
    y, pred = np.asarray(y).astype(bool), np.asarray(pred).astype(bool)
    tp = int((y & pred).sum())
    wrong = int((y != pred).sum())
    return 2 * tp / (2 * tp + wrong) if tp or wrong else 0.0


def exact_match(y: np.ndarray, pred: np.ndarray) -> float:
    """Share of rows whose every label is right (R23's molecular perfection)."""
    return float(np.all(np.asarray(y).astype(bool) == np.asarray(pred).astype(bool), axis=1).mean())


def rank_models(y: np.ndarray, answers: Mapping[str, np.ndarray], threshold: float = THRESHOLD) -> list[str]:
    """The names of ``answers`` (probabilities per model) best first: by exact match, then micro-F1, at ``threshold``
    (how *Benchmarking functional groups* ranks the models ``predict`` offers; its best is ``predict``'s default)."""
    score = {name: (exact_match(y, p >= threshold), micro_f1(y, p >= threshold)) for name, p in answers.items()}
    return sorted(answers, key=lambda name: (-score[name][0], -score[name][1]))


def positives_found(columns: Sequence[int]) -> Statistic:
    """A statistic: the share of the positives in ``columns`` that are predicted (NaN without positives)."""
    cols = list(columns)

    def share(y: np.ndarray, pred: np.ndarray) -> float:
        pos = y[:, cols].astype(bool)
        n = int(pos.sum())
        return float((pred[:, cols].astype(bool) & pos).sum() / n) if n else float("nan")

    return share


def molecular_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean per-molecule F1 over molecules with at least one positive group (R23 Table 2, Fine et al. 2020)."""
    y, pred = np.asarray(y).astype(bool), np.asarray(pred).astype(bool)
    n_true = y.sum(axis=1)
    keep = n_true > 0
    if not keep.any():
        return float("nan")
    tp = (y & pred).sum(axis=1)[keep]
    return float(np.mean(2 * tp / (n_true[keep] + pred.sum(axis=1)[keep])))


def group_f1(column: int) -> Statistic:
    """A statistic: F1 of one group column (NaN when the rows hold no positive and no prediction of it)."""

    def f1(y: np.ndarray, pred: np.ndarray) -> float:
        yc, pc = np.asarray(y)[:, column].astype(bool), np.asarray(pred)[:, column].astype(bool)
        tp, wrong = int((yc & pc).sum()), int((yc != pc).sum())
        return 2 * tp / (2 * tp + wrong) if tp or wrong else float("nan")

    return f1


def _interval(values: np.ndarray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def bootstrap_by_group(
    y: np.ndarray, pred: np.ndarray, groups: Sequence, statistic: Statistic, n: int = N_RESAMPLES, seed: int = 0
) -> dict[str, float]:
    """``{"value", "lo", "hi"}``: the statistic on all rows and its percentile 95 % CI over resampled groups."""
    y, pred = np.asarray(y), np.asarray(pred)
    if len(y) != len(pred) or len(y) != len(groups):
        raise ValueError(f"rows differ: {len(y)} labels, {len(pred)} predictions, {len(groups)} group keys")
    boot = np.array([statistic(y[i], pred[i]) for i in group_resamples(groups, n, seed)])
    lo, hi = _interval(boot)
    return {"value": statistic(y, pred), "lo": lo, "hi": hi}


def paired_difference(
    y: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    groups: Sequence,
    statistic: Statistic,
    n: int = N_RESAMPLES,
    seed: int = 0,
) -> dict[str, float | bool]:
    """``statistic(a) − statistic(b)`` on the same rows, its 95 % CI over the same group resamples, and
    ``resolved`` (the CI excludes zero)."""
    y, pred_a, pred_b = np.asarray(y), np.asarray(pred_a), np.asarray(pred_b)
    if pred_a.shape != pred_b.shape or len(y) != len(pred_a) or len(y) != len(groups):
        raise ValueError(f"shapes differ: labels {y.shape}, a {pred_a.shape}, b {pred_b.shape}, {len(groups)} keys")
    diffs = np.array(
        [statistic(y[i], pred_a[i]) - statistic(y[i], pred_b[i]) for i in group_resamples(groups, n, seed)]
    )
    lo, hi = _interval(diffs)
    return {
        "value": statistic(y, pred_a) - statistic(y, pred_b),
        "lo": lo,
        "hi": hi,
        "resolved": bool(lo > 0 or hi < 0),
    }


def statistics(group_names: Sequence[str]) -> dict[str, Statistic]:
    """The protocol's headline statistics for a set with these group columns."""
    polar = [j for j, g in enumerate(group_names) if g in POLAR_GROUPS]
    return {"micro_f1": micro_f1, "exact_match": exact_match, "molecular_f1": molecular_f1,
            "polar_found": positives_found(polar)}  # fmt: skip


def measured_report(
    y: np.ndarray,
    probabilities: Mapping[str, np.ndarray],
    skeletons: Sequence,
    group_names: Sequence[str],
    reference: str | None = None,
    threshold: float = THRESHOLD,
    n: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per model and statistic: value, 95 % CI and (beside ``reference``) the paired difference.

    Columns: ``model``, ``statistic``, ``value``, ``lo``, ``hi``, ``diff``, ``diff_lo``, ``diff_hi``,
    ``resolved``; ``polar_found`` also has ``found`` and ``positives`` (counts on all rows).
    """
    stats = statistics(group_names)
    polar = [j for j, g in enumerate(group_names) if g in POLAR_GROUPS]
    preds = {name: metrics.binarize(p, threshold) for name, p in probabilities.items()}
    if reference is not None and reference not in preds:
        raise ValueError(f"reference model {reference!r} not among {list(preds)}")
    rows = []
    for name, pred in preds.items():
        for stat_name, stat in stats.items():
            row = {"model": name, "statistic": stat_name, **bootstrap_by_group(y, pred, skeletons, stat, n, seed)}
            if reference is not None and name != reference:
                d = paired_difference(y, pred, preds[reference], skeletons, stat, n, seed)
                row.update(diff=d["value"], diff_lo=d["lo"], diff_hi=d["hi"], resolved=d["resolved"])
            if stat_name == "polar_found":
                pos = np.asarray(y)[:, polar].astype(bool)
                row.update(found=int((pred[:, polar].astype(bool) & pos).sum()), positives=int(pos.sum()))
            rows.append(row)
    return pd.DataFrame(rows)


def group_report(
    y: np.ndarray,
    probabilities: Mapping[str, np.ndarray],
    skeletons: Sequence,
    group_names: Sequence[str],
    threshold: float = THRESHOLD,
    n: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per model and group with positives in ``y``: the group's F1 at ``threshold``, its 95 % CI over the
    same skeleton resamples as :func:`measured_report`, and its number of positives."""
    y = np.asarray(y)
    rows = []
    for name, p in probabilities.items():
        pred = metrics.binarize(p, threshold)
        for j, group in enumerate(group_names):
            positives = int(y[:, j].sum())
            if positives:
                rows.append({"model": name, "group": group, "positives": positives,
                             **bootstrap_by_group(y, pred, skeletons, group_f1(j), n, seed)})  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "group", "positives", "value", "lo", "hi"])


def read_log(log: str | os.PathLike) -> list[dict]:
    """The entries of the measured-score log ``log`` (:func:`record_score`); none while it does not exist."""
    path = Path(log)
    return json.loads(path.read_text()) if path.is_file() else []


def check_unscored(log: str | os.PathLike, fingerprint: str, recipe: str = "") -> list[dict]:
    """Raise when the log ``log`` already holds a measured score of ``fingerprint`` (before anything is scored);
    else return its entries."""
    entries = read_log(log)
    if any(e["fingerprint"] == fingerprint for e in entries):
        raise ValueError(f"{log}: recipe {fingerprint} ({recipe}) already has a measured score")
    return entries


def targets_met(report: pd.DataFrame, model: str) -> dict[str, bool]:
    """For one model of :func:`measured_report`: each target of :data:`TARGETS` met (point value) or not."""
    values = report[report["model"] == model].set_index("statistic")["value"]
    return {
        "micro_f1": bool(values["micro_f1"] >= TARGETS["micro_f1"]),
        "exact_match": bool(values["exact_match"] >= TARGETS["exact_match"]),
        "polar_found": bool(values["polar_found"] >= TARGETS["polar_share"]),
    }


def record_score(log: str | os.PathLike, recipe: str, fingerprint: str, scores: Mapping, commit: str = "") -> dict:
    """Append one measured score to the JSON log ``log``; refuses a fingerprint that is already there
    (a fixed recipe is scored on the measured spectra once)."""
    from lib import io

    path = Path(log)
    entries = check_unscored(path, fingerprint, recipe)
    entry = {
        "recipe": recipe,
        "fingerprint": fingerprint,
        "commit": commit,
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scores": dict(scores),
    }
    io.write_text(path, json.dumps([*entries, entry], indent=1) + "\n")
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)  # atomic writes are private; the log is a normal repository file
    return entry


def r23_parts(inchikeys: Sequence[str], index_csv: str | os.PathLike) -> list[str]:
    """For each InChIKey, the part of R23's seeded split of the labelled NIST index (as this project reproduces
    it, :func:`lib.ir.labels.split_indices`) that holds a molecule of the same skeleton: ``"train"`` when any
    such row is in training, else ``"val"``/``"test"``, else ``"absent"`` (not in the index)."""
    from rdkit.Chem import inchi as rd_inchi

    from lib.ir import labels
    from lib.ir.datasets import connectivity
    from lib.reference import R23_SPLIT_SEED

    table, _ = labels.label_index(index_csv)
    inchi_of = labels.read_index(index_csv).drop_duplicates("ID").set_index("ID")["Inchi"]
    parts: dict[str, set[str]] = {}
    for name, rows in zip(("train", "val", "test"), labels.split_indices(len(table), R23_SPLIT_SEED), strict=True):
        for row in rows:
            key = rd_inchi.InchiToInchiKey(labels.normalise_inchi(inchi_of[table["ID"].iloc[row]])) or ""
            parts.setdefault(connectivity(key), set()).add(name)
    found = [parts.get(connectivity(k), set()) for k in inchikeys]
    return [next((p for p in ("train", "val", "test") if p in f), "absent") for f in found]


def report_table(report: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """:func:`measured_report` for people: one row per model, value [95 % CI] per statistic, and the paired
    difference to the reference with its CI (marked * when the CI excludes zero)."""
    names = {"micro_f1": "micro-F1", "exact_match": "exact match", "molecular_f1": "molecular F1",
             "polar_found": "polar groups found"}  # fmt: skip

    def cell(r: pd.Series) -> str:
        text = f"{r['value']:.{digits}f} [{r['lo']:.{digits}f}, {r['hi']:.{digits}f}]"
        if r["statistic"] == "polar_found":
            text = f"{int(r['found'])} of {int(r['positives'])}: " + text
        return text

    def diff(r: pd.Series) -> str:
        if "diff" not in r or pd.isna(r.get("diff")):
            return "reference"
        mark = " *" if r["resolved"] else ""
        return f"{r['diff']:+.{digits}f} [{r['diff_lo']:+.{digits}f}, {r['diff_hi']:+.{digits}f}]{mark}"

    rows: dict[str, dict[str, str]] = {}
    for _, r in report.iterrows():
        row = rows.setdefault(r["model"], {})
        row[names[r["statistic"]]] = cell(r)
        row[f"{names[r['statistic']]}: difference"] = diff(r)
    order = [f"{n}{suffix}" for n in names.values() for suffix in ("", ": difference")]
    return pd.DataFrame(rows).T.reindex(columns=order).rename_axis("model")


# --------------------------------------------------------------------------- choosing a recipe (simulated data only)
#: The rule reads scores as recorded, to four decimals, and compares them in whole units of 0.0001, so that a
#: difference of exactly the tie is a tie whatever the floating-point error.
UNIT = 1e-4


def units(score: float) -> int:
    """A recorded score in whole units of :data:`UNIT`."""
    return round(float(score) / UNIT)


#: Seed of the measured-like validation renders (no training run uses it).
VALIDATION_SEED = 9001
#: Ties in the selection rule: candidates within this much micro-F1 of the best are tied.
TIE = 0.005


def validation_physics():
    """The fixed measured-like validation physics (:class:`lib.ir.transfer.Physics`): the randomised physics of
    every transfer step as shipped in ``lib/weights/fga`` (noise, drift, offsets, atmosphere, water vapour, per-
    spectrum scale/width/P-R draws and per-line jitter, set on the physical grounds given in
    :mod:`lib.ir.transfer_ablation`). Its frequency scale (0.98) and band width (60 cm⁻¹) were fitted on halves
    of the measured spectra before the protocol existed (development); they stay fixed from here on."""
    from lib.ir.transfer import Physics, Randomise

    return Physics(scale=0.98, fwhm=60.0, intensity_noise=0.4, noise=0.03, baseline=0.3, atmosphere=0.05,
                   randomise=Randomise(scale=0.02, high_scale=0.02, fwhm=(0.6, 1.6), jitter=10.0,
                                       pr_separation=(8.0, 25.0)),
                   offset=0.2, water=1.0, water_share=0.1)  # fmt: skip


def validation_physics_modes():
    """The measured-like validation physics with GFN2-xTB's errors per mode type (version 2, PROTOCOL.md §2,
    second amendment): :func:`validation_physics` plus the per-type corrections of
    ``data/xtb_mode_corrections.csv``, drawn around their values, and rotational band contours (P/R separation
    from each molecule's constants at 298.15 K, a residual Gaussian of 8 cm⁻¹ randomised as the width was, Q-branch
    share 0.3) in place of the one fitted width. Molecules without mode types or constants (records made before
    they were stored) are rendered as by :func:`validation_physics`. Not used to choose anything until the
    validation part of the typed shards is complete (PROTOCOL.md)."""
    from lib.ir.mode_physics import ModePhysics, load_corrections

    return ModePhysics(validation_physics(), load_corrections(), contours=True, residual_fwhm=8.0, q_share=0.3)


def measured_like(lines, grid: np.ndarray | None = None, seed: int = VALIDATION_SEED, version: int = 1) -> np.ndarray:
    """The molecules of ``lines`` (a :class:`lib.ir.linesets.LineSet`, e.g. the validation part of the index)
    rendered once with the validation physics and ``seed``: the same spectra for every candidate recipe.
    ``version`` 1: :func:`validation_physics`; 2: :func:`validation_physics_modes` (per-type corrections and
    rotational contours; lines need their mode types and molecules their constants)."""
    from lib.ir import mode_physics, transfer

    rng = np.random.default_rng(seed)
    if version == 1:
        return transfer.render(lines, grid, validation_physics(), rng)
    if version == 2:
        return mode_physics.render_modes(lines, grid, validation_physics_modes(), rng)
    raise ValueError(f"validation physics version must be 1 or 2, got {version!r}")


def choose_recipe(candidates: Mapping[str, Mapping[str, float]], tie: float = TIE) -> str:
    """The protocol's rule: ``candidates`` maps a recipe name to its ``micro_f1`` and ``exact_match`` on the
    measured-like validation set and its number of ``steps``. The highest micro-F1 wins; candidates within
    ``tie`` of it (in whole units of :data:`UNIT`) are tied and go to the higher exact match, then to fewer
    steps, then to the first listed."""
    if not candidates:
        raise ValueError("no candidate recipe to choose from")
    best = max(units(c["micro_f1"]) for c in candidates.values())
    tied = [name for name, c in candidates.items() if units(c["micro_f1"]) >= best - units(tie)]
    return min(tied, key=lambda n: (-float(candidates[n]["exact_match"]), int(candidates[n]["steps"]), tied.index(n)))
