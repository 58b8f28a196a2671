# %% [markdown]
# # Simulated spectra
#
# **Aim.** Compute infrared spectra from the physics of molecules, so that the book can train and
# explain functional-group networks without the (here unreachable) NIST WebBook, and check how
# close such spectra come to measured ones.
#
# ## Background
#
# In the harmonic approximation a molecule's vibrations are the eigenvectors of its mass-weighted
# Hessian at the energy minimum; each mode absorbs at its frequency with an intensity proportional
# to the square of the dipole change along it. We compute energies, gradients and dipoles with the
# semi-empirical GFN2-xTB method (package `tblite`): fast enough for thousands of molecules on a
# laptop, and independent of the functional-group labels, so a network trained on these spectra
# cannot simply rediscover rules we wrote. Measured gas-phase spectra differ: anharmonicity shifts
# bands (a scaling factor below 1 corrects much of it), rotational envelopes broaden them, and
# overtones and combination bands add features the harmonic model lacks.
#
# ## Method
#
# `lib.ir.xtb` does one molecule: RDKit 3-D structure (seeded ETKDG, MMFF clean-up) → GFN2-xTB
# optimisation (L-BFGS on analytic gradients) → Hessian and dipole derivatives by central
# differences of analytic gradients and dipoles → normal modes with translations and rotations
# projected out → wavenumbers and intensities (km/mol). A saddle point (imaginary mode) is left by
# displacing along the mode and re-optimising. `lib.ir.simulate` runs batches with a cache of
# one JSON file per molecule (InChIKey + settings), in local processes or on Dask, and broadens
# line spectra onto R23's grid only when a data set is built.

# %% tags=["parameters"]
data_dir = None  # folder of the data files; None: the repository's data/
molecules_file = "molecules.csv"  # our curated molecule set, beside this chapter
lines_file = "data/xtb_lines.json.gz"  # shipped line spectra of that set (made by this code)
n_fresh = 6  # molecules recomputed from scratch to check the shipped line spectra
n_bench = 4  # NIST molecules (random sample) for the throughput benchmark
bench_workers = [1, 2]  # local worker counts to time
scales = [0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0]  # frequency scaling factors to try
fwhms = [20.0, 30.0, 45.0, 60.0, 90.0]  # band widths (cm⁻¹) to try
seed = 0

# %%
import os
import tempfile

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from IPython.display import Markdown, display
from plotly.subplots import make_subplots

from lib import notebook, reference
from lib.ir import datasets, labels, molecules, simulate, validation, xtb
from lib.paths import data_file

notebook.setup(seed)

# %% [markdown]
# ## Results
#
# ### Two molecules we can check by hand
#
# Water has $3n - 6 = 3$ modes; carbon dioxide is linear, has $3n - 5 = 4$, and its symmetric
# stretch leaves the dipole unchanged, so it must be IR-inactive.

# %%
rows = []
for name, smiles in (("water", "O"), ("carbon dioxide", "O=C=O")):
    line = xtb.simulate(smiles)
    for nu, intensity in sorted(zip(line.wavenumbers, line.intensities, strict=True)):
        rows.append({"molecule": name, "wavenumber (cm⁻¹)": round(nu, 1), "intensity (km/mol)": round(intensity, 2)})
pd.DataFrame(rows).set_index("molecule")

# %% [markdown]
# ### Our molecule set
#
# The curated set (`lib.ir.molecules`, written to `molecules.csv`) combines functional-group
# templates with substituents and joins every pair of end groups by short linkers, so that groups
# also occur together. Its label proportions differ from the NIST gas-phase set of R23 by design:
# every group is well represented.

# %%
Markdown(
    f"{len(molecules.TEMPLATES)} templates × {len(molecules.SUBSTITUENTS)} substituents, and every pair of "
    f"{len(molecules.END_GROUPS)} end groups on each of {len(molecules.LINKERS)} linkers "
    f"({', '.join(molecules.LINKERS)}); duplicates removed."
)

# %%
mol_table = molecules.read_csv(molecules_file)
records = simulate.load_records(lines_file)
by_input = {r["input"]: r for r in records}
set_records = [by_input[m["smiles"]] for m in mol_table]
y_set, _ = datasets.label_smiles([m["smiles"] for m in mol_table])
ours = pd.Series(y_set.mean(axis=0), index=list(labels.GROUPS), name="our set")
compare = pd.concat([ours, reference.r23_table1()["proportion"].rename("R23 (NIST)")], axis=1)
status = pd.Series([r["status"] for r in set_records]).value_counts()
display(compare.round(3).T)
Markdown(
    f"{len(mol_table)} molecules; simulation status: "
    + ", ".join(f"{k} {v}" for k, v in status.items())
    + f". The line spectra ship with the book in `{lines_file}` "
    f"({os.path.getsize(lines_file) / 1e6:.2f} MB)."
)

# %% [markdown]
# Molecules marked `imaginary` kept an imaginary mode after re-optimisation; they are left out of
# the data sets, as are failures. Are the shipped line spectra what this code computes? We
# recompute a random sample from scratch:

# %%
rng = np.random.default_rng(seed)
sample = [mol_table[i]["smiles"] for i in rng.choice(len(mol_table), n_fresh, replace=False)]
with tempfile.TemporaryDirectory() as tmp:
    fresh = simulate.run_batch(sample, tmp, progress=False)
diffs = [
    np.abs(np.array(f["wavenumbers"]) - np.array(by_input[s]["wavenumbers"])).max()
    for f, s in zip(fresh, sample, strict=True)
    if f["status"] == "ok" and by_input[s]["status"] == "ok"
]
Markdown(
    f"Recomputed {len(sample)} molecules: the largest wavenumber difference to the shipped spectra is "
    f"{max(diffs):.3f} cm⁻¹."
)

# %% [markdown]
# ### Simulated against measured
#
# The `jcamp` source package ships real NIST gas-phase spectra; the repository's `data/` gives their
# structures. We simulate the same molecules (they are in the shipped file too) and compare after
# putting both on R23's grid. First the two broadening parameters: a frequency scaling factor and
# the band width, chosen by the mean cosine similarity over all molecules.

# %%
real, ingested = datasets.real_jcamp(data_dir=data_dir)
by_key = {r.get("inchikey"): r for r in records if r["status"] == "ok"}
pairs = [(i, by_key[k]) for i, k in enumerate(real.inchikeys) if k in by_key]
measured = real.x[[i for i, _ in pairs]]
sim_records = [r for _, r in pairs]
table = validation.similarity_grid(sim_records, measured, real.grid, scales, fwhms)
best_scale, best_fwhm, best_similarity = validation.best_setting(table)
fig = px.imshow(table, text_auto=".2f", aspect="auto", color_continuous_scale="Viridis",
                labels={"color": "mean cosine"})  # fmt: skip
fig.update_layout(title="Mean cosine similarity, simulated vs measured", height=380)
fig

# %%
unscaled = table.loc[1.0].max() if 1.0 in table.index else float("nan")
Markdown(
    f"{len(pairs)} of the {len(real)} real spectra have a simulated partner. The best setting is a scaling factor "
    f"of **{best_scale:.2f}** and a width of **{best_fwhm:.0f} cm⁻¹** (mean cosine similarity "
    f"{best_similarity:.2f}; {unscaled:.2f} at the best width without scaling). Literature scaling factors for "
    "GFN2-xTB harmonic frequencies are of this size; the wide band reflects the rotational envelopes of gas-phase "
    "bands, which the harmonic model does not produce."
)

# %% tags=["hide-input"]
similarity = validation.cosine(
    np.array([simulate.broaden(r["wavenumbers"], r["intensities"], real.grid, fwhm=best_fwhm, scale=best_scale)
              for r in sim_records]),
    measured,
)  # fmt: skip
order = np.argsort(similarity)
picks = [order[-1], order[-2], order[len(order) // 2], order[len(order) // 3], order[1], order[0]]
fig = make_subplots(rows=3, cols=2, subplot_titles=[f"{real.names[pairs[k][0]]} (cos {similarity[k]:.2f})"
                                                    for k in picks], vertical_spacing=0.1)  # fmt: skip
for n, k in enumerate(picks):
    row, col = n // 2 + 1, n % 2 + 1
    sim = simulate.broaden(sim_records[k]["wavenumbers"], sim_records[k]["intensities"], real.grid,
                           fwhm=best_fwhm, scale=best_scale)  # fmt: skip
    fig.add_trace(go.Scatter(x=real.grid, y=measured[k], name="measured", line={"color": notebook.PALETTE[0]},
                             showlegend=n == 0), row, col)  # fmt: skip
    fig.add_trace(go.Scatter(x=real.grid, y=sim, name="simulated", line={"color": notebook.PALETTE[1]},
                             showlegend=n == 0), row, col)  # fmt: skip
fig.update_xaxes(autorange="reversed")
fig.update_xaxes(title_text="wavenumber (cm⁻¹)", row=3)
fig.update_layout(height=820, title="Best, middle and worst matches", legend={"orientation": "h", "y": -0.08})
fig

# %%
band_tolerance = 50  # cm⁻¹
bands = validation.band_errors(sim_records, measured, real.grid, best_scale, best_fwhm)
within = (bands["error (cm⁻¹)"].abs() <= band_tolerance).mean()
fig = px.histogram(bands, x="error (cm⁻¹)", nbins=40, title="Strongest measured band: nearest simulated band")
fig.update_layout(height=340)
display(fig)
Markdown(
    f"For {within:.0%} of the molecules the strongest measured band has a strong simulated band within "
    f"±{band_tolerance} cm⁻¹ "
    f"(median absolute error {bands['error (cm⁻¹)'].abs().median():.0f} cm⁻¹)."
)

# %% [markdown]
# ### Throughput
#
# How fast is this for the NIST set? A random sample of the molecules of the NIST gas-phase index
# follows its size distribution; we simulate it from scratch with each number of local worker
# processes in `bench_workers`.

# %%
index = labels.read_index(data_file("nist_gas_ir_index.csv", data_dir))
bench_inchis = ["InChI=" + v for v in index["Inchi"].sample(n_bench, random_state=seed)]
bench = validation.throughput(bench_inchis, bench_workers)
display(bench.round(1))
Markdown(
    f"With {bench.index.max()} workers: **{bench['molecules per hour'].iloc[-1]:,.0f} molecules per hour** on this "
    f"machine ({bench['simulated'].iloc[-1]} of {n_bench} simulated without failure). The whole NIST index would "
    f"take about {len(index) / bench['molecules per hour'].iloc[-1]:.1f} hours here."
)

# %% [markdown]
# ## Discussion
#
# - The physics checks pass: water has three modes and carbon dioxide's symmetric stretch is dark.
# - After a single scaling factor and a broad band shape, simulated spectra resemble measured
#   gas-phase spectra moderately well: the strong bands are mostly where they should be, but
#   relative intensities, overtones, combination bands and the rotational structure are not
#   reproduced. A network trained on simulated spectra therefore meets a domain shift when it is
#   tested on measured ones; the chapter *Benchmarking functional groups* measures how large.
# - What simulation misses: anharmonicity (only partly absorbed by the scaling factor), overtones
#   and combination bands, Fermi resonances, rotational envelopes and their temperature
#   dependence, hot bands, conformer mixtures (we take one RDKit conformer), and for condensed
#   phases hydrogen bonding and solvent shifts. GFN2-xTB itself is a semi-empirical method; its
#   intensities in particular are rough.
# - The cost is small: the data set of this book is computed once and shipped as line spectra
#   (size above); the whole NIST index takes hours on a laptop (estimate above) and minutes on a
#   cluster through `python -m lib simulate --scheduler ADDRESS`.
