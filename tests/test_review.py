"""Tests of lib.synthetic.review: toy data, pooling, feature maps, the single filter, a tiny end-to-end run."""

import numpy as np
import pytest
import torch

from lib import reference, train
from lib.models.benchmark import build
from lib.synthetic import review


def test_toy_data_properties():
    toy = review.Toy(length=300, background=0.0, noise=0.0)
    d = review.toy_spectra(400, seed=1, toy=toy)
    assert d["x"].shape == (400, 300) and d["x"].dtype == np.float32
    assert set(np.unique(d["y"])) == {0, 1} and d["y"].sum() == 200  # balanced
    # without background and noise the spectrum's maximum is the peak's maximum, at its position
    np.testing.assert_allclose(d["x"].max(axis=1), d["maximum"], rtol=1e-5)
    np.testing.assert_array_equal(d["x"].argmax(axis=1), d["position"])
    assert np.all(np.abs(d["position"] - 150) <= 50)
    for label, centre in [(0, 0.8), (1, 0.6)]:
        m = d["maximum"][d["y"] == label]
        assert np.all(np.abs(m - centre) <= 0.1)
    assert np.all((d["sigma"] >= 4) & (d["sigma"] < 12))


def test_toy_data_seeded_background_and_noise():
    a = review.toy_spectra(50, seed=3, toy=review.Toy(length=200))
    b = review.toy_spectra(50, seed=3, toy=review.Toy(length=200))
    c = review.toy_spectra(50, seed=4, toy=review.Toy(length=200))
    np.testing.assert_array_equal(a["x"], b["x"])
    assert not np.array_equal(a["x"], c["x"])
    clean = review.peaks(a["position"], a["maximum"], a["sigma"], 200)
    extra = a["x"] - clean  # background + noise
    assert extra.mean() > 0.05  # a positive background is present
    bg = review.background_curves(10, 200, 0.5, np.random.default_rng(0))
    assert bg.min() >= 0 and bg.max() <= 1.0
    with pytest.raises(ValueError):
        review.Toy(length=80, shift=50)


def test_position_task():
    d = review.position_spectra(600, seed=0, length=256, start=872)
    assert d["x"].shape == (600, 256)
    a, b = d["position"][d["y"] == 0], d["position"][d["y"] == 1]
    assert a.min() >= 950 and a.max() <= 999 and b.min() >= 1000 and b.max() <= 1050
    clean = review.position_spectra(600, seed=0, length=256, start=872, noise=0.0)
    np.testing.assert_array_equal(clean["x"].argmax(axis=1) + 872, clean["position"])
    np.testing.assert_array_equal(clean["position"], d["position"])  # noise is drawn last
    assert review.border_distance(np.array([999, 1000, 950, 1050])).tolist() == [0, 0, 49, 50]
    with pytest.raises(ValueError):
        review.position_spectra(10, length=200, start=920)


def test_max_pool():
    x = np.arange(12.0).reshape(1, 12)
    assert review.max_pool(x, 3, 1).tolist() == [[2, 5, 8, 11]]
    assert review.max_pool(x, 2, 2).tolist() == [[3, 7, 11]]
    assert review.max_pool(np.arange(7.0)[None], 2, 1).tolist() == [[1, 3, 5]]  # remainder dropped
    np.testing.assert_array_equal(review.max_pool(x, 3, 0), x)
    # a peak moved inside a window gives the same pooled input
    a, b = np.zeros((1, 20)), np.zeros((1, 20))
    a[0, 10], b[0, 14] = 1, 1
    np.testing.assert_array_equal(review.max_pool(a, 5), review.max_pool(b, 5))
    # equal to torch's max pooling
    t = np.random.default_rng(0).normal(size=(2, 3, 50))
    ref = torch.nn.functional.max_pool1d(torch.as_tensor(t), 4, 4).numpy()
    np.testing.assert_allclose(review.max_pool(t, 4), ref)
    with pytest.raises(ValueError):
        review.max_pool(x, 20)


def test_feature_maps_shapes_and_stride():
    model = build("CNN3", 300, 2)
    x = review.toy_spectra(5, toy=review.Toy(length=300))["x"]
    maps = review.conv_feature_maps(model, x, batch_size=2)
    assert [m.shape[:2] for m in maps] == [(5, 64)] * 3
    assert maps[-1].shape[1] * maps[-1].shape[2] == model.flat_size
    assert review.total_stride(model) == 3 * 3 * 2 * 2
    assert review.total_stride(build("ResNet", 256, 2, filters=8)) == 2**6
    assert review.total_stride(review.shallow_cnn(256)) == 1
    assert review.shallow_cnn(256)(torch.zeros(3, 256)).shape == (3, 2)


def test_single_filter_init():
    d = review.toy_spectra(20, toy=review.Toy(length=200))
    x = d["x"]
    assert review.dead_fraction(x, d["position"], 40, init="positive") == 0.0
    assert 0.2 < review.dead_fraction(x, d["position"], 40, init="glorot") < 0.8
    net = review.SingleFilterNet(init="positive")
    assert (net.conv.weight >= 0).all() and net(torch.as_tensor(x)).shape == (20, 2)
    with pytest.raises(ValueError):
        review.SingleFilterNet(init="other")


def test_helpers():
    assert review.stability([1.0, 1.0, 1.0]) == 0.0
    assert review.stability([1.0, 2.0, 1.0]) == pytest.approx(1.0)
    curve = review.accuracy_by_distance(np.array([1, 0, 1, 1]), np.array([0, 3, 7, 12]), bin_width=5)
    assert curve["low"].tolist() == [0, 5, 10] and curve["accuracy"].tolist() == [0.5, 1.0, 1.0]
    assert review.peak_contrast(np.r_[np.ones(10), 5 * np.ones(3), np.ones(10)], 11, 1) == pytest.approx(15 / 35)
    assert review.peak_contrast(np.zeros(5), 2, 1) == 0.0
    assert reference.S22_CNN_ACCURACY > reference.S22_RF_POOL2_ACCURACY > reference.S22_RF_POOL1_ACCURACY > 0.8
    x = review.toy_spectra(3, toy=review.Toy(length=300, background=0.0, noise=0.0))
    shares = review.peak_shares(build("CNN3", 300, 2), x["x"], x["position"], x["sigma"], 300)
    assert shares["input"].shape == (3,) and shares["blocks"].shape == (3, 3)
    assert shares["input"][0] == pytest.approx(
        review.peak_contrast(x["x"][0], x["position"][0], int(2 * x["sigma"][0]))
    )


def test_tiny_end_to_end():
    toy = review.Toy(length=200)
    data = review.splits(review.toy_spectra, {"train": 60, "val": 20, "test": 40}, seed=0, toy=toy)
    assert not np.array_equal(data["train"]["x"][:20], data["val"]["x"])
    config = train.TrainConfig(lr=1e-3, batch_size=32, max_epochs=1, patience=None)
    out = review.cnn_vs_forest(data, config, n_estimators=5)
    assert set(out["accuracy"]) == {"cnn", "cnn_val", "rf_raw", "rf_conv"}
    assert out["accuracy"]["cnn_val"] == out["fit"].history[0]["val_accuracy"]
    assert out["fit"].epochs == 1
    rows = review.forest_pool_sweep(data, [2, 20], n_estimators=3)
    assert [(r["size"], r["steps"]) for r in rows] == [(2, 1), (2, 2), (20, 1)]  # 20 × 20 > 200 points
    assert rows[0]["test"] == review.forest(
        review.max_pool(data["train"]["x"], 2), data["train"]["y"], review.max_pool(data["test"]["x"], 2),
        data["test"]["y"], 3,
    )  # fmt: skip


def test_choose_window_uses_validation_accuracy():
    rows = [
        {"size": 2, "steps": 1, "val": 0.7, "test": 0.95},
        {"size": 2, "steps": 2, "val": 0.7, "test": 0.96},
        {"size": 5, "steps": 1, "val": 0.8, "test": 0.6},
        {"size": 10, "steps": 1, "val": 0.8, "test": 0.9},
    ]
    chosen = review.choose_window(rows)  # best validation; the smaller window on ties; test never looked at
    assert chosen["size"] == 5 and chosen["one"]["test"] == 0.6 and chosen["two"] is None
    assert review.choose_window(rows[:2])["two"]["test"] == 0.96
    with pytest.raises(ValueError):
        review.choose_window(rows[1:2])


def test_max_threshold():
    x = np.array([[0.9, 0.1], [0.8, 0.0], [0.6, 0.2], [0.5, 0.1]])
    y = np.array([0, 0, 1, 1])
    out = review.max_threshold(x, y, x[[0, 3]], np.array([1, 1]))
    assert out["threshold"] == 0.8 and out["accuracy"] == 0.5  # 0.9 -> class 0 (wrong), 0.5 -> class 1


def test_calibrate_batch_norm_gives_exact_statistics():
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm1d(2, momentum=0.01)
    model = torch.nn.Sequential(torch.nn.Dropout(0.5), bn)  # dropout must stay off while calibrating
    x = np.random.default_rng(0).normal(3.0, 2.0, (64, 2, 5)).astype(np.float32)
    review.calibrate_batch_norm(model, x, batch_size=16)
    expected_mean = x.mean(axis=(0, 2))
    np.testing.assert_allclose(bn.running_mean.numpy(), expected_mean, rtol=1e-5)
    # the average of the four batches' unbiased variances
    batch_vars = [x[k : k + 16].transpose(1, 0, 2).reshape(2, -1).var(axis=1, ddof=1) for k in range(0, 64, 16)]
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean(batch_vars, axis=0), rtol=1e-4)
    assert bn.momentum == 0.01 and not model.training
    plain = torch.nn.Linear(2, 2)
    assert review.calibrate_batch_norm(plain, x[:, :, 0]) is plain
    assert review.with_precise_batch_norm(plain, x) is plain


def test_precise_batch_norm_fixes_lagging_statistics():
    """Switching the wrapper to eval mode replaces the lagging running statistics by the exact ones on x."""
    torch.manual_seed(0)
    net = build("CNN3", 120, 2, batch_norm=True)
    x = review.toy_spectra(64, toy=review.Toy(length=120, shift=20))["x"] + 5.0  # far from the initial mean 0
    wrapped = review.PreciseBatchNorm(net, x, batch_size=32)
    wrapped.train()
    with torch.no_grad():
        wrapped(torch.as_tensor(x[:32]))  # one training step's statistics: running mean still ≈ 0
    first_bn = review.batch_norm_layers(net)[0]
    lagging = first_bn.running_mean.clone()
    wrapped.eval()  # switching to eval recomputes the statistics on x
    exact = first_bn.running_mean.clone()
    assert not torch.allclose(lagging, exact, atol=1e-2)
    review.calibrate_batch_norm(net, x, 32)
    torch.testing.assert_close(first_bn.running_mean, exact)
    assert wrapped(torch.as_tensor(x[:3])).shape == (3, 2)
    wrapped.eval()  # eval -> eval: no recalculation needed, the statistics stay
    torch.testing.assert_close(first_bn.running_mean, exact)


def test_batch_norm_and_position_experiments_run():
    toy = review.Toy(length=120, shift=20)
    data = review.splits(review.toy_spectra, {"train": 40, "val": 20, "test": 20}, seed=0, toy=toy)
    config = train.TrainConfig(lr=1e-3, batch_size=20, max_epochs=2, patience=None)
    rows, curves = review.batch_norm_experiment("CNN3", data, config, seeds=[0])
    assert [r["batch norm"] for r in rows] == [False, True] and len(curves[1]["val_loss"]) == 2
    assert rows[0]["stability"] == review.stability(curves[0]["val_loss"])
    pdata = review.splits(review.position_spectra, {"train": 20, "val": 10, "test": 30}, seed=0, length=256, start=872)
    factories = {"shallow CNN": lambda: review.shallow_cnn(256, filters=2)}
    prow, pcurves = review.position_experiment(pdata, factories, config)
    assert prow[0]["total stride"] == 1 and set(pcurves) == {"shallow CNN"}
    near = pdata["test"]["distance"] < 5
    assert 0 <= prow[0]["near"] <= 1 and near.any()
    single = review.train_single_filters(data, config, seeds=[0])
    assert [r["init"] for r in single] == ["glorot", "positive"]
    assert review.pct(0.9154) == "91.5 %"
