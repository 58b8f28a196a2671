"""The introduction's findings: sentences and figure from the scoreboard tables."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import findings, glance


def _papers() -> pd.DataFrame:
    rows = [
        ("S23", "CNN2 wrong test spectra", "38.0 wrong", "27.0 wrong", glance.BETTER),
        ("S23", "challenge set: CNN6", "90.00 %", "82.72 %", glance.NOT_REPRODUCED),
        ("R23", "group proportions", "17", "17", glance.REPRODUCED),
        ("R23", "macro-F1", "0.83", "–", glance.NOT_AT_SCALE),
        ("V24", "mixtures of 2", "92.00 %", "–", glance.NOT_RUN),
    ]
    return pd.DataFrame(rows, columns=["paper", "claim", "published", "ours", "verdict"])


def _beyond() -> pd.DataFrame:
    rows = [("explanations beat the spectrum", "50 %", "100.00 %", glance.HOLDS),
            ("Lite-fresh as good as CNN6", "8.0 wrong", "7.0 wrong", glance.UNDECIDED)]  # fmt: skip
    return pd.DataFrame(rows, columns=["claim", "published", "ours", "verdict"])


def test_sentences_count_every_verdict_and_name_examples():
    said = findings.sentences(_papers(), _beyond())
    assert said["tally"] == (
        "Of the 5 headline claims of the four works, 1 came out better than the paper, 1 were reproduced and 1 "
        "were not; 2 could not be judged (1 not run at full scale and 1 not run)."
    )
    assert said["by_paper"].endswith("paper by paper: S23 1 of 2, R23 1 of 2 and V24 0 of 1.")
    assert "CNN2 wrong test spectra (S23: 38.0 wrong; ours: 27.0 wrong)" in said["better"]
    assert said["short"].startswith("Not reproduced: challenge set: CNN6 (S23: 90.00 %; ours: 82.72 %)")
    assert said["beyond"] == (
        "Beyond the papers, the book tests 2 claims of its own: 1 hold, 0 do not and 1 is undecided; "
        "for example, explanations beat the spectrum (100.00 %)."
    )


def test_sentences_say_so_when_nothing_fits_and_reject_a_wrong_table():
    only_good = _papers().assign(verdict=glance.REPRODUCED)
    said = findings.sentences(only_good, _beyond().head(0))
    assert said["better"] == "No claim came out better than its paper."
    assert said["short"] == "Every claim we could judge was reproduced."
    assert said["tally"].endswith("5 were reproduced and 0 were not.")
    with pytest.raises(ValueError, match="verdict"):
        findings.sentences(_papers().drop(columns="verdict"), _beyond())


def test_verdict_counts_and_figure_keep_the_papers_order():
    counts = findings.verdict_counts(_papers())
    assert list(counts.index) == ["S23", "R23", "V24"] and list(counts.columns) == list(findings.COLOURS)
    assert counts.loc["S23"].tolist() == [1, 0, 1, 0] and counts.loc["V24", "not judged"] == 1
    fig = findings.verdict_figure(_papers())
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["S23", "R23", "V24"]
