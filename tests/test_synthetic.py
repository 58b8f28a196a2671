"""The synthetic generator against an independent, literal per-spectrum implementation."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from lib.paths import REPO, data_file
from lib.synthetic import generator as synthetic


def literal_spectrum(positions, heights, sigma, datapoints=5000):
    """The authors' way: assign delta peaks (last write wins), then gaussian_filter1d."""
    scan = np.zeros(datapoints)
    scan[np.asarray(positions)] = np.asarray(heights)
    return gaussian_filter1d(scan, sigma, mode="constant")


def literal_benchmark_test(classes_json: dict) -> np.ndarray:
    """S23's test split written out from REFERENCE.md §2, one class and variant at a time."""
    rows = []
    for key in sorted(classes_json["spectra"], key=int):
        label = int(key)
        pos = np.array(classes_json["spectra"][key]["peak_positions"])
        hei = np.array(classes_json["spectra"][key]["peak_heights"])
        s = 17 if label in (8, 318) else 30
        h = 0.025 if label in (164, 281, 219, 347) else 0.04
        left, right = np.clip(pos - s, 0, 4999), np.clip(pos + s, 0, 4999)
        up = np.clip(np.where(hei == 1.0, hei, hei + h), 0, 2)
        down = np.clip(np.where(hei == 1.0, hei, hei - h), 0, 2)
        for p, q in ((pos, hei), (left, hei), (right, hei), (pos, up), (left, up), (right, up),
                     (pos, down), (left, down), (right, down)):  # fmt: skip
            rows.append(literal_spectrum(p, q, 2))
    return np.array(rows)


def test_regenerating_with_the_authors_seed_gives_the_published_classes(benchmark_classes):
    again = synthetic.generate_classes(n_classes=500, seed=2022)
    np.testing.assert_array_equal(again.positions, benchmark_classes.positions)
    np.testing.assert_array_equal(again.heights, benchmark_classes.heights)
    other = synthetic.generate_classes(n_classes=500, seed=7)
    assert not np.array_equal(other.positions, benchmark_classes.positions)
    assert (other.positions[other.positions >= 0] >= 100).all() and (other.positions < 4900).all()
    assert np.allclose(other.heights.max(axis=1), 1.0)


def test_render_matches_gaussian_filter_per_row_including_collisions_and_edges():
    rng = np.random.default_rng(1)
    n = 200
    pos = rng.integers(0, 5000, (n, 6))
    pos[:5, 0] = [0, 3, 4999, 4990, 10]  # kernels cut at either end
    pos[5:20, 1] = pos[5:20, 0]  # collisions: the later peak overwrites
    pos[20:30, 5] = -1  # padding
    hei = rng.uniform(0, 2, (n, 6))
    sigma = rng.uniform(2, 5, n)
    got = synthetic.render(pos, hei, sigma, 5000)
    assert got.dtype == np.float32 and got.shape == (n, 5000)
    for i in range(n):
        keep = pos[i] >= 0
        want = literal_spectrum(pos[i][keep], hei[i][keep], sigma[i])
        np.testing.assert_allclose(got[i], want, atol=2e-7, err_msg=f"row {i}")


def test_benchmark_test_split_follows_the_published_rules_exactly(benchmark_classes):
    raw = json.loads(data_file("synthetic_benchmark_classes.json").read_text())
    data = synthetic.make_dataset(benchmark_classes, n_train=0, n_val=0)
    want = literal_benchmark_test(raw)
    assert data["x_test"].shape == (4500, 5000)
    np.testing.assert_array_equal(data["y_test"], np.repeat(np.arange(500), 9))
    np.testing.assert_allclose(data["x_test"], want, atol=2e-7)
    # the exceptions matter: without them classes 8 and 164 come out differently
    plain = synthetic.render(*_peaks(synthetic.deterministic_peaks(benchmark_classes, synthetic.PLAIN_RULES)), 5000)
    for label in (8, 164):
        rows = slice(9 * label, 9 * label + 9)
        assert not np.allclose(plain[rows], want[rows], atol=1e-4)


def _peaks(p: synthetic.Peaks):
    return p.positions, p.heights, p.sigma


def test_challenge_test_split_follows_the_per_triplet_patterns(challenge_classes):
    raw = json.loads(data_file("synthetic_challenge_classes.json").read_text())
    exact, left, right, up, down = "exact", "left", "right", "up", "down"
    # released script's patterns, written out per class group: (positions, heights)
    groups = {
        tuple(range(9)) + (20, 23, 26): [(exact, exact), (left, exact), (right, exact),
                                         (exact, down), (left, down), (right, down)],
        (9, 12, 15): [(exact, exact), (right, exact), (exact, up), (right, up), (exact, down), (right, down)],
        (10, 13, 16): [(left, exact), (right, exact), (left, up), (right, up), (left, down), (right, down)],
        (11, 14, 17): [(exact, exact), (left, exact), (exact, up), (left, up), (exact, down), (left, down)],
        (18, 21, 24): [(exact, exact), (left, exact), (right, exact), (exact, up), (left, up), (right, up)],
        (19, 22, 25): [(exact, down), (left, down), (right, down), (exact, up), (left, up), (right, up)],
    }  # fmt: skip
    data = synthetic.make_dataset(challenge_classes, n_train=2, n_val=1, rules=synthetic.CHALLENGE_RULES)
    assert data["x_test"].shape == (27 * 6, 5000)
    for members, variants in groups.items():
        for label in members:
            pos = np.array(raw["spectra"][str(label)]["peak_positions"])
            hei = np.array(raw["spectra"][str(label)]["peak_heights"])
            where = {exact: pos, left: np.clip(pos - 30, 0, 4999), right: np.clip(pos + 30, 0, 4999)}
            how = {exact: hei, up: np.where(hei == 1.0, hei, hei + 0.03), down: np.where(hei == 1.0, hei, hei - 0.03)}
            for j, (p, h) in enumerate(variants):
                want = literal_spectrum(where[p], np.clip(how[h], 0, 2), 2)
                np.testing.assert_allclose(data["x_test"][6 * label + j], want, atol=2e-7, err_msg=f"{label}/{j}")


def test_training_variation_stays_within_the_published_ranges(benchmark_classes):
    peaks = synthetic.sample_peaks(benchmark_classes, seed=3, n_train=7, n_val=2)
    train = peaks["train"]
    np.testing.assert_array_equal(train.labels, np.repeat(np.arange(500), 7))
    base_pos = benchmark_classes.positions[train.labels]
    base_hei = benchmark_classes.heights[train.labels]
    real = base_pos >= 0
    shift = train.positions[real] - base_pos[real]
    assert shift.min() == -50 and shift.max() == 49  # integers in [-50, 50)
    dh = train.heights[real] - base_hei[real]
    assert dh.min() >= -0.05 and dh.max() < 0.05 and dh.min() < -0.045 and dh.max() > 0.045
    assert (train.positions[~real] == -1).all()
    assert train.sigma.min() >= 2 and train.sigma.max() < 5
    assert len(peaks["val"].labels) == 1000


def test_challenge_training_keeps_the_unit_peak(challenge_classes):
    peaks = synthetic.sample_peaks(challenge_classes, seed=0, n_train=20, n_val=0, rules=synthetic.CHALLENGE_RULES)
    train = peaks["train"]
    unit = challenge_classes.heights[train.labels] == 1.0
    np.testing.assert_array_equal(train.heights[unit], 1.0)
    assert not np.allclose(
        train.heights[~unit & (train.positions >= 0)],
        challenge_classes.heights[train.labels][~unit & (train.positions >= 0)],
    )


def test_datasets_are_reproducible_per_seed(benchmark_classes):
    a = synthetic.make_dataset(benchmark_classes, seed=5, n_train=2, n_val=1)
    b = synthetic.make_dataset(benchmark_classes, seed=5, n_train=2, n_val=1)
    c = synthetic.make_dataset(benchmark_classes, seed=6, n_train=2, n_val=1)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["x_train"], c["x_train"])
    np.testing.assert_array_equal(a["x_test"], c["x_test"])  # the test split is deterministic
    assert all(a[k].dtype == np.float32 for k in a if k.startswith("x_"))


def test_normalise_divides_each_spectrum_by_its_maximum():
    x = np.array([[0.0, 2.0, 1.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(synthetic.normalise(x), [[0.0, 1.0, 0.5], [0.0, 0.0, 0.0]])


def test_difference_window_covers_the_distinguishing_peak(benchmark_classes):
    lo, hi = synthetic.difference_window(benchmark_classes, 246, 382)
    p246, _ = benchmark_classes.peaks(246)
    p382, _ = benchmark_classes.peaks(382)
    unique = set(p246.tolist()) ^ set(p382.tolist())
    assert all(lo <= p < hi for p in unique)
    assert synthetic.difference_window(benchmark_classes, 5, 5) == (0, 5000)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"spectra": {}}, "datapoints"),
        ({"datapoints": 5000, "spectra": {"0": {"peak_positions": [6000], "peak_heights": [1.0]}}}, "peak_positions"),
        ({"datapoints": 5000, "spectra": {"0": {"peak_positions": [10, 20], "peak_heights": [1.0]}}}, "peak_heights"),
        ({"datapoints": 5000, "spectra": {"1": {"peak_positions": [10], "peak_heights": [1.0]}}}, "keys 0..n-1"),
        (
            {"datapoints": 5000, "classes": 3, "spectra": {"0": {"peak_positions": [1], "peak_heights": [1.0]}}},
            "classes",
        ),
    ],
)
def test_bad_class_files_name_the_file_and_field(tmp_path, content, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match=field) as err:
        synthetic.load_classes(path)
    assert "bad.json" in str(err.value)


def test_class_files_round_trip(tmp_path, challenge_classes):
    challenge_classes.to_json(tmp_path / "c.json")
    again = synthetic.load_classes(tmp_path / "c.json")
    np.testing.assert_array_equal(again.positions, challenge_classes.positions)
    np.testing.assert_array_equal(again.heights, challenge_classes.heights)


def test_cli_generate_writes_the_six_arrays(tmp_path):
    out = tmp_path / "data"
    cmd = [sys.executable, "-m", "lib", "synthetic", "generate", "--classes",
           str(data_file("synthetic_challenge_classes.json")), "--out", str(out), "--n-train", "3", "--n-val", "2",
           "--rules", "challenge", "--seed", "4"]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)
    data = synthetic.load_dataset(out)
    assert data["x_train"].shape == (81, 5000) and data["x_val"].shape == (54, 5000)
    assert data["x_test"].shape == (162, 5000)
    assert not list(out.glob(".*.tmp"))  # no temporary files left behind
    bad = subprocess.run(
        [sys.executable, "-m", "lib", "synthetic", "generate", "--classes", str(tmp_path / "none.json"), "--out",
         str(out)], cwd=REPO, capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "none.json" in bad.stderr


def test_closest_peaks_picks_the_pair_that_overlaps():
    classes = synthetic.ClassSet(
        positions=np.array([[100, 1000, 3000, -1], [105, 2000, 3010, 4000]]),
        heights=np.array([[0.2, 1.0, 0.5, 0.0], [0.9, 1.0, 0.52, 0.3]]),
    )
    # (100, 0.2) vs (105, 0.9) is close in position but far in height; (3000, 0.5) vs (3010, 0.52) wins
    assert synthetic.closest_peaks(classes, 0, 1) == (2, 2)


def test_closest_peak_table_of_the_published_pairs(benchmark_classes):
    pairs = {"minor": (246, 382), "positions": (8, 318), "far": (0, 1)}
    table = synthetic.closest_peak_table(benchmark_classes, pairs).set_index("pair")
    for name, (a, b) in pairs.items():
        ia, ib = synthetic.closest_peaks(benchmark_classes, a, b)
        (pa, ha), (pb, hb) = benchmark_classes.peaks(a), benchmark_classes.peaks(b)
        assert table.loc[name, "Δ position"] == pb[ib] - pa[ia]
        assert table.loc[name, "Δ height"] == pytest.approx(hb[ib] - ha[ia], abs=5e-4)
    assert table.loc["positions", "Δ position"] == -38  # 8/318: closest peaks 38 points apart (< 2 x 50)
    assert table["overlap"].tolist() == [True, True, False]


def test_block_max_keeps_peak_heights():
    from lib.synthetic import explorers

    x = np.array([[0.0, 3.0, 1.0, 0.0, 0.0, 2.0, 9.0]])
    np.testing.assert_array_equal(explorers.block_max(x, 3), [[3.0, 2.0]])
    assert explorers.block_max(x, 1) is x


def test_class_explorer_slider_shows_one_class_per_step(benchmark_classes):
    from lib.synthetic import explorers

    data = synthetic.make_dataset(benchmark_classes, seed=0, n_train=4, n_val=0)
    fig = explorers.class_explorer(benchmark_classes, data, [17, 246], n_train_shown=2, block=10)
    per_class = 2 + 9 + 1  # training, test, clean
    assert len(fig.data) == 2 * per_class
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["17", "246"]
    assert steps[0].args[0]["visible"] == [True] * per_class + [False] * per_class
    assert steps[1].args[0]["visible"] == [False] * per_class + [True] * per_class
    assert steps[1].args[1]["title.text"] == (
        "Class 246 (3 peaks; position: height 1684: 0.042, 4311: 0.716, 4637: 1.000): clean, 2 training, 9 test"
    )
    clean_246 = fig.data[-1]
    want = explorers.block_max(synthetic.normalise(benchmark_classes.ideal([246]))[0], 10).round(3)
    np.testing.assert_array_equal(clean_246.y, want)
    assert (clean_246.x0, clean_246.dx, clean_246.visible) == (4.5, 10, False)
    test_0 = fig.data[per_class + 2]  # class 246's first test spectrum: the exact class with sigma = 2
    np.testing.assert_array_equal(test_0.y, want)
    assert len(fig.to_json()) < 300_000  # 24 traces of 500 points
    with pytest.raises(ValueError, match="no class"):
        explorers.class_explorer(benchmark_classes, data, [])
