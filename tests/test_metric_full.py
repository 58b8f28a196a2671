"""Full-scale metric learning: records of the three parts, error recounting, pausing, and the shipped records."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from lib import __main__ as cli
from lib.synthetic import full_scale
from lib.synthetic import generator as synthetic
from lib.synthetic import metric_full as mf

CONFIG = replace(mf.CONFIG, max_epochs=2)


def quiet(message: str) -> None:
    pass


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, one_thread):
    """Ten classes of 400 points; a 2-epoch main run (with 20 mixtures per size) and an unseen-class run."""
    root = tmp_path_factory.mktemp("metric_full")
    classes = synthetic.generate_classes(n_classes=10, datapoints=400, seed=7)
    classes.to_json(root / "classes.json")
    records = {
        part: mf.run(mf.MetricRun(part), classes, root / "out", root / part, CONFIG, "cpu", False, mix_n=20, log=quiet)
        for part in ("main", "unseen")
    }
    return {"root": root, "classes": classes, "records": records}


def test_main_record(tiny):
    r = tiny["records"]["main"]
    assert r["part"] == "main" and r["model"] == "Lite" and r["bf16"] is True
    assert r["n_classes"] == 10 and r["points"] == 400 and r["n_train"] == 500
    assert r["n_test"] == len(r["test_pred"]) == 90 and r["epochs"] == 2 and len(r["history"]) == 2
    y = full_scale.test_labels(10)
    assert r["test_errors"] == int((np.array(r["test_pred"]) != y).sum())
    assert r["k"] in (1, 3, 5, 7, 9) and set(r["val_accuracy_by_k"]) == {"1", "3", "5", "7", "9"}
    assert 0 <= r["distances"]["auc"] <= 1 and r["distances"]["n_pos"] > 0
    mix = r["mixtures"]
    assert {row["components"] for row in mix["accuracy"]} == {2, 3, 4}
    # C(10, k) is small, so the exact classifier ran beside beam and greedy search
    assert {row["method"] for row in mix["search"]} == {"exact", "beam 16", "greedy"}
    assert len(mix["check"]) == 3


def test_unseen_record_scores_only_unseen_classes(tiny):
    r = tiny["records"]["unseen"]
    assert len(r["seen_classes"]) == 8 and len(r["unseen_classes"]) == 2
    assert not set(r["seen_classes"]) & set(r["unseen_classes"])
    assert r["n_test"] == 18 and r["n_train"] == 400  # trained on the 8 seen classes only
    assert [row["references per class"] for row in r["unseen_table"]] == list(mf.UNSEEN_REFS)
    assert r["unseen_table"][-1]["test errors"] == r["test_errors"]
    y = mf.test_labels(r)
    assert sorted(set(y.tolist())) == [0, 1] and len(y) == 18


def test_load_records_recounts_and_names_file_and_field(tiny, tmp_path):
    records = mf.load_records(tiny["root"] / "out")
    assert set(records) == {"Lite-bf16-main-s0", "Lite-bf16-unseen-s0"}
    table = mf.runs_table(records)
    assert table.loc["Lite-bf16-unseen-s0", "classes trained"] == 8
    bad = dict(tiny["records"]["main"], test_errors=tiny["records"]["main"]["test_errors"] + 1)
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r"bad\.json: field 'test_errors'"):
        mf.read_checked(tmp_path / "bad.json")
    del bad["k"]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r"bad\.json: field 'k' is missing"):
        mf.read_checked(tmp_path / "bad.json")
    assert mf.load_records(tmp_path / "absent") == {}


def test_rendering_beside_v24(tiny, tmp_path):
    records = mf.load_records(tiny["root"] / "out")
    with pytest.raises(ValueError, match="challenge"):
        mf.v24_summary(records)
    challenge = dict(tiny["records"]["main"], part="challenge", n_test=162, test_pred=[0] * 162)
    challenge["test_errors"] = int((np.array(challenge["test_pred"]) != full_scale.test_labels(27, "challenge")).sum())
    records["Lite-bf16-challenge-s0"] = dict(challenge, n_classes=27, test_accuracy=1 - challenge["test_errors"] / 162)
    records["CNN-BN-challenge-s0"] = dict(records["Lite-bf16-challenge-s0"], model="CNN-BN", test_accuracy=0.123)
    table = mf.v24_summary(records)  # the challenge run of the main run's encoder, not the first by name
    assert table.loc["challenge set", "ours, V24's method"] == records["Lite-bf16-challenge-s0"]["test_accuracy"]
    main, unseen = tiny["records"]["main"], tiny["records"]["unseen"]
    assert table.loc["benchmark, 100 %", "ours, V24's method"] == main["test_accuracy"]
    assert table.loc["unseen classes, 20 refs", "ours, V24's method"] == unseen["test_accuracy"]
    assert table.loc["unseen classes, 20 refs", "V24"] == pytest.approx(0.99667)
    assert table.loc["mixture of 4, ≥ 4 right", "V24"] == pytest.approx(0.594)
    # the exact classifier ran for every k of ten classes, so Table 1 shows it
    assert mf.mixture_methods(main) == {2: "exact", 3: "exact", 4: "exact"}
    assert list(mf.table1(main).columns.get_level_values(0).unique()) == ["2 components", "3 components",
                                                                          "4 components"]  # fmt: skip
    text = mf.full_sentence(records)
    assert f"gets {main['test_errors']} of 90 test spectra wrong" in text and "in bfloat16" in text
    assert "1 thread" in text and "1 threads" not in text
    assert "of the other 2 with 20 references each" in text and "On the challenge set" in text
    assert mf.full_sentence({}) == "No full-scale run is shipped."
    speed = {"machine": "CPU", "settings": {}, "rows": [{"encoder": "Lite", "spectra per s": 10.0}]}
    shown = mf.view(records, tiny["classes"], speed)
    assert shown.main == main and shown.challenge is records["Lite-bf16-challenge-s0"]
    assert shown.glue["fs_n_targets"] == len(shown.targets) and "fs_main_acc" not in shown.glue  # the chapter's
    assert int(shown.pairs["test spectra"].sum()) == main["test_errors"]
    assert len(shown.challenge_by_kind) == 3 and shown.glue["fs_speed"].endswith("Lite is the fastest.")
    assert shown.glue["fs_distances"].startswith("Same-class test pairs lie at a median distance of")
    assert mf.unseen_table(unseen).index.tolist() == list(mf.UNSEEN_REFS)
    t1 = mf.table1(main)
    assert ("2 components", "Lite encoder") in t1.columns
    short = mf.shortfall_sentence(t1)
    n_below = int((t1.xs("V24", axis=1, level=1) > t1.xs("Lite encoder", axis=1, level=1)).sum().sum())
    assert (
        short.startswith(f"The shipped encoder stays below V24's figures in {n_below} of 9 rows")
        if n_below
        else "all 9" in short
    )
    assert "not V24's protocol" in short


def test_fresh_main_run_is_the_beyond_the_paper_column(tiny, tmp_path):
    spec = mf.MetricRun("main", fresh=True)
    assert spec.name == "Lite-fresh-bf16-main-s0"
    record = mf.run(spec, tiny["classes"], tmp_path, tmp_path / "ckpt", CONFIG, "cpu", False, log=quiet)
    assert record["fresh"] is True and "mixtures" not in record and record["n_train"] == 500
    # fresh spectra differ from the fixed set, so the history differs from the fixed-set run's
    assert record["history"][0]["train_loss"] != tiny["records"]["main"]["history"][0]["train_loss"]
    records = {**mf.load_records(tiny["root"] / "out"), spec.name: record}
    assert mf.pick(records, "main")["fresh"] is False and mf.pick(records, "main", fresh=True) is record
    challenge = dict(tiny["records"]["main"], part="challenge", n_classes=27, n_test=162, test_pred=[0] * 162,
                     test_errors=156, test_accuracy=6 / 162)  # fmt: skip
    table = mf.v24_summary({**records, "c": challenge})
    assert table.loc["benchmark, 100 %", "ours, beyond the paper"] == record["test_accuracy"]
    assert "Trained on fresh random spectra every epoch" in mf.full_sentence(records)


def test_command_line_pauses_then_finishes(tiny, tmp_path, capsys):
    args = ["synthetic", "metric-full", "--part", "challenge", "--classes", str(tiny["root"] / "classes.json"),
            "--max-epochs", "2", "--no-progress", "--device", "cpu", "--out", str(tmp_path / "out"),
            "--checkpoint-dir", str(tmp_path / "ckpt")]  # fmt: skip
    assert cli.main([*args, "--hours", "0"]) == 0
    assert "paused after epoch 1" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()
    assert cli.main(args) == 0
    record = mf.read_checked(tmp_path / "out" / "Lite-bf16-challenge-s0.json")
    assert record["epochs"] == 2 and record["resumed_from"] == 1 and record["rules"] == "challenge"
    assert cli.main([*args[:-2], "--encoder", "CNN7"]) == 2
    assert "not a benchmark network" in capsys.readouterr().err


def test_bad_settings_are_refused(tiny):
    with pytest.raises(ValueError, match="part"):
        mf.MetricRun("mixtures")
    with pytest.raises(ValueError, match="per_class"):
        mf.MetricRun(per_class=0)
    with pytest.raises(ValueError, match="another run"):
        mf.run(mf.MetricRun("main", seed=1), tiny["classes"], tiny["root"] / "o2", tiny["root"] / "main", CONFIG,
               "cpu", False, log=quiet)  # fmt: skip


def test_shipped_records_are_consistent():
    records = mf.load_records()  # the repository's book/synthetic/results/full/metric, checked file by file
    assert {r["part"] for r in records.values()} == set(mf.PARTS)  # the chapter renders all three
    for name, r in records.items():
        assert name == mf.MetricRun(r["part"], r["model"], r["seed"], bf16=r["bf16"], fresh=r.get("fresh", False)).name
        assert r["points"] == 5000 and r["n_classes"] == (27 if r["part"] == "challenge" else 500)


def test_encoder_speed_record(tmp_path, one_thread):
    record = mf.write_encoder_speed(tmp_path / "speed.json", encoders=("Lite", "CNN2"), steps=1, input_len=400)
    assert mf.load_speed(tmp_path / "speed.json")["rows"] == record["rows"]
    with pytest.raises(FileNotFoundError, match="--encoder-speed"):
        mf.load_speed(tmp_path / "absent.json")
    assert {r["encoder"] for r in record["rows"]} == {"Lite", "CNN2"} and all(
        r["spectra per s"] > 0 for r in record["rows"]
    )
    fastest = max(record["rows"], key=lambda r: r["spectra per s"])["encoder"]
    assert mf.speed_sentence(record).endswith(f"{fastest} is the fastest.")


def test_seeds_sentence_gives_mean_sd_and_judges_the_target_only_with_enough_seeds():
    base = {"model": "Lite", "n_test": 4500, "stopped_early": True, "time_capped": False}
    main = [dict(base, part="main", seed=s, test_errors=e) for s, e in ((0, 29), (1, 20))]
    unseen = [dict(base, part="unseen", seed=0, n_test=900, test_errors=0)]
    records = {f"r{i}": r for i, r in enumerate(main + unseen)}
    text = mf.seeds_sentence(records)
    assert "on the whole benchmark 99.46 ± 0.14 % (seeds 0, 1: 99.36, 99.56 %" in text
    assert "on the unseen classes 100.00 % (seed 0: 100.00 %" in text
    assert text.endswith("is not yet testable (2 converged seeds).")
    records["r3"] = dict(base, part="main", seed=2, test_errors=10)
    assert mf.seeds_sentence(records).endswith("over 3 seeds, is met.")
    records["r3"] = dict(base, part="main", seed=2, test_errors=40)
    assert mf.seeds_sentence(records).endswith("over 3 seeds, is missed.")
    # a time-capped seed does not count
    records["r3"] = dict(records["r3"], stopped_early=False, time_capped=True, test_errors=0)
    assert "(2 converged seeds)" in mf.seeds_sentence(records)
    assert mf.seeds_sentence({}) == ""
    assert "usual limit" not in text


def test_a_seed_trained_past_the_usual_epoch_limit_is_named_with_its_limit_and_ending():
    history = [{"epoch": e, "improved": True} for e in range(1, 61)]
    config = {"max_epochs": 100}
    r = {
        "part": "main",
        "seed": 2,
        "epochs": 60,
        "best_epoch": 54,
        "stopped_early": True,
        "config": config,
        "history": history,
    }
    note = mf.limit_note(r)
    limit = mf.CONFIG.max_epochs
    assert note == (
        f"Seed 2 (main) was trained past the usual limit of {limit} epochs (limit 100) because it was "
        "still improving there; early stopping ended it at epoch 60 (best 54)."
    )
    history[limit - 1]["improved"] = False
    assert "because" not in mf.limit_note(r)
    assert mf.limit_note(dict(r, config={"max_epochs": limit})) == ""
    assert mf.limit_note(dict(r, epochs=16, best_epoch=10)) == ""  # a higher limit it never reached
    base = {"model": "Lite", "n_test": 4500, "stopped_early": True, "time_capped": False, "test_errors": 20}
    records = {"a": dict(base, part="main", seed=0), "b": dict(base, **r)}
    assert mf.seeds_sentence(records).endswith(mf.limit_note(r))
