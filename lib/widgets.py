"""Live explorers for a running Jupyter kernel: ipywidgets controls that redraw a plotly figure.

The HTML book keeps static plotly explorers (every view inside the figure, switched by menus); a
chapter run interactively (``make lab``) adds a :class:`LiveFigure` beside them, which can reach
every choice (any class, any spectrum, any channel) because a kernel draws each view on demand.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import plotly.graph_objects as go

from lib.notebook import live_kernel


class LiveFigure(widgets.VBox):
    """Controls in a row above an output area that shows ``draw(**values)``, redrawn on every change.

    ``controls`` maps ``draw``'s keyword names to ipywidgets value controls (Dropdown, IntSlider, ...).
    The latest figure is :attr:`figure`; it is drawn into the output area only inside a kernel
    (outside one, e.g. in tests, the controls still react and :attr:`figure` follows them).
    """

    def __init__(self, draw: Callable[..., go.Figure], controls: dict[str, widgets.ValueWidget]):
        if not controls:
            raise ValueError("LiveFigure: needs at least one control")
        self.draw, self.controls, self.output = draw, dict(controls), widgets.Output()
        self.figure: go.Figure | None = None
        super().__init__([widgets.HBox(list(self.controls.values())), self.output])
        for control in self.controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()

    def values(self) -> dict:
        """The controls' current values, by ``draw`` keyword."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self, _change: object = None) -> None:
        """Draw the figure for the current values (called on every change of a control)."""
        self.figure = self.draw(**self.values())
        if live_kernel():
            # Replace the output area's content through its synced state: capturing a display() inside
            # the Output stalls nbclient/papermill, and IPython's formatter would show a plotly figure
            # as a cell output of its own (through its _ipython_display_) instead of returning it.
            data = self.figure._repr_mimebundle_()
            self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)
