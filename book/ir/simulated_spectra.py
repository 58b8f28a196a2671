# %% [markdown]
# # Simulated spectra
#
# **Aim.** Compute infrared spectra from the physics of molecules, so that the book can train and
# explain functional-group networks without the (here unreachable) NIST WebBook
# {cite}`nist_webbook`; check how close such spectra come to measured ones; and measure what it
# costs to simulate the whole NIST gas-phase index that R23 {cite}`rieger2023` trained on.
#
# ## Background
#
# In the harmonic approximation a molecule's vibrations are the eigenvectors of its mass-weighted
# Hessian at the energy minimum; each mode absorbs at its frequency with an intensity proportional
# to the square of the dipole change along it. We compute energies, gradients and dipoles with the
# semi-empirical GFN2-xTB method {cite}`bannwarth2019` (package `tblite`): cheap enough for
# thousands of molecules, and independent of the functional-group labels, so a network trained on
# these spectra cannot simply rediscover rules we wrote. Measured gas-phase spectra differ:
# anharmonicity shifts bands (a scaling factor below 1 corrects much of it), rotational envelopes
# broaden them, and overtones and combination bands add features the harmonic model lacks.
#
# ## Method
#
# `lib.ir.xtb` does one molecule: RDKit 3-D structure (seeded ETKDG, MMFF clean-up) → GFN2-xTB
# optimisation (BFGS on analytic gradients, started from the MMFF Hessian of the embedded
# structure rather than from the identity) → Hessian and dipole derivatives by finite
# differences of analytic gradients and dipoles (central for hydrogen atoms, forward for the
# heavier ones; see *Cost per molecule*) → normal modes with translations and rotations
# projected out → wavenumbers and intensities (km/mol). A saddle point (imaginary mode) is left by
# displacing along the mode and re-optimising. `lib.ir.simulate` runs batches with a cache of
# one JSON file per molecule (InChIKey + settings), in local processes or on Dask, and broadens
# line spectra onto R23's grid only when a data set is built. The NIST index is simulated in the
# background (`python -m lib simulate`); `python -m lib simulate-export` writes its results in
# fixed shards (chunks of the index in order) to `data/nist_xtb/`, each only once all its
# molecules have a result, and this chapter reads those shards.

# %% tags=["parameters"]
data_dir = None  # folder of the data files; None: the repository's data/
molecules_file = "molecules.csv"  # our curated molecule set, beside this chapter
lines_file = "data/xtb_lines.json.gz"  # shipped line spectra of that set (made by this code)
n_fresh = 6  # molecules recomputed from scratch to check the shipped line spectra
n_bench = 8  # NIST molecules (random sample) simulated with each optimiser start and Hessian scheme to time them
n_timed = 100  # NIST molecules (another random sample) simulated from scratch in a timed wall-clock run
timed_workers = 2  # worker processes of that run
shards_dir = "data/nist_xtb"  # line spectra of the NIST index, in shards of 500 molecules
typed_dir = "data/nist_xtb_modes"  # the index re-simulated with mode types, in shards of 200 molecules
dft_dir = "data/dft_modes"  # the B3LYP/6-31G* reference's line spectra, in shards of 10 molecules
dft_molecules_file = "data/dft_molecules.csv"  # the reference's training molecules
dft_exact_dir = "data/dft_modes_exact"  # its first shard computed without density fitting, for comparison
scales = [0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0]  # frequency scaling factors to try
fwhms = [20.0, 30.0, 45.0, 60.0, 90.0]  # band widths (cm⁻¹) to try
seed = 0

# %%
import os
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from IPython.display import Markdown
from plotly.subplots import make_subplots

from lib import notebook, reference
from lib.ir import datasets, dft, labels, mode_physics, modes, molecules, sentences, simulate, validation, xtb
from lib.notebook import glue
from lib.paths import data_file
from lib.tables import glue_table

notebook.setup(seed)

# %% [markdown]
# ## Results
#
# ### Two molecules we can check by hand
#
# Water has $3n - 6 = 3$ modes; carbon dioxide is linear, has $3n - 5 = 4$, and its symmetric
# stretch leaves the dipole unchanged, so it must be IR-inactive ({numref}`tab-simulated-small`).

# %%
small = {"water": "O", "carbon dioxide": "O=C=O"}
lines = {name: xtb.simulate(smiles) for name, smiles in small.items()}

# %% tags=["remove-input"]
rows = [
    {"Molecule": name, "Wavenumber (cm⁻¹)": nu, "Intensity (km/mol)": intensity}
    for name, line in lines.items()
    for nu, intensity in sorted(zip(line.wavenumbers, line.intensities, strict=True))
]
glue_table("tab_small", pd.DataFrame(rows), headers={c: c for c in rows[0]},
           digits={"Wavenumber (cm⁻¹)": 1, "Intensity (km/mol)": 2})  # fmt: skip

# %% [markdown]
# ````{table} The modes of water and carbon dioxide by GFN2-xTB.
# :name: tab-simulated-small
# ```{glue:md} tab_small
# :format: myst
# ```
# ````

# %% [markdown]
# ### Our molecule set
#
# The curated set (`lib.ir.molecules`, written to `molecules.csv`) combines functional-group
# templates with substituents and joins every pair of end groups by short linkers, so that groups
# also occur together. Its label proportions differ from the NIST gas-phase set of R23 by design:
# every group is well represented.

# %% tags=["remove-input"]
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
r23_shares = reference.r23_table1()["proportion"].rename("R23 (NIST)")
compare = pd.concat([ours, r23_shares], axis=1)
status = pd.Series([r["status"] for r in set_records]).value_counts()

# %% tags=["remove-input"]
glue_table("tab_sim_shares", compare.rename_axis("Group"), index=True, digits=3)
Markdown(
    f"{len(mol_table)} molecules; simulation status: "
    + ", ".join(f"{k} {v}" for k, v in status.items())
    + f". The line spectra ship with the book in `{lines_file}` "
    f"({os.path.getsize(lines_file) / 1e6:.2f} MB)."
)

# %% [markdown]
# ````{table} Share of molecules with each group in our simulated set and in R23's NIST set.
# :name: tab-simulated-shares
# ```{glue:md} tab_sim_shares
# :format: myst
# ```
# ````
#
# Molecules marked `imaginary` kept an imaginary mode after re-optimisation; they are left out of
# the data sets, as are failures. Are the shipped line spectra what this code computes? We
# recompute a random sample from scratch, with the settings each record says it was made with:

# %%
rng = np.random.default_rng(seed)
drawn = rng.choice(len(mol_table), n_fresh, replace=False)
sample = [mol_table[i]["smiles"] for i in drawn]
made_with = {simulate.Settings.from_record(by_input[s]["settings"]) for s in sample}
assert len(made_with) == 1, f"the sample mixes settings: {made_with}"
with tempfile.TemporaryDirectory() as tmp:
    fresh = simulate.run_batch(sample, tmp, settings=made_with.pop(), progress=False)
both_ok = [
    (f["wavenumbers"], by_input[s]["wavenumbers"])
    for f, s in zip(fresh, sample, strict=True)
    if f["status"] == "ok" and by_input[s]["status"] == "ok"
]
r23_grid = reference.r23_grid()
check = sentences.recompute_check(both_ok, tolerance=float(r23_grid[1] - r23_grid[0]))
Markdown(sentences.recompute_sentence(check))

# %% [markdown]
# ### Simulated against measured
#
# The `jcamp` source package ships real NIST gas-phase spectra; the repository's `data/` gives their
# structures. We simulate the same molecules (they are in the shipped file too) and compare after
# putting both on R23's grid. First the two broadening parameters: a frequency scaling factor and
# the band width, chosen by the mean cosine similarity over all molecules
# ({numref}`fig-simulated-grid`).

# %%
real, ingested = datasets.real_jcamp(data_dir=data_dir)
by_key = {r.get("inchikey"): r for r in records if r["status"] == "ok"}
pairs = [(i, by_key[k]) for i, k in enumerate(real.inchikeys) if k in by_key]
measured = real.x[[i for i, _ in pairs]]
sim_records = [r for _, r in pairs]
table = validation.similarity_grid(sim_records, measured, real.grid, scales, fwhms)
best_scale, best_fwhm, best_similarity = validation.best_setting(table)

# %% tags=["remove-input"]
fig = px.imshow(table, text_auto=".2f", aspect="auto", color_continuous_scale="Viridis",
                labels={"color": "mean cosine"})  # fmt: skip
fig.update_layout(height=380)
notebook.glue_figure("fig_grid", fig)

# %% [markdown]
# ```{glue:figure} fig_grid
# :name: fig-simulated-grid
# Mean cosine similarity of simulated and measured spectra, for every frequency scaling factor
# (rows) and band width in cm⁻¹ (columns).
# ```

# %% tags=["remove-input"]
unscaled = table.loc[1.0].max() if 1.0 in table.index else float("nan")
glue("best_scale", best_scale, display=False)
glue("best_similarity", best_similarity, display=False)
Markdown(
    f"{len(pairs)} of the {len(real)} real spectra have a simulated partner. The best setting is a scaling factor "
    f"of {best_scale:.2f} and a width of {best_fwhm:.0f} cm⁻¹ (mean cosine similarity "
    f"{best_similarity:.2f}; {unscaled:.2f} at the best width without scaling). Literature scaling factors for "
    "GFN2-xTB harmonic frequencies are of this size; the wide band reflects the rotational envelopes of gas-phase "
    "bands, which the harmonic model does not produce. "
    "{numref}`fig-simulated-matches` shows the best, middle and worst matches."
)

# %% tags=["remove-input"]
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
fig.update_layout(height=820, legend={"orientation": "h", "y": -0.08})
notebook.glue_figure("fig_matches", fig)

# %% [markdown]
# ```{glue:figure} fig_matches
# :name: fig-simulated-matches
# Best, middle and worst matches of simulated (broadened with the best setting) and measured
# spectra, with their cosine similarity.
# ```

# %%
band_tolerance = 50  # cm⁻¹
bands = validation.band_errors(sim_records, measured, real.grid, best_scale, best_fwhm)
within = (bands["error (cm⁻¹)"].abs() <= band_tolerance).mean()

# %% tags=["remove-input"]
fig = px.histogram(bands, x="error (cm⁻¹)", nbins=40)
fig.update_layout(height=340)
notebook.glue_figure("fig_bands", fig)
glue("band_within", 100 * within, display=False)
glue("band_tolerance", band_tolerance, display=False)
glue("band_median_error", bands["error (cm⁻¹)"].abs().median(), display=False)
glue("band_n", len(bands), display=False)
glue("band_verdict", "most" if within >= 0.75 else "about half" if within >= 0.4 else "a minority", display=False)

# %% [markdown]
# ```{glue:figure} fig_bands
# :name: fig-simulated-bands
# Distance from the strongest measured band to the nearest of the three strongest simulated bands.
# ```
#
# For {glue:text}`band_within:.0f` % of the {glue:text}`band_n` molecules
# ({numref}`fig-simulated-bands`) the strongest
# measured band has one of the three strongest simulated bands within ±{glue:text}`band_tolerance`
# cm⁻¹ (median absolute error {glue:text}`band_median_error:.0f` cm⁻¹): {glue:text}`band_verdict`
# of the molecules, not all.

# %% [markdown]
# ### Cost per molecule
#
# What does one NIST molecule cost? A random sample of the NIST gas-phase index follows its size
# distribution. We simulate each molecule from scratch five times, one after the other in this
# process: with BFGS started from the identity (the plain optimiser) and from the MMFF Hessian,
# and, from the MMFF start, with three cheaper Hessians: one-sided (forward) differences for
# every coordinate (three gradients per atom instead of six), central differences for the
# hydrogen atoms only, whose X–H stretches are the most anharmonic modes, with forward
# differences for the heavier atoms, and central differences only along each X–H bond. We count
# CPU seconds of this process, not wall time: other jobs on the machine slow the wall clock but
# not the CPU time a molecule needs; the
# number of GFN2-xTB single points does not depend on the machine at all. Each molecule runs with
# one BLAS thread (`lib.ir.simulate.simulate_record`): its matrices are tiny, and a threaded
# eigendecomposition of a small Hessian spins on a busy machine for far more CPU time than it
# saves; parallelism comes from the worker processes.

# %%
index = labels.read_index(data_file("nist_gas_ir_index.csv", data_dir))
index_inchis = list(dict.fromkeys("InChI=" + index["Inchi"]))
bench_inchis = list(pd.Series(index_inchis).sample(n_bench, random_state=seed))
schemes = {
    "identity start": simulate.Settings(
        initial_hessian="identity", differences="central"
    ),
    "force-field start": simulate.Settings(differences="central"),
    "forward differences": simulate.Settings(differences="forward"),
    "hydrogen-central differences": simulate.Settings(differences="hydrogen-central"),
    "bond-central differences": simulate.Settings(differences="bond-central"),
}
in_use = next(name for name, s in schemes.items() if s == simulate.Settings())
runs = validation.cost(bench_inchis, schemes)
records = {name: list(runs.loc[runs["setting"] == name, "record"]) for name in schemes}
shifts = validation.line_differences(
    records["identity start"], records["force-field start"]
)
# central differences: the reference
scheme_shifts = validation.scheme_table(runs, "force-field start")

# %% tags=["remove-input"]
load = os.getloadavg()[0]
per_setting = runs.groupby("setting", sort=False)[["cpu seconds", "single points"]]
glue_table("tab_cost", per_setting.agg(["median", "sum"]).rename_axis("Setting"), index=True,
           headers={"Setting": "Setting", "cpu seconds median": "CPU seconds, median",
                    "cpu seconds sum": "CPU seconds, sum",
                    "single points median": "Single points, median", "single points sum": "Single points, sum"},
           digits={"cpu seconds median": 2, "cpu seconds sum": 1, "single points median": 1, "single points sum": 0})
scheme_digits = {"speed-up": 2, "fewer single points": 2, "molecules per hour": 0, "imaginary": 0,
                 "median shift (cm⁻¹)": 1, "max shift (cm⁻¹)": 1, "min cosine": 3}
# CPU seconds and single points are in the cost table above; this one compares the schemes
glue_table("tab_schemes", scheme_shifts[list(scheme_digits)].rename_axis("Setting"), index=True,
           digits=scheme_digits)
fig = px.scatter(runs, x="atoms", y="cpu seconds", color="setting", symbol="setting",
                 hover_data=["molecule", "single points"], color_discrete_sequence=notebook.PALETTE)  # fmt: skip
fig.update_layout(height=380, yaxis_title="CPU seconds per molecule", legend={"orientation": "h", "y": -0.2})
notebook.glue_figure("fig_cost", fig)

# %% [markdown]
# ````{table} CPU seconds and GFN2-xTB single points per molecule, by optimiser start and Hessian scheme.
# :name: tab-simulated-cost
# ```{glue:md} tab_cost
# :format: myst
# ```
# ````
#
# ````{table} Each scheme against central differences: speed, single points saved and how far modes move.
# :name: tab-simulated-schemes
# ```{glue:md} tab_schemes
# :format: myst
# ```
# ````
#
# ```{glue:figure} fig_cost
# :name: fig-simulated-cost
# CPU time per NIST molecule, by optimiser start and Hessian scheme.
# ```

# %% tags=["remove-input"]
cpu = runs.groupby("setting")["cpu seconds"]
calls = runs.groupby("setting")["single points"].sum()
glue("cost_n", n_bench, display=False)
glue("cost_median_before", cpu.median()["identity start"], display=False)
glue("cost_median_after", cpu.median()["force-field start"], display=False)
glue("cost_speedup", cpu.sum()["identity start"] / cpu.sum()["force-field start"], display=False)
glue("calls_ratio", calls["identity start"] / calls["force-field start"], display=False)
glue("per_hour_before", 2 * 3600 / cpu.mean()["identity start"], display=False)
glue("per_hour_after", 2 * 3600 / cpu.mean()["force-field start"], display=False)
glue("index_unique", len(index_inchis), display=False)
glue("shift_max", shifts["max shift (cm⁻¹)"].max(), display=False)
glue("shift_median", shifts["max shift (cm⁻¹)"].median(), display=False)
glue("shift_cosine", shifts["cosine"].min(), display=False)
glue("load", load, display=False)
glue("cores", os.cpu_count(), display=False)
for key, name in (("fwd", "forward differences"), ("hyb", "hydrogen-central differences"),
                  ("bond", "bond-central differences")):
    row = scheme_shifts.loc[name]
    glue(f"{key}_speedup", row["speed-up"], display=False)
    glue(f"{key}_calls", row["fewer single points"], display=False)
    glue(f"{key}_per_hour", row["molecules per hour"], display=False)
    glue(f"{key}_shift_median", row["median shift (cm⁻¹)"], display=False)
    glue(f"{key}_shift_max", row["max shift (cm⁻¹)"], display=False)
    glue(f"{key}_imaginary", int(row["imaginary"]), display=False)
glue("target_per_hour", simulate.TARGET_PER_HOUR, display=False)
glue("in_use", in_use, display=False)
glue("per_hour_in_use", scheme_shifts.loc[in_use, "molecules per hour"], display=False)

# %% [markdown]
# {numref}`tab-simulated-cost`, {numref}`tab-simulated-schemes` and {numref}`fig-simulated-cost`
# hold the measurements. Starting from the force-field Hessian, a molecule needs {glue:text}`cost_median_after:.1f` CPU
# seconds (median of {glue:text}`cost_n`) instead of {glue:text}`cost_median_before:.1f`; over
# the sample, the identity start takes {glue:text}`cost_speedup:.1f` times the CPU time and
# {glue:text}`calls_ratio:.1f` times the single points of the force-field start: in CPU time alone,
# two cores would do {glue:text}`per_hour_after:,.0f` molecules per hour instead of
# {glue:text}`per_hour_before:,.0f` with central differences (an estimate; the timed run below is
# the measurement). The spectra stay the same within the optimiser's
# convergence: the largest shift of a mode above 100 cm⁻¹ is {glue:text}`shift_max:.1f` cm⁻¹
# (median over molecules {glue:text}`shift_median:.2f` cm⁻¹), and the broadened spectra have a
# cosine similarity of at least {glue:text}`shift_cosine:.4f`. The machine's one-minute load
# average was {glue:text}`load:.1f` on {glue:text}`cores` cores during the measurement. CPU
# seconds grow on a busy machine too (shared cores and caches), so compare the settings of one run
# with each other rather than with another run's.
#
# The remaining time goes mostly to the Hessian: central differences need six gradients per atom.
# Forward differences need half as many: {glue:text}`fwd_calls:.2f` times fewer single points in
# all, a molecule {glue:text}`fwd_speedup:.2f` times cheaper in CPU time
# ({glue:text}`fwd_per_hour:,.0f` molecules per hour), but their error grows with the step
# instead of its square: modes above 100 cm⁻¹ move by up to {glue:text}`fwd_shift_max:.1f` cm⁻¹
# (median over molecules {glue:text}`fwd_shift_median:.1f` cm⁻¹), mostly the anharmonic X–H
# stretches, and {glue:text}`fwd_imaginary:d` molecule(s) end with an imaginary mode. Central
# differences for the hydrogen atoms only, forward for the heavier atoms, keep those stretches:
# shifts of at most {glue:text}`hyb_shift_max:.1f` cm⁻¹ (median {glue:text}`hyb_shift_median:.1f`),
# the size of the optimiser's own convergence, {glue:text}`hyb_imaginary:d` imaginary mode(s), with
# {glue:text}`hyb_calls:.2f` times fewer single points and {glue:text}`hyb_speedup:.2f` times less
# CPU time (CPU time is the noisier of the two on a shared machine). Only the stretch along the
# X–H bond is strongly anharmonic, so the bond-central scheme displaces each hydrogen along its bond
# to the nearest atom by central differences and across it by forward ones: four gradients per
# hydrogen instead of six (the Hessian is linear in the displacement, so the columns of the rotated
# frame give the Cartesian ones). Its modes move by at most {glue:text}`bond_shift_max:.1f` cm⁻¹
# (median {glue:text}`bond_shift_median:.1f`), {glue:text}`bond_imaginary:d` imaginary mode(s), with
# {glue:text}`bond_calls:.2f` times fewer single points and {glue:text}`bond_speedup:.2f` times less
# CPU time than central differences. Every scheme also answers the optimiser's last point, which the
# forward differences need as their reference, from memory. The settings in use
# (`lib.ir.simulate.Settings`) are the *{glue:text}`in_use`* row ({glue:text}`per_hour_in_use:,.0f`
# molecules per hour estimated from CPU time; measured on the wall clock below). Spectra made
# earlier with central differences for every coordinate are kept:
# they are the more accurate of the two.

# %% [markdown]
# The CPU-time figures above assume both cores busy all the time with nothing else. What the
# simulation of the index actually achieves is measured on the wall clock: another random sample of
# the index, simulated from scratch with the settings in use by `lib.ir.simulate.run_batch` with
# its worker processes (`lib.ir.validation.timed_batch`), the way `python -m lib simulate
# --workers 2` runs.

# %%
remaining = [m for m in index_inchis if m not in set(bench_inchis)]
timed_inchis = list(pd.Series(remaining).sample(n_timed, random_state=seed + 1))
timed = validation.timed_batch(timed_inchis, workers=timed_workers)

# %% tags=["remove-input"]
glue("timed_n", timed["n"], display=False)
glue("timed_ok", timed["ok"], display=False)
glue("timed_workers", timed["workers"], display=False)
glue("timed_wall", timed["wall_s"], display=False)
glue("timed_per_hour", timed["per_hour"], display=False)
glue("timed_load", timed["load_before"], display=False)
glue("timed_load_after", timed["load_after"], display=False)
glue("index_hours_in_use", len(index_inchis) / timed["per_hour"], display=False)
glue("target_verdict", "reaches" if timed["per_hour"] >= simulate.TARGET_PER_HOUR else "falls short of", display=False)

# %% [markdown]
# {glue:text}`timed_n:d` molecules ({glue:text}`timed_ok:d` simulated successfully) with
# {glue:text}`timed_workers:d` worker processes took {glue:text}`timed_wall:.0f` s on the wall
# clock: {glue:text}`timed_per_hour:,.0f` molecules per hour, the index in about
# {glue:text}`index_hours_in_use:.1f` hours, which {glue:text}`target_verdict` the
# {glue:text}`target_per_hour:,` molecules per hour we aimed at. The machine's one-minute load
# average was {glue:text}`timed_load:.1f` before and {glue:text}`timed_load_after:.1f` after the run
# on {glue:text}`cores` cores: other jobs share the cores, so on an idle machine it would be faster.

# %% [markdown]
# ### Errors per mode type, and their corrections
#
# One scaling factor treats every band alike, but GFN2-xTB errs differently for different bonds.
# Each line of a new simulation therefore carries its **mode type** (`lib.ir.modes`): for every
# bond, the share of the mode's potential energy in stretching that bond (its diagonal force
# constant from the Hessian times the squared bond-length change, over the mode's energy: the
# diagonal terms of a potential-energy distribution); the shares are summed per bond type (O–H,
# N–H, S–H, C–H by the carbon's hybridisation, C=O, C≡N, C≡C, C=C, C–F, C–Cl, C–Br, N=O, aromatic
# ring, other skeletal bonds), the largest sum names the mode, and a mode whose stretches hold
# under {glue:text}`min_stretch_share:.0%` of its energy is a deformation. Every molecule also
# carries its rotational constants from the optimised geometry. For acetonitrile:

# %%
line = xtb.simulate("CC#N")
typed = pd.DataFrame({"wavenumber": line.wavenumbers, "intensity": line.intensities, "type": line.types})
typed = typed[typed["intensity"] > 1.0].sort_values("wavenumber")
typed["type"] = typed["type"].map(modes.TYPE_NAMES)
glue_table("tab_acetonitrile_types", typed, headers={"wavenumber": "Wavenumber (cm⁻¹)",
           "intensity": "Intensity (km/mol)", "type": "Mode type"}, digits=0)  # fmt: skip
glue("min_stretch_share", modes.MIN_STRETCH_SHARE, display=False)
glue("acn_b", line.rotational_constants[1], display=False)
glue("acn_separation", mode_physics.pr_separation(line.rotational_constants), display=False)

# %% [markdown]
# ````{table} Acetonitrile's GFN2-xTB lines above 1 km/mol with their mode types.
# :name: tab-acetonitrile-types
# ```{glue:md} tab_acetonitrile_types
# :format: myst
# ```
# ````
#
# **Corrections and their sources.** We found no published per-type comparison of GFN2-xTB's
# frequencies or intensities with experiment (the method's paper {cite}`bannwarth2019` reports
# overall deviations). Each frequency factor is therefore made from a textbook group-frequency
# range {cite}`silverstein2005,socrates2001` (`data/group_frequencies.csv`, which names the table
# for each type): the centre of the range divided by GFN2-xTB's mean wavenumber of that type over
# the *training* molecules of the index simulated so far, never over the measured spectra; its
# spread is a quarter of the range ({numref}`tab-mode-corrections`, `data/xtb_mode_corrections.csv`,
# made by `python -m lib mode-corrections`). Types without a textbook band keep the global scale
# and intensities stay as computed until the DFT reference below covers them. Rotational band
# contours replace the one fitted width: a rigid rotor's P and R branches peak √(8BkT/hc) apart {cite}`herzberg1945`
# (acetonitrile: B = {glue:text}`acn_b:.3f` cm⁻¹, {glue:text}`acn_separation:.0f` cm⁻¹ at 298 K).
# This physics is version 2 of the protocol's validation physics (`book/ir/PROTOCOL.md`), on which
# the recipe of the shipped ensemble was chosen (chapter *Benchmarking functional groups*).

# %%
corrections = pd.read_csv(data_file(mode_physics.CORRECTIONS, data_dir))
ranges = mode_physics.textbook_ranges(data_file(mode_physics.GROUP_FREQUENCIES, data_dir))
shown = corrections.merge(ranges[["type", "low", "high"]], on="type").dropna(subset=["freq_factor"])
shown["band"] = [f"{lo:,.0f}–{hi:,.0f}" for lo, hi in zip(shown["low"], shown["high"], strict=True)]
shown["xtb_mean"] = 0.5 * (shown["low"] + shown["high"]) / shown["freq_factor"]
shown["type"] = shown["type"].map(modes.TYPE_NAMES)
glue_table("tab_mode_corrections", shown, headers={"type": "Mode type", "band": "Textbook band (cm⁻¹)",
           "xtb_mean": "GFN2-xTB mean (cm⁻¹)", "n_lines": "Training lines", "freq_factor": "Factor",
           "freq_sd": "Spread (sd)"}, digits={"xtb_mean": 0, "n_lines": 0, "freq_factor": 3, "freq_sd": 3})  # fmt: skip
glue("n_corrected_types", len(shown), display=False)

# %% [markdown]
# ````{table} Frequency factor per mode type: textbook band over GFN2-xTB's training mean, with its spread.
# :name: tab-mode-corrections
# ```{glue:md} tab_mode_corrections
# :format: myst
# ```
# ````

# %% [markdown]
# **Intensities: a DFT reference.** Intensities have no textbook band to divide by, and we found no
# published per-type comparison of GFN2-xTB's with experiment. Their source is therefore a better
# method run through the very same pipeline: B3LYP/6-31G* {cite}`becke1993` in PySCF
# {cite}`sun2020` (`lib.ir.dft`; its two-electron integrals density-fitted for speed), on small
# *training* molecules, up to {glue:text}`dft_per_type` per mode type of at most
# {glue:text}`dft_max_atoms` atoms, fewest atoms first, the list cut to its first
# {glue:text}`dft_n_planned` molecules for compute time (the protocol's seventh amendment;
# `python -m lib dft-molecules`, `data/dft_molecules.csv`), each optimised from GFN2-xTB's
# minimum and given the same finite-difference Hessian and the same mode types.
# Per type and molecule the two methods' summed intensities are compared; the median ratio
# over molecules becomes the type's intensity shift once {glue:text}`dft_min_molecules` molecules
# cover it, and the median ratio of B3LYP's wavenumbers, scaled by {glue:text}`dft_scale:.4f`
# {cite}`scott1996`, gives the types without a textbook band (ring, skeletal, deformation) their
# frequency factor ({numref}`tab-dft-reference`). {glue:text}`dft_sentence`
# {glue:text}`dft_fitting` The corrections table above took these
# values in one commit, before any candidate recipe was trained on the per-type physics.

# %% tags=["remove-input"]
typed_records = simulate.load_shards(typed_dir) if os.path.isdir(typed_dir) else []
comparison, dft_method, n_done = mode_physics.reference_comparison(dft_dir, typed_records)
reference_table = mode_physics.reference_frame(comparison)
n_planned = len(pd.read_csv(dft_molecules_file))
dft_records = simulate.load_shards(dft_dir)
n_left_out = sum(r.get("status") == "imaginary" for r in dft_records)
glue("dft_sentence", sentences.dft_reference(reference_table, n_done, n_planned, dft.describe(dft_method),
                                             n_left_out=n_left_out), display=False)  # fmt: skip
exact_shards = simulate.load_shards(dft_exact_dir) if os.path.isdir(dft_exact_dir) else []
fitted = dft.parse(dft_method)[2] and exact_shards
glue("dft_fitting", sentences.density_fitting(dft.fitting_effect(exact_shards, dft_records))
     if fitted else "", display=False)  # fmt: skip
glue("dft_per_type", dft.PER_TYPE, display=False)
glue("dft_max_atoms", dft.MAX_ATOMS, display=False)
glue("dft_n_planned", n_planned, display=False)
glue("dft_scale", dft.scale(dft_method), display=False)
glue("dft_min_molecules", mode_physics.MIN_REFERENCE_MOLECULES, display=False)
glue_table("tab_dft_reference", reference_table, headers={"type": "Mode type", "molecules": "Molecules",
           "intensity": "GFN2-xTB ÷ B3LYP intensity (median)", "spread": "Spread (× or ÷, 1 sd)",
           "wavenumber": "GFN2-xTB ÷ scaled B3LYP wavenumber", "used": "Enters the corrections"},
           digits={"molecules": 0, "intensity": 2, "spread": 2, "wavenumber": 3})  # fmt: skip

# %% [markdown]
# ````{table} GFN2-xTB against the B3LYP/6-31G* reference per mode type, on the same training molecules.
# :name: tab-dft-reference
# ```{glue:md} tab_dft_reference
# :format: myst
# ```
# ````

# %% [markdown]
# ### Coverage of the NIST index
#
# How far has the simulation of the NIST index come? Each shard in `data/nist_xtb/` holds
# {glue:text}`shard_size` consecutive molecules of the index, written once every one of them has
# a result.

# %%
shards = simulate.load_shards(shards_dir) if os.path.isdir(shards_dir) else []
statuses = Counter(r["status"] for r in shards)
failed = [r for r in shards if r["status"] != "ok"]
reasons = pd.Series([str(r.get("reason")).split(" (")[0] for r in failed], dtype=str)
reason_table = reasons.value_counts().rename_axis("Reason").rename("Molecules")
glue_table("tab_sim_reasons", reason_table.to_frame(), missing="no failed molecule", index=True)
glue("shard_size", simulate.SHARD_SIZE, display=False)
glue("cov_shards", len(list(Path(shards_dir).glob("part-*.json.gz"))), display=False)
glue("cov_molecules", len(shards), display=False)
glue("cov_share", 100 * len(shards) / len(index_inchis), display=False)
glue("cov_ok", statuses["ok"], display=False)
glue("cov_imaginary", statuses["imaginary"], display=False)
glue("cov_failed", statuses["failed"], display=False)
glue("cov_ok_share", 100 * statuses["ok"] / max(1, len(shards)), display=False)

# %% [markdown]
# ````{table} Why simulations of the NIST index failed or kept an imaginary mode: molecules per reason.
# :name: tab-simulated-reasons
# ```{glue:md} tab_sim_reasons
# :format: myst
# ```
# ````
#
# {glue:text}`cov_shards` complete shards hold {glue:text}`cov_molecules:,` molecules,
# {glue:text}`cov_share:.1f` % of the {glue:text}`index_unique:,` distinct molecules of the index:
# {glue:text}`cov_ok:,` usable spectra ({glue:text}`cov_ok_share:.1f` %),
# {glue:text}`cov_imaginary:,` with an imaginary mode left after re-optimisation and
# {glue:text}`cov_failed:,` failures; {numref}`tab-simulated-reasons` gives the reasons of the last
# two kinds.
# The simulation resumes where it stopped and writes a shard once all its molecules have a result;
# every shard was computed with the same code and settings (a shard does not record the CPU).
# The models of the chapters that follow, *Training the CNN*, *Benchmarking functional groups*
# and *What the network learns*, use these spectra, in R23's split, as their default data; the
# simulation-trained ensemble of `python -m lib predict --model sim` is trained on the same index
# re-simulated with mode types (`data/nist_xtb_modes`) under the per-type physics above.

# %% [markdown]
# ## Discussion
#
# - The physics checks pass: water has three modes and carbon dioxide's symmetric stretch is dark.
# - After a single scaling factor ({glue:text}`best_scale:.2f`) and a broad band shape, simulated
#   spectra resemble measured gas-phase spectra moderately (mean cosine similarity
#   {glue:text}`best_similarity:.2f`); the strongest measured band has a simulated partner within
#   ±{glue:text}`band_tolerance` cm⁻¹ for {glue:text}`band_within:.0f` % of the molecules.
#   Relative intensities, overtones, combination bands and the rotational structure are not
#   reproduced by the plain simulation; the per-type corrections and rotational contours above
#   address intensities and band shapes, while overtones and combination bands stay absent. A
#   network trained on simulated spectra therefore meets a domain shift when it is tested on
#   measured ones; the chapter *Benchmarking functional groups* measures how large.
# - What simulation misses: anharmonicity (only partly absorbed by the scaling factor), overtones
#   and combination bands, Fermi resonances, rotational fine structure beyond a rigid rotor's P/R
#   contour at one temperature, hot bands, conformer mixtures (we take one RDKit conformer), and for condensed
#   phases hydrogen bonding and solvent shifts. GFN2-xTB itself is a semi-empirical method; its
#   intensities in particular are rough.
# - The cost is modest: the data set of this book is computed once and shipped as line spectra,
#   and starting the optimiser from the force-field Hessian divides the CPU time per NIST
#   molecule by {glue:text}`cost_speedup:.1f` on the sample above without changing the spectra
#   beyond the optimiser's convergence. The Hessian by central differences is now the larger part; an analytic Hessian,
#   which `tblite` does not offer, would be the next step. The same command spreads the work over
#   a Dask cluster (`--scheduler ADDRESS`); we have not timed one.
