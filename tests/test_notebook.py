"""Chapter set-up helpers."""

from __future__ import annotations

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
