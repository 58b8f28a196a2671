"""What the functional-group CNN looks at: R23's two-step explainability and how faithful it is.

R23 (§2.4) explain the FGA net (:mod:`lib.models.fga`) in two steps, both possible because the
classifier is a single linear layer on an 8 × 209 latent matrix:

1. **Patterns per channel** (:mod:`.patterns`): the ``k`` strongest latent activations of each
   channel over a set of spectra and the input window (receptive field) behind each. The windows
   come from the layer arithmetic of :func:`lib.models.fga.receptive_field` (:mod:`.receptive`):
   for R23, column ``k`` sees input points ``4k … 4k+15``.
2. **Where the classifier looks** (:mod:`.weights`): the dense weights as groups × channels ×
   positions; per group the maximum over channels; mean ± std over seeds; agreement between seeds
   as the mean pairwise Pearson correlation of those profiles, next to a cross-group reference.

Beyond R23: textbook group-frequency ranges and the share of weight mass inside them or any
region, and the 2400–2700 cm⁻¹ region study (:mod:`.frequencies`); a per-spectrum explanation
(:mod:`.spectrum`) with an ipywidgets and a static plotly explorer (:mod:`.explorer`); relevance
per input point by activation × weight, Integrated Gradients, Grad-CAM-1D, occlusion, random and
the model-free ``input`` ranking (:mod:`.attribution`); deletion and insertion curves
(:mod:`.faithfulness`); the chapter's figures (:mod:`.figures`); and the rules that turn the
numbers into findings (:mod:`.rules`).

**Baseline.** Deleting an input point sets it to 0: that is what the grid holds outside a
spectrum's measured range (zero-fill in :func:`lib.ir.ingest.to_grid`), so "absent" means "no
absorbance". Spectra are *not* renormalised after a deletion.

Models are used in eval mode and on the CPU; spectra are ``(N, P)`` arrays already divided by
their maxima. The public names of the submodules are re-exported here, so
``from lib.ir import explain; explain.column_contributions(...)`` works.
"""

from lib.ir.explain.attribution import (
    BASELINES,
    METHODS,
    act_x_weight,
    centred_copy,
    completeness_gap,
    gradcam,
    integrated_gradients,
    method_kwargs,
    occlusion,
    random_relevance,
    relevance,
)
from lib.ir.explain.explorer import (
    Explorer,
    explorer_cases,
    explorer_note,
    molecule_f1,
    pick_molecules,
    static_explorer,
)
from lib.ir.explain.faithfulness import Curves, compare_methods, compare_models, deletion_insertion, ranking
from lib.ir.explain.frequencies import (
    GROUP_FREQUENCIES,
    RegionStudy,
    band_position,
    band_share_sentence,
    group_frequency_table,
    in_ranges,
    measured_band_share,
    ranges_text,
    region_level,
    region_share,
    region_study,
    share_table,
    textbook_share,
)
from lib.ir.explain.patterns import (
    ChannelPatterns,
    channel_patterns,
    overlay,
    pattern_spread,
    top_activations,
    zoom_channels,
    zoom_figure,
    zoom_summary,
)
from lib.ir.explain.receptive import (
    column_ranges,
    column_wavenumbers,
    column_windows,
    columns_to_points,
    latent_activations,
)
from lib.ir.explain.spectrum import channel_contributions, column_contributions, explain_spectrum, spectrum_figure
from lib.ir.explain.weights import (
    cross_group_agreement,
    group_profiles,
    mean_pairwise_correlation,
    profile_mean_std,
    seed_agreement,
    seed_profiles,
    weight_map,
)

__all__ = [
    "compare_models",
    "pattern_spread",
    "share_table",
    "region_level",
    "ranges_text",
    "static_explorer",
    "pick_molecules",
    "explorer_cases",
    "explorer_note",
    "molecule_f1",
    "BASELINES",
    "GROUP_FREQUENCIES",
    "METHODS",
    "ChannelPatterns",
    "Curves",
    "Explorer",
    "RegionStudy",
    "act_x_weight",
    "band_position",
    "band_share_sentence",
    "centred_copy",
    "channel_contributions",
    "channel_patterns",
    "column_contributions",
    "column_ranges",
    "column_wavenumbers",
    "column_windows",
    "columns_to_points",
    "compare_methods",
    "completeness_gap",
    "cross_group_agreement",
    "deletion_insertion",
    "explain_spectrum",
    "gradcam",
    "group_frequency_table",
    "group_profiles",
    "in_ranges",
    "measured_band_share",
    "integrated_gradients",
    "latent_activations",
    "mean_pairwise_correlation",
    "method_kwargs",
    "occlusion",
    "overlay",
    "profile_mean_std",
    "random_relevance",
    "ranking",
    "region_share",
    "region_study",
    "relevance",
    "seed_agreement",
    "seed_profiles",
    "spectrum_figure",
    "textbook_share",
    "top_activations",
    "weight_map",
    "zoom_channels",
    "zoom_figure",
    "zoom_summary",
]
