"""GFN2-xTB spectra: the physics on tiny molecules, the cache and the failure path."""

from __future__ import annotations

import numpy as np
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
