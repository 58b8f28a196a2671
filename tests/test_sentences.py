"""The IR chapters' result sentences say what their numbers say."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert "8,000 spectra (5,600 for training): 90 s for 20 epochs, 4.5 s per epoch" in capped
    assert "*" not in capped and "`" not in capped  # glued as plain text: Markdown would print literally


def test_training_data_sentences():
    text = sentences.simulated_training_data(712, 0.98, 30.0, 26)
    assert text.startswith("simulated spectra of 712 molecules (scale 0.98, width 30 cm⁻¹")
    assert "26 molecules sharing a skeleton" in text
    assert "not independent" in sentences.nist_training_data("nist.npz", 8000)


def test_the_shipped_ensemble_is_described_as_development_until_the_protocol_installs_one():
    from lib.ir.transfer_ablation import shipped_info

    # the development ensemble shipped until the protocol's winner replaced it (its training.json, kept for this test)
    development = json.loads((Path(__file__).parent / "development_training.json").read_text())
    assert not sentences.protocol_installed(development)
    assert sentences.protocol_installed(shipped_info())  # lib/weights/fga holds the protocol's winner now
    assert sentences.shipped_status(development)["sim"].startswith("development")
    assert sentences.shipped_caveat(development).startswith("These are development numbers")
    assert sentences.protocol_look(development).endswith("scored on them once.")
    recipe = sentences.shipped_recipe(development)
    assert recipe.startswith("every step of the transfer table below;") and "protocol" not in recipe
    assert f"renderings of {development['data']['n_train']:,} molecules a seed" in recipe
    text = sentences.shipped_ensemble(development, development, 0.69)
    assert "development numbers all" in text and "R23's models" in text
    assert f"{development['data']['n_train']:,} simulated molecules" in text
    # the protocol's winner (the record python -m lib recipe-install writes; tests/test_selection.py installs one)
    installed = {"recipe": "per-type physics", "description": "corrected per mode type", "seeds": [0, 1, 2],
                 "data": {"n_train": 5000},
                 "scores": {"measured_like_val": {"n": 1222, "ensemble_micro_f1": 0.8123, "ensemble_exact_match": 0.31},
                            "measured": {"micro_f1": {"value": 0.71, "lo": 0.63, "hi": 0.78}},
                            "replaced": {"ensemble_micro_f1": 0.79, "ensemble_exact_match": 0.29}}}  # fmt: skip
    assert sentences.protocol_installed(installed)
    assert sentences.shipped_status(installed)["sim"].startswith("protocol")
    assert "one look" in sentences.shipped_caveat(installed)
    assert "its one score on them is the one above" in sentences.protocol_look(installed)
    assert sentences.shipped_recipe({**installed, "max_epochs": 40, "copies": 4}) == (
        "every step of the transfer table below, then the protocol's steps up to *per-type physics* (selection "
        "table below); 40 epochs over 4 renderings of 5,000 molecules a seed"
    )
    text = sentences.shipped_ensemble(installed, {}, 0.69)
    assert "*per-type physics*" in text and "1,222 measured-like validation spectra" in text
    assert "(micro-F1 0.812, exact match 0.310, against 0.790 and 0.290" in text
    assert "micro-F1 0.71 [0.63, 0.78]" in text and "0.02 below it" in text and "development numbers" not in text


def test_data_size_says_which_training_the_validation_part_chooses():
    def info(n, val, ens, member=0.5, held=0.5, copies=4):
        return {"data": {"n_train": n}, "copies": copies, "max_epochs": 40, "loss": "plain", "physics": {"a": 1},
                "scores": {"all_real": {"member_micro_f1_mean": member, "ensemble_micro_f1": ens},
                           "held_out_half": {"ensemble_micro_f1": held},
                           "simulated_val": {"n": 1222, "ensemble_micro_f1": val}}}  # fmt: skip

    text = sentences.data_size(info(6129, 0.86, 0.57), info(1297, 0.84, 0.57))
    assert text.startswith("Trained with the same recipe on 6,129 simulated molecules (shipped) and on 1,297")
    assert "(1,222 molecules) the ensembles score 0.860 against 0.840; the number of molecules was chosen" in text
    assert "after its measured score had been seen" in text
    assert "On all measured spectra the ensembles score 0.570 against 0.570" in text
    assert "different recipe" in sentences.data_size(info(6129, 0.86, 0.57), info(1297, 0.84, 0.57, copies=1))
    unscored = info(1297, 0.84, 0.57)
    del unscored["scores"]["simulated_val"]
    assert "not measured" in sentences.data_size(info(6129, 0.86, 0.57), unscored)


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


def test_bare_split_run_names_the_stop():
    text = sentences.bare_split_run(8, 2, 0.314)
    assert "after 8 epochs" in text and "at epoch 2" in text and "micro-F1 0.31" in text


def test_shipped_vs_r23_names_the_side_and_the_gap():
    assert sentences.shipped_vs_r23(0.64, 0.70).endswith("0.70 as an ensemble, 0.06 above it.")
    assert sentences.shipped_vs_r23(0.72, 0.70).endswith("0.02 below it.")
    assert "score the same (0.70)" in sentences.shipped_vs_r23(0.701, 0.70)


def test_recompute_check_judges_modes_the_networks_see():
    soft = ([50.0, 1000.0, 3000.0], [56.8, 1000.5, 3000.0])  # a soft mode moves 6.8 cm⁻¹, off the grid
    check = sentences.recompute_check([soft], tolerance=4.0)
    assert check["max_all"] == pytest.approx(6.8) and check["at"] == pytest.approx(56.8)
    assert check["max_grid"] == pytest.approx(0.5) and check["passed"]
    assert check["within_1"] == pytest.approx(2 / 3)
    text = sentences.recompute_sentence(check)
    assert "within the tolerance of 4.0 cm⁻¹" in text and "6.8 cm⁻¹" in text and "`" not in text
    moved = ([1000.0], [1005.0])
    assert not sentences.recompute_check([soft, moved], tolerance=4.0)["passed"]
    with pytest.raises(ValueError, match="molecule 0"):
        sentences.recompute_check([([1.0], [1.0, 2.0])], tolerance=4.0)


def test_dft_reference_names_the_largest_covered_disagreements():
    frame = pd.DataFrame({"type": ["C≡N stretch", "O–H stretch", "C=O stretch"], "molecules": [6, 3, 9],
                          "intensity": [20.0, 0.3, 1.4], "spread": [1.5, 1.2, 1.1], "wavenumber": [1.05, 0.95, 1.0],
                          "used": ["yes", "not yet", "yes"]})  # fmt: skip
    text = sentences.dft_reference(frame, 40, 112, "B3LYP/6-31G*")
    assert text.startswith("40 of the 112 reference molecules")
    assert "C≡N stretch 20× as intense (6 molecules); the C=O stretch 1.4× as intense" in text
    assert "O–H" not in text  # 3 molecules: not enough to enter the corrections
    assert "no mode type has enough" in sentences.dft_reference(frame.iloc[[1]], 3, 112, "B3LYP/6-31G*")
    assert sentences.dft_reference(frame, 90, 90, "B3LYP/6-31G*").startswith("All 90 reference molecules are computed")
    text = sentences.dft_reference(frame, 90, 90, "B3LYP/6-31G*", n_left_out=3)
    assert "computed with B3LYP/6-31G*; 3 of them kept an imaginary mode and stay out of the comparison. The" in text
