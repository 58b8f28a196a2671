"""GFN2-xTB spectra: the physics on tiny molecules, the cache and the failure path."""

from __future__ import annotations

import os
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tblite")

from lib.ir import simulate, xtb  # noqa: E402


@pytest.fixture(scope="module")
def water():
    return xtb.simulate("O")


@pytest.fixture(scope="module")
def co2():
    return xtb.simulate("O=C=O")


def test_water_has_three_real_modes_with_bend_and_stretches(water):
    assert len(water.wavenumbers) == 3 and water.n_imaginary == 0
    bend, *stretches = np.sort(water.wavenumbers)
    assert 1400 < bend < 1700  # H-O-H bend (measured 1595 cm-1)
    assert all(3400 < s < 3900 for s in stretches)  # O-H stretches (3657, 3756)


def test_co2_is_linear_with_an_ir_inactive_symmetric_stretch(co2):
    nu, intensity = co2.wavenumbers, co2.intensities
    assert len(nu) == 4  # 3n - 5 for a linear molecule
    order = np.argsort(nu)
    bends, symmetric, asymmetric = order[:2], order[2], order[3]
    assert abs(nu[bends[0]] - nu[bends[1]]) < 5  # degenerate bend
    assert intensity[symmetric] < 1e-3 * intensity[asymmetric]  # IR-inactive
    assert intensity[asymmetric] > 100  # strongly IR-active
    assert nu[asymmetric] > nu[symmetric]


def test_acetone_carbonyl_band():
    line = xtb.simulate("CC(=O)C")
    strongest = line.wavenumbers[np.argmax(line.intensities)]
    assert 1700 < strongest < 1850 and line.n_imaginary == 0


def test_broadening_puts_area_at_the_scaled_band():
    grid = np.linspace(500, 3900, 850)
    spectrum = simulate.broaden([2000.0, 3000.0], [10.0, 0.0], grid, fwhm=20, scale=0.95)
    assert grid[np.argmax(spectrum)] == pytest.approx(1900, abs=4) and spectrum.max() == 1.0
    raw = simulate.broaden([2000.0], [10.0], np.arange(0, 4000, 0.5), fwhm=20, normalise=False)
    assert raw.sum() * 0.5 == pytest.approx(10.0, rel=0.02)  # area = intensity
    voigt = simulate.broaden([2000.0], [1.0], grid, shape="pseudo-voigt")
    assert grid[np.argmax(voigt)] == pytest.approx(2000, abs=4)
    with pytest.raises(ValueError, match="shape"):
        simulate.broaden([2000.0], [1.0], grid, shape="box")


def test_batch_caches_resumes_and_records_failures(tmp_path):
    first = simulate.run_batch(["O", "not a molecule"], tmp_path, progress=False)
    assert [r["status"] for r in first] == ["ok", "failed"]
    assert "cannot parse" in first[1]["error"]
    cached = sorted(p.name for p in (tmp_path / simulate.Settings().key()).glob("*.json"))
    assert "XLYOFNOQVPJJNP-UHFFFAOYSA-N.json" in cached  # water's InChIKey
    # a second run computes only what is new; the cached water record comes back unchanged
    second = simulate.run_batch(["O", "O=C=O", "not a molecule"], tmp_path, progress=False)
    assert second[0] == first[0] and second[2] == first[1]
    assert second[1]["status"] == "ok" and len(second[1]["wavenumbers"]) == 4
    x, keep = simulate.spectra(second)
    assert x.shape == (2, 850) and keep == [0, 1] and np.allclose(x.max(axis=1), 1.0)


def test_other_settings_use_another_cache_folder(tmp_path):
    a = simulate.Cache(tmp_path, simulate.Settings())
    b = simulate.Cache(tmp_path, simulate.Settings(step=1e-2))
    assert a.folder != b.folder and a.path("O").name == b.path("O").name


def test_cache_reads_records_of_the_settings_before_the_initial_hessian_field(tmp_path):
    settings = simulate.Settings()
    # the key of the settings as they were before ``initial_hessian`` existed (the first NIST run's folder)
    keys = settings.accepted_keys()
    assert keys[0] == settings.key() and {"f275ef21d8", "32234f526e"} <= set(keys)  # + central differences
    assert simulate.Settings(step=1e-2).accepted_keys()[1] != "f275ef21d8"
    old = tmp_path / "f275ef21d8"
    old.mkdir()
    (old / "XLYOFNOQVPJJNP-UHFFFAOYSA-N.json").write_text('{"input": "O", "status": "ok", "old": true}')
    cache = simulate.Cache(tmp_path, settings)
    assert cache.get("O") == {"input": "O", "status": "ok", "old": True}
    assert cache.get("C") is None and cache.path("O").parent.name == settings.key()
    records = simulate.run_batch(["O"], tmp_path, settings, progress=False)
    assert records[0]["old"] is True  # reused, not recomputed
    assert not cache.path("O").exists()


def _record(text: str, status: str, n: int = 2) -> dict:
    record = {"input": text, "inchikey": simulate.inchikey(text), "status": status, "error": None, "notes": []}
    if status == "failed":
        record["error"] = "SimulationError: optimisation: not converged"
    else:
        record.update(
            wavenumbers=[1234.5678, -45.04][:n], intensities=[12.34567, 0.00049][:n], positions_bohr=[[0, 0, 0]]
        )
    if status == "imaginary":
        record["notes"] = ["1 imaginary mode(s) after 2 re-optimisations"]
    return record


def test_shards_are_fixed_chunks_written_once_when_complete(tmp_path):
    texts = ["O", "C", "N", "CC", "CO"]
    cache = simulate.Cache(tmp_path / "cache")
    for text, status in zip(["O", "C", "N", "CO"], ["ok", "imaginary", "failed", "ok"], strict=True):
        cache.put(text, _record(text, status))
    folder = tmp_path / "shards"
    report = simulate.export_shards(texts + ["O"], cache, folder, size=2)  # the duplicate "O" is dropped
    assert (report.written, report.existing, report.incomplete, report.missing) == ([0, 2], [], [1], 1)
    assert sorted(p.name for p in folder.iterdir()) == ["part-000.json.gz", "part-002.json.gz"]
    first = simulate.load_shard(folder / "part-000.json.gz")
    assert (first["first"], first["count"], first["settings"]) == (0, 2, asdict(simulate.Settings()))
    ok, imaginary = first["records"]
    assert ok == {"input": "O", "inchikey": "XLYOFNOQVPJJNP-UHFFFAOYSA-N", "status": "ok",
                  "wavenumbers": [1234.6, -45.0], "intensities": [12.346, 0.0]}  # fmt: skip
    assert imaginary["reason"] == "1 imaginary mode(s) after 2 re-optimisations"
    before = (folder / "part-000.json.gz").read_bytes()
    cache.put("CC", _record("CC", "ok"))
    report = simulate.export_shards(texts, cache, folder, size=2)
    assert (report.written, report.existing, report.incomplete) == ([1], [0, 2], [])
    assert (folder / "part-000.json.gz").read_bytes() == before  # never rewritten
    records = simulate.load_shards(folder)
    assert [r["position"] for r in records] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in records] == ["ok", "imaginary", "failed", "ok", "ok"]
    assert records[2]["reason"] == "SimulationError: optimisation: not converged" and "wavenumbers" not in records[2]
    with pytest.raises(ValueError, match="part-000.json.gz: holds other molecules than positions 0-1"):
        simulate.export_shards(["C", "O", "N", "CC", "CO"], cache, folder, size=2)


def test_simulate_export_command_writes_the_complete_shards(tmp_path, capsys):
    from lib.__main__ import main

    cache = simulate.Cache(tmp_path / "cache")
    for text in ("O", "C"):
        cache.put(text, _record(text, "ok"))
    index = tmp_path / "index.csv"
    index.write_text("ID,Inchi\nC1,1S/H2O/h1H2\nC2,1S/CH4/h1H4\nC3,1S/H3N/h1H3\n")
    args = ["simulate-export", "--molecules", str(index), "--out", str(tmp_path / "cache")]
    assert main([*args, "--shards", str(tmp_path / "shards"), "--shard-size", "2"]) == 0
    assert "wrote 1 shards [0], 0 already there, 1 incomplete (1 molecules without a record)" in capsys.readouterr().out
    assert [r["inchikey"] for r in simulate.load_shards(tmp_path / "shards")] == [
        "XLYOFNOQVPJJNP-UHFFFAOYSA-N",
        "VNWKTOKETHGBQD-UHFFFAOYSA-N",
    ]


def test_simulate_command_spreads_molecules_over_a_local_dask_cluster(tmp_path):
    pytest.importorskip("dask.distributed")
    from lib.__main__ import main

    molecules = tmp_path / "molecules.csv"
    molecules.write_text("smiles\nO\nC\nN\nC#C\n")
    out = tmp_path / "cache"
    assert main(["simulate", "--molecules", str(molecules), "--out", str(out), "--scheduler", "local",
                 "--workers", "2", "--quiet"]) == 0  # fmt: skip
    records = [simulate.Cache(out).get(s) for s in ("O", "C", "N", "C#C")]
    assert [r["status"] for r in records] == ["ok"] * 4
    assert len(records[1]["wavenumbers"]) == 9  # methane: 3n - 6
    assert len({r["worker"] for r in records}) == 2  # both worker processes simulated molecules
    assert all(r["worker"].split(":")[1] != str(os.getpid()) for r in records)  # none ran in this process


def test_cost_counts_cpu_and_single_points_and_both_starts_agree():
    from lib.ir import validation

    # central differences, so that only the optimiser's start differs
    settings = {"identity": simulate.Settings(initial_hessian="identity", differences="central"),
                "force field": simulate.Settings(differences="central")}  # fmt: skip
    runs = validation.cost(["O", "CC=O"], settings)
    assert list(runs["setting"]) == ["identity", "identity", "force field", "force field"]
    assert list(runs["atoms"]) == [3, 7, 3, 7] and (runs["status"] == "ok").all()
    assert (runs["cpu seconds"] > 0).all()
    # a Hessian alone takes 6 single points per atom; the optimisation adds more
    assert (runs["single points"] > 6 * runs["atoms"]).all()
    records = list(runs["record"])
    shifts = validation.line_differences(records[:2], records[2:])
    assert list(shifts["molecule"]) == ["O", "CC=O"]
    assert (shifts["max shift (cm⁻¹)"] < 2.0).all() and (shifts["cosine"] > 0.999).all()


def test_line_differences_measure_the_largest_shift_above_the_cutoff():
    from lib.ir import validation

    a = {"input": "X", "status": "ok", "wavenumbers": [50.0, 1000.0, 3000.0], "intensities": [1.0, 1.0, 1.0]}
    b = {"input": "X", "status": "ok", "wavenumbers": [80.0, 1004.0, 2999.0], "intensities": [1.0, 1.0, 1.0]}
    failed = {"input": "Y", "status": "failed"}
    table = validation.line_differences([a, failed], [b, a])
    assert list(table["molecule"]) == ["X"] and table["max shift (cm⁻¹)"].iloc[0] == 4.0  # 50→80 is below 100
    assert 0.9 < table["cosine"].iloc[0] < 1.0
    assert validation.line_differences([a], [a])["cosine"].iloc[0] == pytest.approx(1.0)


def test_difference_schemes_agree_on_formaldehyde_and_only_the_central_key_is_unchanged():
    """Forward differences for heavy atoms, central for hydrogens: the X–H stretches keep their accuracy."""
    lines = {d: xtb.simulate("C=O", differences=d) for d in xtb.DIFFERENCES}
    central = np.sort(lines["central"].wavenumbers)
    for scheme in ("forward", "hydrogen-central", "bond-central"):
        assert len(lines[scheme].wavenumbers) == len(central) == 6
        assert np.abs(np.sort(lines[scheme].wavenumbers) - central).max() < 25
    n_atoms = 4
    # single points of the Hessian: 6 per atom (central); 3 per atom (forward; the reference is the optimiser's
    # last point, answered from memory); 6 per H + 3 per heavy atom; 4 per H (2 along the bond, 1 each across) + 3
    hessian_calls = {d: lines[d].calls - lines["central"].calls + 6 * n_atoms for d in xtb.DIFFERENCES}
    assert hessian_calls["forward"] == 3 * n_atoms
    assert hessian_calls["hydrogen-central"] == 6 * 2 + 3 * 2
    assert hessian_calls["bond-central"] == 4 * 2 + 3 * 2
    # the C–H stretches move less with hydrogen-central or bond-central than with forward differences
    top = slice(-2, None)
    err = {d: np.abs(np.sort(lines[d].wavenumbers)[top] - central[top]).max() for d in xtb.DIFFERENCES}
    assert err["hydrogen-central"] < err["forward"] and err["bond-central"] < err["forward"]
    with pytest.raises(ValueError, match="atomic numbers"):
        xtb.hessian_and_dipole_derivatives(None, np.zeros((1, 3)), differences="hydrogen-central")
    assert simulate.Settings(differences="central").key() == "32234f526e"  # the key before the field existed
    assert simulate.Settings(differences="forward").key() != simulate.Settings().key() != "32234f526e"


def test_every_difference_scheme_recovers_a_quadratic_surface_exactly():
    """Finite differences are exact on a quadratic energy (linear gradient and dipole), so every scheme, the rotated
    bond frames of ``bond-central`` included, must return its Hessian and dipole derivatives."""
    rng = np.random.default_rng(0)
    positions = rng.normal(0, 2, (4, 3))
    numbers = np.array([6, 8, 1, 1])
    a = rng.normal(size=(12, 12))
    hessian, dipole = a @ a.T, rng.normal(size=(3, 12))

    def surface(flat, restart=None):
        x = np.asarray(flat, dtype=float).ravel()
        return 0.5 * x @ hessian @ x, hessian @ x, dipole @ x

    for scheme in xtb.DIFFERENCES:
        h, d = xtb.hessian_and_dipole_derivatives(surface, positions, 1e-3, scheme, numbers)
        np.testing.assert_allclose(h, hessian, atol=1e-8, err_msg=scheme)
        np.testing.assert_allclose(d, dipole, atol=1e-8, err_msg=scheme)


def test_bond_frames_put_one_central_axis_along_each_x_h_bond():
    positions = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [-1.0, 1.0, 0.0]])  # C, O, H bonded to C
    frames, central = xtb.displacement_frames(positions, np.array([6, 8, 1]), "bond-central")
    np.testing.assert_allclose(frames[2] @ frames[2].T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.abs(frames[2][0]), np.array([1.0, 1.0, 0.0]) / np.sqrt(2), atol=1e-12)
    assert central.tolist() == [[False] * 3, [False] * 3, [True, False, False]]
    np.testing.assert_array_equal(frames[0], np.eye(3))


def test_settings_of_a_record_fill_the_fields_added_since_as_they_were():
    old = {"method": "GFN2-xTB", "seed": 0, "step": 0.005, "retries": 2, "optimiser": "BFGS"}
    settings = simulate.Settings.from_record(old)
    assert (settings.initial_hessian, settings.differences) == ("identity", "central")
    assert simulate.Settings.from_record(asdict(simulate.Settings())) == simulate.Settings()
    with pytest.raises(ValueError, match="'grid'"):
        simulate.Settings.from_record({**old, "grid": 4})


def test_scheme_table_compares_cost_and_shifts_with_the_reference():
    from lib.ir import validation

    def rec(text, nu, status="ok"):
        return {"input": text, "status": status, "wavenumbers": nu, "intensities": [10.0] * len(nu)}

    runs = pd.DataFrame(
        [
            {"setting": "central", "molecule": "a", "status": "ok", "cpu seconds": 4.0, "single points": 100,
             "record": rec("a", [1000.0, 3000.0])},
            {"setting": "central", "molecule": "b", "status": "ok", "cpu seconds": 2.0, "single points": 60,
             "record": rec("b", [1500.0])},
            {"setting": "forward", "molecule": "a", "status": "ok", "cpu seconds": 2.0, "single points": 55,
             "record": rec("a", [1001.0, 3010.0])},
            {"setting": "forward", "molecule": "b", "status": "imaginary", "cpu seconds": 1.0, "single points": 31,
             "record": rec("b", [1502.0], "imaginary")},
        ]
    )  # fmt: skip
    table = validation.scheme_table(runs, "central")
    assert list(table.index) == ["central", "forward"]
    assert table.loc["forward", "speed-up"] == pytest.approx(2.0)
    assert table.loc["forward", "fewer single points"] == pytest.approx(160 / 86)
    assert table.loc["central", "molecules per hour"] == pytest.approx(2 * 3600 / 3.0)
    assert table.loc["forward", "single points"] == 86 and table.loc["forward", "imaginary"] == 1
    assert table.loc["forward", "max shift (cm⁻¹)"] == pytest.approx(10.0)
    assert table.loc["forward", "median shift (cm⁻¹)"] == pytest.approx(6.0)
    assert table.loc["central", "max shift (cm⁻¹)"] == 0.0
    with pytest.raises(KeyError, match="reference setting 'hybrid'"):
        validation.scheme_table(runs, "hybrid")


def test_each_molecule_runs_with_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    real = xtb.simulate

    def spy(*args, **kwargs):
        seen.append(max((pool["num_threads"] for pool in threadpool_info()), default=1))
        return real(*args, **kwargs)

    monkeypatch.setattr(xtb, "simulate", spy)
    record = simulate.simulate_record("O")
    assert record["status"] == "ok"
    assert seen == [1]


def test_timed_batch_times_a_fresh_run_on_the_wall_clock():
    from lib.ir import validation

    out = validation.timed_batch(["O", "C", "O"], workers=2)
    assert out["n"] == 2 and out["ok"] == 2 and out["workers"] == 2  # duplicates are simulated once
    assert out["wall_s"] > 0 and out["per_hour"] == pytest.approx(2 * 3600 / out["wall_s"])
    with pytest.raises(ValueError, match="at least one"):
        validation.timed_batch([])
