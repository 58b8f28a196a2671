"""Chapter set-up helpers."""

from __future__ import annotations

import pytest

from lib import notebook


def test_cpu_load_note_flags_other_jobs_only_beyond_our_own_threads():
    idle = notebook.cpu_load_note(own_threads=2, load=2.3, cores=2)
    busy = notebook.cpu_load_note(own_threads=1, load=3.4, cores=2)
    assert idle.startswith("the machine was otherwise idle") and "2.3 on 2 cores, 2 of them ours" in idle
    assert busy.startswith("other jobs shared the machine") and "pessimistic" in busy


def test_cpu_load_note_reads_this_machine():
    assert "cores" in notebook.cpu_load_note(own_threads=1)


def test_glue_stores_numpy_scalars_as_plain_numbers(monkeypatch):
    import myst_nb
    import numpy as np

    from lib import notebook

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=False: seen.update({name: value}))
    notebook.glue("x", np.float64(0.25))
    notebook.glue("n", np.int64(3))
    assert seen == {"x": 0.25, "n": 3}
    assert type(seen["x"]) is float and type(seen["n"]) is int


def test_join_and_lists_words_as_prose():
    from lib.notebook import join_and

    assert join_and(["a"]) == "a" and join_and(("a", "b")) == "a and b" and join_and(["a", "b", "c"]) == "a, b and c"


def test_figure_bundle_turns_a_plotly_figure_into_html_and_its_json():
    import plotly.graph_objects as go

    from lib import notebook

    notebook.setup(0)
    bundle = notebook.figure_bundle(go.Figure(go.Scatter(x=[1, 2], y=[2, 1])))._repr_mimebundle_()
    assert "plotly-graph-div" in bundle["text/html"] and "application/vnd.plotly.v1+json" in bundle
    assert "<script src" not in bundle["text/html"]  # plotly.js comes once per page, not per figure


def test_log_ticks_are_round_and_span_the_data():
    from lib.notebook import log_axis, log_ticks

    assert log_ticks([0.03, 4.0]) == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
    assert log_ticks([1, 2, 5, 10, 20]) == [1.0, 2.0, 5.0, 10.0, 20.0]
    narrow = log_ticks([0.31, 0.58])  # less than a factor of 5: finer steps
    assert narrow == [0.3, 0.4, 0.5, 0.6]
    assert log_axis([0.31, 0.58])["ticktext"] == ["0.3", "0.4", "0.5", "0.6"]
    with pytest.raises(ValueError, match="positive"):
        log_ticks([0.0, -1.0])
