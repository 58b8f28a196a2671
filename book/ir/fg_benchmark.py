# %% [markdown]
# # Benchmarking functional groups
#
# **Aim.** Score our FGA nets the way {cite}`rieger2023` (R23) score theirs (Table 1 per group,
# Table 2 per molecule), test the models `python -m lib predict` offers — our simulation-trained
# ensemble, R23's ten published nets and their mean — on 64 measured spectra that no model of ours
# was trained on, and measure how fast one seed trains and how fast the net predicts. The recipe of
# our shipped ensemble was chosen while looking at these spectra; from now on recipes are chosen on
# simulated data only and scored here once, under the protocol in `book/ir/PROTOCOL.md`.

# %% tags=["parameters"]
data_dir = None  # folder of the data files (and r23_weights/); None: the repository's data/, weights downloaded
data = "nist"  # "nist" (simulated NIST index), "curated" (our set), or a data set path of `python -m lib ingest`
labels_file = None  # with a data set path: the CSV of `python -m lib label` (ID + one column per group)
shards = "data/nist_xtb"  # GFN2-xTB line spectra of the NIST index (shards), beside this chapter
fraction = 1.0  # share of every part of the NIST index used
molecules_file = "molecules.csv"  # with data "curated": our curated molecule set, beside this chapter
lines_file = "data/xtb_lines.json.gz"  # with data "curated": GFN2-xTB line spectra of that set
scales = [0.96, 0.97, 0.98]  # broadening settings tried (as in the chapter "Training the CNN")
fwhms = [45.0, 60.0, 90.0]
n_seeds = 3  # seeds (R23: 10)
split_seed = 42  # curated set: one split for every seed (R23's code); None: each seed its own split
augment = 0  # perturbed training spectra per epoch (see "Training the CNN")
max_epochs = 500
threads = 1  # PyTorch CPU threads for training
models_dir = None  # root folder of trained models; None: _build/cache/fg_models
bench_spectra = 8000  # spectra of the training-time benchmark
bench_max_epochs = 500  # cap on its epochs
infer_spectra = 10000  # spectra per inference timing
infer_threads = [1, 2]  # thread counts timed for inference
infer_batches = [128, 256, 1024]  # batch sizes timed for inference
ablation_file = "results/transfer_ablation.json"  # table of `python -m lib transfer-ablation` (not retrained here)
size_file = "results/transfer_data_size.json"  # the shipped recipe trained on another number of molecules
typed_shards = "data/nist_xtb_modes"  # the index re-simulated with mode types (the protocol's candidates train on it)
dft_dir = "data/dft_modes"  # the B3LYP/6-31G* reference of the per-type intensities (chapter Simulated spectra)
dft_molecules_file = "data/dft_molecules.csv"  # the reference's molecules
selection_file = "results/recipe_selection.json"  # table of `python -m lib recipe-select` (not retrained here)
scores_log = "results/measured_scores.json"  # the protocol's log of measured scores, one per fixed recipe
view_scales = [1.0, 0.98]  # R23's models on our simulations: frequency scales shown (a view, nothing is chosen)
view_fwhms = [15.0, 30.0, 60.0, 90.0]  # and band widths (cm⁻¹)
n_boot = 10000  # bootstrap resamples (by molecular skeleton) of the measured-spectra CIs
seed = 0

# %%
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import torch
from IPython.display import Markdown
from myst_nb import glue

from lib import metrics, notebook, reference, tables
from lib.ir import fg, predict, protocol, selection, sentences, simulate, transfer, transfer_ablation, weights
from lib.ir.datasets import connectivity
from lib.ir.mode_physics import measured_inchikeys
from lib.models import fga
from lib.paths import data_file

notebook.setup(seed)
torch.set_num_threads(threads)
seeds = [seed + i for i in range(n_seeds)]

# %% [markdown]
# ## Background
#
# R23 report, over ten seeds, each group's F1, ROC-AUC, accuracy, precision and recall on the
# test split (Table 1) and, per molecule, the share of molecules with every group right
# ("perfection") and the mean per-molecule F1 (Table 2), next to {cite}`fine2020`. Three details
# of their released code shape how these numbers can be compared:
#
# - **Thresholds.** The evaluation does not cut the probabilities at 0.5: for every group it picks
#   the threshold that maximises F1 on the model's *training* predictions (`get_best_thresholds`,
#   reproduced as `lib.metrics.best_f1_thresholds`) and predicts `probability > threshold` on the
#   test set. We show both.
# - **Printing.** Table 1 prints each mean truncated to two decimals (`str(mean)[:4]`), so a
#   printed 0.93 is a mean in [0.93, 0.94); we compare with these intervals (`lib.reference`).
# - **One split.** All ten models share one split (seed {glue:text}`r23_split_seed:d`); the
#   standard deviations are over initialisations and batch orders only.

# %% tags=["remove-input"]
glue("r23_split_seed", reference.R23_SPLIT_SEED, display=False)

# %% [markdown]
# ## Method
#
# - **Data** (`data` parameter): by default the simulated spectra of the chapter *Training the
#   CNN*: the NIST gas-phase index, R23's molecules in R23's split (broadening fitted on half 1 of
#   the real spectra; no molecule sharing a skeleton with a real spectrum). Alternatively our
#   curated set (`"curated"`) or a scraped NIST data set (`python -m lib nist fetch`,
#   `ingest --dataset`, `label`) joined on the compound ID.
# - **Models**: the same folder as *Training the CNN* (`lib.ir.fg.ensure_ensemble`, same data and
#   settings → same hash); seeds that are missing are trained here, so this chapter runs alone.
#   Like R23, every seed uses the same split (parameter `split_seed`).
# - **Tables 1 and 2**: each model on the test split (`lib.ir.fg.evaluate_seeds`), mean ± standard
#   deviation over seeds (`lib.metrics.mean_std`), beside R23's numbers (`lib.reference`). A
#   group's proportion is its share of the whole labelled set, as in R23's Table 1.
# - **Real spectra**: the NIST gas-phase spectra shipped with the `jcamp` package
#   (`lib.ir.datasets.real_jcamp`: units converted, R23's grid, labels from their structures),
#   divided into two halves by molecular skeleton. The broadening of our training spectra is fitted
#   on one half and the models are scored on the other, both ways round; the two held-out halves
#   together score every real spectrum once with models that never saw it, not even through the
#   broadening. Scoring each half with the models whose broadening was fitted on it shows what the
#   fitting would have gained. R23's ten published models are scored on the same spectra; all at
#   0.5.
# - **From simulations to measurements**: `python -m lib transfer-ablation` (`lib.ir.transfer_ablation`)
#   trains a small ensemble per cumulative step on the simulated NIST index (`lib.ir.linesets.nist_lines`:
#   R23's split of the index, no molecule sharing a skeleton with a real spectrum) and scores it on the
#   simulated validation part and on the real spectra; scale factors and band shape and width are fitted
#   on one half of the real spectra and scored on the other, as above; noise, baseline, randomisation,
#   atmospheric bands, offsets and water vapour are set on physical grounds (`lib.ir.transfer`). This
#   chapter only reads the committed table (`ablation_file`).
# - **Speed**: `lib.ir.fg.time_early_stop` trains one seed with the R23 protocol on `bench_spectra`
#   spectra made by resampling our simulated spectra with small random perturbations
#   (`lib.ir.fg.resample`: intensity ×0.9–1.1, shift ≤ 2 points, 1 % noise) — a stand-in for a data
#   set of R23's size, not new information; `lib.ir.fg.inference_throughput` times prediction.
#
# ## Results
#
# ### Data and models

# %%
train_args = dict(augment=augment, max_epochs=max_epochs, split_seed=split_seed)
if data in fg.DATA_KINDS:
    d = [fg.chapter_data(
        data, data_dir, scales, fwhms, fit_half=0, shards=shards, fraction=fraction,
        molecules_file=molecules_file, lines_file=lines_file,
    )]  # fmt: skip
    d.append(fg.refit(d[0], 1))
    dataset, real = d[0]["simulated"], d[0]["real"]
    folders = [fg.ensure_ensemble(x["simulated"], seeds, models_dir, **train_args) for x in d]
    crossed = [fg.load_trained(f, seeds) for f in folders]
    ours = crossed[0]
    about = sentences.simulated_training_data(
        len(dataset), d[0]["scale"], d[0]["fwhm"], d[0]["excluded"],
        "NIST gas-phase index" if data == "nist" else "curated set",
    )  # fmt: skip
else:
    from lib.ir import datasets

    dataset = fg.labelled_dataset(data, labels_file)
    real, _ = datasets.real_jcamp(data_dir=data_dir)
    ours = fg.load_trained(fg.ensure_ensemble(dataset, seeds, models_dir, **train_args), seeds)
    about = sentences.nist_training_data(data, len(dataset))
published = fga.load_ensemble(weights.published_weights_dir(data_dir))

# %% tags=["remove-input"]
glue("about", about, display=False)
glue("n_ours", len(ours), display=False)
glue("seed_list", ", ".join(map(str, seeds)), display=False)
glue("n_published", len(published), display=False)

# %% [markdown]
# Data: {glue:text}`about`. {glue:text}`n_ours:d` of our models (seeds {glue:text}`seed_list`),
# {glue:text}`n_published:d` published R23 models. The models trained in this chapter are not the
# shipped ensemble and do not use its recipe: they reproduce R23's Tables 1 and 2 on simulated test
# spectra, so they learn from the plain broadened simulations of *Training the CNN* (Lorentzian
# bands of one width, no noise, no randomisation). The shipped recipe ({glue:md}`ship_recipe`)
# is made for measured spectra and would not fit this chapter's time budget; it is scored in the
# next section. The chapter's own models meet measured spectra further below, where they score far
# lower.

# %% [markdown]
# ### Measured spectra: the models `predict` offers
#
# `python -m lib predict` answers with one of three models: **sim**, the ensemble shipped in
# `lib/weights/fga` (trained on simulated spectra only, by {glue:text}`ship_trained_by`); **R23**,
# the authors' ten published nets (trained on measured NIST spectra); and **both**, the mean of the
# two ensembles' probabilities. All three are scored here ({numref}`tab-fgb-measured`) on the
# {glue:text}`n_real_all:d` measured gas-phase spectra of the `jcamp` package
# ({glue:text}`n_skeletons:d` molecular skeletons) at threshold 0.5. Every interval is a bootstrap
# 95 % CI that resamples skeletons ({glue:text}`n_boot:,d` resamples, `lib.ir.protocol`); every
# difference is paired against R23 on the same resamples, and marked * where its CI excludes zero.

# %% tags=["remove-input"]
shipped_models = fga.load_ensemble(predict.SHIPPED_MODELS)
prob_sim, prob_r23 = fga.predict_proba(shipped_models, real.x), fga.predict_proba(published, real.x)
answers = {"sim": prob_sim, "R23": prob_r23, "both": (prob_sim + prob_r23) / 2}
skeletons = [connectivity(k) for k in real.inchikeys]
measured = protocol.measured_report(real.y, answers, skeletons, real.groups, reference="R23", n=n_boot, seed=seed)
in_r23 = protocol.r23_parts(real.inchikeys, data_file("nist_gas_ir_index.csv", data_dir))
n_r23_train = len({b for b, part in zip(skeletons, in_r23, strict=True) if part == "train"})
ship_info = transfer_ablation.shipped_info()
status = {
    **sentences.shipped_status(ship_info),
    "R23": f"trained on measured NIST spectra; {n_r23_train} of these {len(set(skeletons))} skeletons in their "
    "training part",
}
shown = protocol.report_table(measured)
shown.insert(0, "status", pd.Series(status))
tables.glue_table("tab_fgb_measured", shown, index=None)
value = measured.set_index(["model", "statistic"])
for model, short in (("sim", "sim"), ("R23", "r23"), ("both", "both")):
    for stat in ("micro_f1", "exact_match", "polar_found"):
        row = value.loc[(model, stat)]
        glue(f"m_{short}_{stat}", f"{row['value']:.2f} [{row['lo']:.2f}, {row['hi']:.2f}]", display=False)
        if model != "R23":
            word = "resolved" if row["resolved"] else "not resolved"
            glue(f"d_{short}_{stat}", f"{row['diff']:+.2f} [{row['diff_lo']:+.2f}, {row['diff_hi']:+.2f}], {word}",
                 display=False)  # fmt: skip
    polar_row = value.loc[(model, "polar_found")]
    glue(f"p_{short}", f"{int(polar_row['found'])} of {int(polar_row['positives'])}", display=False)
met = protocol.targets_met(measured, "sim")
target_names = (("micro-F1", "micro_f1", "micro_f1"), ("exact match", "exact_match", "exact_match"),
                ("share of polar positives found", "polar_share", "polar_found"))  # fmt: skip
glue("targets_sim", "; ".join(f"{label} ≥ {protocol.TARGETS[key]:.2f}: {'met' if met[stat] else 'missed'}"
                              for label, key, stat in target_names), display=False)  # fmt: skip
ranked = protocol.rank_models(real.y, answers)
best_name = {"sim": "sim", "R23": "r23", "both": "both"}[ranked[0]]
glue("best_model", best_name, display=False)
glue("default_note", "which is the default of python -m lib predict" if best_name == predict.DEFAULT_MODEL
     else f"while the default of python -m lib predict is {predict.DEFAULT_MODEL}", display=False)  # fmt: skip
sim_micro = value.loc[("sim", "micro_f1")]

# %% tags=["remove-input"]
glue("ci_half", float(sim_micro["hi"] - sim_micro["lo"]) / 2, display=False)
glue("n_real_all", len(real), display=False)
glue("n_skeletons", len(set(skeletons)), display=False)
glue("n_boot", n_boot, display=False)
glue("shipped_caveat", sentences.shipped_caveat(ship_info), display=False)
glue("ship_trained_by", ship_info["trained_by"].replace("; ", " and "), display=False)
glue("ship_recipe", Markdown(sentences.shipped_recipe(ship_info)), display=False)
glue("real_protocol", Markdown(sentences.protocol_look(ship_info)), display=False)
glue("sim_status", status["sim"], display=False)
glue("n_r23_train", n_r23_train, display=False)
glue("n_r23_elsewhere", len({b for b, part in zip(skeletons, in_r23, strict=True) if part in ("val", "test")}),
     display=False)  # fmt: skip

# %% [markdown]
# ````{table} The predict command's three models on the measured spectra at 0.5: value, difference to R23 [95 % CI].
# :name: tab-fgb-measured
# :class: full-width
# ```{glue:md} tab_fgb_measured
# :format: myst
# ```
# ````
#
# Micro-F1: sim {glue:text}`m_sim_micro_f1`, R23 {glue:text}`m_r23_micro_f1`, both
# {glue:text}`m_both_micro_f1`. Exact match (all 17 groups right): sim {glue:text}`m_sim_exact_match`,
# R23 {glue:text}`m_r23_exact_match`, both {glue:text}`m_both_exact_match`. Polar groups found
# (positives of the O/N groups present; F1 per group in {numref}`tab-fgb-polar`): sim
# {glue:text}`p_sim` ({glue:text}`m_sim_polar_found`), R23 {glue:text}`p_r23`
# ({glue:text}`m_r23_polar_found`), both {glue:text}`p_both` ({glue:text}`m_both_polar_found`).
# Paired against R23, sim differs by
# {glue:text}`d_sim_micro_f1` in micro-F1, {glue:text}`d_sim_exact_match` in exact match and
# {glue:text}`d_sim_polar_found` in polar groups found; both by {glue:text}`d_both_micro_f1`,
# {glue:text}`d_both_exact_match` and {glue:text}`d_both_polar_found`.
#
# The shipped ensemble against the targets set for it: {glue:text}`targets_sim`.
# {glue:text}`shipped_caveat` R23's are not clean either: our reproduction
# of their seeded split of the NIST index puts {glue:text}`n_r23_train:d` of the
# {glue:text}`n_skeletons:d` skeletons in their training part (and {glue:text}`n_r23_elsewhere:d`
# in their validation or test part), so their nets most likely learnt most of these very molecules.
# By exact match, then micro-F1, the best of the three is **{glue:text}`best_model`**,
# {glue:text}`default_note`.

# %% tags=["hide-input"]
polar_present = [g for g in real.groups if g in protocol.POLAR_GROUPS and real.y[:, real.groups.index(g)].sum() > 0]
polar_table = pd.DataFrame(
    {name: metrics.per_group_metrics(real.y, p, real.groups).loc[polar_present, "f1"] for name, p in answers.items()}
)
polar_table.insert(0, "positives", real.y[:, [real.groups.index(g) for g in polar_present]].sum(axis=0).astype(int))
tables.glue_table("tab_fgb_polar", polar_table.rename_axis("polar group (F1 at 0.5)"), index=None, digits=2)

# %% [markdown]
# ````{table} F1 at 0.5 of the three models per polar (O/N) group present in the measured spectra, with its positives.
# :name: tab-fgb-polar
# ```{glue:md} tab_fgb_polar
# :format: myst
# ```
# ````
#
# Recipes are now chosen without these spectra (`book/ir/PROTOCOL.md`): on the validation molecules
# of R23's split of the index, rendered once with fixed randomised physics
# (`lib.ir.protocol.measured_like`). Version 1 of that physics is the development recipe's (one
# global frequency scale and one band width, each drawn around its fitted value); version 2, the
# one that chose, adds GFN2-xTB's errors per mode type and rotational band contours (chapter
# *Simulated spectra*). R23's nets, trained on measured spectra, read both as a check of how
# measured-like they are.

# %% tags=["hide-input"]
index_csv = data_file("nist_gas_ir_index.csv", data_dir)
like_table, like_n = selection.validation_versions(  # the measured spectra's skeletons never enter any part
    {"sim": shipped_models, "R23": published}, shards, typed_shards, index_csv, measured_inchikeys(), real.grid
)
tables.glue_table("tab_fgb_like", like_table.rename_axis("measured-like validation"), index=None, digits=3)

# %% tags=["remove-input"]
for version, n in like_n.items():
    glue(f"like{version}_n", n, display=False)
    for name in ("sim", "R23"):
        micro = float(like_table.loc[name, f"micro-F1, version {version}"])
        glue(f"like{version}_{name.lower()}", micro, display=False)
glue("like2_sim_exact", float(like_table.loc["sim", "exact match, version 2"]), display=False)
like_r23_change = like_table.loc["R23", "micro-F1, version 2"] - like_table.loc["R23", "micro-F1, version 1"]
glue("like_r23_change", f"{'higher' if like_r23_change > 0 else 'lower'} by {abs(like_r23_change):.3f}",
     display=False)  # fmt: skip

# %% [markdown]
# ````{table} Micro-F1 and exact match at 0.5 on the measured-like validation spectra, physics versions 1 and 2.
# :name: tab-fgb-like
# ```{glue:md} tab_fgb_like
# :format: myst
# ```
# ````
#
# On the {glue:text}`like2_n:,d` spectra of version 2 ({numref}`tab-fgb-like`) the shipped ensemble
# reaches a micro-F1 of {glue:text}`like2_sim:.3f` (exact match {glue:text}`like2_sim_exact:.3f`; its
# recipe was chosen there and trained on the same physics) and R23's nets {glue:text}`like2_r23:.3f`,
# {glue:text}`like_r23_change` than on the {glue:text}`like1_n:,d` spectra of version 1
# ({glue:text}`like1_r23:.3f`), against {glue:text}`m_r23_micro_f1` on the measured spectra.

# %% [markdown]
# **The protocol's choice.** The candidate recipes are fixed in `lib.ir.selection` before anything
# is trained: the shipped recipe retrained on the index re-simulated with mode types, then, one at a
# time, GFN2-xTB's frequencies corrected per mode type, its intensities corrected per mode type, and
# rotational band contours (chapter *Simulated spectra*). Overtone and combination bands are not
# among them: the validation physics has none (GFN2-xTB's harmonic lines carry no anharmonicity), so
# the rule could only reject them, and putting guessed ones into both would reward them by
# construction. Each is trained with
# {glue:text}`selection_seeds` seeds and scored on the measured-like validation set of that per-type
# physics (version {glue:text}`selection_version`), which chooses; only the
# chosen recipe meets the measured spectra, once ({numref}`tab-fgb-selection`). {glue:md}`selection_status`

# %% tags=["remove-input"]
chosen_table = json.loads(Path(selection_file).read_text()) if Path(selection_file).is_file() else None
ready = selection.readiness(typed_shards, {"shards": shards, "index": index_csv}, dft_dir, dft_molecules_file)
glue("selection_status", Markdown(selection.status_sentence(chosen_table, ready)), display=False)
glue("selection_seeds", len(selection.SEEDS), display=False)
glue("selection_version", selection.VALIDATION_VERSION, display=False)
ablation = selection.ablation_frame(chosen_table, protocol.read_log(scores_log)) if chosen_table else None
tables.glue_table("tab_fgb_selection", ablation, missing="no selection table yet", index=None, digits=3,
                  headers={"recipe": "Recipe", "steps": "Steps added", "micro_f1": "Micro-F1 (measured-like)",
                           "exact_match": "Exact match (measured-like)", "kept": "Step kept",
                           "measured": "Micro-F1, measured [95 % CI]"})  # fmt: skip

# %% [markdown]
# ````{table} Candidate recipes: measured-like validation scores (which choose) and measured micro-F1 [95 % CI].
# :name: tab-fgb-selection
# :class: full-width
# ```{glue:md} tab_fgb_selection
# :format: myst
# ```
# ````
#
# ### Table 1: per group

# %% tags=["remove-input"]
scores = fg.evaluate_seeds(ours, dataset)
summary = {rule: metrics.mean_std(scores[f"groups@{rule}"]) for rule in ("best", "0.5")}
paper = reference.r23_table1()
cols = ["f1", "auc", "accuracy", "precision", "recall"]
fmt = metrics.format_mean_std(summary["best"])
table1 = pd.concat(
    {c: pd.DataFrame({"ours": fmt[c], "R23": [reference.r23_printed(g, c) for g in fmt.index]}, index=fmt.index)
     for c in cols}, axis=1,
).loc[paper.index]  # fmt: skip
whole = pd.Series(dataset.y.mean(axis=0), index=dataset.groups)
table1.insert(0, ("proportion", "R23"), paper["proportion"].map(lambda v: f"{v:.2f}"))
table1.insert(0, ("proportion", "ours"), whole.loc[paper.index].map(lambda v: f"{v:.3f}"))
# two halves, so that each fits the text column
metric_names = {"proportion": "Proportion", "f1": "F1", "auc": "ROC-AUC", "accuracy": "Accuracy",
                "precision": "Precision", "recall": "Recall"}  # fmt: skip
for name, half in (("tab_fgb_groups1", ["proportion", "f1", "auc"]),
                   ("tab_fgb_groups2", ["accuracy", "precision", "recall"])):  # fmt: skip
    tables.glue_table(name, table1[half].rename(columns=metric_names, level=0).rename_axis("group"), index=None)

# %% tags=["remove-input"]
glue("n_test", int(ours.runs[0]["n_test"]), display=False)
glue("r23_test", reference.R23_COUNTS["test"], display=False)
glue("test_share", ours.runs[0]["n_test"] / reference.R23_COUNTS["test"], display=False)
glue("same_molecules", sentences.same_molecules_note(data, int(ours.runs[0]["n_test"]), reference.R23_COUNTS["test"],
                                                     d[0].get("n_index", 0), reference.R23_COUNTS["gas with InChI"])
     if data in fg.DATA_KINDS else "", display=False)  # fmt: skip

# %% [markdown]
# ````{table} R23 Table 1, part 1 (simulated test split): proportion, F1, ROC-AUC; ours mean ± std over seeds.
# :name: tab-fgb-groups1
# :class: full-width
# ```{glue:md} tab_fgb_groups1
# :format: myst
# ```
# ````
#
# ````{table} R23 Table 1, part 2 (simulated test split): accuracy, precision, recall; ours mean ± std over seeds.
# :name: tab-fgb-groups2
# :class: full-width
# ```{glue:md} tab_fgb_groups2
# :format: myst
# ```
# ````
#
# Thresholds ({numref}`tab-fgb-groups1` and {numref}`tab-fgb-groups2`): the authors' rule (per
# group, maximum F1 on each model's training predictions). Mean
# ± std over our seeds on one test split of {glue:text}`n_test:,d` spectra (R23:
# {glue:text}`r23_test:,d`); R23's cells as printed (two decimals truncated, then a digit of the
# std); proportions are shares of the whole labelled set; groups in R23's order.
# {glue:text}`same_molecules`

# %% tags=["hide-input"]
f1 = pd.DataFrame(
    {"ours, training-F1 thresholds": summary["best"][("f1", "mean")], "ours, 0.5": summary["0.5"][("f1", "mean")]}
).loc[paper.index]
bounds = reference.r23_table1_intervals("f1").loc[paper.index]
err = {"ours, training-F1 thresholds": summary["best"][("f1", "std")], "ours, 0.5": summary["0.5"][("f1", "std")]}
fig = go.Figure()
fig.add_trace(go.Bar(x=f1.index, y=bounds["lo"], name="R23 (printed; whisker: the interval it stands for)",
                     marker_color=notebook.PALETTE[2],
                     error_y={"type": "data", "symmetric": False, "array": bounds["hi"] - bounds["lo"],
                              "arrayminus": np.zeros(len(bounds))}))  # fmt: skip
for i, name in enumerate(f1.columns):
    fig.add_trace(go.Bar(x=f1.index, y=f1[name], name=name, marker_color=notebook.PALETTE[i],
                         error_y={"type": "data", "array": err[name].loc[f1.index]}))  # fmt: skip
fig.update_layout(barmode="group", height=420,
                  yaxis_title="F1", xaxis_tickangle=-40, legend={"orientation": "h", "y": -0.35})  # fmt: skip
notebook.glue_figure("fig_f1_groups", fig)

# %% [markdown]
# ```{glue:figure} fig_f1_groups
# :name: fig-fgbench-f1
# F1 per group: ours (mean over seeds, whiskers: standard deviation) and R23's printed values
# (whisker: the interval a printed value stands for).
# ```

# %% tags=["remove-input"]
ours_f1 = summary["best"][("f1", "mean")].loc[paper.index]
dist = pd.Series(metrics.interval_distance(ours_f1, bounds["lo"], bounds["hi"]), index=paper.index)
macro_lo, macro_hi = reference.r23_macro("f1")
macro_best = float(ours_f1.mean())

# %% tags=["remove-input"]
glue("macro_best", macro_best, display=False)
glue("macro_05", float(summary["0.5"][("f1", "mean")].mean()), display=False)
glue("r23_macro", f"[{macro_lo:.3f}, {macro_hi:.3f})", display=False)
glue("macro_verdict", "inside" if macro_lo <= macro_best < macro_hi else
     ("above" if macro_best >= macro_hi else "below"), display=False)  # fmt: skip
glue("n_above", int((dist > 0).sum()), display=False)
glue("n_inside", int((dist == 0).sum()), display=False)
glue("n_below", int((dist < 0).sum()), display=False)
glue("most_above", f"{dist.idxmax()}, {dist.max():+.3f}" if (dist > 0).any() else "none", display=False)
glue("most_below", f"{dist.idxmin()}, {dist.min():+.3f}" if (dist < 0).any() else "none", display=False)

# %% [markdown]
# Macro-F1 over the 17 groups: **{glue:text}`macro_best:.3f`** with the training-F1 thresholds,
# {glue:text}`macro_05:.3f` at 0.5. R23's printed F1s put their macro-F1 in
# {glue:text}`r23_macro` (the mean of the groups' lower bounds and of their upper bounds); ours is
# {glue:text}`macro_verdict` that interval. Our mean F1 is above R23's interval for
# {glue:text}`n_above:d` groups (furthest: {glue:text}`most_above`), inside it for
# {glue:text}`n_inside:d` and below it for {glue:text}`n_below:d` (furthest:
# {glue:text}`most_below`).
#
# ### Table 2: per molecule

# %% tags=["remove-input"]
mol = {rule: metrics.mean_std(scores[f"molecular@{rule}"]) for rule in ("best", "0.5")}
names = {"molecular_perfection": "perfection", "molecular_f1": "molecular F1"}
r23_mol = {k: reference.R23_MOLECULAR[v] for k, v in names.items()}
table2 = pd.DataFrame(
    {
        "ours (training-F1 thresholds)": metrics.format_mean_std(mol["best"])["value"],
        "ours (0.5)": metrics.format_mean_std(mol["0.5"])["value"],
        "R23": {k: f"{m} ± {s}" for k, (m, s) in r23_mol.items()},
        "Fine et al. 2020": {k: f"{reference.FINE2020_MOLECULAR[v]}" for k, v in names.items()},
    }
).loc[list(names)]
tables.glue_table("tab_fgb_molecules", table2.rename(index=names).rename_axis("per molecule"), index=None)
for key, short in (("molecular_perfection", "perf"), ("molecular_f1", "molf1")):
    m, s = r23_mol[key]
    value = float(mol["best"].loc[key, "mean"])
    glue(f"{short}_best", value, display=False)
    glue(f"{short}_best_std", float(mol["best"].loc[key, "std"]), display=False)
    glue(f"{short}_05", float(mol["0.5"].loc[key, "mean"]), display=False)
    glue(f"{short}_r23", f"{m} ± {s}", display=False)
    glue(f"{short}_verdict", "inside" if m - s <= value <= m + s else ("above" if value > m + s else "below"),
         display=False)  # fmt: skip
thresholds = np.array([run["thresholds"] for run in ours.runs])
train_parts = [fg.run_split(dataset, run)["train"] for run in ours.runs]
train_f1 = np.mean(
    [metrics.micro_f1(t.y, metrics.binarize(fga.predict_proba(m, t.x))) for m, t in zip(ours, train_parts, strict=True)]
)

# %% tags=["remove-input"]
glue("thr_min", float(thresholds.min()), display=False)
glue("thr_max", float(thresholds.max()), display=False)
glue("thr_median", float(np.median(thresholds)), display=False)
glue("threshold_note", sentences.threshold_note(len(train_parts[0]), float(train_f1),
                                                int(train_parts[0].y.sum(axis=0).min()), reference.R23_COUNTS["train"]),
     display=False)  # fmt: skip

# %% [markdown]
# ````{table} R23 Table 2 (simulated test split): perfection and molecular F1; ours mean ± std over seeds.
# :name: tab-fgb-molecules
# ```{glue:md} tab_fgb_molecules
# :format: myst
# ```
# ````
#
# Molecular perfection ({numref}`tab-fgb-molecules`) **{glue:text}`perf_best:.3f`** ±
# {glue:text}`perf_best_std:.3f` with the training-F1 thresholds ({glue:text}`perf_05:.3f` at 0.5), against R23's
# {glue:text}`perf_r23`: {glue:text}`perf_verdict` their mean ± one standard deviation. Molecular
# F1 **{glue:text}`molf1_best:.3f`** ± {glue:text}`molf1_best_std:.3f` ({glue:text}`molf1_05:.3f`
# at 0.5), against R23's {glue:text}`molf1_r23`: {glue:text}`molf1_verdict` it.
#
# The training-F1 thresholds of our models range from {glue:text}`thr_min:.2f` to
# {glue:text}`thr_max:.2f` (median {glue:text}`thr_median:.2f`). {glue:text}`threshold_note`
#
# ### Real spectra: the chapter's own models (development)
#
# The band width and frequency scale of these models are fitted on one half of the measured spectra
# and scored on the other; the set of settings tried was itself chosen while looking at these
# spectra, so every number in this section is a development one.

# %% tags=["remove-input"]
if data in fg.DATA_KINDS:
    held = [x["held_out"] for x in d]
    scored = {
        "ours, held out": fg.score_held_out([(crossed[0], held[0]), (crossed[1], held[1])]),
        "ours, broadening fitted on the test half": fg.score_held_out([(crossed[0], d[0]["fit"]),
                                                                       (crossed[1], d[1]["fit"])]),  # fmt: skip
        "R23 published": fg.score_held_out([(published, held[0]), (published, held[1])]),
    }
    per_half = pd.DataFrame(
        {
            f"half {2 - h} (held out from the fit on half {h + 1})": {
                "ours": fg.score_fixed_set(crossed[h], held[h])["ensemble"]["micro_f1"],
                "R23 published": fg.score_fixed_set(published, held[h])["ensemble"]["micro_f1"],
            }
            for h in (0, 1)
        }
    )
    same_models = folders[0] == folders[1]
else:
    scored = {"ours": fg.score_fixed_set(ours, real), "R23 published": fg.score_fixed_set(published, real)}
    per_half, same_models = None, True
tables.glue_table("tab_fgb_real", fg.real_spectra_table(scored), index=None,
                  headers={"": "", "micro_f1": "Micro-F1", "molecular_f1": "Molecular F1",
                           "molecular_perfection": "Exact match"})  # fmt: skip
tables.glue_table("tab_fgb_halves", None if per_half is None else per_half.rename_axis("ensemble micro-F1"),
                  missing="no halves: these spectra were not split", index=None, digits=3)  # fmt: skip
main = next(iter(scored))
ours_real, r23_real = scored[main], scored["R23 published"]
pooled = held if data in fg.DATA_KINDS else [real]
own = protocol.measured_report(
    np.concatenate([h.y for h in pooled]),
    {"chapter's models": ours_real["probabilities"], "R23": r23_real["probabilities"]},
    [connectivity(k) for h in pooled for k in h.inchikeys], real.groups, reference="R23", n=n_boot, seed=seed,
)  # fmt: skip
tables.glue_table("tab_fgb_own", protocol.report_table(own), index=None)
own_micro = own.set_index(["model", "statistic"]).loc[("chapter's models", "micro_f1")]
glue("own_micro", f"{own_micro['value']:.2f} [{own_micro['lo']:.2f}, {own_micro['hi']:.2f}]", display=False)
glue("own_diff", f"{own_micro['diff']:+.2f} [{own_micro['diff_lo']:+.2f}, {own_micro['diff_hi']:+.2f}]", display=False)
glue("n_real", len(real), display=False)
glue("n_present", int((real.y.sum(axis=0) > 0).sum()), display=False)
glue("real_ours", float(ours_real["members"]["micro_f1"].mean()), display=False)
glue("real_ours_ens", float(ours_real["ensemble"]["micro_f1"]), display=False)
glue("real_r23", float(r23_real["members"]["micro_f1"].mean()), display=False)
glue("real_r23_ens", float(r23_real["ensemble"]["micro_f1"]), display=False)
gap = float(ours_real["members"]["micro_f1"].mean() - r23_real["members"]["micro_f1"].mean())
glue("real_compare", f"{abs(gap):.2f} {'below' if gap < 0 else 'above'}", display=False)
if data in fg.DATA_KINDS:
    fitted = scored["ours, broadening fitted on the test half"]
    gain = float(fitted["members"]["micro_f1"].mean() - ours_real["members"]["micro_f1"].mean())
    glue("fit_note", sentences.broadening_fit_gain(same_models, gain), display=False)
else:
    glue("fit_note", "With a NIST training set no broadening is fitted.", display=False)

# %% [markdown]
# ````{table} Our models and R23's on the measured spectra at 0.5: single models (mean ± std) and ensemble mean.
# :name: tab-fgb-real
# :class: full-width
# ```{glue:md} tab_fgb_real
# :format: myst
# ```
# ````
#
# ````{table} Ensemble micro-F1 at 0.5 on each half of the measured spectra, held out from the broadening fit.
# :name: tab-fgb-halves
# ```{glue:md} tab_fgb_halves
# :format: myst
# ```
# ````
#
# ````{table} Our held-out models and R23's on the measured spectra at 0.5: value, difference to R23 [95 % CI].
# :name: tab-fgb-own
# :class: full-width
# ```{glue:md} tab_fgb_own
# :format: myst
# ```
# ````
#
# {glue:text}`n_real:d` real gas-phase spectra with {glue:text}`n_present:d` of the 17 groups
# present; threshold 0.5 (development, chosen while looking at these spectra). Micro-F1
# ({numref}`tab-fgb-real` to {numref}`tab-fgb-own`): **the
# chapter's models {glue:text}`real_ours:.2f`** per model ({glue:text}`real_ours_ens:.2f` as an
# ensemble, 95 % CI by skeleton {glue:text}`own_micro`; paired against R23 {glue:text}`own_diff`),
# **R23's published models {glue:text}`real_r23:.2f`** ({glue:text}`real_r23_ens:.2f` as an
# ensemble). {glue:text}`fit_note` R23's models were trained on NIST gas-phase spectra, most
# likely including these very molecules (see above), so theirs is not a clean test; ours never saw
# them, but their settings were fitted on halves of them.

# %% tags=["hide-input"]
per_group = pd.DataFrame(
    {"ours (ensemble)": ours_real["groups"]["f1"], "R23 published (ensemble)": r23_real["groups"]["f1"],
     "positives": ours_real["groups"]["support"]}  # fmt: skip
)
per_group = per_group[per_group["positives"] > 0].sort_values("positives", ascending=False)
fig = px.bar(per_group.reset_index(names="group"), x="group", y=["ours (ensemble)", "R23 published (ensemble)"],
             barmode="group", hover_data=["positives"])  # fmt: skip
fig.update_layout(height=400, yaxis_title="F1", xaxis_tickangle=-40, legend_title_text="")
notebook.glue_figure("fig_real_f1", fig)

# %% [markdown]
# ```{glue:figure} fig_real_f1
# :name: fig-fgbench-real-f1
# Real jcamp spectra (development): F1 per group present, most frequent first.
# ```

# %% [markdown]
# ### From simulations to measurements: what each step adds

# %% tags=["remove-input"]
ablation = transfer_ablation.read_table(ablation_file)
steps = transfer_ablation.summary_frame(ablation)
tables.glue_table("tab_fgb_steps", steps.drop(columns="change").astype({c: float for c in steps.columns[2:]}),
                  index=None, digits=3,
                  headers={"step": "Step", "training molecules": "Training molecules",
                           "simulated val., per model": "Simulated val., per model",
                           "simulated val., ensemble": "Simulated val., ensemble",
                           "real, per model": "Measured, per model",
                           "real, ensemble": "Measured, ensemble",
                           "real, exact match": "Measured, exact match",
                           "real ensemble gain": "Measured ensemble gain"})  # fmt: skip
settings = ablation["protocol"]
first, last = steps.index[0], steps.index[-1]
best_step = steps["real, ensemble"].astype(float).idxmax()
glue("abl_seeds", len(settings["seeds"]), display=False)
glue("abl_epochs", int(settings["max_epochs"]), display=False)
glue("abl_train", int(settings["n_train"]), display=False)
glue("abl_first_real", float(steps.loc[first, "real, ensemble"]), display=False)
glue("abl_first_member", float(steps.loc[first, "real, per model"]), display=False)
glue("abl_last", str(last), display=False)
glue("abl_last_real", float(steps.loc[last, "real, ensemble"]), display=False)
glue("abl_last_member", float(steps.loc[last, "real, per model"]), display=False)
glue("abl_best", f"{best_step} ({float(steps.loc[best_step, 'real, ensemble']):.3f})", display=False)
glue("abl_first_sim", float(steps.loc[first, "simulated val., ensemble"]), display=False)
glue("abl_last_sim", float(steps.loc[last, "simulated val., ensemble"]), display=False)
glue("abl_gains", transfer_ablation.describe_gains(steps), display=False)
glue("abl_loss", transfer_ablation.loss_sentence(steps), display=False)
ship_paragraph = sentences.shipped_ensemble(ship_info, json.loads(Path(size_file).read_text()),
                                            float(r23_real["ensemble"]["micro_f1"]))  # fmt: skip
glue("ship_paragraph", Markdown(ship_paragraph), display=False)

# %% [markdown]
# ````{table} Transfer steps (development), each added to the row above: micro-F1 at 0.5, simulated and measured.
# :name: tab-fgb-steps
# :class: full-width
# ```{glue:md} tab_fgb_steps
# :format: myst
# ```
# ````
#
# Each row of {numref}`tab-fgb-steps` adds one change to the row above ({glue:text}`abl_seeds:d` seeds per step,
# {glue:text}`abl_epochs:d` epochs, {glue:text}`abl_train:,d` simulated NIST molecules for
# training before our curated set is added; micro-F1 at 0.5). Plain simulations reach
# {glue:text}`abl_first_real:.2f` on the real spectra as an ensemble ({glue:text}`abl_first_member:.2f`
# per model); with every step ({glue:text}`abl_last`) {glue:text}`abl_last_real:.2f`
# ({glue:text}`abl_last_member:.2f` per model); the highest ensemble is {glue:text}`abl_best`, a
# number read on the measured spectra. Every "real" column of this table is development: the steps
# after the band shape were designed while looking at these spectra (below), the halves were scored
# for several versions, and with 64 spectra a micro-F1 carries a 95 % CI about
# ±{glue:text}`ci_half:.2f` wide (the shipped ensemble's, above), so no step's effect on them is
# resolved. {glue:text}`abl_gains` On the simulated
# validation spectra the ensemble goes from {glue:text}`abl_first_sim:.2f` to
# {glue:text}`abl_last_sim:.2f`: what helps on measured spectra is not what scores on clean
# simulations. {glue:text}`abl_loss` With {glue:text}`abl_seeds:d` seeds and
# {glue:text}`n_real:d` test spectra, steps of a few hundredths are within the noise.
#
# The last two physics steps came from looking at *which* real spectra drew the false positives,
# not at scores. Trained on spectra that return to zero between their bands, a net reads broad
# absorbance as evidence for every group: a flat spectrum, or the sloping baseline under ozone's
# bands, switches on nearly all 17 outputs. Measured spectra of weak absorbers sit on offsets and
# drifts of a tenth or more of their strongest band (window losses, a background taken earlier), so
# the *offsets* step draws constant offsets up to 20 % and drifts up to 30 %. The comb of water's
# rotational lines did the same, and a sample's own moisture can absorb as strongly as the sample:
# the *water vapour* step adds it, up to the strongest band's height, to one training spectrum in
# ten (in every spectrum it taught the net to distrust the water regions, and carbonyl and O–H
# bands were missed). Their amplitudes are physical guesses, but the steps exist because of what
# the measured spectra showed on both halves, so the held-out halves are no clean test of them.
#
# {glue:md}`ship_paragraph`

# %% tags=["hide-input"]
groups_real = transfer_ablation.group_frame(ablation)
present = real.y.sum(axis=0) > 0
groups_real = groups_real.loc[[g for g, p in zip(real.groups, present, strict=True) if p]]
fig = px.imshow(groups_real.astype(float), zmin=0, zmax=1, aspect="auto",
                color_continuous_scale="Viridis")  # fmt: skip
fig.update_layout(height=450, coloraxis_colorbar_title="F1")
notebook.glue_figure("fig_steps_f1", fig)

# %% [markdown]
# ```{glue:figure} fig_steps_f1
# :name: fig-fgbench-steps
# Real spectra (development): ensemble F1 per group (rows) after each transfer step (columns).
# ```

# %% [markdown]
# ### The other direction: R23's models on our simulations
#
# How realistic do our simulations look to a network that learnt from measured spectra? R23's
# published models read our GFN2-xTB spectra of the same real molecules, broadened with plain
# Lorentzian bands at a few frequency scales and widths, and keep the labels of the measured
# spectra. Nothing of ours is chosen on this table ({numref}`tab-fgb-view`).

# %% tags=["remove-input"]
view = pd.DataFrame([
    {"scale": sc, **row}
    for sc in view_scales
    for row in transfer.measured_to_simulated(published, real, simulate.load_records(lines_file), view_fwhms, sc)
])  # fmt: skip
tables.glue_table("tab_fgb_view", view,
                  digits={"scale": 2, "fwhm": 0, "n": 0, "member_micro_f1": 3, "ensemble_micro_f1": 3,
                          "ensemble_exact_match": 3},
                  headers={"scale": "Frequency scale", "fwhm": "Band width (cm⁻¹)", "n": "Spectra",
                           "member_micro_f1": "Micro-F1, per model", "ensemble_micro_f1": "Micro-F1, ensemble",
                           "ensemble_exact_match": "Exact match, ensemble"})  # fmt: skip
best_view = view.loc[view["ensemble_micro_f1"].idxmax()]

# %% tags=["remove-input"]
glue("view_n", int(view["n"].iloc[0]), display=False)
glue("view_lo", float(view["ensemble_micro_f1"].min()), display=False)
glue("view_hi", float(best_view["ensemble_micro_f1"]), display=False)
glue("view_best", f"scale {best_view['scale']:.2f}, width {best_view['fwhm']:.0f} cm⁻¹", display=False)
glue("view_share", 100 * float(best_view["ensemble_micro_f1"]) / float(r23_real["ensemble"]["micro_f1"]), display=False)

# %% [markdown]
# ````{table} R23's models on our simulations of the measured molecules, by frequency scale and band width, at 0.5.
# :name: tab-fgb-view
# ```{glue:md} tab_fgb_view
# :format: myst
# ```
# ````
#
# On our simulations of {glue:text}`view_n:d` real molecules R23's ensemble reaches a micro-F1
# between {glue:text}`view_lo:.2f` and {glue:text}`view_hi:.2f` (highest at
# {glue:text}`view_best`), against {glue:text}`real_r23_ens:.2f` on the measured spectra of the
# same molecules ({glue:text}`view_share:.0f` % of it at best). Compare the shipped ensemble above,
# which goes the other way, from simulations to measurements.

# %% [markdown]
# ### Speed: one seed on a data set of R23's size, and inference

# %%
big = fg.resample(dataset, bench_spectra, seed=seed)
early = fg.time_early_stop(big, seed=seed, max_epochs=bench_max_epochs)

# %% tags=["remove-input"]
early_names = {"spectra": "spectra", "train": "training spectra", "epochs": "epochs", "best_epoch": "best epoch",
               "stopped_early": "stopped early", "seconds": "seconds", "seconds_per_epoch": "seconds per epoch",
               "threads": "PyTorch threads"}  # fmt: skip
early_shown = pd.Series({early_names.get(k, k): v for k, v in early.items()}, dtype=object)
tables.glue_table("tab_fgb_early", early_shown.rename_axis("measurement").to_frame("value"), index=True, digits=2)
early_text = sentences.early_stop_timing(
    early, bench_max_epochs, fg.TARGET_EARLY_STOP_S, notebook.cpu_load_note(early["threads"])
)
glue("early_text", early_text, display=False)

# %% [markdown]
# ````{table} Training time of one seed with R23's protocol on spectra resampled from our simulations (seconds).
# :name: tab-fgb-early
# ```{glue:md} tab_fgb_early
# :format: myst
# ```
# ````

# %%
speed = []
for n_threads in infer_threads:
    torch.set_num_threads(n_threads)
    for batch in infer_batches:
        speed.append(fg.inference_throughput(ours[0], infer_spectra, batch))
torch.set_num_threads(threads)
speed = pd.DataFrame(speed).set_index(["threads", "batch_size"])
speed["ensemble of 10, spectra/s"] = speed["spectra_per_s"] / 10
tables.glue_table("tab_fgb_speed", speed, index=None, digits=1)
best = speed["spectra_per_s"].max()
best_threads, best_batch = speed["spectra_per_s"].idxmax()

# %% tags=["remove-input"]
glue("infer_best", float(best), display=False)
glue("infer_threads", int(best_threads), display=False)
glue("infer_batch", int(best_batch), display=False)
glue("infer_target", fg.TARGET_SPECTRA_PER_S, display=False)
glue("infer_verdict", "met" if best >= fg.TARGET_SPECTRA_PER_S else "not met on this shared machine", display=False)

# %% [markdown]
# ````{table} Inference speed of one model on random spectra, per thread count and batch size (time in seconds).
# :name: tab-fgb-speed
# ```{glue:md} tab_fgb_speed
# :format: myst
# ```
# ````
#
# Training ({numref}`tab-fgb-early`): {glue:text}`early_text`
#
# Inference, one model ({numref}`tab-fgb-speed`): **{glue:text}`infer_best:,.0f` spectra/s** at best
# ({glue:text}`infer_threads:d` thread(s), batches of {glue:text}`infer_batch:d`); the target is
# {glue:text}`infer_target:,d` spectra/s ({glue:text}`infer_verdict`). An ensemble of ten models
# costs ten times as much.
#
# ## Discussion
#
# - **Tables 1 and 2.** Our scores on simulated spectra and R23's on measured ones are not the
#   same experiment. With the default data the molecules, their split and the group proportions
#   are R23's (our test split has {glue:text}`test_share:.0%` of their spectra); the spectra are
#   not: simulated ones are cleaner than measured ones (harmonic bands, no noise, no impurities, no
#   overtones). High scores here say the net can read GFN2-xTB bands, not that it reads measured
#   spectra; the real spectra below test that. Both standard deviations, R23's and ours,
#   come from one split each and leave out how much another draw of test molecules would move the
#   scores.
# - **Reading R23's table.** Each printed value is a truncated mean, so a comparison can only say
#   whether our mean lies in, above or below an interval one hundredth wide; the digit in
#   parentheses belongs to the standard deviation and narrows nothing.
# - **Thresholds.** The authors' per-group thresholds come from the training predictions; on a
#   small, well-fitted training split (the curated set) they are poorly determined, and the
#   comparison with 0.5 above shows what they do here. On a large, skewed data set they matter most
#   for rare groups.
# - **Real spectra.** They were meant as the test, but the development recipes were chosen while
#   looking at them, so those numbers are development ones; {glue:md}`real_protocol` Trained only
#   on simulations, the chapter's own models meet a domain shift (anharmonic positions, band shapes,
#   relative intensities; chapter *Simulated spectra*) and score {glue:text}`real_compare` R23's
#   published models in micro-F1; those were trained on measured NIST spectra that very probably
#   include these molecules. With {glue:text}`n_real_all:d` spectra of {glue:text}`n_skeletons:d`
#   skeletons the CIs decide what is resolved: the shipped ensemble minus R23 is
#   {glue:text}`d_sim_polar_found` in polar groups found and {glue:text}`d_sim_micro_f1` in
#   micro-F1.
# - **Speed.** The net is tiny; training time is dominated by the number of epochs early stopping
#   allows, and inference by memory traffic of the first layers. The times above come from a
#   2-core CPU; the load note beside them says whether other processes shared it.
