"""Full-scale runs: result files, error recomputation, and a killed run that resumes to the same end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lib import __main__ as cli
from lib import tables
from lib.paths import REPO
from lib.synthetic import full_scale
from lib.synthetic import generator as synthetic

SPEC = full_scale.Run("Lite", seed=3, data_seed=1, n_train=6, n_val=2)
EPOCHS = 3


def quiet(message: str) -> None:
    pass


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, one_thread):
    """Four classes of 400 points; one uninterrupted 3-epoch Lite run (checkpoint and result file)."""
    root = tmp_path_factory.mktemp("full")
    classes = synthetic.generate_classes(n_classes=4, datapoints=400, seed=7)
    classes.to_json(root / "classes.json")
    record = full_scale.run(SPEC, classes, root / "out", root / "ckpt", EPOCHS, "cpu", progress=False, log=quiet)
    return {"root": root, "classes": classes, "record": record}


def test_test_labels_are_those_of_generate(benchmark_classes):
    y = full_scale.test_labels(500)
    assert len(y) == 4500 and y[:10].tolist() == [0] * 9 + [1]
    np.testing.assert_array_equal(y, synthetic.deterministic_peaks(benchmark_classes).labels)
    assert len(full_scale.test_labels(27, "challenge")) == 27 * 6


def test_result_file_format(tiny):
    path = tiny["root"] / "out" / "Lite-s3.json"
    record = json.loads(path.read_text())
    assert record == tiny["record"]
    assert (record["model"], record["seed"], record["data_seed"], record["fresh"], record["bf16"]) == (
        "Lite", 3, 1, False, False
    )  # fmt: skip
    assert (record["n_classes"], record["points"], record["n_test"]) == (4, 400, 36)
    assert record["epochs"] == EPOCHS == len(record["history"]) and 1 <= record["best_epoch"] <= EPOCHS
    assert record["config"]["lr"] == 3e-4 and record["config"]["batch_size"] == 128
    assert record["config"]["patience"] == 25 and record["config"]["max_epochs"] == EPOCHS
    assert record["torch"] == torch.__version__ and record["seconds"] > 0 and record["machine"]
    assert record["allocator"] in {"libc", "tcmalloc", "jemalloc", "mimalloc"}
    assert len(record["test_pred"]) == 36 and all(isinstance(p, int) for p in record["test_pred"])
    assert path.stat().st_size < 20_000  # no weights
    assert set(full_scale.REQUIRED) <= set(record)
    # the checkpoint folder holds the recipe and fit's files
    ckpt = tiny["root"] / "ckpt"
    assert {"run.json", "state.pt", "history.json", "model.pt"} <= {p.name for p in ckpt.iterdir()}
    assert json.loads((ckpt / "run.json").read_text())["classes"] == full_scale.classes_digest(tiny["classes"])


def test_load_runs_recomputes_errors(tiny, tmp_path):
    record = dict(tiny["record"])
    y = np.repeat(np.arange(4), 9)
    pred = y.copy()
    pred[[0, 5, 20]] = [1, 2, 3]  # three wrong predictions
    record.update(seed=11, test_pred=pred.tolist(), test_errors=3)
    full = tmp_path / "full"
    full.mkdir()
    (full / "Lite-s11.json").write_text(json.dumps(record))
    (full / "Lite-s3.json").write_text(json.dumps(tiny["record"]))
    df = full_scale.load_runs(full)
    assert df["seed"].tolist() == [11, 3]  # sorted by file name
    assert df["test_errors"].tolist() == [3, int(np.count_nonzero(np.array(tiny["record"]["test_pred"]) != y))]
    assert df.loc[0, "test_accuracy"] == pytest.approx(1 - 3 / 36)
    assert df.loc[0, "n_test"] == 36 and df.loc[0, "file"] == "Lite-s11.json"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.pop("test_pred"), r"Lite-s3\.json: field 'test_pred' is missing"),
        (lambda r: r.update(seed="0"), r"field 'seed' has type str, expected int"),
        (lambda r: r.update(epochs=True), r"field 'epochs' has type bool"),
        (lambda r: r.update(test_pred=r["test_pred"][:-1]), r"field 'test_pred' has 35 entries"),
        (lambda r: r.update(test_pred=[9] * 36), r"field 'test_pred' must hold class numbers 0…3"),
        (lambda r: r.update(test_errors=r["test_errors"] + 1), r"field 'test_errors' is \d+, but 'test_pred' has"),
        (lambda r: r.update(best_epoch=0), r"field 'best_epoch' \(0\) must lie in 1…3"),
        (lambda r: r.update(history=[]), r"field 'history' has 0 epochs"),
        (lambda r: r.update(format=99), r"field 'format' is 99"),
    ],
)
def test_load_runs_names_file_and_field(tiny, tmp_path, change, message):
    record = json.loads(json.dumps(tiny["record"]))
    change(record)
    (tmp_path / "Lite-s3.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match=message):
        full_scale.load_runs(tmp_path)


def test_killed_run_resumes_to_the_same_end(tiny, tmp_path):
    """A process killed (SIGKILL) right after epoch 1's checkpoint, then resumed, ends as the uninterrupted run."""
    classes_path, ckpt, out = tiny["root"] / "classes.json", tmp_path / "ckpt", tmp_path / "out"
    script = textwrap.dedent(f"""
        import os, signal, torch
        torch.set_num_threads(1)
        from lib import train
        from lib.synthetic import full_scale, generator
        fit = train.fit
        def killing_fit(*args, on_epoch_end=None, **kwargs):
            def hook(logs):
                if logs["epoch"] == 1:
                    os.kill(os.getpid(), signal.SIGKILL)
            return fit(*args, on_epoch_end=hook, **kwargs)
        train.fit = killing_fit
        spec = full_scale.Run("Lite", seed=3, data_seed=1, n_train=6, n_val=2)
        full_scale.run(spec, generator.load_classes({str(classes_path)!r}), {str(out)!r}, {str(ckpt)!r}, {EPOCHS},
                       "cpu", progress=False)
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == -9, done.stderr[-2000:]
    assert not (out / "Lite-s3.json").exists()
    saved = torch.load(ckpt / "state.pt", weights_only=True)
    assert saved["trainer"]["epoch"] == 1 and len(saved["trainer"]["history"]) == 1

    record = full_scale.run(SPEC, tiny["classes"], out, ckpt, EPOCHS, "cpu", progress=False, log=quiet)
    first = tiny["record"]
    assert record["resumed_from"] == 1 and first["resumed_from"] == 0
    assert record["test_pred"] == first["test_pred"]
    strip = lambda h: [{k: v for k, v in e.items() if k != "seconds"} for e in h]  # noqa: E731
    assert strip(record["history"]) == strip(first["history"])
    a = torch.load(ckpt / "model.pt", weights_only=True)
    b = torch.load(tiny["root"] / "ckpt" / "model.pt", weights_only=True)
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_checkpoint_of_another_recipe_is_refused(tiny, tmp_path):
    other = full_scale.Run("Lite", seed=3, data_seed=2, n_train=6, n_val=2)
    with pytest.raises(ValueError, match=r"belongs to another run \(differs in data_seed\)"):
        full_scale.run(other, tiny["classes"], tmp_path, tiny["root"] / "ckpt", EPOCHS, "cpu", progress=False)


def test_command_line_pauses_and_skips_finished_runs(tiny, tmp_path, capsys):
    classes = str(tiny["root"] / "classes.json")
    args = ["synthetic", "full-scale", "--model", "Lite", "--seed", "3", "--classes", classes,
            "--max-epochs", "3", "--no-progress", "--device", "cpu"]  # fmt: skip
    # finished: the result file is there, nothing is trained
    assert cli.main([*args, "--data-seed", "1", "--out", str(tiny["root"] / "out")]) == 0
    assert "the run is finished" in capsys.readouterr().out
    # --hours 0 stops after the first epoch, checkpoint kept, no result yet (another data seed: a new run)
    out, ckpt = tmp_path / "out", tmp_path / "ckpt"
    assert cli.main([*args, "--out", str(out), "--checkpoint-dir", str(ckpt), "--hours", "0"]) == 0
    assert "paused after epoch 1" in capsys.readouterr().out
    assert not out.exists() or not list(out.iterdir())
    assert json.loads((ckpt / "history.json").read_text())["history"][0]["epoch"] == 1
    assert cli.main(["synthetic", "full-scale", "--model", "CNN7", "--out", str(out)]) == 2
    assert "not a benchmark network" in capsys.readouterr().err


def test_bf16_run_under_autocast(tiny, tmp_path):
    spec = full_scale.Run("Lite", seed=3, data_seed=1, bf16=True, n_train=6, n_val=2)
    record = full_scale.run(spec, tiny["classes"], tmp_path / "out", tmp_path / "ckpt", 1, "cpu", False, log=quiet)
    assert record["bf16"] is True and (tmp_path / "out" / "Lite-bf16-s3.json").is_file()
    assert record["parameters"] == tiny["record"]["parameters"] and record["macs"] == tiny["record"]["macs"]
    df = full_scale.load_runs(tmp_path / "out")
    assert df["bf16"].tolist() == [True] and df["n_test"].tolist() == [36]
    net = full_scale.Autocast(torch.nn.Linear(3, 2))
    assert net(torch.ones(1, 3)).dtype == torch.float32 and net.net.weight.dtype == torch.float32


def test_run_rejects_bad_settings():
    with pytest.raises(ValueError, match="rules"):
        full_scale.Run("Lite", rules="hard")
    with pytest.raises(ValueError, match="Run.seed"):
        full_scale.Run("Lite", seed=-1)
    assert full_scale.Run("VGG", seed=2, fresh=True).name == "VGG-fresh-s2"
    assert full_scale.Run("VGG", seed=2, fresh=True, bf16=True).name == "VGG-fresh-bf16-s2"
    assert full_scale.default_checkpoints() == REPO / "_build" / "cache" / "full_scale"
    assert isinstance(full_scale.default_classes(), Path)


# --------------------------------------------------------------------------- the challenge set
CHALLENGE = full_scale.Run("Lite", seed=2, data_seed=0, n_train=2, n_val=1, rules="challenge")


@pytest.fixture(scope="module")
def challenge_run(tmp_path_factory, one_thread, challenge_classes):
    """One epoch of Lite on S23's 27 challenge classes at 5,000 points (2 training spectra per class)."""
    root = tmp_path_factory.mktemp("challenge")
    record = full_scale.run(CHALLENGE, challenge_classes, root / "out", root / "ckpt", 1, "cpu", False, log=quiet)
    return {"root": root, "record": record}


def test_challenge_result_file(challenge_run, challenge_classes):
    path = challenge_run["root"] / "out" / "Lite-s2.json"
    record = full_scale.read_run(path)
    assert record == challenge_run["record"]
    assert (record["model"], record["seed"], record["rules"]) == ("Lite", 2, "challenge")
    assert (record["n_classes"], record["points"], record["n_test"], record["epochs"]) == (27, 5000, 162, 1)
    assert record["best_epoch"] == 1 and record["seconds"] > 0 and record["machine"] and record["torch"]
    # test_pred follows the generator's test order: 6 spectra per class, classes in order
    data = CHALLENGE.study(challenge_classes).dataset(challenge_classes)
    np.testing.assert_array_equal(data["y_test"], full_scale.test_labels(27, "challenge"))
    assert len(record["test_pred"]) == len(data["y_test"]) == 162
    wrong = int(np.count_nonzero(np.array(record["test_pred"]) != data["y_test"]))
    df = full_scale.load_runs(path.parent)
    assert df["test_errors"].tolist() == [wrong] == [record["test_errors"]]
    assert df.loc[0, "test_accuracy"] == pytest.approx(1 - wrong / 162)


def test_challenge_training_keeps_the_unit_peak(challenge_classes):
    peaks = CHALLENGE.study(challenge_classes).peaks(challenge_classes)
    for split in ("train", "val"):
        table = peaks[split]
        unit = challenge_classes.heights[table.labels] == 1.0
        assert unit.sum() == len(table.labels)  # one unit peak per spectrum
        assert np.all(table.heights[unit] == 1.0)
        others = (~unit) & (table.positions >= 0)
        assert np.any(table.heights[others] != challenge_classes.heights[table.labels][others])


def test_challenge_defaults_and_command_line(tmp_path, capsys):
    assert full_scale.default_out("challenge") == REPO / "book" / "synthetic" / "results" / "full" / "challenge"
    assert full_scale.default_out() == REPO / "book" / "synthetic" / "results" / "full"
    assert full_scale.default_classes("challenge").name == "synthetic_challenge_classes.json"
    assert full_scale.checkpoint_folder(CHALLENGE) == full_scale.default_checkpoints() / "challenge" / "Lite-s2"
    assert full_scale.checkpoint_folder(SPEC) == full_scale.default_checkpoints() / "Lite-s3"
    with pytest.raises(ValueError, match="dataset must be one of"):
        full_scale.default_out("hard")
    # 27 made-up classes of 400 points under the challenge rules: 50/10 per class, 6 test spectra each
    synthetic.generate_classes(n_classes=27, datapoints=400, seed=5).to_json(tmp_path / "classes.json")
    out = tmp_path / "out"
    args = ["synthetic", "full-scale", "--dataset", "challenge", "--model", "Lite", "--classes",
            str(tmp_path / "classes.json"), "--max-epochs", "1", "--no-progress", "--device", "cpu",
            "--out", str(out), "--checkpoint-dir", str(tmp_path / "ckpt")]  # fmt: skip
    assert cli.main(args) == 0
    record = full_scale.read_run(out / "Lite-s0.json")
    assert (record["rules"], record["n_classes"], record["n_test"], record["points"]) == ("challenge", 27, 162, 400)
    assert (record["n_train"], record["n_val"]) == (50, 10)
    assert f"{out / 'Lite-s0.json'}: {record['test_errors']}/162 test errors, 1 epochs" in capsys.readouterr().out


def test_comparison_of_shipped_and_rerun(challenge_run, tmp_path):
    out = challenge_run["root"] / "out"
    shipped = full_scale.shipped_runs(out)
    record = challenge_run["record"]
    acc = 1 - record["test_errors"] / 162
    assert shipped["file"].tolist() == ["Lite-s2.json"] and shipped.loc[0, "points"] == 5000
    empty = full_scale.shipped_runs(tmp_path / "none")
    assert len(empty) == 0 and list(empty.columns) == full_scale.RUN_COLUMNS
    rerun = pd.DataFrame({"model": ["CNN2-relu", "CNN2-relu", "Lite-relu"], "test_accuracy": [0.5, 0.7, 0.8]})
    table = full_scale.comparison(shipped, rerun, {"CNN6-relu": 0.9}, 200, 40, 5000, 500)
    assert table["setting"].tolist() == [full_scale.SHIPPED, full_scale.RERUN, full_scale.RERUN, full_scale.PUBLISHED]
    assert table["setting"].tolist()[:2] == ["full scale (shipped)", "reduced rerun (this page)"]
    assert table["network"].tolist() == ["Lite (seed 2)", "CNN2-relu", "Lite-relu", "CNN6-relu"]
    assert table["test_accuracy"].tolist() == pytest.approx([acc, 0.6, 0.8, 0.9])
    assert table["runs"].tolist()[:3] == [1, 2, 1] and table["points"].tolist() == [5000, 200, 200, 5000]
    assert table["epochs"].tolist() == ["1 (best 1)", "≤ 40", "≤ 40", "≤ 500"]
    shown = tables.table(table, digits=3).frame  # a count reads "1", never "1.000"; the paper's is a dash
    assert shown["Runs"].tolist() == ["1", "2", "1", tables.MISSING]
    sentence = full_scale.shipped_sentence(shipped, "results/full/challenge")
    right = 162 - record["test_errors"]
    assert sentence == "1 full-scale run is shipped in results/full/challenge."
    runs = full_scale.runs_frame(shipped)
    assert runs.loc[0, ["network", "seed", "right", "epochs", "ended by"]].tolist() == [
        "Lite", 2, f"{right} of 162", "1 (best 1)", "early stopping"]  # fmt: skip
    assert runs.loc[0, "accuracy"] == pytest.approx(100 * acc) and runs.loc[0, "machine"] == record["machine"]
    assert runs.loc[0, "per epoch"] == f"{record['seconds']:.1f} s"
    assert [full_scale.duration(s) for s in (5400, 3599, 61, 29.6)] == ["1.5 h", "60 min", "1 min", "30 s"]
    assert [full_scale.per_epoch(s) for s in (31.1, 9.96, 0.114)] == ["31 s", "10.0 s", "0.1 s"]
    capped = shipped.assign(time_capped=True)
    assert full_scale.comparison(capped, rerun.iloc[:0], {}, 200, 40, 5000, 500)["epochs"].tolist() == [
        "1 (best 1, time limit)"]  # fmt: skip
    assert full_scale.runs_frame(capped).loc[0, "ended by"] == "time limit"
    assert full_scale.shipped_sentence(empty, "x") == "No full-scale run is shipped with the book yet (folder x)."
    assert full_scale.where_sentence(empty) == ""
    mixed = pd.concat([shipped.assign(device="cuda", machine="NVIDIA H200", bf16=False),
                       shipped.assign(device="cpu", machine="Xeon (2 threads)", bf16=True)])  # fmt: skip
    assert full_scale.where_sentence(mixed) == (
        "The shipped runs trained: 1 on one NVIDIA H200 GPU, in float32 as S23 did (cuDNN computes the convolutions "
        "in TF32 there by default); 1 on Xeon (2 threads), in bfloat16 autocast (not S23's float32 arithmetic)."
    )
    assert shipped.loc[0, "device"] == record["device"] == "cpu"
    assert len(full_scale.comparison(empty, rerun.iloc[:0], {}, 200, 40, 5000, 500)) == 0


def test_finish_by_ends_with_the_best_weights(tiny, tmp_path):
    # finish_by 0 h: the run ends after its first epoch, with a result file that says so
    record = full_scale.run(SPEC, tiny["classes"], tmp_path / "out", tmp_path / "ckpt", EPOCHS, "cpu",
                            progress=False, finish_by=0.0, log=quiet)  # fmt: skip
    assert record["time_capped"] and record["epochs"] == 1 and record["config"]["max_epochs"] == 1
    assert json.loads((tmp_path / "out" / f"{SPEC.name}.json").read_text())["test_pred"] == record["test_pred"]
    assert not tiny["record"]["time_capped"]
    with pytest.raises(ValueError, match="not both"):
        full_scale.run(SPEC, tiny["classes"], tmp_path / "o2", None, EPOCHS, "cpu", hours=1, finish_by=1)


def test_gpu_batch_runs_its_slots_side_by_side(tiny, tmp_path):
    from lib.synthetic import gpu_batch

    plan = ((gpu_batch.Job("Lite", 0),), (gpu_batch.Job("Lite", 1), gpu_batch.Job("Lite", 0, "benchmark", True)))
    extra = ("--classes", str(tiny["root"] / "classes.json"), "--data-seed", "1")
    records = gpu_batch.run_plan(plan, tmp_path, 5, "cpu", max_epochs=2, extra=extra)
    assert sorted(r["job"] for r in records) == ["benchmark-Lite-fresh-s0", "benchmark-Lite-s0", "benchmark-Lite-s1"]
    logs = [(tmp_path / "logs" / f"{r['job']}.log").read_text() for r in records]
    assert all(r["returncode"] == 0 for r in records), logs
    runs = full_scale.load_runs(tmp_path / "full")
    assert sorted(runs["model"] + runs["fresh"].map({True: "-fresh", False: ""}) + "-s" + runs["seed"].astype(str)) == [
        "Lite-fresh-s0", "Lite-s0", "Lite-s1"]  # fmt: skip
    assert (runs["epochs"] == 2).all()
    assert json.loads((tmp_path / "batch.json").read_text())["jobs"][0]["command"][3:5] == ["synthetic", "full-scale"]
    with pytest.raises(ValueError, match="minutes must exceed"):
        gpu_batch.run_plan(plan, tmp_path, 0.5, "cpu")


# --------------------------------------------------------------------------- the benchmark per network
def _write(folder: Path, name: str, base: dict, **fields) -> None:
    record = {**json.loads(json.dumps(base)), **fields}
    record["history"] = record["history"][: record["epochs"]]
    (folder / f"{name}.json").write_text(json.dumps(record))


@pytest.fixture()
def shipped_folder(tiny, tmp_path):
    """Four benchmark runs on the tiny classes with known wrong predictions, and one challenge run."""
    base = {k: v for k, v in tiny["record"].items() if k != "time_capped"}  # an older file: no time_capped
    y = np.repeat(np.arange(4), 9)

    def pred(wrong: dict[int, int]) -> list[int]:
        p = y.copy()
        for i, c in wrong.items():
            p[i] = c
        return p.tolist()

    _write(tmp_path, "Lite-s0", base, seed=0, test_pred=pred({0: 1, 10: 0}), test_errors=2, epochs=3, best_epoch=2,
           stopped_early=False, seconds=3600.0, machine="m1")  # fmt: skip
    _write(tmp_path, "Lite-s1", base, seed=1, test_pred=pred({20: 3}), test_errors=1, epochs=2, best_epoch=1,
           stopped_early=True, time_capped=False, seconds=7200.0, machine="m2")  # fmt: skip
    _write(tmp_path, "VGG-s0", base, model="VGG", seed=0, test_pred=pred({1: 1, 30: 2, 31: 2}), test_errors=3,
           epochs=3, best_epoch=3, stopped_early=False, time_capped=True, seconds=1800.0, machine="m1")  # fmt: skip
    _write(tmp_path, "Lite-fresh-s0", base, fresh=True, seed=0, test_pred=y.tolist(), test_errors=0, epochs=1,
           best_epoch=1, stopped_early=True, seconds=360.0, machine="m1")  # fmt: skip
    challenge_y = full_scale.test_labels(27, "challenge")
    _write(tmp_path, "CNN2-s0", base, model="CNN2", rules="challenge", n_classes=27, n_test=162,
           test_pred=challenge_y.tolist(), test_errors=0)  # fmt: skip
    return tmp_path


def test_load_runs_reads_how_runs_ended(shipped_folder):
    df = full_scale.load_runs(shipped_folder).set_index("file")
    assert df.loc["Lite-s0.json", ["stopped_early", "time_capped"]].tolist() == [False, False]  # no field: False
    assert df.loc["VGG-s0.json", ["stopped_early", "time_capped"]].tolist() == [False, True]
    assert df.loc["CNN2-s0.json", "rules"] == "challenge"
    assert [r["file"] for r in full_scale.load_records(shipped_folder, "challenge")] == ["CNN2-s0.json"]
    assert full_scale.ending(True, True) == "time limit" and full_scale.ending(False, False) == "epoch limit"


def test_network_table_beside_s23(shipped_folder, tmp_path_factory):
    shipped = full_scale.shipped_runs(shipped_folder)
    table = full_scale.network_table(shipped, {"CNN2": 38.0, "VGG": 21.6}, published_seeds={"VGG": (19, 31)})
    # S23's order first; CNN2 is a challenge run; VGG's only run was time-capped: labelled, never averaged in
    assert table["network"].tolist() == ["VGG (time-capped)", "Lite", "Lite-fresh"]
    assert table["runs"].tolist() == [1, 2, 1]
    assert table["seeds"].tolist() == ["0", "0, 1", "0"]
    assert table["test_errors"].tolist() == [3.0, 1.5, 0.0]
    assert table["per_seed"].tolist() == ["3", "2, 1", "0"]
    assert table["test_errors_sd"].iloc[1] == pytest.approx(0.7071, abs=1e-4)
    assert table["test_errors_sd"].iloc[[0, 2]].isna().all()
    assert table["s23_per_seed"].tolist() == ["19, 31", "", ""]
    assert table["n_test"].tolist() == [36, 36, 36]
    assert table["test_accuracy"].tolist() == pytest.approx([1 - 3 / 36, 1 - 1.5 / 36, 1.0])
    assert table["s23_test_errors"].iloc[0] == 21.6 and table["s23_test_errors"].iloc[1:].isna().all()
    assert table["epochs"].tolist() == ["3", "3, 2", "1"] and table["best_epoch"].tolist() == ["3", "2, 1", "1"]
    assert table["ended"].tolist() == ["time limit", "1 epoch limit, 1 early stopping", "early stopping"]
    assert table["hours"].tolist() == pytest.approx([0.5, 1.5, 0.1])
    assert table["machine"].tolist() == ["m1", "m1, m2", "m1"]
    assert full_scale.network_table(shipped, {}, rules="challenge")["network"].tolist() == ["CNN2"]

    sentence = full_scale.network_sentence(table, {"CNN2": 38.0, "VGG": 21.6}, "results/full")
    assert sentence == (
        "Wrong test spectra of 36, full scale (shipped): VGG (time-capped) 3.0 (seed 0; S23 21.6); Lite 1.5 (mean ± sd "
        "of 2 seeds, 1.5 ± 0.7: 2, 1); Lite-fresh 0.0 (seed 0). S23's fewest: VGG with 21.6 on average."
    )
    note = full_scale.ending_note(shipped, 25, 500)
    assert note == (
        "Of 4 shipped runs, 2 stopped early (25 epochs without improvement), 1 reached the limit of 500 epochs and "
        "1 was ended by the time limit. The time limit ended VGG seed 0 after 3 epochs (best epoch 3), with the "
        "best weights so far: not S23's protocol to the end, which trains until early stopping or the epoch limit, "
        "and more epochs might have lowered the errors."
    )
    assert "time limit ended" not in full_scale.ending_note(shipped[shipped["model"] == "Lite"], 25, 500)

    empty = full_scale.shipped_runs(tmp_path_factory.mktemp("none"))
    assert len(full_scale.network_table(empty, {"VGG": 21.6})) == 0
    assert full_scale.network_table(empty, {}).columns.tolist() == full_scale.NETWORK_COLUMNS
    assert full_scale.network_sentence(full_scale.network_table(empty, {}), {}, "x") == (
        "No full-scale benchmark run is shipped with the book yet (folder x)."
    )
    assert full_scale.ending_note(empty, 25, 500) == ""


def test_confused_pairs_pooled_over_runs(shipped_folder, tiny):
    from lib.synthetic import benchmark_runs as br

    records = full_scale.load_records(shipped_folder, "benchmark")
    named = {"a named cause": (1, 0)}
    pairs = full_scale.confused_pairs(records, tiny["classes"], named)
    assert list(zip(pairs["a"], pairs["b"], strict=True)) == [(0, 1), (2, 3)]
    assert pairs["errors"].tolist() == [3, 3] and pairs["runs"].tolist() == [2, 2]
    assert pairs["models"].tolist() == ["Lite, VGG", "Lite, VGG"]
    assert pairs["named"].tolist() == ["a named cause", ""]
    assert pairs["cause"].tolist() == [br.pair_cause(tiny["classes"], a, b)["cause"] for a, b in [(0, 1), (2, 3)]]
    first, second = pairs["cause"]
    one_each = f"{first}: 1 pair, 3 errors; {second}: 1 pair, 3 errors"
    by_cause = f"{first}: 2 pairs, 6 errors" if first == second else one_each
    assert full_scale.by_cause(pairs) == by_cause and full_scale.by_cause(pairs.iloc[:0]) == "none"
    assert full_scale.confusion_sentence(pairs, len(records), named) == (
        f"Pooled over 4 runs, 2 class pairs were confused with 6 errors (by cause: {by_cause}). "
        "S23's example pairs: 0/1 (a named cause) 3 errors."
    )
    # one network's wrong spectra in the study shape: indices and the wrong predictions only
    vgg = full_scale.as_study_runs([r for r in records if r["model"] == "VGG"])
    assert vgg == [{"model": "VGG", "seed": 0, "test_wrong": [1, 30, 31], "test_pred": [1, 2, 2]}]
    none = full_scale.confused_pairs([r for r in records if r["fresh"]], tiny["classes"], named)
    assert len(none) == 0 and "named" in none
    assert full_scale.confusion_sentence(none, 1, {}) == "Pooled over 1 run, 0 class pairs were confused with 0 errors."
    with pytest.raises(ValueError, match="different class counts"):
        full_scale.as_study_runs(full_scale.load_records(shipped_folder))
    with pytest.raises(ValueError, match="the runs have 4 classes, the class definitions 5"):
        full_scale.confused_pairs(records, synthetic.generate_classes(n_classes=5, datapoints=400, seed=7))


def test_target_sentence_per_network():
    shipped = pd.DataFrame({
        "model": ["Lite", "Lite", "Lite", "VGG"], "fresh": [True, True, False, False], "bf16": [True] + [False] * 3,
        "seed": [1, 0, 0, 0], "test_accuracy": [0.99, 0.95, 0.6, 0.5], "test_errors": [7, 14, 30, 25],
    })  # fmt: skip
    over = "over the seeds that early stopping ended"
    text = full_scale.target_sentence(shipped, 0.95, 0.9, "CNN6")
    assert text == (f"Lite-fresh reaches our goal of 95 % (mean test accuracy {over}; S23's CNN6: 90.0 %): "
                    "Lite-fresh 97.0 ± 2.8 % (seeds: 95.0 %, 99.0 % bf16); Lite 60.0 %; VGG 50.0 %.")  # fmt: skip
    text = full_scale.target_sentence(shipped, 8, 8.4, "CNN6", errors=True)
    assert text == (
        "No shipped network reaches our goal of at most 8 wrong test spectra on the mean (mean wrong test spectra "
        f"{over}; S23's CNN6: 8.4): Lite-fresh 10.5 ± 4.9 (seeds: 14, 7 bf16); Lite 30; VGG 25."
    )
    # a time-capped seed is named apart and not counted: Lite-fresh then reaches the goal on seed 1 alone
    capped = shipped.assign(time_capped=[False, True, False, False])
    text = full_scale.target_sentence(capped, 8, 8.4, "CNN6", errors=True)
    assert text.startswith("Lite-fresh reaches our goal of at most 8")
    assert text.endswith("Not counted, ended by a time limit before converging: Lite-fresh seed 0 14.")
    assert full_scale.target_sentence(shipped, 25, 8.4, "CNN6", errors=True).startswith("Lite-fresh and VGG reach")
    assert full_scale.target_sentence(shipped.iloc[:0], 8, 8.4, "CNN6") == ""


def test_network_table_keeps_time_capped_seeds_apart():
    runs = pd.DataFrame({
        "model": ["Lite", "Lite", "Lite"], "seed": [0, 1, 2], "fresh": [True] * 3, "bf16": [False] * 3,
        "n_classes": [500] * 3, "points": [5000] * 3, "test_errors": [14, 7, 9], "n_test": [4500] * 3,
        "test_accuracy": [1 - 14 / 4500, 1 - 7 / 4500, 1 - 9 / 4500], "epochs": [79, 98, 90],
        "best_epoch": [76, 73, 65], "stopped_early": [False, True, True], "time_capped": [True, False, False],
        "hours": [0.1] * 3, "machine": ["m"] * 3, "torch": ["t"] * 3, "rules": ["benchmark"] * 3, "file": ["f"] * 3,
    })  # fmt: skip
    table = full_scale.network_table(runs, {"CNN6": 8.4})
    assert table["network"].tolist() == ["Lite-fresh", "Lite-fresh (time-capped)"]
    assert table["test_errors"].tolist() == [8.0, 14.0] and table["ended"].tolist() == ["early stopping", "time limit"]
