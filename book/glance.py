# %% [markdown]
# # Results at a glance
#
# **Aim.** A scoreboard of every headline claim of the four works this book reproduces, and of
# the claims the book makes beyond them: the paper's figure, ours, a verdict, and where our number
# came from, each row linking to the chapter that measured it. The page runs after every other
# chapter and reads their saved results and the shipped full-scale run records; nothing in it is
# typed in.
#
# **How to read it.** Each line names its network and what its number counts. A claim of the
# form "at least as good as" is judged one-sided at 95 %: with a count behind our number (wrong
# test spectra, pooled over seeds) the bound is the exact binomial one. *Better than the paper*
# means even our pessimistic bound beats the paper's figure; *not reproduced* means even our
# optimistic bound falls short; *reproduced* means the data cannot tell the two apart. Where only
# part of what the paper tested was run, the badge says how much ("1 of 8 networks"). A headline
# comes only from a run that early stopping ended on the paper's protocol: a run stopped by a time
# limit is *not run to convergence* here and is listed apart below; a chapter's reduced run
# (fewer classes, shorter spectra) reads *not run at full scale*, its number in the line's note.
# The rules and the registry of claims live in `lib.glance`.

# %% tags=["parameters"]
results_preset = "default"  # the preset whose executed chapters this page reads

# %% tags=["remove-cell"]
from myst_nb import glue

from lib import glance, notebook, tables

notebook.setup(0)
papers = glance.book_table(results_preset)
beyond = glance.beyond_table(results_preset)
capped = glance.capped_table()
tally = glance.counts(papers)
own = glance.counts(beyond)
for word in glance.VERDICTS:
    glue(f"n_{word.replace(' ', '_').replace('-', '_')}", tally.get(word, 0), display=False)
    glue(f"own_{word.replace(' ', '_').replace('-', '_')}", own.get(word, 0), display=False)
glue("n_claims", len(papers), display=False)
glue("n_own", len(beyond), display=False)
glue("n_capped", len(capped), display=False)
boards = glance.boards(papers)
for paper in ("S23", "R23", "S22", "V24"):
    tables.glue_table(f"tab_glance_{paper}", boards.get(paper), missing="no claim of this paper in this run")
tables.glue_table("tab_glance_beyond", glance.board(beyond, own=True))
tables.glue_table("tab_glance_capped", glance.capped_board(capped), missing="none: every shipped run converged")

# %% [markdown]
# ## The papers' claims
#
# Of {glue:text}`n_claims` claims, {glue:text}`n_better_than_the_paper` come out better than the
# paper, {glue:text}`n_reproduced` are reproduced and {glue:text}`n_not_reproduced` are not;
# {glue:text}`n_not_run_to_convergence` have no run that converged, {glue:text}`n_not_run_at_full_scale`
# were run only at reduced scale, {glue:text}`n_not_tested` could not be judged and
# {glue:text}`n_not_run` were not run. {numref}`tab-glance-s23` to {numref}`tab-glance-v24` list them
# paper by paper.
#
# ````{table} Schuetzke et al. 2023 (S23), the universal synthetic benchmark: claims, figures, ours, verdicts.
# :name: tab-glance-s23
# :class: full-width glance-board
# ```{glue:md} tab_glance_S23
# :format: myst
# ```
# ````
#
# ````{table} Rieger et al. 2023 (R23), functional groups from IR spectra: claims, figures, ours, verdicts.
# :name: tab-glance-r23
# :class: full-width glance-board
# ```{glue:md} tab_glance_R23
# :format: myst
# ```
# ````
#
# ````{table} Schuetzke et al. 2022 (S22), the review's experiments: claims, figures, ours, verdicts.
# :name: tab-glance-s22
# :class: full-width glance-board
# ```{glue:md} tab_glance_S22
# :format: myst
# ```
# ````
#
# ````{table} Vorozhtsov and Kitina 2024 (V24), metric learning: claims, figures, ours, verdicts.
# :name: tab-glance-v24
# :class: full-width glance-board
# ```{glue:md} tab_glance_V24
# :format: myst
# ```
# ````

# %% [markdown]
# ## Beyond the papers
#
# The book's own claims, each with its own target. Here the burden of proof is ours: a claim
# *holds* only where the one-sided 95 % bound is on the right side of the target, *does not hold*
# where the opposite bound is on the wrong side, and is *undecided* otherwise. Of
# {glue:text}`n_own` claims, {glue:text}`own_holds` hold, {glue:text}`own_does_not_hold` do not
# and {glue:text}`own_undecided` are undecided ({numref}`tab-glance-beyond`).
#
# ````{table} The book's own claims, by area: the target, ours and the verdict.
# :name: tab-glance-beyond
# :class: full-width glance-board
# ```{glue:md} tab_glance_beyond
# :format: myst
# ```
# ````

# %% [markdown]
# ## Runs stopped by a time limit
#
# These {glue:text}`n_capped` shipped runs ended at a time limit, not by early stopping, so they
# are no headline and no verdict above rests on them; each is shown with the epoch it reached and
# the best epoch it kept, beside S23's converged mean where S23 trained the same network
# ({numref}`tab-glance-capped`).
#
# ````{table} Shipped runs that a time limit ended: errors, where each stopped, and the machine.
# :name: tab-glance-capped
# :class: full-width glance-board
# ```{glue:md} tab_glance_capped
# :format: myst
# ```
# ````
