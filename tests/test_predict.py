"""``python -m lib predict`` and the ensemble helpers of :mod:`lib.ir.fg`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from lib import metrics
from lib.__main__ import main
from lib.ir import fg, ingest, predict
from lib.ir.datasets import IRSet
from lib.ir.labels import GROUPS
from lib.models.fga import FGANet, load_ensemble, predict_proba


def jdx(y, firstx=500, lastx=3900, state="gas", yunits="ABSORBANCE") -> str:
    """A small AFFN JCAMP-DX text with equally spaced x."""
    step = (lastx - firstx) / (len(y) - 1)
    lines = ["##TITLE=test", "##JCAMP-DX=4.24", "##DATA TYPE=INFRARED SPECTRUM", f"##STATE={state}",
             "##XUNITS=1/CM", f"##YUNITS={yunits}", "##XFACTOR=1", "##YFACTOR=1", f"##FIRSTX={firstx}",
             f"##LASTX={lastx}", f"##NPOINTS={len(y)}", "##XYDATA=(X++(Y..Y))"]  # fmt: skip
    if state is None:
        lines.remove("##STATE=None")
    lines += [f"{firstx + i * step:g} {v:g}" for i, v in enumerate(y)]
    return "\n".join([*lines, "##END="]) + "\n"


@pytest.fixture
def model_dir(tmp_path):
    folder = tmp_path / "models"
    for seed in (0, 1):
        torch.manual_seed(seed)
        fg.save_model(folder, FGANet().eval(), {"seed": seed, "groups": list(GROUPS)}, f"seed{seed}")
    return folder


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    good = tmp_path / "good.jdx"
    good.write_text(jdx(rng.random(200) + 0.1))
    bad = tmp_path / "bad.jdx"
    bad.write_text("this is not JCAMP-DX\n")
    liquid = tmp_path / "liquid.jdx"
    liquid.write_text(jdx(rng.random(200) + 0.1, state="liquid"))
    return good, bad, liquid


def test_json_output_means_over_models_and_reports_bad_files(model_dir, files, capsys):
    good, bad, liquid = files
    rc = main(["predict", str(good), str(bad), str(tmp_missing := good.with_name("missing.jdx")), str(liquid),
               "--model", str(model_dir), "--json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert rc == 1
    doc = json.loads(out)
    assert doc["groups"] == list(GROUPS) and doc["model"] == str(model_dir)
    assert doc["model_description"] == f"the 2 FGA nets in {model_dir}"
    assert [r["file"] for r in doc["results"]] == [str(good), str(bad), str(tmp_missing), str(liquid)]
    ok, broken, missing, filtered = doc["results"]
    assert "error" not in ok and "JcampError" in broken["error"] and "not found" in missing["error"]
    assert "STATE" in filtered["error"]
    assert "bad.jdx" in err and "missing.jdx" in err
    # the reported probability is the mean of the two models' sigmoid outputs on the ingested spectrum
    x = ingest.ingest_file(good, ingest.default_grid(), ingest.CONVERTING_FILTERS).vector[None].astype(np.float32)
    expected = np.mean([torch.sigmoid(m(torch.from_numpy(x))).detach().numpy()[0] for m in load_ensemble(model_dir)], 0)
    got = np.array([ok["probabilities"][g] for g in GROUPS])
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_text_output_and_any_state(model_dir, files, capsys):
    good, _, liquid = files
    assert main(["predict", str(good), str(liquid), "--model", str(model_dir), "--any-state", "--threshold", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[0] == f"model: {model_dir}: the 2 FGA nets in {model_dir}"
    assert out[1].startswith(f"{good}: ") and "alkane (" in out[1]


def test_missing_state_is_unknown_and_predicted_with_a_warning(model_dir, files, tmp_path, capsys):
    good, _, liquid = files
    bare = tmp_path / "no_state.jdx"
    bare.write_text(jdx(np.random.default_rng(0).random(200) + 0.1, state=None))
    assert "##STATE" not in bare.read_text()
    assert main(["predict", str(bare), str(good), "--model", str(model_dir), "--json"]) == 0
    out, err = capsys.readouterr()
    unknown, gas = json.loads(out)["results"]
    assert unknown["warnings"] == [predict.NO_STATE_WARNING] and "warnings" not in gas
    assert len(unknown["probabilities"]) == len(GROUPS)
    assert err.strip() == f"warning: {bare}: {predict.NO_STATE_WARNING}"
    # a stated non-gas state is still refused without --any-state
    assert main(["predict", str(bare), str(liquid), "--model", str(model_dir)]) == 1
    err = capsys.readouterr().err
    assert f"error: {liquid}: FilteredOut: liquid.jdx: STATE: 'liquid' is not gas (--any-state accepts it)" in err


def test_real_spectra_without_a_state(model_dir, capsys):
    """Two of the real spectra of the jcamp sdist have no ##STATE= line; both are predicted."""
    from lib.ir import jcamp_source

    try:
        folder = jcamp_source.infrared_dir()
    except jcamp_source.SourceError as err:
        pytest.skip(f"jcamp sdist not available: {err}")
    real = [folder / "isopropanol_ASDF.jdx", folder / "ethanol2.jdx"]
    assert all("##STATE" not in f.read_text("latin-1").upper() for f in real)
    assert main(["predict", *map(str, real), "--model", str(model_dir), "--json"]) == 0
    out, err = capsys.readouterr()
    results = json.loads(out)["results"]
    assert [r["warnings"] for r in results] == [[predict.NO_STATE_WARNING]] * 2
    assert all(len(r["probabilities"]) == len(GROUPS) for r in results)
    assert err.count("no ##STATE=") == 2


def test_default_is_r23_then_sim_offline_and_both_is_the_mean(model_dir, files, tmp_path, monkeypatch, capsys):
    from lib.ir import weights

    shipped = tmp_path / "shipped"
    torch.manual_seed(5)
    fg.save_model(shipped, FGANet().eval(), {"seed": 5}, "seed5")
    monkeypatch.setattr(predict, "SHIPPED_MODELS", shipped)
    monkeypatch.setattr(weights, "published_weights_dir", lambda data_dir=None: model_dir)

    def answer(*options):
        assert main(["predict", str(files[0]), "--json", *options]) == 0
        out, err = capsys.readouterr()
        doc = json.loads(out)
        return doc["model"], np.array([doc["results"][0]["probabilities"][g] for g in GROUPS]), err

    name, default, err = answer()
    assert name == predict.DEFAULT_MODEL == "r23" and err == ""
    r23, sim, both = answer("--model", "r23"), answer("--model", "sim"), answer("--model", "both")
    assert r23[0] == "r23" and sim[0] == "sim" and both[0] == "both"
    np.testing.assert_array_equal(r23[1], default)
    assert not np.allclose(sim[1], r23[1])
    np.testing.assert_allclose(both[1], (r23[1] + sim[1]) / 2, atol=2e-6)  # ensembles weighted equally

    def offline(data_dir=None):
        raise FileNotFoundError("R23 weight file 0572484152.pt: download failed and no local copy")

    monkeypatch.setattr(weights, "published_weights_dir", offline)
    name, fallback, err = answer()
    assert name == "sim" and err == f"warning: {predict.OFFLINE_WARNING}\n"
    np.testing.assert_array_equal(fallback, sim[1])
    # asked for by name, R23's weights are not replaced silently
    assert main(["predict", str(files[0]), "--model", "r23"]) == 2
    assert "0572484152.pt" in capsys.readouterr().err


def test_csv_has_one_row_per_file(model_dir, files, tmp_path, capsys):
    good, bad, liquid = files
    table = tmp_path / "out" / "groups.csv"
    assert main(["predict", str(good), str(bad), str(liquid), "--model", str(model_dir), "--any-state",
                 "--threshold", "0.4", "--csv", str(table), "--json"]) == 1  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    rows = pd.read_csv(table, keep_default_na=False)
    assert list(rows.columns) == ["file", *GROUPS, "predicted", "model", "warning", "error"]
    assert set(rows["model"]) == {str(model_dir)}
    assert rows["file"].tolist() == [str(good), str(bad), str(liquid)]
    for (_, row), r in zip(rows.iterrows(), doc["results"], strict=True):
        if "error" in r:
            assert row["error"] == r["error"] and row["predicted"] == "" and row["alkane"] == ""
            continue
        assert [float(row[g]) for g in GROUPS] == [r["probabilities"][g] for g in GROUPS]
        above = {g for g, p in r["probabilities"].items() if p > 0.4}
        assert set(filter(None, row["predicted"].split(";"))) == above
    assert "JcampError" in rows.loc[1, "error"]


def test_relevance_sums_to_the_logit_and_lies_in_the_receptive_fields(model_dir):
    models = load_ensemble(model_dir)
    x = np.random.default_rng(3).random((2, 850)).astype(np.float32)
    rel = predict.relevance(models, x)
    assert rel.shape == (2, len(GROUPS), 850)
    logits = np.mean([(m(torch.from_numpy(x)) - m.classifier[0].bias).detach().double().numpy() for m in models], 0)
    np.testing.assert_allclose(rel.sum(axis=2), logits, rtol=1e-5, atol=1e-6)
    assert (rel[..., -2:] == 0).all()  # the last two points fall in no receptive field
    from lib.models.fga import receptive_field

    rf = receptive_field(models[0].features, 850)
    assert rf.window(100) == (400, 416)
    one = predict.relevance(models[:1], x[:1])[0, 0]
    assert np.count_nonzero(one) == rf.window(rf.length - 1)[1] == 848  # every point up to the last window


def test_explain_page_is_self_contained(model_dir, files, tmp_path, capsys):
    good, bad, _ = files
    page = tmp_path / "explain.html"
    assert main(["predict", str(good), str(bad), "--model", str(model_dir), "--threshold", "0.3",
                 "--explain", str(page), "--json"]) == 1  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.count("Plotly.newPlot") == 1
    assert '<script src="http' not in text and "plotly.js" in text  # the library is inline
    shown = [g for g, p in doc["results"][0]["probabilities"].items() if p > 0.3]
    assert shown and all(f'"text":"{g} (' in text and f'"name":"{g}: relevance"' in text for g in shown)
    assert "bad.jdx" in text and "JcampError" in text
    assert f"Model: {model_dir}: the 2 FGA nets in {model_dir}." in text


def test_unusable_model_folder_is_one_line_error(tmp_path, files, capsys):
    assert main(["predict", str(files[0]), "--model", str(tmp_path)]) == 2
    assert "no *.pt" in capsys.readouterr().err


def test_published_weights_folder(files, capsys):
    from lib.ir.weights import published_weights_dir

    try:
        folder = published_weights_dir()
    except FileNotFoundError:
        pytest.skip("published R23 weights not available")
    assert main(["predict", str(files[0]), "--model", str(folder), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["results"][0]["probabilities"]) == 17
    assert main(["predict", str(files[0]), "--json"]) == 0  # the default: R23's published nets
    default = json.loads(capsys.readouterr().out)
    assert default["model"] == "r23" and default["results"] == doc["results"]


# --------------------------------------------------------------------------- lib.ir.fg
def tiny_set(n=60, seed=0) -> IRSet:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, len(GROUPS))) < 0.4).astype(np.float32)
    grid = ingest.default_grid()
    x = rng.random((n, grid.size)).astype(np.float32) * 0.1
    for j in range(len(GROUPS)):  # one band per group present
        x[:, 20 + 45 * j] += y[:, j]
    x /= x.max(axis=1, keepdims=True)
    names = [f"m{i}" for i in range(n)]
    return IRSet(x, y, grid, names, names, names)


def test_perturb_is_seeded_normalised_and_keeps_labels():
    data = tiny_set()
    a = fg.perturb(data.x, data.y, 50, np.random.default_rng(1))
    b = fg.perturb(data.x, data.y, 50, np.random.default_rng(1))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (50, data.x.shape[1]) and a[0].dtype == np.float32
    np.testing.assert_allclose(a[0].max(axis=1), 1.0, rtol=1e-6)
    assert a[0].min() >= 0
    np.testing.assert_array_equal(a[1], data.y[a[2]])
    assert len(fg.resample(data, 80, seed=2)) == 80


def test_train_save_load_evaluate_roundtrip(tmp_path):
    data = tiny_set()
    folder = fg.train_ensemble(data, [0, 1], tmp_path / "m", max_epochs=2, augment=64)
    ens = fg.load_trained(folder)
    assert ens.names == ["seed0", "seed1"] and ens.seeds == [0, 1]
    run = ens.runs[0]
    assert len(run["thresholds"]) == len(GROUPS) and run["epochs"] == 2 and len(run["history"]) == 2
    assert run["settings"]["augment"] == 64 and run["settings"]["reweight"] is True
    mtime = (folder / "seed0.pt").stat().st_mtime_ns
    fg.train_ensemble(data, [0, 1, 2], folder, max_epochs=2, augment=64)  # only seed 2 is new
    assert (folder / "seed0.pt").stat().st_mtime_ns == mtime
    assert fg.load_trained(folder, seeds=[2]).names == ["seed2"]
    with pytest.raises(FileNotFoundError, match="seeds"):
        fg.load_trained(folder, seeds=[7])
    scores = fg.evaluate_seeds(fg.load_trained(folder, [0, 1]), data)
    assert len(scores["groups@0.5"]) == 2 and list(scores["groups@best"][0].index) == list(GROUPS)
    fixed = fg.score_fixed_set(ens, data)
    assert list(fixed["members"].index) == ["seed0", "seed1"]
    mean = np.mean([predict_proba(m, data.x) for m in ens], axis=0)
    assert fixed["ensemble"]["micro_f1"] == pytest.approx(metrics.micro_f1(data.y, metrics.binarize(mean)))
    assert fg.histories(ens)["model"].nunique() == 2


def test_training_is_reproducible_and_ablation_changes_loss():
    data = tiny_set()
    a, _ = fg.train_seed(data, 3, fg.replace(fg.R23, max_epochs=2))
    b, _ = fg.train_seed(data, 3, fg.replace(fg.R23, max_epochs=2))
    for (k, v), w in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(v, w), k
    c, _ = fg.train_seed(data, 3, fg.replace(fg.R23, max_epochs=2), reweight=False)
    assert c.history[0]["train_loss"] != a.history[0]["train_loss"]


def test_benchmarks_report_positive_rates():
    data = tiny_set()
    out = fg.time_early_stop(data, max_epochs=2)
    assert out["epochs"] == 2 and out["seconds"] > 0 and out["train"] == 42
    thr = fg.inference_throughput(FGANet(), n=512, batch_size=256, repeats=1)
    assert thr["spectra_per_s"] == pytest.approx(512 / thr["seconds"]) and thr["batch_size"] == 256
    assert predict_proba(FGANet(), data.x[:3]).shape == (3, len(GROUPS))


def test_labelled_dataset_joins_ids(tmp_path):
    rng = np.random.default_rng(0)
    for cid in ("C1", "C2"):
        (tmp_path / f"{cid}_0.jdx").write_text(jdx(rng.random(100) + 0.1))
    result = ingest.ingest([tmp_path], filters=ingest.CONVERTING_FILTERS)
    ingest.save_dataset(tmp_path / "set.npz", result)
    (tmp_path / "labels.csv").write_text("ID,alkane,methyl\nC2,1,0\nC9,0,1\n")
    data = fg.labelled_dataset(tmp_path / "set.npz", tmp_path / "labels.csv")
    assert data.inchikeys == ["C2"] and data.groups == ["alkane", "methyl"] and data.y.tolist() == [[1, 0]]


def test_bn_settling_batches_follows_the_momentum_formula():
    model = FGANet()
    v, n = fg.bn_settling_batches(model, tiny_set().x)
    assert 0 < v < 1 and n >= 1
    assert 0.9**n * (1 - v) <= v < 0.9 ** (n - 1) * (1 - v)


def test_default_model_names_the_ketone_of_measured_2_butanone(capsys):
    """The issue's acceptance check: no options, a real gas-phase spectrum, the ketone is named."""
    from lib.ir import jcamp_source
    from lib.ir.weights import published_weights_dir

    try:
        folder = jcamp_source.infrared_dir()
        published_weights_dir()
    except (jcamp_source.SourceError, FileNotFoundError) as err:
        pytest.skip(f"jcamp sdist or R23's weights not available: {err}")
    assert main(["predict", str(folder / "2-butanone.jdx")]) == 0
    model, line = capsys.readouterr().out.splitlines()
    assert model.startswith("model: r23: R23's published ensemble") and "ketones (" in line
