"""Published numbers: R23's Table 1 as printed (truncated to two decimals) and the intervals it allows."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lib import reference

ROOT = Path(__file__).resolve().parents[1]


def test_table1_is_stored_at_two_decimals_as_printed():
    for group, values in reference.R23_TABLE1.items():
        assert len(values) == len(reference.R23_TABLE1_COLUMNS), group
        for v in values:
            assert v == round(v, 2), (group, v)
    assert reference.R23_TABLE1["alkane"] == (0.68, 0.93, 0.96, 0.90, 0.93, 0.92)
    assert reference.r23_printed("alkane", "f1") == "0.93(5)"
    assert reference.r23_printed("ketones", "f1") == "0.80(0)"
    assert reference.r23_printed("alkane", "precision") == "0.93"
    assert reference.r23_printed("amides", "proportion") == "0.01"


def test_interval_of_a_truncated_value():
    assert reference.r23_interval(0.93) == (0.93, 0.94)
    assert reference.r23_interval(0.09) == (0.09, 0.10)
    assert reference.r23_interval(0.895, decimals=3) == (0.895, 0.896)
    bounds = reference.r23_table1_intervals("recall")
    assert bounds.loc["nitriles"].tolist() == [0.63, 0.64]
    with pytest.raises(ValueError, match="no such"):
        reference.r23_table1_intervals("no such")


def test_macro_f1_interval_is_the_mean_of_the_bounds():
    lo, hi = reference.r23_macro("f1")
    assert lo == pytest.approx(14.07 / 17) and hi == pytest.approx(14.24 / 17)
    assert hi - lo == pytest.approx(0.01)


def test_grid_is_the_released_code():
    np.testing.assert_array_equal(reference.r23_grid(), np.linspace(500, 3900, 850))
    assert reference.R23_STALE_EPOCHS == 6 and reference.R23_SPLIT_SEED == 42


def test_no_three_decimal_table1_value_anywhere():
    # the old reading of "0.93(5)" as 0.935: none of those numbers may be typed in the IR code or chapters
    pattern = re.compile(r"\b0\.\d\d\d\b")
    old = {f"{reference.R23_TABLE1[g][i]:.2f}{d}" for g, digits in reference.R23_TABLE1_PARENTHESES.items()
           for i, d in zip((1, 2, 3, 5), digits, strict=True)}  # fmt: skip
    source = (ROOT / "lib/reference.py").read_text()
    texts = {"lib/reference.py (R23)": source[source.index("# --- R23") : source.index("# --- S23 benchmark")]}
    for path in [
        *ROOT.glob("lib/ir/*.py"),
        ROOT / "lib/metrics.py",
        ROOT / "lib/models/fga.py",
        *ROOT.glob("book/ir/*.py"),
    ]:
        texts[str(path.relative_to(ROOT))] = path.read_text()
    hits = [f"{name}: {m}" for name, text in texts.items() for m in pattern.findall(text) if m in old]
    assert not hits, hits
