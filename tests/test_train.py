"""The training harness on a tiny synthetic problem: 8 classes of 500 points, a small CNN."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from lib import train as tr
from lib.models.benchmark import build
from lib.synthetic import generator as synthetic

CONFIG = tr.TrainConfig(lr=1e-2, batch_size=32, max_epochs=6, lr_factor=0.5, lr_patience=2, patience=3)


class Tiny(nn.Module):
    """A small CNN: conv(8, 9) → ReLU → max-pool 10 → dropout → linear."""

    def __init__(self, input_len: int = 500, n_classes: int = 8):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, 8, 9, padding=4),
            nn.ReLU(),
            nn.MaxPool1d(10, 10),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(8 * (input_len // 10), n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.unsqueeze(1) if x.dim() == 2 else x)


class Linear(nn.Module):
    """A different model for the data-order test."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(500, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def classes() -> synthetic.ClassSet:
    return synthetic.generate_classes(8, datapoints=500, boundary=60, seed=1)


@pytest.fixture(scope="module")
def data(classes) -> dict[str, np.ndarray]:
    raw = synthetic.make_dataset(
        classes, seed=0, n_train=20, n_val=10, rules=synthetic.PLAIN_RULES, variation=synthetic.Variation(shift=10)
    )
    return {k: tr.max_normalise(v) if k.startswith("x_") else v for k, v in raw.items()}


def train_val(data):
    return (data["x_train"], data["y_train"]), (data["x_val"], data["y_val"])


def without_seconds(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in log.items() if k != "seconds"} for log in history]


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


def test_max_normalise(data):
    assert data["x_train"].dtype == np.float32
    np.testing.assert_allclose(data["x_train"].max(axis=1), 1.0, rtol=1e-6)
    assert tr.max_normalise(np.zeros((2, 5))).max() == 0  # an empty spectrum stays zero


def test_training_learns_the_tiny_problem(data):
    train, val = train_val(data)
    result = tr.fit(Tiny, train, val, CONFIG, seed=0, progress=False)
    losses = [log["val_loss"] for log in result.history]
    assert losses[-1] < 0.5 * losses[0]
    assert result.history[result.best_epoch - 1]["val_accuracy"] >= 0.95
    scores = tr.evaluate(result.model, data["x_val"], data["y_val"])
    assert scores["accuracy"] == pytest.approx(result.history[result.best_epoch - 1]["val_accuracy"])
    assert scores["n_wrong"] == len(scores["wrong"]) == round((1 - scores["accuracy"]) * scores["n"])
    probs = tr.predict(result.model, data["x_val"][:5], output="softmax")
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert set(result.history[0]) == {"epoch", "train_loss", "val_loss", "val_accuracy", "lr", "seconds", "improved"}
    assert result.device == "cpu" or torch.cuda.is_available()


def test_same_seed_same_run_on_cpu(data):
    train, val = train_val(data)
    config = replace(CONFIG, max_epochs=3)
    a = tr.fit(Tiny, train, val, config, seed=3, device="cpu", progress=False)
    b = tr.fit(Tiny, train, val, config, seed=3, device="cpu", progress=False)
    assert without_seconds(a.history) == without_seconds(b.history)
    assert_same_weights(a.model, b.model)
    c = tr.fit(Tiny, train, val, config, seed=4, device="cpu", progress=False)
    assert not torch.equal(a.model.net[0].weight, c.model.net[0].weight)


def test_early_stopping_restores_the_best_epoch(data):
    train, val = train_val(data)
    # an improvement must beat the best by 0.5: after the first big drops the loss can no longer
    config = replace(CONFIG, max_epochs=30, min_delta=0.5, patience=2, lr_factor=None)
    result = tr.fit(Tiny, train, val, config, seed=0, device="cpu", progress=False)
    history = result.history
    assert result.stopped_early and result.epochs == len(history) < 30
    assert result.epochs == result.best_epoch + config.patience
    best = history[result.best_epoch - 1]
    assert best["improved"] and not any(log["improved"] for log in history[result.best_epoch :])
    assert result.best_val_loss == best["val_loss"]
    # the returned model is the best epoch's, not the last one's
    restored = tr.evaluate(result.model, data["x_val"], data["y_val"])["loss"]
    assert restored == pytest.approx(best["val_loss"], rel=1e-5)
    assert restored != pytest.approx(history[-1]["val_loss"], rel=1e-3)


def test_plateau_halves_the_learning_rate():
    config = replace(CONFIG, lr_patience=2, lr_min_delta=0.0, patience=None)
    state = {"best_loss": np.inf, "best_epoch": 0, "wait": 0, "plateau_best": np.inf, "plateau_wait": 0,
             "stopped_early": False}  # fmt: skip
    optimiser = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=1.0)
    lrs = []
    for epoch, loss in enumerate([3.0, 2.0, 2.5, 2.5, 1.0, 1.5, 1.5, 1.5, 1.5], start=1):
        tr._update_stopping(state, loss, epoch, config, optimiser)
        lrs.append(optimiser.param_groups[0]["lr"])
    # Keras: reduce after exactly `patience` stale epochs, then count again from zero
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert not state["stopped_early"] and state["best_epoch"] == 5


def test_checkpoint_resume_continues_where_it_stopped(data, tmp_path):
    train, val = train_val(data)
    config = replace(CONFIG, max_epochs=4)
    full = tr.fit(Tiny, train, val, config, seed=1, device="cpu", progress=False)

    def interrupt(log):
        if log["epoch"] == 2:
            raise KeyboardInterrupt

    folder = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        tr.fit(
            Tiny, train, val, config, seed=1, device="cpu", progress=False, checkpoint=folder, on_epoch_end=interrupt
        )
    assert len(json.loads((folder / "history.json").read_text())["history"]) == 2
    assert not (folder / "metrics.json").exists()
    resumed = tr.fit(Tiny, train, val, config, seed=1, device="cpu", progress=False, checkpoint=folder)
    assert resumed.resumed_from == 2 and resumed.epochs == 4
    assert without_seconds(resumed.history) == without_seconds(full.history)
    assert_same_weights(resumed.model, full.model)
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["best_epoch"] == full.best_epoch and metrics["config"]["max_epochs"] == 4
    assert set(torch.load(folder / "model.pt", weights_only=True)) == set(full.model.state_dict())

    # a finished run is loaded, not trained again
    again = tr.fit(Tiny, train, val, config, seed=1, device="cpu", progress=False, checkpoint=folder)
    assert again.resumed_from == 4 and again.epochs == 4
    assert_same_weights(again.model, full.model)
    with pytest.raises(ValueError, match="lr"):
        tr.fit(Tiny, train, val, replace(config, lr=1e-3), seed=1, device="cpu", progress=False, checkpoint=folder)
    with pytest.raises(ValueError, match="seed"):
        tr.fit(Tiny, train, val, config, seed=2, device="cpu", progress=False, checkpoint=folder)


def test_data_order_is_the_same_for_different_models(data):
    n = len(data["x_train"])
    x = data["x_train"].copy()
    x[:, 0] = np.arange(n)  # tag each spectrum with its index
    config = replace(CONFIG, max_epochs=2, batch_size=50)

    def order_seen(factory, seed):
        seen = []
        model = factory()
        model.register_forward_pre_hook(lambda m, args: seen.append(args[0][:, 0].long()) if m.training else None)
        tr.fit(model, (x, data["y_train"]), (data["x_val"], data["y_val"]), config, seed=seed, progress=False)
        return torch.cat(seen).cpu().numpy()

    tiny, linear = order_seen(Tiny, 5), order_seen(Linear, 5)
    np.testing.assert_array_equal(tiny, linear)
    expected = np.concatenate([tr.epoch_order(5, epoch, n) for epoch in (1, 2)])
    np.testing.assert_array_equal(tiny, expected)
    assert not np.array_equal(tiny, order_seen(Linear, 6))


def test_fresh_training_data_every_epoch(classes):
    calls = []

    def augment(epoch, rng):
        peaks = synthetic.vary_peaks(classes, 10, rng, synthetic.Variation(shift=10))
        x = tr.max_normalise(peaks.render(classes.datapoints))
        calls.append((epoch, x[0].copy()))
        return x, peaks.labels

    val = synthetic.make_dataset(classes, seed=9, n_train=0, n_val=5, variation=synthetic.Variation(shift=10))
    config = replace(CONFIG, max_epochs=3)
    result = tr.fit(Tiny, augment, (tr.max_normalise(val["x_val"]), val["y_val"]), config, seed=0, progress=False)
    assert [epoch for epoch, _ in calls] == [1, 2, 3]
    assert not np.array_equal(calls[0][1], calls[1][1])
    assert result.history[-1]["val_loss"] < result.history[0]["val_loss"]


def test_custom_loss_and_metric_multilabel(data):
    # multi-label targets (two classes per sample) with a weighted BCE and a custom metric
    rng = np.random.default_rng(0)
    y = np.zeros((len(data["y_train"]), 8), dtype=np.float32)
    y[np.arange(len(y)), data["y_train"]] = 1
    y[np.arange(len(y)), rng.integers(0, 8, len(y))] = 1
    p = y.mean(axis=0)

    def weighted_bce(logits, targets):
        w = targets / torch.as_tensor(p) + (1 - targets) / (1 - torch.as_tensor(p))
        return (w * nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")).mean()

    def exact_match(outputs, targets):
        return {"exact": float(((outputs > 0) == (targets > 0.5)).all(dim=1).float().mean())}

    penalty_calls = []

    def penalty(model):
        penalty_calls.append(1)
        return 1e-4 * model.net[0].weight.pow(2).sum()

    config = replace(CONFIG, max_epochs=2)
    result = tr.fit(Tiny, (data["x_train"], y), (data["x_train"], y), config, loss=weighted_bce,
                    metric=exact_match, penalty=penalty, progress=False)  # fmt: skip
    assert "val_exact" in result.history[0] and "val_accuracy" not in result.history[0]
    assert len(penalty_calls) == 2 * int(np.ceil(len(y) / config.batch_size))
    assert tr.predict(result.model, data["x_val"][:3], output="sigmoid").shape == (3, 8)


def test_benchmark_model_trains_and_throughput(data):
    train, val = train_val(data)
    factory = lambda: build("CNN2", input_len=500, n_classes=8, dense=(32, 16))  # noqa: E731
    result = tr.fit(factory, train, val, replace(tr.S23, max_epochs=1, batch_size=64), progress=False)
    assert result.epochs == 1 and np.isfinite(result.history[0]["val_loss"])
    speed = tr.throughput(result.model, batch_size=8, n_batches=1)
    assert (speed["model"], speed["device"], speed["batch_size"], speed["n_batches"]) == ("CNN2", "cpu", 8, 1)
    assert speed["train_spectra_per_s"] > 0 and speed["infer_spectra_per_s"] > 0  # timings: only their sign is fixed
    assert speed["device_name"]


def test_r23_stops_after_six_stale_epochs_like_the_released_code(data):
    # released train.py: ``cur_patience > max_patience`` with max_patience 5; only epoch 1 can beat min_delta here
    train, val = train_val(data)
    config = replace(tr.R23, batch_size=32, max_epochs=30, min_delta=1e9)
    result = tr.fit(Tiny, train, val, config, seed=0, device="cpu", progress=False)
    assert (result.best_epoch, result.epochs, result.stopped_early) == (1, 7, True)


def test_configs_and_errors(data):
    assert (tr.S23.lr, tr.S23.batch_size, tr.S23.max_epochs) == (3e-4, 128, 500)
    assert (tr.S23.lr_factor, tr.S23.lr_patience, tr.S23.patience, tr.S23.min_delta) == (0.5, 10, 25, 1e-4)
    assert (tr.R23.lr, tr.R23.batch_size, tr.R23.patience, tr.R23.lr_factor) == (1e-3, 128, 6, None)
    with pytest.raises(ValueError, match="batch_size"):
        tr.TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="lr_factor"):
        tr.TrainConfig(lr_factor=2.0)
    with pytest.raises(ValueError, match="train_data"):
        tr.fit(Tiny, (data["x_train"], data["y_train"][:5]), None, CONFIG, progress=False)
    with pytest.raises(ValueError, match="seed"):
        tr.fit(Tiny, (data["x_train"], data["y_train"]), None, CONFIG, seed=-1, progress=False)


def test_memory_allocator_names_the_preloaded_one():
    import ctypes.util
    import os
    import subprocess
    import sys

    from lib.train import memory_allocator

    code = "from lib.train import memory_allocator; print(memory_allocator())"
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert plain.stdout.strip() == "libc"
    assert memory_allocator() in {"libc", "tcmalloc", "jemalloc", "mimalloc"}
    library = ctypes.util.find_library("tcmalloc")
    if library is None:
        pytest.skip("tcmalloc is not installed")
    env["LD_PRELOAD"] = library
    preloaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert preloaded.stdout.strip() == "tcmalloc"
