"""Our curated set of small organic molecules for simulated IR spectra.

Authored for this book, not taken from a source work: every functional-group template below
is combined with every substituent, and every pair of end groups is joined by each of three
linkers, giving several hundred small molecules in which each of R23's 17 groups occurs many
times, alone and together with others. The list is written to ``book/ir/molecules.csv``
(the test suite checks that file against :func:`curated`).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

SUBSTITUENTS = {
    "methyl": "C",
    "ethyl": "CC",
    "propyl": "CCC",
    "isopropyl": "C(C)C",
    "butyl": "CCCC",
    "isobutyl": "CC(C)C",
    "tert-butyl": "C(C)(C)C",
    "pentyl": "CCCCC",
    "hexyl": "CCCCCC",
    "cyclopentyl": "C1CCCC1",
    "cyclohexyl": "C1CCCCC1",
    "phenyl": "c1ccccc1",
    "benzyl": "Cc1ccccc1",
    "vinyl": "C=C",
    "allyl": "CC=C",
    "4-tolyl": "c1ccc(C)cc1",
    "4-chlorophenyl": "c1ccc(Cl)cc1",
    "4-methoxyphenyl": "c1ccc(OC)cc1",
}

# functional-group templates; {R} is replaced by a substituent's SMILES
TEMPLATES = {
    "alkane": "{R}C",
    "alcohol": "{R}O",
    "primary amine": "{R}N",
    "secondary amine": "{R}NC",
    "nitrile": "{R}C#N",
    "methyl ketone": "{R}C(=O)C",
    "ethyl ketone": "{R}C(=O)CC",
    "aldehyde": "{R}C=O",
    "carboxylic acid": "{R}C(=O)O",
    "methyl ester": "{R}C(=O)OC",
    "acetate": "{R}OC(=O)C",
    "methyl ether": "{R}OC",
    "acyl chloride": "{R}C(=O)Cl",
    "amide": "{R}C(=O)N",
    "acetamide": "{R}NC(=O)C",
    "nitro": "{R}[N+](=O)[O-]",
    "chloride": "{R}Cl",
    "bromide": "{R}Br",
    "fluoride": "{R}F",
    "terminal alkyne": "{R}C#C",
    "terminal alkene": "{R}C=C",
}


# end groups for bifunctional molecules X-linker-Y (so that groups co-occur, as in real data)
END_GROUPS = {  # name: (written before the linker, written after it)
    "hydroxy": ("O", "O"),
    "amino": ("N", "N"),
    "cyano": ("N#C", "C#N"),
    "acetyl": ("CC(=O)", "C(C)=O"),
    "formyl": ("O=C", "C=O"),
    "carboxy": ("OC(=O)", "C(=O)O"),
    "methoxycarbonyl": ("COC(=O)", "C(=O)OC"),
    "methoxy": ("CO", "OC"),
    "chlorocarbonyl": ("ClC(=O)", "C(=O)Cl"),
    "carbamoyl": ("NC(=O)", "C(N)=O"),
    "nitro": ("[O-][N+](=O)", "[N+](=O)[O-]"),
    "chloro": ("Cl", "Cl"),
    "bromo": ("Br", "Br"),
    "fluoro": ("F", "F"),
    "ethynyl": ("C#C", "C#C"),
    "ethenyl": ("C=C", "C=C"),
}
LINKERS = {"1,4-phenylene": "c1ccc({Y})cc1", "ethylene": "CC{Y}", "propylene": "CCC{Y}"}


def _candidates():
    for template_name, template in TEMPLATES.items():
        for substituent_name, smiles in SUBSTITUENTS.items():
            yield f"{substituent_name} {template_name}", template.format(R=smiles)
    names = list(END_GROUPS)
    for linker_name, linker in LINKERS.items():
        for i, x in enumerate(names):
            for y in names[i:]:
                yield f"{x}-{linker_name}-{y}", END_GROUPS[x][0] + linker.format(Y=END_GROUPS[y][1])


def curated() -> list[dict[str, str]]:
    """Every template × substituent and every pair of end groups on each linker.

    Canonical SMILES, duplicates removed (the first name is kept).
    """
    from rdkit import Chem

    rows, seen = [], set()
    for name, smiles in _candidates():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            raise ValueError(f"{name}: {smiles!r} is not valid SMILES")
        canonical = Chem.MolToSmiles(mol)
        if canonical not in seen:
            seen.add(canonical)
            rows.append({"name": name, "smiles": canonical})
    return rows


def read_csv(path: str | os.PathLike) -> list[dict[str, str]]:
    """Read a molecule list (columns ``smiles`` or ``inchi``, optional ``name``)."""
    path = Path(path)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not ({"smiles", "inchi", "Inchi"} & set(rows[0])):
        raise ValueError(f"{path}: needs a 'smiles' or 'inchi' column, has {sorted(rows[0])}")
    return rows
