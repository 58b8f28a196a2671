"""V24's mixture protocol (lib.synthetic.mixture_v24): triplets, test mixtures, loss, encoder, score."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib import reference
from lib.synthetic import mixture_v24 as mv


def test_triplets_are_mixture_aware():
    n_classes, n_per = 7, 5
    rows = mv.triplet_indices(n_classes, n_per, np.random.default_rng(0))
    assert rows.shape == (n_classes * n_per, 5)
    cls = rows // n_per
    assert sorted(rows[:, 0].tolist()) == list(range(n_classes * n_per))  # every spectrum anchors once
    assert (cls[:, 1] == cls[:, 0]).all()  # the positive holds the anchor's class …
    assert (cls[:, 2] != cls[:, 0]).all()  # … plus another class X
    assert (cls[:, 3] == cls[:, 2]).all() and (cls[:, 4] == cls[:, 2]).all()  # the negative: X + X
    assert rows.max() < n_classes * n_per and rows.min() >= 0


def test_component_accuracy_counts_as_the_notebook():
    members = np.array([[0, 1, 1], [3, 4, 5], [6, 7, 8]])
    pred = np.array([[0, 1, 2], [3, 4, 5], [9, 10, 11]])
    # right: {0, 1} → 2 (the doubled 1 counts once); 3; 0
    assert mv.component_accuracy(pred, members).tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3])


def test_test_mixtures_add_other_classes_and_normalise():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(4), 3)
    x = rng.random((12, 50)).astype(np.float32) + y[:, None]
    mix, members = mv.test_mixtures(x, y, 3, noise=0.0, rng=rng)
    assert mix.shape == (12, 50) and members.shape == (12, 3)
    assert (members[:, 0] == y).all() and (members[:, 1:] != y[:, None]).all()
    assert np.allclose(mix.max(axis=1), 1.0)
    noisy, _ = mv.test_mixtures(x, y, 2, noise=0.005, rng=rng)
    assert not np.allclose(noisy.max(axis=1), 1.0)


def test_loss_counts_only_triplets_above_the_semi_hard_bound():
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # distance 0, then 1
    n = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])  # distance 2, then 0
    loss, share = mv.triplet_loss(a, p, n, margin=1.0, semi_hard=0.3)
    # first triplet: 0 − 2 + 1 = −1 (dropped); second: 1 − 0 + 1 = 2 (kept)
    assert float(loss) == pytest.approx(2.0) and float(share) == pytest.approx(0.5)


def test_encoder_is_the_notebooks_shape():
    net = mv.V24Net(input_len=400, dim=64)
    assert net.head.in_features == 64 * 50
    out = net(torch.rand(3, 400))
    assert out.shape == (3, 64)
    assert torch.allclose(out.norm(dim=1), torch.ones(3), atol=1e-5)
    assert mv.Protocol(points=500, bf16=True).name == "V24net-500-bf16-s0"


def _record(points: int, shares: dict[int, list[float]]) -> dict:
    rows = [
        {"components": k, "at least j right": j, "accuracy": a, "n": 900,
         "V24": reference.V24_MIXTURE_ACCURACY[k][j - 1]}
        for k, acc in shares.items() for j, a in enumerate(acc, start=1)
    ]  # fmt: skip
    return {"points": points, "reduced": points != 5000, "epochs": 16, "protocol": {"bf16": False}, "accuracy": rows}


def test_sentence_sets_ours_beside_table_1_and_names_a_reduced_run():
    small = _record(500, {2: [0.99, 0.95], 3: [0.99, 0.95, 0.80], 4: [0.99, 0.95, 0.80, 0.55]})
    text = mv.sentence([small])
    assert "500 points per spectrum; a reduced run, V24 used 5,000" in text
    assert "in 95.0, 80.0, 55.0 % of 900 mixtures each (V24: 92.0, 78.8, 59.4 %)" in text
    assert "2 of 9 rows of Table 1 are at or above V24's and 6 lie within 2 points of it" in text
    assert "-4.8 points (4 components, at least 3 right)" in text
    full = _record(5000, {2: [0.99, 0.92]})
    assert mv.pick([small, full]) is full
    assert "reduced" not in mv.sentence([small, full])
    assert mv.sentence([]) == "No run on V24's protocol is shipped yet."


def test_test_mixtures_with_anchors_draw_partners_from_the_whole_pool():
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(6), 4)
    x = rng.random((24, 40)).astype(np.float32)
    mix, members = mv.test_mixtures(x, y, 3, noise=0.0, rng=rng, anchors=np.array([0, 5]))
    assert mix.shape == (2, 40) and members[:, 0].tolist() == [0, 1]
    assert (members[:, 1:] != members[:, :1]).all() and members.max() < 6
    # without anchors the draws are the notebook's, row by row
    a = mv.test_mixtures(x, y, 2, 0.0, np.random.default_rng(3))
    b = mv.test_mixtures(x, y, 2, 0.0, np.random.default_rng(3), anchors=np.arange(24))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_all_classes_scores_exact_and_beam_and_measures_the_beams_exactness():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    length, n_per = 80, 3
    centres = np.linspace(5, 75, 12)
    grid = np.arange(length)

    def spectra(n):  # one Gaussian peak per class, a little jitter
        return np.stack([np.exp(-0.5 * ((grid - c - rng.normal(0, 0.3, (n, 1))) / 2.0) ** 2) for c in centres])

    train, test = spectra(n_per), spectra(2)
    data = {"refs": train[:5], "train": train[5:], "x_test": test[:5].reshape(-1, length),
            "y_test": np.repeat(np.arange(5), 2), "x_test_all": test.reshape(-1, length),
            "y_test_all": np.repeat(np.arange(12), 2)}  # fmt: skip
    model = mv.V24Net(input_len=length, dim=16).eval()
    out = mv.all_classes(model, mv.Protocol(points=length, noise=0.0), data, n_mix=10, beam=4, log=lambda *_: None)
    assert out["pool"] == 12 and out["n"] == 10 and out["beam"] == 4
    methods = {(r["components"], r["method"]) for r in out["accuracy"]}
    assert methods == {(2, "exact"), (3, "exact"), (3, "beam 4"), (4, "beam 4")}
    assert all(0 <= r["accuracy"] <= 1 and r["n"] == 10 for r in out["accuracy"])
    pools = {(s["components"], s["pool"]) for s in out["search"]}
    assert pools == {(3, 12), (4, 5)} and all(0 <= s["same answer as exact"] <= 1 for s in out["search"])


def test_all_classes_table_and_sentence_name_the_search_and_its_exactness():
    acc = [{"components": k, "method": m, "pool": 500, "at least j right": j, "accuracy": a, "n": 900}
           for k, m, j, a in ((2, "exact", 2, 0.9), (3, "exact", 3, 0.7), (3, "beam 16", 3, 0.6),
                              (4, "beam 16", 4, 0.3), (4, "beam 16", 3, 0.8))]  # fmt: skip
    search = [{"components": 3, "pool": 500, "method": "beam 16", "same answer as exact": 0.85, "n": 900},
              {"components": 4, "pool": 100, "method": "beam 16", "same answer as exact": 0.9, "n": 900}]  # fmt: skip
    record = {"points": 5000, "reduced": False, "trained_classes": 400,
              "all_classes": {"pool": 500, "n": 900, "beam": 16, "accuracy": acc, "search": search}}  # fmt: skip
    table = mv.all_classes_table(record)
    assert table[["components", "search"]].values.tolist() == [[2, "exact"], [3, "exact"], [3, "beam 16"],
                                                               [4, "beam 16"]]  # fmt: skip
    assert table["combinations"].iloc[1] == 20_708_500 and np.isnan(table["combinations"].iloc[2])
    assert table["same answer as exact"].iloc[2] == 0.85 and np.isnan(table["same answer as exact"].iloc[3])
    text = mv.all_classes_sentence([record])
    assert "mixtures in 90.0 and 70.0 % of 900 mixtures by the exact search" in text
    assert "4-component mixtures in 30.0 % by a beam search keeping 16 sets per step" in text
    assert "85 % of the 3-component mixtures over 500 classes and 90 % of the 4-component mixtures over 100" in text
    assert mv.all_classes_sentence([{"points": 5000}]) == "The mixtures over all 500 classes are not run yet."
    assert mv.all_classes_table({}).empty
