# %% [markdown]
# # Challenge set
#
# **Aim.** Train the benchmark networks on S23's 27-class challenge set, where classes come in
# triplets that differ only by a minor peak, a peak position or a peak height; compare linear
# with ReLU dense layers (S23 Fig. 7) and the modified networks (S23 Table 2), and draw how
# networks split a confusable pair over peak position × height (S23 Fig. 6).

# %% tags=["parameters"]
data_dir = None  # folder with synthetic_challenge_classes.json; None: the repository's data/
seed = 0  # seed of the random training and validation variations
results_dir = None  # folder of saved runs; None: _build/cache/challenge_set/<settings>
models = ["CNN2", "Lite"]  # each with both dense activations (S23: the eight of lib.models.benchmark.MODELS)
activations = ["linear", "relu"]  # dense-layer activations compared (S23 Fig. 7)
modified = ["VGG-noConvDO"]  # S23 Table 2 networks; their originals are trained as well (S23: all five)
seeds = [0]  # initialisation seeds (S23: 5)
n_train = 25  # training spectra per class (S23: 50)
n_val = 10  # validation spectra per class (S23: 10)
downsample = 25  # average every k neighbouring points (1: S23's 5,000 points)
max_epochs = 40  # epoch cap (S23: 500, early stopping after 25 stale epochs)
device = "auto"  # "auto": a GPU when there is one, else the CPU
augmented = ["Lite-relu"]  # run labels also trained with fresh random variations every epoch (label + "-aug")
map_models = ["CNN2-linear", "CNN2-relu", "Lite-relu"]  # run labels whose decision maps are drawn
map_pair = [18, 19]  # classes of the decision map (they differ in the height of their first peak)
map_points = 41  # grid points per axis of the decision maps
full_dir = None  # shipped full-scale runs of the challenge set; None: book/synthetic/results/full/challenge

# %%
import time
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from myst_nb import glue
from plotly.subplots import make_subplots

from lib import notebook, reference, train
from lib.paths import REPO, cache_dir, data_file
from lib.synthetic import benchmark_runs as br
from lib.synthetic import full_scale
from lib.synthetic import generator as synthetic
from lib.tables import glue_table

notebook.setup(seed)
chapter_start = time.perf_counter()

# %% [markdown]
# ## Background
#
# On the 500-class benchmark every network is right on ≥ {glue:text}`s23_min_accuracy:.1%` of the
# test spectra. S23 built a harder set of 27 classes in nine groups of three, each group isolating
# one of the three error causes: classes that differ only by a minor peak, only by the position of
# one peak, or only by the height of one peak. The models train on 50 randomly varied spectra per
# class (the 1.0 peak keeps its height) and are tested on 6 fixed variants per class (shift 30
# points, height change 0.03), chosen per class so that no variant crosses towards a sibling class
# (our restatement in `lib.synthetic.generator.CHALLENGE_RULES`). S23 find that ReLU between the
# dense layers beats a linear stack for every network, CNN6 reaching about
# {glue:text}`s23_cnn6:.0%`, and that removing batch normalisation or convolutional dropout helps.
#
# ## Method
#
# Same protocol and code as the chapter *Benchmark* (`lib.synthetic.benchmark_runs.run_study`, S23's
# training settings, one JSON file per run, finished runs skipped). A run label
# `MODEL-linear` / `MODEL-relu` is the published network with that dense activation (CNN6 is
# published with ReLU, the others with linear dense layers; ResNet has no dense layers, so its
# two variants are the same network). The modified networks are `lib.models.benchmark.MODIFIED`.

# %%
classes = synthetic.load_classes(data_file("synthetic_challenge_classes.json", data_dir))
labels = tuple(range(len(classes)))
study = br.Study(labels=labels, data_seed=seed, downsample=downsample, n_train=n_train,
                 n_val=n_val, rules="challenge")
data = study.dataset(classes)
input_len = data["x_train"].shape[-1]
# "_unit": training keeps the 1.0 peak fixed
tag = f"n{n_train}_d{downsample}_e{max_epochs}_s{seed}_unit"
folder = cache_dir(f"challenge_set/{tag}") if results_dir is None else results_dir
specs = [
    br.ModelSpec(f"{m}-{a}", m, {"dense_activation": a}) for m in models for a in activations
]

# %% tags=["remove-input"]
have = {s.label for s in specs}
originals = {label: m for label, m in br.originals_needed(modified).items() if label not in have}
specs += [br.ModelSpec(label, m, {"dense_activation": label.rsplit("-", 1)[1]}) for label, m in originals.items()]
specs += [br.ModelSpec(m, m) for m in modified]
triplets = pd.DataFrame(
    [br.pair_cause(classes, c, c + 1) for c in range(0, len(classes), 3)]
    + [br.pair_cause(classes, c + 1, c + 2) for c in range(0, len(classes), 3)]
).sort_values("a")
glue_table(
    "tab_triplets",
    triplets,
    headers={"a": "Class a", "b": "Class b", "cause": "Cause", "max_shift": "Largest shift (points)",
             "max_height_diff": "Largest height difference", "unmatched_heights": "Unmatched heights"},
    digits=3,
)  # fmt: skip
full = n_train == 50 and downsample == 1 and max_epochs >= train.S23.max_epochs and len(seeds) >= 5
glue("n_classes", len(classes), display=False)
glue("n_train_total", f"{len(data['x_train']):,}", display=False)
glue("n_val_total", f"{len(data['x_val']):,}", display=False)
glue("n_test", len(data["x_test"]), display=False)
glue("s23_test", reference.S23_CHALLENGE_TEST_SIZE, display=False)
glue("input_len", f"{input_len:,}", display=False)
glue("n_specs", len(specs), display=False)
glue("spec_labels", ", ".join(s.label for s in specs), display=False)
glue("originals_added", ", ".join(originals) or "none", display=False)
glue("n_seeds", len(seeds), display=False)
glue("max_epochs", max_epochs, display=False)
glue("n_train", n_train, display=False)
glue("downsample", downsample, display=False)
glue("triplet_causes", ", ".join(f"{c} {n}" for c, n in triplets["cause"].value_counts().items()), display=False)
glue(
    "setting",
    "S23's settings"
    if full
    else f"a reduced setting ({n_train} training spectra per class, every {downsample} points averaged, at most "
    f"{max_epochs} epochs, {len(seeds)} seed(s))",
    display=False,
)

# %% [markdown]
# {glue:text}`n_classes` classes, {glue:text}`n_train_total` training,
# {glue:text}`n_val_total` validation and {glue:text}`n_test` test spectra (S23:
# {glue:text}`s23_test`) of {glue:text}`input_len` points; {glue:text}`n_specs` networks
# ({glue:text}`spec_labels`) × {glue:text}`n_seeds` seed(s), at most {glue:text}`max_epochs`
# epochs: {glue:text}`setting`. Originals of the modified networks added so that each has its
# comparison: {glue:text}`originals_added`. {numref}`tab-challenge-triplets` lists what
# `lib.synthetic.benchmark_runs.pair_cause` makes of neighbouring classes in each triplet
# ({glue:text}`triplet_causes`).
#
# ````{table} Neighbouring classes of each challenge triplet and what tells them apart.
# :name: tab-challenge-triplets
# ```{glue:md} tab_triplets
# :format: myst
# ```
# ````

# %%
summary = br.run_study(
    folder, study, classes, specs, seeds, max_epochs=max_epochs, device=device,
    save_models=map_models,
)
spec_by_label = {s.label: s for s in specs}
aug_specs = [br.ModelSpec(f"{m}-aug", spec_by_label[m].name, spec_by_label[m].switches)
             for m in augmented]
if aug_specs:
    br.run_study(
        folder, study, classes, aug_specs, seeds, max_epochs=max_epochs, device=device,
        data=data, train_data=br.fresh_variations(study, classes),
    )
labels_run = {s.label for s in specs + aug_specs}
runs = [r for r in br.load_runs(folder)
        if r["model"] in labels_run and r["seed"] in seeds]
summary = br.summary(runs)
acc = summary.groupby("model")["test_accuracy"].agg(["median", "mean", "min", "max"])
# ReLU minus linear, for the networks trained with both
gain = br.activation_gain(acc["mean"], models)

# %% tags=["remove-input"]
glue("n_runs", len(runs), display=False)
glue("train_seconds", f"{summary['train_seconds'].sum():,.0f}", display=False)

# %% [markdown]
# {glue:text}`n_runs` runs are saved; training took {glue:text}`train_seconds` s in total.
#
# ## Results
#
# ### Linear against ReLU dense layers (S23 Fig. 7)
#
# {numref}`fig-challenge-activation` shows every network trained with both dense activations.

# %% tags=["remove-input"]
fig = go.Figure()
for a, color in zip(activations, ("#1f77b4", "#ff7f0e"), strict=False):
    names = list(gain)
    rows = acc.loc[[f"{m}-{a}" for m in names]]
    fig.add_trace(
        go.Bar(
            x=names, y=rows["mean"], name=a, marker_color=color,
            error_y={"type": "data", "symmetric": False, "array": rows["max"] - rows["mean"],
            "arrayminus": rows["mean"] - rows["min"]},
        )
    )  # fmt: skip
# line labels in the right margin, clear of the bars
fig.add_hline(y=reference.S23_CHALLENGE_CNN6_ACCURACY, line_dash="dash",
              annotation_text="S23: CNN6<br>(ReLU) ≈ 90 %", annotation_position="right")  # fmt: skip
fig.add_hline(y=1 / len(classes), line_dash="dot", annotation_text="chance", annotation_position="right")
fig.update_layout(
    barmode="group", yaxis={"title": "test accuracy", "range": [0, 1.02]}, margin={"r": 110},
    legend={"orientation": "h", "y": -0.12},
)  # fmt: skip
notebook.glue_figure("fig_activation", fig)

# %% [markdown]
# ```{glue:figure} fig_activation
# :name: fig-challenge-activation
# Challenge-set test accuracy with linear and with ReLU dense layers (mean over seeds; whiskers:
# the range).
# ```

# %% tags=["remove-input"]
glue(
    "gains",
    ", ".join(f"{m} {g:+.1%}" for m, g in gain.items()) or "no network was trained with both activations",
    display=False,
)
glue("relu_better", sum(g > 0 for g in gain.values()), display=False)
glue("n_gain", len(gain), display=False)
glue(
    "cnn6_relu",
    f"{acc.loc['CNN6-relu', 'mean']:.1%}" if "CNN6-relu" in acc.index else "not trained here",
    display=False,
)
glue("s23_cnn6", reference.S23_CHALLENGE_CNN6_ACCURACY, display=False)
glue("s23_min_accuracy", reference.S23_MIN_TEST_ACCURACY, display=False)

# %% [markdown]
# Mean accuracy with ReLU minus with linear dense layers: {glue:text}`gains`. ReLU is better for
# {glue:text}`relu_better` of {glue:text}`n_gain` networks (S23: for every one). CNN6 with ReLU:
# {glue:text}`cnn6_relu` (S23: ≈ {glue:text}`s23_cnn6:.0%`).
#
# ### Full scale beside the reduced rerun
#
# The runs above are reduced to fit the `default` preset's time budget. The full-scale runner
# (`python -m lib synthetic full-scale --dataset challenge --model NAME`, module
# `lib.synthetic.full_scale`) trains one network on the challenge set exactly as S23 did: all
# 5,000 points, 50 training and 10 validation spectra per class, at most 500 epochs with S23's
# early stopping. It checkpoints every epoch, so a run of hours survives interruptions, and its
# result files, which the book ships, keep every test prediction; the accuracy below is recounted
# from those predictions. Each row of {numref}`tab-challenge-compared` and
# {numref}`fig-challenge-compared` says where it comes from: full scale (shipped), reduced rerun
# (this page), or S23's published number.

# %%
full_folder = full_scale.default_out("challenge") if full_dir is None else Path(full_dir)
shipped = full_scale.shipped_runs(full_folder)
published = {"CNN6-relu": reference.S23_CHALLENGE_CNN6_ACCURACY}
compared = full_scale.comparison(
    shipped, summary, published, input_len, max_epochs,
    classes.datapoints, train.S23.max_epochs,
)

# %% tags=["remove-input"]
shown = full_folder.relative_to(REPO) if full_folder.is_relative_to(REPO) else full_folder
glue_table("tab_compared", compared, digits=3)
glue("shipped_sentence", full_scale.shipped_sentence(shipped, str(shown)), display=False)
glue_table("tab_runs", full_scale.runs_frame(shipped), headers={"network": "Network", "seed": "Seed",
           "right": "Test spectra right", "accuracy": "Accuracy (%)", "epochs": "Epochs (best)",
           "ended by": "Ended by", "time": "Time", "per epoch": "Per epoch", "machine": "Machine"},
           digits={"accuracy": 1, "seed": 0})  # fmt: skip
target = full_scale.target_sentence(
    shipped, reference.TARGET_CHALLENGE_ACCURACY, reference.S23_CHALLENGE_CNN6_ACCURACY, "CNN6"
)
glue("challenge_target", target, display=False)

# %% tags=["remove-input"]
fig = px.bar(
    compared, x="test_accuracy", y="network", color="setting", orientation="h", range_x=[0, 1.02],
    labels={"test_accuracy": "test accuracy"},
)  # fmt: skip
fig.update_layout(yaxis={"categoryorder": "array", "categoryarray": compared["network"].tolist()[::-1]})
notebook.glue_figure("fig_compared", fig)

# %% [markdown]
# ````{table} Challenge-set test accuracy of every network, full scale (shipped) and reduced (this page).
# :name: tab-challenge-compared
# ```{glue:md} tab_compared
# :format: myst
# ```
# ````
#
# ```{glue:figure} fig_compared
# :name: fig-challenge-compared
# Challenge-set test accuracy by where it comes from.
# ```
#
# {glue:text}`shipped_sentence` {numref}`tab-challenge-runs` lists each run: its arithmetic
# (*-bf16*: bfloat16 autocast), what ended it, and the machine and time it took.
#
# ````{table} The shipped full-scale runs on the challenge set, one row per network and seed.
# :name: tab-challenge-runs
# ```{glue:md} tab_runs
# :format: myst
# ```
# ````
#
# {glue:text}`challenge_target` The networks marked *-fresh* see newly drawn training spectra
# every epoch instead of one fixed set, which S23 did not do. A likely reason for the difference,
# not tested here: the challenge set's classes differ in one small feature, and with a fixed set of
# 50 spectra per class a network can fit the drawn variations rather than that feature.

# %% [markdown]
# ### Modified networks (S23 Table 2)
#
# Median test accuracy over seeds of each original network and its modification (S23 report
# medians; their table's numbers are not in our copy of the paper, only the conclusions: the
# versions without batch normalisation or convolutional dropout do better, CNN6 stays best).

# %%
table2 = br.modified_comparison(acc["median"], modified)

# %% tags=["remove-input"]
glue_table("tab_modified", table2, digits=3)
glue(
    "table2",
    "; ".join(f"{r.modified} {r.difference:+.1%} against {r.original}" for r in table2.itertuples())
    or "no modified network was trained with its original in this run",
    display=False,
)

# %% [markdown]
# ````{table} Median test accuracy of each modified network and its original.
# :name: tab-challenge-modified
# ```{glue:md} tab_modified
# :format: myst
# ```
# ````
#
# Median accuracy of each modified network minus its original's ({numref}`tab-challenge-modified`):
# {glue:text}`table2`.

# %% [markdown]
# ### Decision maps over peak position × height (S23 Fig. 6)
#
# S23 Fig. 6 shows, for a pair that differs only in one peak's height, which class three
# networks predict when that peak is moved and scaled over a grid, everything else fixed: a
# network that separates the pair by height draws a horizontal boundary. We do the same for the
# pair `map_pair` of the challenge set, moving its first peak (σ = 2, the other peak at the
# class's position) and marking the training range (±50 points, ±0.05 in height) of both classes
# ({numref}`fig-challenge-maps`).

# %% tags=["remove-input"]
a, b = map_pair
pa, ha = classes.peaks(a)
pb, hb = classes.peaks(b)
k = int(np.argmax(np.abs(ha - hb)) if len(pa) == len(pb) else 0)
positions = np.linspace(pa[k] - 80, pa[k] + 80, map_points).round().astype(int)
heights = np.linspace(0.0, max(ha[k], hb[k]) + 0.15, map_points)
available = [m for m in map_models if br.run_path(folder, m, seeds[0]).with_suffix(".pt").is_file()]
maps = {}
for m in available:
    net = br.load_model(folder, spec_by_label[m], seeds[0], input_len, len(classes))
    maps[m] = br.decision_map(net, pa, ha, k, positions, heights, classes.datapoints, downsample)
fig = make_subplots(
    rows=1, cols=max(len(maps), 1), subplot_titles=list(maps) or ["no saved model"], shared_yaxes=True
)
for col, grid in enumerate(maps.values(), start=1):
    z = np.where(grid == a, 0, np.where(grid == b, 1, 2))
    fig.add_trace(
        go.Heatmap(
            x=positions, y=heights, z=z, zmin=0, zmax=2, showscale=False,
            colorscale=[[0, "#2ca02c"], [0.5, "#9467bd"], [1, "#c7c7c7"]],
        ),
        1, col,
    )  # fmt: skip
    for h in (ha[k], hb[k]):
        fig.add_shape(
            type="rect", x0=pa[k] - 50, x1=pa[k] + 50, y0=h - 0.05, y1=h + 0.05, line={"color": "black", "dash": "dot"},
            row=1, col=col,
        )  # fmt: skip
    fig.update_xaxes(title_text="peak position", row=1, col=col)
fig.update_yaxes(title_text="peak height", row=1, col=1)
fig.update_layout(height=420)
notebook.glue_figure("fig_maps", fig)
glue("map_a", a, display=False)
glue("map_b", b, display=False)

# %% [markdown]
# ```{glue:figure} fig_maps
# :name: fig-challenge-maps
# Decision maps: the class predicted when one peak moves and changes height, {glue:text}`map_a`
# (green), {glue:text}`map_b` (purple) or any other (grey); dotted: the training ranges.
# ```

# %% tags=["remove-input"]
shares = {m: br.boundary_shares(grid, a, b) for m, grid in maps.items()}
glue(
    "map_shares",
    "; ".join(
        f"{m}: {v['pure_rows']:.0%} (class {a} {v['share_a']:.0%}, class {b} {v['share_b']:.0%} of the grid)"
        for m, v in shares.items()
    )
    or "no model weights were saved for the maps in this run",
    display=False,
)

# %% [markdown]
# Share of grid rows (fixed height) with one prediction over all positions — 100 % is a purely
# height-based boundary as S23 find for CNN6 (but also a map of one class everywhere); vertical
# stripes (position-based, S23's CNN2) lower it: {glue:text}`map_shares`.

# %% [markdown]
# ### Beyond the paper: fresh variations every epoch
#
# S23 train on one fixed set of 50 random variations per class. The generator can instead draw new
# variations every epoch (`lib.synthetic.benchmark_runs.fresh_variations`), so a network never sees the same
# training spectrum twice and cannot memorise individual training samples, the overfitting S23
# blame for position-based decision boundaries. Networks in `augmented` are trained this way with
# otherwise identical settings. `Lite` is our small network of the chapter *Benchmark*
# (`lib.models.benchmark.lite`).

# %% tags=["remove-input"]
aug = pd.DataFrame(
    [
        {"network": m, "fixed training set": acc["mean"][m], "fresh variations": acc["mean"][f"{m}-aug"]}
        for m in augmented
        if m in acc.index and f"{m}-aug" in acc.index
    ],
    columns=["network", "fixed training set", "fresh variations"],
)
aug["difference"] = aug["fresh variations"] - aug["fixed training set"]
glue_table("tab_fresh", aug, digits=3)
bar, top = 0.95, acc["mean"].idxmax()  # bar: our target for the challenge set
glue(
    "aug_diff",
    ", ".join(f"{r.network} {r.difference:+.1%}" for r in aug.itertuples())
    or "no network was trained with fresh variations in this run (parameter augmented)",
    display=False,
)
glue("bar", bar, display=False)
glue("top", top, display=False)
glue("top_acc", float(acc.loc[top, "mean"]), display=False)
glue("bar_met", "meets it" if acc.loc[top, "mean"] >= bar else "does not meet it", display=False)

# %% [markdown]
# ````{table} Mean test accuracy with one fixed training set and with fresh variations every epoch.
# :name: tab-challenge-fresh
# ```{glue:md} tab_fresh
# :format: myst
# ```
# ````
#
# Mean test accuracy with fresh variations minus with the fixed set
# ({numref}`tab-challenge-fresh`): {glue:text}`aug_diff`. Our
# bar for the challenge set is ≥ {glue:text}`bar:.0%` (S23's CNN6: ≈ {glue:text}`s23_cnn6:.0%`);
# the best run of the reduced setting above, {glue:text}`top`, reaches
# {glue:text}`top_acc:.1%` and {glue:text}`bar_met` in this setting. A reduced run does not decide
# whether the bar is met: that is the full-scale section's question, judged on its shipped runs.
#
# %% [markdown]
# ## Discussion

# %% tags=["remove-input"]
capped = int((summary["epochs"] >= max_epochs).sum())
glue("capped", capped, display=False)
glue("device", train.device_name(device), display=False)
glue("chapter_seconds", f"{time.perf_counter() - chapter_start:,.0f}", display=False)

# %% [markdown]
# This run is {glue:text}`setting`. {glue:text}`capped` of {glue:text}`n_runs` runs were stopped
# by the cap of {glue:text}`max_epochs` epochs rather than by early stopping. What the run shows
# are comparisons between variants trained the same way: ReLU against linear dense layers
# ({glue:text}`gains`), the modified networks against their originals ({glue:text}`table2`) and
# fresh variations against a fixed training set ({glue:text}`aug_diff`); with
# {glue:text}`n_seeds` seed(s) and undertrained networks these differences are not significant
# tests of S23's claims, which need the `paper` preset (S23's settings, on a GPU) or full-scale runs
# of every network (`--dataset challenge` above). This chapter
# ran in {glue:text}`chapter_seconds` s on {glue:text}`device`.
