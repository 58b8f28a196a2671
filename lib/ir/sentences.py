"""Result sentences of the IR chapters, built from the numbers a chapter computed.

Each function returns one short paragraph for a myst-nb ``glue``; the chapters keep the prose
around it in Markdown.
"""

from __future__ import annotations

import pandas as pd


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


def simulated_training_data(n_molecules: int, scale: float, fwhm: float, excluded: int) -> str:
    """The training data of the simulated setting, with the broadening fitted on real half 1."""
    return (
        f"simulated spectra of {n_molecules} molecules (scale {scale:.2f}, width {fwhm:.0f} cm⁻¹ fitted on half 1 "
        f"of the real spectra; {excluded} molecules sharing a skeleton with a real spectrum left out)"
    )


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
        f"One seed on {early['spectra']:,} spectra ({early['train']:,} for training): **{early['seconds']:.0f} s** "
        f"for {early['epochs']} epochs, {early['seconds_per_epoch']:.1f} s per epoch{capped}, with "
        f"{early['threads']} PyTorch thread(s); {load_note}; {verdict} the target of {target_s:g} s."
    )


def more_molecules(shipped: dict, more: dict) -> str:
    """The shipped ensemble against one trained the same way on more simulated molecules (``training.json``
    records of :func:`lib.ir.transfer_ablation.ship`): molecules, augmented copies, micro-F1 on all real spectra
    and on the half that no fitted setting saw."""

    def scores(info: dict) -> str:
        a, h = info["scores"]["all_real"], info["scores"]["held_out_half"]
        return (f"{a['member_micro_f1_mean']:.2f} per model and {a['ensemble_micro_f1']:.2f} as an ensemble "
                f"({h['ensemble_micro_f1']:.2f} on the held-out half)")  # fmt: skip

    gain = more["scores"]["all_real"]["ensemble_micro_f1"] - shipped["scores"]["all_real"]["ensemble_micro_f1"]
    verdict = "raised" if gain > 0.02 else "lowered" if gain < -0.02 else "did not move"
    return (f"Trained on {more['data']['n_train']:,} simulated molecules ({len(more['data']['shards'])} shards, "
            f"{more['copies']} augmented cop{'y' if more['copies'] == 1 else 'ies'} per molecule and epoch) instead of "
            f"{shipped['data']['n_train']:,} ({shipped['copies']} cop{'y' if shipped['copies'] == 1 else 'ies'}), an "
            f"ensemble scores {scores(more)}, against {scores(shipped)} for the shipped one: the change {verdict} "
            f"the ensemble's micro-F1 on all measured spectra by more than 0.02 ({gain:+.3f}).")  # fmt: skip
