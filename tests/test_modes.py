"""Mode types from GFN2-xTB eigenvectors and rotational constants, on molecules whose bands are textbook."""

from __future__ import annotations

import numpy as np
import pytest

from lib.ir import modes, simulate

pytest.importorskip("tblite")

from lib.ir import xtb  # noqa: E402


def strongest(line: xtb.LineSpectrum, kind: str) -> float:
    """Wavenumber of the most intense line of one type."""
    chosen = [i for i, t in enumerate(line.types) if t == kind]
    assert chosen, f"no {kind} mode among {line.types}"
    return float(line.wavenumbers[max(chosen, key=lambda i: line.intensities[i])])


@pytest.mark.parametrize(
    ("smiles", "kind", "low", "high", "count"),
    [
        ("O", "OH", 3400, 3900, 2),  # water: both stretches; the bend is a deformation
        ("CC#N", "C#N", 2200, 2500, 1),  # acetonitrile (measured 2267 cm⁻¹)
        ("CC(C)=O", "C=O", 1650, 1850, 1),  # acetone (measured 1737 cm⁻¹)
        ("CF", "CF", 950, 1150, 1),  # fluoromethane (measured 1049 cm⁻¹)
    ],
)
def test_textbook_band_gets_its_type(smiles, kind, low, high, count):
    line = xtb.simulate(smiles)
    assert len(line.types) == len(line.wavenumbers)
    assert line.types.count(kind) == count
    assert low < strongest(line, kind) < high


def test_water_bend_is_a_deformation_and_its_constants_match_experiment():
    line = xtb.simulate("O")
    assert line.types[int(np.argmin(line.wavenumbers))] == "def"
    a, b, c = line.rotational_constants
    # microwave values A 27.88, B 14.51, C 9.28 cm⁻¹ (GFN2-xTB's O–H is a little long, its angle a little wide)
    assert 25 < a < 31 and 13 < b < 16 and 8.5 < c < 10.5


def test_rotational_constants_of_a_linear_molecule_and_a_hand_worked_diatomic():
    # CO at 1.128 Å: B = 16.8576 / (μ r²), μ = 12 × 15.995 / 27.995
    r = 1.128 / modes.ANGSTROM_PER_BOHR
    a, b, c = modes.rotational_constants(np.array([[0, 0, 0], [0, 0, r]]), np.array([12.0, 15.994915]))
    mu = 12.0 * 15.994915 / 27.994915
    assert a is None and b == pytest.approx(16.857629 / (mu * 1.128**2), rel=1e-5) and c == pytest.approx(b)


def test_bond_types_follow_element_order_and_aromaticity():
    # benzaldehyde-like fragment: atom 0 aromatic C, 1 aldehyde C, 2 O, 3 H on 0, 4 H on 1
    numbers = [6, 6, 8, 1, 1]
    bonds = [(0, 1, 1.0, False), (1, 2, 2.0, False), (0, 3, 1.0, False), (1, 4, 1.0, False), (0, 0, 1.5, True)]
    kinds = [modes.bond_type(numbers, bonds, b) for b in bonds[:4]]
    assert kinds == ["skel", "C=O", "CHar", "CHol"]


def test_a_pure_stretch_has_all_its_energy_in_that_bond():
    # two atoms on a spring along x: Hessian k(x1 - x0)²/2; the stretch mode holds share 1
    k = 0.5
    hessian = np.zeros((6, 6))
    hessian[0, 0] = hessian[3, 3] = k
    hessian[0, 3] = hessian[3, 0] = -k
    stretch = np.array([[-1, 0, 0, 1, 0, 0]], dtype=float).T
    shares = modes.stretch_shares(hessian, stretch, np.array([[0, 0, 0], [2.0, 0, 0]]), [(0, 1, 1.0, False)])
    assert shares[0, 0] == pytest.approx(1.0)


def test_records_carry_types_and_old_records_read_as_unknown(tmp_path):
    (record,) = simulate.run_batch(["CC#N"], tmp_path / "cache", progress=False)
    assert record["types"].count("C#N") == 1 and len(record["rotational_constants"]) == 3
    slim = simulate.shard_record(record)
    assert simulate.line_types(slim) == record["types"]
    old = {k: v for k, v in slim.items() if k not in ("types", "rotational_constants")}
    assert simulate.line_types(old) == ["unknown"] * len(old["wavenumbers"])
    with pytest.raises(ValueError, match="mode types for"):
        simulate.line_types({**slim, "types": slim["types"][:-1]})


def test_run_by_shard_writes_each_shard_and_resumes_from_the_shards_alone(tmp_path):
    molecules = ["O", "C", "N", "CO", "CF"]
    folder = tmp_path / "shards"
    seen = []
    written = simulate.run_by_shard(molecules[:4], tmp_path / "a", folder, size=2, progress=False,
                                    on_shard=lambda n, p: seen.append((n, p.name)))  # fmt: skip
    assert written == [0, 1] and seen == [(0, "part-000.json.gz"), (1, "part-001.json.gz")]
    # a fresh cache: the two shards are skipped, only the last molecule is simulated
    assert simulate.run_by_shard(molecules, tmp_path / "b", folder, size=2, progress=False) == [2]
    assert len(list((tmp_path / "b").glob("*/*-*.json"))) == 1  # one record besides settings.json
    records = simulate.load_shards(folder)
    assert [r["input"] for r in records] == molecules and all("types" in r for r in records)
