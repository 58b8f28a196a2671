"""Functional-group labels: the SMARTS table, hand-worked molecules, problems, split, proportions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import reference
from lib.__main__ import main
from lib.ir import labels
from lib.paths import data_file


def positives(inchi: str, groups=labels.GROUPS) -> set[str]:
    table, problems = labels.label_inchis([inchi], groups=groups)
    assert not problems, problems
    row = table.iloc[0]
    return {name for name in groups if row[name] == 1}


def test_table_is_reference_order_and_smarts():
    assert list(labels.GROUPS) == [
        "alkane", "methyl", "alkene", "alkyne", "alcohols", "amines", "nitriles", "aromatics", "alkyl halides",
        "esters", "ketones", "aldehydes", "carboxylic acids", "ether", "acyl halides", "amides", "nitro",
    ]  # fmt: skip
    assert labels.GROUPS["alkane"] == "[CX4;H0,H1,H2,H4]"
    assert labels.GROUPS["nitro"] == "[$([NX3](=O)=O),$([NX3+](=O)[O-])][!#8]"
    assert len(labels.compile_groups()) == 17


@pytest.mark.parametrize(
    ("name", "inchi", "expected"),
    [
        # CH3-C(=O)-O-CH2-CH3: the ester, its C-O-C (ether pattern [OD2]([#6])[#6]), CH3 and the CH2 (alkane
        # excludes H3 carbons); the carbonyl has an O neighbour, so no ketone
        ("ethyl acetate", "InChI=1S/C4H8O2/c1-3-6-4(2)5/h3H2,1-2H3", {"esters", "ether", "methyl", "alkane"}),
        # the acid's OH sits on a carbon, so [#6][OX2H] (alcohols) matches too; CH3 is not "alkane"
        ("acetic acid", "1S/C2H4O2/c1-2(3)4/h1H3,(H,3,4)", {"carboxylic acids", "alcohols", "methyl"}),
        ("methane", "InChI=1S/CH4/h1H4", {"alkane"}),  # [CX4;H4]; no CH3
        ("ethanol", "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3", {"alcohols", "methyl", "alkane"}),
        ("dimethyl ether", "InChI=1S/C2H6O/c1-3-2/h1-2H3", {"ether", "methyl"}),
        ("acetone", "InChI=1S/C3H6O/c1-3(2)4/h1-2H3", {"ketones", "methyl"}),
        ("acetaldehyde", "InChI=1S/C2H4O/c1-2-3/h2H,1H3", {"aldehydes", "methyl"}),
        ("acetonitrile", "InChI=1S/C2H3N/c1-2-3/h1H3", {"nitriles", "methyl"}),  # C#N is not [CX2]#C
        ("acetylene", "InChI=1S/C2H2/c1-2/h1-2H", {"alkyne"}),
        ("benzene", "InChI=1S/C6H6/c1-2-4-6-5-3-1/h1-6H", {"aromatics"}),
        ("nitromethane", "InChI=1S/CH3NO2/c1-2(3)4/h1H3", {"nitro", "methyl"}),
        ("diethylamine", "InChI=1S/C4H11N/c1-3-5-4-2/h5H,3-4H2,1-2H3", {"amines", "methyl", "alkane"}),
        ("N,N-dimethylacetamide", "InChI=1S/C4H9NO/c1-4(6)5(2)3/h1-3H3", {"amides", "methyl"}),
        # the C-Cl bond of an acyl chloride also matches [#6][F,Cl,Br,I]
        ("acetyl chloride", "InChI=1S/C2H3ClO/c1-2(3)4/h1H3", {"acyl halides", "alkyl halides", "methyl"}),
        ("vinyl chloride", "InChI=1S/C2H3Cl/c1-2-3/h2H,1H2", {"alkene", "alkyl halides"}),
    ],
)
def test_hand_worked_molecules(name, inchi, expected):
    assert positives(inchi) == expected, name


def test_mobile_hydrogen_inchi_gives_the_imidic_tautomer():
    # standard InChI does not fix the H of acetamide; RDKit builds CC(O)=N, so no amide, an "alcohol"
    assert positives("InChI=1S/C2H5NO/c1-2(3)4/h1H3,(H2,3,4)") == {"methyl", "alcohols"}


def test_prefix_is_optional():
    a, _ = labels.label_inchis(["InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3"])
    b, _ = labels.label_inchis(["1S/C2H6O/c1-2-3/h3H,2H2,1H3"])
    pd.testing.assert_frame_equal(a, b)


def test_unparseable_inchi_is_reported_and_skipped():
    inchis = ["InChI=1S/CH4/h1H4", "garbage", "", None, float("nan"), "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3x"]
    table, problems = labels.label_inchis(inchis, ids=["a", "b", "c", "d", "e", "f"])
    assert table["ID"].tolist() == ["a"]
    assert [p.id for p in problems] == ["b", "c", "d", "e", "f"]
    assert problems[0].inchi == "garbage" and "RDKit" in problems[0].reason
    assert problems[1].reason == "no InChI"
    assert table.dtypes.iloc[1:].eq(np.int8).all()


def test_other_table_and_bad_smarts():
    groups = {"carbonyl": "[CX3]=[OX1]", "hydroxyl": "[OX2H]"}
    assert positives("InChI=1S/C3H6O/c1-3(2)4/h1-2H3", groups) == {"carbonyl"}
    table, _ = labels.label_inchis(["InChI=1S/CH4/h1H4"], groups=groups)
    assert table.columns.tolist() == ["ID", "carbonyl", "hydroxyl"]
    with pytest.raises(ValueError, match="'broken'"):
        labels.compile_groups({"broken": "[C"})


def test_split_sizes_match_r23_and_are_seeded():
    train, val, test = labels.split_indices(8125, seed=3)
    assert (len(train), len(val), len(test)) == (5687, 1218, 1220)
    everything = np.concatenate([train, val, test])
    assert np.array_equal(np.sort(everything), np.arange(8125))
    again = labels.split_indices(8125, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again, strict=True))
    assert not np.array_equal(labels.split_indices(8125, seed=4)[0], train)
    with pytest.raises(ValueError, match="fractions"):
        labels.split_indices(10, fractions=(0.5, 0.5, 0.5))


def test_proportions_and_cooccurrence():
    table = pd.DataFrame({"ID": ["a", "b", "c", "d"], "x": [1, 1, 0, 1], "y": [0, 1, 0, 0]})
    p = labels.proportions(table)
    assert p.to_dict() == {"x": 0.75, "y": 0.25}
    co = labels.cooccurrence(table)
    assert co.loc["x", "x"] == 3 and co.loc["x", "y"] == 1 and co.loc["y", "y"] == 1


def test_nist_index_proportions_match_r23_table1():
    table, problems = labels.label_index(data_file("nist_gas_ir_index.csv"))
    assert (len(table), len(problems)) == (8272, 1)
    p = labels.proportions(table)
    compare = labels.compare_proportions(
        p, reference.r23_table1()["proportion"], reference.R23_PROPORTION_TOLERANCE, decimals=2
    )
    # R23's shares are truncated to two decimals: every group but alkane lies inside R23's interval,
    # alkane (0.6903 here, on 8,272 spectra rather than R23's 8,125) just above [0.68, 0.69)
    assert compare.index[~compare["inside"]].tolist() == ["alkane"]
    assert compare.loc["alkane", "least deviation"] == pytest.approx(0.0003, abs=5e-5)
    assert compare["within tolerance"].all()
    assert p["amides"] == pytest.approx(0.0192, abs=5e-5)


def test_cli_label(tmp_path, capsys):
    index = tmp_path / "index.csv"
    index.write_text(
        'ID,file,Inchi\nC141786,x,"1S/C4H8O2/c1-3-6-4(2)5/h3H2,1-2H3"\nC1,y,not-an-inchi\n'
        'C64197,z,"InChI=1S/C2H4O2/c1-2(3)4/h1H3,(H,3,4)"\n'
    )
    out, problems = tmp_path / "labels.csv", tmp_path / "problems.csv"
    assert main(["label", "--index", str(index), "--out", str(out), "--problems", str(problems)]) == 0
    result = pd.read_csv(out)
    assert result.columns.tolist() == ["ID", *labels.GROUPS]
    assert result["ID"].tolist() == ["C141786", "C64197"]
    assert result.set_index("ID").loc["C141786", "esters"] == 1
    assert result.set_index("ID").loc["C64197", "carboxylic acids"] == 1
    assert pd.read_csv(problems)["id"].tolist() == ["C1"]
    assert "1 InChIs skipped" in capsys.readouterr().out
    (tmp_path / "noinchi.csv").write_text("ID,file\nC1,x\n")
    assert main(["label", "--index", str(tmp_path / "noinchi.csv"), "--out", str(out)]) == 2
    assert "missing column 'Inchi'" in capsys.readouterr().err
