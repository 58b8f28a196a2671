"""Do attribution methods point at the decisive peaks? (lib.synthetic.explain, small and fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.ir import explain
from lib.synthetic import benchmark_runs as br
from lib.synthetic import explain as es
from lib.synthetic import generator as synthetic


def _classes() -> synthetic.ClassSet:
    pos = np.array([[1000, 3000, -1], [1060, 4000, -1], [2000, 2500, 4500]])
    hei = np.array([[1.0, 0.5, 0.0], [0.3, 1.0, 0.0], [1.0, 0.4, 0.2]])
    return synthetic.ClassSet(pos, hei, 5000)


def test_distinctive_peaks():
    d = es.distinctive_peaks(_classes(), reach=100)
    assert [m.tolist() for m in d] == [[False, True], [False, True], [True, True, True]]
    d = es.distinctive_peaks(_classes(), reach=50)  # 1000 and 1060 are 60 apart
    assert d[0].all() and d[1].all()


def test_peak_windows_map_full_resolution_peaks_to_downsampled_points():
    classes = _classes()
    peaks = synthetic.Peaks(classes.positions.copy(), classes.heights.copy(), np.full(3, 2.0), np.arange(3))
    keep = es.distinctive_peaks(classes, 100)
    win = es.peak_windows(peaks, keep, tolerance=30, downsample=10, input_len=500)
    assert win[0] == [(297, 304)]  # 3000 ± 30 → original points 2970…3030 → blocks 297…303
    assert win[2] == [(197, 204), (247, 254), (447, 454)]
    assert len(es.peak_windows(peaks, None, 30, 10, 500)[0]) == 2
    # a peak varied to height 0 is not there
    peaks.heights[2, 2] = 0.0
    assert len(es.peak_windows(peaks, keep, 30, 10, 500)[2]) == 2
    # clipped at the ends
    edge = synthetic.Peaks(np.array([[5, 4995]]), np.ones((1, 2)), np.array([2.0]), np.array([0]))
    assert es.peak_windows(edge, None, 30, 10, 500)[0] == [(0, 4), (496, 500)]
    mask = es.window_mask(win, 500)
    assert mask.shape == (3, 500) and mask[0].sum() == 7


def test_pointing_scores():
    windows = [[(10, 15), (40, 45)], [], [(0, 2)]]
    rel = np.zeros((3, 100))
    rel[0, 12] = 3.0  # top point on peak 1
    rel[0, 80] = 2.0  # then off-peak points
    rel[0, 81] = 1.5
    rel[2] = -np.arange(100)  # points 0, 1 first: on the peak
    table = es.pointing_scores(rel, windows, k=3)
    assert table.loc[0, "hit_at_1"] == 1.0
    assert table.loc[0, "precision_at_k"] == pytest.approx(1 / 3)
    assert table.loc[0, "peaks_found"] == 0.5
    assert table.loc[0, "chance"] == pytest.approx(0.1)
    assert np.isnan(table.loc[1, "hit_at_1"]) and table.loc[1, "n_peaks"] == 0
    assert table.loc[2, "precision_at_k"] == pytest.approx(2 / 3) and table.loc[2, "peaks_found"] == 1.0


def test_pipeline_on_benchmark_classes(benchmark_classes):
    """The strongest point of every test spectrum lies on one of its own peaks (windows aligned with
    the rendered spectra), and a short training run gives a full pointing table."""
    labels = br.choose_classes(len(benchmark_classes), 3, seed=0)
    study = br.Study(labels=tuple(labels), downsample=25, n_train=40, n_val=5)
    data, peaks = es.study_data(study, benchmark_classes)
    ref = study.dataset(benchmark_classes)
    np.testing.assert_array_equal(data["x_test"], ref["x_test"])
    n_in = data["x_test"].shape[1]
    own = es.peak_windows(peaks["test"], None, tolerance=25, downsample=25, input_len=n_in)
    scores = es.pointing_scores(data["x_test"], own, k=1)
    assert (scores["hit_at_1"] == 1.0).all()

    result = es.train_fga(study, benchmark_classes, seed=0, max_epochs=2, data=data)
    sub = br.subset_classes(benchmark_classes, labels)
    windows = {"distinctive": es.peak_windows(peaks["test"], es.distinctive_peaks(sub), 50, 25, n_in), "own": own}
    table = es.pointing_study(result.model, data["x_test"], data["y_test"], windows, k=3, ig_steps=4)
    n_methods = len(explain.METHODS + explain.BASELINES)
    assert len(table) == len(data["x_test"]) * n_methods * 2
    summary = es.summarise(table)
    assert isinstance(summary, pd.DataFrame)
    assert summary.loc[("own", "input"), "hit_at_1"] == 1.0
    valid = summary[["hit_at_1", "precision_at_k", "peaks_found"]].stack()
    assert valid.between(0, 1).all()
    untrained = es.untrained_fga(n_in, 3, seed=1)
    assert not untrained.training and untrained.n_groups == 3
