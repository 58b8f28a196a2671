"""Per-type corrections of GFN2-xTB lines, their randomisation, and rotational band contours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.ir import mode_physics, transfer
from lib.ir.linesets import LineSet
from lib.ir.mode_physics import Correction, ModePhysics

GRID = np.arange(600.0, 4000.0, 4.0)


def lines(types=None, rotational=None) -> LineSet:
    nu = [np.array([1000.0, 2300.0, 3000.0]), np.array([1700.0, 3500.0])]
    strength = [np.array([1.0, 2.0, 1.0]), np.array([3.0, 1.0])]
    return LineSet(nu, strength, np.zeros((2, 1)), ["a", "b"], ["A", "B"], ["g"], types, rotational)


TYPES = [["skel", "C#N", "CHal"], ["C=O", "OH"]]


def test_pr_separation_follows_the_rigid_rotor_and_needs_constants():
    # linear molecule: sqrt(8 B kT/hc); HCl's B = 10.44 cm-1 at 298.15 K gives 2 sqrt(2 B T / c2) ≈ 131.6 cm-1
    assert mode_physics.pr_separation([None, 10.44, 10.44]) == pytest.approx(131.6, abs=0.2)
    assert mode_physics.pr_separation([5.0, 0.3, 0.2]) == pytest.approx(
        np.sqrt(8 * 0.25 * 298.15 / 1.438776877))  # fmt: skip
    assert np.isnan(mode_physics.pr_separation(None)) and np.isnan(mode_physics.pr_separation([]))
    # four times the constant, twice the separation; colder, narrower
    assert mode_physics.pr_separation([None, 4.0, 4.0]) == pytest.approx(2 * mode_physics.pr_separation([None, 1, 1]))
    assert mode_physics.pr_separation([None, 1, 1], 100.0) < mode_physics.pr_separation([None, 1, 1])


def test_rotor_profile_has_unit_area_branch_maxima_at_the_separation_and_a_q_branch():
    dx = np.arange(-400.0, 400.0, 0.05)
    p = transfer.band_profile(dx, 2.0, "rotor", eta=0.0, pr_separation=40.0)
    assert np.trapezoid(p, dx) == pytest.approx(1.0, abs=2e-3)
    assert abs(dx[np.argmax(p)]) == pytest.approx(20.0, abs=0.3)
    assert p[np.argmin(np.abs(dx))] < 0.1 * p.max()  # no Q branch: a hole at the centre
    q = transfer.band_profile(dx, 2.0, "rotor", eta=0.3, pr_separation=40.0)
    assert dx[np.argmax(q)] == pytest.approx(0.0, abs=0.1)


def test_rotor_transform_is_the_fourier_transform_of_its_profile():
    step, n = 0.25, 2**16
    dx = (np.arange(n) - n // 2) * step
    for eta in (0.0, 0.4):
        profile = transfer.band_profile(dx, 6.0, "rotor", eta=eta, pr_separation=25.0)
        numeric = np.fft.rfft(np.fft.ifftshift(profile)).real * step
        freq = np.fft.rfftfreq(n, d=step)
        analytic = transfer.band_transform(freq, 6.0, "rotor", eta=eta, pr_separation=25.0)
        np.testing.assert_allclose(numeric[:3000], analytic[:3000], atol=3e-3)


def test_corrections_move_each_type_by_its_own_factor_and_leave_the_rest_to_the_global_scale():
    corr = {"C#N": Correction(0.95, 0.0, np.log(0.1)), "OH": Correction(0.97, 0.0, np.log(3.0)),
            "skel": Correction(np.nan)}  # fmt: skip
    out = mode_physics.corrected_lines(lines(TYPES), corr, scale=0.98)
    np.testing.assert_allclose(out.wavenumbers[0] * 0.98, [980.0, 2300 * 0.95, 3000 * 0.98])
    np.testing.assert_allclose(out.intensities[0], [1.0, 0.2, 1.0])
    np.testing.assert_allclose(out.intensities[1], [3.0, 3.0])
    # records without types (None) are untouched
    same = mode_physics.corrected_lines(lines(None), corr, scale=0.98)
    np.testing.assert_array_equal(same.wavenumbers[0], lines().wavenumbers[0])
    with pytest.raises(ValueError, match="types"):
        mode_physics.corrected_lines(lines([["OH"], ["OH"]]), corr, 0.98)


def test_randomised_corrections_move_all_lines_of_a_type_together_around_the_factor():
    corr = {"CHal": Correction(0.96, 0.01, 0.0, 0.3)}
    many = LineSet([np.array([3000.0, 3010.0])] * 400, [np.array([1.0, 1.0])] * 400, np.zeros((400, 1)),
                   [""] * 400, [""] * 400, ["g"], [["CHal", "CHal"]] * 400)  # fmt: skip
    out = mode_physics.corrected_lines(many, corr, scale=1.0, rng=np.random.default_rng(0))
    factors = np.array([nu[0] / 3000.0 for nu in out.wavenumbers])
    assert factors.mean() == pytest.approx(0.96, abs=0.002) and factors.std() == pytest.approx(0.0096, rel=0.15)
    assert all(nu[1] / 3010.0 == pytest.approx(nu[0] / 3000.0) for nu in out.wavenumbers)
    logs = np.array([np.log(s[0]) for s in out.intensities])
    assert logs.std() == pytest.approx(0.3, rel=0.15)


def test_render_modes_uses_each_molecules_contour_and_falls_back_without_constants():
    base = transfer.Physics(scale=1.0, fwhm=60.0)
    physics = ModePhysics(base, {}, contours=True, residual_fwhm=4.0)
    heavy, light = [5.0, 0.05, 0.05], [None, 2.0, 2.0]
    x = mode_physics.render_modes(lines(TYPES, [heavy, light]), GRID, physics)
    one = LineSet([np.array([2000.0])] * 2, [np.array([1.0])] * 2, np.zeros((2, 1)), ["a", "b"], ["A", "B"],
                  ["g"], [["C=O"], ["C=O"]], [heavy, light])  # fmt: skip
    x = mode_physics.render_modes(one, GRID, physics)

    def width(row):
        above = GRID[row >= 0.5 * row.max()]
        return above.max() - above.min()

    assert width(x[1]) > 2 * width(x[0])  # the light rotor's branches lie far apart
    sep = mode_physics.pr_separation(light)
    peaks = GRID[np.argsort(x[1])[-2:]]
    assert abs(np.ptp(peaks) - sep) < 10  # its two branch maxima, Δν apart (on a 4 cm-1 grid)
    no_constants = LineSet(one.wavenumbers, one.intensities, one.y, one.ids, one.inchikeys, ["g"], one.types,
                           [heavy, None])  # fmt: skip
    mixed = mode_physics.render_modes(no_constants, GRID, physics)
    np.testing.assert_allclose(mixed[0], x[0], atol=1e-6)
    np.testing.assert_allclose(mixed[1], transfer.render(no_constants.subset([1]), GRID, base)[0], atol=1e-6)


def test_derived_factor_is_the_textbook_centre_over_the_simulated_mean():
    ranges = pd.DataFrame({"type": ["C#N", "OH"], "low": [2210, 3580], "high": [2260, 3680], "source": ["t1", "t2"]})
    table = mode_physics.derive_corrections([np.array([2400.0, 1000.0]), np.array([2440.0])],
                                            [["C#N", "def"], ["C#N"]], ranges, "2 test molecules")  # fmt: skip
    row = table.set_index("type").loc["C#N"]
    assert row["freq_factor"] == pytest.approx(2235 / 2420, abs=1e-4) and row["n_lines"] == 2
    assert row["freq_sd"] == pytest.approx(50 / 4 / 2235, abs=1e-4) and "t1" in row["source"]
    assert np.isnan(table.set_index("type").loc["OH", "freq_factor"])  # no OH line: global scale
    assert np.isnan(table.set_index("type").loc["def", "freq_factor"])
    with pytest.raises(ValueError, match="types"):
        mode_physics.derive_corrections([np.array([1.0])], [[]], ranges, "x")


def test_the_shipped_tables_are_well_formed():
    ranges = mode_physics.textbook_ranges()
    assert {"OH", "C#N", "C=O", "CF", "CCl"} <= set(ranges["type"])
    corrections = mode_physics.load_corrections()
    assert set(corrections) <= set(mode_physics.modes.TYPES)
    for kind, c in corrections.items():
        if np.isfinite(c.freq_factor):
            assert 0.8 < c.freq_factor < 1.25, kind


def test_the_command_derives_gfn2_xtbs_known_biases_from_the_first_typed_shard(tmp_path):
    import shutil
    import subprocess
    import sys

    from lib.paths import REPO

    shards = tmp_path / "shards"
    shards.mkdir()
    shutil.copy(REPO / "book/ir/data/nist_xtb_modes/part-000.json.gz", shards)
    out = tmp_path / "corrections.csv"
    # without a DFT reference (a missing folder): the shipped one grows, and with it the types it covers
    subprocess.run([sys.executable, "-m", "lib", "mode-corrections", "--shards", str(shards), "--index",
                    str(REPO / "data/nist_gas_ir_index.csv"), "--out", str(out), "--reference",
                    str(tmp_path / "no_reference")], check=True, cwd=REPO)  # fmt: skip
    table = pd.read_csv(out).set_index("type")
    # GFN2-xTB puts O-H stretches too low and C≡N stretches too high (against the textbook bands)
    assert table.loc["OH", "freq_factor"] > 1.0 and table.loc["C#N", "freq_factor"] < 0.97
    assert "training molecules" in table.loc["OH", "source"] and np.isnan(table.loc["def", "freq_factor"])


def test_renderer_draws_new_spectra_every_epoch_and_records_its_physics():
    import json

    corr = {"C#N": Correction(0.95, 0.01, 0.0, 0.3)}
    physics = ModePhysics(transfer.Physics(scale=0.98, fwhm=30.0, noise=0.01), corr)
    data = mode_physics.renderer(lines(TYPES, [[5.0, 0.3, 0.3], None]), GRID, physics, copies=2)
    x0, y0 = data(0, np.random.default_rng(0))
    x1, _ = data(1, np.random.default_rng(1))
    assert x0.shape == (4, GRID.size) and y0.shape == (4, 1) and not np.array_equal(x0, x1)
    unset = ModePhysics(physics.base, {**corr, "def": Correction(float("nan"))})
    record = json.loads(json.dumps(unset.to_dict(), allow_nan=False))  # strict JSON: no NaN
    assert record["corrections"]["C#N"]["freq_factor"] == 0.95 and record["base"]["fwhm"] == 30.0
    assert record["corrections"]["def"]["freq_factor"] is None
    with pytest.raises(ValueError, match="copies"):
        mode_physics.renderer(lines(TYPES), GRID, physics, copies=0)
