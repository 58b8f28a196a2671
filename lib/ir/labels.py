"""Functional-group labels from structures: InChI → RDKit molecule → one 0/1 per SMARTS pattern.

:data:`GROUPS` is the 17-group table of R23 (SMARTS as in Fine et al. 2020), in R23's order.
Any other ``{name: SMARTS}`` table can be passed instead. An InChI that RDKit cannot read
is reported (returned as a :class:`Problem`) and skipped, never guessed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase

from lib.reference import R23_SPLIT

GROUPS: dict[str, str] = {
    "alkane": "[CX4;H0,H1,H2,H4]",
    "methyl": "[CH3]",
    "alkene": "[CX3]=[CX3]",
    "alkyne": "[CX2]#C",
    "alcohols": "[#6][OX2H]",
    "amines": "[NX3;H2,H1;!$(NC=O)]",
    "nitriles": "[NX1]#[CX2]",
    "aromatics": "[$([cX3](:*):*),$([cX2+](:*):*)]",
    "alkyl halides": "[#6][F,Cl,Br,I]",
    "esters": "[#6][CX3](=O)[OX2H0][#6]",
    "ketones": "[#6][CX3](=O)[#6]",
    "aldehydes": "[CX3H1](=O)[#6]",
    "carboxylic acids": "[CX3](=O)[OX2H1]",
    "ether": "[OD2]([#6])[#6]",
    "acyl halides": "[CX3](=[OX1])[F,Cl,Br,I]",
    "amides": "[NX3][CX3](=[OX1])[#6]",
    "nitro": "[$([NX3](=O)=O),$([NX3+](=O)[O-])][!#8]",
}
SPLIT_FRACTIONS = R23_SPLIT


@dataclass(frozen=True)
class Problem:
    """An entry that could not be labelled: its id, the InChI as given and why."""

    id: str
    inchi: str
    reason: str


def compile_groups(groups: Mapping[str, str] = GROUPS) -> dict[str, Chem.Mol]:
    """SMARTS → query molecules; ``ValueError`` naming the group whose SMARTS RDKit rejects."""
    if not groups:
        raise ValueError("the group table is empty")
    queries = {}
    with rdBase.BlockLogs():
        for name, smarts in groups.items():
            query = Chem.MolFromSmarts(smarts) if isinstance(smarts, str) and smarts.strip() else None
            if query is None:
                raise ValueError(f"group {name!r}: invalid SMARTS {smarts!r}")
            queries[name] = query
    return queries


def normalise_inchi(inchi: str) -> str:
    """Add the ``InChI=`` prefix when it is missing (the NIST index stores InChIs without it)."""
    text = inchi.strip()
    return text if text.startswith("InChI=") else f"InChI={text}"


def mol_from_inchi(inchi: object) -> tuple[Chem.Mol | None, str]:
    """RDKit molecule of an InChI (with or without the prefix) and, when ``None``, why."""
    if inchi is None or (isinstance(inchi, float) and math.isnan(inchi)):
        return None, "no InChI"
    if not isinstance(inchi, str) or not inchi.strip():
        return None, "no InChI"
    text = normalise_inchi(inchi)
    with rdBase.BlockLogs():
        try:
            mol = Chem.MolFromInchi(text, sanitize=True, removeHs=True)
        except Exception as err:  # RDKit raises for some inputs instead of returning None
            return None, f"RDKit could not read the InChI ({type(err).__name__}: {err})"
    if mol is None:
        return None, "RDKit could not read the InChI"
    return mol, ""


def group_vector(mol: Chem.Mol, queries: Mapping[str, Chem.Mol]) -> list[int]:
    """0/1 for each query, in the table's order."""
    return [int(mol.HasSubstructMatch(query)) for query in queries.values()]


def label_inchis(
    inchis: Sequence[object],
    ids: Sequence[str] | None = None,
    groups: Mapping[str, str] = GROUPS,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Label each InChI; returns a table (``ID`` plus one int8 column per group) and the problems.

    Rows whose InChI cannot be read are left out of the table and listed as problems.
    """
    ids = [str(i) for i in (ids if ids is not None else range(len(inchis)))]
    if len(ids) != len(inchis):
        raise ValueError(f"{len(ids)} ids for {len(inchis)} InChIs")
    queries = compile_groups(groups)
    kept_ids, rows, problems = [], [], []
    for cid, inchi in zip(ids, inchis, strict=True):
        mol, why = mol_from_inchi(inchi)
        if mol is None:
            problems.append(Problem(cid, inchi if isinstance(inchi, str) else "", why))
            continue
        kept_ids.append(cid)
        rows.append(group_vector(mol, queries))
    table = pd.DataFrame(np.asarray(rows, dtype=np.int8).reshape(len(rows), len(queries)), columns=list(queries))
    table.insert(0, "ID", kept_ids)
    return table, problems


def read_index(path: str | os.PathLike) -> pd.DataFrame:
    """A CSV with columns ``ID`` and ``Inchi`` (e.g. the NIST index); ``ValueError`` naming a missing column."""
    path = Path(path)
    try:
        index = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"index file not found: {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a readable CSV ({err})") from None
    for column in ("ID", "Inchi"):
        if column not in index.columns:
            raise ValueError(f"{path}: missing column '{column}' (found {', '.join(index.columns)})")
    return index


def label_index(path: str | os.PathLike, groups: Mapping[str, str] = GROUPS) -> tuple[pd.DataFrame, list[Problem]]:
    """:func:`label_inchis` on the ``ID``/``Inchi`` columns of an index CSV."""
    index = read_index(path)
    return label_inchis(index["Inchi"].tolist(), index["ID"].tolist(), groups)


def split_indices(
    n: int, seed: int = 0, fractions: Sequence[float] = SPLIT_FRACTIONS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded random train/validation/test split of ``range(n)`` (default 70/15/15).

    Train and validation sizes are rounded down, test takes the rest: 8,125 spectra give
    5,687 / 1,218 / 1,220 as in R23. Each part is sorted.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    fractions = [float(f) for f in fractions]
    if len(fractions) != 3 or min(fractions) < 0 or not math.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must be three numbers >= 0 that sum to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(n)
    n_train, n_val = int(n * fractions[0]), int(n * fractions[1])
    parts = order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]
    return tuple(np.sort(p) for p in parts)  # type: ignore[return-value]


def proportions(labels: pd.DataFrame | np.ndarray, names: Iterable[str] | None = None) -> pd.Series:
    """Share of positives per group (columns other than ``ID``), largest first."""
    if isinstance(labels, pd.DataFrame):
        table = labels.drop(columns=[c for c in ("ID",) if c in labels.columns])
    else:
        array = np.asarray(labels)
        table = pd.DataFrame(array, columns=list(names) if names is not None else list(GROUPS)[: array.shape[1]])
    if len(table) == 0:
        raise ValueError("no labelled rows")
    return table.astype(float).mean().sort_values(ascending=False, kind="stable").rename("proportion")


def cooccurrence(labels: pd.DataFrame) -> pd.DataFrame:
    """Number of molecules with both groups, for every pair (diagonal: with the group)."""
    table = labels.drop(columns=[c for c in ("ID",) if c in labels.columns]).astype(np.int64)
    return table.T @ table


# --------------------------------------------------------------------------- for the chapter
EXAMPLES: dict[str, tuple[str, str]] = {
    "alkane": ("2-methylbutane", "CC(C)CC"),
    "methyl": ("toluene", "Cc1ccccc1"),
    "alkene": ("1-butene", "C=CCC"),
    "alkyne": ("propyne", "CC#C"),
    "alcohols": ("ethanol", "CCO"),
    "amines": ("ethylamine", "CCN"),
    "nitriles": ("acetonitrile", "CC#N"),
    "aromatics": ("benzene", "c1ccccc1"),
    "alkyl halides": ("chloroethane", "CCCl"),
    "esters": ("ethyl acetate", "CC(=O)OCC"),
    "ketones": ("acetone", "CC(C)=O"),
    "aldehydes": ("acetaldehyde", "CC=O"),
    "carboxylic acids": ("acetic acid", "CC(=O)O"),
    "ether": ("diethyl ether", "CCOCC"),
    "acyl halides": ("acetyl chloride", "CC(=O)Cl"),
    "amides": ("N,N-dimethylacetamide", "CC(=O)N(C)C"),
    "nitro": ("nitromethane", "C[N+](=O)[O-]"),
}
"""A small molecule that has each group of :data:`GROUPS`: ``group → (name, SMILES)``."""

IMIDIC_ACID = "[#6][CX3]([OX2H1])=[NX2]"
"""The tautomer RDKit builds from a standard InChI whose amide H is mobile (``(H2,3,4)``): R–C(OH)=N–."""


def draw_match(smiles: str, smarts: str, size: tuple[int, int] = (220, 160)) -> str:
    """SVG text of a molecule with the atoms and bonds of every ``smarts`` match highlighted."""
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles)
    query = Chem.MolFromSmarts(smarts)
    if mol is None or query is None:
        raise ValueError(f"cannot draw {smiles!r} with {smarts!r}")
    atoms, bonds = set(), set()
    for match in mol.GetSubstructMatches(query):
        atoms.update(match)
        for bond in query.GetBonds():
            a, b = match[bond.GetBeginAtomIdx()], match[bond.GetEndAtomIdx()]
            bonds.add(mol.GetBondBetweenAtoms(a, b).GetIdx())
    drawer = rdMolDraw2D.MolDraw2DSVG(*size)
    drawer.drawOptions().clearBackground = False
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol, highlightAtoms=sorted(atoms), highlightBonds=sorted(bonds))
    drawer.FinishDrawing()
    svg = drawer.GetDrawingText()
    return svg[svg.find("<svg") :]  # without the XML declaration, so it can sit inside HTML


def molecule_sizes(inchis: Sequence[object], ids: Sequence[str] | None = None) -> pd.DataFrame:
    """``ID``, ``heavy atoms`` and ``atoms`` (hydrogens included) of every InChI RDKit can read."""
    ids = [str(i) for i in (ids if ids is not None else range(len(inchis)))]
    if len(ids) != len(inchis):
        raise ValueError(f"{len(ids)} ids for {len(inchis)} InChIs")
    rows = []
    for cid, inchi in zip(ids, inchis, strict=True):
        mol, _ = mol_from_inchi(inchi)
        if mol is not None:
            heavy = mol.GetNumHeavyAtoms()
            hydrogens = sum(a.GetTotalNumHs() for a in mol.GetAtoms()) + mol.GetNumAtoms() - heavy
            rows.append((cid, heavy, heavy + hydrogens))
    return pd.DataFrame(rows, columns=["ID", "heavy atoms", "atoms"])


def compare_proportions(
    ours: pd.Series, reference: pd.Series, tolerance: float, exempt: Iterable[str] = (), decimals: int | None = None
) -> pd.DataFrame:
    """Our and the published share per group (in ``reference``'s order), the deviation, and whether it is within
    ``tolerance``.

    Without ``decimals`` the published shares are taken as exact: ``deviation`` is ours minus theirs and
    ``within tolerance`` is ``|deviation| <= tolerance``. With ``decimals``, the published shares are
    *truncated* to that many decimals (R23 print ``str(mean)[:4]``: 0.68 stands for a share in
    ``[0.68, 0.69)``), and the table also holds that interval (``lo``, ``hi``), whether our share lies in it
    (``inside``), the least and the largest absolute deviation from any share in it (``least deviation``,
    ``most deviation``), and ``within tolerance`` becomes ``least deviation <= tolerance`` (some share R23
    could have had is within the tolerance of ours). ``exempt`` groups are marked (amides are expected to
    differ) but judged all the same.
    """
    missing = [g for g in reference.index if g not in ours.index]
    if missing:
        raise ValueError(f"no proportion for {', '.join(missing)}")
    exempt = set(exempt)
    table = pd.DataFrame({"ours": ours.reindex(reference.index).astype(float), "R23": reference.astype(float)})
    table["deviation"] = table["ours"] - table["R23"]
    if decimals is None:
        table["within tolerance"] = table["deviation"].abs() <= tolerance + 1e-12
    else:
        step = 10.0**-decimals
        table["lo"] = table["R23"].round(decimals)
        table["hi"] = (table["lo"] + step).round(decimals)
        table["inside"] = (table["ours"] >= table["lo"]) & (table["ours"] < table["hi"])
        below, above = table["lo"] - table["ours"], table["ours"] - table["hi"]
        table["least deviation"] = np.maximum(np.maximum(below, above), 0.0).where(~table["inside"], 0.0)
        table["most deviation"] = np.maximum((table["ours"] - table["lo"]).abs(), (table["hi"] - table["ours"]).abs())
        table["within tolerance"] = table["least deviation"] <= tolerance + 1e-12
    table["exempt"] = [g in exempt for g in table.index]
    return table
