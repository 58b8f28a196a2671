"""The protocol's recipe selection: candidates, their physics, the rule, and one measured score per recipe."""

from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from lib.ir import linesets, mode_physics, protocol, selection, transfer
from lib.ir.mode_physics import Correction, ModePhysics
from lib.ir.simulate import load_shard, shard_path

CORRECTIONS = {"C#N": Correction(0.93, 0.01, -2.0, 0.5), "def": Correction(float("nan"), 0.0, 0.0, 0.0)}


def test_candidates_are_cumulative_and_fixed_before_training():
    assert [r.steps for r in selection.RECIPES] == [0, 1, 2, 3]
    assert len({r.name for r in selection.RECIPES}) == len(selection.RECIPES)


def test_each_recipe_switches_on_only_its_corrections():
    base = transfer.Physics(scale=0.98, fwhm=60.0)
    plain, freq, inten, contours = (selection.recipe_physics(r, base, CORRECTIONS) for r in selection.RECIPES)
    assert plain is base
    assert isinstance(freq, ModePhysics) and not freq.contours and freq.base == base
    assert freq.corrections["C#N"].freq_factor == 0.93 and freq.corrections["C#N"].log_intensity_shift == 0
    assert inten.corrections["C#N"].log_intensity_shift == -2.0 and inten.corrections["C#N"].log_intensity_sd == 0.5
    assert not inten.contours and contours.contours and contours.q_share == 0.3
    only_intensity = selection.Recipe("i", "", intensities=True)
    c = selection.recipe_physics(only_intensity, base, CORRECTIONS).corrections["C#N"]
    assert math.isnan(c.freq_factor) and c.log_intensity_shift == -2.0


def test_ablation_keeps_a_step_only_for_a_gain_of_the_tie():
    assert selection.kept_steps([0.70, 0.706, 0.709, 0.60]) == [True, True, False, False]
    assert selection.kept_steps([0.7082, 0.7132]) == [True, True]  # exactly the tie, whatever the float error


def test_the_winner_replaces_the_shipped_ensemble_only_when_it_beats_it():
    candidates = {"a": {"micro_f1": 0.70, "exact_match": 0.30, "steps": 0},
                  "b": {"micro_f1": 0.72, "exact_match": 0.31, "steps": 2}}  # fmt: skip
    assert selection.decide(candidates, {"micro_f1": 0.60, "exact_match": 0.2}) == {
        "chosen": "b", "replace_shipped": True}  # fmt: skip
    # within the tie and no better exact match: the shipped ensemble stays
    assert selection.decide(candidates, {"micro_f1": 0.716, "exact_match": 0.31})["replace_shipped"] is False
    assert selection.decide(candidates, {"micro_f1": 0.716, "exact_match": 0.30})["replace_shipped"] is True


def test_score_is_the_ensemble_at_the_threshold():
    y = np.array([[1, 0], [0, 1]])
    probs = np.array([[[0.9, 0.2], [0.1, 0.4]], [[0.7, 0.1], [0.3, 0.8]]])  # mean: [[.8,.15],[.2,.6]]
    s = selection.score(probs, y)
    # member 0 misses the second spectrum's group (F1 2/3); member 1 and the mean get everything right
    assert s["micro_f1"] == 1.0 and s["exact_match"] == 1.0 and s["member_micro_f1"] == [0.6667, 1.0]


def _first_molecules(source: str, folder, n: int = 80):
    shard = load_shard(shard_path(source, 0))
    shard["records"], shard["count"] = shard["records"][:n], n
    with gzip.open(shard_path(folder, 0), "wt") as handle:
        json.dump(shard, handle)
    return folder


@pytest.fixture(scope="module")
def small_typed(tmp_path_factory):
    """The first 80 molecules of the typed index as one shard: a tiny, incomplete typed index."""
    return _first_molecules("book/ir/data/nist_xtb_modes", tmp_path_factory.mktemp("typed"))


def test_validation_versions_render_each_source_with_its_physics(small_typed, tmp_path):
    from lib.models import fga
    from lib.reference import r23_grid

    small_dev = _first_molecules("book/ir/data/nist_xtb", tmp_path)  # the development simulation, untyped
    index = linesets.default_paths()["index"]
    torch.manual_seed(0)
    nets = [fga.FGANet().eval() for _ in range(2)]
    table, sizes = selection.validation_versions({"two": nets, "one": nets[:1]}, small_dev, small_typed, index)
    assert list(table.index) == ["two", "one"]
    for version, source in ((1, small_dev), (selection.VALIDATION_VERSION, small_typed)):
        val = linesets.nist_lines(source, index)["val"]
        assert sizes[version] == len(val) > 0
        x = protocol.measured_like(val, r23_grid(), version=version)
        for name, members in (("two", nets), ("one", nets[:1])):
            expected = selection.score(np.stack([fga.predict_proba(m, x) for m in members]), val.y)
            assert table.loc[name, f"micro-F1, version {version}"] == expected["micro_f1"]
            assert table.loc[name, f"exact match, version {version}"] == expected["exact_match"]


def test_run_refuses_an_incomplete_validation_part(small_typed, tmp_path):
    with pytest.raises(ValueError, match="18 of the 1222 validation molecules have mode types"):
        selection.run(tmp_path / "t.json", tmp_path / "m", typed=small_typed)


def test_readiness_names_what_is_missing(small_typed, tmp_path):
    reference = tmp_path / "dft"
    reference.mkdir()
    (reference / "part-000.json.gz").write_bytes(shard_path("book/ir/data/dft_modes", 0).read_bytes())
    ready = selection.readiness(small_typed, linesets.default_paths(), reference)
    planned = len(pd.read_csv("book/ir/data/dft_molecules.csv"))
    assert ready["reference"]["have"] == 10 and ready["reference"]["all"] == planned > 10
    assert ready["corrections_current"] is None and len(ready["problems"]) == 2
    assert f"10 of the {planned} DFT reference molecules" in ready["problems"][1]


def test_run_trains_scores_and_decides_and_resumes(small_typed, tmp_path):
    recipes = selection.RECIPES[::3]  # the shipped recipe and the full one, to keep the test short
    out, models, log = tmp_path / "selection.json", tmp_path / "models", tmp_path / "scores.json"
    settings = dict(seeds=(0,), max_epochs=1, typed=small_typed, require_complete=False, log=log)
    with pytest.raises(ValueError, match="would train the same physics"):
        twin = selection.Recipe("twin", "the shipped recipe again")
        selection.run(out, models, recipes=(recipes[0], twin), **settings)
    table = selection.run(out, models, recipes=recipes, **settings)
    assert json.loads(out.read_text()) == json.loads(json.dumps(table))
    assert list(table["candidates"]) == [r.name for r in recipes]
    assert table["protocol"]["coverage"]["typed"] < table["protocol"]["coverage"]["all"]
    assert table["protocol"]["max_epochs"] == 1 and table["protocol"]["validation_version"] == 2
    assert table["protocol"]["readiness"]["problems"] and len(table["protocol"]["commit"]) >= 40
    full = table["candidates"][recipes[1].name]
    assert full["physics"]["contours"] is True and full["steps"] == 3
    for c in [*table["candidates"].values(), table["shipped"]]:
        assert 0 <= c["micro_f1"] <= 1 and 0 <= c["exact_match"] <= 1
    assert table["chosen"] in table["candidates"] and isinstance(table["replace_shipped"], bool)
    weights = sorted(models.rglob("seed0.pt"))
    assert len(weights) == 2
    for c in table["candidates"].values():  # a candidate's folder holds its nets alone (checkpoints go elsewhere)
        assert {f.name for f in selection.models_folder(c).iterdir()} == {"seed0.pt", "runs.json"}
    stamps = [w.stat().st_mtime_ns for w in weights]
    again = selection.run(out, models, recipes=recipes, **settings)
    assert [w.stat().st_mtime_ns for w in weights] == stamps  # trained seeds are kept, not retrained
    assert again["candidates"] == table["candidates"]

    # a test table is not the protocol's: nothing is scored or installed from it without saying so
    problems = selection.protocol_problems(table)
    assert any("epochs" in p for p in problems) and any("seeds" in p for p in problems)
    with pytest.raises(ValueError, match="not the protocol's"):
        selection.score_measured(table, log, n=200)
    with pytest.raises(ValueError, match="not the protocol's"):
        selection.install({**table, "replace_shipped": True}, tmp_path / "fga", log=log)

    # the winner goes into the shipped folder only when the rule says it replaces the shipped ensemble, and
    # only after its one measured score is logged
    from lib.models.fga import load_ensemble

    shipped = tmp_path / "fga"
    chosen = table["candidates"][table["chosen"]]
    with pytest.raises(ValueError, match="keeps the shipped ensemble"):
        selection.install({**table, "replace_shipped": False}, shipped, log=log, require_protocol=False)
    with pytest.raises(ValueError, match="no measured score"):
        selection.install({**table, "replace_shipped": True}, shipped, log=log, require_protocol=False)
    assert not shipped.exists()
    protocol.record_score(log, table["chosen"], chosen["fingerprint"], {"micro_f1": {"value": 0.5, "lo": 0.4,
                                                                                     "hi": 0.6}})  # fmt: skip
    with pytest.raises(ValueError, match="already has a measured score"):
        selection.run(out, models, recipes=recipes, **settings)  # the choice is not remade after a score
    with pytest.raises(ValueError, match="already has a measured score"):
        selection.score_measured(table, log, recipe=table["chosen"], n=200, require_protocol=False)
    info = selection.install({**table, "replace_shipped": True}, shipped, commit="c" * 40, log=log,
                             require_protocol=False)  # fmt: skip
    assert sorted(p.name for p in shipped.iterdir()) == ["runs.json", "seed0.pt", "training.json"]
    assert info["recipe"] == table["chosen"] and info["physics"] == chosen["physics"]
    assert json.loads((shipped / "training.json").read_text()) == json.loads(json.dumps(info))
    assert info["scores"]["replaced"]["ensemble_micro_f1"] == table["shipped"]["micro_f1"]
    assert info["scores"]["measured"] == {"micro_f1": {"value": 0.5, "lo": 0.4, "hi": 0.6}}
    from lib.ir import sentences  # the chapter describes the installed record as the protocol's

    assert sentences.protocol_installed(info) and f"*{table['chosen']}*" in sentences.shipped_ensemble(info, {}, 0.7)
    assert selection.base_physics(info) == selection.base_physics(selection.shipped_settings())
    assert len(load_ensemble(shipped)) == 1
    with pytest.raises(ValueError, match="no longer holds"):  # a second install over the first
        selection.install({**table, "replace_shipped": True}, shipped, log=log, require_protocol=False)

    # one measured score per recipe, logged with CIs, molecular F1 and every present group; a second is refused
    from lib.ir.weights import published_weights_dir

    try:
        published_weights_dir()
    except FileNotFoundError as err:
        pytest.skip(f"R23's weights unavailable: {err}")
    other = next(name for name in table["candidates"] if name != table["chosen"])
    entry = selection.score_measured(table, log, recipe=other, n=200, require_protocol=False)
    assert entry["recipe"] == other
    assert {"micro_f1", "exact_match", "molecular_f1", "polar_found", "groups"} <= set(entry["scores"])
    assert set(entry["scores"]["others"]) == {"R23", "both"} and "diff" in entry["scores"]["micro_f1"]
    groups = entry["scores"]["groups"]
    assert (
        groups["methyl"]["positives"] > 0 and groups["methyl"]["lo"] <= groups["methyl"]["f1"] <= groups["methyl"]["hi"]
    )
    assert set(entry["scores"]["others"]["R23"]["groups"]) == set(groups)
    with pytest.raises(ValueError, match="already has a measured score"):
        selection.score_measured(table, log, recipe=other, n=200, require_protocol=False)
    with pytest.raises(ValueError, match="not a candidate"):
        selection.score_measured(table, log, recipe="nope", require_protocol=False)


def test_corrections_table_feeds_the_candidates():
    corrections = mode_physics.load_corrections()
    physics = selection.recipe_physics(selection.RECIPES[-1], transfer.Physics(), corrections)
    assert set(physics.corrections) == set(corrections)


def test_ablation_frame_shows_the_choice_and_only_logged_measured_scores():
    table = {"candidates": {"a": {"fingerprint": "k1", "steps": 0, "micro_f1": 0.7, "exact_match": 0.3, "kept": True},
                            "b": {"fingerprint": "k2", "steps": 1, "micro_f1": 0.72, "exact_match": 0.31,
                                  "kept": True}},
             "shipped": {"micro_f1": 0.65, "exact_match": 0.2}, "chosen": "b", "replace_shipped": True}  # fmt: skip
    log = [{"fingerprint": "k2", "scores": {"micro_f1": {"value": 0.71, "lo": 0.64, "hi": 0.78}}}]
    frame = selection.ablation_frame(table, log)
    assert frame["recipe"].tolist() == ["a", "b (chosen)", selection.REPLACED]
    assert frame["measured"].tolist() == ["not scored", "0.710 [0.640, 0.780]", "development"]
    assert "chose *b*. It beats the development ensemble" in selection.status_sentence(table, {})
    assert "so it replaces that ensemble" in selection.status_sentence(table, {})
    kept = {**table, "replace_shipped": False}
    assert selection.ablation_frame(kept, log)["recipe"].tolist()[-1] == selection.KEPT
    assert "does not beat the development ensemble" in selection.status_sentence(kept, {})
    assert "so that ensemble stays the shipped one" in selection.status_sentence(kept, {})
    ready = {"coverage": {"typed": 275, "all": 1222}, "reference": {"have": 10, "all": 111}}
    assert "covers 275 of the 1,222 validation molecules and the DFT reference covers 10 of its 111" in (
        selection.status_sentence(None, ready)
    )
    # one validation molecule that the earlier run had failed on succeeded in the typed one: complete, not "of"
    ready["coverage"] = {"typed": 1223, "all": 1222}
    text = selection.status_sentence(None, ready)
    assert "is complete (1,223 validation molecules with mode types) and the DFT reference covers 10" in text
    ready["reference"]["have"] = 111
    assert "the DFT reference is complete (111 molecules)" in selection.status_sentence(None, ready)
    table["protocol"] = {"n_train": 5800, "shipped_n_train": 6129}
    assert "on 5,800 molecules of the typed re-simulation, the development ensemble shipped before on 6,129" in (
        selection.status_sentence(table, {})
    )


def test_models_are_named_relative_to_the_repository(tmp_path):
    from lib.paths import REPO

    inside = REPO / selection.DEFAULT_MODELS / "abc"
    assert selection.repo_relative(inside) == f"{selection.DEFAULT_MODELS}/abc"
    assert selection.models_folder({"models": selection.repo_relative(inside)}) == inside
    assert selection.repo_relative(tmp_path) == str(tmp_path.resolve())  # outside: absolute, read as it is
    assert selection.models_folder({"models": str(tmp_path)}) == tmp_path
