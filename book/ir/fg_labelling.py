# %% [markdown]
# # Labelling functional groups
#
# **Aim.** Turn each molecule of the NIST gas-phase IR set into 17 yes/no functional-group labels
# the way {cite}`rieger2023` (R23) did (SMARTS patterns matched by RDKit), check that the label
# proportions agree with R23's Table 1, and describe the label set: which groups occur together,
# how large the molecules are, and how a seeded 70/15/15 split divides it.

# %% tags=["parameters"]
data_dir = None  # folder of the data files; None: the repository's data/
index_file = "nist_gas_ir_index.csv"  # the public index of NIST gas-phase IR spectra (ID, Inchi, …)
seed = 0

# %%
import html

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from IPython.display import HTML
from myst_nb import glue

from lib import notebook, reference
from lib.ir import labels
from lib.paths import data_file
from lib.tables import glue_table

notebook.setup(seed)

# %% [markdown]
# ## Background
#
# A functional group is a set of bonded atoms with a characteristic chemistry, and often a
# characteristic IR band {cite}`silverstein2005`: the C=O stretch of ketones, esters and acids near
# 1700 cm⁻¹, the broad O–H stretch of alcohols and acids above 3000 cm⁻¹, the sharp C≡N stretch
# near 2250 cm⁻¹. R23 label each spectrum of the NIST WebBook {cite}`nist_webbook` with 17 groups,
# each defined by a SMARTS pattern (the table of {cite}`fine2020`): a molecule has the group when
# the pattern matches anywhere in it. The labels are therefore fixed by the structure alone, not by
# the spectrum, and a network must learn where in the spectrum each group shows itself.
#
# **How R23's Table 1 is printed.** The authors' table generator writes the first four characters
# of each mean (`str(mean)[:4]`) and then one digit of the standard deviation in parentheses. A
# printed value is therefore the mean *truncated* to two decimals, and the digit in parentheses
# is not a third decimal of it: the alkane F1 printed {glue:text}`alkane_f1_printed` says only
# that the mean lies in {glue:text}`alkane_f1_interval`. Proportions are truncated the same way.
# `lib.reference` stores the table as printed and gives these intervals.

# %% tags=["remove-input"]
lo, hi = reference.r23_interval(reference.R23_TABLE1["alkane"][1])
glue("alkane_f1_printed", reference.r23_printed("alkane", "f1"), display=False)
glue("alkane_f1_interval", f"[{lo:.2f}, {hi:.2f})", display=False)

# %% [markdown]
# ## Method
#
# `lib.ir.labels` reads each InChI with RDKit (standard InChI, hydrogens implicit), matches the
# 17 SMARTS patterns and writes one 0/1 column per group; an InChI RDKit cannot read is reported
# and skipped, never guessed. The same code is the command line
# `python -m lib label --index FILE --out FILE`. We label the public index of NIST gas-phase
# absorbance spectra, one row per spectrum. A group's proportion is its share of **all** labelled
# spectra, the basis of R23's Table 1 (their 8,125 spectra before the split), and it is compared
# with R23's printed share as the interval that share stands for
# (`lib.ir.labels.compare_proportions` with two decimals).
#
# ## Results
#
# ### The 17 groups
#
# {numref}`fig-labelling-groups` shows one small molecule per group, with the atoms and bonds the
# pattern matches highlighted.

# %% tags=["remove-input"]
cells = []
for group, smarts in labels.GROUPS.items():
    name, smiles = labels.EXAMPLES[group]
    svg = labels.draw_match(smiles, smarts, size=(200, 140))
    cells.append(
        f"<tr><td><b>{html.escape(group)}</b></td><td><code>{html.escape(smarts)}</code></td>"
        f"<td>{html.escape(name)}<br><code>{html.escape(smiles)}</code></td><td>{svg}</td></tr>"
    )
head = "<tr><th>Group</th><th>SMARTS</th><th>Example</th><th>Match</th></tr>"
groups_html = HTML(
    '<div class="book-table" style="overflow-x:auto"><table class="table">'
    f"<thead>{head}</thead><tbody>{''.join(cells)}</tbody></table></div>"
)
glue("fig_groups", groups_html, display=False)

# %% [markdown]
# ```{glue:figure} fig_groups
# :name: fig-labelling-groups
# The 17 functional groups of R23: the SMARTS pattern of each, a small molecule that has the
# group, and the atoms and bonds the pattern matches in it.
# ```

# %% [markdown]
# Two details of the table matter later. The alkane pattern `[CX4;H0,H1,H2,H4]` leaves out CH₃
# (that is the methyl group), so ethane has methyl but no alkane; and the alkyl-halide pattern
# `[#6][F,Cl,Br,I]` matches any carbon–halogen bond, including that of an acyl halide or a
# halobenzene.
#
# ### Labelling the NIST index
#
# Labelling is one call on the index's InChIs; we add the imidic-acid pattern to the 17 groups
# to count a tautomer problem discussed below.

# %%
index = labels.read_index(data_file(index_file, data_dir))
groups_plus = {**labels.GROUPS, "imidic acid": labels.IMIDIC_ACID}
inchis, ids = index["Inchi"].tolist(), index["ID"].tolist()
table, problems = labels.label_inchis(inchis, ids, groups_plus)
imidic = table.pop("imidic acid").astype(bool)

# %% tags=["remove-input"]
glue("n_index", len(index), display=False)
glue("n_compounds", int(index["ID"].nunique()), display=False)
glue("n_labelled", len(table), display=False)
glue("n_problems", len(problems), display=False)
problem_rows = [{"ID": p.id, "InChI": p.inchi, "Reason": p.reason} for p in problems]
glue_table("tab_problems", pd.DataFrame(problem_rows, columns=["ID", "InChI", "Reason"]))

# %% [markdown]
# The index lists {glue:text}`n_index:,d` spectra of {glue:text}`n_compounds:,d` compounds;
# {glue:text}`n_labelled:,d` were labelled and {glue:text}`n_problems:d` InChI(s) could not be read
# by RDKit ({numref}`tab-labelling-problems`).
#
# ````{table} InChIs of the index that RDKit cannot read, and why.
# :name: tab-labelling-problems
# ```{glue:md} tab_problems
# :format: myst
# ```
# ````
#
# ### Proportions against R23 Table 1

# %%
ours = labels.proportions(table)
r23 = reference.r23_table1()["proportion"]
tol = reference.R23_PROPORTION_TOLERANCE
decimals = reference.R23_TABLE1_DECIMALS
compare = labels.compare_proportions(
    ours, r23, tol, exempt=["amides"], decimals=decimals
)

# %% tags=["remove-input"]
compare_headers = {
    "group": "Group",
    "ours": "Ours",
    "lo": "R23 from",
    "hi": "R23 below",
    "inside": "Inside",
    "least deviation": "Least deviation",
    "most deviation": "Largest deviation",
    "within tolerance": "Within tolerance",
}
glue_table(
    "tab_proportions",
    compare.rename_axis("group").reset_index(),
    headers=compare_headers,
    digits={"ours": 4, "lo": 2, "hi": 2, "least deviation": 4, "most deviation": 4},
)
outside = compare[~compare["inside"]]
worst = compare["least deviation"].idxmax()
glue("n_inside", int(compare["inside"].sum()), display=False)
glue("n_groups", len(compare), display=False)
glue("outside_groups", ", ".join(outside.index) if len(outside) else "none", display=False)
glue("worst_group", worst, display=False)
glue("worst_ours", float(compare.loc[worst, "ours"]), display=False)
glue("worst_interval", f"[{compare.loc[worst, 'lo']:.2f}, {compare.loc[worst, 'hi']:.2f})", display=False)
glue("worst_least", float(compare.loc[worst, "least deviation"]), display=False)
glue("worst_side", "above" if compare.loc[worst, "ours"] >= compare.loc[worst, "hi"] else "below", display=False)
glue("worst_rounded", float(max(abs(compare.loc[worst, "deviation"]) - 0.5 * 10.0**-reference.R23_TABLE1_DECIMALS, 0)),
     display=False)  # fmt: skip
glue("n_within_tol", int(compare["within tolerance"].sum()), display=False)
glue("tol", tol, display=False)
glue("median_most", float(compare["most deviation"].median()), display=False)
glue("n_r23", reference.R23_COUNTS["gas with InChI"], display=False)

# %% tags=["remove-input"]
fig = go.Figure()
whisker = {
    "type": "data",
    "symmetric": False,
    "array": compare["hi"] - compare["lo"],
    "arrayminus": np.zeros(len(compare)),
}
fig.add_bar(x=compare.index, y=compare["lo"], name="R23 Table 1 (printed, truncated)", error_y=whisker)
fig.add_bar(x=compare.index, y=compare["ours"], name="ours (NIST index)")
fig.update_layout(
    barmode="group", yaxis_title="share of spectra", height=420, legend=dict(x=0.6, y=0.95)
)
notebook.glue_figure("fig_proportions", fig)

# %% [markdown]
# ```{glue:figure} fig_proportions
# :name: fig-labelling-proportions
# Share of spectra with each group, ours and R23's Table 1 (whiskers: the interval R23's printed,
# truncated share stands for).
# ```
#
# ````{table} Our share of each group against the interval [from, below) of R23's printed share.
# :name: tab-labelling-proportions
# ```{glue:md} tab_proportions
# :format: myst
# ```
# ````
#
# {numref}`fig-labelling-proportions` and {numref}`tab-labelling-proportions` compare the shares;
# the deviations in the table are the least and the largest distance from ours to a share in R23's
# interval.
# Our share lies inside the interval R23's printed share stands for in {glue:text}`n_inside:d` of
# the {glue:text}`n_groups:d` groups; outside: {glue:text}`outside_groups`. The largest distance to
# an interval is that of {glue:text}`worst_group`: {glue:text}`worst_ours:.4f` against
# {glue:text}`worst_interval`, {glue:text}`worst_least:.4f` {glue:text}`worst_side` it. Had R23 *rounded* their
# shares, the same share would sit {glue:text}`worst_rounded:.4f` from the interval of the
# printed value, so the reading of the table matters at this level. {glue:text}`n_within_tol:d` of
# the {glue:text}`n_groups:d` groups are within {glue:text}`tol` of some share R23 could have had;
# the median of the largest possible deviation is {glue:text}`median_most:.4f`. R23 counted their
# {glue:text}`n_r23:,d` spectra, an earlier snapshot of the WebBook than this index, so small
# differences are expected.
#
# **Amides and the InChI tautomer.** Standard InChI treats the N–H hydrogen of a primary or
# secondary amide as *mobile* (the layer `(H2,3,4)` of acetamide says only that two hydrogens sit
# somewhere on N3/O4). RDKit resolves it as the imidic acid R–C(OH)=N–, which the amide pattern
# `[NX3][CX3](=[OX1])[#6]` cannot match and the alcohol pattern `[#6][OX2H]` does. Only tertiary
# amides, whose nitrogen carries no hydrogen, are labelled as amides.

# %% tags=["remove-input"]
amide_or_imidic = float((table["amides"].astype(bool) | imidic).mean())
glue("n_imidic", int(imidic.sum()), display=False)
glue("imidic_share", float(imidic.mean()), display=False)
glue("n_imidic_alcohol", int((imidic & table["alcohols"].astype(bool)).sum()), display=False)
glue("amide_share", float(ours["amides"]), display=False)
glue("amide_or_imidic", amide_or_imidic, display=False)
glue("r23_amides", reference.r23_printed("amides", "proportion"), display=False)
lo, hi = reference.r23_interval(r23["amides"])
glue("r23_amides_interval", f"[{lo:.2f}, {hi:.2f})", display=False)
glue("amides_inside", "inside" if lo <= ours["amides"] < hi else "outside", display=False)
glue("amides_imidic_inside", "inside" if lo <= amide_or_imidic < hi else "outside", display=False)

# %% [markdown]
# {glue:text}`n_imidic:,d` labelled spectra ({glue:text}`imidic_share:.4f`) contain an imidic acid
# built from a mobile-H InChI, and {glue:text}`n_imidic_alcohol:,d` of them carry the alcohol label
# through its O–H. Our amide share, {glue:text}`amide_share:.4f`, lies
# {glue:text}`amides_inside` R23's {glue:text}`r23_amides` ({glue:text}`r23_amides_interval`);
# counting the imidic acids as amides would give {glue:text}`amide_or_imidic:.4f`,
# {glue:text}`amides_imidic_inside` it. R23 therefore most likely labelled the same InChIs with
# the same tautomer, so we keep the InChI as given; a chemist's label would fix the tautomer first.
#
# ### Which groups occur together (R23 Fig. S23)
#
# {numref}`fig-labelling-cooccurrence` counts the spectra whose molecule has both of two groups.

# %%
co = labels.cooccurrence(table)

# %% tags=["remove-input"]
fig = px.imshow(
    co, text_auto=True, color_continuous_scale="Blues", aspect="auto", labels=dict(color="spectra")
)
fig.update_traces(textfont_size=9)
fig.update_layout(height=650, xaxis_tickangle=-45)
notebook.glue_figure("fig_cooccurrence", fig)

# %% [markdown]
# ```{glue:figure} fig_cooccurrence
# :name: fig-labelling-cooccurrence
# Which groups occur together: each cell counts the spectra whose molecule has both groups; the
# diagonal counts those with the group at all.
# ```

# %% tags=["remove-input"]
pairs = co.where(np.triu(np.ones(co.shape, dtype=bool), k=1)).stack().sort_values(ascending=False)
n_groups = table.drop(columns="ID").sum(axis=1)
glue("pair1", " + ".join(pairs.index[0]), display=False)
glue("pair1_n", int(pairs.iloc[0]), display=False)
glue("pair2", " + ".join(pairs.index[1]), display=False)
glue("pair2_n", int(pairs.iloc[1]), display=False)
glue("groups_mean", float(n_groups.mean()), display=False)
glue("groups_median", float(n_groups.median()), display=False)
glue("groups_max", int(n_groups.max()), display=False)
glue("groups_none", int((n_groups == 0).sum()), display=False)

# %% [markdown]
# The most common pair is {glue:text}`pair1` ({glue:text}`pair1_n:,d` spectra), then
# {glue:text}`pair2` ({glue:text}`pair2_n:,d`). A molecule has {glue:text}`groups_mean:.2f` groups
# on average (median {glue:text}`groups_median:.0f`, at most {glue:text}`groups_max:d`);
# {glue:text}`groups_none:,d` spectra have none of the 17.
#
# ### Molecule size

# %%
sizes = labels.molecule_sizes(inchis, ids)

# %% tags=["remove-input"]
size_stats = sizes[["heavy atoms", "atoms"]].describe().T.rename_axis("what").reset_index()
size_stats["what"] = ["Heavy atoms", "Atoms (with H)"]
glue_table(
    "tab_sizes",
    size_stats,
    headers={
        "what": "Atoms per molecule",
        "count": "Molecules",
        "mean": "Mean",
        "std": "SD",
        "min": "Min",
        "25%": "25 %",
        "50%": "Median",
        "75%": "75 %",
        "max": "Max",
    },
    digits={"count": 0, "mean": 2, "std": 2, "min": 0, "25%": 0, "50%": 0, "75%": 0, "max": 0},
)
glue("heavy_median", float(sizes["heavy atoms"].median()), display=False)
glue("atoms_median", float(sizes["atoms"].median()), display=False)
glue("heavy_max", int(sizes["heavy atoms"].max()), display=False)
glue("atoms_max", int(sizes["atoms"].max()), display=False)

# %% tags=["remove-input"]
fig = px.histogram(sizes, x="heavy atoms", nbins=int(sizes["heavy atoms"].max()))
fig.update_layout(yaxis_title="spectra", height=350, bargap=0.05)
notebook.glue_figure("fig_sizes", fig)

# %% [markdown]
# ````{table} Size of the molecules of the index.
# :name: tab-labelling-sizes
# ```{glue:md} tab_sizes
# :format: myst
# ```
# ````
#
# ```{glue:figure} fig_sizes
# :name: fig-labelling-sizes
# How many heavy atoms (all but hydrogen) the molecules of the index have.
# ```
#
# Half the molecules ({numref}`tab-labelling-sizes`, {numref}`fig-labelling-sizes`) have at most
# {glue:text}`heavy_median:.0f` heavy atoms
# ({glue:text}`atoms_median:.0f` atoms with hydrogens); the largest has {glue:text}`heavy_max:d`
# heavy atoms and {glue:text}`atoms_max:d` in all. Gas-phase spectra favour small, volatile
# molecules.
#
# ### The split
#
# R23 split their spectra 70/15/15 at random, once (seed {glue:text}`r23_split_seed:d` in their
# code) for all ten models. `labels.split_indices` does the same with a seed: training and
# validation sizes are rounded down and the test set takes the rest.

# %%
train, val, test = labels.split_indices(len(table), seed=reference.R23_SPLIT_SEED)

# %% tags=["remove-input"]
glue("r23_split_seed", reference.R23_SPLIT_SEED, display=False)
n_r23 = reference.R23_COUNTS["gas with InChI"]
rows = [{"set": "R23 (published)", **{k: reference.R23_COUNTS[k] for k in ("train", "val", "test")}}]
for what, n in ((f"our rule on R23's {n_r23:,}", n_r23), ("our index", len(table))):
    parts = labels.split_indices(n, seed=reference.R23_SPLIT_SEED)
    rows.append({"set": what, "train": len(parts[0]), "val": len(parts[1]), "test": len(parts[2])})
splits = pd.DataFrame(rows).set_index("set")
splits["total"] = splits.sum(axis=1)
glue_table(
    "tab_splits",
    splits.reset_index(),
    headers={"set": "Spectra", "train": "Training", "val": "Validation", "test": "Test", "total": "Total"},
)
parts = {"train": train, "val": val, "test": test}
shares = pd.DataFrame({name: labels.proportions(table.iloc[part]) for name, part in parts.items()})
spread = shares.max(axis=1) - shares.min(axis=1)
same = splits.loc["R23 (published)"].equals(splits.loc[f"our rule on R23's {n_r23:,}"])
glue("split_sizes", "reproduces R23's three sizes" if same else "does not reproduce R23's sizes", display=False)
glue("split_spread", float(spread.max()), display=False)
glue("split_spread_group", spread.idxmax(), display=False)
glue("ids_unique", "no compound sits in two parts" if index["ID"].is_unique else
     "a compound with several spectra can sit in two parts", display=False)  # fmt: skip

# %% [markdown]
# ````{table} Sizes of the three parts: R23's split, our rule on R23's total and on our index.
# :name: tab-labelling-splits
# ```{glue:md} tab_splits
# :format: myst
# ```
# ````
#
# Our rule {glue:text}`split_sizes` from their total ({numref}`tab-labelling-splits`). On our
# index, the largest spread of a group's share between the three parts is {glue:text}`split_spread:.4f`
# ({glue:text}`split_spread_group`); the index has one row per compound id, so
# {glue:text}`ids_unique`.
# This split of our index is the one the following chapters train and test on: each simulated
# spectrum of the index (chapter *Simulated spectra*) goes to the part of its compound here.
#
# ## Discussion
#
# The SMARTS labels reproduce R23's label proportions from a public index alone: read as what they
# are, two-decimal truncations, R23's shares contain ours for all groups but the ones listed above,
# and those miss by less than the difference a later WebBook snapshot can make. Reading the printed
# values as rounded would have suggested larger disagreements than there are. The amide label is
# the weak one, and not because of any network: standard InChI hides the amide hydrogen's
# position, RDKit then draws most primary and secondary amides as imidic acids, and those molecules
# are labelled "alcohol" and not "amide". We keep that behaviour to stay comparable with R23, and
# note that the amide F1 score of any model trained on these labels measures a partly mislabelled
# class. The groups are far from independent (methyl and alkane, aromatics and methyl go
# together), which is one reason R23 judge models per molecule as well as per group.
