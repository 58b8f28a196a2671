"""The FGA net of R23: the ten published weight files, an independent numpy forward pass, receptive field."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from torch import nn

from lib.ir.weights import published_weights_dir
from lib.models import fga

WEIGHT_KEYS = {
    "features.0.weight",
    "features.0.bias",
    "features.3.weight",
    "features.3.bias",
    "features.7.weight",
    "features.7.bias",
    "features.10.weight",
    "features.10.bias",
    "classifier.0.weight",
    "classifier.0.bias",
}
BN_KEYS = {f"features.{i}.{b}" for i in (2, 5, 9) for b in ("weight", "bias")}
BN_STATS = ("running_mean", "running_var", "num_batches_tracked")
BN_BUFFERS = {f"features.{i}.{b}" for i in (2, 5, 9, 13) for b in BN_STATS}


def _published_dir():
    """R23's weights, or a skip where they can be had neither online nor from a local copy or cache."""
    try:
        return published_weights_dir()
    except FileNotFoundError as err:
        pytest.skip(f"R23's published weights unavailable here: {err}")


@pytest.fixture(scope="module")
def weight_files():
    return sorted(_published_dir().glob("*.pt"))


@pytest.fixture(scope="module")
def ensemble():
    return fga.load_ensemble(_published_dir())


def real_looking_spectra(n: int, length: int = 850, seed: int = 0) -> np.ndarray:
    """Non-negative spectra: a few Gaussian and Lorentzian bands on a small baseline, max 1."""
    rng = np.random.default_rng(seed)
    x = np.arange(length)
    out = np.empty((n, length))
    for s in range(n):
        y = rng.uniform(0, 0.02) + rng.uniform(0, 0.02) * x / length
        for _ in range(rng.integers(2, 12)):
            c, w, h = rng.uniform(0, length), rng.uniform(1, 15), rng.uniform(0.05, 1)
            y = y + (h * np.exp(-0.5 * ((x - c) / w) ** 2) if rng.random() < 0.5 else h / (1 + ((x - c) / w) ** 2))
        y = y + rng.uniform(0, 0.01, length)  # noise, still non-negative
        out[s] = y / y.max()
    out[-1] = rng.uniform(0, 1, length)  # and one noise-only input
    out[-1] /= out[-1].max()
    return out


# --------------------------------------------------------------------------- independent numpy forward
def np_conv1d_valid(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """PyTorch's Conv1d (a cross-correlation, no padding, stride 1) with explicit loops. x: (C_in, L)."""
    c_out, c_in, k = w.shape
    n_out = x.shape[1] - k + 1
    out = np.empty((c_out, n_out))
    for o in range(c_out):
        acc = np.full(n_out, b[o], dtype=np.float64)
        for i in range(c_in):
            for t in range(k):
                acc += w[o, i, t] * x[i, t : t + n_out]
        out[o] = acc
    return out


def np_batchnorm_eval(x, mean, var, weight=None, bias=None, eps=1e-5):
    y = (x - mean[:, None]) / np.sqrt(var[:, None] + eps)
    if weight is not None:
        y = y * weight[:, None] + bias[:, None]
    return y


def np_maxpool2(x):
    n = x.shape[1] // 2
    return x[:, : 2 * n].reshape(x.shape[0], n, 2).max(axis=2)


def np_fga_forward(state: dict, spectrum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latent matrix and logits of one spectrum, straight from the state dict's tensors, in float64."""
    s = {k: v.double().numpy() for k, v in state.items() if v.dtype.is_floating_point}
    relu = lambda a: np.maximum(a, 0)  # noqa: E731
    bn = lambda a, i, affine=True: np_batchnorm_eval(  # noqa: E731
        a,
        s[f"features.{i}.running_mean"],
        s[f"features.{i}.running_var"],
        s.get(f"features.{i}.weight") if affine else None,
        s.get(f"features.{i}.bias") if affine else None,
    )
    h = spectrum[None, :].astype(np.float64)
    h = bn(relu(np_conv1d_valid(h, s["features.0.weight"], s["features.0.bias"])), 2)
    h = bn(relu(np_conv1d_valid(h, s["features.3.weight"], s["features.3.bias"])), 5)
    h = np_maxpool2(h)
    h = bn(relu(np_conv1d_valid(h, s["features.7.weight"], s["features.7.bias"])), 9)
    h = np_maxpool2(relu(np_conv1d_valid(h, s["features.10.weight"], s["features.10.bias"])))
    latent = bn(h, 13, affine=False)
    z = latent.reshape(-1)  # channel-major, as nn.Flatten on (C, L)
    logits = s["classifier.0.weight"] @ z + s["classifier.0.bias"]
    return latent, logits


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# --------------------------------------------------------------------------- loading
def test_ten_published_files_load_strictly(weight_files):
    assert len(weight_files) == 10
    runs = json.loads((weight_files[0].parent / "runs.json").read_text())
    assert set(runs) == {f.stem for f in weight_files}
    for f in weight_files:
        state = torch.load(f, map_location="cpu", weights_only=True)
        assert set(state) == WEIGHT_KEYS | BN_KEYS | BN_BUFFERS  # affine=False BN 13 has no weight/bias
        model = fga.FGANet(conv_channels=runs[f.stem]["conv_channels"])
        result = model.load_state_dict(state, strict=True)
        assert not result.missing_keys and not result.unexpected_keys
        loaded = fga.load_fga(f)
        assert not loaded.training and loaded.conv_channels == 4 and loaded.n_groups == len(fga.R23_GROUPS)


def test_ensemble_has_sorted_names_and_run_info(ensemble, weight_files):
    assert len(ensemble) == 10
    assert ensemble.names == [f.stem for f in weight_files] == sorted(ensemble.names)
    assert sorted(ensemble.seeds) == list(range(10))
    assert all(run["conv_channels"] == 4 and run["batch_size"] == 128 for run in ensemble.runs)


def test_ensemble_without_runs_json(tmp_path, weight_files):
    for f in weight_files[:2]:
        shutil.copy(f, tmp_path / f.name)  # a temporary folder, not the repository
    ens = fga.load_ensemble(tmp_path)
    assert len(ens) == 2 and ens.runs == [{}, {}] and ens.seeds == [None, None]
    with pytest.raises(FileNotFoundError):
        fga.load_ensemble(tmp_path / "empty")


def test_wrong_input_length_is_a_clear_error(weight_files):
    with pytest.raises(ValueError, match="input_len"):
        fga.load_fga(weight_files[0], input_len=1000)


# --------------------------------------------------------------------------- architecture
def test_parameter_count_and_latent_shape(ensemble):
    model = ensemble[0]
    assert fga.n_parameters(model) == 28_845  # "~29k parameters"
    assert fga.n_parameters(fga.FGANet()) == 28_845
    assert model.classifier[0].in_features == 8 * 209 == 1672
    assert model.latent_shape == (8, 209)
    x = torch.as_tensor(real_looking_spectra(3), dtype=torch.float32)
    assert model.latent(x).shape == (3, 8, 209)
    assert model(x).shape == model(x[:, None, :]).shape == (3, 17)
    with pytest.raises(ValueError, match="850"):
        model(torch.zeros(2, 1, 849))


def test_channels_and_length_are_parameters():
    model = fga.FGANet(input_len=1000, n_groups=5, conv_channels=6).eval()
    # 1000 -> 998 -> 996 -> 498 -> 496 -> 494 -> 247
    assert model.latent_shape == (12, 247)
    assert model.classifier[0].in_features == 12 * 247
    assert model(torch.rand(4, 1000)).shape == (4, 5)
    assert model.latent(torch.rand(2, 1000)).shape == (2, 12, 247)


def test_torch_matches_independent_numpy_forward(ensemble, weight_files):
    spectra = real_looking_spectra(4)
    x = torch.as_tensor(spectra, dtype=torch.float32)
    for f, model in zip(weight_files, ensemble, strict=True):
        state = torch.load(f, map_location="cpu", weights_only=True)
        with torch.no_grad():
            latent_t = model.latent(x).double().numpy()
            logits_t = model(x).double().numpy()
            proba_t = model.predict_proba(x).double().numpy()
        for s in range(len(spectra)):
            latent_n, logits_n = np_fga_forward(state, spectra[s])
            np.testing.assert_allclose(latent_t[s], latent_n, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(logits_t[s], logits_n, rtol=1e-5, atol=1e-4)
            np.testing.assert_allclose(proba_t[s], sigmoid(logits_n), rtol=0, atol=1e-5)


def test_predict_proba_helper_is_member_mean(ensemble):
    spectra = real_looking_spectra(5, seed=3)
    p = fga.predict_proba(ensemble, spectra, batch_size=2)
    assert p.shape == (5, 17) and p.dtype == np.float64 and ((p >= 0) & (p <= 1)).all()
    members = np.stack([fga.predict_proba(m, spectra) for m in ensemble])
    np.testing.assert_allclose(p, members.mean(axis=0), atol=1e-6)
    with torch.no_grad():
        stacked = ensemble(torch.as_tensor(spectra, dtype=torch.float32))
    assert stacked.shape == (10, 5, 17)


def test_group_order_matches_characteristic_bands(ensemble):
    """Sanity check of R23_GROUPS: the classifier weights peak where the group absorbs."""
    grid = np.linspace(500, 3900, 850)
    rf = ensemble[0].rf
    centre = np.array([grid[(lambda w: (w[0] + w[1] - 1) // 2)(rf.window(k))] for k in range(rf.length)])
    bands = {"nitriles": (2150, 2300), "alcohols": (3550, 3700), "methyl": (2850, 3000), "acyl halides": (1780, 1880)}
    for group, (lo, hi) in bands.items():
        g = fga.R23_GROUPS.index(group)
        w = np.mean([m.classifier_weights()[g].numpy().max(axis=0) for m in ensemble], axis=0)
        assert lo <= centre[int(np.argmax(w))] <= hi, group


# --------------------------------------------------------------------------- receptive field
def test_receptive_field_arithmetic(ensemble):
    rf = fga.receptive_field(ensemble[0])
    assert (rf.size, rf.stride, rf.start, rf.length) == (16, 4, 0, 209)
    assert rf.window(0) == (0, 16) and rf.window(1) == (4, 20) and rf.window(208) == (832, 848)
    assert all(rf.window(k) == (4 * k, 4 * k + 16) for k in range(209))
    assert fga.input_window(ensemble[0], 10) == (40, 56)
    mask = rf.mask()
    assert mask.shape == (209, 850) and not mask[:, 848:].any()  # the last two points feed no column
    for i in range(850):
        assert list(rf.columns_seeing(i)) == list(np.flatnonzero(mask[:, i]))
    with pytest.raises(IndexError):
        rf.window(209)
    with pytest.raises(TypeError):
        fga.receptive_field([nn.Linear(3, 3)])


def changed_columns(latent_fn, base: np.ndarray, delta: float) -> np.ndarray:
    """(input point, latent column) pairs where perturbing one input point changes the column."""
    n = base.shape[-1]
    x = np.repeat(base[None], n + 1, axis=0)
    x[np.arange(1, n + 1), ..., np.arange(n)] += delta
    with torch.no_grad():
        lat = latent_fn(torch.as_tensor(x, dtype=torch.float64)).numpy()
    diff = np.abs(lat[1:] - lat[:1]).max(axis=1)  # over channels -> (n, L)
    return diff > 1e-9 * (1 + np.abs(lat[0]).max())


def make_monotone(module: nn.Module) -> nn.Module:
    """Positive weights and plain BN statistics: every input point then moves every column that sees it."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.Conv1d):
                layer.weight.copy_(0.5 + 0.5 * torch.rand(layer.weight.shape, generator=gen))
                layer.bias.fill_(0.1)
            elif isinstance(layer, nn.BatchNorm1d):
                layer.running_mean.zero_()
                layer.running_var.fill_(1.0)
                if layer.affine:
                    layer.weight.fill_(1.0)
                    layer.bias.zero_()
    return module.double().eval()


def test_receptive_field_by_perturbation_exact():
    model = make_monotone(fga.FGANet())
    base = real_looking_spectra(1, seed=7)[0][None]  # (1, 850)
    changed = changed_columns(model.latent, base, delta=1e6)
    assert np.array_equal(changed, fga.receptive_field(model).mask().T)


def test_receptive_field_by_perturbation_published_weights(ensemble):
    model = ensemble[0].double()
    try:
        base = real_looking_spectra(1, seed=11)[0][None]
        changed = changed_columns(model.latent, base, delta=0.5)
        predicted = model.rf.mask().T
        assert not (changed & ~predicted).any()  # nothing outside the arithmetic's window ever moves
        assert changed.sum() > 0.5 * predicted.sum()  # and most of the window does (ReLU can mask some)
    finally:
        model.float()


def test_receptive_field_with_padding_stride_dilation():
    layers = make_monotone(
        nn.Sequential(
            nn.Conv1d(1, 2, 5, stride=2, padding=2),
            nn.ReLU(),
            nn.MaxPool1d(3, stride=2),
            nn.Conv1d(2, 2, 3, dilation=2),
        )
    )
    rf = fga.receptive_field(layers, input_len=60)
    # conv: r 5, j 2, start -2; pool: r 5+2*2=9, j 4; dilated conv: r 9+2*2*4=25, j 4
    assert (rf.size, rf.stride, rf.start) == (25, 4, -2)
    base = np.random.default_rng(0).uniform(0, 1, (1, 60))
    changed = changed_columns(layers, base, delta=1e6)
    assert changed.shape == (60, rf.length)
    assert np.array_equal(changed, rf.mask().T)
