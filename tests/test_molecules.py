"""Our curated molecule set: the shipped CSV is what the recipe gives, and every group is there."""

from __future__ import annotations

import csv

from lib.ir import datasets, labels, molecules
from lib.paths import REPO

CSV = REPO / "book" / "ir" / "molecules.csv"


def test_shipped_csv_is_the_recipe():
    with open(CSV, newline="") as handle:
        shipped = list(csv.DictReader(handle))
    assert shipped == molecules.curated()


def test_every_group_has_at_least_ten_positives_and_groups_co_occur():
    rows = molecules.curated()
    assert len(rows) >= 300
    y, keys = datasets.label_smiles([r["smiles"] for r in rows])
    counts = dict(zip(labels.GROUPS, y.sum(axis=0), strict=True))
    assert min(counts.values()) >= 10, counts
    assert len(set(keys)) == len(rows)  # no duplicate molecules
    assert (y.sum(axis=1) >= 3).mean() > 0.3  # many molecules carry several groups
