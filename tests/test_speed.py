"""CPU training speed: analytic FLOPs of a training step, the peak and one short measurement."""

from __future__ import annotations

import json
import time

import pytest
import torch
from torch import nn

from lib.models import benchmark as bm
from lib.paths import REPO
from lib.synthetic import speed


def test_training_flops_small_case_by_hand():
    # conv(3 filters, kernel 4, stride 2) on 10 points -> 5 points: 60 multiply-adds; dense 15 -> 2: 30
    net = nn.Sequential(bm.SameConv1d(1, 3, 4, 2), nn.ReLU(), nn.Flatten(), nn.Linear(15, 2))
    flops = speed.training_flops(net, 10)
    assert flops["forward"] == 2 * (60 + 30)
    # backward: weight gradients of both layers (60 + 30), input gradient of the dense layer only (30)
    assert flops["train"] == flops["forward"] + 2 * ((60 + 30) + 30) == 420


def test_training_flops_of_cnn2_follow_its_macs():
    net = bm.build("CNN2").to("meta")
    macs, first = 69_742_800, 2500 * 64 * 50  # tests/test_models_benchmark.py: CNN2 by hand
    assert speed.training_flops(net) == {"forward": 2 * macs, "train": 2 * (3 * macs - first)}


def test_peak_gflops_counts_two_n_cubed(monkeypatch):
    ticks = iter([0.0, 0.5, 1.0, 1.25, 2.0, 3.0])  # durations 0.5, 0.25, 1.0: best 0.25 s
    monkeypatch.setattr(speed.time, "perf_counter", lambda: next(ticks))
    assert speed.peak_gflops(size=64, repeats=3) == pytest.approx(2 * 64**3 / 0.25 / 1e9)


def test_measure_one_short_configuration(one_thread):
    row = speed.measure("Lite", batch_size=8, threads=1, n_batches=1, input_len=400, n_classes=5, repeats=2,
                        peak_size=128)  # fmt: skip
    assert row["repeats"] == 2 and row["train_spread"] >= 1.0 and row["peak_dtype"] == "float32"
    assert row["peak_gflops"] > 0 and len(row["load_range"]) == 2
    per_spectrum = speed.training_flops(bm.build("Lite", 400, 5).to("meta"))["train"]
    assert row["model"] == "Lite" and row["option"] == "eager" and row["threads"] == 1
    assert row["train_spectra_per_s"] > 0 and row["infer_spectra_per_s"] > 0
    assert row["train_gflops"] == pytest.approx(row["train_spectra_per_s"] * per_spectrum / 1e9, rel=0.01, abs=0.01)
    assert torch.get_num_threads() == 1
    with pytest.raises(ValueError, match="option must be one of"):
        speed.measure("Lite", option="fast")


def test_background_spectra_are_counted():
    deadline = time.monotonic() + 60
    with speed.BackgroundSpectra(per_round=5, input_len=300) as background:
        while background.count < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert background.count >= 10 and background.count % 5 == 0 and background.seconds > 0


def test_run_estimates_from_the_fastest_float32_row():
    assert speed.epoch_seconds(100.0, 500.0) == 25_000 / 100 + 5_000 / 500 == 260.0
    rows = [
        {"model": "Lite", "batch_size": 128, "threads": 1, "option": "eager", "train_spectra_per_s": 100.0,
         "infer_spectra_per_s": 500.0, "load_1min": 2.0},
        {"model": "Lite", "batch_size": 128, "threads": 2, "option": "eager", "train_spectra_per_s": 50.0,
         "infer_spectra_per_s": 500.0, "load_1min": 2.0},
        {"model": "Lite", "batch_size": 128, "threads": 1, "option": "bf16", "train_spectra_per_s": 900.0,
         "infer_spectra_per_s": 900.0, "load_1min": 2.0},
        {"model": "Lite", "batch_size": 256, "threads": 1, "option": "eager", "train_spectra_per_s": 800.0,
         "infer_spectra_per_s": 900.0, "load_1min": 2.0},
    ]  # fmt: skip
    (est,) = speed.run_estimates({"rows": rows}, epochs=(100,))
    assert est == {"model": "Lite", "threads": 1, "option": "eager", "epochs": 100, "epoch_minutes": 4.3,
                   "hours": 7.2, "load_1min": 2.0}  # fmt: skip
    with pytest.raises(ValueError, match="speeds must be positive"):
        speed.epoch_seconds(0.0, 1.0)


def _row(model, threads, option, rate, gflops, peak, batch=128):
    return {"model": model, "batch_size": batch, "threads": threads, "option": option, "train_spectra_per_s": rate,
            "infer_spectra_per_s": 2 * rate, "train_gflops": gflops, "peak_gflops": peak, "load_1min": 1.0}  # fmt: skip


def test_option_effects_against_the_eager_baseline():
    rows = [
        _row("A", 1, "eager", 20.0, 5.0, 20.0),
        _row("A", 2, "eager", 10.0, 2.5, 25.0),
        _row("A", 1, "bf16", 50.0, 12.5, 20.0),
        _row("A", 1, "compile", 16.0, 4.0, 16.0),
        _row("A", 1, "eager", 99.0, 9.0, 20.0, batch=256),  # another batch size: ignored
        {"model": "A", "batch_size": 128, "threads": 1, "option": "compile", "error": "gave up", "load_1min": 1.0},
        _row("B", 1, "eager", 4.0, 12.0, 24.0),
    ]
    df = speed.option_effects({"rows": rows})
    assert df[["model", "option", "threads"]].values.tolist() == [["A", "threads", 2], ["A", "bf16", 1],
                                                                   ["A", "compile", 1]]  # fmt: skip
    assert df["speedup"].tolist() == [0.5, 2.5, 0.8]
    assert df["before_spectra_per_s"].tolist() == [20.0, 20.0, 20.0]
    assert df["after_share_of_peak"].tolist() == [0.1, 0.625, 0.25]
    assert df.loc[1, "use"] == speed.USE["bf16"]


def test_stored_table_reads_and_summarises():
    path = REPO / "book" / "synthetic" / "results" / "speed_cpu.json"
    table = speed.read_table(path)
    raw = json.loads(path.read_text())
    df = speed.option_effects(table).set_index(["model", "option"])
    eager = {(r["model"], r["threads"]): r for r in raw["rows"] if r["option"] == "eager" and r["batch_size"] == 128}
    bf16 = next(r for r in raw["rows"] if r["model"] == "Lite" and r["option"] == "bf16")
    lite = eager[("Lite", bf16["threads"])]
    assert df.loc[("Lite", "bf16"), "speedup"] == round(bf16["train_spectra_per_s"] / lite["train_spectra_per_s"], 2)
    assert df.loc[("Lite", "bf16"), "after_gflops"] == bf16["train_gflops"]
    models = list(dict.fromkeys(r["model"] for r in raw["estimates"]))
    est = speed.estimate_frame(table)
    assert est.index.tolist() == models
    first = raw["estimates"][0]
    assert est.loc[first["model"], f"hours at {first['epochs']} epochs"] == first["hours"]
    assert est.loc[first["model"], "epoch_minutes"] == first["epoch_minutes"]


def test_read_table_names_file_and_field(tmp_path):
    with pytest.raises(FileNotFoundError, match="no speed table .*nothing.json"):
        speed.read_table(tmp_path / "nothing.json")
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"machine": "m", "cpu_count": 2, "torch": "x", "rows": []}))
    with pytest.raises(ValueError, match=r"t\.json: field 'estimates' is missing"):
        speed.read_table(path)
    row = {"model": "A", "batch_size": 1, "threads": 1, "option": "eager"}
    path.write_text(json.dumps({"machine": "m", "cpu_count": 2, "torch": "x", "estimates": [], "rows": [row]}))
    with pytest.raises(ValueError, match=r"rows\[0\] lacks train_spectra_per_s, train_gflops, peak_gflops"):
        speed.read_table(path)
    path.write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        speed.read_table(path)


def test_option_summary_text():
    rows = [_row("A", 1, "eager", 20.0, 5.0, 20.0), _row("A", 1, "bf16", 45.0, 11.25, 20.0),
            _row("B", 1, "eager", 10.0, 5.0, 20.0), _row("B", 1, "bf16", 18.0, 9.0, 20.0)]  # fmt: skip
    assert speed.option_summary(speed.option_effects({"rows": rows})) == {"bf16": "A ×2.25, B ×1.80"}
    assert speed.STORED == REPO / "book" / "synthetic" / "results" / "speed_cpu.json"


def test_bf16_rows_are_judged_against_the_bf16_peak(one_thread):
    if not speed.bf16_supported():
        pytest.skip("no native bfloat16 on this CPU")
    row = speed.measure("Lite", batch_size=8, option="bf16", n_batches=1, input_len=400, n_classes=5, peak_size=128)
    assert row["peak_dtype"] == "bfloat16"


def test_cpu_words_name_model_and_unit():
    info = speed.cpu_info()
    assert set(info) == {"cpu_model", "amx", "avx512_bf16"} and info["cpu_model"]
    table = {"cpu_model": "Intel(R) Xeon(R) Processor", "amx": True, "avx512_bf16": True, "cpu_count": 2}
    assert speed.machine_words(table) == "Intel(R) Xeon(R) Processor, AMX, 2 cores"
    assert speed.machine_words({**table, "amx": False, "avx512_bf16": False}).endswith("no bfloat16 unit, 2 cores")
    assert speed.machine_words({"machine": "AMD EPYC (2 threads)"}) == "AMD EPYC (2 threads)"


def test_load_words_say_whether_the_machine_did_anything_else():
    rows = [{"load_1min": 1.9}, {"load_1min": 2.3}]
    idle = speed.load_words({"cpu_count": 2, "rows": rows})
    assert idle.startswith("with a one-minute load average of 1.9–2.3 while it ran") and "did nothing else" in idle
    busy = speed.load_words({"cpu_count": 2, "rows": rows + [{"load_1min": 9.96}]})
    assert "1.9–10.0" in busy and "lower bounds" in busy
    assert "unrecorded" in speed.load_words({"cpu_count": 2, "rows": [{"model": "Lite"}]})


def test_estimate_threads_names_the_thread_counts_of_the_estimates():
    assert speed.estimate_threads({"estimates": [{"threads": 2}, {"threads": 2}]}) == "2 threads"
    assert speed.estimate_threads({"estimates": [{"threads": 1}]}) == "1 thread"
    assert speed.estimate_threads({"estimates": [{"threads": 2}, {"threads": 1}]}) == "1 or 2 threads"


def test_tcmalloc_rows_run_in_a_child_with_the_allocator_preloaded(tmp_path):
    import ctypes.util

    if speed.memory_allocator() != "tcmalloc":  # this process: the option refuses to run without it
        # (on a CPU without native bfloat16 it refuses for that reason first)
        reason = "tcmalloc preloaded" if speed.bf16_supported() else "needs a CPU with AVX512-BF16 or AMX"
        with pytest.raises(ValueError, match=reason):
            speed.measure("Lite", batch_size=8, option="bf16-tcmalloc", n_batches=1, input_len=400, n_classes=5)
    if not speed.bf16_supported() or ctypes.util.find_library("tcmalloc") is None:
        pytest.skip("needs native bfloat16 and an installed tcmalloc")
    eager = {"model": "Lite", "batch_size": 8, "threads": 1, "option": "eager", "train_spectra_per_s": 1.0,
             "train_gflops": 1.0, "peak_gflops": 1.0, "load_1min": 0.0}  # fmt: skip
    path = tmp_path / "speed.json"
    path.write_text(json.dumps({"machine": "m", "cpu_count": 2, "torch": "t", "rows": [eager], "estimates": []}))
    table = speed.add_options(path, ["bf16-tcmalloc"], ["Lite"], n_batches=1, repeats=1, log=lambda _: None)
    row = table["rows"][-1]
    assert len(table["rows"]) == 2 and json.loads(path.read_text()) == table
    assert (row["option"], row["allocator"], row["peak_dtype"], row["threads"]) == ("bf16-tcmalloc", "tcmalloc",
                                                                                    "bfloat16", 1)  # fmt: skip
    again = speed.add_options(path, ["bf16-tcmalloc"], ["Lite"], n_batches=1, repeats=1, log=lambda _: None)
    assert len(again["rows"]) == 2 and again["rows"][0] == eager  # the option's row is replaced, not added
    assert 0 <= row["kernel_share"] <= 1


def test_allocator_gains_set_tcmalloc_against_plain_bfloat16():
    def row(option, rate, share):
        return {"model": "A", "batch_size": 128, "threads": 2, "option": option, "train_spectra_per_s": rate,
                "kernel_share": share}  # fmt: skip

    table = {"rows": [row("eager", 100.0, 0.1), row("bf16", 200.0, 0.31), row("bf16-tcmalloc", 250.0, 0.04)]}
    assert speed.allocator_gains(table) == "A ×1.25 (kernel 31 % → 4 % of the CPU time)"
    assert speed.allocator_gains({"rows": table["rows"][:2]}) == ""
