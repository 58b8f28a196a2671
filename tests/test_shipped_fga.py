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
    "ethyl acetate.jdx": [0.97666, 0.99857, 0.01601, 9e-05, 0.04151, 0.00036, 8e-05, 0.0544, 0.34903, 0.76149, 0.00531,
                          1e-05, 0.00061, 0.87749, 0.0, 0.03538, 2e-05],
    "acetonitrile.jdx": [0.05765, 0.99869, 0.00069, 0.07512, 0.00017, 0.00181, 0.00103, 0.99937, 0.04589, 0.00063,
                         0.00016, 0.0, 0.0, 0.14385, 0.0, 7e-05, 3e-05],
    "toluene.jdx": [0.44588, 0.80719, 0.1297, 0.00103, 0.16537, 0.22452, 0.00149, 0.55331, 0.18912, 0.00104, 0.00955,
                    0.00042, 6e-05, 0.00465, 0.00561, 0.00012, 2e-05],
}  # fmt: skip


def test_shipped_folder_is_small_documented_and_the_default():
    nets = sorted(p.stem for p in SHIPPED.glob("*.pt"))
    assert sum(p.stat().st_size for p in SHIPPED.iterdir()) <= 5 * 2**20
    info = transfer_ablation.shipped_info()
    assert nets == [f"seed{s}" for s in info["seeds"]] and len(nets) >= 3 and info["data"]["n_train"] > 600
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
