"""The protocol's choice of a training recipe for the simulation-trained FGA ensemble (``book/ir/PROTOCOL.md``).

The candidate recipes (:data:`RECIPES`) are fixed here, before anything is trained: the shipped recipe of
``lib/weights/fga`` (every transfer step) retrained on the typed NIST index, then, one at a time, GFN2-xTB's
frequencies corrected per mode type, its intensities corrected per mode type, and rotational band contours in
place of the one fitted width (:mod:`lib.ir.mode_physics`). :func:`run` trains each with seeds 0, 1, 2 (same data,
epochs and loss as the shipped ensemble), scores every ensemble and the shipped one on the measured-like
validation set of version 2 (:func:`lib.ir.protocol.measured_like`), applies the rule
(:func:`lib.ir.protocol.choose_recipe`) and says whether the winner replaces the shipped ensemble. Nothing here
reads the 64 measured spectra except to keep their skeletons out of training; their one score per recipe is
:func:`score_measured`, a separate step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lib import io
from lib.ir import linesets, mode_physics, protocol, transfer
from lib.paths import REPO
from lib.reference import r23_grid

SEEDS = (0, 1, 2)
VALIDATION_VERSION = 2
SHIPPED = "shipped ensemble"
#: The ablation's last row, the development ensemble shipped before the protocol, as the rule left it.
REPLACED, KEPT = "development ensemble (replaced)", "development ensemble (stays shipped)"


@dataclass(frozen=True)
class Recipe:
    """One candidate: the shipped physics plus the per-type corrections and contours it switches on."""

    name: str
    description: str
    frequencies: bool = False
    intensities: bool = False
    contours: bool = False

    @property
    def steps(self) -> int:
        """How many steps it adds to the shipped recipe (the rule's simplicity)."""
        return int(self.frequencies) + int(self.intensities) + int(self.contours)


#: The candidates, cumulative, in the order the ablation table shows them.
RECIPES: tuple[Recipe, ...] = (
    Recipe("shipped recipe", "every transfer step of lib/weights/fga, retrained on the typed index"),
    Recipe("+ frequencies per type", "+ GFN2-xTB's wavenumbers corrected per mode type, drawn per spectrum",
           frequencies=True),
    Recipe("+ intensities per type", "+ its intensities corrected per mode type (DFT reference), drawn per spectrum",
           frequencies=True, intensities=True),
    Recipe("+ band contours", "+ rotational P/R band contours from each molecule's constants",
           frequencies=True, intensities=True, contours=True),
)  # fmt: skip


def shipped_settings(folder: str | os.PathLike | None = None) -> dict:
    """The shipped ensemble's ``training.json``: its physics, loss, epochs and copies, which every candidate keeps."""
    from lib.ir.predict import SHIPPED_MODELS

    return json.loads((Path(folder or SHIPPED_MODELS) / "training.json").read_text())


def base_physics(info: Mapping) -> transfer.Physics:
    """The transfer physics a shipped ``training.json`` was trained on: its ``physics``, or, for a recipe installed
    by :func:`install` (``physics_kind`` "mode"), the base under its per-type corrections."""
    physics = info["physics"]
    return transfer.Physics.from_dict(physics["base"] if info.get("physics_kind") == "mode" else physics)


def repo_relative(path: str | os.PathLike) -> str:
    """``path`` relative to the repository when it lies inside it (so a committed table names the committed nets on
    every clone), else absolute."""
    path = Path(path).resolve()
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)


def models_folder(entry: Mapping) -> Path:
    """The folder of a candidate's trained nets, a relative ``models`` read from the repository's root."""
    path = Path(entry["models"])
    return path if path.is_absolute() else REPO / path


def files_digest(folder: str | os.PathLike, pattern: str) -> str:
    """Short hash of the names and bytes of the files matching ``pattern`` in ``folder``: the nets of a weight
    folder (``*.pt``: which ensemble a score belongs to) or the typed shards (``part-*.json.gz``: the data a model
    was trained on)."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted(Path(folder).glob(pattern)):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def recipe_physics(recipe: Recipe, base: transfer.Physics, corrections: Mapping[str, mode_physics.Correction]):
    """The training physics of ``recipe`` on top of ``base`` (the shipped physics): ``base`` itself for the shipped
    recipe, else a :class:`lib.ir.mode_physics.ModePhysics` with the corrections it switches on (contours as in
    the validation physics: a residual Gaussian of 8 cm⁻¹, Q-branch share 0.3)."""
    if not (recipe.frequencies or recipe.intensities or recipe.contours):
        return base
    chosen = {}
    for kind, c in corrections.items():
        if not recipe.frequencies:
            c = replace(c, freq_factor=float("nan"), freq_sd=0.0)
        if not recipe.intensities:
            c = replace(c, log_intensity_shift=0.0, log_intensity_sd=0.0)
        chosen[kind] = c
    return mode_physics.ModePhysics(base, chosen, contours=recipe.contours, residual_fwhm=8.0, q_share=0.3)


def validation_coverage(typed: str | os.PathLike, complete: str | os.PathLike, index_csv: str | os.PathLike) -> dict:
    """How many molecules of the validation part the typed shards hold (with mode types) of those the complete
    index holds: ``{"typed": n, "all": m}``. The protocol scores nothing on version 2 before they are equal."""
    exclude = mode_physics.measured_inchikeys()
    have = linesets.nist_lines(typed, index_csv, exclude)["val"]
    n_typed = sum(bool(t) and "unknown" not in t for t in (have.types or []))
    return {"typed": n_typed, "all": len(linesets.nist_lines(complete, index_csv, exclude)["val"])}


def readiness(
    typed: str | os.PathLike, paths: Mapping, reference: str | os.PathLike | None = None,
    molecules: str | os.PathLike | None = None, corrections: str | os.PathLike | None = None,
) -> dict:  # fmt: skip
    """What PROTOCOL.md requires before anything is scored on validation physics 2: every validation molecule typed
    (``coverage``), every DFT reference molecule computed (``reference``: have, all), and the corrections table
    regenerated from the typed training part and that reference (``corrections_current``). ``problems`` lists
    what is missing, in words (empty when ready)."""
    from lib.ir import dft
    from lib.ir.simulate import load_shards
    from lib.paths import data_file

    reference = Path(reference or dft.REFERENCE_SHARDS)
    molecules = Path(molecules or dft.REFERENCE_MOLECULES)
    coverage = validation_coverage(typed, paths["shards"], paths["index"])
    wanted = len(pd.read_csv(molecules))
    have = len(load_shards(reference)) if reference.is_dir() and any(reference.glob("part-*.json.gz")) else 0
    problems = []
    if coverage["typed"] < coverage["all"]:
        problems.append(f"{typed}: {coverage['typed']} of the {coverage['all']} validation molecules have mode types")
    if have < wanted:
        problems.append(f"{reference}: {have} of the {wanted} DFT reference molecules ({molecules}) are computed")
    current = None
    if not problems:
        derived = mode_physics.corrections_from_shards(typed, paths["index"], reference=reference)
        current = mode_physics.same_corrections(
            derived, pd.read_csv(corrections or data_file(mode_physics.CORRECTIONS))
        )
        if not current:
            problems.append(f"{corrections or mode_physics.CORRECTIONS} is not the table of the complete typed "
                            f"training part and reference: regenerate it (python -m lib mode-corrections)")  # fmt: skip
    return {"coverage": coverage, "reference": {"have": have, "all": wanted}, "corrections_current": current,
            "problems": problems}  # fmt: skip


def protocol_problems(table: Mapping) -> list[str]:
    """Why a selection ``table`` is not the protocol's (a test run, or one cut short), in words; empty when it is."""
    p = table.get("protocol", {})
    problems = [] if "chosen" in table else ["the rule has not chosen yet (the table is incomplete)"]
    if p.get("max_epochs") != p.get("shipped_max_epochs"):
        problems.append(
            f"trained {p.get('max_epochs')} epochs, not the shipped ensemble's {p.get('shipped_max_epochs')}"
        )
    if list(p.get("seeds", [])) != list(SEEDS):
        problems.append(f"seeds {p.get('seeds')}, not {list(SEEDS)}")
    if p.get("validation_version") != VALIDATION_VERSION:
        problems.append(f"validation version {p.get('validation_version')}, not {VALIDATION_VERSION}")
    problems += list(p.get("readiness", {}).get("problems", ["no readiness recorded"]))
    return problems


def score(probabilities: np.ndarray, y: np.ndarray) -> dict:
    """Ensemble micro-F1 and exact match at the protocol's threshold (``probabilities``: members × spectra ×
    groups), and the members' micro-F1."""
    from lib import metrics

    mean = probabilities.mean(axis=0)
    pred = metrics.binarize(mean, protocol.THRESHOLD)
    members = [protocol.micro_f1(y, metrics.binarize(p, protocol.THRESHOLD)) for p in probabilities]
    return {"micro_f1": round(protocol.micro_f1(y, pred), 4), "exact_match": round(protocol.exact_match(y, pred), 4),
            "member_micro_f1": [round(float(m), 4) for m in members]}  # fmt: skip


def validation_versions(
    ensembles: Mapping[str, Sequence],
    shards: str | os.PathLike,
    typed: str | os.PathLike,
    index_csv: str | os.PathLike,
    exclude: Sequence[str] = (),
    grid: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict[int, int]]:
    """Each ensemble's micro-F1 and exact match (:func:`score`) on both versions of the measured-like validation set.

    Version 1 renders the validation part of ``shards`` (the development simulation) with the development physics;
    version 2 (:data:`VALIDATION_VERSION`, the one that chooses) the validation part of the typed re-simulation
    ``typed`` with per-type corrections and rotational contours, as :func:`run` does. ``exclude`` keeps skeletons
    out (the measured spectra's). Returns the table (a row per ensemble, columns ``micro-F1, version v`` and
    ``exact match, version v``) and the number of spectra of each version.
    """
    from lib.models.fga import predict_proba

    grid = r23_grid() if grid is None else grid
    sources = {1: shards, VALIDATION_VERSION: typed}
    rows: dict[str, dict[str, float]] = {name: {} for name in ensembles}
    sizes = {}
    for version, source in sources.items():
        val = linesets.nist_lines(source, index_csv, exclude)["val"]
        x = protocol.measured_like(val, grid, version=version)
        sizes[version] = len(val)
        for name, ensemble in ensembles.items():
            s = score(np.stack([predict_proba(m, x) for m in ensemble]), val.y)
            rows[name][f"micro-F1, version {version}"] = s["micro_f1"]
            rows[name][f"exact match, version {version}"] = s["exact_match"]
    return pd.DataFrame(rows).T, sizes


def kept_steps(scores: Sequence[float], tie: float = protocol.TIE) -> list[bool]:
    """The cumulative ablation's rule: a step is kept when it raises the measured-like validation micro-F1 by at
    least ``tie`` over the step before it (the first row, the base, is kept)."""
    step = protocol.units(tie)
    return [True] + [
        protocol.units(b) - protocol.units(a) >= step for a, b in zip(scores[:-1], scores[1:], strict=True)
    ]


def decide(candidates: Mapping[str, Mapping], shipped: Mapping) -> dict:
    """The rule on the candidates (``micro_f1``, ``exact_match``, ``steps`` each), then the winner against the
    shipped ensemble under the same rule (listed first with the winner's steps, so that a tie keeps it)."""
    chosen = protocol.choose_recipe(candidates)
    duel = {SHIPPED: {**shipped, "steps": candidates[chosen]["steps"]}, chosen: candidates[chosen]}
    return {"chosen": chosen, "replace_shipped": protocol.choose_recipe(duel) == chosen}


def run(
    out: str | os.PathLike,
    models: str | os.PathLike | None = None,
    seeds: Sequence[int] = SEEDS,
    max_epochs: int | None = None,
    recipes: Sequence[Recipe] = RECIPES,
    typed: str | os.PathLike | None = None,
    require_complete: bool = True,
    log: str | os.PathLike = "",
    reference: str | os.PathLike | None = None,
    corrections: str | os.PathLike | None = None,
) -> dict:
    """Train and score every candidate (resumable: trained seeds are kept under ``models``, default
    :data:`DEFAULT_MODELS`, and the table names them relative to the repository), write the table to
    ``out`` after each and return it. ``max_epochs``: the shipped ensemble's unless given (shorter runs are for
    tests and are recorded as such). Refuses until :func:`readiness` has no problem (``require_complete`` off is
    for tests only; the table records the readiness either way), when two candidates would train the same
    physics, and when the measured-score ``log`` (default :data:`DEFAULT_LOG`) already holds one of the
    candidates: a choice is not remade after a measured score."""
    from lib.ir import fg, simulate
    from lib.ir.predict import SHIPPED_MODELS
    from lib.ir.transfer_ablation import _commit
    from lib.models.fga import load_ensemble, predict_proba
    from lib.paths import cache_dir

    paths = linesets.default_paths()
    typed = Path(typed or DEFAULT_TYPED)
    ready = readiness(typed, paths, reference, corrections=corrections)
    if require_complete and ready["problems"]:
        raise ValueError("; ".join(ready["problems"]) + ": the protocol scores nothing on validation physics 2 "
                         "before all is complete")  # fmt: skip
    shipped = shipped_settings()
    base = base_physics(shipped)
    table_corrections = mode_physics.load_corrections(corrections)
    grid = r23_grid()
    exclude = mode_physics.measured_inchikeys()
    parts = linesets.nist_lines(typed, paths["index"], exclude)
    if shipped["data"].get("curated_set"):
        parts = linesets.add_records(parts, simulate.load_records(paths["curated_lines"]), exclude)
    val_x = protocol.measured_like(parts["val"], grid, version=VALIDATION_VERSION)
    epochs = int(max_epochs or shipped["max_epochs"])
    typed_digest = files_digest(typed, "part-*.json.gz")
    reweight = shipped["loss"] != "plain"
    root = Path(models) if models else REPO / DEFAULT_MODELS
    scratch = root / "checkpoints" if models else cache_dir("recipe_selection")  # unfinished seeds, never committed
    table = {"protocol": {"validation_version": VALIDATION_VERSION, "validation_seed": protocol.VALIDATION_SEED,
                          "seeds": list(seeds), "max_epochs": epochs, "shipped_max_epochs": shipped["max_epochs"],
                          "copies": shipped["copies"], "loss": shipped["loss"], "n_train": len(parts["train"]),
                          "n_val": len(parts["val"]), "coverage": ready["coverage"], "readiness": ready,
                          "threshold": protocol.THRESHOLD, "tie": protocol.TIE, "unit": protocol.UNIT,
                          "corrections": mode_physics.CORRECTIONS, "typed": typed_digest,
                          "curated_set": bool(shipped["data"].get("curated_set")), "commit": _commit(),
                          "shipped_digest": files_digest(SHIPPED_MODELS, "*.pt"),
                          "shipped_n_train": shipped["data"]["n_train"]},
             "candidates": {}}  # fmt: skip
    nominal = transfer.as_irset(parts["train"], grid, base)  # the training molecules, for the models' keys
    planned = []
    for recipe in recipes:
        physics = recipe_physics(recipe, base, table_corrections)
        key = fg.data_signature(nominal, physics=physics.to_dict(), seeds=list(seeds), max_epochs=epochs,
                                copies=shipped["copies"], loss=shipped["loss"], typed=typed_digest)  # fmt: skip
        same = [r.name for r, _, k in planned if k == key]
        if same:
            raise ValueError(f"candidates {same[0]!r} and {recipe.name!r} would train the same physics (fingerprint "
                             f"{key}): check {mode_physics.CORRECTIONS}")  # fmt: skip
        protocol.check_unscored(log or DEFAULT_LOG, key, recipe.name)
        planned.append((recipe, physics, key))
    for recipe, physics, key in planned:
        folder = root / key
        transfer.train_ensemble(parts, physics, seeds, folder, grid, epochs, 0, reweight=reweight,
                                copies=shipped["copies"], checkpoints=scratch / key)  # fmt: skip
        ensemble = fg.load_trained(folder, seeds)
        probs = np.stack([predict_proba(m, val_x) for m in ensemble])
        table["candidates"][recipe.name] = {"description": recipe.description, "steps": recipe.steps,
                                            "fingerprint": key, "models": repo_relative(folder),
                                            "physics": physics.to_dict(), **score(probs, parts["val"].y)}  # fmt: skip
        io.write_json(out, table)
    shipped_models = load_ensemble(SHIPPED_MODELS)
    table["shipped"] = score(np.stack([predict_proba(m, val_x) for m in shipped_models]), parts["val"].y)
    names = list(table["candidates"])
    kept = kept_steps([table["candidates"][n]["micro_f1"] for n in names])
    for name, keep in zip(names, kept, strict=True):
        table["candidates"][name]["kept"] = keep
    table.update(decide(table["candidates"], table["shipped"]))
    io.write_json(out, table)
    return table


def score_measured(table: Mapping, log: str | os.PathLike, recipe: str | None = None, n: int = protocol.N_RESAMPLES,
                   commit: str = "", require_protocol: bool = True) -> dict:  # fmt: skip
    """Score one fixed recipe of the selection ``table`` (default: the chosen one) on the 64 measured spectra,
    beside R23's published ensemble and ``both`` (the mean of the two), and append it to the score log ``log``
    (which refuses a recipe scored before; checked before anything is computed). Refuses a table that is not the
    protocol's (:func:`protocol_problems`; ``require_protocol`` off is for tests only). The entry holds micro-F1,
    exact match, molecular F1 and polar groups found with CIs and differences to R23, and every present group's F1
    with its positives and CI. Returns the log entry."""
    from lib.ir import datasets, fg
    from lib.ir.datasets import connectivity
    from lib.ir.weights import published_weights_dir
    from lib.models.fga import load_ensemble, predict_proba

    if require_protocol and (problems := protocol_problems(table)):
        raise ValueError("the selection table is not the protocol's: " + "; ".join(problems))
    name = recipe or table.get("chosen")
    entry = table["candidates"].get(name)
    if entry is None:
        raise ValueError(f"recipe {name!r} is not a candidate of the table (have: {list(table['candidates'])})")
    protocol.check_unscored(log, entry["fingerprint"], name)
    real, _ = datasets.real_jcamp()
    ours = predict_proba(fg.load_trained(models_folder(entry), table["protocol"]["seeds"]), real.x)
    r23 = predict_proba(load_ensemble(published_weights_dir()), real.x)
    answers = {"ours": ours, "R23": r23, "both": (ours + r23) / 2}
    skeletons = [connectivity(k) for k in real.inchikeys]
    report = protocol.measured_report(real.y, answers, skeletons, real.groups, reference="R23", n=n)
    scores = {}
    for row in report.to_dict("records"):
        values = {k: (round(float(v), 4) if isinstance(v, float) else v) for k, v in row.items()
                  if k not in ("model", "statistic") and v == v}  # fmt: skip
        scores.setdefault(row["model"], {})[row["statistic"]] = values
    groups = protocol.group_report(real.y, answers, skeletons, real.groups, n=n)
    for model, rows in groups.groupby("model", sort=False):
        scores[model]["groups"] = {r.group: {"f1": round(float(r.value), 4), "lo": round(float(r.lo), 4),
                                             "hi": round(float(r.hi), 4), "positives": int(r.positives)}
                                   for r in rows.itertuples()}  # fmt: skip
    return protocol.record_score(log, name, entry["fingerprint"], {**scores.pop("ours"), "others": scores}, commit)


def install(
    table: Mapping, out: str | os.PathLike | None = None, commit: str = "", log: str | os.PathLike = "",
    require_protocol: bool = True,
) -> dict:  # fmt: skip
    """Put the rule's winner into the shipped folder (default ``lib/weights/fga``) when ``table`` says it replaces
    the shipped ensemble (PROTOCOL.md, "Shipping"; decided on the measured-like validation set before any measured
    score). Refuses when the rule kept the shipped ensemble, when the table is not the protocol's
    (:func:`protocol_problems`), when the folder no longer holds the ensemble the table compared with, and before
    the winner's one measured score is in ``log`` (default :data:`DEFAULT_LOG`; its ``training.json`` carries it).
    The new folder (nets, ``runs.json``, ``training.json`` with the recipe, its physics, data and scores beside the
    ensemble it replaced) is built beside the old one and swapped in by renames. Returns the new
    ``training.json``."""
    import shutil
    import tempfile

    from lib.ir.predict import SHIPPED_MODELS

    if not table.get("replace_shipped"):
        raise ValueError(
            "the selection table keeps the shipped ensemble (replace_shipped is false): nothing to install"
        )
    if require_protocol and (problems := protocol_problems(table)):
        raise ValueError("the selection table is not the protocol's: " + "; ".join(problems))
    out = Path(out or SHIPPED_MODELS)
    p = table["protocol"]
    if out.is_dir() and p.get("shipped_digest") and files_digest(out, "*.pt") != p["shipped_digest"]:
        raise ValueError(f"{out} no longer holds the ensemble the selection compared with (installed already?)")
    name = table["chosen"]
    entry = table["candidates"][name]
    logged = [e for e in protocol.read_log(log or DEFAULT_LOG) if e["fingerprint"] == entry["fingerprint"]]
    if not logged:
        raise ValueError(f"{name!r} has no measured score in {log or DEFAULT_LOG}: score it once first "
                         "(python -m lib recipe-score)")  # fmt: skip
    source = models_folder(entry)
    seeds = p["seeds"]
    nets = [source / f"seed{s}.pt" for s in seeds]
    missing = [str(n) for n in nets if not n.is_file()]
    if missing or not (source / "runs.json").is_file():
        raise FileNotFoundError(f"{source}: the chosen recipe's trained nets are missing ({missing or 'runs.json'}); "
                                "rerun python -m lib recipe-select")  # fmt: skip
    previous = json.loads((out / "training.json").read_text()) if (out / "training.json").is_file() else {}
    runs = json.loads((source / "runs.json").read_text())
    mode = entry["physics"].keys() >= {"base", "corrections"}
    info = {"trained_by": "python -m lib recipe-select; python -m lib recipe-install", "commit": commit,
            "selection_commit": p.get("commit", ""), "recipe": name, "description": entry["description"],
            "fingerprint": entry["fingerprint"], "physics_kind": "mode" if mode else "transfer",
            "physics": entry["physics"], "loss": p["loss"], "seeds": list(seeds), "max_epochs": p["max_epochs"],
            "patience": 0, "copies": p["copies"],
            "data": {"index": f"typed GFN2-xTB re-simulation of the NIST index ({DEFAULT_TYPED}, {p.get('typed')})",
                     "n_train": p["n_train"], "n_val": p["n_val"],
                     "split": "R23's seeded 70/15/15 split of the labelled index",
                     "excluded": "connectivities of the real jcamp spectra",
                     "curated_set": previous.get("data", {}).get("curated_set") if p.get("curated_set") else None},
            "scores": {"measured_like_val": {"n": p["n_val"], "validation_version": p["validation_version"],
                                             "ensemble_micro_f1": entry["micro_f1"],
                                             "ensemble_exact_match": entry["exact_match"]},
                       "measured": logged[0]["scores"],
                       "replaced": {"trained_by": previous.get("trained_by"), "commit": previous.get("commit"),
                                    "ensemble_micro_f1": table["shipped"]["micro_f1"],
                                    "ensemble_exact_match": table["shipped"]["exact_match"]}},
            "note": "chosen by the rule of book/ir/PROTOCOL.md on the measured-like validation set alone, before its "
                    f"one score on the 64 measured spectra (scores.measured, logged in {DEFAULT_LOG})"}  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:  # the new folder first; the old one stays until the swap
        new, old = Path(tmp) / "new", Path(tmp) / "old"
        new.mkdir()
        for net in nets:
            shutil.copy2(net, new / net.name)
        io.write_json(new / "runs.json", {k: v for k, v in runs.items() if k in {n.stem for n in nets}})
        io.write_json(new / "training.json", info)
        if out.exists():
            out.rename(old)
        try:
            new.rename(out)
        except OSError:
            if old.exists():
                old.rename(out)  # put the old folder back before the temporary one goes
            raise
    return info


def ablation_frame(table: Mapping, log: Sequence[Mapping] = ()) -> pd.DataFrame:
    """The protocol's ablation for people: one row per candidate (and the development ensemble shipped before, as
    replaced or kept by the rule) with its steps, its
    measured-like validation micro-F1 and exact match (what chooses), whether the step was kept, and, where the
    score ``log`` holds it, its one measured micro-F1 with the 95 % CI."""
    logged = {e["fingerprint"]: e for e in log}
    rows = []
    for name, c in table["candidates"].items():
        entry = logged.get(c["fingerprint"])
        measured = "not scored"
        if entry is not None:
            m = entry["scores"]["micro_f1"]
            measured = f"{m['value']:.3f} [{m['lo']:.3f}, {m['hi']:.3f}]"
        chosen = " (chosen)" if name == table.get("chosen") else ""
        rows.append({"recipe": name + chosen, "steps": c["steps"], "micro_f1": c["micro_f1"],
                     "exact_match": c["exact_match"], "kept": "yes" if c.get("kept", True) else "no",
                     "measured": measured})  # fmt: skip
    if "shipped" in table:
        shipped = table["shipped"]
        label = REPLACED if table.get("replace_shipped") else KEPT
        rows.append({"recipe": label, "steps": 0, "micro_f1": shipped["micro_f1"],
                     "exact_match": shipped["exact_match"], "kept": "", "measured": "development"})  # fmt: skip
    return pd.DataFrame(rows)


def status_sentence(table: Mapping | None, ready: Mapping) -> str:
    """Where the protocol's choice stands: which recipe won and whether it replaces the shipped ensemble (and on
    how many training molecules each was trained), or, before it can run, what :func:`readiness` still misses."""
    if table is None:
        c, r = ready["coverage"], ready["reference"]
        typed = (f"The typed re-simulation is complete ({c['typed']:,} validation molecules with mode types)"
                 if c["typed"] >= c["all"] else
                 f"The typed re-simulation covers {c['typed']:,} of the {c['all']:,} validation molecules")  # fmt: skip
        reference = (f"the DFT reference is complete ({r['all']:,} molecules)" if r["have"] >= r["all"]
                     else f"the DFT reference covers {r['have']:,} of its {r['all']:,} molecules")  # fmt: skip
        return (f"{typed} and {reference}; the protocol trains and scores no candidate before both are complete "
                "and the corrections are derived from them, so none has been trained or scored yet.")  # fmt: skip
    text = f"The rule chose *{table['chosen']}*"
    p = table.get("protocol", {})
    if "n_train" in p and "shipped_n_train" in p:
        text += (f" (the candidates trained on {p['n_train']:,} molecules of the typed re-simulation, the development "
                 f"ensemble shipped before on {p['shipped_n_train']:,} of the earlier one)")  # fmt: skip
    if table["replace_shipped"]:
        return text + (". It beats the development ensemble on the measured-like validation set, so it replaces that "
                       "ensemble as the shipped one.")  # fmt: skip
    return text + (". It does not beat the development ensemble on the measured-like validation set, so that ensemble "
                   "stays the shipped one.")  # fmt: skip


# --------------------------------------------------------------------------- command line
DEFAULT_TYPED = "book/ir/data/nist_xtb_modes"
DEFAULT_TABLE = "book/ir/results/recipe_selection.json"
#: The candidates' nets (``<fingerprint>/seed<k>.pt`` + ``runs.json``, 124 kB a net): committed as each seed
#: finishes, so the selection resumes on any clone and the measured score can be recomputed from them.
DEFAULT_MODELS = "book/ir/results/recipe_models"
DEFAULT_LOG = "book/ir/results/measured_scores.json"


def _select(args) -> int:
    import torch

    torch.set_num_threads(args.threads)
    table = run(args.out, args.models, args.seeds, args.max_epochs)
    for name, c in table["candidates"].items():
        print(f"{name}: micro-F1 {c['micro_f1']:.3f}, exact match {c['exact_match']:.3f}"
              f"{'' if c['kept'] else ' (step not kept)'}")  # fmt: skip
    verdict = "replaces" if table["replace_shipped"] else "does not replace"
    print(f"chosen: {table['chosen']}; it {verdict} the shipped ensemble "
          f"(micro-F1 {table['shipped']['micro_f1']:.3f} on the same set)")  # fmt: skip
    return 0


def _read_table(path: Path) -> dict:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no selection table; run python -m lib recipe-select first")
    return json.loads(Path(path).read_text())


def _score(args) -> int:
    from lib.ir.transfer_ablation import _commit

    table = _read_table(args.table)
    entry = score_measured(table, args.log, args.recipe, commit=_commit())
    print(f"{entry['recipe']}: micro-F1 {entry['scores']['micro_f1']['value']:.3f}, exact match "
          f"{entry['scores']['exact_match']['value']:.3f} on the measured spectra (logged in {args.log})")  # fmt: skip
    return 0


def _install(args) -> int:
    from lib.ir.transfer_ablation import _commit

    table = _read_table(args.table)
    info = install(table, args.out, commit=_commit(), log=args.log)
    print(f"installed {info['recipe']} ({len(info['seeds'])} nets) into {args.out or 'lib/weights/fga'}")
    return 0


def add_select_arguments(p) -> None:
    """The arguments of ``python -m lib recipe-select``."""
    p.add_argument("--out", type=Path, default=Path(DEFAULT_TABLE), help=f"the table (default {DEFAULT_TABLE})")
    p.add_argument("--models", type=Path, default=None, help=f"model root (default {DEFAULT_MODELS})")
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    p.add_argument("--max-epochs", type=int, default=None, help="default: the shipped ensemble's")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.set_defaults(func=_select)


def add_score_arguments(p) -> None:
    """The arguments of ``python -m lib recipe-score``."""
    p.add_argument("--table", type=Path, default=Path(DEFAULT_TABLE), help="the selection table")
    p.add_argument("--log", type=Path, default=Path(DEFAULT_LOG), help="the measured-score log")
    p.add_argument("--recipe", default=None, help="a candidate's name (default: the chosen one)")
    p.set_defaults(func=_score)


def add_install_arguments(p) -> None:
    """The arguments of ``python -m lib recipe-install``."""
    p.add_argument("--table", type=Path, default=Path(DEFAULT_TABLE), help="the selection table")
    p.add_argument("--out", type=Path, default=None, help="the shipped folder (default lib/weights/fga)")
    p.add_argument("--log", type=Path, default=Path(DEFAULT_LOG), help="the measured-score log")
    p.set_defaults(func=_install)
