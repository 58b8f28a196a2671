"""The DFT reference: a PySCF calculator behind the GFN2-xTB pipeline, its molecules, and its comparison by type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.ir import dft, mode_physics, sentences, xtb
from lib.ir.simulate import load_shards

# a minimal basis keeps the tests to seconds; the reference itself is B3LYP/6-31G*
METHOD = "B3LYP/STO-3G"


@pytest.fixture(scope="module")
def water():
    molecule = xtb.embed("O")
    return molecule, dft.DFT(molecule, METHOD)


def test_gradient_is_the_derivative_of_the_energy(water):
    molecule, calc = water
    energy, gradient, dipole = calc(molecule.positions)
    step = 1e-3
    for atom, axis in ((0, 0), (1, 2)):
        shift = np.zeros_like(molecule.positions)
        shift[atom, axis] = step
        e_plus, _, _ = calc(molecule.positions + shift)
        e_minus, _, _ = calc(molecule.positions - shift)
        assert gradient[atom, axis] == pytest.approx((e_plus - e_minus) / (2 * step), abs=2e-6)
    # water's dipole lies along the H–O–H bisector, from the oxygen towards the hydrogens
    bisector = molecule.positions[1:].mean(axis=0) - molecule.positions[0]
    cosine = dipole @ bisector / np.linalg.norm(dipole) / np.linalg.norm(bisector)
    assert cosine == pytest.approx(1.0, abs=1e-3) and 0.3 < np.linalg.norm(dipole) < 1.5


def test_a_repeated_point_is_answered_from_memory(water):
    molecule, calc = water
    first = calc(molecule.positions + 0.01)
    calls = calc.calls
    again = calc(molecule.positions + 0.01)
    assert calc.calls == calls and again[0] == first[0]
    np.testing.assert_array_equal(again[1], first[1])


def test_method_names_and_open_shells_are_checked():
    assert dft.is_dft("B3LYP/6-31G*") and not dft.is_dft("GFN2-xTB")
    assert dft.SCALE["B3LYP/6-31G*"] == pytest.approx(0.9614)
    assert dft.parse("B3LYP/6-31G*") == ("B3LYP", "6-31G*", False)
    assert dft.parse("B3LYP/6-31G*/DF") == ("B3LYP", "6-31G*", True)
    assert dft.scale("B3LYP/6-31G*/DF") == dft.scale("B3LYP/6-31G*") == pytest.approx(0.9614)
    assert (
        dft.describe("B3LYP/6-31G*/DF")
        == "B3LYP/6-31G* (density-fitted)"
        == dft.describe("B3LYP/6-31G*") + " (density-fitted)"
    )
    with pytest.raises(ValueError, match="no published frequency scale"):
        dft.scale("PBE/STO-3G")
    for wrong in ("GFN2-xTB", "B3LYP/6-31G*/RI", "B3LYP/", "B3LYP/6-31G*/DF/DF"):
        with pytest.raises(ValueError, match="XC/BASIS"):
            dft.DFT(xtb.embed("O"), wrong)
    with pytest.raises(xtb.SimulationError, match="open-shell"):
        dft.DFT(xtb.embed("[CH3]"), METHOD)


def test_the_pipeline_runs_with_dft_and_types_its_modes():
    line = dft.simulate("O", METHOD, differences="bond-central")
    assert line.n_imaginary == 0 and len(line.wavenumbers) == 3
    assert sorted(line.types) == ["OH", "OH", "def"]
    bend, stretches = line.wavenumbers[0], line.wavenumbers[1:]
    assert 1500 < bend < 2300 and (stretches > 3500).all() and (line.intensities > 0).all()
    # not GFN2-xTB's answer: another Hamiltonian, another spectrum
    reference = xtb.simulate("O", differences="bond-central")
    assert np.abs(line.wavenumbers - reference.wavenumbers).max() > 20


def test_density_fitting_changes_the_lines_by_little():
    exact = dft.simulate("O", METHOD, differences="bond-central")
    fitted = dft.simulate("O", METHOD + "/DF", differences="bond-central")
    assert fitted.types == exact.types
    np.testing.assert_allclose(fitted.wavenumbers, exact.wavenumbers, atol=3.0)
    np.testing.assert_allclose(fitted.intensities, exact.intensities, rtol=0.02)
    assert not np.array_equal(fitted.wavenumbers, exact.wavenumbers)  # the integrals are approximated


def test_fitting_effect_pairs_molecules_and_measures_the_change():
    exact = [record("A", [1000.0, 3000.0], [0.5, 50.0], ["def", "CH"]), record("B", [700.0], [10.0], ["CHal"]),
             record("only exact", [1.0], [1.0], ["def"])]  # fmt: skip
    fitted = [record("A", [1000.4, 2999.0], [0.9, 51.0], ["def", "CH"]), record("B", [700.1], [9.0], ["CHal"]),
              record("failed", [], [], [], status="failed")]  # fmt: skip
    effect = dft.fitting_effect(exact, fitted)
    assert effect["n"] == 2 and effect["lines"] == 3 and effect["max_shift"] == pytest.approx(1.0)
    assert effect["median_shift"] == pytest.approx(0.4) and effect["strong_lines"] == 2  # 0.5 km/mol is below 1
    assert effect["max_intensity_change"] == pytest.approx(0.1) and effect["same_types"]
    # per type and molecule, 1 km/mol added to both sums: A's "def" 1.5 -> 1.9, B's "CHal" 11 -> 10
    assert effect["max_type_log_change"] == pytest.approx(np.log(1.9 / 1.5))
    text = sentences.density_fitting(effect)
    assert "2 reference molecules computed both ways (3 lines)" in text and "at most 1.00 cm⁻¹" in text
    assert "10.0 %" in text and "factor of at most 1.27" in text and "keeps its type" in text
    fitted[1]["types"] = ["def"]
    assert not dft.fitting_effect(exact, fitted)["same_types"]
    with pytest.raises(ValueError, match="both with and without"):
        dft.fitting_effect(exact[2:], fitted)
    with pytest.raises(ValueError, match="2 lines exact but 1 fitted"):
        dft.fitting_effect(exact[:1], [record("A", [1000.0], [1.0], ["def"])])


def write_shard(path, shard):
    import gzip
    import json

    with gzip.open(path, "wt") as handle:
        json.dump(shard, handle)


def test_a_reference_of_mixed_methods_is_refused(tmp_path):
    lines = [record("K0", [1000.0], [5.0], ["def"])]
    write_shard(tmp_path / "part-000.json.gz", {"first": 0, "count": 1, "settings": {"method": "B3LYP/6-31G*"},
                                                "records": lines})  # fmt: skip
    table, method, n = mode_physics.reference_comparison(tmp_path, lines)
    assert method == "B3LYP/6-31G*" and n == 1
    write_shard(tmp_path / "part-001.json.gz", {"first": 1, "count": 1, "settings": {"method": "B3LYP/6-31G*/DF"},
                                                "records": lines})  # fmt: skip
    with pytest.raises(ValueError, match="more than one method"):
        mode_physics.reference_comparison(tmp_path, lines)


def test_the_command_line_checks_a_dft_method_before_computing(tmp_path, capsys):
    from lib.__main__ import main

    (tmp_path / "m.csv").write_text("smiles\nO\n")
    status = main(["simulate", "--molecules", str(tmp_path / "m.csv"), "--out", str(tmp_path / "c"),
                   "--method", "B3LYP/6-31G*/RIJK"])  # fmt: skip
    assert status != 0 and "--method" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_selection_takes_the_smallest_molecules_of_each_type():
    inchis = ["InChI=1S/H2O/h1H2", "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3", "InChI=1S/CH4O/c1-2/h2H,1H3",
              "InChI=1S/C2H3N/c1-2-3/h1H3", "InChI=1S/C8H18/c1-3-5-7-8-6-4-2/h3-8H2,1-2H3"]  # fmt: skip
    types = [["OH", "def"], ["OH", "CHal", "skel"], ["OH", "CHal"], ["C#N", "CHal"], ["CHal", "skel"]]
    chosen = dft.select_molecules(inchis, types, per_type=1)
    # OH: water (3 atoms); CHal: methanol (6) and acetonitrile (6) tie, one of them; C#N: acetonitrile;
    # skel: ethanol (9); octane (26 atoms) is never needed
    assert chosen[0] == inchis[0] and inchis[3] in chosen and inchis[1] in chosen and inchis[4] not in chosen
    assert [dft.atom_count(i) for i in chosen] == sorted(dft.atom_count(i) for i in chosen)
    assert dft.select_molecules(inchis, types, per_type=5, max_atoms=6) == [inchis[0]] + sorted(
        inchis[2:4], key=chosen.index)  # fmt: skip
    with pytest.raises(ValueError, match="type lists"):
        dft.select_molecules(inchis, types[:2])


def record(key, nu, strength, kinds, status="ok"):
    return {"inchikey": key, "status": status, "wavenumbers": nu, "intensities": strength, "types": kinds}


def test_comparison_is_the_median_log_ratio_of_summed_intensities_per_type():
    xtb_records = [record(f"K{k}", [1000.0, 2400.0, 2410.0], [5.0, 100.0, 100.0], ["def", "C#N", "C#N"])
                   for k in range(5)]  # fmt: skip
    dft_records = [record(f"K{k}", [1040.0, 2300.0], [5.0 + k, 9.0 + k], ["def", "C#N"]) for k in range(5)]
    dft_records.append(record("unpaired", [1.0], [1.0], ["def"]))
    table = mode_physics.dft_comparison(dft_records, xtb_records, scale=0.96).set_index("type")
    floor = mode_physics.INTENSITY_FLOOR
    logs = np.log((np.arange(5) + 9.0 + floor) / (200.0 + floor))
    assert table.loc["C#N", "n_molecules"] == 5 and table.loc["OH", "n_molecules"] == 0
    assert table.loc["C#N", "log_intensity_shift"] == pytest.approx(np.median(logs))
    assert table.loc["C#N", "log_intensity_sd"] == pytest.approx(1.4826 * np.median(np.abs(logs - np.median(logs))))
    assert table.loc["C#N", "freq_factor"] == pytest.approx(0.96 * 2300 / 2405)
    assert table.loc["def", "freq_factor"] == pytest.approx(0.96 * 1040 / 1000)
    assert np.isnan(table.loc["OH", "log_intensity_shift"])


def test_the_reference_sets_intensities_and_the_frequencies_of_types_without_a_band():
    ranges = pd.DataFrame({"type": ["C#N"], "low": [2210], "high": [2260], "source": ["t1"]})
    reference = pd.DataFrame({"type": ["C#N", "ring", "OH"], "n_molecules": [5, 7, 4],
                              "log_intensity_shift": [-2.5, 0.3, 1.0], "log_intensity_sd": [0.4, 0.1, 0.2],
                              "freq_factor": [0.93, 0.99, 1.05], "freq_sd": [0.01, 0.02, 0.03]})  # fmt: skip
    table = mode_physics.derive_corrections([np.array([2400.0, 1600.0, 3500.0])], [["C#N", "ring", "OH"]],
                                            ranges, "1 molecule", reference, "B3LYP")  # fmt: skip
    table = table.set_index("type")
    # C#N: textbook frequency, reference intensity; ring: both from the reference; OH: 4 < 5 molecules, unchanged
    assert table.loc["C#N", "freq_factor"] == pytest.approx(2235 / 2400, abs=1e-4)
    assert table.loc["C#N", "log_intensity_shift"] == -2.5 and table.loc["C#N", "log_intensity_sd"] == 0.4
    assert table.loc["ring", "freq_factor"] == 0.99 and table.loc["ring", "log_intensity_shift"] == 0.3
    assert table.loc["OH", "log_intensity_shift"] == 0 and np.isnan(table.loc["OH", "freq_factor"])
    assert "B3LYP" in table.loc["ring", "source"] and "unchanged" in table.loc["OH", "source"]
    # the published scale belongs to the reference's wavenumbers, not to its intensities
    scaled = mode_physics.derive_corrections([np.array([1600.0])], [["ring"]], ranges, "1 molecule", reference,
                                             "B3LYP", 0.96).set_index("type").loc["ring", "source"]  # fmt: skip
    assert "of the B3LYP mean (x0.96) over GFN2-xTB's mean" in scaled and "ln(B3LYP / GFN2-xTB)" in scaled


def test_reference_molecules_are_small_training_molecules(tmp_path):
    from lib.ir.linesets import nist_lines
    from lib.paths import data_file

    shards, index = "book/ir/data/nist_xtb_modes", data_file("nist_gas_ir_index.csv")
    chosen = mode_physics.reference_molecules(shards, index, per_type=2, max_atoms=8)
    assert 5 <= len(chosen) <= 2 * 19 and all(dft.atom_count(i) <= 8 for i in chosen)
    parts = nist_lines(shards, index)
    keys = {name: set(part.inchikeys) for name, part in parts.items()}
    by_input = {r["input"].removeprefix("InChI="): r["inchikey"] for r in load_shards(shards)}
    chosen_keys = {by_input[i.removeprefix("InChI=")] for i in chosen}
    assert chosen_keys <= keys["train"] and not chosen_keys & (keys["val"] | keys["test"])


def test_reference_frame_reads_as_gfn2_against_the_reference():
    comparison = pd.DataFrame({"type": ["C#N", "OH", "def"], "n_molecules": [6, 3, 0],
                               "log_intensity_shift": [-np.log(20), np.log(2), np.nan],
                               "log_intensity_sd": [np.log(1.5), 0.0, np.nan],
                               "freq_factor": [0.95, 1.05, np.nan], "freq_sd": [0.01, 0.01, np.nan]})  # fmt: skip
    frame = mode_physics.reference_frame(comparison)
    assert list(frame["type"]) == ["C≡N stretch", "O–H stretch"]  # largest error first, uncovered types left out
    assert frame["intensity"].tolist() == pytest.approx([20.0, 0.5]) and frame["spread"][0] == pytest.approx(1.5)
    assert frame["wavenumber"][0] == pytest.approx(1 / 0.95) and frame["used"].tolist() == ["yes", "not yet"]


def test_selection_leaves_out_elements_the_basis_lacks():
    inchis = ["InChI=1S/CH3I/c1-2/h1H3", "InChI=1S/CH3Br/c1-2/h1H3", "InChI=1S/CH3Cl/c1-2/h1H3"]
    types = [["CHal", "def"]] * 3
    chosen = dft.select_molecules(inchis, types, per_type=3)
    assert inchis[0] not in chosen and set(chosen) == set(inchis[1:])  # iodine: beyond 6-31G*


def test_the_command_line_defaults_name_the_shipped_reference():
    from lib.ir import cli
    from lib.paths import REPO

    assert (cli.DFT_SHARDS, cli.DFT_MOLECULES) == (dft.REFERENCE_SHARDS, dft.REFERENCE_MOLECULES)
    assert (REPO / dft.REFERENCE_MOLECULES).is_file() and (REPO / dft.REFERENCE_SHARDS).is_dir()


def test_the_shipped_reference_is_density_fitted_and_its_exact_first_shard_is_kept():
    from lib.ir.simulate import load_shard
    from lib.paths import REPO

    fitted = load_shard(REPO / dft.REFERENCE_SHARDS / "part-000.json.gz")
    exact = load_shard(REPO / "book/ir/data/dft_modes_exact/part-000.json.gz")
    assert fitted["settings"] == {**exact["settings"], "method": "B3LYP/6-31G*/DF"}
    assert [r["inchikey"] for r in fitted["records"]] == [r["inchikey"] for r in exact["records"]]
    effect = dft.fitting_effect(exact["records"], fitted["records"])
    assert effect["n"] == 10 and effect["same_types"] and effect["max_shift"] < 2.0
    assert effect["max_type_log_change"] < np.log(1.2)  # small beside the spreads between the methods


def test_openblas_kernels_follow_the_cpu_flags_and_a_user_setting_is_kept(tmp_path, monkeypatch):
    assert dft.openblas_core({"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma"}) == "SkylakeX"
    assert dft.openblas_core({"avx512f", "avx2", "fma"}) == "Haswell"  # AVX-512 without BW/VL/DQ (Knights Landing)
    assert dft.openblas_core({"sse3", "avx"}) is None
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse3 avx2 fma\n")
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    assert dft.prefer_modern_blas_kernels(str(cpuinfo)) == "Haswell"
    assert dft.os.environ["OPENBLAS_CORETYPE"] == "Haswell"
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Zen")
    assert dft.prefer_modern_blas_kernels(str(cpuinfo)) == "Zen"
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert dft.prefer_modern_blas_kernels(str(tmp_path / "missing")) is None
    assert "OPENBLAS_CORETYPE" not in dft.os.environ


def test_pyscf_loads_its_openblas_with_the_chosen_kernels():
    import subprocess
    import sys

    from lib.paths import REPO

    # the kernels of PySCF's own OpenBLAS, asked of that library (numpy's and scipy's report their own)
    code = (
        "import ctypes, glob, os\n"
        "from lib.ir import dft\n"
        "core = dft.prefer_modern_blas_kernels()\n"
        "import pyscf.lib\n"
        "libs = glob.glob(os.path.join(os.path.dirname(pyscf.lib.__file__), 'libopenblas*.so*'))\n"
        "if not libs: raise SystemExit('no-bundled-openblas')\n"
        "name = ctypes.CDLL(libs[0]).openblas_get_corename\n"
        "name.restype = ctypes.c_char_p\n"
        "print(core, name().decode())\n"
    )
    env = {k: v for k, v in dft.os.environ.items() if k != "OPENBLAS_CORETYPE"}
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    if "no-bundled-openblas" in run.stderr:
        pytest.skip("this PySCF uses the system's BLAS")
    assert run.returncode == 0, run.stderr
    core, loaded = run.stdout.split()
    if core == "None":
        pytest.skip("this CPU has neither AVX-512 nor AVX2: OpenBLAS detects its kernels itself")
    assert loaded.lower() in {core.lower(), "haswell"}  # PySCF's OpenBLAS 0.3.3 runs Haswell for SkylakeX
