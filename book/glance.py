# %% [markdown]
# # Results at a glance
#
# **Aim.** One table of every headline claim of the four works this book reproduces — the paper's
# number, the book's number, the preset and scale it came from, and a verdict — each row linking to
# the chapter that measured it. The page is executed after every other chapter and reads their
# saved results; nothing in it is typed in.
#
# **How to read it.** *Reproduced* means the book's number lies within the rule's tolerance of the
# published one (an interval for R23's truncated two-decimal values); *not reproduced* means it
# does not; *not tested at this scale* means the chapter ran a reduced setting (fewer classes,
# shorter spectra, fewer epochs) that cannot confirm or refute the paper's number, although the
# number is shown; *not run* means the chapter was not executed for this preset. The rules and the
# registry of claims live in `lib.glance`.

# %% tags=["parameters"]
results_preset = "default"  # the preset whose executed chapters this page reads

# %% tags=["hide-input"]
from IPython.display import HTML
from myst_nb import glue

from lib import glance, notebook

notebook.setup(0)
frame = glance.book_table(results_preset)
tally = glance.counts(frame)
for word in (glance.REPRODUCED, glance.NOT_REPRODUCED, glance.NOT_AT_SCALE, glance.NOT_TESTED, glance.NOT_RUN):
    glue(f"n_{word.replace(' ', '_')}", tally.get(word, 0), display=False)
glue("n_claims", len(frame), display=False)

# %% [markdown]
# ## The claims
#
# Of {glue:text}`n_claims` claims, {glue:text}`n_reproduced` are reproduced,
# {glue:text}`n_not_reproduced` are not, {glue:text}`n_not_tested_at_this_scale` were not tested
# at the paper's scale, {glue:text}`n_not_tested` could not be judged (the experiment behind them
# did not train) and {glue:text}`n_not_run` were not run.

# %% tags=["hide-input"]
glance.verdict_figure(frame)

# %% tags=["hide-input"]
HTML(glance.to_html(frame))

# %% [markdown]
# ## Discussion
#
# The rows marked *not tested at this scale* are the synthetic part's reduced runs: the `paper`
# preset repeats them at full scale on a GPU, and each chapter says how far its setting is from
# the paper's. A verdict is only as good as its rule; each chapter shows the numbers its rules used.
