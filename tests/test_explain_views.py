"""The static explorer, the chapter's figures and the table helpers of lib.ir.explain (small random models)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lib.ir import explain
from lib.ir.explain import faithfulness, figures
from lib.ir.ingest import default_grid
from lib.models import fga


def _model(seed: int = 0) -> fga.FGANet:
    torch.manual_seed(seed)
    model = fga.FGANet().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 2.0)
    return model


def _spectra(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, fga.R23_INPUT_LEN))


def _labels(n: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((n, len(fga.R23_GROUPS))) > 0.7).astype(float)


# --------------------------------------------------------------------------- static explorer
def test_pick_molecules_covers_every_carried_group_when_it_can():
    labels = np.zeros((10, 4))
    labels[[0, 1, 2], 0] = 1
    labels[7, 1] = 1  # the only carrier of group 1
    labels[[3, 4], 2] = 1  # group 3 carried by nobody
    picks = explain.pick_molecules(labels, 3, seed=0)
    assert len(picks) == 3 and len(set(picks)) == 3 and list(picks) == sorted(picks)
    assert 7 in picks and labels[picks, 0].any() and labels[picks, 2].any()
    assert len(explain.pick_molecules(labels, 50)) == 10  # never more than there are
    assert list(explain.pick_molecules(labels, 3, seed=0)) == list(picks)  # seeded


def test_static_explorer_has_one_button_per_spectrum_that_shows_only_its_traces():
    model, x, y = _model(), _spectra(4), _labels(4)
    names = ["w", "x", "y", "z"]
    fig = explain.static_explorer(model, x, names, y, max_groups=2, threshold=0.0, decimals=3)
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == names
    # threshold 0: every spectrum explains its max_groups = 2 most probable groups -> 4 traces each
    assert len(fig.data) == 4 * 4
    proba = fga.predict_proba(model, x)
    for i, b in enumerate(buttons):
        visible = b.args[0]["visible"]
        assert len(visible) == len(fig.data)
        mine = list(range(4 * i, 4 * i + 4))
        assert [visible[j] for j in mine] == [True, True, True, "legendonly"]
        assert not any(v for j, v in enumerate(visible) if j not in mine)
        spectrum, bars, first = fig.data[4 * i], fig.data[4 * i + 1], fig.data[4 * i + 2]
        np.testing.assert_allclose(spectrum.y, np.round(x[i], 3))
        np.testing.assert_allclose(bars.x, np.round(proba[i], 3))
        top = int(np.argmax(proba[i]))
        np.testing.assert_allclose(first.y, np.round(explain.column_contributions(model, x[i], top), 3))
        assert b.args[1]["title.text"].startswith(f"{names[i]}: predicted {fga.R23_GROUPS[top]}")
    # the buttons differ: choosing another spectrum changes what is visible
    assert buttons[0].args[0]["visible"] != buttons[1].args[0]["visible"]
    # at the start the first spectrum is shown
    assert [t.visible for t in fig.data[:4]] == [True, True, True, "legendonly"]
    assert all(t.visible is False for t in fig.data[4:])


def test_static_explorer_explains_at_least_the_most_probable_group():
    model, x = _model(1), _spectra(2, seed=1)
    fig = explain.static_explorer(model, x, ["a", "b"], threshold=1.1)  # nothing reaches the threshold
    assert len(fig.data) == 2 * 3
    assert fig.layout.updatemenus[0].buttons[1].args[0]["visible"] == [False] * 3 + [True] * 3


def test_static_explorer_stays_small():
    model, x = _model(), _spectra(30)
    fig = explain.static_explorer(model, x, [f"m{i}" for i in range(30)], decimals=3)
    assert len(fig.to_json()) < 3_000_000


# --------------------------------------------------------------------------- tables
def test_share_table_adds_the_strongest_column_and_whether_it_is_in_range():
    centres = np.array([1000.0, 1650.0, 2250.0, 3000.0])
    groups = ["alkene", "nitriles"]
    profiles = np.array([[[0.0, 2.0, 1.0, 1.0], [0.0, 0.0, 1.0, 3.0]], [[0.0, 4.0, 1.0, 1.0], [0.0, 0.0, 3.0, 1.0]]])
    t = explain.share_table(profiles, centres, groups)
    # seed mean: alkene [0, 3, 1, 1] (its ranges hold 1000, 1650 and 3000) -> 4/5; nitriles [0, 0, 2, 2] -> 2250: 1/2
    assert t.loc["alkene", "share"] == pytest.approx(4 / 5)
    assert t.loc["nitriles", "share"] == pytest.approx(0.5)
    assert t.loc["alkene", "strongest column (cm⁻¹)"] == 1650.0 and bool(t.loc["alkene", "strongest in range"])
    assert t.loc["nitriles", "strongest column (cm⁻¹)"] == 2250.0  # the first of the tied maxima
    assert bool(t.loc["nitriles", "strongest in range"])


def test_region_level_and_ranges_text():
    grid = np.array([2300.0, 2450.0, 2600.0, 2800.0])
    x = np.array([[1.0, 0.2, 0.1, 1.0], [0.0, 0.0, 0.4, 0.0], [0.0, 0.05, 0.0, 0.0]])
    assert explain.region_level(x, grid, (2400.0, 2700.0)) == pytest.approx(0.2)  # median of 0.2, 0.4, 0.05
    assert np.isnan(explain.region_level(x, grid, (100.0, 200.0)))
    text = explain.ranges_text({"nitriles": ((2210, 2260),), "x": ((1, 2), (3, 4))})
    assert text.loc["nitriles"].iloc[0] == "2210–2260" and text.loc["x"].iloc[0] == "1–2, 3–4"


def test_pattern_spread_quantiles_and_dead_channels():
    model = _model()
    x = _spectra(6)
    latent = explain.latent_activations(model, x)
    latent[:, 5] = 0.25  # a dead channel
    patterns = explain.channel_patterns(model, x, k=10, grid=default_grid(), latent=latent)
    spread, dead = explain.pattern_spread(patterns, latent)
    assert 5 in dead and dead == [c for c in range(8) if np.ptp(latent[:, c]) == 0]
    ch0 = patterns.table[patterns.table["channel"] == 0]
    centre = (ch0["wn_lo"] + ch0["wn_hi"]) / 2
    assert spread.loc[0, "50%"] == pytest.approx(centre.median())
    assert spread.loc[0, "iqr"] == pytest.approx(centre.quantile(0.75) - centre.quantile(0.25))
    assert ((spread["peak inside window"] >= 0) & (spread["peak inside window"] <= 1)).all()


def test_compare_models_stacks_tables_and_summarise_averages():
    model = _model()
    x, y = _spectra(4), np.ones((4, len(fga.R23_GROUPS)))
    entries = [("ours", "m0", model, x, y), ("R23", "p0", model, x[:2], y[:2])]
    table = faithfulness.compare_models(entries, ("random", "input"), groups=("alkane", "methyl"), n_steps=4)
    assert set(table["models"]) == {"ours", "R23"} and set(table["model"]) == {"m0", "p0"}
    assert "deletion_curve" in table and len(table.iloc[0]["deletion_curve"]) == 5
    one = explain.compare_methods(model, x, y, ("alkane", "methyl"), ("random", "input"), n_steps=4)
    ours = table[table["models"] == "ours"].reset_index(drop=True)
    np.testing.assert_allclose(ours["difference"], one["difference"])
    summary = faithfulness.summarise(table)
    expected = ours.groupby("method", sort=False)["difference"].mean()
    np.testing.assert_allclose(summary.loc["ours", "difference"].to_numpy(), expected.to_numpy())
    assert list(summary.loc["ours"].index) == ["random", "input"]


# --------------------------------------------------------------------------- figures
def test_figures_have_the_expected_traces():
    model = _model()
    x = _spectra(5)
    grid = default_grid()
    centres = explain.column_wavenumbers(model, grid)
    patterns = explain.channel_patterns(model, x, k=6, grid=grid)
    fig = figures.patterns_figure(patterns, 8, n_examples=2, seed=0)
    assert len(fig.data) == 8 * (1 + 2)
    y = np.asarray(fig.data[0].y, dtype=float)  # the overlay of channel 0, rounded to keep the page small
    _, windows = patterns.channel(0)
    np.testing.assert_allclose(y[~np.isnan(y)], np.round(windows, figures.DECIMALS).ravel())
    w = explain.weight_map(model, clip_negative=True)
    assert len(figures.weights_figure(w, centres).data) == len(fga.R23_GROUPS)
    profiles = {"ours": explain.seed_profiles([model, _model(1)], clip_negative=True)}
    fig = figures.profiles_figure(profiles, centres, ["methyl", "alkene"])
    assert len(fig.data) == 2 * 3  # band edges and mean per group
    mean = profiles["ours"].mean(axis=0)[fga.R23_GROUPS.index("alkene")]
    np.testing.assert_allclose(fig.data[5].y, mean)
    assert len(figures.all_profiles_figure(profiles, centres).data) == len(fga.R23_GROUPS)
    labels = np.ones((5, len(fga.R23_GROUPS)))
    labels[:2, fga.R23_GROUPS.index("nitro")] = 0
    assert len(figures.region_figure(x, labels, grid, ["nitro"], (2400.0, 2700.0)).data) == 4
    table = explain.compare_methods(model, x, labels, ("alkane",), ("random", "input"), n_steps=4, keep_curves=True)
    fig = figures.curves_figure(table, ("random", "input"))
    assert len(fig.data) == 4
    np.testing.assert_allclose(fig.data[0].y, table.iloc[0]["deletion_curve"])


def test_explorer_opens_on_a_correct_rich_example_and_names_the_worst_failure():
    labels = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 0], [0, 0, 1]])
    proba = np.array(
        [
            [0.9, 0.1, 0.1],  # exact, one group
            [0.8, 0.7, 0.2],  # exact, two groups, smallest margin 0.2
            [0.99, 0.95, 0.01],  # exact, two groups, smallest margin 0.45: the opening
            [0.2, 0.99, 0.1],  # misses its group, a confident wrong one: the failure
        ]
    )
    np.testing.assert_allclose(explain.molecule_f1(proba, labels), [1, 1, 1, 0])
    assert explain.explorer_cases(proba, labels) == (2, 3)
    none_exact = np.array([[0.6, 0.6, 0.1], [0.1, 0.1, 0.1], [0.9, 0.1, 0.9], [0.1, 0.1, 0.9]])
    opening, failure = explain.explorer_cases(none_exact, labels)
    assert opening == 3 and failure == 1  # 3 is exact after all; 1 finds nothing of two groups
    with pytest.raises(ValueError, match="must match"):
        explain.explorer_cases(proba[:, :2], labels)


def test_explorer_note_names_the_opening_and_the_confident_failure():
    labels = np.array([[1, 1, 0], [0, 0, 1]])
    proba = np.array([[0.99, 0.95, 0.01], [0.2, 0.99, 0.1]])
    note = explain.explorer_note(["propanone", "trichloroethane"], proba, labels, groups=["a", "b", "c"])
    assert note.startswith("The explorer opens on propanone, the correct prediction with the most groups")
    assert "carries a and b, and the model predicts a (p = 0.99) and b (p = 0.95)" in note
    assert "The worst of them is trichloroethane (molecular F1 0.00): it carries c" in note
    assert "wrong at a probability of 0.99" in note
