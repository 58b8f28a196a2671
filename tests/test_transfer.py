"""The simulated NIST training set and the transfer physics of lib.ir.transfer."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from lib.ir import labels, linesets, transfer
from lib.ir.linesets import LineSet
from lib.ir.transfer import Physics, Randomise

GRID = np.linspace(500.0, 3900.0, 851)  # 4 cm⁻¹ steps

# three molecules of the NIST index style: methanol, acetone, benzene (index InChIs have no prefix)
INDEX = [
    ("C1", "1S/CH4O/c1-2/h2H,1H3"),
    ("C2", "1S/C3H6O/c1-3(2)4/h1-2H3"),
    ("C3", "1S/C6H6/c1-2-4-6-5-3-1/h1-6H"),
    ("C4", "1S/C2H6/c1-2/h1-2H3"),
    ("C5", "1S/CH4O/c1-2/h2H,1H3"),  # a second compound id with methanol's InChI
]
KEYS = {"C1": "OKKJLVBELUTLKV-UHFFFAOYSA-N", "C2": "CSCPPACGZOOCGX-UHFFFAOYSA-N",
        "C3": "UHOVQNZJYSORNB-UHFFFAOYSA-N", "C4": "OTMSDBZUPAUEDD-UHFFFAOYSA-N"}  # fmt: skip


def _write(tmp_path, statuses):
    index = tmp_path / "index.csv"
    index.write_text("ID,file,Inchi\n" + "".join(f'{cid},{cid}.jdx,"{inchi}"\n' for cid, inchi in INDEX))
    folder = tmp_path / "shards"
    folder.mkdir()
    records = []
    for (cid, inchi), status in zip(INDEX[:4], statuses, strict=True):
        rec = {"input": "InChI=" + inchi, "inchikey": KEYS[cid], "status": status}
        if status != "failed":
            rec.update(wavenumbers=[1000.0 + len(records), 3000.0], intensities=[1.0, 2.0])
        records.append(rec)
    # two shards, the second written first would not matter: positions come from "first"
    for number, chunk in enumerate((records[:2], records[2:])):
        shard = {"first": 2 * number, "count": len(chunk), "settings": {}, "records": chunk}
        with gzip.open(folder / f"part-{number:03d}.json.gz", "wt") as handle:
            json.dump(shard, handle)
    return folder, index


def test_nist_lines_reads_every_shard_keeps_ok_and_follows_the_index_split(tmp_path):
    folder, index = _write(tmp_path, ["ok", "ok", "imaginary", "ok"])
    parts = linesets.nist_lines(folder, index, split_seed=3)
    table, _ = labels.label_index(index)
    train, val, test = labels.split_indices(len(table), 3)
    named = zip(("train", "val", "test"), (train, val, test), strict=True)
    part_of = {str(table["ID"][i]): name for name, rows in named for i in rows}
    got = {cid: name for name, part in parts.items() for cid in part.ids}
    assert sorted(got) == ["C1", "C2", "C4"]  # benzene's record is not ok, C5 repeats methanol's InChI
    assert got == {cid: part_of[cid] for cid in got}
    methanol = next(p for p in parts.values() if "C1" in p.ids)
    i = methanol.ids.index("C1")
    groups = list(labels.GROUPS)
    assert methanol.y[i, groups.index("alcohols")] == 1 and methanol.y[i, groups.index("methyl")] == 1
    assert methanol.y[i].sum() == 2
    assert methanol.wavenumbers[i].tolist() == [1000.0, 3000.0]


def test_nist_lines_leaves_out_connectivities_of_the_test_spectra(tmp_path):
    folder, index = _write(tmp_path, ["ok", "ok", "ok", "ok"])
    stereo_variant = KEYS["C2"].split("-")[0] + "-XXXXXXXXXX-N"
    parts = linesets.nist_lines(folder, index, exclude_inchikeys=[stereo_variant])
    ids = sorted(cid for part in parts.values() for cid in part.ids)
    assert ids == ["C1", "C3", "C4"]


def test_nist_lines_without_shards_names_the_folder(tmp_path):
    _, index = _write(tmp_path, ["ok", "ok", "ok", "ok"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        linesets.nist_lines(tmp_path / "empty", index)


def test_scale_frequencies_per_region():
    nu = np.array([1000.0, 2400.0, 3000.0])
    assert transfer.scale_frequencies(nu, 0.98).tolist() == pytest.approx([980.0, 2352.0, 2940.0])
    assert transfer.scale_frequencies(nu, 0.98, 0.95).tolist() == pytest.approx([980.0, 2352.0, 2850.0])


@pytest.mark.parametrize("shape", ["lorentzian", "pseudo-voigt", "pr"])
def test_band_profiles_have_unit_area_and_the_right_width(shape):
    dx = np.arange(-3000.0, 3000.0, 0.05)
    p = transfer.band_profile(dx, 20.0, shape, pr_separation=30.0)
    assert np.trapezoid(p, dx) == pytest.approx(1.0, abs=3e-3 if shape != "pr" else 1e-6)
    if shape == "pr":  # two maxima at ±15, a dip at the centre
        assert abs(dx[np.argmax(p)]) == pytest.approx(15.0, abs=0.1)
        assert p[np.argmin(np.abs(dx))] < 0.5 * p.max()
    else:  # full width at half maximum 20
        above = dx[p >= p.max() / 2]
        assert above.max() - above.min() == pytest.approx(20.0, abs=0.1)
    with pytest.raises(ValueError, match="shape"):
        transfer.band_profile(dx, 20.0, "square")


def _one(nu, strength):
    return LineSet([np.asarray(nu, float)], [np.asarray(strength, float)], np.zeros((1, 1)), ["m"], ["k"], ["g"])


def test_render_nominal_puts_the_scaled_band_at_its_place_and_normalises():
    lines = _one([1000.0, 3000.0, -50.0], [1.0, 0.5, 9.0])  # the imaginary mode is ignored
    x = transfer.render(lines, GRID, Physics(scale=0.98, high_scale=0.95, fwhm=20.0))
    assert x.dtype == np.float32 and x.max() == pytest.approx(1.0)
    assert GRID[np.argmax(x)] == pytest.approx(980.0, abs=2.0)
    high = GRID > 2500
    assert GRID[high][np.argmax(x[0, high])] == pytest.approx(2850.0, abs=2.0)
    assert x[0, high].max() == pytest.approx(0.5, abs=0.03)


def test_render_random_parts_are_seeded_and_switch_off_without_a_generator():
    lines = _one([1000.0, 3000.0], [1.0, 1.0])
    physics = Physics(fwhm=20.0, intensity_noise=0.4, noise=0.03, baseline=0.1, atmosphere=0.05,
                      randomise=Randomise(scale=0.02, high_scale=0.02, fwhm=(0.6, 1.6), jitter=10.0))  # fmt: skip
    a = transfer.render(lines, GRID, physics, np.random.default_rng(1))
    b = transfer.render(lines, GRID, physics, np.random.default_rng(1))
    c = transfer.render(lines, GRID, physics, np.random.default_rng(2))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.01
    assert a.min() >= 0 and a.max() == pytest.approx(1.0)
    nominal = transfer.render(lines, GRID, physics)
    np.testing.assert_allclose(nominal, transfer.render(lines, GRID, Physics(fwhm=20.0)))
    assert transfer.is_random(physics) and not transfer.is_random(Physics(scale=0.9, shape="pr"))


def test_randomised_scale_moves_the_band_within_its_range():
    lines = _one([2000.0], [1.0])
    physics = Physics(fwhm=10.0, randomise=Randomise(scale=0.02))
    rng = np.random.default_rng(0)
    peaks = [GRID[np.argmax(transfer.render(lines, GRID, physics, rng))] for _ in range(40)]
    assert min(peaks) >= 1958 and max(peaks) <= 2042
    assert max(peaks) - min(peaks) > 40


def test_smooth_baseline_is_slow_non_negative_and_bounded():
    rng = np.random.default_rng(0)
    for _ in range(20):
        b = transfer.smooth_baseline(GRID, 0.1, rng)
        assert b.min() == pytest.approx(0.0) and b.max() <= 0.1 + 1e-12
        assert np.abs(np.diff(b)).max() < 0.1 * 2 * np.pi * 4 / np.ptp(GRID) * 3 + 1e-3


def test_atmosphere_bands_sit_at_co2_and_water():
    x = np.abs(transfer.atmosphere(GRID, 0.05, np.random.default_rng(0)))
    assert x.max() <= 0.05 + 1e-12
    assert x[np.abs(GRID - 2349) < 10].max() > 10 * x[np.abs(GRID - 3000) < 50].max()


def test_physics_round_trips_through_a_dict():
    randomise = Randomise(fwhm=(0.5, 2.0), pr_separation=(8.0, 25.0))
    physics = Physics(scale=0.97, high_scale=0.95, shape="pr", randomise=randomise)
    assert Physics.from_dict(json.loads(json.dumps(physics.to_dict()))) == physics


def test_fit_scaling_recovers_the_factors_and_width_of_measured_spectra():
    truth = Physics(scale=0.97, high_scale=0.94, fwhm=20.0)
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(5):
        nu = np.concatenate([rng.uniform(600, 1800, 6), rng.uniform(2800, 3600, 3)])
        strength = rng.uniform(0.2, 1.0, nu.size)
        pairs.append((nu, strength, transfer.render(_one(nu, strength), GRID, truth)[0]))
    fitted, sim = transfer.fit_scaling(pairs, GRID, [0.96, 0.97, 1.0], [None, 0.94, 0.97], [10.0, 20.0, 40.0])
    assert (fitted.scale, fitted.high_scale, fitted.fwhm) == (0.97, 0.94, 20.0)
    assert sim == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no simulated"):
        transfer.fit_scaling([], GRID, [1.0], [None], [20.0])


@pytest.mark.parametrize("shape", ["lorentzian", "pseudo-voigt", "pr"])
def test_band_transform_is_the_fourier_transform_of_the_profile(shape):
    step, n = 0.25, 2**16
    dx = (np.arange(n) - n // 2) * step
    profile = transfer.band_profile(dx, 20.0, shape, pr_separation=18.0)
    numeric = np.abs(np.fft.rfft(np.fft.ifftshift(profile))) * step
    freq = np.fft.rfftfreq(n, d=step)
    analytic = np.abs(transfer.band_transform(freq, 20.0, shape, pr_separation=18.0))
    np.testing.assert_allclose(numeric[:2000], analytic[:2000], atol=3e-3)
    assert transfer.band_transform(np.array([0.0]), 20.0, shape)[0] == pytest.approx(1.0)


def test_render_matches_direct_broadening():
    from lib.ir import simulate

    lines = _one([700.0, 1234.5, 1710.0, 2950.0, 3650.0], [0.3, 1.0, 2.0, 0.7, 0.4])
    for fwhm in (10.0, 30.0, 60.0):
        x = transfer.render(lines, GRID, Physics(scale=0.98, fwhm=fwhm))[0]
        direct = simulate.broaden(lines.wavenumbers[0], lines.intensities[0], GRID, fwhm=fwhm, scale=0.98)
        np.testing.assert_allclose(x, direct, atol=8e-3)


def test_renderer_draws_copies_per_epoch_fresh_when_random():
    lines = LineSet([np.array([1000.0]), np.array([2000.0])], [np.ones(1), np.ones(1)], np.array([[1.0], [0.0]]),
                    ["a", "b"], ["ka", "kb"], ["g"])  # fmt: skip
    draw = transfer.renderer(lines, GRID, Physics(fwhm=20.0, noise=0.05), copies=3)
    x, y = draw(0, np.random.default_rng(0))
    assert x.shape == (6, GRID.size) and y[:, 0].tolist() == [1, 0, 1, 0, 1, 0]
    assert np.abs(x[0] - x[2]).max() > 0.01  # each copy its own noise
    x_nominal, _ = transfer.renderer(lines, GRID, Physics(fwhm=20.0), copies=2)(0, np.random.default_rng(0))
    np.testing.assert_array_equal(x_nominal[:2], x_nominal[2:])
    with pytest.raises(ValueError, match="copies"):
        transfer.renderer(lines, GRID, Physics(), copies=0)


def _pairs(truth: Physics, seed: int, n: int = 4):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        nu = np.concatenate([rng.uniform(600, 1800, 5), rng.uniform(2800, 3600, 2)])
        strength = rng.uniform(0.2, 1.0, nu.size)
        out.append((nu, strength, transfer.render(_one(nu, strength), GRID, truth)[0]))
    return out


def test_ablation_steps_fit_each_half_on_its_own_and_accumulate():
    from lib.ir import transfer_ablation as ab

    pairs = [_pairs(Physics(scale=0.96, fwhm=30.0), 0), _pairs(Physics(scale=0.99, fwhm=30.0), 1)]
    physics = [Physics(), Physics()]
    physics, sims = ab.fit_halves(ab.STEPS[1], physics, pairs, GRID)  # one scale factor
    assert [p.scale for p in physics] == [0.96, 0.99] and sims[0] == pytest.approx(1.0)
    noise = next(s for s in ab.STEPS if s.name == "noise")
    physics, sims = ab.fit_halves(noise, physics, pairs, GRID)  # a change, nothing fitted
    assert sims == [None, None] and physics[0].intensity_noise == 0.4 and physics[1].scale == 0.99
    through = ab.physics_through("noise", 1, pairs, GRID)
    assert through.scale == 0.99 and through.intensity_noise == 0.4 and through.randomise == Randomise()
    with pytest.raises(ValueError, match="unknown step"):
        ab.physics_through("nonsense", 0, pairs, GRID)


def test_train_ensemble_saves_models_with_their_physics_and_resumes(tmp_path):
    from lib.ir import fg

    rng = np.random.default_rng(0)
    n = 24
    y = np.zeros((n, 2), dtype=np.float32)
    y[: n // 2, 0] = 1
    y[n // 2 :, 1] = 1
    wavenumbers = [np.array([1000.0 if row[0] else 3000.0]) + rng.normal(0, 5) for row in y]
    lines = LineSet(wavenumbers, [np.ones(1)] * n, y, [f"m{i}" for i in range(n)], ["k"] * n, ["a", "b"])
    parts = {"train": lines.subset(range(0, n, 2)), "val": lines.subset(range(1, n, 2))}
    physics = Physics(fwhm=20.0, noise=0.02)
    folder = transfer.train_ensemble(parts, physics, [0, 1], tmp_path / "m", GRID[:850], max_epochs=2, copies=2)
    ensemble = fg.load_trained(folder)
    assert ensemble.names == ["seed0", "seed1"] and ensemble[0].n_groups == 2
    run = ensemble.runs[0]
    assert Physics.from_dict(run["settings"]["physics"]) == physics and run["settings"]["copies"] == 2
    assert run["epochs"] == 2 and len(run["thresholds"]) == 2
    stamp = (folder / "seed0.pt").stat().st_mtime_ns
    transfer.train_ensemble(parts, physics, [0, 1], folder, GRID[:850], max_epochs=2, copies=2)
    assert (folder / "seed0.pt").stat().st_mtime_ns == stamp


def test_add_records_extends_training_only_with_unseen_connectivities(tmp_path):
    folder, index = _write(tmp_path, ["ok", "ok", "ok", "ok"])
    parts = linesets.nist_lines(folder, index, split_seed=0)
    other = {name: list(part.inchikeys) for name, part in parts.items() if name != "train"}
    held_key = next(k for keys in other.values() for k in keys)
    records = [
        {"input": "CCCC", "inchikey": "IJDNQMDRQITEOD-UHFFFAOYSA-N", "status": "ok", "wavenumbers": [1.0e3],
         "intensities": [1.0]},  # butane: new
        {"input": "CCCC", "inchikey": "IJDNQMDRQITEOD-UHFFFAOYSA-N", "status": "ok", "wavenumbers": [1.0e3],
         "intensities": [1.0]},  # the same again: once only
        {"input": "CC(C)O", "inchikey": "KFZMGEQAYNKOFK-UHFFFAOYSA-N", "status": "failed"},
        {"input": "X", "inchikey": held_key, "status": "ok", "wavenumbers": [1.0], "intensities": [1.0]},
        {"input": "CCCCC", "inchikey": "OFBQJSOFQDEBGM-UHFFFAOYSA-N", "status": "ok", "wavenumbers": [9.0e2],
         "intensities": [1.0]},  # pentane: excluded as a test spectrum
    ]  # fmt: skip
    out = linesets.add_records(parts, records, exclude_inchikeys=["OFBQJSOFQDEBGM-AAAAAAAAAA-N"])
    n = len(parts["train"])
    assert len(out["train"]) == n + 1 and out["train"].ids[-1] == "CCCC"
    groups = list(labels.GROUPS)
    assert out["train"].y[-1].tolist() == [float(g in ("alkane", "methyl")) for g in groups]
    assert out["val"] is parts["val"] and out["test"] is parts["test"]


def _step(desc, sim, real, members, groups):
    block = {"member_micro_f1_mean": members, "ensemble_micro_f1": real, "ensemble_exact_match": 0.1,
             "group_f1": groups}  # fmt: skip
    return {"description": desc, "n_train": 10, "real": block,
            "simulated_val": {**block, "ensemble_micro_f1": sim, "member_micro_f1_mean": sim}}  # fmt: skip


def test_summary_frame_orders_steps_and_measures_gains(tmp_path):
    from lib.ir import transfer_ablation as ab

    table = {"protocol": {"n_train": 10}, "steps": {
        "noise": _step("+ noise", 0.7, 0.5, 0.45, {"alkane": 0.9}),
        "baseline": _step("plain", 0.8, 0.3, 0.25, {"alkane": 0.6}),
    }}  # fmt: skip
    path = tmp_path / "t.json"
    path.write_text(json.dumps(table))
    frame = ab.summary_frame(ab.read_table(path))
    assert list(frame.index) == ["baseline", "noise"]
    assert frame.loc["noise", "real ensemble gain"] == pytest.approx(0.2)
    assert frame.loc["baseline", "simulated val., ensemble"] == 0.8
    assert ab.group_frame(table).loc["alkane"].tolist() == [0.6, 0.9]
    path.write_text(json.dumps({"steps": {}}))
    with pytest.raises(ValueError, match="no finished step"):
        ab.read_table(path)


def test_describe_gains_names_steps_and_sizes():
    import pandas as pd

    from lib.ir import transfer_ablation as ab

    frame = pd.DataFrame({"real, ensemble": [0.3, 0.45, 0.445, 0.405]}, index=["baseline", "a", "b", "c"])
    text = ab.describe_gains(frame)
    assert text == "Steps that raised it: a (+0.150); lowered it: c (-0.040); changed it by less than 0.01: b."


def test_measured_to_simulated_scores_the_broadened_partners_with_their_measured_labels():
    import torch

    from lib.ir import fg, simulate
    from lib.ir.datasets import IRSet
    from lib.models.fga import FGAEnsemble, FGANet
    from lib.reference import r23_grid

    torch.manual_seed(0)
    ens = FGAEnsemble([FGANet().eval(), FGANet().eval()], ["a", "b"])
    grid = r23_grid()
    rng = np.random.default_rng(1)
    n = 5
    y = (rng.random((n, 17)) < 0.3).astype(np.int8)
    real = IRSet(rng.random((n, len(grid))).astype(np.float32), y, grid, list("ABCDE"), [""] * n, list("kKlLm"))
    records = [{"inchikey": k, "status": "ok", "wavenumbers": [1000.0 + 300 * i, 2900.0], "intensities": [1.0, 0.5]}
               for i, k in enumerate("kKl")]  # fmt: skip
    records.append({"inchikey": "L", "status": "failed"})  # a failed record is no partner
    rows = transfer.measured_to_simulated(ens, real, records, [20.0, 60.0], scale=0.97)
    assert [r["fwhm"] for r in rows] == [20.0, 60.0] and all(r["n"] == 3 for r in rows)
    x = np.array(
        [simulate.broaden(r["wavenumbers"], r["intensities"], grid, fwhm=60.0, scale=0.97) for r in records[:3]]
    )
    direct = fg.score_fixed_set(ens, IRSet(x.astype(np.float32), y[:3], grid, list("ABC"), [""] * 3, list("kKl")))
    assert rows[1]["ensemble_micro_f1"] == pytest.approx(float(direct["ensemble"]["micro_f1"]))
    assert rows[1]["member_micro_f1"] == pytest.approx(float(direct["members"]["micro_f1"].mean()))
    with pytest.raises(ValueError, match="no molecule of the real spectra"):
        transfer.measured_to_simulated(ens, real, records[3:], [30.0])


def test_the_plain_loss_step_switches_the_loss_from_there_on():
    from lib.ir import transfer_ablation as ab

    names = [s.name for s in ab.STEPS]
    assert ab.reweighted(ab.steps_through("more molecules")) is True
    assert ab.reweighted(ab.steps_through("plain loss")) is False
    assert all(ab.reweighted(ab.STEPS[: i + 1]) for i in range(names.index("plain loss")))


def test_nist_lines_can_read_only_the_first_shards(tmp_path):
    folder, index = _write(tmp_path, ["ok", "ok", "ok", "ok"])
    first = linesets.nist_lines(folder, index, max_shards=1)
    assert sorted(cid for part in first.values() for cid in part.ids) == ["C1", "C2"]
    with pytest.raises(ValueError, match="max_shards"):
        linesets.nist_lines(folder, index, max_shards=0)


def test_loss_sentence_reads_the_step_on_both_scores():
    import pandas as pd

    from lib.ir import transfer_ablation as ab

    frame = pd.DataFrame({"simulated val., ensemble": [0.75, 0.84], "real, ensemble": [0.52, 0.57]},
                         index=["more molecules", "plain loss"])  # fmt: skip
    text = ab.loss_sentence(frame)
    assert "from 0.75 to 0.84, so it is kept" in text and "from 0.52 to 0.57" in text
    worse = frame.assign(**{"simulated val., ensemble": [0.84, 0.75]})
    assert "would not have been chosen" in ab.loss_sentence(worse)
    assert ab.loss_sentence(frame.iloc[:1]) == ""


def test_offsets_lift_the_floor_between_bands():
    lines = _one([1000.0], [1.0])
    rng = np.random.default_rng(0)
    physics = Physics(fwhm=10.0, offset=0.2)
    floors = [transfer.render(lines, GRID, physics, rng)[0, GRID > 3000].min() for _ in range(40)]
    # spectra are renormalised to a maximum of 1: an offset c leaves c / (1 + c) between the bands
    assert 0.0 <= min(floors) < 0.03 and 0.12 < max(floors) <= 0.2 / 1.2 + 1e-6
    assert transfer.is_random(Physics(offset=0.1)) and transfer.is_random(Physics(water=0.5))


def test_water_vapour_is_a_comb_in_water_regions_in_its_share_of_spectra():
    w = transfer.water_vapour(GRID, np.random.default_rng(0))
    assert w.min() >= 0 and w.max() == pytest.approx(1.0)
    assert w[(GRID > 2200) & (GRID < 3200)].max() < 1e-3  # nothing between the bend and the stretches
    assert w[(GRID > 1450) & (GRID < 1750)].mean() > 0.05
    assert np.abs(np.diff(w[(GRID > 1450) & (GRID < 1750)])).mean() > 0.05  # a comb, not a smooth band
    lines = _one([1000.0], [1.0])
    quiet = (GRID > 1400) & (GRID < 1800)

    def share(physics):
        rng = np.random.default_rng(1)
        return np.mean([transfer.render(lines, GRID, physics, rng)[0, quiet].max() > 0.02 for _ in range(200)])

    assert share(Physics(fwhm=10.0, water=1.0, water_share=0.0)) == 0.0
    assert 0.03 < share(Physics(fwhm=10.0, water=1.0, water_share=0.1)) < 0.2
    assert share(Physics(fwhm=10.0, water=1.0)) > 0.9


def test_imports_go_one_way():
    """transfer builds on fg and linesets; neither imports transfer (nor linesets fg)."""
    import ast
    from pathlib import Path

    def imported(module: str) -> set[str]:
        tree = ast.parse((Path(transfer.__file__).parent / f"{module}.py").read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
        return names

    assert "lib.ir.transfer" not in imported("fg") and "lib.ir.transfer" not in imported("linesets")
    assert "lib.ir.fg" not in imported("linesets")
    assert "lib.ir.fg" in imported("transfer")
