"""Chapter set-up helpers."""

from __future__ import annotations

import pytest

from lib import notebook


def test_cpu_load_note_flags_other_jobs_only_beyond_our_own_threads():
    idle = notebook.cpu_load_note(own_threads=2, load=2.3, cores=2)
    busy = notebook.cpu_load_note(own_threads=1, load=3.4, cores=2)
    assert idle.endswith("the processor was otherwise idle") and "2.3 on 2 cores for a 2-thread run" in idle
    assert "other processes shared the processor" in busy and "upper bounds" in busy and "ours" not in busy


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


def test_count_puts_the_noun_in_the_right_number():
    from lib.notebook import count

    assert count(1, "pair") == "1 pair" and count(0, "pair") == "0 pairs" and count(1200, "error") == "1,200 errors"
    assert count(2, "class", "classes") == "2 classes" and count(1, "class", "classes") == "1 class"


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


def test_decimate_keeps_a_narrow_peak_that_a_stride_would_miss():
    import numpy as np

    y = np.zeros(10_001)
    y[4_321] = 1.0  # one point wide
    keep = notebook.decimate_indices(y, 1000)
    assert len(keep) <= 1002 and 4_321 in keep and keep[0] == 0 and keep[-1] == 10_000
    assert (np.diff(keep) > 0).all()
    assert np.array_equal(notebook.decimate_indices(y[:500], 1000), np.arange(500))


def test_thin_figure_shortens_long_lines_only_and_the_page_draws_the_same_extremes():
    import numpy as np
    import plotly.graph_objects as go

    x = np.linspace(400, 4000, 7_201)
    y = np.sin(x / 37.0) + (x == x[5_000])  # a spike
    fig = go.Figure([go.Scatter(x=x, y=y, mode="lines"), go.Scatter(x=x, y=y, mode="markers"), go.Bar(y=y[:3])])
    thin = notebook.thin_figure(fig.to_dict(), max_points=1000)
    line, markers, bar = thin["data"]
    tx, ty = notebook._decode(line["x"]), notebook._decode(line["y"])
    assert len(tx) == len(ty) <= 1002 and ty.dtype == np.float32
    assert np.isclose(ty.max(), y.max()) and np.isclose(ty.min(), y.min())
    assert len(notebook._decode(markers["y"])) == len(x)
    assert np.array_equal(notebook._decode(bar["y"]), y[:3].astype(np.float32))
    alone = go.Figure(go.Scatter(x=x, y=y, mode="lines"))
    html = go.Figure(notebook.thin_figure(alone.to_dict(), 1000)).to_html(include_plotlyjs=False)  # plotly accepts it
    assert len(html) < len(alone.to_html(include_plotlyjs=False)) / 4


def test_thin_figure_stores_32_bit_values_and_keeps_lines_split_by_gaps_whole():
    import numpy as np
    import plotly.graph_objects as go

    y = np.tile(np.r_[np.linspace(0, 1, 99), np.nan], 30)  # 30 lines of 99 points in one trace
    z = np.arange(6.0).reshape(2, 3)
    fig = go.Figure([go.Scatter(x=np.arange(len(y), dtype=float), y=y, mode="lines"), go.Heatmap(z=z)])
    lines, heat = notebook.thin_figure(fig.to_dict(), max_points=1000)["data"]
    kept = notebook._decode(lines["y"])
    assert kept.dtype == np.float32 and len(kept) == len(y) and np.isnan(kept).sum() == 30
    assert np.array_equal(notebook._decode(heat["z"]), z.astype(np.float32)) and heat["z"]["shape"] == "2, 3"


def test_thin_figure_keeps_a_line_given_by_x0_and_dx_where_it_was():
    import numpy as np
    import plotly.graph_objects as go

    y = np.zeros(1_400)
    y[1_206] = 1.0  # a peak at x = 2,670 + 1,206 × 1 = 3,876
    fig = go.Figure([go.Scatter(y=y, x0=2_670, dx=1, mode="lines"), go.Scatter(y=y, x0="a", mode="lines")])
    line, odd = notebook.thin_figure(fig.to_dict(), max_points=1000)["data"]
    x, kept = notebook._decode(line["x"]), notebook._decode(line["y"])
    assert len(x) == len(kept) < len(y) and "x0" not in line and "dx" not in line
    assert x[kept.argmax()] == 3_876 and x[0] == 2_670 and x[-1] == 2_670 + 1_399
    assert line["x"]["dtype"] == "i4"  # plotly.js reads no 64-bit integers (the figure would stay blank)
    assert len(notebook._decode(odd["y"])) == len(y)  # an x0 that is no number: the trace stays whole
