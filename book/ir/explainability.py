# %% [markdown]
# # What the network learns
#
# **Aim.** Reproduce the two-step explanation of {cite:t}`rieger2023` (R23) on our own
# functional-group CNNs: which spectral patterns each latent channel detects, and where the linear
# classifier looks for each group. We check it against textbook group frequencies and across
# seeds, and measure — which R23 did not — how faithful such explanations are: by deletion and
# insertion curves on the IR spectra, and by whether they point at the decisive peaks of synthetic
# spectra whose classes we defined ourselves.

# %% tags=["parameters"]
data_dir = None  # folder of the data files; None: the repository's data/
data = "nist"  # "nist": the simulated NIST gas-phase index (as in "Training the CNN"); "curated": our own set
shards = "data/nist_xtb"  # GFN2-xTB line spectra of the NIST index (shards), beside this chapter
fraction = 1.0  # share of every part of the NIST index used
molecules_file = "molecules.csv"  # with data "curated": our curated molecule set, beside this chapter
lines_file = "data/xtb_lines.json.gz"  # with data "curated": GFN2-xTB line spectra of that set
scales = [0.96, 0.97, 0.98]  # broadening settings tried (as in "Training the CNN": same models)
fwhms = [45.0, 60.0, 90.0]
n_seeds = 5  # our seeds explained (R23: 10); models are shared with "Training the CNN"
augment = 0  # as in "Training the CNN"
max_epochs = 500
threads = 1  # PyTorch CPU threads
models_dir = None  # root folder of trained models; None: _build/cache/fg_models
published = True  # also explain R23's ten published models, for comparison
top_k = 100  # strongest activations per channel (R23: 100)
n_examples = 4  # random examples per channel below the overlay (R23 Fig. 3)
zoom_group = "alkene"  # group of the zoom (R23 Fig. 4: alkene, 1350–1950 cm⁻¹)
zoom_region = [1350.0, 1950.0]
zoom_target = 1650.0  # band the zoomed patterns should face (alkene C–C double-bond stretch)
zoom_channels = 3
region = [2400.0, 2700.0]  # region study (R23 Fig. 7)
region_groups = ["nitro", "ketones"]
explain_group = "alkene"  # group of the per-spectrum explanation
n_explore = 24  # real spectra in the static explorer (the page stays under 1.5 MB)
live_widgets = True  # in a live kernel (JupyterLab) also an ipywidgets explorer; the presets switch it off
n_faith_models = 2  # our models in the faithfulness comparison
faith_published = True  # also one published R23 model
max_faith_spectra = 40  # positive held-out spectra per group
faith_steps = 20  # fractions on the deletion/insertion curves
ig_steps = 64  # Integrated Gradients path points
syn_classes = 6  # synthetic classes (of S23's 500, fixed random choice)
syn_downsample = 10  # average every k points: 5,000 → 500 input points
syn_n_train = 100  # fresh training spectra per class and epoch
syn_n_val = 20
syn_seeds = 3  # FGA nets trained on the synthetic classes
syn_max_epochs = 60
syn_reach = 100  # a peak is distinctive if no other class has one this close (2 × training shift)
syn_tolerances = [10, 50]  # "on a peak": within this many original points
syn_top_k = 5  # most relevant points scored per spectrum
seed = 0

# %% tags=["hide-input"]
import time

import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display
from myst_nb import glue

from lib import notebook, tables
from lib.ir import explain, fg, predict, weights
from lib.ir.explain import faithfulness, figures, rules
from lib.models import fga
from lib.paths import data_file
from lib.reference import R23_EXPLAIN
from lib.synthetic import benchmark_runs as br
from lib.synthetic import explain as es
from lib.synthetic import generator as synthetic

notebook.setup(seed)
torch.set_num_threads(threads)
GROUPS = list(fga.R23_GROUPS)
chapter_start = time.perf_counter()
for key in ("seeds", "top_k", "receptive_field_cm", "alkene_peak"):
    glue(f"r23_{key}", R23_EXPLAIN[key], display=False)
for key, value in {"zoom_lo": R23_EXPLAIN["zoom_region"][0], "zoom_hi": R23_EXPLAIN["zoom_region"][1],
                   "region_lo": R23_EXPLAIN["region"][0], "region_hi": R23_EXPLAIN["region"][1],
                   "latent_c": fga.FGANet().latent_shape[0], "latent_l": fga.FGANet().latent_shape[1]}.items():
    glue(f"r23_{key}", value, display=False)

# %% [markdown]
# ## Background
#
# The FGA net is four small convolutions and two poolings followed by **one** linear layer on a
# {glue:text}`r23_latent_c` × {glue:text}`r23_latent_l` latent matrix ({doc}`fg_training`). Each
# latent column sees only a short window of the spectrum (its receptive field,
# {glue:text}`r23_receptive_field_cm` cm⁻¹ in R23), and the linear layer gives every (channel,
# column) pair its own weight per group. R23 (§2.4) use this bottleneck for a two-step
# explanation: (1) for each channel, the input windows behind its {glue:text}`r23_top_k` strongest
# activations show *what* it detects (their Fig. 3); (2) the classifier weights, mapped back to
# the wavenumbers of the windows, show *where* each group's classifier looks (Figs. 4, 5). They
# conclude that their {glue:text}`r23_seeds` seeds agree on the important regions (Fig. 6), that
# most groups are read at their characteristic group frequencies, that the alkene classifier looks
# for an isolated peak near {glue:text}`r23_alkene_peak:.0f` cm⁻¹, and that the nitro and ketone
# classifiers also use weak anharmonic bands between {glue:text}`r23_region_lo:.0f` and
# {glue:text}`r23_region_hi:.0f` cm⁻¹ (Fig. 7).
#
# Two things R23 did not test. Whether such an explanation is *faithful*: removing the points it
# calls most relevant should change the prediction most (deletion and insertion curves). And
# whether it points at what *should* matter — unknowable on real spectra, but known on the
# synthetic spectra of {cite:t}`schuetzke2023`, where each class is a list of peaks we can look up.
#
# ## Method
#
# - **Models**: our FGA nets of {doc}`fg_training` (same data, same settings, hence the same cache
#   folder; `lib.ir.fg.ensure_ensemble` trains the seeds that are missing), and R23's
#   {glue:text}`r23_seeds` published models (`lib.models.fga.load_ensemble`).
# - **Spectra**: channel patterns are searched over all our simulated spectra and the real NIST
#   spectra of the `jcamp` package; explanations and faithfulness use *held-out* spectra: the
#   model's own test split plus the real spectra, on which none of our models was trained (R23's
#   models, trained on NIST's gas-phase spectra, may have seen them; theirs are scored on the real
#   spectra only).
# - **Steps 1 and 2** (`lib.ir.explain`): receptive fields from the layer arithmetic
#   (`lib.models.fga.receptive_field`, tested against brute-force perturbation); top activations
#   per channel and their windows; weights as groups × channels × positions; per group the
#   maximum over channels (R23 Fig. 6). **Agreement** between seeds: the mean pairwise Pearson
#   correlation of these per-group profiles, next to a *reference*: the correlation of a group's
#   profile with the *other* groups' profiles of the other seeds (what agreement looks like when
#   nothing group-specific is shared).
# - **Group frequencies**: textbook ranges (`lib.ir.explain.GROUP_FREQUENCIES`, from the
#   correlation tables of {cite:t}`silverstein2005`, ch. 2, {cite:t}`pavia2015`, ch. 2, and
#   {cite:t}`socrates2001`); per group the **share** of the (negatives clipped) mean profile's mass
#   in columns centred inside its ranges, against the share a flat profile would get (**chance**).
# - **Faithfulness**: relevance per input point by R23's activation × weight (each column's
#   contribution to the logit spread evenly over its window), Integrated Gradients (zero
#   baseline), Grad-CAM-1D (last convolution after its ReLU), occlusion (a window of one receptive
#   field, slid by its stride), a random ranking and the model-free `input` ranking (the spectrum's
#   own intensities, strongest first). **Deletion** sets the most relevant points to **0** first
#   (the value the grid holds outside a spectrum's measured range; spectra are not renormalised)
#   and records the group's probability; **insertion** starts from the all-zero spectrum and
#   restores the most relevant points first. Areas under both curves per group, over the
#   held-out spectra that carry the group: a small deletion area and a large insertion area are
#   better.
# - **Decisive peaks** (`lib.synthetic.explain`): R23's FGA net trained as a softmax classifier on
#   a few classes of the synthetic benchmark (fresh random variations each epoch); each test
#   spectrum's *centred* class logit is explained by every method, and we count how often the most
#   relevant points lie on the class's peaks — on its *distinctive* peaks (no other class has a peak
#   within `syn_reach` points) or on any of its own peaks — next to the same methods on an
#   *untrained* net (the model randomisation test of {cite:t}`adebayo2018`) and the `input` ranking.
# - **Verdicts** (`lib.ir.explain.rules`): every claim below that compares a number with a
#   threshold is a named, tested rule that returns the verdict and the sentence stating it.
#
# ## Results
#
# ### Data and models

# %%
start = time.perf_counter()
d = fg.chapter_data(
    data, data_dir, scales, fwhms, shards=shards, fraction=fraction,
    molecules_file=molecules_file, lines_file=lines_file,
)  # fmt: skip
sim, real, grid = d["simulated"], d["real"], d["real"].grid
seeds = [seed + i for i in range(n_seeds)]
folder = fg.ensure_ensemble(
    sim, seeds, models_dir, reweight=True, augment=augment, max_epochs=max_epochs
)  # fmt: skip
ours = fg.load_trained(folder, seeds)
r23 = fga.load_ensemble(weights.published_weights_dir(data_dir)) if published else None
model = ours[0]
rf = fga.receptive_field(model, model.input_len)
step = float(grid[1] - grid[0])
centres = explain.column_wavenumbers(model, grid)
test0 = fg.run_split(sim, ours.runs[0])["test"]

# %% tags=["remove-input"]
numbers = {"n_sim": len(sim), "scale": d["scale"], "fwhm": d["fwhm"], "n_real": len(real), "n_ours": len(ours),
           "trained_s": sum(r.get("seconds", 0.0) for r in ours.runs), "rf_points": rf.size, "rf_cm": rf.size * step,
           "stride_points": rf.stride, "stride_cm": rf.stride * step, "n_test0": len(test0),
           "data_s": time.perf_counter() - start}  # fmt: skip

# %% tags=["remove-input"]
for key, value in numbers.items():
    glue(key, float(value) if isinstance(value, float) else int(value), display=False)
glue("models_md", Markdown(f"seeds {rules.join(seeds)}, folder `{folder.name}`"), display=False)
glue("r23_md", Markdown(f"We also explain R23's {len(r23)} published models." if r23 is not None else
                        "R23's published models are left out here (`published = False`)."), display=False)  # fmt: skip

# %% [markdown]
# We use {glue:text}`n_sim` simulated spectra (scale {glue:text}`scale:.2f`, width
# {glue:text}`fwhm:.0f` cm⁻¹) and {glue:text}`n_real` real spectra, and {glue:text}`n_ours` of our
# models ({glue:md}`models_md`; {glue:text}`trained_s:.0f` s of training when they were made); the
# figures of single models show the first. {glue:md}`r23_md` One
# latent column sees {glue:text}`rf_points` input points ({glue:text}`rf_cm:.0f` cm⁻¹); columns
# are {glue:text}`stride_points` points ({glue:text}`stride_cm:.0f` cm⁻¹) apart. The held-out
# spectra of the first model are the {glue:text}`n_test0` spectra of its test split and the
# {glue:text}`n_real` real ones. Loading took {glue:text}`data_s:.0f` s.
#
# ### Step 1: patterns per channel (R23 Fig. 3)
#
# {numref}`fig-xai-patterns`, top row: the input windows behind the strongest activations of each channel of our
# first model, overlaid; below, randomly chosen single windows among them. The x axis is the position inside
# the window in cm⁻¹ (high to low, like every wavenumber axis here).

# %%
spectra = np.concatenate([sim.x, real.x]).astype(float)
latent = explain.latent_activations(model, spectra)
patterns = explain.channel_patterns(model, spectra, k=top_k, grid=grid, latent=latent)
notebook.glue_figure("fig_xai_patterns", figures.patterns_figure(patterns, model.latent_shape[0], n_examples, seed))

# %%
spread, dead = explain.pattern_spread(patterns, latent)

# %% tags=["remove-input"]
tables.glue_table("tab_xai_spread", spread, index=None, digits=2)
glue("spread_md", Markdown(rules.spread_rule(spread["iqr"], dead=dead).sentence), display=False)

# %% [markdown]
# ```{glue:figure} fig_xai_patterns
# :name: fig-xai-patterns
# Input windows behind the strongest activations of each latent channel (columns) of our first model, over the
# simulated and real spectra: overlaid in the top row, single windows drawn at random below (x: position inside
# the window, cm⁻¹).
# ```
#
# ````{table} Per channel of our first model: quantiles and IQR of its top windows' centres (cm⁻¹), peak position (0–1).
# :name: tab-xai-spread
# ```{glue:md} tab_xai_spread
# :format: myst
# ```
# ````
#
# Where the top windows lie ({numref}`tab-xai-spread`: cm⁻¹ of the window centre, with the interquartile range
# `iqr`) and where their maximum sits inside the window (median; 0 = low-wavenumber end, 1 = high end).
# {glue:md}`spread_md`
#
# ### Step 2: where the classifier looks (R23 Fig. 5)

# %%
title = f"Classifier weights of {ours.names[0]} (rows: {model.latent_shape[0]} channels; negatives clipped)"
weights_fig = figures.weights_figure(explain.weight_map(model, clip_negative=True), centres, GROUPS, title)
notebook.glue_figure("fig_xai_weights", weights_fig)

# %% [markdown]
# ```{glue:figure} fig_xai_weights
# :name: fig-xai-weights
# Classifier weights of our first model, one heat map per group: latent channels (rows) against the centre of
# each latent column (cm⁻¹); negative weights clipped to zero.
# ```
#
# ### The alkene zoom (R23 Fig. 4)
#
# R23 crop the alkene weights to {glue:text}`r23_zoom_lo:.0f`–{glue:text}`r23_zoom_hi:.0f` cm⁻¹
# and three channels and put the channels' patterns beside them. We take the channels with the
# largest alkene weights in that region and, for each, its strongest windows *inside* the region.
# `towards_target` is the share of a channel's top windows whose maximum lies on the side facing
# the C=C band ({numref}`tab-xai-zoom`).

# %%
fig, zoom_ch, zoom_patterns = explain.zoom_figure(
    model, spectra, zoom_group, tuple(zoom_region), zoom_channels, top_k, grid, latent
)  # fmt: skip
zoom = explain.zoom_summary(model, zoom_patterns, zoom_ch, zoom_group, zoom_target, grid)

# %% tags=["remove-input"]
tables.glue_table("tab_xai_zoom", zoom, index=None, digits=3)
orientation = rules.orientation_rule(zoom["towards_target"], zoom_target)
glue("orientation_md", Markdown(orientation.sentence), display=False)
notebook.glue_figure("fig_zoom", fig)
glue("zoom_caption", f"{zoom_group}: the strongest channels in {zoom_region[0]:.0f}–{zoom_region[1]:.0f} cm⁻¹",
     display=False)  # fmt: skip

# %% [markdown]
# ````{table} Per zoomed channel: largest alkene weight, weighted and median window centre (cm⁻¹), share facing C=C.
# :name: tab-xai-zoom
# ```{glue:md} tab_xai_zoom
# :format: myst
# ```
# ````
#
# ```{glue:figure} fig_zoom
# :name: fig-explain-zoom
# {glue:text}`zoom_caption` and their strongest windows inside that region.
# ```

# %% [markdown]
# {glue:md}`orientation_md` A share near 0.5 means no preferred orientation.
#
# ### Consistency across seeds (R23 Fig. 6)

# %% tags=["hide-input"]
sets = {"ours": ours} | ({"R23": r23} if r23 is not None else {})
profiles = {k: explain.seed_profiles(e) for k, e in sets.items()}
clipped = {k: np.clip(p, 0, None) for k, p in profiles.items()}
notebook.glue_figure("fig_xai_profiles", figures.profiles_figure(clipped, centres, ["methyl", "alkene"], GROUPS))
notebook.glue_figure("fig_xai_all_profiles", figures.all_profiles_figure(clipped, centres, GROUPS))

# %% tags=["remove-input"]
agreement = pd.DataFrame({f"{kind} {k}": (explain.seed_agreement if kind == "agreement" else
                                          explain.cross_group_agreement)(p)
                          for k, p in profiles.items() for kind in ("agreement", "reference")})  # fmt: skip
tables.glue_table("tab_xai_agreement", agreement, index=None, digits=2)
agree = rules.seed_agreement_rule(agreement["agreement ours"], agreement["reference ours"],
                                  agreement.get("agreement R23"))  # fmt: skip
glue("agree_md", Markdown(agree.sentence), display=False)

# %% [markdown]
# ```{glue:figure} fig_xai_profiles
# :name: fig-xai-profiles
# Methyl and alkene: the maximum classifier weight over channels (negatives clipped) at each latent column's
# centre (cm⁻¹), mean ± standard deviation over the models of each set (legend); orange: textbook ranges.
# ```
#
# ```{glue:figure} fig_xai_all_profiles
# :name: fig-xai-all-profiles
# Every group's mean profile (maximum weight over channels, negatives clipped, mean over the models) of each set
# of models, scaled to its maximum; orange: the group's textbook ranges.
# ```
#
# ````{table} Per group: mean pairwise Pearson correlation between the seeds' profiles, and the cross-group reference.
# :name: tab-xai-agreement
# ```{glue:md} tab_xai_agreement
# :format: myst
# ```
# ````
#
# {glue:md}`agree_md` A correlation of 1 would mean identical profiles up to scale ({numref}`tab-xai-agreement`;
# the profiles in {numref}`fig-xai-profiles` and {numref}`fig-xai-all-profiles`).
#
# ### Group frequencies
#
# The textbook ranges ({numref}`tab-xai-ranges`), then per group the share of weight mass inside them, chance,
# their ratio and the strongest column of the mean profile ({numref}`tab-xai-shares`).

# %% tags=["remove-input"]
tables.glue_table("tab_xai_ranges", explain.ranges_text(), index=None)
shares = {label: explain.share_table(prof, centres) for label, prof in clipped.items()}
share_frame = pd.concat(shares, axis=1)
share_digits = {f"{model} {column}": 0 if column.startswith("strongest column") else 2 for model, column in share_frame}
tables.glue_table("tab_xai_shares", share_frame, index=None, digits=share_digits)
textbook = rules.textbook_rule(shares["ours"], shares.get("R23"))
cn = {k: explain.band_position(v.x, v.y, "nitriles", (2000.0, 2700.0), grid) for k, v in (("sim", sim), ("real", real))}
band = rules.band_rule(shares["ours"].loc["nitriles", "strongest column (cm⁻¹)"], cn["sim"], cn["real"])
glue("textbook_md", Markdown(textbook.sentence), display=False)
glue("band_md", Markdown(band.sentence), display=False)

# %% [markdown]
# ````{table} Textbook frequency ranges of each group (cm⁻¹), against which the weight shares are measured.
# :name: tab-xai-ranges
# ```{glue:md} tab_xai_ranges
# :format: myst
# ```
# ````
#
# ````{table} Per group and set of models: weight share inside the textbook ranges, chance, ratio, strongest column.
# :name: tab-xai-shares
# :class: full-width
# ```{glue:md} tab_xai_shares
# :format: myst
# ```
# ````
#
# {glue:md}`textbook_md`
#
# Nitriles, a group R23 single out (one characteristic band, poorly classified):
# {glue:md}`band_md`
#
# ### R23's region of weak bands (Fig. 7)

# %% tags=["hide-input"]
notebook.glue_figure("fig_xai_region", figures.region_figure(sim.x, sim.y, grid, region_groups, tuple(region)))

# %% tags=["remove-input"]
region_table = pd.DataFrame([{"group": g, "spectra": name, **explain.region_study(v.x, v.y, g, grid, tuple(region))
                              .summary()} for g in region_groups for name, v in (("simulated", sim), ("real", real))])
tables.glue_table("tab_xai_region_spectra", region_table.set_index(["group", "spectra"]), index=None, digits=4)
level = {k: explain.region_level(v.x, grid, tuple(region)) for k, v in (("simulated", sim), ("real", real))}
weights_region = pd.concat({label: explain.region_share(prof, centres, tuple(region)).loc[region_groups]
                            for label, prof in clipped.items()}, axis=1)  # fmt: skip
tables.glue_table("tab_xai_region_weights", weights_region, index=None, digits=3)
region_finding = rules.region_rule(
    weights_region[("ours", "share")].to_dict(), float(weights_region[("ours", "chance")].iloc[0]), level,
    weights_region[("R23", "share")].to_dict() if r23 is not None else None, tuple(region))  # fmt: skip
glue("region_md", Markdown(region_finding.sentence), display=False)

# %% [markdown]
# ```{glue:figure} fig_xai_region
# :name: fig-xai-region
# Our simulated spectra inside R23's region of weak bands, per group (rows) without and with the group (columns;
# a subset of each drawn); dotted: the median.
# ```
#
# ````{table} Per group and set of spectra: spectra with and without the group, their median absorbance in the region.
# :name: tab-xai-region-spectra
# ```{glue:md} tab_xai_region_spectra
# :format: myst
# ```
# ````
#
# ````{table} Per group: share of weight mass in the region (mean and std over each set's models) and chance.
# :name: tab-xai-region-weights
# ```{glue:md} tab_xai_region_weights
# :format: myst
# ```
# ````
#
# Our simulated spectra in the region ({numref}`fig-xai-region`), the spectra with and without each group
# ({numref}`tab-xai-region-spectra`) and the share of each group's weight mass in the region
# ({numref}`tab-xai-region-weights`).
# {glue:md}`region_md`
#
# ### One spectrum, one group
#
# Activation × weight per latent column for one held-out spectrum: green columns pushed the
# group's logit up, red ones down; their sum plus the bias is the logit. {numref}`fig-xai-spectrum` shows the real
# spectrum carrying the group that the model is most sure of.

# %%
g = GROUPS.index(explain_group)
pool = np.flatnonzero(real.y[:, g] > 0.5)
pool = pool if len(pool) else np.arange(len(real))
prob = fga.predict_proba(model, real.x[pool])[:, g]
index = int(pool[np.argmax(prob)])
view = explain.Explorer(model, real.x, real.names, grid, group=explain_group, index=index)
notebook.glue_figure("fig_xai_spectrum", view.figure())
frame = explain.explain_spectrum(model, real.x[index], g, grid)

# %% tags=["remove-input"]
glue("one_md", Markdown(f"{real.names[index]} ({'carries' if real.y[index, g] > 0.5 else 'does not carry'} the "
                        f"{explain_group} group; p = {prob.max():.2f}): the three columns that push hardest are "
                        f"centred at {rules.join(f'{v:.0f}' for v in frame.nlargest(3, 'contribution')['wn_centre'])} "
                        "cm⁻¹"), display=False)  # fmt: skip
glue("one_pos", float(frame["positive"].sum()), display=False)
glue("one_neg", float(frame["negative"].sum()), display=False)

# %% [markdown]
# ```{glue:figure} fig_xai_spectrum
# :name: fig-xai-spectrum
# Activation × weight per latent column of our first model for the alkene group (bars, right axis; green: up, red:
# down) on the real spectrum carrying the group that the model is most sure of (line, scaled to a maximum of 1).
# ```
#
# {glue:md}`one_md`; positive contributions add up to {glue:text}`one_pos:+.2f`, negative ones to
# {glue:text}`one_neg:+.2f`.
#
# **Explorer.** Choose one of {glue:text}`n_explore` real spectra in the menu (chosen so that
# as many groups as possible are carried by at least one: {glue:text}`n_covered` of the
# {glue:text}`n_carried` groups that any real spectrum carries). The figure shows the spectrum,
# the model's probability for every group (dark: groups the molecule carries) and activation ×
# weight per column for its predicted groups (the most probable shown; click the others in the
# legend). Run interactively, the chapter adds a live explorer below it to choose any spectrum,
# group and channel.

# %%
picks = explain.pick_molecules(real.y, n_explore, seed)
# open on a representative correct prediction (lib.ir.explain.explorer_cases states the rule)
proba_picks = fga.predict_proba(model, real.x[picks])
opening, _ = explain.explorer_cases(proba_picks, real.y[picks])
picks = np.concatenate([[picks[opening]], np.delete(picks, opening)])
names_picks = [real.names[i] for i in picks]
fig = explain.static_explorer(model, real.x[picks], names_picks, real.y[picks], grid)

# %% tags=["remove-input"]
glue("explorer_note", explain.explorer_note(names_picks, fga.predict_proba(model, real.x[picks]), real.y[picks]),
     display=False)  # fmt: skip
glue("n_explore", len(picks), display=False)
glue("n_covered", int((real.y[picks] > 0.5).any(axis=0).sum()), display=False)
glue("n_carried", int((real.y > 0.5).any(axis=0).sum()), display=False)
glue("explorer_kb", len(fig.to_json()) / 1e3, display=False)
notebook.glue_figure("fig_explorer", fig)
if live_widgets and notebook.live_kernel():
    display(view.widget())

# %% [markdown]
# ```{glue:figure} fig_explorer
# :name: fig-explain-explorer
# The explorer: a spectrum chosen in the menu, its probability for every group (dark: groups the
# molecule carries) and activation × weight per latent column for its predicted groups.
# ```
#
# {glue:text}`explorer_note` The explorer ({numref}`fig-explain-explorer`) weighs
# {glue:text}`explorer_kb:.0f` kB in the page.
#
# ### Faithfulness: deletion and insertion
#
# Besides the random ranking, `input` ranks the points by the spectrum itself (strongest
# absorbance first): an explanation that does no better than that says nothing about the model.

# %%
start = time.perf_counter()
faith_methods = explain.METHODS + explain.BASELINES
entries = []
for name, m, run in list(zip(ours.names, ours, ours.runs, strict=True))[:n_faith_models]:
    part = fg.run_split(sim, run)["test"]
    x_all, y_all = np.concatenate([part.x, real.x]), np.concatenate([part.y, real.y])
    entries.append(("ours", name, m, x_all, y_all))
if faith_published and r23 is not None:
    entries.append(("R23", r23.names[0], r23[0], real.x, real.y))
faith = faithfulness.compare_models(
    entries, faith_methods, n_steps=faith_steps, max_spectra=max_faith_spectra,
    ig_steps=ig_steps, seed=seed,
)  # fmt: skip
summary = faithfulness.summarise(faith)

# %% tags=["remove-input"]
tables.glue_table("tab_xai_faithfulness", summary, index=None, digits=3)
mine = faith[faith["models"] == "ours"]
per_group = mine.groupby(["group", "method"])["difference"].mean().unstack()[list(faith_methods)]
faith_finding = rules.faithfulness_rule(summary.loc["ours"], resolution=numbers["rf_cm"])
for key, value in {"faith_pairs": int(mine.groupby(["model", "group"])["n"].first().sum()),
                   "faith_groups": mine["group"].nunique(), "faith_rank": faith_finding.values["rank"],
                   "faith_n": len(faith_methods), "faith_axw": faith_finding.values["difference"],
                   "beats_random": int((per_group["act_x_weight"] > per_group["random"]).sum()),
                   "beats_input": int((per_group["act_x_weight"] > per_group["input"]).sum()),
                   "faith_s": time.perf_counter() - start}.items():  # fmt: skip
    glue(key, value, display=False)
glue("faith_best_md", Markdown(f"**{summary.loc['ours', 'difference'].idxmax()}**"), display=False)
r23_diff = summary.loc["R23", "difference"] if "R23" in summary.index else None

# %% tags=["remove-input"]
glue("faith_r23_md", Markdown(
    f"On R23's first published model `{r23.names[0]}` (real spectra only) the differences are "
    + rules.join(f"{m} {v:.2f}" for m, v in r23_diff.items()) + "." if r23_diff is not None
    else "R23's models are not part of this comparison (`faith_published = False`)."), display=False)  # fmt: skip

# %% tags=["hide-input"]
notebook.glue_figure("fig_xai_curves", figures.curves_figure(mine, faith_methods))

# %% [markdown]
# ````{table} Mean area under the deletion and insertion curves, and insertion − deletion, per set of models and method.
# :name: tab-xai-faithfulness
# ```{glue:md} tab_xai_faithfulness
# :format: myst
# ```
# ````
#
# ```{glue:figure} fig_xai_curves
# :name: fig-xai-curves
# Mean deletion (left) and insertion (right) curves of each relevance method on our models: the group's
# probability against the fraction of input points set to 0 or restored, over groups, models and held-out spectra.
# ```
#
# Over {glue:text}`faith_pairs` spectrum–group pairs of our models ({glue:text}`faith_groups`
# groups, up to `max_faith_spectra` held-out spectra carrying the group per group and model;
# {numref}`tab-xai-faithfulness`, {numref}`fig-xai-curves`), the
# largest insertion − deletion area is that of {glue:md}`faith_best_md`; R23's activation × weight
# ranks {glue:text}`faith_rank` of {glue:text}`faith_n` (difference {glue:text}`faith_axw:.2f`).
# Per group, it beats the random ranking in {glue:text}`beats_random` and the input ranking in
# {glue:text}`beats_input` of {glue:text}`faith_groups` groups. {glue:md}`faith_r23_md` The
# comparison took {glue:text}`faith_s:.0f` s.
#
# ### Do the methods point at the decisive peaks? (synthetic spectra)
#
# Synthetic spectra are zero away from their peaks, so methods that compare with a zero input
# (Integrated Gradients, occlusion) can only ever mark *some* peak. Two references tell what a
# method knows about the model: the same methods on an **untrained** net of the same architecture
# (a model randomisation test) and the `input` ranking. The question that tests the model is
# whether the *distinctive* peaks are found.

# %%
start = time.perf_counter()
classes = synthetic.load_classes(data_file("synthetic_benchmark_classes.json", data_dir))
labels = br.choose_classes(len(classes), syn_classes, seed=seed)
study = br.Study(
    labels=tuple(labels), data_seed=seed, downsample=syn_downsample,
    n_train=syn_n_train, n_val=syn_n_val,
)  # fmt: skip
syn_data, syn_peaks = es.study_data(study, classes)
sub = br.subset_classes(classes, labels)
distinct = es.distinctive_peaks(sub, syn_reach)
n_in = syn_data["x_test"].shape[1]
windows = {
    tol: {"distinctive": es.peak_windows(syn_peaks["test"], distinct, tol, syn_downsample, n_in),
          "own": es.peak_windows(syn_peaks["test"], None, tol, syn_downsample, n_in)}
    for tol in syn_tolerances
}  # fmt: skip
runs = es.pointing_runs(
    study, classes, syn_data, windows, range(seed, seed + syn_seeds), syn_max_epochs,
    syn_top_k, ig_steps, seed,
)  # fmt: skip
tol_main = max(syn_tolerances)
prec = runs.precision(tol_main)
tables.glue_table("tab_xai_pointing", prec, index=None, digits=3)

# %% tags=["remove-input"]
for key, value in {"syn_n": len(labels), "syn_peaks": int(sub.n_peaks.sum()),
                   "syn_distinct": sum(int(m.sum()) for m in distinct), "syn_seeds": syn_seeds,
                   "syn_test": len(syn_data["x_test"]), "syn_points": n_in, "syn_tol": tol_main,
                   "syn_tol_min": min(syn_tolerances), "syn_k": syn_top_k, "syn_chance": runs.chance(tol_main),
                   "syn_s": time.perf_counter() - start}.items():  # fmt: skip
    glue(key, value, display=False)
glue("syn_acc_md", Markdown(rules.join(f"{a:.0%}" for a in runs.accuracy)), display=False)

# %% [markdown]
# ````{table} Top-k precision of each method (columns) on the synthetic test spectra, per net and peak set (rows).
# :name: tab-xai-pointing
# ```{glue:md} tab_xai_pointing
# :format: myst
# ```
# ````
#
# Top-{glue:text}`syn_k` precision within {glue:text}`syn_tol` original points of a peak ({numref}`tab-xai-pointing`;
# rows: model, peak set; chance on the distinctive peaks {glue:text}`syn_chance:.3f`).
# {glue:text}`syn_n` classes with {glue:text}`syn_peaks` peaks, {glue:text}`syn_distinct` of them
# distinctive; {glue:text}`syn_seeds` trained FGA net(s) with test accuracy
# {glue:md}`syn_acc_md`, on {glue:text}`syn_test` test spectra of {glue:text}`syn_points` points
# ({glue:text}`syn_s:.0f` s). Below ({numref}`fig-xai-relevance`), one test spectrum and each method's relevance
# for its class.

# %% tags=["hide-input"]
example = int(np.flatnonzero(syn_data["y_test"] == 0)[0])
relevance_fig = es.relevance_figure(runs.models[0], syn_data["x_test"][example], 0,
                                    syn_peaks["test"].positions[example], syn_peaks["test"].heights[example],
                                    distinct[0], syn_downsample, syn_top_k, ig_steps, seed)  # fmt: skip
notebook.glue_figure("fig_xai_relevance", relevance_fig)

# %% tags=["remove-input"]
tight = runs.precision(min(syn_tolerances)).loc[("trained", "distinctive")]
pointing = rules.pointing_rule(*(prec.loc[(m, p)] for p in ("own", "distinctive") for m in ("trained", "untrained")))
glue("tight_md", Markdown(rules.join(f"{m} {v:.2f}" for m, v in tight.sort_values(ascending=False).items())),
     display=False)  # fmt: skip

# %% [markdown]
# ```{glue:figure} fig_xai_relevance
# :name: fig-xai-relevance
# One synthetic test spectrum of the first chosen class (top; dotted: its peaks, green distinctive, red shared) and
# below it each method's relevance for the class's centred logit in the first trained net, scaled to a maximum of
# 1 (black: the top-{glue:text}`syn_k` points).
# ```
#
# With the tight tolerance of {glue:text}`syn_tol_min` points (about a peak's width) the trained
# net's distinctive-peak precision is {glue:md}`tight_md`.
#
# ### The shipped ensemble on measured spectra
#
# The simulation-trained ensemble that `python -m lib predict --model sim` uses
# (`lib/weights/fga`) learnt from simulated spectra only. Does it look at the textbook bands when
# it reads *measured* ones? Per group present in the real spectra: R23's activation × weight
# relevance summed over the spectra that carry the group and over the members (negatives clipped),
# and its share inside the group's textbook ranges, beside chance and R23's published models on the
# same spectra.

# %%
shipped_models = predict.load_model("sim").parts[0]
on_real = {"shipped": explain.measured_band_share(shipped_models, real.x, real.y, grid)}
if r23 is not None:
    on_real["R23 published"] = explain.measured_band_share(r23, real.x, real.y, grid)

# %% tags=["remove-input"]
tables.glue_table("tab_xai_measured", pd.concat(on_real, axis=1), index=None, digits=2)
glue("measured_share_text", explain.band_share_sentence(on_real), display=False)

# %% [markdown]
# ````{table} Per group on the real spectra: share of the relevance inside the textbook ranges, chance, ratio, spectra.
# :name: tab-xai-measured
# :class: full-width
# ```{glue:md} tab_xai_measured
# :format: myst
# ```
# ````
#
# On the real spectra ({numref}`tab-xai-measured`), share of the relevance inside the textbook ranges against
# chance (the share a flat profile would put there): {glue:text}`measured_share_text` A group near chance is not
# read from its characteristic bands more than from anywhere else in the spectrum.
#
# ## Discussion
#
# Each point below is a rule of `lib.ir.explain.rules` applied to the numbers above; the
# sentences state which way each came out.

# %% tags=["remove-input"]
glue("run_s", time.perf_counter() - chapter_start, display=False)
findings = [agree, textbook, band, orientation, region_finding, faith_finding, pointing]
glue("discussion_md", Markdown(rules.discussion(findings)), display=False)

# %% [markdown]
# ```{glue:md} discussion_md
# :format: myst
# ```
#
# This page ran in {glue:text}`run_s:.0f` s.
