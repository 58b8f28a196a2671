# %% [markdown]
# # Benchmark
#
# **Aim.** Train the eight published networks of {cite:t}`schuetzke2023` (S23) on the universal
# synthetic spectra with the S23 protocol, count the test and training spectra each gets wrong
# (S23 Fig. 2), follow their validation loss (Fig. 3), explain every confused class pair from the
# class definitions, and relate accuracy to parameters, multiply-adds and training time.

# %% tags=["parameters"]
data_dir = None  # folder with synthetic_benchmark_classes.json; None: the repository's data/
seed = 0  # seed of the random training and validation variations
results_dir = None  # folder of saved runs; None: _build/cache/synthetic_benchmark/<settings>
models = ["CNN2", "CNN6", "VGG"]  # published architectures trained (S23: all eight of lib.models.benchmark.MODELS)
ours = ["Lite"]  # our own architectures (lib.models.benchmark.OURS), trained beside the published ones
ours_augmented = ["Lite"]  # of `ours`: also trained with fresh random variations every epoch (label + "-aug")
seeds = [0]  # initialisation seeds per architecture (S23: 5)
n_classes = 8  # classes used: S23's example pairs first, then a fixed random choice (S23: 500)
downsample = 10  # average every k neighbouring points (1: S23's 5,000 points)
max_epochs = 120  # epoch cap (S23: 500, with early stopping after 25 stale epochs)
lr_factor = 0.5  # learning-rate factor on a plateau: 0.5 as S23's paper says; 0.1 as their released code does
device = "auto"  # "auto": a GPU when there is one, else the CPU
throughput_batch = 16  # batch size of the throughput measurement
throughput_len = 5000  # input length of the throughput measurement (S23: 5,000)
throughput_batches = 1  # timed batches per architecture
explorer_pairs = 12  # confused pairs in the pair explorer
live_widgets = True  # in a live kernel (JupyterLab) also an ipywidgets pair viewer; the presets switch it off
speed_file = None  # stored CPU speed measurement; None: book/synthetic/results/speed_cpu.json
full_dir = None  # shipped full-scale runs of the benchmark; None: book/synthetic/results/full
full_pairs = 15  # most confused class pairs listed for the full-scale runs

# %%
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import torch
import yaml
from IPython.display import Markdown, display
from myst_nb import glue
from plotly.subplots import make_subplots

from lib import book, notebook, reference, tables, train
from lib.models import benchmark
from lib.paths import REPO, cache_dir, data_file
from lib.synthetic import benchmark_runs as br
from lib.synthetic import explorers, full_scale, speed
from lib.synthetic import generator as synthetic

notebook.setup(seed)
chapter_start = time.perf_counter()

# %% [markdown]
# ## Background
#
# S23 re-implemented eight CNNs from the XRD and Raman literature (CNN2, CNN3, INC3, INC6,
# CNN6, VGG, CNN-BN, ResNet; their layers are in `lib.models.benchmark`) and trained each five
# times on 500 classes × 50 training spectra, validating on 10 per class and testing on the
# deterministic 9 per class made in the chapter *Universal synthetic spectra*. All networks get
# at least {glue:text}`s23_min_accuracy:.1%` right; the differences lie in a few dozen test
# spectra, and S23 trace every error to one of three causes: an overlooked minor peak,
# overlapping peak positions, or overlapping peak intensities.
#
# ## Method
#
# Every run uses the S23 protocol (`lib.train.S23`): Adam with rate 3·10⁻⁴, batches of 128,
# early stopping after 25 epochs without validation improvement with the best weights restored,
# and the learning rate multiplied by a factor after 10 such epochs; inputs divided by their
# maximum; for a given seed every model sees the same mini-batches. S23's text and released code
# disagree on that factor (below). `lib.synthetic.benchmark_runs.run_study` trains each
# model × seed, saves each run's history, wrong test and training spectra, accuracy, parameters,
# multiply-adds and time as one JSON file, skips runs already saved, and the chapter renders from
# those files; pointing `results_dir` at a folder made by the `paper` preset (e.g. on a GPU)
# renders it without training.

# %%
config = replace(train.S23, max_epochs=max_epochs, lr_factor=lr_factor)

# %% tags=["remove-input"]
follows = {train.S23.lr_factor: "S23's paper text", br.RELEASED_CODE_LR_FACTOR: "S23's released code"}
glue("lr_factor", config.lr_factor, display=False)
glue("lr_paper", train.S23.lr_factor, display=False)
glue("lr_code", br.RELEASED_CODE_LR_FACTOR, display=False)
glue("lr_follows", follows.get(config.lr_factor, "neither S23's paper text nor their released code"), display=False)

# %% [markdown]
# **Learning-rate factor.** S23's methods text lowers the rate "by a factor of
# {glue:text}`lr_paper`"; their released `training/benchmark.py` calls Keras'
# `ReduceLROnPlateau(patience=10)` without a factor, which means Keras' default of
# {glue:text}`lr_code`. The runs in this chapter multiply the rate by **{glue:text}`lr_factor`**,
# following **{glue:text}`lr_follows`** (parameter `lr_factor`).

# %%
classes = synthetic.load_classes(data_file("synthetic_benchmark_classes.json", data_dir))
hard = [c for pair in reference.S23_HARD_PAIRS.values() for c in pair]
shrunk = br.exception_classes(synthetic.BENCHMARK_RULES)
must = hard + [c for c in shrunk if c not in hard]
labels = br.choose_classes(len(classes), n_classes, must=must, seed=0)
study = br.Study(labels=tuple(labels), data_seed=seed, downsample=downsample)
data = study.dataset(classes)

# %% tags=["remove-input"]
tag = f"c{len(labels)}_d{downsample}_e{max_epochs}_s{seed}" + ("" if lr_factor == 0.5 else f"_lr{lr_factor}")
folder = cache_dir(f"synthetic_benchmark/{tag}") if results_dir is None else results_dir
input_len = data["x_train"].shape[-1]
full = len(labels) == len(classes) and downsample == 1 and max_epochs >= train.S23.max_epochs
paper = yaml.safe_load((book.PRESET_DIR / "paper.yml").read_text())["synthetic_benchmark"]
confusable = br.confusable_pairs(classes)
enrich = br.pair_enrichment(labels, confusable, len(classes))
glue("n_labels", len(labels), display=False)
glue("n_all_classes", len(classes), display=False)
glue("n_train", f"{len(data['x_train']):,}", display=False)
glue("n_val", f"{len(data['x_val']):,}", display=False)
glue("n_test", f"{len(data['x_test']):,}", display=False)
glue("input_len", f"{input_len:,}", display=False)
glue("downsample", downsample, display=False)
glue("models_run", ", ".join(models + ours), display=False)
glue("n_seeds", len(seeds), display=False)
glue("max_epochs", max_epochs, display=False)
glue("device", train.device_name(device), display=False)
glue("must", ", ".join(map(str, must)), display=False)
glue("pairs_subset", enrich["pairs_subset"], display=False)
glue("confusable_subset", enrich["confusable_subset"], display=False)
glue("share_subset", enrich["share_subset"], display=False)
glue("pairs_full", f"{enrich['pairs_full']:,}", display=False)
glue("confusable_full", enrich["confusable_full"], display=False)
glue("share_full", enrich["share_full"], display=False)
glue("enrichment", f"{enrich['enrichment']:,.0f}", display=False)
glue(
    "setting",
    "S23's full settings" if full else "a reduced setting; the differences to S23 are listed in the discussion",
    display=False,
)

# %% [markdown]
# This run: **{glue:text}`n_labels` of {glue:text}`n_all_classes` classes**
# ({glue:text}`n_train` training, {glue:text}`n_val` validation and {glue:text}`n_test` test
# spectra), inputs of **{glue:text}`input_len` points** (every {glue:text}`downsample` point(s)
# averaged), the networks {glue:text}`models_run` × **{glue:text}`n_seeds` seed(s)**, at most
# {glue:text}`max_epochs` epochs, on {glue:text}`device`: {glue:text}`setting`.
#
# **Which classes.** The classes are not a random sample: the list starts with S23's three
# example pairs and the other classes whose test variants the released data shrink
# ({glue:text}`must`), then adds a fixed random choice. Applying the cause rule of the section on
# confused pairs below to every pair of classes, {glue:text}`confusable_subset` of this run's
# {glue:text}`pairs_subset` class pairs are confusable ({glue:text}`share_subset:.1%`), against
# {glue:text}`confusable_full` of the {glue:text}`pairs_full` pairs of the full set
# ({glue:text}`share_full:.3%`): the subset is **{glue:text}`enrichment` times richer in hard
# pairs**. Its error counts are therefore not a scaled-down version of S23's, and the chapter draws
# no scaled comparison with them.

# %%
summary = br.run_study(
    folder, study, classes, models + ours, seeds,
    config=config, max_epochs=max_epochs, device=device,
)  # fmt: skip
aug_specs = [br.ModelSpec(f"{m}-aug", m) for m in ours_augmented]
if aug_specs:
    br.run_study(
        folder, study, classes, aug_specs, seeds,
        config=config, max_epochs=max_epochs, device=device, data=data,
        train_data=br.fresh_variations(study, classes),
    )  # fmt: skip

# %% tags=["remove-input"]
labels_run = models + ours + [s.label for s in aug_specs]
runs = [r for r in br.load_runs(folder) if r["model"] in labels_run and r["seed"] in seeds]
summary = br.summary(runs)
per_model = br.per_model(summary, labels_run)
glue("n_runs", len(runs), display=False)
glue("train_seconds", f"{summary['train_seconds'].sum():,.0f}", display=False)

# %% [markdown]
# {glue:text}`n_runs` runs are saved; training took {glue:text}`train_seconds` s in total.
#
# ## Results
#
# ### Misclassified test and training spectra (S23 Fig. 2)
#
# Each dot is one seed's number of wrong test spectra; the bars give the range of wrong training
# spectra. S23's numbers (mean over five seeds, of 4,500 test spectra) are in the table below
# for reference only: they count errors on another, larger set of classes.

# %% tags=["hide-input"]
fig = make_subplots(specs=[[{"secondary_y": True}]])
for m in per_model.index:
    rows = summary[summary["model"] == m]
    fig.add_trace(
        go.Scatter(
            x=[m] * len(rows), y=rows["test_errors"], mode="markers", marker={"color": "#1f77b4", "size": 9},
            name="test", showlegend=m == per_model.index[0],
        ),
        secondary_y=False,
    )  # fmt: skip
fig.add_trace(
    go.Scatter(
        x=per_model.index, y=per_model["train_mean"], mode="markers", marker={"symbol": "line-ew-open", "size": 24,
        "color": "#d62728"}, error_y={"type": "data", "symmetric": False,
        "array": per_model["train_max"] - per_model["train_mean"],
        "arrayminus": per_model["train_mean"] - per_model["train_min"]},
        name="training",
    ),
    secondary_y=True,
)  # fmt: skip
fig.update_yaxes(title_text=f"wrong test spectra (of {len(data['x_test']):,})", secondary_y=False)
fig.update_yaxes(title_text=f"wrong training spectra (of {len(data['x_train']):,})", secondary_y=True)
fig.update_layout(legend={"orientation": "h", "y": -0.15})
notebook.glue_figure("fig_errors", fig)

# %% [markdown]
# ```{glue:figure} fig_errors
# :name: fig-benchmark-errors
# Misclassified test and training spectra per network (mean over seeds; whiskers: the range).
# ```
#
# ````{table} Wrong test and training spectra per network in this reduced run, beside S23's test errors.
# :name: tab-benchmark-errors
# ```{glue:md} tab_bench_errors
# :format: myst
# ```
# ````

# %% tags=["remove-input"]
table = per_model[["test_mean", "test_min", "test_max", "train_mean", "accuracy", "epochs"]].copy()
table["S23 test errors (of 4,500)"] = [reference.S23_TEST_ERRORS.get(m, np.nan) for m in table.index]
ERROR_HEADERS = {"test_mean": "test errors (mean)", "test_min": "least", "test_max": "most",
                 "train_mean": "training errors (mean)", "accuracy": "test accuracy", "epochs": "epochs (mean)"}
ERROR_DIGITS = {"test errors (mean)": 1, "least": 0, "most": 0, "training errors (mean)": 1, "test accuracy": 3,
                "epochs (mean)": 0, "S23 test errors (of 4,500)": 1}
tables.glue_table("tab_bench_errors", table.rename(columns=ERROR_HEADERS), index=True, digits=ERROR_DIGITS)

ranked = per_model.sort_values("test_mean")
best, second = ranked.index[0], ranked.index[min(1, len(ranked) - 1)]
n_runs_each = int(per_model["runs"].min())
agreement = br.rank_agreement(per_model["test_mean"].to_dict(), reference.S23_TEST_ERRORS)
glue("best", best, display=False)
glue("best_errors", f"{per_model.loc[best, 'test_mean']:.1f}", display=False)
glue("second", second, display=False)
glue("second_errors", f"{per_model.loc[second, 'test_mean']:.1f}", display=False)
glue(
    "best_verdict",
    br.count_difference(
        per_model.loc[best, "test_mean"] * n_runs_each, per_model.loc[second, "test_mean"] * n_runs_each
    ),
    display=False,
)
glue("worst_accuracy", float(summary["test_accuracy"].min()), display=False)
glue("s23_min_accuracy", reference.S23_MIN_TEST_ACCURACY, display=False)
glue("our_order", ", ".join(ranked.index), display=False)
s23_order = sorted(agreement["models"], key=reference.S23_TEST_ERRORS.get)
glue("s23_order", ", ".join(s23_order) or "none of them", display=False)
glue(
    "tau",
    f"Kendall's τ = {agreement['tau']:+.2f} over {agreement['n']} models"
    if agreement["n"] >= 3
    else f"too few published models ({agreement['n']}) for a rank correlation",
    display=False,
)
glue("s23_cnn6", reference.S23_TEST_ERRORS["CNN6"], display=False)
glue("s23_cnn6_range", "–".join(map(str, reference.S23_CNN6_TEST_ERROR_RANGE)), display=False)
glue("s23_cnn6_train", "–".join(map(str, reference.S23_CNN6_TRAIN_ERROR_RANGE)), display=False)
glue("s23_train_size", f"{reference.S23_TRAIN_SIZE:,}", display=False)

# %% [markdown]
# Fewest wrong test spectra here ({numref}`tab-benchmark-errors`): **{glue:text}`best`**
# ({glue:text}`best_errors` on average of {glue:text}`n_test`); against the runner-up
# {glue:text}`second` ({glue:text}`second_errors`) the difference is **{glue:text}`best_verdict`**
# (`lib.synthetic.benchmark_runs.count_difference`: two error counts differ when their gap exceeds
# twice the square root of their sum, the spread of two Poisson counts). The lowest test accuracy of
# any run is {glue:text}`worst_accuracy:.1%` (S23: every model ≥ {glue:text}`s23_min_accuracy:.1%`).
# Our order from fewest to most errors: {glue:text}`our_order`; S23's order for the published ones:
# {glue:text}`s23_order` ({glue:text}`tau`). For scale: S23's CNN6 got {glue:text}`s23_cnn6` of
# 4,500 test spectra wrong on average (range {glue:text}`s23_cnn6_range`), and
# {glue:text}`s23_cnn6_train` of its {glue:text}`s23_train_size` training spectra, the most of any
# model, which S23 attribute to its dropout of 0.7.
#
# ### Validation loss during training (S23 Fig. 3)
#
# S23 show that the networks with batch normalisation (CNN-BN, ResNet) have a jumpy validation
# loss, while CNN2's decreases smoothly.

# %% tags=["hide-input"]
hist = br.histories(runs)
fig = px.line(
    hist, x="epoch", y="val_loss", color="model", line_dash="seed" if len(seeds) > 1 else None, log_y=True,
    labels={"val_loss": "validation loss (cross-entropy)"},
)  # fmt: skip
notebook.glue_figure("fig_val_loss", fig)

# %% [markdown]
# ```{glue:figure} fig_val_loss
# :name: fig-benchmark-val-loss
# Validation loss per epoch of every network and seed.
# ```

# %%
rises = br.loss_rise_share(hist)
capped = int((summary["epochs"] >= max_epochs).sum())

# %% tags=["remove-input"]
glue("rises", ", ".join(f"{m} {rises[m]:.0%}" for m in per_model.index if m in rises), display=False)
glue("epochs_run", ", ".join(f"{m} {per_model.loc[m, 'epochs']:.0f}" for m in per_model.index), display=False)
glue("capped", capped, display=False)

# %% [markdown]
# Share of epochs in which the validation loss went *up*, mean over seeds: {glue:text}`rises`.
# Epochs trained per run: {glue:text}`epochs_run`; {glue:text}`capped` of {glue:text}`n_runs`
# runs were stopped by the cap of {glue:text}`max_epochs` epochs rather than by early stopping.
#
# ### Confused class pairs and their causes
#
# Every test spectrum predicted as another class gives a pair (true, predicted); we pool them over
# models and seeds and attribute each pair with `lib.synthetic.benchmark_runs.pair_cause`, a rule
# on the class definitions and the training variation (shift $s$ = {glue:text}`var_shift`
# points, height change $h$ = {glue:text}`var_height`). Peaks of the two classes are matched one
# to one when they lie at most $2s$ apart; unmatched peaks no higher than {glue:text}`minor` with
# all matched heights within $2h$ make a **minor peak** pair; all peaks matched with heights equal
# within $h/2$: **overlapping positions**; heights differing by less than $2h$: **overlapping
# intensities**; anything else: **other**. The rule was written from S23's three example pairs;
# the test suite checks it on constructed pairs whose cause is known by design (an added peak just
# below, at and just above the minor limit; a peak moved just inside and just outside the matching
# distance; heights changed below, between and above the two height limits; unrelated classes) as
# well as on the example pairs. Applied to every pair of the {glue:text}`n_all_classes` classes it
# finds:

# %% tags=["remove-input"]
by_cause = confusable["cause"].value_counts().reindex(br.CAUSES[:3], fill_value=0)
tables.glue_table("tab_bench_causes", by_cause.rename("class pairs of the 500").to_frame(), index=True)
glue("rule_minor", int(by_cause["minor peak"]), display=False)
glue("s23_minor", reference.S23_MINOR_PEAK_PAIRS, display=False)
found = {(a, b): c for a, b, c in zip(confusable["a"], confusable["b"], confusable["cause"], strict=True)}
agree = [found.get(tuple(sorted(p))) == br.S23_CAUSE_NAMES[k] for k, p in reference.S23_HARD_PAIRS.items()]
glue("examples_found", sum(agree), display=False)
glue("n_examples", len(agree), display=False)
glue("var_shift", synthetic.Variation().shift, display=False)
glue("var_height", synthetic.Variation().height, display=False)
glue("minor", br.MINOR, display=False)

# %% [markdown]
# ````{table} Class pairs of all classes to which the cause rule gives each of S23's three causes.
# :name: tab-benchmark-causes
# ```{glue:md} tab_bench_causes
# :format: myst
# ```
# ````
#
# {glue:text}`examples_found` of S23's {glue:text}`n_examples` example pairs are among them with
# the cause S23 give, and the rule finds {glue:text}`rule_minor` minor-peak pairs in the full
# set, where S23 name {glue:text}`s23_minor` (their example among them). The pairs our networks
# confused ({numref}`tab-benchmark-pairs`):

# %%
pairs = br.attribute(br.confusions(runs, labels, data["y_test"]), classes)

# %% tags=["remove-input"]
wrong = br.wrong_predictions(runs, labels, data["y_test"])
tables.glue_table("tab_bench_pairs", pairs)
glue("n_confused", notebook.count(len(pairs), "class pair"), display=False)
glue("n_confused_errors", notebook.count(int(pairs["errors"].sum()) if len(pairs) else 0, "error"), display=False)
glue("confused_by_cause", full_scale.by_cause(pairs), display=False)

# %% [markdown]
# ````{table} Class pairs confused in this reduced run, pooled over networks and seeds, with their cause.
# :name: tab-benchmark-pairs
# :class: full-width
# ```{glue:md} tab_bench_pairs
# :format: myst
# ```
# ````
#
# {glue:text}`n_confused` were confused, with {glue:text}`n_confused_errors` in total. By cause:
# {glue:text}`confused_by_cause`.
#
# The explorer of {numref}`fig-benchmark-pairs` steps through the confused pairs (menu, most
# errors first): both classes' clean spectra where they differ, and the first test spectrum of the
# pair that a network got wrong, as the network saw it (down-sampled, divided by its maximum). Run interactively, the
# chapter adds a live viewer below it that reaches every confused pair and every wrong test
# spectrum of a pair.

# %% tags=["hide-input"]
if len(pairs):
    fig = explorers.pair_explorer(classes, pairs, wrong, data["x_test"], downsample, max_pairs=explorer_pairs)
    notebook.glue_figure("fig_bench_pairs", fig)
    if live_widgets and notebook.live_kernel():
        display(explorers.pair_browser(classes, pairs, wrong, data["x_test"], downsample))
else:
    glue("fig_bench_pairs", "No test spectrum was misclassified in this run.", display=False)

# %% [markdown]
# ```{glue:figure} fig_bench_pairs
# :name: fig-benchmark-pairs
# The confused class pairs of this run (choose one in the menu): both classes' clean spectra where
# they differ and the first test spectrum of the pair that a network got wrong.
# ```

# %% [markdown]
# ### Accuracy against cost
#
# {numref}`fig-benchmark-cost` sets the test errors against three costs. Parameters and
# multiply-adds per spectrum are those of the networks as trained here (input length and number of
# classes change the dense layers); the time is the measured training time of each run.

# %% tags=["remove-input"]
cost = summary.groupby("model", sort=False).agg(
    test_errors=("test_errors", "mean"), parameters=("parameters", "first"), macs=("macs", "first"),
    train_seconds=("train_seconds", "mean"),
).reset_index()  # fmt: skip
fig = make_subplots(
    rows=1, cols=3, shared_yaxes=True,
    subplot_titles=("parameters", "multiply-adds per spectrum", "training time (s)"),
)  # fmt: skip
# a model and its "-aug" twin share size and compute: one label above, the other below
where = ["bottom center" if m.endswith("-aug") else "top center" for m in cost["model"]]
for col, key in enumerate(("parameters", "macs", "train_seconds"), start=1):
    fig.add_trace(
        go.Scatter(x=cost[key], y=cost["test_errors"], mode="markers+text", text=cost["model"],
                   textposition=where, cliponaxis=False, showlegend=False),
        1, col,
    )  # fmt: skip
    lo, hi = float(cost[key].min()), float(cost[key].max())
    if lo > 0 and hi / lo > 10:  # a log axis only where the values span more than a decade
        pad = 0.08 * np.log10(hi / lo)
        fig.update_xaxes(type="log", range=[np.log10(lo) - pad, np.log10(hi) + pad], dtick=1, row=1, col=col)
    else:
        pad = 0.15 * (hi - lo) or 0.1 * hi or 1.0
        fig.update_xaxes(range=[lo - pad, hi + pad], row=1, col=col)
    fig.update_xaxes(tickformat="~s", row=1, col=col)  # 1k, 10M: round ticks, no 60.33
fig.update_yaxes(title_text="mean wrong test spectra", row=1, col=1)
fig.update_layout(margin={"l": 70, "r": 40})
notebook.glue_figure("fig_cost", fig)

# %% [markdown]
# ```{glue:figure} fig_cost
# :name: fig-benchmark-cost
# Test errors against model size, compute and training time (mean wrong test spectra per
# network).
# ```

# %% [markdown]
# ### Beyond the paper: a tenth of CNN6's compute
#
# S23's winner, CNN6, spends most of its multiply-adds in 64-filter convolutions with long kernels
# at (nearly) full resolution. Our bar: fewer test errors than CNN6 at no more than a tenth of
# its multiply-adds. `Lite` (`lib.models.benchmark.lite`) keeps CNN6's recipe — plain
# convolutions, a non-linear dense layer, heavy dropout, no batch norm — but narrows the early
# layers and shrinks the kernels as the resolution halves. `Lite-aug` is the same network trained
# on *fresh* random variations of the class definitions every epoch
# (`lib.synthetic.benchmark_runs.fresh_variations`) instead of one fixed training set.

# %% tags=["remove-input"]
full_macs = {r["model"]: r["macs"] for r in benchmark.model_table(["CNN6", *ours])}
ours_rows = [m for m in per_model.index if m.split("-aug")[0] in ours or m == "CNN6"]
beyond = per_model.loc[ours_rows, ["test_mean", "test_min", "test_max", "train_mean"]].copy()
beyond["multiply-adds (S23 input, 500 classes)"] = [full_macs[m.split("-aug")[0]] for m in beyond.index]
beyond["share of CNN6's"] = beyond["multiply-adds (S23 input, 500 classes)"] / full_macs["CNN6"]
tables.glue_table("tab_bench_lite", beyond.rename(columns=ERROR_HEADERS), index=True,
                  digits={**ERROR_DIGITS, "multiply-adds (S23 input, 500 classes)": 0, "share of CNN6's": 3})
has_cnn6 = "CNN6" in per_model.index
cnn6_total = per_model.loc["CNN6", "test_mean"] * n_runs_each if has_cnn6 else np.nan
verdicts = [
    f"{m} {per_model.loc[m, 'test_mean']:.1f} ("
    + br.count_difference(per_model.loc[m, "test_mean"] * n_runs_each, cnn6_total)
    + ")"
    for m in ours_rows
    if m != "CNN6"
]
glue(
    "lite_sentence",
    f"Mean wrong test spectra of {len(data['x_test']):,}, each compared with CNN6's "
    f"{per_model.loc['CNN6', 'test_mean']:.1f} by the count rule above: " + "; ".join(verdicts) + "."
    if has_cnn6
    else "CNN6 was not trained in this run (parameter models), so the bar cannot be checked here.",
    display=False,
)
glue("lite_macs_share", full_macs[ours[0]] / full_macs["CNN6"] if ours else np.nan, display=False)
glue("ours_first", ours[0] if ours else "none", display=False)

# %% [markdown]
# ````{table} Our networks against CNN6 in this reduced run: wrong spectra and multiply-adds.
# :name: tab-benchmark-lite
# ```{glue:md} tab_bench_lite
# :format: myst
# ```
# ````
#
# {glue:text}`lite_sentence` {glue:text}`ours_first` needs
# {glue:text}`lite_macs_share:.1%` of CNN6's multiply-adds at S23's input size.
#
# ### Throughput of every architecture on this machine
#
# Training (forward, backward, Adam step) and inference speed with 500 classes and random inputs
# of `throughput_len` points (S23: 5,000), measured with `lib.train.throughput`.

# %%
tp = br.throughput_table(
    benchmark.MODELS + ours, throughput_len, len(classes),
    throughput_batch, throughput_batches, device=device,
)  # fmt: skip

# %% tags=["remove-input"]
tp["epoch_s_full"] = reference.S23_TRAIN_SIZE / tp["train_spectra_per_s"]
tp_cols = ["model", "parameters", "macs", "train_spectra_per_s", "infer_spectra_per_s", "epoch_s_full"]
tables.glue_table("tab_bench_throughput", tp[tp_cols].rename(columns={
    "macs": "multiply-adds", "train_spectra_per_s": "training spectra/s", "infer_spectra_per_s": "inference spectra/s",
    "epoch_s_full": "s per epoch of S23's"}), digits=1)  # fmt: skip

paper_epoch_s = tp.set_index("model").loc[paper["models"], "epoch_s_full"]
least_epochs = train.S23.patience + 1  # early stopping cannot stop earlier
epochs_assumed = 100  # an assumption: S23 report no epoch counts
hours = {
    e: br.study_hours(paper_epoch_s, len(paper["seeds"]), e)
    for e in (least_epochs, epochs_assumed, paper["max_epochs"])
}
glue("tp_device", tp["device_name"].iloc[0], display=False)
glue("torch_version", torch.__version__, display=False)
glue("throughput_batch", throughput_batch, display=False)
glue("throughput_len", f"{throughput_len:,}", display=False)
glue(
    "tp_len_note",
    ""
    if throughput_len == classes.datapoints
    else f" (not S23's {classes.datapoints:,} points: the estimate is too low)",
    display=False,
)
glue("load_note", notebook.cpu_load_note(torch.get_num_threads()), display=False)
glue("epoch_fast", f"{tp['epoch_s_full'].min():,.0f}", display=False)
glue("epoch_fast_model", tp.loc[tp["epoch_s_full"].idxmin(), "model"], display=False)
glue("epoch_slow", f"{tp['epoch_s_full'].max():,.0f}", display=False)
glue("epoch_slow_model", tp.loc[tp["epoch_s_full"].idxmax(), "model"], display=False)
glue("paper_models", len(paper["models"]), display=False)
glue("paper_seeds", len(paper["seeds"]), display=False)
glue("least_epochs", least_epochs, display=False)
glue("epochs_assumed", epochs_assumed, display=False)
glue("paper_max_epochs", paper["max_epochs"], display=False)
glue("hours_least", f"{hours[least_epochs]:,.0f}", display=False)
glue("hours_assumed", f"{hours[epochs_assumed]:,.0f}", display=False)
glue("hours_most", f"{hours[paper['max_epochs']]:,.0f}", display=False)

# %% [markdown]
# ````{table} Training and inference throughput of every architecture on this machine.
# :name: tab-benchmark-throughput
# ```{glue:md} tab_bench_throughput
# :format: myst
# ```
# ````
#
# Measured on **{glue:text}`tp_device`** (torch {glue:text}`torch_version`, batch
# {glue:text}`throughput_batch`, {glue:text}`throughput_len` points{glue:text}`tp_len_note`;
# {glue:text}`load_note`). One epoch over S23's {glue:text}`s23_train_size` training spectra would
# take {glue:text}`epoch_fast` s ({glue:text}`epoch_fast_model`) to {glue:text}`epoch_slow` s
# ({glue:text}`epoch_slow_model`) here. The `paper` preset trains {glue:text}`paper_models`
# models × {glue:text}`paper_seeds` seeds; at these speeds that needs
# **{glue:text}`hours_assumed` hours** on this machine if every run takes
# {glue:text}`epochs_assumed` epochs (an assumption: S23 report no epoch counts), between
# {glue:text}`hours_least` hours ({glue:text}`least_epochs` epochs, the fewest early stopping
# allows) and {glue:text}`hours_most` hours (the cap of {glue:text}`paper_max_epochs`). It is
# meant for a GPU, and its results folder renders here without retraining.
#
# ### What the CPU achieves at S23's scale, and which speed-ups help
#
# The throughput above is a quick look. A longer measurement at S23's input
# ({glue:text}`sp_points` points, {glue:text}`sp_classes` classes), made once with
# `python -m lib.synthetic.speed` and stored with the book
# (`book/synthetic/results/speed_cpu.json`), times a few Adam steps per network and converts
# them to achieved GFLOP/s: the FLOPs of a training step are counted analytically from the
# layer shapes (forward pass twice the multiply-adds, backward pass twice that again), and the
# machine's peak is the best of a few large float32 matrix products at the same thread count.
# Each option is compared with PyTorch's default (eager, float32) at batch
# {glue:text}`sp_batch`, S23's batch size: two threads instead of one, bfloat16 autocast,
# PyTorch's own convolutions instead of oneDNN's (`no-mkldnn`), `torch.compile`, drawing
# fresh training spectra in a background thread, and bfloat16 with a caching memory allocator
# (tcmalloc) preloaded in place of the C library's. PyTorch's channels-last memory format exists
# only for 4-D tensors, so a 1-D network has no such switch.

# %%
speed_table = speed.read_table(speed.STORED if speed_file is None else speed_file)
effects = speed.option_effects(speed_table, train.S23.batch_size)

# %% tags=["remove-input"]
estimates = speed.estimate_frame(speed_table)
speed_rows = speed.rows_frame(speed_table)
eager_1 = speed_rows.query(f"option == 'eager' and threads == 1 and batch_size == {train.S23.batch_size}")
share = eager_1.set_index("model")["share_of_peak"]
by_option = speed.option_summary(effects)
epochs_est = min(e["epochs"] for e in speed_table["estimates"])
est_100 = estimates[f"hours at {epochs_est} epochs"].sort_values()
glue("sp_est_threads", speed.estimate_threads(speed_table), display=False)
glue("sp_points", f"{speed.INPUT_LEN:,}", display=False)
glue("sp_classes", speed.N_CLASSES, display=False)
glue("sp_batch", train.S23.batch_size, display=False)
glue("sp_epochs", epochs_est, display=False)
glue("sp_machine", speed.machine_words(speed_table), display=False)
glue("sp_torch", speed_table["torch"], display=False)
glue("sp_cores", speed_table["cpu_count"], display=False)
glue("sp_load", speed.load_words(speed_table), display=False)
kinds = speed_rows["peak_dtype"] if "peak_dtype" in speed_rows else pd.Series("float32", speed_rows.index)
for kind, name in (("float32", "sp_peak"), ("bfloat16", "sp_peak_bf16")):
    peaks = speed_rows.loc[kinds == kind, "peak_gflops"].dropna()
    glue(name, f"{peaks.min():.0f}–{peaks.max():.0f}" if len(peaks) else "not measured", display=False)
glue("sp_repeats", int(speed_table.get("repeats", 1)), display=False)
spread = speed_rows["train_spread"].max() if "train_spread" in speed_rows else float("nan")
glue("sp_spread", f"{spread:.1f}" if spread == spread else "an unmeasured factor", display=False)
glue("sp_share_lo", float(share.min()), display=False)
glue("sp_share_lo_model", share.idxmin(), display=False)
glue("sp_share_hi", float(share.max()), display=False)
glue("sp_share_hi_model", share.idxmax(), display=False)
for option in ("threads", "bf16", "bf16-tcmalloc", "no-mkldnn", "compile", "background"):
    glue(f"sp_{option.replace('-', '_')}", by_option.get(option, "not measured"), display=False)
compile_s = speed_rows.loc[speed_rows["option"] == "compile", "compile_s"].dropna() if "compile_s" in speed_rows else []
glue("sp_compile_text", f"{by_option['compile']} (after {float(compile_s.max()):.0f} s of compiling)"
     if "compile" in by_option and len(compile_s) else "not measured in this table", display=False)  # fmt: skip
gains = speed.allocator_gains(speed_table, train.S23.batch_size)
glue("sp_alloc_gain", f" ({gains} against bfloat16 alone)" if gains else "", display=False)
glue("sp_fast_model", est_100.index[0], display=False)
glue("sp_fast_hours", f"{est_100.iloc[0]:.0f}", display=False)
glue("sp_slow_model", est_100.index[-1], display=False)
glue("sp_slow_hours", f"{est_100.iloc[-1]:.0f}", display=False)
glue("sp_hours_list", ", ".join(f"{m} {h:.0f} h" for m, h in est_100.items()), display=False)

# %% tags=["remove-input"]
labels_sp = [f"{m}<br>{o}" for m, o in zip(effects["model"], effects["option"], strict=True)]
fig = go.Figure()
fig.add_trace(go.Bar(x=labels_sp, y=effects["before_gflops"], name="before (eager float32)", marker_color="#aaaaaa"))
fig.add_trace(go.Bar(x=labels_sp, y=effects["after_gflops"], name="with the option", marker_color="#1f77b4"))
fig.add_trace(
    go.Scatter(
        x=labels_sp, y=effects["peak_gflops"], mode="markers", name="peak (matrix product, same arithmetic)",
        marker={"symbol": "line-ew-open", "size": 28, "color": "black", "line": {"width": 2}},
    )
)  # fmt: skip
fig.update_layout(
    barmode="group",
    title=f"Achieved training GFLOP/s at batch {train.S23.batch_size} on {speed.machine_words(speed_table)}",
    yaxis={"title": "GFLOP/s"}, legend={"orientation": "h", "y": -0.25},
)  # fmt: skip
notebook.glue_figure("fig_speed", fig)

# %% [markdown]
# ```{glue:figure} fig_speed
# :name: fig-benchmark-speed
# Achieved training GFLOP/s per network before (eager float32, one thread) and with each
# speed-up option, against the machine's peak for the same arithmetic (S23's batch size).
# ```

# %% tags=["remove-input"]
tables.glue_table("tab_bench_options", effects.rename(
    columns={"before_spectra_per_s": "spectra/s before", "after_spectra_per_s": "spectra/s after",
             "before_gflops": "GFLOP/s before", "after_gflops": "GFLOP/s after", "peak_gflops": "peak GFLOP/s",
             "after_share_of_peak": "share of peak after", "use": "full-scale runner"}
), digits=2)  # fmt: skip
tables.glue_table("tab_bench_estimates", estimates.rename(columns={"epoch_minutes": "minutes per epoch"}),
                  index=True, digits=2)  # fmt: skip

# %% [markdown]
# ````{table} Each speed-up option against eager float32 on one thread, per network.
# :name: tab-benchmark-options
# :class: full-width
# ```{glue:md} tab_bench_options
# :format: myst
# ```
# ````
#
# ````{table} Estimated time per epoch and per full-scale run of each network on this CPU.
# :name: tab-benchmark-estimates
# ```{glue:md} tab_bench_estimates
# :format: myst
# ```
# ````

# %% [markdown]
# Measured on **{glue:text}`sp_machine`** ({glue:text}`sp_cores` cores, torch
# {glue:text}`sp_torch`), {glue:text}`sp_load`. Each row
# timed the machine's peak and the training alternately, {glue:text}`sp_repeats` times, and
# reports the medians (between rounds the training rate varied by up to a factor of
# {glue:text}`sp_spread`). The float32 peak was {glue:text}`sp_peak` GFLOP/s and the bfloat16
# peak {glue:text}`sp_peak_bf16` GFLOP/s; each row is set against the peak of its own arithmetic,
# so bfloat16 training against the bfloat16 peak. Eager float32 training on one thread reached between
# {glue:text}`sp_share_lo:.0%` ({glue:text}`sp_share_lo_model`) and
# {glue:text}`sp_share_hi:.0%` ({glue:text}`sp_share_hi_model`) of it. Speed-ups against that
# baseline ({numref}`fig-benchmark-speed`): two threads {glue:text}`sp_threads`; bfloat16
# {glue:text}`sp_bf16`; bfloat16 with tcmalloc {glue:text}`sp_bf16_tcmalloc`{glue:text}`sp_alloc_gain`
# (glibc hands the large buffers of every training step back to the system and faults them in
# again; a caching allocator keeps them); PyTorch's own
# convolutions {glue:text}`sp_no_mkldnn`; `torch.compile`
# {glue:text}`sp_compile_text`; fresh spectra drawn in a background thread
# {glue:text}`sp_background`. What was kept is in the last column of {numref}`tab-benchmark-options`: one thread and
# eager float32, S23's arithmetic, with bfloat16 as an opt-in (`--bf16`) of the full-scale
# runner because it changes the arithmetic. In eager float32 with {glue:text}`sp_est_threads`
# (the faster count measured), one full {glue:text}`sp_classes`-class run of {glue:text}`sp_epochs` epochs takes
# {glue:text}`sp_hours_list` ({glue:text}`sp_fast_model` {glue:text}`sp_fast_hours` h to
# {glue:text}`sp_slow_model` {glue:text}`sp_slow_hours` h): S23's full study does not fit a
# machine of {glue:text}`sp_cores` cores ({numref}`tab-benchmark-estimates`), which is why this chapter runs a
# reduced setting.
#
# ### Full scale
#
# Everything above is this page's **reduced rerun** ({glue:text}`n_labels` classes,
# {glue:text}`n_test` test spectra). The full-scale runner (`python -m lib synthetic full-scale
# --model NAME`, module `lib.synthetic.full_scale`) trains one network on S23's whole benchmark
# elsewhere, e.g. on a GPU: all {glue:text}`n_all_classes` classes at {glue:text}`fs_points`
# points, {glue:text}`s23_train_size` training, {glue:text}`fs_val` validation and
# {glue:text}`s23_test_size` test spectra, S23's protocol with at most
# {glue:text}`s23_max_epochs` epochs. Its result files ship with the book and keep every test
# prediction; the errors below are recounted from them. These are **full scale, shipped** runs:
# unlike the reduced ones, their error counts are of S23's own test set. Only a run that early
# stopping ended follows S23's protocol (every one of S23's runs ended so) and compares with S23's
# Fig. 2; a run ended by a time limit, with its best weights so far, stopped before it converged,
# is marked *time limit* in {numref}`tab-benchmark-full` and is no evidence for or against S23's numbers.
# {glue:text}`fs_where` Below
# the table and {numref}`fig-benchmark-full` (S23 Fig. 2: wrong test spectra per network and
# seed, S23's means beside them) come the most confused class pairs, pooled over
# all shipped runs, each with the cause the rule of the section on confused pairs gives and, for
# S23's three example pairs, the cause S23 name.

# %%
full_folder = full_scale.default_out("benchmark") if full_dir is None else Path(full_dir)
full_runs = full_scale.shipped_runs(full_folder)
full_runs = full_runs[full_runs["rules"] == "benchmark"]
full_table = full_scale.network_table(
    full_runs, reference.S23_TEST_ERRORS, published_seeds=reference.S23_TEST_ERRORS_PER_SEED
)

# %% tags=["remove-input"]
full_shown = full_folder.relative_to(REPO) if full_folder.is_relative_to(REPO) else full_folder
full_text = [full_scale.network_sentence(full_table, reference.S23_TEST_ERRORS, str(full_shown))]
glue("fs_points", f"{classes.datapoints:,}", display=False)
glue("fs_val", f"{full_scale.Run('Lite').n_val * len(classes):,}", display=False)
glue("s23_test_size", f"{reference.S23_TEST_SIZE:,}", display=False)
glue("s23_max_epochs", train.S23.max_epochs, display=False)
glue("fs_where", full_scale.where_sentence(full_runs) or "No full-scale run is shipped yet.", display=False)
if len(full_table):
    glue("fs_worst_accuracy", float(full_table["test_accuracy"].min()), display=False)
    full_text.append(full_scale.ending_note(full_runs, train.S23.patience, train.S23.max_epochs))
    full_text.append(full_scale.target_sentence(
        full_runs, reference.TARGET_BENCHMARK_ERRORS, reference.S23_TEST_ERRORS["CNN6"], "CNN6", errors=True
    ))  # fmt: skip
    tables.glue_table("tab_bench_full", full_table.drop(columns=["runs"]).rename(
        columns={"test_errors": "errors (mean)", "test_errors_sd": "sd", "per_seed": "errors per seed",
                 "s23_per_seed": "S23 per seed", "n_test": "test spectra", "test_accuracy": "accuracy",
                 "s23_test_errors": "S23 (mean)", "best_epoch": "best epoch", "hours": "hours per run"}
    ).assign(setting=full_scale.SHIPPED).set_index(["setting", "network"]),
        index=True, digits={"errors (mean)": 1, "sd": 1, "S23 (mean)": 1, "accuracy": 4, "hours per run": 2})

# %% [markdown]
# ````{table} The shipped full-scale runs per network beside S23's per-seed errors (S23 Fig. 2).
# :name: tab-benchmark-full
# :class: full-width
# ```{glue:md} tab_bench_full
# :format: myst
# ```
# ````

# %% tags=["remove-input"]
if len(full_table):
    seeds_x = [full_scale.network_label(r.model, r.fresh, r.bf16) for r in full_runs.itertuples()]
    s23_y = full_table["s23_test_errors"]
    s23_lo, s23_hi = np.array(
        [reference.S23_CNN6_TEST_ERROR_RANGE if n == "CNN6" else (y, y)
         for n, y in zip(full_table["network"], s23_y, strict=True)]
    ).T  # fmt: skip
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=seeds_x, y=full_runs["test_errors"], mode="markers", name="full scale (shipped), one per seed",
            marker={"color": "#1f77b4", "size": 9},
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=full_table["network"], y=full_table["test_errors"], mode="markers", name="full scale, mean",
            marker={"symbol": "line-ew-open", "size": 24, "color": "#1f77b4", "line": {"width": 2}},
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=full_table["network"], y=s23_y, mode="markers", name="S23 (published mean; range where given)",
            marker={"symbol": "diamond", "size": 10, "color": "#d62728"},
            error_y={"type": "data", "symmetric": False, "array": s23_hi - s23_y, "arrayminus": s23_y - s23_lo},
        )
    )  # fmt: skip
    fig.update_layout(
        title="Misclassified test spectra at full scale, ours against S23 (Fig. 2)",
        yaxis={"title": f"wrong test spectra (of {int(full_table['n_test'].iloc[0]):,})", "rangemode": "tozero"},
        xaxis={"categoryorder": "array", "categoryarray": full_table["network"].tolist()},
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    notebook.glue_figure("fig_full", fig)

# %% [markdown]
# ```{glue:figure} fig_full
# :name: fig-benchmark-full
# Misclassified test spectra at full scale (shipped runs): one dot per seed, the bar the mean,
# against S23's published mean (and CNN6's published range) from their Fig. 2.
# ```

# %% tags=["remove-input"]
if len(full_table):
    full_records = full_scale.load_records(full_folder, "benchmark")
    full_confused = full_scale.confused_pairs(full_records, classes, reference.S23_HARD_PAIRS)
    full_text.append(full_scale.confusion_sentence(full_confused, len(full_records), reference.S23_HARD_PAIRS))
    shown_pairs = full_confused.head(full_pairs)
    tables.glue_table(
        "tab_bench_full_pairs", shown_pairs.rename(columns={"models": "networks", "named": "S23's example of"})
    )
glue("full_sentence", Markdown(" ".join(full_text)), display=False)

# %% [markdown]
# ````{table} The most confused class pairs of the shipped full-scale runs, with their cause.
# :name: tab-benchmark-full-pairs
# :class: full-width
# ```{glue:md} tab_bench_full_pairs
# :format: myst
# ```
# ````
#
# {glue:md}`full_sentence`
#
# ## Discussion

# %% tags=["remove-input"]
notes = []
if len(labels) < len(classes):
    notes.append(
        f"{len(labels)} of {len(classes)} classes, {enrich['enrichment']:,.0f} times richer in confusable pairs than "
        "the full set"
    )
if downsample > 1:
    notes.append(f"inputs of {input_len:,} points, so peaks closer than {downsample} points share an input point")
if max_epochs < paper["max_epochs"]:
    notes.append(f"at most {max_epochs} epochs ({capped} of {len(runs)} runs reached the cap)")
if len(seeds) < len(paper["seeds"]):
    notes.append(f"{len(seeds)} seed(s) per network instead of {len(paper['seeds'])}")
glue("differences", "; ".join(notes) or "none: these are S23's settings", display=False)
glue(
    "full_discussion",
    Markdown(
        f"the shipped runs of *Full scale* give it for {', '.join(full_table['network'])}"
        if len(full_table)
        else "no full-scale run is shipped yet"
    ),
    display=False,
)
glue("chapter_seconds", f"{time.perf_counter() - chapter_start:,.0f}", display=False)

# %% [markdown]
# How this run differs from S23's study: {glue:text}`differences`. Within these limits the
# numbers above say what they say and no more: the order of the networks
# ({glue:text}`our_order`) against S23's ({glue:text}`tau`), whether the best network beats the
# runner-up by more than counting noise ({glue:text}`best_verdict`), and where the errors fall
# (confused pairs: {glue:text}`confused_by_cause`). The cause rule gives S23's cause for
# {glue:text}`examples_found` of their {glue:text}`n_examples` example pairs and finds
# {glue:text}`rule_minor` minor-peak pairs where S23 name {glue:text}`s23_minor`; it is a rule on
# the class definitions, so it says which pairs *can* be confused, not why a given network
# confused them. The full comparison with S23's Fig. 2 needs S23's scale
# ({glue:md}`full_discussion`); the `paper` preset trains all of it
# ({glue:text}`hours_assumed` CPU hours here by the estimate above). This chapter ran in
# {glue:text}`chapter_seconds` s.
