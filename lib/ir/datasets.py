"""The IR data sets the chapters train and test on, built from the pieces of :mod:`lib.ir`.

- :func:`real_jcamp`: the real NIST spectra of the ``jcamp`` source distribution, on the
  grid, with labels from their structures (``shared/data/jcamp_ir_structures.csv``).
- :func:`simulated`: GFN2-xTB spectra of a molecule list, broadened on the grid, labelled.

Both return an :class:`IRSet`: spectra ``x`` (n × grid, each row's maximum 1), labels ``y``
(n × 17, the groups of :data:`lib.ir.labels.GROUPS`), and per-row names, SMILES, InChIKeys.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lib.ir import ingest, labels, simulate


@dataclass
class IRSet:
    """Spectra on a grid with functional-group labels."""

    x: np.ndarray
    y: np.ndarray
    grid: np.ndarray
    names: list[str]
    smiles: list[str]
    inchikeys: list[str]
    groups: list[str] = field(default_factory=lambda: list(labels.GROUPS))
    notes: dict = field(default_factory=dict)
    #: fixed part of every row ("train", "val" or "test"), e.g. R23's split of the whole NIST index;
    #: ``None``: :meth:`split` draws one
    parts: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, index: np.ndarray | list[int]) -> IRSet:
        """The rows in ``index`` (in that order)."""
        index = np.asarray(index, dtype=int)
        pick = lambda values: [values[i] for i in index]  # noqa: E731
        return IRSet(
            self.x[index], self.y[index], self.grid, pick(self.names), pick(self.smiles), pick(self.inchikeys),
            self.groups, dict(self.notes), None if self.parts is None else self.parts[index],
        )  # fmt: skip

    def labels_frame(self) -> pd.DataFrame:
        """Labels as a DataFrame indexed by name."""
        return pd.DataFrame(self.y, columns=self.groups, index=self.names)

    def split(self, seed: int = 0) -> dict[str, IRSet]:
        """R23's seeded 70/15/15 random split; a set with fixed :attr:`parts` returns those, whatever ``seed``."""
        if self.parts is not None:
            return {name: self.subset(np.flatnonzero(self.parts == name)) for name in ("train", "val", "test")}
        train, val, test = labels.split_indices(len(self), seed)
        return {"train": self.subset(train), "val": self.subset(val), "test": self.subset(test)}


def connectivity(inchikey: str) -> str:
    """The first block of an InChIKey (14 characters): the skeleton, without stereochemistry, isotopes or
    protonation, so that cis-/trans-2-butene and 2-butene share it."""
    return str(inchikey).split("-", 1)[0]


def label_smiles(smiles: list[str], groups=labels.GROUPS) -> tuple[np.ndarray, list[str]]:
    """0/1 labels (n × groups) and InChIKeys of SMILES strings (``ValueError`` naming a bad one)."""
    from rdkit import Chem, rdBase

    queries = labels.compile_groups(groups)
    rows, keys = [], []
    with rdBase.BlockLogs():
        for text in smiles:
            mol = Chem.MolFromSmiles(text)
            if mol is None:
                raise ValueError(f"cannot parse SMILES {text!r}")
            rows.append(labels.group_vector(mol, queries))
            keys.append(Chem.MolToInchiKey(mol))
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), len(queries)), keys


def structures(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The table of structures of the real jcamp spectra (file, smiles, inchi), from the data folder."""
    from lib.paths import data_file

    return pd.read_csv(data_file("jcamp_ir_structures.csv", data_dir))


def real_jcamp(
    filters: ingest.Filters = ingest.CONVERTING_FILTERS,
    grid: np.ndarray | None = None,
    data_dir: str | os.PathLike | None = None,
    folder: str | os.PathLike | None = None,
) -> tuple[IRSet, ingest.IngestResult]:
    """The real NIST spectra shipped with ``jcamp`` 1.3.2, gridded and labelled.

    By default units are converted (most of these files are transmittance), as R23's
    filters would otherwise keep only a handful. Files without a structure are left out.
    Returns the set and the full ingestion result (for a QC table).
    """
    from lib.ir import jcamp_source

    folder = Path(folder) if folder else jcamp_source.infrared_dir()
    result = ingest.ingest([folder], grid=grid, filters=filters)
    table = structures(data_dir).set_index("file")
    keep = [i for i, name in enumerate(result.files) if name in table.index]
    smiles = [table.loc[result.files[i], "smiles"] for i in keep]
    y, keys = label_smiles(smiles)
    x = result.x[keep]
    names = [Path(result.files[i]).stem for i in keep]
    notes = {"source": f"jcamp {jcamp_source.VERSION} data/infrared_spectra", "filters": repr(filters)}
    return IRSet(x, y, result.grid, names, smiles, keys, notes=notes), result


def simulated(
    records: list[dict],
    names: list[str] | None = None,
    grid: np.ndarray | None = None,
    exclude_inchikeys: set[str] | frozenset[str] = frozenset(),
    **broadening,
) -> IRSet:
    """Broadened GFN2-xTB spectra of the usable ``records`` (see :func:`lib.ir.simulate.run_batch`).

    Molecules that share the connectivity (the InChIKey's first block, :func:`connectivity`) with a key
    in ``exclude_inchikeys`` are left out (e.g. those of a test set of real spectra, stereoisomers
    included). ``broadening`` goes to :func:`lib.ir.simulate.broaden`.
    """
    grid = ingest.default_grid() if grid is None else grid
    names = names or [r["input"] for r in records]
    blocks = {connectivity(k) for k in exclude_inchikeys}
    usable = [
        i for i, r in enumerate(records) if r["status"] == "ok" and connectivity(r.get("inchikey") or "") not in blocks
    ]
    chosen = [records[i] for i in usable]
    x, _ = simulate.spectra(chosen, grid, **broadening)
    smiles = [r["input"] for r in chosen]
    y, keys = label_smiles(smiles)
    notes = {"method": chosen[0]["settings"]["method"] if chosen else "", "broadening": broadening}
    return IRSet(x, y, grid, [names[i] for i in usable], smiles, keys, notes=notes)
