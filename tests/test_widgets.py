"""The live explorers (ipywidgets) of lib.widgets and their builders: moving a control redraws the
figure with other data. Without a kernel the output area stays empty, but the figure follows."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from lib.synthetic import explorers
from lib.synthetic import generator as synthetic
from lib.widgets import LiveFigure


def test_live_figure_redraws_on_every_control_change():
    calls = []

    def draw(a: int, b: str) -> go.Figure:
        calls.append((a, b))
        return go.Figure(go.Scatter(y=[a] * 3, name=b))

    a, b = widgets.IntSlider(value=1, min=0, max=5), widgets.Dropdown(options=["x", "y"], value="x")
    live = LiveFigure(draw, {"a": a, "b": b})
    assert calls == [(1, "x")] and live.figure.data[0].y == (1, 1, 1)
    a.value = 4
    b.value = "y"
    assert calls == [(1, "x"), (4, "x"), (4, "y")]
    assert live.figure.data[0].y == (4, 4, 4) and live.figure.data[0].name == "y"
    assert live.children[0].children == (a, b) and isinstance(live.children[1], widgets.Output)
    with pytest.raises(ValueError, match="at least one control"):
        LiveFigure(draw, {})


@pytest.fixture(scope="module")
def small_data(benchmark_classes):
    return synthetic.make_dataset(benchmark_classes, seed=0, n_train=4, n_val=0)


def test_class_browser_draws_the_chosen_class_at_full_resolution(benchmark_classes, small_data):
    live = explorers.class_browser(benchmark_classes, small_data, first=17, n_train_shown=2)
    cls, n_train = live.controls["c"], live.controls["n_train_shown"]
    assert (cls.min, cls.max, n_train.max) == (0, len(benchmark_classes) - 1, 4)
    assert len(live.figure.data) == 2 + 9 + 1 and live.figure.layout.title.text.startswith("Class 17 ")
    before = live.figure.data[-1].y
    cls.value = 246  # a class the static explorer of the chapter need not show
    clean = live.figure.data[-1]
    assert live.figure.layout.title.text.startswith("Class 246 (3 peaks")
    assert len(clean.y) == benchmark_classes.datapoints and not np.array_equal(clean.y, before)
    np.testing.assert_array_equal(clean.y, synthetic.normalise(benchmark_classes.ideal([246]))[0].round(3))
    n_train.value = 4
    assert [t.name for t in live.figure.data].count("training 4") == 1
    assert "clean, 4 training, 9 test" in live.figure.layout.title.text
    with pytest.raises(ValueError, match="not among the 500 classes"):
        explorers.class_figure(benchmark_classes, small_data, 500)


def test_pair_browser_follows_the_pair_and_the_wrong_spectrum(benchmark_classes):
    x_test = np.random.default_rng(0).random((4, 250))
    wrong = pd.DataFrame({"index": [0, 1, 2, 3], "true": [246, 382, 246, 8], "pred": [382, 246, 382, 318]})
    pairs = pd.DataFrame(
        {"a": [246, 8], "b": [382, 318], "cause": ["minor peak", "overlapping positions"], "errors": [3, 1]}
    )
    live = explorers.pair_browser(benchmark_classes, pairs, wrong, x_test, downsample=20)
    pair, spectrum = live.controls["pair"], live.controls["spectrum"]
    assert spectrum.max == 2  # three wrong test spectra of 246/382
    lo, hi = synthetic.difference_window(benchmark_classes, 246, 382)
    shown = live.figure.data[2]
    np.testing.assert_array_equal(shown.y, x_test[0, lo // 20 : -(-hi // 20)].round(3))
    spectrum.value = 1
    np.testing.assert_array_equal(live.figure.data[2].y, x_test[1, lo // 20 : -(-hi // 20)].round(3))
    assert live.figure.data[2].name == "test spectrum of 382, taken for 246"
    assert live.figure.layout.title.text.endswith("(test spectrum 2 of 3)")
    pair.value = 1
    assert spectrum.max == 0 and spectrum.value == 0
    assert (
        live.figure.layout.title.text == "8 vs 318: overlapping positions, 1 wrong test spectra (test spectrum 1 of 1)"
    )
    assert [t.name for t in live.figure.data][:2] == ["class 8 (clean)", "class 318 (clean)"]
    with pytest.raises(ValueError, match="is empty"):
        explorers.pair_browser(benchmark_classes, pairs.iloc[:0], wrong, x_test, downsample=20)
