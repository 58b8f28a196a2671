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
    "ethyl acetate.jdx": [0.96091, 0.88101, 0.03225, 0.02689, 0.24208, 0.00401, 0.00419, 0.01686, 0.85778, 0.27635,
                          0.14088, 0.00283, 0.00185, 0.20443, 0.00035, 0.06563, 0.00342],
    "acetonitrile.jdx": [0.01054, 0.81435, 0.01012, 0.15427, 0.00052, 0.024, 0.0718, 0.97815, 0.56616, 0.00039,
                         0.00995, 0.00089, 0.0, 0.03181, 3e-05, 0.17374, 0.0463],
    "toluene.jdx": [0.1625, 0.54229, 0.1748, 0.10625, 0.2332, 0.77827, 0.00603, 0.94669, 0.49333, 0.00684, 0.02349,
                    0.0064, 0.05806, 0.025, 0.0167, 0.00224, 0.00509],
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
