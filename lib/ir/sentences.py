"""Result sentences of the IR chapters, built from the numbers a chapter computed.

Each function returns one short paragraph for a myst-nb ``glue``; the chapters keep the prose
around it in Markdown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.notebook import count


def reweighting_effect(compare: pd.DataFrame, n_seeds: int, n_test: int) -> str:
    """What reweighting the loss did, for the rarer and the more common half of the groups.

    ``compare`` has one row per group with the columns ``proportion``, ``F1 reweighted``,
    ``F1 plain``, ``ΔF1`` and ``Δrecall`` (reweighted minus plain).
    """
    missing = {"proportion", "F1 reweighted", "F1 plain", "ΔF1", "Δrecall"} - set(compare.columns)
    if missing:
        raise KeyError(f"compare lacks the column(s) {sorted(missing)}")
    median = compare["proportion"].median()
    rare, common = compare[compare["proportion"] < median], compare[compare["proportion"] >= median]
    return (
        f"Reweighting changes recall by {rare['Δrecall'].mean():+.3f} on average for the {len(rare)} rarer "
        f"groups and by {common['Δrecall'].mean():+.3f} for the {len(common)} more common ones; F1 by "
        f"{rare['ΔF1'].mean():+.3f} and {common['ΔF1'].mean():+.3f}. Macro-F1 over all groups: "
        f"{compare['F1 reweighted'].mean():.3f} reweighted, {compare['F1 plain'].mean():.3f} plain "
        f"({n_seeds} seeds on one test split of {n_test} spectra, so differences of a few hundredths are "
        "within the noise)."
    )


def simulated_training_data(n_molecules: int, scale: float, fwhm: float, excluded: int, source: str = "") -> str:
    """The training data of the simulated setting, with the broadening fitted on real half 1."""
    of = f" of the {source}" if source else ""
    return (
        f"simulated spectra of {n_molecules:,} molecules{of} (scale {scale:.2f}, width {fwhm:.0f} cm⁻¹ fitted on "
        f"half 1 of the real spectra; {excluded} molecules sharing a skeleton with a real spectrum left out)"
    )


def same_molecules_note(kind: str, n_test: int, r23_test: int, n_index: int, r23_index: int) -> str:
    """What Tables 1-2 compare: R23's molecules (``kind == "nist"``, split as R23 split them) or other molecules."""
    if kind == "nist":
        return (
            f"The test split is made as R23 made theirs, by their seeded 70/15/15 split of the labelled NIST "
            f"index, on R23's molecules: {n_test:,} test molecules here, {r23_test:,} test spectra in R23 (our "
            f"index has {n_index:,} labelled molecules, theirs {r23_index:,} spectra, so the two draws overlap but "
            "are not identical; a few of ours failed in simulation or share a skeleton with a real jcamp "
            "spectrum). The main difference from R23's tables is that our spectra are simulated (GFN2-xTB, "
            "broadened) and theirs measured."
        )
    return (
        "Our test split is drawn from our own molecule set, not R23's molecules, so the tables compare the "
        "method, not the numbers."
    )


def threshold_note(n_train: int, train_f1: float, rare_pos: int, r23_train: int) -> str:
    """How well the training-F1 thresholds are determined, by the size of the training split."""
    about = f"{n_train:,} spectra, micro-F1 {train_f1:.2f} on it at 0.5; the rarest group has {rare_pos} positives"
    if n_train < r23_train / 2:
        return (
            f"Our training split is small ({about}), so thresholds chosen on the training predictions are poorly "
            f"determined; R23 chose them on {r23_train:,} measured spectra."
        )
    return (
        f"Our training split ({about}) is about the size of R23's ({r23_train:,}), so the thresholds rest on "
        "as many spectra as theirs; on simulated spectra, though, the training predictions are cleaner than "
        "on measured ones."
    )


def bare_split_run(epochs: int, best_epoch: int, val_f1: float) -> str:
    """One seed on the bare training split (no augmentation): when early stopping ended it."""
    return (f" One seed trained on the bare training split (no augmentation), exactly as R23: early stopping ends "
            f"it after {epochs} epochs, with the best validation loss at epoch {best_epoch} (validation micro-F1 "
            f"{val_f1:.2f}).")  # fmt: skip


def batchnorm_note(
    n_train: int, batch_size: int, settle_batches: int, patience: int, r23_batches: int, augment: int
) -> str:
    """Whether the first BatchNorm's running variance settles before early stopping can react, given the
    epoch length (``n_train`` spectra, or ``augment`` perturbed ones per epoch when > 0)."""
    per_epoch = -(-n_train // batch_size)
    epochs = -(-settle_batches // per_epoch)
    text = (
        f"R23 had {r23_batches} batches per epoch; our training split of {n_train:,} spectra has {per_epoch}, "
        f"so the running variance settles within {epochs} epoch{'s' if epochs > 1 else ''}"
    )
    if epochs <= patience:
        text += f", inside the patience of {patience}"
        if not augment:
            return text + ": R23's protocol runs as published, with no augmentation."
    else:
        text += f", more than the patience of {patience}: early stopping would fire before validation means anything"
    if augment:
        aug_batches = -(-augment // batch_size)
        text += (
            f". With {augment:,} perturbed spectra per epoch ({aug_batches} batches) it settles within "
            f"{count(-(-settle_batches // aug_batches), 'epoch')}."
        )
    else:
        text += ". Set `augment` to draw more spectra per epoch."
    return text


def nist_training_data(name: str, n_spectra: int) -> str:
    """The training data of the NIST setting, and why its real-spectra test is not independent."""
    return (
        f"the NIST data set `{name}` ({n_spectra} labelled spectra; the real jcamp spectra are NIST spectra too, "
        "so the real-spectra test below is not independent of this training data)"
    )


def broadening_fit_gain(same_models: bool, gain: float) -> str:
    """What choosing the broadening on the test half would have added to the mean micro-F1."""
    if same_models:
        return (
            "Both halves choose the same broadening, so the same models score both halves and fitting on the "
            "test spectra gains nothing here (difference 0.000)."
        )
    return (
        f"The halves choose different broadenings; scoring each half with the models fitted on it changes the "
        f"mean micro-F1 by {gain:+.3f}, which is what choosing the broadening on the test spectra would have added."
    )


def early_stop_timing(early: dict, max_epochs: int, target_s: float, load_note: str) -> str:
    """One seed's training time on a data set of R23's size, against the target.

    ``early`` is :func:`lib.ir.fg.time_early_stop`'s result; ``load_note`` says how busy the
    machine was (:func:`lib.notebook.cpu_load_note`). A run that hit the epoch cap gets no verdict.
    """
    if not early["stopped_early"]:
        verdict, capped = "no verdict on", f" (capped at {max_epochs} epochs: not a full run)"
    else:
        verdict, capped = ("within" if early["seconds"] <= target_s else "above"), ""
    return (
        f"One seed on {early['spectra']:,} spectra ({early['train']:,} for training): {early['seconds']:.0f} s "
        f"for {early['epochs']} epochs, {early['seconds_per_epoch']:.1f} s per epoch{capped}, with "
        f"{count(early['threads'], 'PyTorch thread')}; {load_note}; {verdict} the target of {target_s:g} s."
    )


def data_size(shipped: dict, other: dict) -> str:
    """The shipped ensemble against one trained by the same recipe on a different number of simulated molecules
    (``training.json`` records of :func:`lib.ir.transfer_ablation.ship`): which one the simulated validation part
    chooses, and what both score on the measured spectra."""

    def n(info: dict) -> str:
        return f"{info['data']['n_train']:,}"

    def score(key: str, field: str = "ensemble_micro_f1") -> str:
        return f"{shipped['scores'][key][field]:.3f} against {other['scores'][key][field]:.3f}"

    same = all(shipped.get(k) == other.get(k) for k in ("copies", "max_epochs", "loss", "physics"))
    how = "with the same recipe" if same else "with a different recipe (copies, epochs, loss or physics differ)"
    sim = shipped["scores"].get("simulated_val"), other["scores"].get("simulated_val")
    if sim[0] and sim[1]:
        chosen = (f"On the whole simulated validation part ({sim[0]['n']:,} molecules) the ensembles score "
                  f"{score('simulated_val')}; the number of molecules was chosen on these scores, but the recipe "
                  f"itself (its offsets and water-vapour steps) was chosen after its measured score had been seen, "
                  f"so the measured numbers here are development ones.")  # fmt: skip
    else:
        chosen = "No validation score of both was recorded, so the choice between them is not measured."
    return (f"Trained {how} on {n(shipped)} simulated molecules (shipped) and on {n(other)}. {chosen} On all "
            f"measured spectra the ensembles score {score('all_real')} ({score('held_out_half')} on the half not "
            f"used to fit the band settings), per model {score('all_real', 'member_micro_f1_mean')}.")  # fmt: skip


def shipped_vs_r23(ours: float, r23: float) -> str:
    """How the shipped ensemble's micro-F1 on all real spectra (``ours``) compares with R23's published ensemble
    (``r23``), trained on measured spectra that most likely include these molecules."""
    gap = r23 - ours
    if abs(gap) < 0.005:
        return f"R23's models, trained on measured spectra, score the same ({r23:.2f})."
    side = "above" if gap > 0 else "below"
    return f"R23's models, trained on measured spectra, score {r23:.2f} as an ensemble, {abs(gap):.2f} {side} it."


def recompute_check(
    pairs: list[tuple[object, object]], tolerance: float, lo: float = 500.0, hi: float = 3900.0
) -> dict:
    """Recomputed against shipped mode wavenumbers (cm⁻¹), one ``(fresh, shipped)`` pair per molecule.

    ``max_all`` is the largest difference of any mode (``at``: the shipped wavenumber of that mode);
    ``max_grid`` the largest among modes inside ``[lo, hi]``, the range the networks see; the check
    ``passed`` when ``max_grid <= tolerance``. ``within_1`` is the share of all modes within 1 cm⁻¹.
    """
    import numpy as np

    if not pairs:
        raise ValueError("recompute_check: no molecule was recomputed and shipped with status ok")
    fresh = [np.asarray(f, dtype=float) for f, _ in pairs]
    shipped = [np.asarray(s, dtype=float) for _, s in pairs]
    for k, (f, s) in enumerate(zip(fresh, shipped, strict=True)):
        if f.shape != s.shape:
            raise ValueError(f"recompute_check: molecule {k} has {f.size} recomputed modes and {s.size} shipped")
    diff, ship = np.concatenate([np.abs(f - s) for f, s in zip(fresh, shipped, strict=True)]), np.concatenate(shipped)
    on_grid = (ship >= lo) & (ship <= hi)
    max_grid = float(diff[on_grid].max()) if on_grid.any() else 0.0
    return {
        "n": len(pairs),
        "modes": int(diff.size),
        "max_all": float(diff.max()),
        "at": float(ship[int(diff.argmax())]),
        "max_grid": max_grid,
        "within_1": float((diff <= 1.0).mean()),
        "tolerance": float(tolerance),
        "passed": max_grid <= tolerance,
    }


def recompute_sentence(check: dict) -> str:
    """:func:`recompute_check` as prose with its verdict."""
    verdict = (
        f"within the tolerance of {check['tolerance']:.1f} cm⁻¹ (one step of R23's grid): the shipped spectra "
        "are what this code computes"
        if check["passed"]
        else f"above the tolerance of {check['tolerance']:.1f} cm⁻¹ (one step of R23's grid): the shipped "
        "spectra differ from what this code computes now"
    )
    return (
        f"Recomputed {check['n']} molecules ({check['modes']:,} modes): {100 * check['within_1']:.1f} % of the modes "
        f"are within 1 cm⁻¹ of the shipped ones; the largest difference, {check['max_all']:.1f} cm⁻¹, is that of a "
        f"mode at {check['at']:,.0f} cm⁻¹. Inside the range the networks see (500–3,900 cm⁻¹) the largest is "
        f"{check['max_grid']:.1f} cm⁻¹, {verdict}."
    )


def dft_reference(
    frame: pd.DataFrame, n_done: int, n_planned: int, method: str, shown: int = 3, n_left_out: int = 0
) -> str:
    """How GFN2-xTB's intensities compare with the DFT reference so far (``frame``: :func:`lib.ir.mode_physics.
    reference_frame`), naming the ``shown`` largest disagreements among the types with enough molecules;
    ``n_left_out``: computed molecules that kept an imaginary mode, left out of the comparison."""
    head = (
        f"All {n_planned:,} reference molecules are computed with {method}"
        if n_done >= n_planned
        else f"{n_done:,} of the {n_planned:,} reference molecules are computed with {method} so far"
    )
    if n_left_out:
        head += f"; {n_left_out} of them kept an imaginary mode and stay out of the comparison"
    used = frame[frame["used"] == "yes"].head(shown)
    if not len(used):
        return head + "; no mode type has enough molecules yet for a correction."
    said = [f"the {row.type} {row.intensity:.2g}× as intense ({row.molecules} molecules)" for row in used.itertuples()]
    return f"{head}. The largest disagreements: GFN2-xTB draws " + "; ".join(said) + f", relative to {method}."


def density_fitting(effect: dict) -> str:
    """What density fitting does to the DFT reference's lines (``effect``: :func:`lib.ir.dft.fitting_effect`)."""
    types = "every mode keeps its type" if effect["same_types"] else "some modes change type"
    return (
        f"On the {effect['n']} reference molecules computed both ways ({effect['lines']} lines), density fitting "
        f"moves a line by at most {effect['max_shift']:.2f} cm⁻¹ (median {effect['median_shift']:.2f}) and the "
        f"intensity of a line above 1 km/mol by at most {100 * effect['max_intensity_change']:.1f} %, and a mode "
        f"type's summed intensity in a molecule, the quantity compared with GFN2-xTB, by a factor of at most "
        f"{np.exp(effect['max_type_log_change']):.2f}; {types}."
    )


def protocol_installed(shipped: dict) -> bool:
    """Whether the shipped ensemble's ``training.json`` is the protocol's winner (``python -m lib recipe-install``:
    it carries its one measured score) rather than the earlier development ensemble."""
    return "measured" in shipped.get("scores", {})


def shipped_status(shipped: dict) -> dict[str, str]:
    """How the measured figures of the shipped ensemble (``sim``) and of ``both`` stand, for the chapter's table."""
    if protocol_installed(shipped):
        return {"sim": "protocol: chosen on measured-like validation spectra, scored on these once",
                "both": "its sim half chosen by the protocol"}  # fmt: skip
    return {"sim": "development: chosen while looking at these spectra",
            "both": "development: its sim half was chosen while looking at these spectra"}  # fmt: skip


def shipped_caveat(shipped: dict) -> str:
    """The sentence after the shipped ensemble's targets: whether its measured numbers are development ones."""
    if protocol_installed(shipped):
        return ("These numbers are the protocol's one look: the recipe was fixed on the measured-like validation "
                "set before it met these spectra, and nothing was changed after.")  # fmt: skip
    return ("These are development numbers: its recipe (offsets, water vapour, band width, frequency scale) was "
            "chosen while looking at these spectra, so they flatter it.")  # fmt: skip


def shipped_recipe(shipped: dict) -> str:
    """What the shipped ensemble's recipe adds to the plain simulations and what one seed of it trains on."""
    steps = "every step of the transfer table below"
    if protocol_installed(shipped):
        steps += f", then the protocol's steps up to *{shipped['recipe']}* (selection table below)"
    return (f"{steps}; {shipped['max_epochs']} epochs over {shipped['copies']} renderings of "
            f"{shipped['data']['n_train']:,} molecules a seed")  # fmt: skip


def protocol_look(shipped: dict) -> str:
    """Whether the shipped ensemble's measured score is the protocol's one look or still to come."""
    if protocol_installed(shipped):
        return ("`book/ir/PROTOCOL.md` fixed how the shipped ensemble's recipe was chosen on simulated data only; "
                "its one score on them is the one above.")  # fmt: skip
    return "`book/ir/PROTOCOL.md` fixes how the next recipe is chosen on simulated data only and scored on them once."


def shipped_ensemble(shipped: dict, other: dict, r23_micro_f1: float) -> str:
    """The paragraph on the shipped ensemble (``lib/weights/fga``): how it was trained and chosen and what it scores.

    ``shipped``: its ``training.json``; ``other``: the record of the same recipe on a different number of molecules
    (development ensembles only, :func:`data_size`); ``r23_micro_f1``: R23's ensemble on all measured spectra."""
    seeds = len(shipped["seeds"])
    if not protocol_installed(shipped):
        s = shipped["scores"]
        return (f"The shipped ensemble (`python -m lib predict --model sim`; `lib/weights/fga`, every step, {seeds} "
                f"seeds, trained by `python -m lib transfer-ship` on {shipped['data']['n_train']:,} simulated "
                f"molecules) scores {s['all_real']['member_micro_f1_mean']:.2f} per model and "
                f"{s['all_real']['ensemble_micro_f1']:.2f} as an ensemble on all real spectra, "
                f"{s['held_out_half']['ensemble_micro_f1']:.2f} on the {s['held_out_half']['n']} whose half was not "
                "used to fit its band settings — development numbers all, since its recipe moved after its measured "
                f"score had been seen. {shipped_vs_r23(s['all_real']['ensemble_micro_f1'], r23_micro_f1)} "
                f"{data_size(shipped, other)}")  # fmt: skip
    like, measured, replaced = (shipped["scores"][k] for k in ("measured_like_val", "measured", "replaced"))
    micro = measured["micro_f1"]
    return (f"The shipped ensemble (`python -m lib predict --model sim`; `lib/weights/fga`) is the protocol's recipe "
            f"*{shipped['recipe']}* ({shipped['description']}), {seeds} seeds trained by `python -m lib recipe-select` "
            f"on {shipped['data']['n_train']:,} molecules of the typed re-simulation. The rule chose it on the "
            f"{like['n']:,} measured-like validation spectra (micro-F1 {like['ensemble_micro_f1']:.3f}, exact match "
            f"{like['ensemble_exact_match']:.3f}, against {replaced['ensemble_micro_f1']:.3f} and "
            f"{replaced['ensemble_exact_match']:.3f} for the development ensemble it replaced) before it met the "
            f"measured spectra; its one logged measured score, micro-F1 {micro['value']:.2f} [{micro['lo']:.2f}, "
            f"{micro['hi']:.2f}], is the one above. {shipped_vs_r23(micro['value'], r23_micro_f1)}")  # fmt: skip
