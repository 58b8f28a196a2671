"""Results at a glance (lib.glance): reading glued values, the verdict rules, the table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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


def _m(value, count=None, trials=None, **kw):
    return glance.Measure(value, count=count, trials=trials, **kw)


def test_at_least_is_one_sided_and_says_better_where_the_bound_clears_the_paper():
    # V24's main result, 99.03 %: 29 wrong of 4,500 (99.36 %) is better, not "not reproduced"
    assert glance.judge("at_least", 0.9903, _m(4471 / 4500, 4471, 4500)) == glance.BETTER
    # all 900 unseen-class spectra right against 99.667 %: the one-sided bound 0.05 ** (1 / 900) clears it
    assert glance.judge("at_least", 0.99667, _m(1.0, 900, 900)) == glance.BETTER
    # 99.1 % of 4,500 cannot be told from 99.03 %: reproduced
    assert glance.judge("at_least", 0.9903, _m(4460 / 4500, 4460, 4500)) == glance.REPRODUCED
    # 134 of 162 (82.7 %) is surely below 90 %
    assert glance.judge("at_least", 0.90, _m(134 / 162, 134, 162)) == glance.NOT_REPRODUCED
    # without a count the point value decides, and never "better"
    assert glance.judge("at_least", 0.5, _m(0.9)) == glance.REPRODUCED
    assert glance.judge("at_least", 0.5, _m(0.4)) == glance.NOT_REPRODUCED


def test_at_most_mirrors_for_error_counts():
    errors = {"per": 4500}
    assert glance.judge("at_most", 38.0, _m(27.0, 27, 4500, **errors)) == glance.BETTER  # CNN2: 27 against 38
    assert glance.judge("at_most", 8.4, _m(9.0, 9, 4500, **errors)) == glance.REPRODUCED
    assert glance.judge("at_most", 8.4, _m(36.0, 36, 4500, **errors)) == glance.NOT_REPRODUCED
    assert glance.judge("at_most", 15.0, _m("0.52")) == glance.REPRODUCED  # seconds, no count


def test_match_interval_word_and_states():
    assert glance.judge("match", (0.59, 0.60), _m(0.599)) == glance.REPRODUCED
    assert glance.judge("match", (0.59, 0.60), _m(0.601)) == glance.NOT_REPRODUCED
    assert glance.judge("match", 0.96, _m("94.5 %"), tolerance=0.02) == glance.REPRODUCED
    assert glance.judge("match", 0.96, _m("92.8 %"), tolerance=0.02) == glance.NOT_REPRODUCED
    assert glance.judge("word", "confirmed", _m("Confirmed")) == glance.REPRODUCED
    assert glance.judge("word", "confirmed", _m("not confirmed")) == glance.NOT_REPRODUCED
    assert glance.judge("word", "confirmed", _m("not tested")) == glance.NOT_TESTED
    assert glance.judge("at_least", 0.9, None) == glance.NOT_RUN
    assert glance.judge("at_least", 0.9, _m(0.95, reduced=True)) == glance.NOT_AT_SCALE
    assert glance.judge("at_least", 0.9, _m(None, unconverged=True)) == glance.NOT_CONVERGED
    with pytest.raises(ValueError, match="rule 'sideways'"):
        glance.judge("sideways", 0.9, _m(0.95))


def test_own_claims_carry_the_burden_of_proof():
    per = {"per": 4500}
    assert glance.judge("at_most", 8.0, _m(7.0, 7, 4500, **per), own=True) == glance.UNDECIDED  # one seed, 7 errors
    assert glance.judge("at_most", 8.0, _m(3.0, 15, 22500, **per), own=True) == glance.HOLDS
    assert glance.judge("at_most", 8.0, _m(20.0, 20, 4500, **per), own=True) == glance.FAILS
    assert glance.judge("at_least", 0.95, _m(317 / 324, 317, 324), own=True) == glance.HOLDS
    assert glance.judge("at_least", 0.788, _m(0.406, 406, 1000), own=True) == glance.FAILS


def test_glued_reduced_runs_never_stand_in_the_ours_column(tmp_path):
    read = glance.glued("ch", "best_errors", full_scale={"n_classes": 500}, scale_params=("n_classes",))
    claim = glance.Claim("S23", "CNN6, wrong of 4,500", "ch", 8.4, "at_most", "errors", read)
    path = _notebook(tmp_path, {"best_errors": "'7.0'"}, {"n_classes": 8})
    frame = glance.table({"ch": glance.read_notebook(path)}, (claim,))
    row = frame.iloc[0]
    assert row["verdict"] == glance.NOT_AT_SCALE
    assert row["ours"] == "–"
    assert "reduced run: 7.0" in row["note"] and "n_classes = 8" in row["note"]


def test_table_marks_missing_chapters_not_run_and_counts(tmp_path):
    claims = (
        glance.Claim("A", "one", "ch1", 1.0, "match", "", glance.glued("ch1", "x"), tolerance=0.1),
        glance.Claim("B", "two", "ch2", 2.0, "match", "", glance.glued("ch2", "y")),
    )
    path = _notebook(tmp_path, {"x": "1.05"}, {})
    frame = glance.table({"ch1": glance.read_notebook(path)}, claims)
    assert list(frame.columns) == glance.COLUMNS
    assert list(frame["verdict"]) == [glance.REPRODUCED, glance.NOT_RUN]
    assert list(frame["ours"]) == ["1.050", "–"]
    assert glance.counts(frame) == {glance.REPRODUCED: 1, glance.NOT_RUN: 1}
    tally = glance.by_paper(frame)
    assert tally.index.tolist() == ["A", "B"] and tally.columns.tolist() == [glance.REPRODUCED, glance.NOT_RUN]
    assert tally.loc["A", glance.REPRODUCED] == 1 and tally.loc["A", glance.NOT_RUN] == 0
    boards = glance.boards(frame.assign(claim=["<a> *b*", "b|c"]))
    assert list(boards) == ["A", "B"]  # one table per paper, in the table's order
    page = boards["A"].to_markdown()
    assert page.startswith("| Claim | Paper's figure | Ours | Verdict | Source | Chapter |")  # headers for people
    assert "<a>" not in page and r"&lt;a&gt; \*b\*" in page  # text is text, in HTML and in Markdown
    assert 'class="glance-badge good"' in page and 'class="glance-badge none"' in boards["B"].to_markdown()
    assert r"b\|c" in boards["B"].to_markdown()  # a pipe does not end the cell
    own = glance.board(frame, own=True).frame
    assert list(own.columns[:3]) == ["Area", "Claim", "Target"] and list(own["Area"]) == ["A", "B"]


def test_percentages_share_one_unit():
    assert glance.fmt(0.96, "%") == "96.00 %"
    assert glance.fmt("92.8 %", "%") == "92.80 %"
    assert glance.fmt(36, "errors") == "36.0 wrong"


def _copy_record(src: Path, dest: Path, **changes) -> None:
    record = json.loads(src.read_text())
    record.update(changes)
    dest.write_text(json.dumps(record))


@pytest.fixture
def shipped_folder(tmp_path, monkeypatch):
    """A results folder with one converged CNN2 run and one time-capped CNN6 run (copies of shipped records)."""
    from lib.synthetic import full_scale

    bench, chall = tmp_path / "full", tmp_path / "full" / "challenge"
    chall.mkdir(parents=True)
    shutil.copy(full_scale.RESULTS / "CNN2-s0.json", bench / "CNN2-s0.json")
    _copy_record(full_scale.RESULTS / "CNN6-s0.json", bench / "CNN6-s0.json", stopped_early=False, time_capped=True)
    monkeypatch.setattr(glance, "_folders", lambda: (bench, chall))
    monkeypatch.setattr(glance, "_metric_records", dict)
    return bench


def test_capped_runs_are_listed_apart_never_as_headline(shipped_folder):
    cnn6 = next(c for c in glance.CLAIMS if c.claim.startswith("CNN6"))
    row = glance.table({}, (cnn6,)).iloc[0]
    assert row["verdict"] == glance.NOT_CONVERGED and row["ours"] == "–"
    assert "1 time-capped run listed apart" in row["note"]
    assert glance._capped(2) == "2 time-capped runs listed apart" and glance._capped(0) == ""
    capped = glance.capped_table()
    assert list(capped["network"]) == ["CNN6"]
    assert capped.iloc[0]["wrong"] == "36 of 4,500" and "capped at epoch" in capped.iloc[0]["ended"]
    shown = glance.capped_board(capped)
    assert list(shown.frame.columns[:3]) == ["Network", "Data", "Seed"] and "Wrong" in shown.numeric


def test_partial_coverage_is_named_and_the_source_says_converged(shipped_folder):
    every = next(c for c in glance.CLAIMS if c.claim.startswith("every network"))
    row = glance.table({}, (every,)).iloc[0]
    assert row["coverage"].startswith("1 of 8 networks")
    assert "CNN2" in row["coverage"] and "converged" in row["source"] and "NVIDIA H200" in row["source"]
    assert "default" not in row["source"]  # a shipped run is not a preset


def test_every_registered_claim_is_glued_by_its_chapter():
    sources = {c.name: c.source.read_text() for c in book.chapters()}
    for claim in glance.CLAIMS + glance.BEYOND:
        assert claim.chapter in sources, claim
        if not claim.key:
            continue
        text = sources[claim.chapter]
        named = f'"{claim.key}"' in text or f"'{claim.key}'" in text or f"`{claim.key}`" in text
        assert named or f"`{claim.key}:" in text, f"{claim.chapter} does not glue {claim.key!r}"


def test_the_shipped_records_give_every_claim_a_verdict():
    frames = [glance.table({}), glance.table({}, glance.BEYOND, own=True)]
    for frame in frames:
        assert set(frame["verdict"]) <= set(glance.VERDICTS)
        assert not frame["ours"].isna().any()


@pytest.mark.parametrize("name", book.RUN_LAST)
def test_glance_runs_after_every_other_chapter(name):
    order = [c.name for c, _ in book.plan("ci")]
    assert name in order[-len(book.RUN_LAST) :] and set(order[-len(book.RUN_LAST) :]) == set(book.RUN_LAST)


def test_a_chapters_bootstrap_interval_decides_an_own_claim():
    claim = next(c for c in glance.BEYOND if c.key == "d_sim_micro_f1")
    values = {"d_sim_micro_f1": "−0.12 [−0.15, −0.09], resolved", "n_real_all": 300}
    row = glance.table({"fg_benchmark": (values, {})}, (claim,), own=True).iloc[0]
    assert row["verdict"] == glance.FAILS and row["ours"] == "−0.120"
    values["d_sim_micro_f1"] = "+0.01 [-0.02, +0.04], not resolved"
    row = glance.table({"fg_benchmark": (values, {})}, (claim,), own=True).iloc[0]
    assert row["verdict"] == glance.UNDECIDED and "300 measured spectra" in row["source"]
    assert "chosen while looking" in row["note"]  # the chapter's status of the sim ensemble, development by default
    values["sim_status"] = "protocol: chosen on measured-like validation spectra, scored on these once"
    row = glance.table({"fg_benchmark": (values, {})}, (claim,), own=True).iloc[0]
    assert "sim ensemble: protocol: chosen on measured-like" in row["note"] and "looking" not in row["note"]


def test_seeds_show_mean_sd_and_each_seed_beside_the_pooled_number(shipped_folder):
    from lib.synthetic import full_scale

    y = full_scale.test_labels(500, "benchmark")
    for seed, errors in ((1, 9), (2, 7)):
        pred = y.copy()
        pred[:errors] = (y[:errors] + 1) % 500  # the record's errors are recounted from its predictions
        _copy_record(full_scale.RESULTS / "CNN2-s0.json", shipped_folder / f"CNN2-s{seed}.json", seed=seed,
                     test_errors=errors, test_pred=pred.tolist())  # fmt: skip
    cnn2 = next(c for c in glance.CLAIMS if c.claim.startswith("CNN2"))
    row = glance.table({}, (cnn2,)).iloc[0]
    assert row["coverage"] == "3 of 5 seeds" and "seeds 0, 1, 2" in row["source"]
    assert "mean ± sd over 3 seeds 14.3 ± 11.0 wrong (per seed 27, 9, 7)" in row["note"]
    assert row["ours"] == "14.3 wrong"  # pooled: 43 of 13,500, per 4,500


def test_metric_claims_pool_converged_seeds(monkeypatch):
    base = {"part": "main", "model": "Lite", "n_test": 4500, "stopped_early": True, "device": "cpu",
            "machine": "Intel Xeon (1 thread)", "threads": 1, "bf16": True, "epochs": 16}  # fmt: skip
    records = {f"s{i}": {**base, "seed": i, "test_errors": e} for i, e in enumerate((29, 20, 25))}
    records["capped"] = {**base, "seed": 3, "test_errors": 99, "stopped_early": False, "time_capped": True}
    monkeypatch.setattr(glance, "_metric_records", lambda: records)
    measure = glance.metric("main", "Lite")({})
    assert measure.coverage == "3 seeds" and measure.trials == 13500 and measure.count == 13500 - 74
    assert "per seed 99.36, 99.56, 99.44 %" in measure.note and "1 time-capped" in measure.note


def test_all_class_mixtures_come_from_the_full_scale_record_and_name_the_beams_exactness(monkeypatch):
    rows = [{"components": 3, "method": "exact", "at least j right": 3, "accuracy": 0.8, "n": 900},
            {"components": 4, "method": "beam 16", "at least j right": 4, "accuracy": 0.5, "n": 900}]  # fmt: skip
    search = [{"components": 3, "pool": 500, "method": "beam 16", "same answer as exact": 0.9, "n": 900},
              {"components": 4, "pool": 100, "method": "beam 16", "same answer as exact": 0.95, "n": 900}]  # fmt: skip
    full = {
        "points": 5000,
        "reduced": False,
        "epochs": 16,
        "machine": "Intel Xeon (1 thread)",
        "protocol": {"seed": 0, "bf16": True},
        "all_classes": {"pool": 500, "accuracy": rows, "search": search},
    }
    small = {**full, "points": 500, "reduced": True}
    monkeypatch.setattr(glance, "_v24_records", lambda: [small])
    three = glance.all_class_mixtures(3, "exact")({})
    assert three.reduced and glance.judge("at_least", 0.788, three, own=True) == glance.NOT_AT_SCALE
    monkeypatch.setattr(glance, "_v24_records", lambda: [small, full])
    three, four = glance.all_class_mixtures(3, "exact")({}), glance.all_class_mixtures(4, "beam 16")({})
    assert not three.reduced and three.count == 720 and three.trials == 900 and "500 classes" in three.source
    assert "90.0 % at 3 components of 500 classes" in four.note and "95.0 % at 4 components of 100" in four.note
    assert glance.judge("at_least", 0.594, four, own=True) == glance.FAILS


def test_machines_are_named_once_with_their_thread_counts():
    cpu = {"device": "cpu", "machine": "Intel Xeon (1 thread)", "threads": 1}
    runs = [cpu, dict(cpu, threads=2), dict(cpu, machine="AMD EPYC (1 thread)"), {"machine": "NVIDIA H200"}, cpu]
    assert glance.machines_words(runs) == "Intel Xeon, 1 or 2 threads / AMD EPYC, 1 thread / NVIDIA H200"
    assert glance.machine(cpu) == "Intel Xeon, 1 thread" and glance.machine({"machine": "NVIDIA H200"}) == "NVIDIA H200"
