"""R23's training protocol in :mod:`lib.ir.fg`: one split for every seed, held-out real spectra, pooling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from rdkit import Chem

from lib import metrics, reference
from lib.ir import datasets, fg
from lib.ir.datasets import IRSet
from lib.ir.labels import GROUPS
from lib.models.fga import FGAEnsemble, FGANet, predict_proba


def tiny_set(n=60, seed=0, keys=None) -> IRSet:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, len(GROUPS))) < 0.4).astype(np.float32)
    grid = reference.r23_grid()
    x = rng.random((n, grid.size)).astype(np.float32) * 0.1
    for j in range(len(GROUPS)):  # one band per group present
        x[:, 20 + 45 * j] += y[:, j]
    x /= x.max(axis=1, keepdims=True)
    names = [f"m{i}" for i in range(n)]
    return IRSet(x, y, grid, names, names, list(keys) if keys is not None else names)


def test_every_seed_trains_on_r23s_one_split(tmp_path):
    data = tiny_set()
    folder = fg.train_ensemble(data, [0, 1], tmp_path / "m", max_epochs=1)
    ens = fg.load_trained(folder)
    assert [r["split_seed"] for r in ens.runs] == [reference.R23_SPLIT_SEED] * 2
    first, second = (fg.run_split(data, r) for r in ens.runs)
    expected = data.split(reference.R23_SPLIT_SEED)
    for part in ("train", "val", "test"):
        assert first[part].names == second[part].names == expected[part].names
    assert (ens.runs[0]["n_train"], ens.runs[0]["n_val"], ens.runs[0]["n_test"]) == (42, 9, 9)
    scores = fg.evaluate_seeds(ens, data)
    test = expected["test"]
    table = metrics.per_group_metrics(test.y, predict_proba(ens[1], test.x), data.groups)
    pd.testing.assert_frame_equal(scores["groups@0.5"][1], table)


def test_split_variance_mode_splits_by_the_model_seed(tmp_path):
    data = tiny_set()
    folder = fg.train_ensemble(data, [0, 1], tmp_path / "m", max_epochs=1, split_seed=None)
    first, second = (fg.run_split(data, r) for r in fg.load_trained(folder).runs)
    assert first["test"].names == data.split(0)["test"].names and second["test"].names == data.split(1)["test"].names
    assert first["test"].names != second["test"].names
    # models saved before split seeds were recorded were split with their own seed
    assert fg.run_split(data, {"seed": 3})["test"].names == data.split(3)["test"].names


def test_ensure_ensemble_folders_differ_by_split_rule(tmp_path):
    data = tiny_set()
    a = fg.models_folder(data, tmp_path, split_seed=42)
    b = fg.models_folder(data, tmp_path, split_seed=None)
    assert a != b and a == fg.models_folder(data, tmp_path, split_seed=42)


def test_connectivity_is_the_first_inchikey_block():
    keys = [Chem.MolToInchiKey(Chem.MolFromSmiles(s)) for s in ("CC=CC", "C/C=C/C", "C/C=C\\C", "C=CCC")]
    assert len(set(keys[:3])) == 3
    assert {datasets.connectivity(k) for k in keys[:3]} == {"IAQRGUVFOMOMEM"}
    assert datasets.connectivity(keys[3]) != "IAQRGUVFOMOMEM"


def test_simulated_leaves_out_stereoisomers_of_excluded_molecules():
    def record(smiles):
        key = Chem.MolToInchiKey(Chem.MolFromSmiles(smiles))
        return {"input": smiles, "status": "ok", "inchikey": key, "wavenumbers": [1650.0, 2950.0],
                "intensities": [1.0, 2.0], "settings": {"method": "test"}}  # fmt: skip

    records = [record(s) for s in ("CC=CC", "C/C=C\\C", "C=CCC", "CCO")]
    trans = Chem.MolToInchiKey(Chem.MolFromSmiles("C/C=C/C"))  # only trans-2-butene among the real spectra
    sim = datasets.simulated(records, exclude_inchikeys={trans}, fwhm=30.0)
    assert sim.smiles == ["C=CCC", "CCO"]


def test_real_halves_keep_each_connectivity_in_one_half():
    keys = ["AAAAAAAAAAAAAA-X-N", "AAAAAAAAAAAAAA-Y-N", "BBBBBBBBBBBBBB-X-N", "CCCCCCCCCCCCCC-X-N",
            "DDDDDDDDDDDDDD-X-N", "EEEEEEEEEEEEEE-X-N", "EEEEEEEEEEEEEE-Z-N", "FFFFFFFFFFFFFF-X-N"]  # fmt: skip
    data = tiny_set(len(keys), keys=keys)
    a, b = fg.real_halves(data, seed=0)
    assert sorted([*a, *b]) == list(range(len(keys))) and (len(a), len(b)) == (4, 4)
    assert {0, 1} <= set(a) or {0, 1} <= set(b)
    assert {5, 6} <= set(a) or {5, 6} <= set(b)
    again = fg.real_halves(data, seed=0)
    assert a.tolist() == again[0].tolist() and b.tolist() == again[1].tolist()


def test_held_out_scores_pool_the_halves():
    torch.manual_seed(0)
    data = tiny_set(30)
    ens = FGAEnsemble([FGANet().eval(), FGANet().eval()], ["seed0", "seed1"])
    halves = data.subset(np.arange(0, 12)), data.subset(np.arange(12, 30))
    pooled = fg.score_held_out([(ens, halves[1]), (ens, halves[0])])
    order = np.r_[np.arange(12, 30), np.arange(0, 12)]
    direct = fg.score_fixed_set(ens, data.subset(order))
    pd.testing.assert_frame_equal(pooled["members"], direct["members"])
    assert pooled["ensemble"]["micro_f1"] == pytest.approx(direct["ensemble"]["micro_f1"])
    with pytest.raises(ValueError, match="sizes"):
        fg.score_held_out([(ens, halves[0]), (FGAEnsemble([FGANet()]), halves[1])])


def test_real_spectra_table_rows_and_cells():
    members = pd.DataFrame({"micro_f1": [0.5, 0.7], "molecular_f1": [0.4, 0.6], "molecular_perfection": [0.1, 0.3]})
    score = {"members": members, "ensemble": pd.Series({"micro_f1": 0.65, "molecular_f1": 0.55,
                                                        "molecular_perfection": 0.2})}  # fmt: skip
    table = fg.real_spectra_table({"ours": score}, digits=2)
    assert table.index.tolist() == ["ours, single models (2)", "ours, ensemble mean"]
    assert table.loc["ours, single models (2)", "micro_f1"] == "0.60 ± 0.14"
    assert table.loc["ours, ensemble mean", "molecular_perfection"] == "0.20"


def test_fixed_parts_override_the_split_seed_and_follow_subsets(tmp_path):
    data = tiny_set(12)
    data.parts = np.array(["train"] * 6 + ["val"] * 3 + ["test"] * 3)
    for seed in (0, 7):
        parts = data.split(seed)
        assert parts["train"].names == data.names[:6] and parts["test"].names == data.names[9:]
    sub = data.subset([11, 0, 6])
    assert sub.parts.tolist() == ["test", "train", "val"]
    plain = tiny_set(12)
    assert fg.models_folder(data, tmp_path) != fg.models_folder(plain, tmp_path)  # the split is part of the data
    folder = fg.train_ensemble(data, [0], tmp_path / "m", max_epochs=1)
    assert (fg.load_trained(folder).runs[0]["n_train"], fg.load_trained(folder).runs[0]["n_test"]) == (6, 3)


@pytest.fixture(scope="module")
def nist_sample():
    return fg.nist_data(scales=[0.97, 0.98], fwhms=[60.0, 90.0], fraction=0.05)


def test_nist_data_keeps_r23s_split_of_the_index_and_leaves_out_the_real_molecules(nist_sample):
    from lib.ir import labels, linesets

    d = nist_sample
    sim = d["simulated"]
    table, _ = labels.label_index(linesets.default_paths()["index"])
    named = zip(("train", "val", "test"), labels.split_indices(len(table), reference.R23_SPLIT_SEED), strict=True)
    part_of = {str(table["ID"][i]): name for name, rows in named for i in rows}
    assert len(sim) > 300 and set(sim.parts) == {"train", "val", "test"}
    assert all(part_of[cid] == part for cid, part in zip(sim.names, sim.parts, strict=True))
    assert d["part_sizes"]["train"] == len(sim.split(0)["train"]) == len(sim.split(5)["train"])
    blocks = {datasets.connectivity(k) for k in d["real"].inchikeys}
    assert not blocks & {datasets.connectivity(k) for k in sim.inchikeys}
    assert d["source"] == "NIST index" and d["excluded"] > 0 and d["n_records"] > 8000
    assert d["n_index"] == len(table)
    assert (d["scale"], d["fwhm"]) in [(s, w) for s in (0.97, 0.98) for w in (60.0, 90.0)]
    other = fg.refit(d, 1)
    assert other["fit"].names == d["held_out"].names
    assert other["simulated"].names == sim.names


def test_chapter_data_names_a_wrong_kind_and_fraction():
    with pytest.raises(ValueError, match="data must be one of"):
        fg.chapter_data("measured")
    with pytest.raises(ValueError, match="needs molecules_file"):
        fg.chapter_data("curated")
    with pytest.raises(ValueError, match="fraction"):
        fg.nist_data(fraction=0.0)
