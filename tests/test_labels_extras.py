import pandas as pd
import pytest
from rdkit import Chem

from lib.ir import labels


def test_every_example_has_its_group():
    assert list(labels.EXAMPLES) == list(labels.GROUPS)
    for group, (name, smiles) in labels.EXAMPLES.items():
        mol = Chem.MolFromSmiles(smiles)
        assert mol.HasSubstructMatch(Chem.MolFromSmarts(labels.GROUPS[group])), (group, name)


def test_draw_match_gives_inline_svg_and_rejects_nonsense():
    svg = labels.draw_match("CC(=O)N(C)C", labels.GROUPS["amides"])
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    with pytest.raises(ValueError):
        labels.draw_match("not a smiles", "[C")


def test_imidic_acid_pattern_catches_the_mobile_h_amide():
    mol, _ = labels.mol_from_inchi("InChI=1S/C2H5NO/c1-2(3)4/h1H3,(H2,3,4)")  # acetamide
    assert mol.HasSubstructMatch(Chem.MolFromSmarts(labels.IMIDIC_ACID))
    assert not Chem.MolFromSmiles("CC(=O)N").HasSubstructMatch(Chem.MolFromSmarts(labels.IMIDIC_ACID))


def test_molecule_sizes():
    sizes = labels.molecule_sizes(["InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3", "garbage", "1S/CH4/h1H4"], ["e", "x", "m"])
    assert sizes.to_dict("list") == {"ID": ["e", "m"], "heavy atoms": [3, 1], "atoms": [9, 5]}


def test_compare_proportions():
    ref = pd.Series({"a": 0.5, "b": 0.1})
    table = labels.compare_proportions(pd.Series({"b": 0.13, "a": 0.505}), ref, 0.01, exempt=["b"])
    assert table.index.tolist() == ["a", "b"]
    assert table["within tolerance"].tolist() == [True, False]
    assert table["exempt"].tolist() == [False, True]
    assert table.loc["b", "deviation"] == pytest.approx(0.03)
    with pytest.raises(ValueError, match="b"):
        labels.compare_proportions(pd.Series({"a": 0.5}), ref, 0.01)


def test_compare_proportions_bounds_the_deviation_from_a_rounded_reference():
    ref = pd.Series({"a": 0.68, "b": 0.10})
    table = labels.compare_proportions(pd.Series({"a": 0.6903, "b": 0.098}), ref, 0.01, decimals=2)
    assert table.loc["a", "least deviation"] == pytest.approx(0.0053)
    assert table.loc["a", "most deviation"] == pytest.approx(0.0153)
    assert table.loc["b", "least deviation"] == 0.0
    assert "least deviation" not in labels.compare_proportions(pd.Series({"a": 0.7, "b": 0.1}), ref, 0.01)
