"""Results at a glance (lib.glance): reading glued values, the verdict rules, the table."""

from __future__ import annotations

import json

import pytest

from lib import book, glance


def _notebook(tmp_path, values: dict, params: dict):
    cells = [
        {
            "cell_type": "code",
            "metadata": {"tags": ["injected-parameters"]},
            "source": [f"{k} = {v!r}\n" for k, v in params.items()],
            "outputs": [],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "source": ["glue(...)"],
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {"scrapbook": {"name": k, "mime_prefix": "application/papermill.record/"}},
                    "data": {"application/papermill.record/text/plain": v},
                }
                for k, v in values.items()
            ],
        },
    ]
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_parse_glued_unwraps_numpy_scalars_and_strings():
    assert glance.parse_glued("np.float64(0.9876)") == 0.9876
    assert glance.parse_glued("np.int64(42)") == 42
    assert glance.parse_glued("'confirmed'") == "confirmed"
    assert glance.parse_glued("3.5") == 3.5
    assert glance.parse_glued("not a literal") == "not a literal"


def test_read_notebook_gets_glued_values_and_injected_parameters(tmp_path):
    path = _notebook(tmp_path, {"acc": "np.float64(0.75)", "word": "'confirmed'"}, {"n_classes": 8, "seed": 0})
    values, params = glance.read_notebook(path)
    assert values == {"acc": 0.75, "word": "confirmed"}
    assert params == {"n_classes": 8, "seed": 0}


def test_as_number_reads_what_the_reader_reads():
    assert glance.as_number("98.89 %") == 0.9889
    assert glance.as_number("8,273") == 8273
    assert glance.as_number(0.5) == 0.5
    assert glance.as_number("confirmed") is None
    assert glance.as_number(True) is None


def test_verdict_rules_number_interval_word_scale():
    number = glance.Claim("P", "c", "ch", "k", 0.99, tolerance=0.01)
    assert glance.verdict(number, 0.98, {}) == glance.REPRODUCED  # on the tolerance boundary
    assert glance.verdict(number, 0.979, {}) == glance.NOT_REPRODUCED
    assert glance.verdict(number, None, {}) == glance.NOT_RUN
    interval = glance.Claim("R23", "c", "ch", "k", (0.59, 0.60))
    assert glance.verdict(interval, 0.599, {}) == glance.REPRODUCED
    assert glance.verdict(interval, 0.601, {}) == glance.NOT_REPRODUCED
    scaled = glance.Claim("S23", "c", "ch", "k", 8.4, tolerance=3, full_scale={"n_classes": 500})
    assert glance.verdict(scaled, 8.0, {"n_classes": 8}) == glance.NOT_AT_SCALE
    assert glance.verdict(scaled, 8.0, {"n_classes": 500}) == glance.REPRODUCED
    simulated = glance.Claim("R23", "c", "ch", "k", (0.59, 0.6), not_at_scale={"data": "simulated"})
    assert glance.verdict(simulated, 0.595, {"data": "simulated"}) == glance.NOT_AT_SCALE
    assert glance.verdict(simulated, 0.595, {"data": "nist.npz"}) == glance.REPRODUCED
    either = glance.Claim("R23", "c", "ch", "k", (0.59, 0.6), not_at_scale={"data": ("nist", "curated")})
    assert glance.verdict(either, 0.595, {"data": "curated"}) == glance.NOT_AT_SCALE
    assert glance.verdict(either, 0.595, {"data": "nist"}) == glance.NOT_AT_SCALE
    assert glance.verdict(either, 0.595, {"data": "nist.npz"}) == glance.REPRODUCED
    assert glance.verdict(number, "98.5 %", {}) == glance.REPRODUCED
    word = glance.Claim("S22", "c", "ch", "k", "confirmed")
    assert glance.verdict(word, "Confirmed", {}) == glance.REPRODUCED
    assert glance.verdict(word, "not confirmed", {}) == glance.NOT_REPRODUCED
    assert glance.verdict(word, "not tested", {}) == glance.NOT_TESTED


def test_table_marks_missing_chapters_not_run_and_counts(tmp_path):
    claims = (
        glance.Claim("A", "one", "ch1", "x", 1.0, tolerance=0.1),
        glance.Claim("B", "two", "ch2", "y", 2.0),
    )
    path = _notebook(tmp_path, {"x": "1.05"}, {})
    frame = glance.table({"ch1": glance.read_notebook(path)}, claims, preset="ci")
    assert list(frame["verdict"]) == [glance.REPRODUCED, glance.NOT_RUN]
    assert list(frame["book"]) == ["1.05", "–"]
    assert glance.counts(frame) == {glance.REPRODUCED: 1, glance.NOT_RUN: 1}
    assert "<a" not in glance.to_html(frame.assign(claim=["<a>", "b"]))


def test_every_registered_claim_is_glued_by_its_chapter():
    sources = {c.name: c.source.read_text() for c in book.chapters()}
    for claim in glance.CLAIMS:
        assert claim.chapter in sources, claim
        text = sources[claim.chapter]
        # a literal glue name, or a {glue:text} reference (the strict book build fails on an unglued one)
        named = f'"{claim.key}"' in text or f"'{claim.key}'" in text or f"`{claim.key}`" in text
        assert named or f"`{claim.key}:" in text, f"{claim.chapter} does not glue {claim.key!r}"


@pytest.mark.parametrize("name", book.RUN_LAST)
def test_glance_runs_after_every_other_chapter(name):
    order = [c.name for c, _ in book.plan("ci")]
    assert order[-1] == name
