"""R23's two-step explainability and the attribution methods of lib.ir.explain (small models, fast)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from lib.ir import explain
from lib.ir.ingest import default_grid
from lib.models import fga


def _random_model(seed: int = 0, input_len: int = fga.R23_INPUT_LEN, **kwargs) -> fga.FGANet:
    torch.manual_seed(seed)
    model = fga.FGANet(input_len=input_len, **kwargs).double().eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 2.0)
    return model


def _positive_model(input_len: int) -> fga.FGANet:
    """All weights and biases positive, BatchNorm the identity: no ReLU can hide a change."""
    model = fga.FGANet(input_len=input_len).double().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.rand_like(p) * 0.5 + 0.5 if "features" in name and "weight" in name else torch.ones_like(p))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.zero_()
                m.running_var.fill_(1.0)
                m.eps = 0.0
    return model


def _spectra(n: int, p: int = fga.R23_INPUT_LEN, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).random((n, p))
    return x / x.max(axis=1, keepdims=True)


# --------------------------------------------------------------------------- receptive field
@pytest.mark.parametrize("input_len", [fga.R23_INPUT_LEN, 101])
def test_receptive_field_matches_brute_force_perturbation(input_len):
    """Changing input point i changes exactly the latent columns whose window contains i."""
    model = _positive_model(input_len)
    rf = fga.receptive_field(model, input_len)
    x = torch.rand(1, input_len, dtype=torch.float64) + 0.1
    bumped = x.repeat(input_len, 1) + 1e3 * torch.eye(input_len, dtype=torch.float64)
    with torch.no_grad():
        base = model.latent(x)
        changed = (model.latent(bumped) != base).any(dim=1).numpy()  # (input point, column)
    predicted = rf.mask().T
    np.testing.assert_array_equal(changed, predicted)
    windows = explain.column_windows(model)
    for k in (0, rf.length // 2, rf.length - 1):
        lo, hi = windows[k]
        assert set(np.flatnonzero(changed[:, k])) == set(range(lo, hi))
    if input_len == fga.R23_INPUT_LEN:
        assert (rf.size, rf.stride, rf.length) == (16, 4, 209)
        assert not changed[-2:].any()  # the last two points fall in no column


# --------------------------------------------------------------------------- step 1
def test_top_activations_match_brute_force_argsort():
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(7, 3, 11))
    table = explain.top_activations(latent, k=5)
    assert len(table) == 15
    for ch in range(3):
        flat = latent[:, ch, :].ravel()
        expected = np.argsort(-flat, kind="stable")[:5]
        got = table[table["channel"] == ch]
        np.testing.assert_array_equal(got["sample"] * 11 + got["position"], expected)
        np.testing.assert_allclose(got["activation"], flat[expected])
        assert list(got["rank"]) == list(range(5))


def test_top_activations_ties_and_k_larger_than_data():
    latent = np.zeros((2, 1, 3))
    latent[1, 0, 2] = 1.0
    table = explain.top_activations(latent, k=100)
    assert len(table) == 6
    assert (table.iloc[0]["sample"], table.iloc[0]["position"]) == (1, 2)
    assert list(table["sample"] * 3 + table["position"])[1:] == [0, 1, 2, 3, 4]  # ties: lower index first


def test_channel_patterns_windows_are_the_input_behind_the_activation():
    model = _random_model()
    x = _spectra(6)
    grid = default_grid()
    patterns = explain.channel_patterns(model, x, k=4, grid=grid)
    assert patterns.windows.shape == (8 * 4, 16)
    for _, row in patterns.table.iterrows():
        lo, hi = fga.input_window(model, int(row["position"]))
        assert (row["lo"], row["hi"]) == (lo, hi)
        assert row["wn_lo"] == grid[lo] and row["wn_hi"] == grid[hi - 1]
    rows, windows = patterns.channel(3)
    r = rows.iloc[0]
    np.testing.assert_array_equal(windows[0], x[int(r["sample"]), int(r["lo"]) : int(r["hi"])])
    latent = explain.latent_activations(model, x)
    assert r["activation"] == pytest.approx(latent[:, 3, :].max())
    assert patterns.offsets[-1] == pytest.approx(15 * 3400 / 849)  # ~67 cm⁻¹ window


# --------------------------------------------------------------------------- step 2
def test_weight_map_shape_and_wavenumber_mapping():
    model = _random_model()
    w = explain.weight_map(model)
    assert w.shape == (17, 8, 209)
    flat = model.classifier[0].weight.detach().numpy()
    assert w[5, 2, 100] == flat[5, 2 * 209 + 100]  # channel-major flattening
    clipped = explain.weight_map(model, clip_negative=True)
    assert clipped.min() == 0.0 and np.array_equal(clipped[w > 0], w[w > 0])
    np.testing.assert_array_equal(explain.group_profiles(model), w.max(axis=1))

    grid = default_grid()
    centres = explain.column_wavenumbers(model, grid)
    step = 3400 / 849
    assert centres.shape == (209,)
    np.testing.assert_allclose(centres, 500 + (4 * np.arange(209) + 7.5) * step)
    ranges = explain.column_ranges(model, grid)
    np.testing.assert_allclose(ranges[0], [500, 500 + 15 * step])
    np.testing.assert_allclose(ranges[:, 1] - ranges[:, 0], 15 * step)
    with pytest.raises(ValueError):
        explain.column_wavenumbers(model, grid[:-1])


def test_seed_agreement_is_one_for_identical_models_and_lower_otherwise():
    a = _random_model(0)
    b = copy.deepcopy(a)
    with torch.no_grad():
        b.classifier[0].weight.mul_(3.0)  # Pearson ignores scale
    same = explain.seed_agreement(explain.seed_profiles([a, copy.deepcopy(a), b]))
    np.testing.assert_allclose(same.to_numpy(), 1.0)
    assert list(same.index) == list(fga.R23_GROUPS)
    other = explain.seed_agreement(explain.seed_profiles([a, _random_model(1)]))
    assert (other.abs() < 0.5).all()
    mean, std = explain.profile_mean_std(explain.seed_profiles([a, a]))
    assert mean.shape == (17, 209) and np.all(std == 0)


# --------------------------------------------------------------------------- group frequencies
def test_group_frequency_table_and_share():
    assert set(explain.GROUP_FREQUENCIES) == set(fga.R23_GROUPS)
    table = explain.group_frequency_table()
    assert (table["lo"] < table["hi"]).all() and table["lo"].min() >= 500 and table["hi"].max() <= 3900
    nitrile = table[table["group"] == "nitriles"].iloc[0]
    assert (nitrile["lo"], nitrile["hi"]) == (2210, 2260)

    centres = explain.column_wavenumbers(_random_model(), default_grid())
    profiles = np.zeros((17, 209))
    inside = explain.in_ranges(centres, explain.GROUP_FREQUENCIES["nitriles"])
    profiles[6, inside] = 1.0
    profiles[6, ~inside] = -5.0  # negatives are clipped: no mass
    profiles[16] = 1.0  # flat: share equals chance
    share = explain.textbook_share(profiles, centres)
    assert share.loc["nitriles", "share"] == pytest.approx(1.0)
    assert share.loc["nitro", "share"] == pytest.approx(share.loc["nitro", "chance"])
    assert np.isnan(share.loc["alkane", "share"])


def test_measured_band_share_follows_the_classifier_into_the_textbook_range():
    grid = default_grid()
    model = _positive_model(grid.size)
    centres = explain.column_wavenumbers(model, grid)
    nitrile_cols = explain.in_ranges(centres, [(2150.0, 2320.0)])
    with torch.no_grad():  # nitriles read only columns around their band, ethers every column alike
        w = model.classifier[0].weight.view(model.n_groups, *model.latent_shape)
        w[6] = 0.0
        w[6][:, nitrile_cols] = 1.0
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (5, grid.size))
    y = np.zeros((5, 17))
    y[:3, 6] = 1
    y[3:, 13] = 1
    table = explain.measured_band_share([model, model], x, y, grid)
    assert list(table.index) == ["nitriles", "ether"] and list(table["spectra"]) == [3, 2]
    assert table.loc["nitriles", "ratio"] > 10 and table.loc["nitriles", "share"] > 0.25  # windows spill over the edges
    assert table.loc["ether", "ratio"] == pytest.approx(1.0, abs=0.3)  # flat weights: about chance
    with pytest.raises(ValueError, match="no group"):
        explain.measured_band_share([model], x, np.zeros((5, 17)), grid)
    sentence = explain.band_share_sentence({"ours": table})
    assert sentence.startswith("ours: a median ") and "of the relevance lies inside the textbook ranges" in sentence
    assert "1 of 2 groups clearly above chance, 1 at about chance (ether " in sentence


# --------------------------------------------------------------------------- region study
def test_region_study_splits_by_group():
    grid = default_grid()
    x = np.zeros((4, grid.size))
    x[:2] = 1.0
    y = np.zeros((4, 17))
    y[:2, 16] = 1
    study = explain.region_study(x, y, "nitro", grid)
    assert study.wavenumbers.min() >= 2400 and study.wavenumbers.max() <= 2700
    assert study.present.shape == (2, study.wavenumbers.size) and study.absent.shape[0] == 2
    assert np.all(study.median_present == 1) and np.all(study.median_absent == 0)
    assert study.summary()["mean_abs_median_diff"] == 1.0


# --------------------------------------------------------------------------- per-spectrum explanation
def test_column_contributions_add_up_to_the_logit():
    model = _random_model()
    x = _spectra(3)
    with torch.no_grad():
        logits = model(torch.as_tensor(x)).numpy()
    c = explain.column_contributions(model, x, "alkene")
    bias = model.classifier[0].bias.detach().numpy()[2]
    np.testing.assert_allclose(c.sum(axis=1) + bias, logits[:, 2], rtol=1e-10)
    frame = explain.explain_spectrum(model, x[0], 2)
    assert len(frame) == 209
    np.testing.assert_allclose(frame["positive"] + frame["negative"], frame["contribution"])
    points = explain.act_x_weight(model, x, 2)
    np.testing.assert_allclose(points.sum(axis=1), c.sum(axis=1))  # spreading keeps the total


# --------------------------------------------------------------------------- attribution methods
def test_integrated_gradients_completeness():
    model = _random_model()
    x = _spectra(3)
    ig = explain.integrated_gradients(model, x, 4, steps=256)
    with torch.no_grad():
        diff = (model(torch.as_tensor(x)) - model(torch.zeros(1, 850, dtype=torch.float64)))[:, 4].numpy()
    np.testing.assert_allclose(ig.sum(axis=1), diff, rtol=0.02, atol=0.02 * np.abs(diff).max())
    gap = explain.completeness_gap(model, x, ig, 4)
    np.testing.assert_allclose(gap, ig.sum(axis=1) - diff, atol=1e-12)
    # linear model: exact for any number of steps and any baseline
    lin = nn.Linear(10, 2).double()
    xs, base = _spectra(2, 10), np.full(10, 0.3)
    ig_lin = explain.integrated_gradients(lin, xs, 1, baseline=base, steps=3)
    np.testing.assert_allclose(ig_lin, (xs - base) * lin.weight.detach().numpy()[1], rtol=1e-12)


def test_gradcam_and_occlusion_shapes_and_signs():
    model = _random_model()
    x = _spectra(2)
    cam = explain.gradcam(model, x, 3)
    assert cam.shape == x.shape and cam.min() >= 0
    occ = explain.occlusion(model, x, 3, window=16, stride=4)
    assert occ.shape == x.shape
    # occlusion on a linear model with window 1 is exactly weight × (x − baseline)
    lin = nn.Linear(12, 1).double()
    xs = _spectra(2, 12)
    occ_lin = explain.occlusion(lin, xs, 0, window=1, stride=1)
    np.testing.assert_allclose(occ_lin, xs * lin.weight.detach().numpy()[0], rtol=1e-10)
    assert set(explain.METHODS) == {"act_x_weight", "integrated_gradients", "gradcam", "occlusion", "random"}
    with pytest.raises(ValueError):
        explain.relevance(model, x, 0, "saliency")


# --------------------------------------------------------------------------- faithfulness
def _toy_linear(p: int = 40) -> tuple[nn.Linear, np.ndarray]:
    """logit = Σ w·x with non-negative weights: deleting any point never raises the score."""
    lin = nn.Linear(p, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.linspace(0, 1, p, dtype=torch.float64) ** 3)
        lin.bias.fill_(-2.0)
    return lin, _spectra(5, p, seed=3)


def test_deletion_and_insertion_curves_on_a_toy_model():
    lin, x = _toy_linear()
    w = lin.weight.detach().numpy()[0]
    exact = x * w  # the true contributions
    curves = explain.deletion_insertion(lin, x, exact, 0, n_steps=10, score="logit")
    assert curves.deletion.shape == (5, 11)
    assert np.all(np.diff(curves.deletion, axis=1) <= 1e-12)  # monotone down
    assert np.all(np.diff(curves.insertion, axis=1) >= -1e-12)  # monotone up
    full = x @ w - 2.0
    np.testing.assert_allclose(curves.deletion[:, 0], full)
    np.testing.assert_allclose(curves.deletion[:, -1], -2.0)
    np.testing.assert_allclose(curves.insertion[:, -1], full)
    # the true ranking beats the reversed one and a random one
    worst = explain.deletion_insertion(lin, x, -exact, 0, n_steps=10, score="logit")
    rand = explain.deletion_insertion(lin, x, explain.random_relevance(x), 0, n_steps=10, score="logit")
    assert np.all(curves.deletion_auc <= rand.deletion_auc + 1e-12)
    assert np.all(rand.deletion_auc <= worst.deletion_auc + 1e-12)
    assert np.all(curves.insertion_auc >= rand.insertion_auc - 1e-12)


def test_compare_methods_table():
    model = _random_model()
    x = _spectra(4)
    y = np.zeros((4, 17))
    y[:3, 2] = 1
    table = explain.compare_methods(model, x, y, groups=["alkene", "nitro"], n_steps=5, ig_steps=8)
    assert isinstance(table, pd.DataFrame)
    assert set(table["group"]) == {"alkene"}  # no nitro positives
    assert list(table["method"]) == list(explain.METHODS)
    assert (table["n"] == 3).all()
    assert table[["deletion_auc", "insertion_auc"]].stack().between(0, 1).all()


# --------------------------------------------------------------------------- additions: zoom, agreement, explorer
def test_channel_patterns_restricted_to_columns():
    model = _random_model()
    x = _spectra(5)
    cols = np.arange(40, 60)
    patterns = explain.channel_patterns(model, x, k=7, columns=cols)
    assert patterns.table["position"].between(40, 59).all()
    latent = explain.latent_activations(model, x)
    for ch in range(8):
        rows, _ = patterns.channel(ch)
        assert rows["activation"].iloc[0] == pytest.approx(latent[:, ch, 40:60].max())
    small = explain.channel_patterns(model, x[:1], k=100, columns=[3])  # fewer candidates than k
    assert (small.table.groupby("channel").size() == 1).all()
    with pytest.raises(ValueError):
        explain.channel_patterns(model, x, columns=np.zeros(209, dtype=bool))


def test_zoom_channels_summary_and_figure():
    model = _random_model()
    grid = default_grid()
    centres = explain.column_wavenumbers(model, grid)
    inside = explain.in_ranges(centres, [(1350, 1950)])
    with torch.no_grad():
        w = model.classifier[0].weight.view(17, 8, 209)
        w.zero_()
        w[2, 5, np.flatnonzero(inside)[3]] = 3.0  # alkene, channel 5: the largest weight in the region
        w[2, 1, np.flatnonzero(inside)[0]] = 2.0
        w[2, 7, np.flatnonzero(~inside)[0]] = 9.0  # outside the region: ignored
    channels, columns = explain.zoom_channels(model, "alkene", (1350, 1950), n=2, grid=grid)
    assert list(channels) == [5, 1]
    np.testing.assert_array_equal(columns, np.flatnonzero(inside))
    x = _spectra(6)
    fig, ch, patterns = explain.zoom_figure(model, x, "alkene", (1350, 1950), 2, k=5, grid=grid)
    assert list(ch) == [5, 1] and len(fig.data) == 1 + 2 * 2  # heat map + (overlay, median) per channel
    assert patterns.table["position"].isin(columns).all()
    summary = explain.zoom_summary(model, patterns, ch, "alkene", 1650.0, grid)
    assert list(summary.index) == [5, 1] and summary["towards_target"].between(0, 1).all()
    assert summary.loc[5, "max_weight"] <= 3.0


def test_zoom_summary_orientation_counts_the_side_of_the_maximum():
    model = _random_model()
    grid = default_grid()
    x = np.zeros((2, 850))
    x[0, 100] = 1.0  # a spike: its windows have their maximum at every offset
    x[1] = 0.1
    patterns = explain.channel_patterns(model, x, k=3, grid=grid)
    rows, windows = patterns.channel(0)
    peak = rows["wn_lo"].to_numpy() + patterns.offsets[np.nanargmax(windows, axis=1)]
    centre = (rows["wn_lo"] + rows["wn_hi"]).to_numpy() / 2
    far_up = explain.zoom_summary(model, patterns, [0], 0, 5000.0, grid).loc[0, "towards_target"]
    assert far_up == pytest.approx(np.mean(peak > centre))


def test_region_share_and_cross_group_reference():
    model = _random_model()
    centres = explain.column_wavenumbers(model, default_grid())
    inside = explain.in_ranges(centres, [(2400, 2700)])
    p = np.ones((3, 17, 209))
    p[:, 16, ~inside] = 0.0
    share = explain.region_share(p, centres, (2400, 2700))
    assert share.loc["nitro", "share"] == pytest.approx(1.0)
    assert share.loc["alkane", "share"] == pytest.approx(share.loc["alkane", "chance"])
    assert share.loc["alkane", "std"] == pytest.approx(0.0, abs=1e-12)

    rng = np.random.default_rng(0)
    base = rng.random((17, 209))
    same = np.stack([base + 0.01 * rng.random((17, 209)) for _ in range(3)])
    assert (explain.seed_agreement(same) > 0.99).all()
    ref = explain.cross_group_agreement(same)
    assert ref.shape == (17,) and (ref.abs() < 0.3).all()  # independent groups: near 0
    shared = np.stack([np.tile(base[0], (17, 1)) + 0.01 * rng.random((17, 209)) for _ in range(2)])
    assert (explain.cross_group_agreement(shared) > 0.99).all()  # every group alike: reference near 1
    single = explain.cross_group_agreement(same[:1])
    assert np.isfinite(single).all()


def test_centred_copy_keeps_softmax_and_centres_logits():
    model = _random_model(n_groups=5)
    x = torch.as_tensor(_spectra(4))
    centred = explain.centred_copy(model)
    with torch.no_grad():
        a, b = model(x), centred(x)
    torch.testing.assert_close(b, a - a.mean(dim=1, keepdim=True))
    torch.testing.assert_close(torch.softmax(a, 1), torch.softmax(b, 1))
    assert model.classifier[0].weight.abs().sum() > 0  # the original is untouched
    c = explain.column_contributions(centred, x.numpy(), 2)
    np.testing.assert_allclose(c.sum(1) + centred.classifier[0].bias[2].item(), b[:, 2].numpy(), rtol=1e-9)


def test_spectrum_figure_and_explorer():
    model = _random_model()
    x = _spectra(3)
    view = explain.Explorer(model, x, ["a", "b", "c"], group="nitro", index=1)
    fig = view.figure()
    assert fig.layout.xaxis.autorange == "reversed"
    assert "b: nitro, all channels" in fig.layout.title.text
    bars = [t for t in fig.data if t.type == "bar"]
    c = explain.column_contributions(model, x[1], "nitro")
    np.testing.assert_allclose(bars[0].y + bars[1].y, c)
    one = explain.spectrum_figure(model, x[1], "nitro", channel=3)
    per_channel = explain.channel_contributions(model, x[1], "nitro")
    np.testing.assert_allclose(sum(t.y for t in one.data if t.type == "bar"), per_channel[3])
    np.testing.assert_allclose(per_channel.sum(0), c)

    box = view.widget()  # ipywidgets without a kernel: controls are built and react
    group, spectrum, channel = box.children[0].children
    spectrum.value = 2
    channel.value = 4
    group.value = "alkene"
    assert (view.group, view.index, view.channel) == ("alkene", 2, 4)
    assert "c: alkene, channel 4" in view.figure().layout.title.text
    channel.value = -1
    assert view.channel is None


def test_overlay_and_baselines():
    x, y = explain.overlay(np.arange(3.0), np.array([[1, 2, 3], [4, 5, 6]]))
    assert len(x) == len(y) == 8 and np.isnan(y[3]) and np.isnan(x[3]) and y[4] == 4
    model = _random_model()
    s = _spectra(2)
    np.testing.assert_array_equal(explain.relevance(model, s, 0, "input"), s)
    y_lab = np.ones((2, 17))
    table = explain.compare_methods(model, s, y_lab, groups=["alkene"], methods=("act_x_weight", "input"), n_steps=4,
                                    keep_curves=True)  # fmt: skip
    assert list(table["method"]) == ["act_x_weight", "input"]
    assert table.iloc[0]["deletion_curve"].shape == (5,)
    assert explain.method_kwargs(model, "occlusion") == {"window": 16, "stride": 4, "baseline": 0.0}


def test_live_kernel_is_false_outside_jupyter():
    from lib import notebook

    assert notebook.live_kernel() is False


def test_band_position():
    grid = default_grid()
    x = np.zeros((3, 850))
    y = np.zeros((3, 17))
    for i, wn in enumerate((2250, 2270, 2400)):
        x[i, np.argmin(np.abs(grid - wn))] = 1.0
    x[:, 0] = 5.0  # outside the region: ignored
    y[:2, 6] = 1
    assert explain.band_position(x, y, "nitriles", (2000, 2700), grid) == pytest.approx(2260, abs=3)
    assert np.isnan(explain.band_position(x, y, "nitro", (2000, 2700), grid))
