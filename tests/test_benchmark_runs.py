"""Study runs (saved, resumable, loadable) and the confused-pair rule on S23's example pairs."""

from __future__ import annotations

import numpy as np
import pytest

from lib import reference
from lib.paths import data_file
from lib.synthetic import benchmark_runs as br
from lib.synthetic import generator as synthetic


@pytest.fixture(scope="module")
def classes():
    return synthetic.load_classes(data_file("synthetic_benchmark_classes.json"))


@pytest.mark.parametrize("cause", ["overlooked minor peak", "overlapping positions", "overlapping intensities"])
def test_pair_cause_on_s23_examples(classes, cause):
    a, b = reference.S23_HARD_PAIRS[cause]
    expected = {"overlooked minor peak": "minor peak"}.get(cause, cause)
    assert br.pair_cause(classes, a, b)["cause"] == expected
    assert br.pair_cause(classes, b, a)["cause"] == expected


def test_pair_cause_on_challenge_triplets():
    cc = synthetic.load_classes(data_file("synthetic_challenge_classes.json"))
    assert br.pair_cause(cc, 0, 1)["cause"] == "minor peak"
    assert br.pair_cause(cc, 9, 10)["cause"] == "overlapping positions"
    assert br.pair_cause(cc, 18, 19)["cause"] == "overlapping intensities"


def test_match_peaks_is_one_to_one():
    assert br.match_peaks(np.array([100, 200]), np.array([110, 400]), 100) == [(0, 0)]
    assert br.match_peaks(np.array([100, 120]), np.array([110]), 100) in ([(0, 0)], [(1, 0)])


def test_subset_keeps_exceptions(classes):
    labels = [300, 8, 318]
    rules = br.subset_rules(synthetic.BENCHMARK_RULES, labels)
    assert rules.shift_exceptions == {1: 17, 2: 17}
    sub = br.subset_classes(classes, labels)
    np.testing.assert_array_equal(sub.peaks(1)[0], classes.peaks(8)[0])


def test_choose_classes_and_downsample():
    chosen = br.choose_classes(500, 10, must=[8, 318, 8])
    assert chosen[:2] == [8, 318] and len(set(chosen)) == 10
    assert br.choose_classes(5, 10) == list(range(5))
    x = np.arange(10, dtype=np.float32)[None]
    np.testing.assert_allclose(br.downsample_mean(x, 5), [[2.0, 7.0]])


def test_run_study_saves_resumes_and_loads(tmp_path, classes):
    study = br.Study(labels=(246, 382, 8), downsample=20, n_train=4, n_val=2)
    models = ["VGG", br.ModelSpec("CNN2-relu", "CNN2", {"dense_activation": "relu"})]
    table = br.run_study(
        tmp_path, study, classes, models, seeds=[0], max_epochs=2, device="cpu", log=None, save_models=["VGG"]
    )
    net = br.load_model(tmp_path, "VGG", 0, 250, 3)
    assert net.output.out_features == 3
    assert list(table["model"]) == ["CNN2-relu", "VGG"]
    assert (tmp_path / "summary.csv").is_file()
    runs = br.load_runs(tmp_path)
    assert len(runs[0]["history"]) == 2 and runs[0]["n_test"] == 27 and runs[0]["input_len"] == 250
    mtime = br.run_path(tmp_path, "VGG", 0).stat().st_mtime
    br.run_study(tmp_path, study, classes, models, seeds=[0], max_epochs=2, device="cpu", log=None)
    assert br.run_path(tmp_path, "VGG", 0).stat().st_mtime == mtime  # skipped, not retrained
    with pytest.raises(ValueError, match="other settings"):
        br.run_study(tmp_path, br.Study(labels=(1, 2)), classes, models, [0], max_epochs=2, log=None)
    data = study.dataset(classes)
    pairs = br.attribute(br.confusions(runs, study.labels, data["y_test"]), classes)
    assert set(pairs.columns) >= {"a", "b", "errors", "cause"}


def test_decision_map_shape():
    from lib.models import benchmark

    net = benchmark.build("VGG", 250, 3)
    grid = br.decision_map(
        net, np.array([900, 1500]), np.array([0.1, 1.0]), 0, np.arange(850, 1000, 50), np.array([0.05, 0.2]), 5000, 20
    )
    assert grid.shape == (2, 3) and grid.max() < 3


def test_fresh_variations_differ_per_epoch(classes):
    study = br.Study(labels=(5, 6), downsample=50, n_train=3)
    draw = br.fresh_variations(study, classes)
    x1, y1 = draw(1, np.random.default_rng(1))
    x2, _ = draw(2, np.random.default_rng(2))
    assert x1.shape == (6, 100) and list(y1) == [0, 0, 0, 1, 1, 1]
    assert not np.allclose(x1, x2) and np.isclose(x1.max(), 1.0)
