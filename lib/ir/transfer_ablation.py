"""The transfer ablation: cumulative steps from plain simulated spectra to physics-aware, randomised ones,
each trained as a small ensemble and scored on simulated validation spectra and on the real jcamp spectra.

Settings fitted to measured spectra (scale factors, band width and shape) are fitted on one half of the real
spectra (:func:`lib.ir.fg.real_halves`) and scored on the other, both ways; the two held-out halves are pooled
(:func:`lib.ir.fg.score_held_out`). When both halves choose the same setting one ensemble serves both.
Everything else is set on physical grounds, never on the real spectra.

``python -m lib transfer-ablation --out book/ir/results/transfer_ablation.json`` runs it; finished steps
(in the output file) and finished models (under ``--models``) are skipped, so a rerun resumes.
``python -m lib transfer-ship`` (:func:`ship`) trains the shipped ensemble (``lib/weights/fga``) the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from lib import io
from lib.ir import linesets, transfer
from lib.ir.transfer import Physics, Randomise

SCALES = tuple(round(0.93 + 0.01 * i, 2) for i in range(8))  # 0.93 … 1.00
#: Band widths tried (cm⁻¹). The fit of the committed table lands on 60, the edge of this grid, and the measured
#: micro-F1 kept rising up to 150 cm⁻¹ in a later look: the width is not an optimum of anything, only the widest
#: value tried (development: fitted on halves of the measured spectra; see book/ir/PROTOCOL.md).
FWHMS = (10.0, 15.0, 20.0, 30.0, 45.0, 60.0)
SHAPES = ("lorentzian", "pseudo-voigt", "pr")


@dataclass(frozen=True)
class Step:
    """One cumulative step: ``change`` is applied to the previous step's physics, then ``fit`` (keyword arguments
    of :func:`lib.ir.transfer.fit_scaling`; ``"keep"`` keeps the previous value) is fitted on each half."""

    name: str
    description: str
    change: dict = field(default_factory=dict)
    fit: dict | None = None
    add_curated: bool = False  # also train on our curated set (:func:`lib.ir.linesets.add_records`)
    plain_loss: bool = False  # from here on, unweighted binary cross-entropy instead of R23's reweighted loss


#: Physical grounds of the fixed values: GFN2-xTB IR intensities agree with experiment only within about a factor
#: of two (log-normal σ 0.4 per line); NIST's gas-phase spectra carry a few per cent of noise and a drifting
#: baseline of up to ~10 % of the strongest band; harmonic-frequency errors of GFN2-xTB vary from mode to mode by
#: tens of cm⁻¹ (jitter 10 cm⁻¹ per line, scale factors ±0.02 per spectrum); the P/R separation of a gas-phase band,
#: 2.36·√(B·T), is 8–25 cm⁻¹ for rotational constants B of 0.1–1 cm⁻¹ at room temperature; an imperfect
#: background leaves water-vapour and CO₂ bands of a few per cent.
STEPS: tuple[Step, ...] = (
    Step("baseline", "Lorentzian lines of 30 cm⁻¹, unscaled harmonic wavenumbers"),
    Step("scaling", "+ one frequency scale factor (fitted on a half)",
         fit={"scales": SCALES, "high_scales": (None,), "fwhms": "keep"}),
    Step("band shape", "+ band shape and width (fitted on a half)",
         fit={"scales": "keep", "high_scales": "keep", "fwhms": FWHMS, "shapes": SHAPES}),
    Step("noise", "+ intensity noise, baseline drift and white noise",
         change={"intensity_noise": 0.4, "baseline": 0.1, "noise": 0.03}),
    Step("randomisation", "+ per-spectrum scale factors, width, P/R separation and per-line jitter",
         change={"randomise": Randomise(scale=0.02, high_scale=0.02, fwhm=(0.6, 1.6), jitter=10.0,
                                        pr_separation=(8.0, 25.0))}),
    Step("atmosphere", "+ residual water-vapour and CO₂ bands", change={"atmosphere": 0.05}),
    Step("more molecules", "+ the simulated molecules of our curated set in training", add_curated=True),
    Step("plain loss", "+ unweighted binary cross-entropy instead of R23's reweighted loss", plain_loss=True),
    Step("offsets", "+ constant offsets up to 20 % and baseline drift up to 30 % of the strongest band",
         change={"offset": 0.2, "baseline": 0.3}),
    Step("water vapour", "+ water vapour in one spectrum in ten, up to as strong as the strongest band",
         change={"water": 1.0, "water_share": 0.1}),
)  # fmt: skip

#: Why the offsets: a net trained on spectra that return to zero between their bands reads broadband absorbance as
#: evidence for every group (a flat spectrum scores all 17). Measured gas-phase spectra of weak absorbers sit on
#: offsets and drifts of 10–30 % of their strongest band (window reflection and scattering losses, a background
#: taken at another time); the amplitudes are set on these grounds, not on the scores. The failure itself was seen
#: in which real spectra drew the false positives (ozone, water, hydrogen sulfide, chlorobenzene: 4 spectra, half
#: of all false positives); the table reports the step as every other one, on held-out halves.
#: Why water vapour: the comb of water's rotational lines (1,300–1,900 and 3,500–3,950 cm⁻¹) is no functional group,
#: yet a net that has only seen it a few per cent high reads it as many; in a gas cell the sample's own moisture can
#: absorb as strongly as a weak absorber, so heights up to the strongest band are drawn, in one spectrum in ten (a
#: first version with water in every spectrum taught the net to distrust the water regions altogether: carbonyl
#: and O–H bands were missed).

#: Why the plain loss: R23's reweighting (eq. 2) raises the rare groups' positives, trading precision for recall; on
#: spectra unlike the training ones that shows as false positives at the threshold 0.5. It was chosen by the
#: ensemble micro-F1 on the simulated validation part (see the table), not on the real spectra.


def reweighted(steps: Sequence[Step]) -> bool:
    """Whether training after ``steps`` uses R23's reweighted loss (no step so far switched to the plain one)."""
    return not any(step.plain_loss for step in steps)


def _loss_key(reweight: bool) -> dict:
    """The loss's part of a model folder's key: nothing for the reweighted loss, so folders made before the plain
    loss existed keep their names."""
    return {} if reweight else {"reweight": False}


def _loss_name(reweight: bool) -> str:
    return "reweighted" if reweight else "plain"


def _kept(value, current):
    return [current] if value == "keep" else list(value)


def fit_halves(step: Step, physics: list[Physics], pairs: list[list[tuple]], grid: np.ndarray) -> tuple[list, list]:
    """The physics of each half after ``step`` (fitted on that half's pairs when the step fits) and the fit's
    similarity per half (None when nothing is fitted)."""
    out, sims = [], []
    for h in (0, 1):
        base = replace(physics[h], **step.change)
        if step.fit is None:
            out.append(base)
            sims.append(None)
            continue
        fitted, sim = transfer.fit_scaling(
            pairs[h], grid, _kept(step.fit["scales"], base.scale), _kept(step.fit["high_scales"], base.high_scale),
            _kept(step.fit["fwhms"], base.fwhm), base, step.fit.get("shapes"),
        )  # fmt: skip
        out.append(fitted)
        sims.append(sim)
    return out, sims


def _commit() -> str:
    """HEAD, with ``+dirty`` when ``lib/`` has uncommitted changes (the code that ran is then not HEAD's)."""
    here = Path(__file__).parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=here).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", str(here.parent)], capture_output=True,
                               text=True, check=True, cwd=here).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


def score_step(folders: list[Path], real, halves, val_x: np.ndarray, val_y: np.ndarray, groups: list[str]) -> dict:
    """Scores of one step: the ensemble fitted on half ``h`` (``folders[h]``) on the other half, pooled; the
    first ensemble on the nominal simulated validation spectra."""
    from lib.ir import fg
    from lib.models.fga import predict_proba

    ensembles = [fg.load_trained(f) for f in folders]
    pooled = fg.score_held_out([(ensembles[h], real.subset(halves[1 - h])) for h in (0, 1)])
    probs = np.stack([predict_proba(m, val_x) for m in ensembles[0]])
    sim = fg.score_probabilities(val_y, probs, ensembles[0].names, groups)
    out = {}
    for name, score in (("real", pooled), ("simulated_val", sim)):
        out[name] = {
            "member_micro_f1": score["members"]["micro_f1"].tolist(),
            "member_micro_f1_mean": float(score["members"]["micro_f1"].mean()),
            "ensemble_micro_f1": float(score["ensemble"]["micro_f1"]),
            "ensemble_exact_match": float(score["ensemble"]["molecular_perfection"]),
            "ensemble_molecular_f1": float(score["ensemble"]["molecular_f1"]),
            "group_f1": {g: float(v) for g, v in score["groups"]["f1"].items()},
        }
    out["real"]["n"] = int(sum(len(h) for h in halves))
    out["simulated_val"]["n"] = int(len(val_y))
    out["epochs"] = [int(r["epochs"]) for e in ensembles for r in e.runs]
    return out


def _inputs(max_shards: int | None = None):
    """The real spectra, the data paths, the split NIST lines (of the first ``max_shards`` shards when given), the
    real halves and their simulated partners."""
    from lib.ir import datasets, fg, simulate

    real, _ = datasets.real_jcamp()
    paths = linesets.default_paths()
    parts = linesets.nist_lines(paths["shards"], paths["index"], real.inchikeys, max_shards=max_shards)
    halves = fg.real_halves(real)
    records = simulate.load_records(paths["curated_lines"]) + simulate.load_shards(paths["shards"])
    pairs = [transfer.paired_lines(records, real, h) for h in halves]
    return real, paths, parts, halves, pairs


def run(
    out: str | os.PathLike,
    models: str | os.PathLike | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    max_epochs: int = 20,
    patience: int = 0,
    copies: int = 4,
    steps: Sequence[Step] = STEPS,
    only: Sequence[str] | None = None,
    max_shards: int | None = None,
) -> dict:
    """Run the ablation (see the module docstring) and write the table to ``out`` after every step.

    ``patience``: stale epochs before early stopping; 0 (default): none, ``max_epochs`` epochs, the last
    weights kept (:func:`lib.ir.transfer.train_ensemble`). ``max_shards``: train on the first shards only (the
    table's ``protocol`` records how many)."""
    from lib.ir import fg, simulate
    from lib.paths import cache_dir

    out = Path(out)
    models = Path(models) if models else cache_dir("transfer_ablation")
    done = json.loads(out.read_text()) if out.is_file() else {}
    real, paths, parts, halves, pairs = _inputs(max_shards)
    table = {"protocol": {"seeds": list(seeds), "max_epochs": max_epochs, "patience": patience, "copies": copies,
                          "max_shards": max_shards,
                          "n_train": len(parts["train"]), "n_val": len(parts["val"]), "n_real": len(real),
                          "halves_seed": 0, "fit_pairs": [len(p) for p in pairs], "threshold": 0.5},
             "steps": dict(done.get("steps", {}))}  # fmt: skip
    curated = simulate.load_records(paths["curated_lines"])
    physics = [Physics(), Physics()]
    for number, step in enumerate(steps):
        physics, sims = fit_halves(step, physics, pairs, real.grid)
        reweight = reweighted(steps[: number + 1])
        if step.add_curated:
            parts = linesets.add_records(parts, curated, real.inchikeys)
        if step.name in table["steps"] or (only and step.name not in only):
            continue
        start = time.perf_counter()
        folders = []
        for h in (0, 1):
            nominal = transfer.as_irset(parts["train"], real.grid, physics[h])
            key = fg.data_signature(nominal, physics=physics[h].to_dict(), seeds=list(seeds), max_epochs=max_epochs,
                                    patience=patience, copies=copies, **_loss_key(reweight))  # fmt: skip
            folder = models / key  # steps with the same data, physics and loss share their models
            transfer.train_ensemble(parts, physics[h], seeds, folder, real.grid, max_epochs, patience,
                                    reweight=reweight, copies=copies)  # fmt: skip
            folders.append(folder)
        val_x = transfer.render(parts["val"], real.grid, physics[0])
        scores = score_step(folders, real, halves, val_x, parts["val"].y, list(parts["train"].groups))
        table["steps"][step.name] = {
            "description": step.description, "n_train": len(parts["train"]), "physics": [p.to_dict() for p in physics],
            "fit_similarity": sims, "same_on_both_halves": physics[0] == physics[1],
            "loss": _loss_name(reweight),
            "models": [str(f) for f in folders], "seconds": time.perf_counter() - start, "commit": _commit(), **scores,
        }  # fmt: skip
        io.write_json(out, table)
        print(f"{step.name}: real micro-F1 {scores['real']['member_micro_f1_mean']:.3f} (members), "
              f"{scores['real']['ensemble_micro_f1']:.3f} (ensemble); simulated validation "
              f"{scores['simulated_val']['ensemble_micro_f1']:.3f}", flush=True)  # fmt: skip
    io.write_json(out, table)
    return table


def physics_through(
    step_name: str, fit_half: int, pairs: list[list[tuple]], grid: np.ndarray, steps: Sequence[Step] = STEPS
) -> Physics:
    """The cumulative physics of :data:`STEPS` up to and including ``step_name``, fitted on half ``fit_half``."""
    physics = [Physics(), Physics()]
    for step in steps_through(step_name, steps):
        physics, _ = fit_halves(step, physics, pairs, grid)
    return physics[fit_half]


def steps_through(step_name: str, steps: Sequence[Step] = STEPS) -> list[Step]:
    """The steps up to and including ``step_name`` (``ValueError`` listing the names when it is not one)."""
    names = [s.name for s in steps]
    if step_name not in names:
        raise ValueError(f"unknown step {step_name!r}; the steps are {', '.join(names)}")
    return list(steps[: names.index(step_name) + 1])


def ship(
    out: str | os.PathLike,
    through: str = STEPS[-1].name,
    fit_half: int = 0,
    seeds: Sequence[int] = (0, 1, 2),
    max_epochs: int = 20,
    patience: int = 0,
    copies: int = 4,
    models: str | os.PathLike | None = None,
    max_shards: int | None = None,
) -> dict:
    """Train an ensemble with the physics (and loss) of the ablation's steps up to ``through`` (settings fitted to
    measured spectra fitted on half ``fit_half`` of the real spectra) and write its state dicts, ``runs.json`` and
    ``training.json`` (data, physics, protocol, code commit and the scores on the real spectra: on the other
    half, never used for a choice, and on all of them) to ``out``, replacing the nets there. With the same
    settings as :func:`run` and the same model root, the ablation's models of that step are reused."""
    import shutil
    import tempfile

    from lib.ir import fg, simulate
    from lib.paths import cache_dir

    if fit_half not in (0, 1):
        raise ValueError(f"fit_half must be 0 or 1, got {fit_half!r}")
    out = Path(out)
    real, paths, parts, halves, pairs = _inputs(max_shards)
    physics = physics_through(through, fit_half, pairs, real.grid)
    curated = any(step.add_curated for step in steps_through(through))
    reweight = reweighted(steps_through(through))
    if curated:
        parts = linesets.add_records(parts, simulate.load_records(paths["curated_lines"]), real.inchikeys)
    nominal = transfer.as_irset(parts["train"], real.grid, physics)
    key = fg.data_signature(nominal, physics=physics.to_dict(), seeds=list(seeds), max_epochs=max_epochs,
                            patience=patience, copies=copies, **_loss_key(reweight))  # fmt: skip
    folder = (Path(models) if models else cache_dir("transfer_ablation")) / key  # the ablation's models when it ran
    shards = sorted(p.name for p in Path(paths["shards"]).glob("part-*.json.gz"))[:max_shards]
    extra = {"data": {"shards": shards, "index": Path(paths["index"]).name, "n_train": len(parts["train"]),
                      "n_val": len(parts["val"]), "split": "R23's seeded 70/15/15 split of the labelled index",
                      "excluded": "connectivities of the real jcamp spectra",
                      "curated_set": Path(paths["curated_lines"]).name if curated else None}}  # fmt: skip
    transfer.train_ensemble(parts, physics, seeds, folder, real.grid, max_epochs, patience, reweight=reweight,
                            copies=copies, extra=extra)  # fmt: skip
    ensemble = fg.load_trained(folder)
    held = real.subset(halves[1 - fit_half])
    scores = {}
    for name, data in (("held_out_half", held), ("all_real", real)):
        score = fg.score_fixed_set(ensemble, data)
        scores[name] = {"n": len(data), "member_micro_f1": score["members"]["micro_f1"].round(4).tolist(),
                        "member_micro_f1_mean": round(float(score["members"]["micro_f1"].mean()), 4),
                        "ensemble_micro_f1": round(float(score["ensemble"]["micro_f1"]), 4),
                        "ensemble_exact_match": round(float(score["ensemble"]["molecular_perfection"]), 4)}  # fmt: skip
    scores["simulated_val"] = validation_score(ensemble, physics, real, paths, parts if max_shards is None else None)
    command = (f"python -m lib transfer-ship --through {through!r} --fit-half {fit_half} --max-epochs {max_epochs} "
               f"--copies {copies} --seeds {' '.join(map(str, seeds))}"
               + (f" --shards {max_shards}" if max_shards else ""))  # fmt: skip
    info = {"trained_by": command,
            "commit": _commit(), "through_step": through, "fit_half": fit_half, "halves_seed": 0,
            "physics": physics.to_dict(), "loss": _loss_name(reweight),
            "seeds": list(seeds), "max_epochs": max_epochs, "patience": patience,
            "copies": copies, **extra, "scores": scores,
            "note": "scale factors and band width/shape were fitted (cosine similarity) on the fit half of the real "
                    "spectra; all_real includes the fit half; held_out_half is not a clean test either: the "
                    "recipe's later steps were designed from false positives on both halves and several shipped "
                    "versions were scored on it (development, book/ir/PROTOCOL.md); simulated_val (the whole "
                    "validation part of the index, nominal physics) is the only score made without the measured "
                    "spectra"}  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        for f in sorted(folder.glob("seed*.pt")):
            shutil.copy2(f, Path(tmp) / f.name)
        for old in out.glob("*.pt"):
            old.unlink()
        for f in sorted(Path(tmp).glob("*.pt")):
            shutil.move(str(f), out / f.name)
    runs = json.loads((folder / "runs.json").read_text())
    io.write_json(out / "runs.json", runs)
    io.write_json(out / "training.json", info)
    return info


def validation_score(ensemble, physics: Physics, real, paths: dict, parts: dict | None = None) -> dict:
    """Micro-F1 at 0.5 of ``ensemble`` on the whole simulated validation part of the index (every shard, whatever
    the training used; ``parts``: the split lines when already read), rendered with the nominal ``physics``: the
    score that chooses between trainings of one recipe (the real spectra never do)."""
    from lib.ir import fg
    from lib.models.fga import predict_proba

    val = (parts or linesets.nist_lines(paths["shards"], paths["index"], real.inchikeys))["val"]
    probs = np.stack([predict_proba(m, transfer.render(val, real.grid, physics)) for m in ensemble])
    score = fg.score_probabilities(val.y, probs, ensemble.names, list(val.groups))
    return {"n": len(val), "member_micro_f1_mean": round(float(score["members"]["micro_f1"].mean()), 4),
            "ensemble_micro_f1": round(float(score["ensemble"]["micro_f1"]), 4)}  # fmt: skip


def read_table(path: str | os.PathLike) -> dict:
    """A result file of :func:`run` (``ValueError`` naming the file when it has no finished step)."""
    path = Path(path)
    table = json.loads(path.read_text())
    if not table.get("steps"):
        raise ValueError(f"{path}: no finished step")
    return table


def summary_frame(table: dict):
    """One row per finished step (in :data:`STEPS` order): training molecules, micro-F1 on the simulated
    validation spectra and on the real ones (member mean and ensemble), the real ensemble's exact-match share,
    and the change of the real ensemble micro-F1 from the previous row."""
    import pandas as pd

    order = [s.name for s in STEPS]
    names = sorted(table["steps"], key=lambda n: order.index(n) if n in order else len(order))
    rows = {}
    for name in names:
        step = table["steps"][name]
        rows[name] = {
            "change": step["description"], "training molecules": step.get("n_train", table["protocol"]["n_train"]),
            "simulated val., per model": step["simulated_val"]["member_micro_f1_mean"],
            "simulated val., ensemble": step["simulated_val"]["ensemble_micro_f1"],
            "real, per model": step["real"]["member_micro_f1_mean"],
            "real, ensemble": step["real"]["ensemble_micro_f1"],
            "real, exact match": step["real"]["ensemble_exact_match"],
        }  # fmt: skip
    frame = pd.DataFrame(rows).T.rename_axis("step")
    frame["real ensemble gain"] = frame["real, ensemble"].astype(float).diff()
    return frame


def group_frame(table: dict, part: str = "real"):
    """Ensemble F1 per group (rows) and step (columns) on ``part`` (``"real"`` or ``"simulated_val"``)."""
    import pandas as pd

    frame = summary_frame(table)
    return pd.DataFrame({name: table["steps"][name][part]["group_f1"] for name in frame.index})


def describe_gains(frame, column: str = "real, ensemble", threshold: float = 0.01) -> str:
    """One sentence on which steps of :func:`summary_frame` raised or lowered ``column`` by at least ``threshold``
    from the previous step, and by how much; the others are named as changing it less."""
    diff = frame[column].astype(float).diff().iloc[1:].round(6)
    up = [f"{name} ({d:+.3f})" for name, d in diff.items() if d >= threshold]
    down = [f"{name} ({d:+.3f})" for name, d in diff.items() if d <= -threshold]
    flat = [str(name) for name, d in diff.items() if abs(d) < threshold]
    parts = [f"raised it: {', '.join(up)}" if up else "no step raised it by that much"]
    if down:
        parts.append(f"lowered it: {', '.join(down)}")
    if flat:
        parts.append(f"changed it by less than {threshold:.2f}: {', '.join(flat)}")
    return f"Steps that {'; '.join(parts)}."


def loss_sentence(frame, step: str = "plain loss") -> str:
    """The loss step of :func:`summary_frame`, the one choice made on the simulated validation part: what it does
    there and on the real spectra (empty when the table has no such step)."""
    if step not in frame.index or frame.index.get_loc(step) == 0:
        return ""
    before, after = frame.iloc[frame.index.get_loc(step) - 1], frame.loc[step]
    sim = (float(before["simulated val., ensemble"]), float(after["simulated val., ensemble"]))
    real = (float(before["real, ensemble"]), float(after["real, ensemble"]))
    verdict = "so it is kept" if sim[1] > sim[0] else "so it would not have been chosen"
    return (f"The loss step, R23's reweighted loss replaced by the plain one, is chosen on the simulated validation "
            f"part, not on the real spectra: there it moves the ensemble from {sim[0]:.2f} to {sim[1]:.2f}, {verdict}; "
            f"on the real spectra it moves from {real[0]:.2f} to {real[1]:.2f}.")  # fmt: skip


def shipped_info(folder: str | os.PathLike | None = None) -> dict:
    """``training.json`` of the shipped ensemble (default ``lib/weights/fga``)."""
    folder = Path(folder) if folder else Path(__file__).resolve().parent.parent / "weights" / "fga"
    path = folder / "training.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no training record of a shipped ensemble")
    return json.loads(path.read_text())


def _run(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(args.threads)
    run(args.out, args.models, args.seeds, args.max_epochs, args.patience, args.copies, only=args.only,
        max_shards=args.shards)  # fmt: skip
    return 0


def _ship(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(args.threads)
    info = ship(args.out, args.through, args.fit_half, args.seeds, args.max_epochs, args.patience, args.copies,
                max_shards=args.shards)  # fmt: skip
    for name, score in info["scores"].items():
        print(f"{name} ({score['n']} spectra): micro-F1 {score['member_micro_f1_mean']:.3f} (members), "
              f"{score['ensemble_micro_f1']:.3f} (ensemble)")  # fmt: skip
    return 0


def add_ablation_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``python -m lib transfer-ablation``."""
    p.add_argument("--out", type=Path, required=True, help="result JSON (finished steps there are skipped)")
    p.add_argument("--models", type=Path, default=None, help="model root (default _build/cache/transfer_ablation)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--max-epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=0, help="stale epochs before stopping (default 0: none)")
    p.add_argument("--copies", type=int, default=4, help="renderings of the training molecules per epoch")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--only", nargs="+", default=None, help="run only these step names")
    p.add_argument("--shards", type=int, default=None, help="train on the first N shards only (default: all)")
    p.set_defaults(func=_run)


def add_ship_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``python -m lib transfer-ship``."""
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "weights" / "fga")
    p.add_argument("--through", default=STEPS[-1].name, help="last ablation step used (default: the last, all steps)")
    p.add_argument("--fit-half", type=int, default=0, choices=(0, 1), help="half of the real spectra fitted on")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--max-epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=0, help="stale epochs before stopping (default 0: none)")
    p.add_argument("--copies", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shards", type=int, default=None, help="train on the first N shards only (default: all)")
    p.set_defaults(func=_ship)
