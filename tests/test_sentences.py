"""The IR chapters' result sentences say what their numbers say."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.ir import sentences


def _compare() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "proportion": [0.4, 0.3, 0.1, 0.05],
            "F1 reweighted": [0.9, 0.8, 0.6, 0.5],
            "F1 plain": [0.92, 0.8, 0.5, 0.3],
            "ΔF1": [-0.02, 0.0, 0.1, 0.2],
            "Δrecall": [0.0, 0.02, 0.2, 0.3],
        }
    )


def test_reweighting_effect_splits_groups_at_the_median_share():
    text = sentences.reweighting_effect(_compare(), n_seeds=3, n_test=107)
    assert "recall by +0.250 on average for the 2 rarer groups" in text
    assert "by +0.010 for the 2 more common ones" in text
    assert "F1 by +0.150 and -0.010" in text
    assert "0.700 reweighted, 0.630 plain" in text
    assert "3 seeds on one test split of 107 spectra" in text


def test_reweighting_effect_names_a_missing_column():
    with pytest.raises(KeyError, match="Δrecall"):
        sentences.reweighting_effect(_compare().drop(columns="Δrecall"), 3, 10)


def test_broadening_fit_gain_both_cases():
    assert "gains nothing" in sentences.broadening_fit_gain(True, 0.0)
    assert "by -0.012," in sentences.broadening_fit_gain(False, -0.0123)


def _early(stopped: bool, seconds: float) -> dict:
    return {"stopped_early": stopped, "seconds": seconds, "spectra": 8000, "train": 5600, "epochs": 20,
            "seconds_per_epoch": seconds / 20, "threads": 1}  # fmt: skip


def test_early_stop_timing_verdicts():
    assert "within the target of 120 s" in sentences.early_stop_timing(_early(True, 100), 50, 120, "idle")
    assert "above the target" in sentences.early_stop_timing(_early(True, 130), 50, 120, "idle")
    capped = sentences.early_stop_timing(_early(False, 90), 20, 120, "busy")
    assert "capped at 20 epochs" in capped and "no verdict on the target" in capped
    assert "8,000 spectra (5,600 for training): **90 s** for 20 epochs, 4.5 s per epoch" in capped


def test_training_data_sentences():
    text = sentences.simulated_training_data(712, 0.98, 30.0, 26)
    assert text.startswith("simulated spectra of 712 molecules (scale 0.98, width 30 cm⁻¹")
    assert "26 molecules sharing a skeleton" in text
    assert "not independent" in sentences.nist_training_data("nist.npz", 8000)


def test_more_molecules_compares_the_two_trainings():
    def info(n, copies, member, ens, held):
        return {"data": {"n_train": n, "shards": ["a"] * (n // 500)}, "copies": copies,
                "scores": {"all_real": {"member_micro_f1_mean": member, "ensemble_micro_f1": ens},
                           "held_out_half": {"ensemble_micro_f1": held}}}  # fmt: skip

    shipped = info(1297, 4, 0.523, 0.548, 0.546)
    text = sentences.more_molecules(shipped, info(5140, 1, 0.505, 0.534, 0.524))
    assert text == (
        "Trained on 5,140 simulated molecules (10 shards, 1 augmented copy per molecule and epoch) instead of "
        "1,297 (4 copies), an ensemble scores 0.51 per model and 0.53 as an ensemble (0.52 on the held-out half), "
        "against 0.52 per model and 0.55 as an ensemble (0.55 on the held-out half) for the shipped one: the change "
        "did not move the ensemble's micro-F1 on all measured spectra by more than 0.02 (-0.014)."
    )
    assert "the change raised" in sentences.more_molecules(shipped, info(5140, 1, 0.6, 0.6, 0.6))
    assert "the change lowered" in sentences.more_molecules(shipped, info(5140, 2, 0.4, 0.4, 0.4))
    plain = {**shipped, "loss": "plain"}
    assert "It used the reweighted loss and the shipped one the plain" in sentences.more_molecules(
        plain, info(5140, 1, 0.505, 0.534, 0.524)
    )


def test_batchnorm_note_by_epoch_length():
    short = sentences.batchnorm_note(300, 128, 40, 6, 45, augment=2560)
    assert "3 batches" not in short and "more than the patience of 6" in short and "20 batches" in short
    long = sentences.batchnorm_note(5716, 128, 40, 6, 45, augment=0)
    assert "45" in long and "within 1 epoch," in long and "runs as published" in long
    unhelped = sentences.batchnorm_note(300, 128, 40, 6, 45, augment=0)
    assert "Set `augment`" in unhelped


def test_threshold_and_same_molecule_notes():
    assert "poorly determined" in sentences.threshold_note(400, 0.9, 3, 5687)
    assert "about the size of R23's" in sentences.threshold_note(5716, 0.9, 30, 5687)
    note = sentences.same_molecules_note("nist", 1235, 1220, 8272, 8125)
    assert "1,235 test molecules here, 1,220 test spectra in R23" in note and "8,272" in note
    assert "not R23's molecules" in sentences.same_molecules_note("curated", 100, 1220, 0, 8125)
