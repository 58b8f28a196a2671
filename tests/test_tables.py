"""lib.tables: the formatter every chapter's tables go through."""

import numpy as np
import pandas as pd
import pytest

from lib.tables import MISSING, human, number, table


def test_number_rules():
    assert number(1234567) == "1,234,567"
    assert number(np.int64(42)) == "42"
    assert number(-21) == "−21"
    assert number(1234.5, 1) == "1,234.5"
    assert number(-0.0001) == "0.000"
    assert number(-1.5, 2) == "−1.50"
    assert number(float("nan")) == MISSING
    assert number(None) == MISSING
    assert number(np.float32(0.25), 2) == "0.25"
    assert number("Lite-aug") == "Lite-aug"
    assert number([]) == MISSING and number([1, 2.5], 1) == "1, 2.5"


def test_human_headers():
    assert human("n_train") == "N train"
    assert human("accuracy") == "Accuracy"


def test_table_headers_digits_and_no_index():
    df = pd.DataFrame(
        {"model": ["a", "b"], "seconds": [21.537949, np.nan], "n": [679, 1200], "acc": [-0.00001, 0.5]},
        index=[7, 8],
    )
    t = table(
        df,
        headers={"model": "Model", "seconds": "Time (s)", "n": "Molecules", "acc": "Δ acc"},
        digits={"seconds": 1, "acc": 3},
    )
    assert list(t.frame.columns) == ["Model", "Time (s)", "Molecules", "Δ acc"]
    assert t.frame.to_dict("list") == {
        "Model": ["a", "b"],
        "Time (s)": ["21.5", MISSING],
        "Molecules": ["679", "1,200"],
        "Δ acc": ["0.000", "0.500"],
    }
    html = t._repr_html_()
    assert "overflow-x:auto" in html and "<th" in html and ">7<" not in html
    assert 'style="text-align:right">1,200<' in html
    assert t.numeric == {"Time (s)", "Molecules", "Δ acc"}
    md = t.to_markdown().splitlines()
    assert table(pd.DataFrame({"why": ["a | b\nc"]})).to_markdown().splitlines()[-1] == "| a \\| b c |"
    assert md[0] == "| Model | Time (s) | Molecules | Δ acc |" and md[1] == "|:---|---:|---:|---:|"


def test_table_keeps_index_when_asked_and_names_missing_columns():
    df = pd.DataFrame({"x": [1.0]}, index=pd.Index(["r"], name="run_name"))
    assert list(table(df, index=True).frame.columns) == ["Run name", "X"]
    with pytest.raises(KeyError, match="nope"):
        table(df, headers={"nope": "N"})


def test_a_missing_table_is_one_cell_that_says_so():
    from lib.tables import as_table

    for absent in (None, pd.DataFrame(), pd.DataFrame(columns=["a", "b"])):
        assert as_table(absent, missing="no record shipped").to_markdown() == "|  |\n|:---|\n| no record shipped |"
    shown = as_table(pd.DataFrame({"a": [1]}), digits=0)
    assert shown.to_markdown().splitlines()[0] == "| A |"


def test_glue_table_accepts_a_frame_or_a_table():
    from lib.tables import glue_table

    df = pd.DataFrame({"n_files": [3, 1500]})
    glue_table("t", df)  # outside a kernel there is nothing to display, but it must not fail
    glue_table("t", table(df))


def test_index_kept_only_when_it_means_something_and_levels_joined():
    plain = pd.DataFrame({"x": [1.0, 2.0]}, index=[4, 9])
    assert list(table(plain, index=None).frame.columns) == ["X"]
    named = pd.DataFrame({"x": [1.0]}, index=pd.Index(["CNN6"]))
    assert list(table(named, index=None).frame.columns) == ["", "X"]
    wide = pd.DataFrame(
        [[0.5, 0.25]], columns=pd.MultiIndex.from_tuples([("2 components", "V24"), ("2 components", "ours")])
    )
    assert list(table(wide).frame.columns) == ["2 components V24", "2 components ours"]


def test_wide_tables_take_the_full_width_narrow_ones_stay_in_the_column():
    narrow = table(pd.DataFrame({"model": ["Lite"], "errors": [7]}))
    wide = table(pd.DataFrame({f"a long column header {k}": ["a cell of some length"] for k in range(6)}))
    assert narrow.width_chars() < 90 < wide.width_chars()
    assert "full-width" not in narrow._repr_html_() and "max-width:100%" in narrow._repr_html_()
    assert 'class="book-table full-width"' in wide._repr_html_()


def test_mean_sd_gives_sample_sd_and_a_lone_value_without_it():
    from lib.tables import mean_sd

    assert mean_sd([7, 9, 7]) == "7.7 ± 1.2"
    assert mean_sd([92.6], 1, " %") == "92.6 %"
    assert mean_sd(np.array([99.36, 99.2]), 2, " %") == "99.28 ± 0.11 %"
    with pytest.raises(ValueError, match="at least one"):
        mean_sd([])
