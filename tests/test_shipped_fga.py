"""The FGA ensemble shipped in lib/weights/fga: trained on simulated spectra only
(``python -m lib transfer-ship``), the default of ``python -m lib predict``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lib.__main__ import main
from lib.ir import predict, transfer_ablation
from lib.ir.labels import GROUPS
from lib.ir.transfer import Physics

SHIPPED = predict.SHIPPED_MODELS

#: Probabilities (17 groups, R23's order) of three real jcamp spectra under the shipped ensemble, rounded to 5 decimals.
EXPECTED = {
    "ethyl acetate.jdx": [0.96376, 0.96451, 0.0609, 0.03115, 0.23308, 0.00077, 0.00061, 0.01472, 0.74321, 0.66296,
                          0.05806, 0.00205, 0.00424, 0.7224, 5e-05, 0.08891, 0.00171],
    "acetonitrile.jdx": [0.19251, 0.72951, 0.0363, 0.13503, 0.00016, 0.00597, 0.1028, 0.97186, 0.19631, 0.00059,
                         0.00157, 0.00036, 0.0, 0.13228, 1e-05, 0.02435, 0.2957],
    "toluene.jdx": [0.23683, 0.61609, 0.22551, 0.0143, 0.40423, 0.92619, 0.01787, 0.71707, 0.35677, 0.00584, 0.09368,
                    0.00145, 0.07349, 0.03195, 0.01613, 0.00072, 0.00088],
}  # fmt: skip


def test_shipped_folder_is_small_documented_and_the_default():
    nets = sorted(p.stem for p in SHIPPED.glob("*.pt"))
    assert nets == ["seed0", "seed1", "seed2"]
    assert sum(p.stat().st_size for p in SHIPPED.iterdir()) <= 5 * 2**20
    info = transfer_ablation.shipped_info()
    assert info["seeds"] == [0, 1, 2] and info["data"]["n_train"] > 600
    assert Physics.from_dict(info["physics"]).atmosphere > 0 and len(info["commit"]) == 40
    runs = json.loads((SHIPPED / "runs.json").read_text())
    assert sorted(runs) == nets and all(r["groups"] == list(GROUPS) for r in runs.values())
    assert predict.default_model_dir() == SHIPPED


def test_shipped_ensemble_reproduces_its_predictions_of_real_spectra(capsys):
    from lib.ir import jcamp_source

    try:
        folder = jcamp_source.infrared_dir()
    except jcamp_source.SourceError as err:
        pytest.skip(f"jcamp sdist not available: {err}")
    files = [folder / name for name in EXPECTED]
    assert main(["predict", *map(str, files), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    for name, result in zip(EXPECTED, results, strict=True):
        got = [result["probabilities"][g] for g in GROUPS]
        np.testing.assert_allclose(got, EXPECTED[name], atol=2e-5, err_msg=name)
