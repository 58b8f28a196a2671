"""The line spectra of the simulated NIST gas-phase index as training data: labelled, in R23's split.

:func:`nist_lines` reads the GFN2-xTB shards (``part-*.json.gz``, status ``ok`` only), labels each molecule
from the index's InChIs (:mod:`lib.ir.labels`) and puts it in the part (train/validation/test) that R23's
seeded 70/15/15 split of the whole labelled index gives its row, leaving out every molecule that shares its
connectivity (InChIKey first block) with a test spectrum. :func:`add_records` adds another molecule set to
the training part. Both :mod:`lib.ir.fg` (the chapters' data) and :mod:`lib.ir.transfer` (physics and
training) build on this module, which imports neither.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lib.ir import labels, simulate
from lib.ir.datasets import connectivity
from lib.reference import R23_SPLIT_SEED

PARTS = ("train", "val", "test")


@dataclass
class LineSet:
    """Line spectra (one array of wavenumbers and one of intensities per molecule) with labels."""

    wavenumbers: list[np.ndarray]
    intensities: list[np.ndarray]
    y: np.ndarray
    ids: list[str]
    inchikeys: list[str]
    groups: list[str] = field(default_factory=lambda: list(labels.GROUPS))
    types: list[list[str]] | None = None  # per molecule, each line's mode type (None: not known)
    rotational: list[list[float | None] | None] | None = None  # per molecule, [A, B, C] cm⁻¹ (None: not known)

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index: Sequence[int] | np.ndarray) -> LineSet:
        """The molecules in ``index`` (in that order)."""
        index = [int(i) for i in index]
        return LineSet(
            [self.wavenumbers[i] for i in index], [self.intensities[i] for i in index], self.y[index],
            [self.ids[i] for i in index], [self.inchikeys[i] for i in index], list(self.groups),
            None if self.types is None else [self.types[i] for i in index],
            None if self.rotational is None else [self.rotational[i] for i in index],
        )  # fmt: skip


def nist_lines(
    shards: str | os.PathLike,
    index_csv: str | os.PathLike,
    exclude_inchikeys: Sequence[str] = (),
    split_seed: int = R23_SPLIT_SEED,
    labelled=None,
    max_shards: int | None = None,
) -> dict[str, LineSet]:
    """The simulated NIST index as ``{"train", "val", "test"}`` :class:`LineSet` parts.

    Every ``part-*.json.gz`` in ``shards`` is read (:func:`lib.ir.simulate.load_shards`); records of status
    ``ok`` are matched to the first row of ``index_csv`` with the same InChI. The part of a molecule is the
    part of that row in :func:`lib.ir.labels.split_indices` ``(len(labelled index), split_seed)``, so it does
    not depend on how many shards exist. Molecules sharing a connectivity with ``exclude_inchikeys`` are left out.
    ``labelled``: :func:`lib.ir.labels.label_index`'s table of ``index_csv`` when the caller has it already;
    ``max_shards``: read only the first shards (to repeat a run made when fewer existed).
    """
    table = labels.label_index(index_csv)[0] if labelled is None else labelled
    index = labels.read_index(index_csv).set_index("ID").loc[table["ID"]]
    row_of: dict[str, int] = {}
    for row, inchi in enumerate(index["Inchi"]):
        row_of.setdefault(labels.normalise_inchi(inchi), row)
    part_of = np.empty(len(table), dtype=object)
    for name, rows in zip(PARTS, labels.split_indices(len(table), split_seed), strict=True):
        part_of[rows] = name
    records = simulate.load_shards(shards, max_shards)
    if not records:
        raise FileNotFoundError(f"{shards}: no part-*.json.gz shard")
    blocks = {connectivity(k) for k in exclude_inchikeys}
    groups = [c for c in table.columns if c != "ID"]
    values = table[groups].to_numpy(dtype=np.float32)
    chosen: dict[str, list] = {name: [] for name in PARTS}
    seen: set[int] = set()
    for record in records:
        row = row_of.get(labels.normalise_inchi(record["input"]))
        if record["status"] != "ok" or row is None or row in seen:
            continue
        if connectivity(record.get("inchikey") or "") in blocks:
            continue
        seen.add(row)
        chosen[part_of[row]].append((row, record))
    out = {}
    for name, items in chosen.items():
        out[name] = LineSet(
            [np.asarray(r["wavenumbers"], dtype=float) for _, r in items],
            [np.asarray(r["intensities"], dtype=float) for _, r in items],
            values[[row for row, _ in items]].reshape(len(items), len(groups)),
            [str(table["ID"].iloc[row]) for row, _ in items], [r["inchikey"] for _, r in items], groups,
            [simulate.line_types(r) for _, r in items], [r.get("rotational_constants") for _, r in items],
        )  # fmt: skip
    return out


def add_records(parts: dict[str, LineSet], records: Sequence[dict], exclude_inchikeys: Sequence[str] = ()) -> dict:
    """``parts`` with the ``ok`` records of another molecule set (SMILES inputs, e.g. our curated set) added to
    the training part, labelled from their SMILES. Left out: molecules sharing a connectivity with any molecule
    of the other parts (so validation and test stay unseen), with ``exclude_inchikeys``, or with the training
    part already (no duplicates)."""
    from lib.ir.datasets import label_smiles

    train = parts["train"]
    taken = {connectivity(k) for name, part in parts.items() for k in part.inchikeys}
    taken |= {connectivity(k) for k in exclude_inchikeys}
    chosen = []
    for record in records:
        block = connectivity(record.get("inchikey") or "")
        if record["status"] != "ok" or not record.get("inchikey") or block in taken:
            continue
        taken.add(block)
        chosen.append(record)
    if not chosen:
        return dict(parts)
    y, keys = label_smiles([r["input"] for r in chosen], {g: labels.GROUPS[g] for g in train.groups})
    extra = LineSet([np.asarray(r["wavenumbers"], dtype=float) for r in chosen],
                    [np.asarray(r["intensities"], dtype=float) for r in chosen], y,
                    [r["input"] for r in chosen], keys, list(train.groups))  # fmt: skip
    merged = LineSet(train.wavenumbers + extra.wavenumbers, train.intensities + extra.intensities,
                     np.concatenate([train.y, extra.y]), train.ids + extra.ids, train.inchikeys + extra.inchikeys,
                     list(train.groups),
                     None if train.types is None else train.types + [simulate.line_types(r) for r in chosen],
                     None if train.rotational is None else train.rotational
                     + [r.get("rotational_constants") for r in chosen])  # fmt: skip
    return {**parts, "train": merged}


def default_paths() -> dict[str, Path]:
    """The repository's shards, index and curated line spectra."""
    from lib.paths import REPO, data_file

    return {"shards": REPO / "book/ir/data/nist_xtb", "index": data_file("nist_gas_ir_index.csv"),
            "curated_lines": REPO / "book/ir/data/xtb_lines.json.gz"}  # fmt: skip
