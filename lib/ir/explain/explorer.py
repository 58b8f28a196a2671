"""Choose a spectrum and a group and see the explanation: an ipywidgets explorer and a static plotly one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lib.ir.explain._common import _grid, _group_index
from lib.ir.explain.spectrum import spectrum_figure
from lib.models.fga import R23_GROUPS, FGANet


class Explorer:
    """Choose a group, a spectrum and a channel; see :func:`spectrum_figure` for that choice.

    :meth:`figure` gives the current figure (static, for the book); :meth:`widget` the ipywidgets
    controls with the figure below, updated on every change (needs a live Jupyter kernel).
    """

    def __init__(
        self,
        model: FGANet,
        spectra: np.ndarray,
        names: Sequence[str],
        grid: np.ndarray | None = None,
        group: int | str = 0,
        index: int = 0,
        channel: int | None = None,
        groups: Sequence[str] = R23_GROUPS,
    ):
        self.model, self.spectra, self.names = model, np.asarray(spectra, dtype=float), list(names)
        self.grid = _grid(grid, model.input_len)
        self.groups = list(groups)
        self.group, self.index, self.channel = self.groups[_group_index(group, self.groups)], int(index), channel

    def figure(self):
        """The figure of the current choice."""
        return spectrum_figure(self.model, self.spectra[self.index], self.group, self.grid, self.channel,
                               self.names[self.index], self.groups)  # fmt: skip

    def widget(self):
        """Dropdowns (group, spectrum, channel) above an output area that redraws on each change."""
        import ipywidgets as widgets
        from IPython.display import display

        group = widgets.Dropdown(options=self.groups, value=self.group, description="group")
        spectrum = widgets.Dropdown(options=[(n, i) for i, n in enumerate(self.names)], value=self.index,
                                    description="spectrum")  # fmt: skip
        channels = [("all", -1)] + [(f"channel {c}", c) for c in range(self.model.latent_shape[0])]
        channel = widgets.Dropdown(options=channels, value=-1 if self.channel is None else self.channel,
                                   description="channel")  # fmt: skip
        out = widgets.Output()

        def update(_=None):
            self.group, self.index = group.value, int(spectrum.value)
            self.channel = None if channel.value < 0 else int(channel.value)
            out.clear_output(wait=True)
            with out:
                display(self.figure())

        for control in (group, spectrum, channel):
            control.observe(update, names="value")
        update()
        return widgets.VBox([widgets.HBox([group, spectrum, channel]), out])
