# %% [markdown]
# # Neural networks for 1-D spectra
#
# A reproducible research book. Its chapters reproduce, check and extend four published works on
# neural networks for one-dimensional spectra:
#
# - {cite:t}`rieger2023` train a small convolutional network to recognise 17 functional groups in
#   gas-phase infrared spectra of the NIST Chemistry WebBook {cite}`nist_webbook`, and explain what it
#   learns;
# - {cite:t}`schuetzke2023` compare eight published architectures on a universal synthetic data set
#   of spectra {cite}`synthetic_dataset` and a harder "challenge" set;
# - {cite:t}`schuetzke2022` review, with small experiments, why convolutions, pooling and batch
#   normalisation behave as they do on spectra;
# - {cite:t}`vorozhtsov2024` replace the softmax classifier by a metric learnt with a triplet loss.
#
# ## What we found
#
# {glue:text}`finding_tally` {glue:text}`finding_by_paper` {glue:text}`finding_better`
# {glue:text}`finding_short` {glue:text}`finding_beyond` Every claim, with its rule and the
# chapter that measured it, is on the next page, {doc}`glance`.

# %% tags=["parameters"]
results_preset = "default"  # the preset whose executed chapters the findings are read from

# %% tags=["remove-cell"]
from lib import findings, glance, notebook

notebook.setup(0)
papers = glance.book_table(results_preset)
beyond = glance.beyond_table(results_preset)
for name, sentence in findings.sentences(papers, beyond).items():
    notebook.glue(f"finding_{name}", sentence)
notebook.glue_figure("verdicts", findings.verdict_figure(papers))

# %% [markdown]
# ```{glue:figure} verdicts
# :name: fig-verdicts
#
# The four works' headline claims, paper by paper, by verdict: better than the paper, reproduced,
# not reproduced, or not judged (not run, not run at the paper's scale or to convergence, or not
# testable). The rules are those of {doc}`glance`.
# ```
#
# ## How the book is made
#
# Every chapter follows one template: **aim**, **background**, **method**, **results** and
# **discussion**. Where we compare with a paper, its numbers stand beside ours, and we say where and
# why we differ. Every number in the prose is computed by the chapter that states it.
#
# Each chapter is a Python file in jupytext's percent format (`book/**/NAME.py`, the source) paired
# with a notebook (`NAME.ipynb`). The logic lives in the small package `lib`, which you can also call
# from your own code; chapters narrate, call `lib` and draw. A chapter's first code cell holds its
# parameters. The runner executes every chapter with [papermill](https://papermill.readthedocs.io)
# under a *preset* ({numref}`tab-intro-presets`):
#
# ````{table} The three presets: what each is for and what it costs.
# :name: tab-intro-presets
# | Preset | Meant for | Budget |
# |---|---|---|
# | `ci` | continuous integration: tiny data, every code path | minutes on 2 CPU cores |
# | `default` | this published book | under an hour on 2 CPU cores |
# | `paper` | full-scale reproduction of the papers | a GPU |
# ````
#
# ```bash
# make book                                          # default preset, then the HTML book
# python -m lib book run --preset ci --only synthetic_spectra -p seed=3
# python -m lib book build --preset ci
# ```
#
# Each page opens with a collapsed box that lists the preset and parameters it was executed with.
#
# ## How to cite
#
# Cite the book as *The spectra-nn-book authors, Neural networks for 1-D spectra*, with the version
# and the git commit printed at the foot of every page (with the build date and the preset the
# chapters were executed with): the commit fixes the code, the data and the parameters behind each
# number. The repository's `CITATION.cff` holds the same reference in the Citation File Format, which
# GitHub's *Cite this repository* and reference managers read; the book and its code are under the
# MIT licence (`LICENSE`).
#
# Please cite the source works whose results you use as well: {cite:t}`rieger2023` (IR functional
# groups and their explanations), {cite:t}`schuetzke2023` (the universal synthetic benchmark),
# {cite:t}`schuetzke2022` (the critical review) and {cite:t}`vorozhtsov2024` (contrastive metric
# learning). Each chapter's source, a jupytext `.py` file, is among the download buttons at the top
# of its page, beside the executed notebook.
