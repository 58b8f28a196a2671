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


def test_compare_proportions_reads_the_reference_as_truncated():
    # R23 print str(mean)[:4]: 0.68 stands for [0.68, 0.69), 0.10 for [0.10, 0.11)
    ref = pd.Series({"a": 0.68, "b": 0.10, "c": 0.27, "d": 0.68, "e": 0.50})
    ours = pd.Series({"a": 0.6903, "b": 0.098, "c": 0.275, "d": 0.69, "e": 0.515})
    table = labels.compare_proportions(ours, ref, 0.01, decimals=2)
    assert table["lo"].tolist() == [0.68, 0.10, 0.27, 0.68, 0.50]
    assert table["hi"].tolist() == [0.69, 0.11, 0.28, 0.69, 0.51]
    assert table["inside"].tolist() == [False, False, True, False, False]  # 0.69 is outside [0.68, 0.69)
    assert table["least deviation"].tolist() == pytest.approx([0.0003, 0.002, 0.0, 0.0, 0.005])
    assert table["most deviation"].tolist() == pytest.approx([0.0103, 0.012, 0.005, 0.01, 0.015])
    # within the tolerance when some share R23 could have had is: e is 0.015 from the printed 0.50 but 0.005
    # from 0.51 (the exact-reference rule says no)
    assert table["within tolerance"].tolist() == [True, True, True, True, True]
    assert not labels.compare_proportions(ours, ref, 0.01).loc["e", "within tolerance"]
    assert "least deviation" not in labels.compare_proportions(ours, ref, 0.01)


def test_truncation_and_rounding_differ_where_it_matters():
    # 0.6851 would be outside a rounded 0.68 ([0.675, 0.685]) but lies inside a truncated one
    table = labels.compare_proportions(pd.Series({"a": 0.6851, "b": 0.6749}), pd.Series({"a": 0.68, "b": 0.68}),
                                       0.0, decimals=2)  # fmt: skip
    assert table["inside"].tolist() == [True, False]
    assert table["least deviation"].tolist() == pytest.approx([0.0, 0.0051])
    assert table["within tolerance"].tolist() == [True, False]
