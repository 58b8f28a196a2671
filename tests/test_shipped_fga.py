"""The FGA ensemble shipped in lib/weights/fga: trained on simulated spectra only
(``python -m lib transfer-ship``), ``python -m lib predict --model sim``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lib.__main__ import main
from lib.ir import predict, selection, transfer_ablation
from lib.ir.labels import GROUPS

SHIPPED = predict.SHIPPED_MODELS

#: Probabilities (17 groups, R23's order) of three real jcamp spectra under the shipped ensemble, rounded to 5 decimals.
EXPECTED = {
    "ethyl acetate.jdx": [0.80425, 0.79912, 0.16712, 0.25047, 0.39981, 0.01122, 0.23029, 0.02286, 0.12476, 0.65527,
                          0.47415, 0.31434, 0.31162, 0.52484, 0.00564, 0.39029, 0.10236],
    "acetonitrile.jdx": [0.28078, 0.72324, 0.15591, 0.27654, 0.28849, 0.33513, 0.68612, 0.9287, 0.33709, 0.00576,
                         0.05139, 0.26505, 0.12412, 0.32778, 0.00735, 0.07884, 0.04043],
    "toluene.jdx": [0.55385, 0.74152, 0.47724, 0.34324, 0.35707, 0.5821, 0.28134, 0.64565, 0.05166, 0.00137, 0.06652,
                    0.21319, 0.30929, 0.02806, 0.23891, 0.14203, 0.06925],
}  # fmt: skip


def test_shipped_folder_is_small_and_documented():
    nets = sorted(p.stem for p in SHIPPED.glob("*.pt"))
    assert sum(p.stat().st_size for p in SHIPPED.iterdir()) <= 5 * 2**20
    info = transfer_ablation.shipped_info()
    assert nets == [f"seed{s}" for s in info["seeds"]] and len(nets) >= 3 and info["data"]["n_train"] > 600
    assert selection.base_physics(info).atmosphere > 0 and len(info["commit"]) == 40
    runs = json.loads((SHIPPED / "runs.json").read_text())
    assert sorted(runs) == nets and all(r["groups"] == list(GROUPS) for r in runs.values())


def test_shipped_ensemble_reproduces_its_predictions_of_real_spectra(capsys):
    from lib.ir import jcamp_source

    try:
        folder = jcamp_source.infrared_dir()
    except jcamp_source.SourceError as err:
        pytest.skip(f"jcamp sdist not available: {err}")
    files = [folder / name for name in EXPECTED]
    assert main(["predict", *map(str, files), "--model", "sim", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    for name, result in zip(EXPECTED, results, strict=True):
        got = [result["probabilities"][g] for g in GROUPS]
        np.testing.assert_allclose(got, EXPECTED[name], atol=2e-5, err_msg=name)


def test_predict_defaults_to_the_model_the_benchmark_chapter_ranks_best():
    """Issue 25, item 5: ``predict``'s default is the best of sim, R23 and both on the 64 measured spectra (exact
    match, then micro-F1), as *Benchmarking functional groups* ranks them; a new shipped ensemble must update it."""
    from lib.ir import datasets, jcamp_source, protocol, weights
    from lib.models.fga import load_ensemble, predict_proba

    try:
        real, _ = datasets.real_jcamp()
        r23_dir = weights.published_weights_dir()
    except (jcamp_source.SourceError, FileNotFoundError) as err:  # no jcamp sdist or no R23 weights: nothing to rank
        pytest.skip(f"measured spectra or R23's weights not available: {err}")
    sim, r23 = (predict_proba(load_ensemble(d), real.x) for d in (SHIPPED, r23_dir))
    ranked = protocol.rank_models(real.y, {"sim": sim, "r23": r23, "both": (sim + r23) / 2})
    assert ranked[0] == predict.DEFAULT_MODEL, ranked
