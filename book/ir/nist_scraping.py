# %% [markdown]
# # Scraping the NIST WebBook
#
# **Aim.** Show how R23's data come from the NIST Chemistry WebBook: how the site answers, how our
# client downloads spectra and InChIs politely and resumably, what the downloaded JCAMP-DX files
# contain, and how they become spectra on one common grid, with a quality report of every file.

# %% tags=["parameters"]
base_url = None  # None: a local replay server on real NIST files; a URL (https://webbook.nist.gov): the live site
data_dir = None  # folder of the data files; None: the repository's data/
structures_file = "jcamp_ir_structures.csv"  # InChIs of the replayed files
index_file = "nist_gas_ir_index.csv"  # compound ids to fetch from the live site
# faults injected by the replay server (KIND:MATCH:TIMES:SKIP; see lib.ir.replay); MATCH is part of the URL
faults = ["500:C71432&Index:2", "429::1:5", "timeout::1:20", "truncate::1:40", "html:GetInChI:1:10"]
n_compounds = 0  # compounds to fetch; 0: all the replay serves (live: give a number, 5 s each)
delay = -1.0  # seconds between compounds; < 0: 0 on the replay, 5 live
timeout = -1.0  # seconds per request; < 0: 2 on the replay (its timeout fault holds 5 s), 30 live
backoff = 0.5  # first retry wait (s), doubling; Retry-After wins when the server sends it
n_show = 3  # compounds drawn raw and gridded
seed = 0

# %%
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from myst_nb import glue
from plotly.subplots import make_subplots

from lib import notebook
from lib.ir import crawl_report, ingest, jcamp_source, nist, replay
from lib.paths import cache_dir, data_file
from lib.tables import glue_table

notebook.setup(seed)

# %% [markdown]
# ## Background
#
# The WebBook (NIST Standard Reference Database 69) holds, among much else, many thousands
# of IR spectra as JCAMP-DX text files. Three kinds of request are all a scraper needs
# ({numref}`tab-scraping-requests`):
#
# ````{table} The three kinds of request a scraper needs, and what the WebBook answers.
# :name: tab-scraping-requests
# | What | Request | Answer |
# |---|---|---|
# | a spectrum | `/cgi/cbook.cgi?JCAMP=C{ID}&Index={i}&Type=IR` | a JCAMP-DX file, or the not-found body |
# | an InChI | `/cgi/cbook.cgi?GetInChI=C{ID}` | one line of plain text |
# | the species list | `/chemistry/download/` | tab-separated name, formula, CAS number |
# ````
#
# The not-found body, past the last spectrum of a compound, is the two lines `##TITLE=Spectrum not
# found.` and `##END=`. `ID` is the CAS registry number without dashes (benzene, 71-43-2, is
# `C71432`) or a NIST id; `Index` counts 0, 1, … over the IR spectra of one compound (gas, liquid,
# solid, from different collections). A JCAMP-DX file is a header of `##LABEL=value` lines —
# `##STATE=`, `##XUNITS=`, `##YUNITS=`, `##ORIGIN=`, `##CAS REGISTRY NO=` — followed by the data,
# often in a compressed form. NIST files are latin-1. R23's released code keeps only gas-phase
# spectra in absorbance against wavenumber (1/CM) and interpolates them onto `linspace(500, 3900,
# 850)` cm⁻¹.
#
# ## Method
#
# `lib.ir.nist` is the client. It sends a descriptive User-Agent, waits a crawl delay between
# compounds, and retries timeouts, dropped connections, 429 (honouring `Retry-After`) and 5xx with
# exponential back-off, a bounded number of times. Each compound is walked `Index=0, 1, …` until
# "not found", then its InChI is fetched. Every spectrum is checked (a complete JCAMP-DX file ending
# in `##END=`, not an HTML page) and written atomically, one file per spectrum, with a manifest;
# a rerun skips what is on disk, so an interrupted crawl loses nothing. `lib.ir.ingest` reads
# the files with the `jcamp` package, filters on state and units, converts units, sorts and
# de-duplicates x, interpolates onto the grid (zero outside the measured range) and divides by the
# maximum; a bad file is reported with the field and reason, and the batch goes on.
#
# By default this chapter runs offline: it crawls `lib.ir.replay`, a real HTTP
# server on 127.0.0.1 that answers exactly like the WebBook from the real NIST JCAMP-DX files in
# the `jcamp` 1.3.2 source distribution, with InChIs from a structures table, and that injects the
# faults listed in the parameters (a 500, a 429 with `Retry-After`, a request held past the client's
# timeout, a body cut in half, an HTML error page with status 200).
#
# ## Results
#
# ### A crawl

# %% tags=["remove-input"]
live = base_url is not None
live_delay = 5.0  # seconds between compounds on the live site
server = None
if live:
    ids = nist.read_ids(data_file(index_file, data_dir))[: n_compounds or 5]
    out = cache_dir("nist_webbook")  # kept: a rerun resumes
    url = base_url
else:
    folder = jcamp_source.infrared_dir()  # downloads the sdist with pip once, then cached
    fault_rules = [replay.parse_fault(f) for f in faults]
    structures = data_file(structures_file, data_dir)
    server = replay.ReplayServer(folder, structures, faults=fault_rules).start()
    ids = server.catalogue.ids[: n_compounds or None]
    out = Path(tempfile.mkdtemp(prefix="nist_replay_"))
    url = server.url
request_timeout = timeout if timeout > 0 else (30.0 if live else 2.0)
crawl_delay = delay if delay >= 0 else (live_delay if live else 0.0)

# %% [markdown]
# The crawl itself is three lines: a client with its time-out and back-off, a fetch of every
# compound id into a folder, and a summary of the manifest that the fetch wrote.

# %%
client = nist.WebBookClient(url, timeout=request_timeout, backoff=backoff, max_retries=5)
manifest = nist.fetch(ids, out, client=client, delay=crawl_delay, progress=False)
counts = nist.summary(manifest, ids)

# %% tags=["remove-input"]
first_requests = client.requests
glue("crawl_target", f"the live WebBook at {url}" if live else "the replay server", display=False)
for key in ("compounds", "done", "failed", "spectra", "inchi"):
    glue(f"crawl_{key}", int(counts[key]), display=False)
glue("crawl_requests", int(first_requests), display=False)

# %% [markdown]
# We crawled {glue:text}`crawl_target`: {glue:text}`crawl_compounds` compounds, of which
# {glue:text}`crawl_done` were completed and {glue:text}`crawl_failed` failed, saving
# {glue:text}`crawl_spectra` spectra and {glue:text}`crawl_inchi` InChIs with
# {glue:text}`crawl_requests` HTTP requests (retries included). {numref}`tab-scraping-faults` lists
# the requests that met an injected fault (none on the live site).
#
# ````{table} Requests that met a fault injected by the replay server, in the order they were sent.
# :name: tab-scraping-faults
# ```{glue:md} tab_faults
# :format: myst
# ```
# ````

# %% tags=["remove-input"]
if server is not None:
    hit = crawl_report.fault_table(server)
else:
    hit = pd.DataFrame(columns=["request", "fault"])
glue_table("tab_faults", hit, headers={"request": "Request", "fault": "Fault"})
glue("faults_hit", len(hit), display=False)
glue("requests_served", len(server.log) if server is not None else int(first_requests), display=False)
glue(
    "fault_outcome",
    "every compound was still completed"
    if counts["failed"] == 0
    else f"{counts['failed']} compound(s) failed for good",
    display=False,
)
glue("user_agent", client.session.headers["User-Agent"], display=False)

# %% [markdown]
# The server injected {glue:text}`faults_hit` faults in {glue:text}`requests_served` requests;
# the client retried each, and {glue:text}`fault_outcome`. The client identifies itself with the
# User-Agent "{glue:text}`user_agent`".
#
# A second run over the same folder should send no request at all, since everything is on disk:

# %%
nist.fetch(ids, out, client=client, delay=0.0, progress=False)
second_run_requests = client.requests - first_requests

# %% tags=["remove-input"]
compounds = manifest["compounds"]
failed = {cid: e["error"] for cid, e in compounds.items() if e["status"] == "failed"}
glue("second_run_requests", int(second_run_requests), display=False)
failed_text = "; ".join(f"{cid}: {err}" for cid, err in failed.items())
glue("failed_list", failed_text or "none", display=False)

# %% [markdown]
# Requests in the second run: {glue:text}`second_run_requests`. Compounds that failed for good:
# {glue:text}`failed_list`.

# %% [markdown]
# ### What the files contain

# %% [markdown]
# Ingestion reads every downloaded file twice: once converting units where it can, once with
# R23's strict filter that converts nothing.

# %%
converting = ingest.ingest([out / "spectra"], filters=ingest.CONVERTING_FILTERS)
strict = ingest.ingest([out / "spectra"], filters=ingest.R23_FILTERS)

# %% tags=["remove-input"]
sources = crawl_report.source_files(server, out) if server is not None else None
qc, kept = crawl_report.qc_overview(converting, sources)
numbers = crawl_report.file_numbers(qc, kept, strict)
for key, value in numbers.items():
    glue(f"files_{key}", value, display=False)
glue(
    "wavelength_use",
    "is used"
    if numbers["wavelength_files"]
    else "is not exercised by these files (the tests cover it)",
    display=False,
)
fields = {"state": "State", "xunits": "x units", "yunits": "y units", "origin": "Origin"}
field_counts = pd.concat(
    [
        kept[c].value_counts().rename_axis("Value").reset_index(name="Spectra").assign(Field=name)
        for c, name in fields.items()
    ]
)
glue_table("tab_fields", field_counts, headers={"Field": "Field", "Value": "Value", "Spectra": "Spectra"})

# %% [markdown]
# {numref}`tab-scraping-fields` counts the values of four header fields over the kept files.
#
# ````{table} Header fields of the kept files: how many spectra carry each value (units as canonical names).
# :name: tab-scraping-fields
# ```{glue:md} tab_fields
# :format: myst
# ```
# ````
#
# The crawl left {glue:text}`files_files` files: {glue:text}`files_kept` are usable once units are
# converted and {glue:text}`files_rejected` are rejected; R23's filter (gas, `ABSORBANCE`, `1/CM`,
# no conversion) keeps only {glue:text}`files_strict_kept`. Point counts range from
# {glue:text}`files_points_min:,d` to {glue:text}`files_points_max:,d` (median
# {glue:text}`files_points_median:,.0f`); the spectra start between {glue:text}`files_start_min:.0f`
# and {glue:text}`files_start_max:.0f` cm⁻¹ and end between {glue:text}`files_end_min:.0f` and
# {glue:text}`files_end_max:.0f` cm⁻¹. {glue:text}`files_wavelength_files` file(s) are in
# wavelength units, so the micrometre → cm⁻¹ conversion {glue:text}`wavelength_use`.

# %% tags=["remove-input"]
rejected = qc.loc[qc["status"] != "kept"].dropna(axis=1, how="all").drop(columns="title")
glue("n_no_state", int(rejected["reason"].str.startswith("'missing'").sum()), display=False)
glue_table("tab_rejected", rejected.drop(columns="status", errors="ignore"))

# %% [markdown]
# ````{table} The rejected files and why ingestion rejected each.
# :name: tab-scraping-rejected
# ```{glue:md} tab_rejected
# :format: myst
# ```
# ````
#
# {glue:text}`n_no_state` of the files in {numref}`tab-scraping-rejected` state no phase at all
# (no `##STATE=` line). The data set leaves them out, as R23's code does; `python -m lib predict`,
# meant for anyone's spectra, takes such a file as "state unknown", predicts it and says so in a
# warning.

# %% tags=["remove-input"]
conversions = kept["conversions"].replace("", "none").value_counts()
glue_table(
    "tab_conversions",
    conversions.rename_axis("Conversion").reset_index(name="Spectra"),
    headers={"Conversion": "Conversion", "Spectra": "Spectra"},
)

# %% [markdown]
# ````{table} The unit conversions applied to the kept files.
# :name: tab-scraping-conversions
# ```{glue:md} tab_conversions
# :format: myst
# ```
# ````

# %% [markdown]
# ### Raw and gridded spectra
#
# {numref}`fig-scraping-spectra` shows one spectrum for each y unit in the files, before and
# after it goes onto R23's grid.

# %% tags=["remove-input"]
by_unit = kept.drop_duplicates("yunits").head(n_show)
processed = {p.file: p for p in converting.kept}
height = 280 * len(by_unit) + 60
fig = make_subplots(
    rows=len(by_unit),
    cols=2,
    subplot_titles=[
        t for _, r in by_unit.iterrows() for t in (f"{r['title']}: {r['yunits']}", "absorbance, max 1")
    ],
    vertical_spacing=80 / height,  # room for the tick labels and the next row's titles
)
grid = converting.grid
for row, (_, r) in enumerate(by_unit.iterrows(), start=1):
    raw = ingest.read_jcamp(out / "spectra" / r["file"])
    p = processed[r["file"]]
    peak = np.interp(grid, p.x, p.y, left=0.0, right=0.0).max()
    fig.add_scatter(x=raw.x, y=raw.y, mode="lines", line_width=1, row=row, col=1, showlegend=False)
    first = row == 1
    fig.add_scatter(
        x=p.x, y=p.y / peak, mode="lines", line_width=1, name="converted", row=row, col=2, showlegend=first
    )
    fig.add_scatter(
        x=grid, y=p.vector, mode="markers", marker_size=3, name="on the grid", row=row, col=2, showlegend=first
    )
    fig.update_xaxes(autorange="reversed", title_text="cm⁻¹" if row == len(by_unit) else None, row=row)
# the legend below the plot, clear of the subplot titles
fig.update_layout(
    height=height,
    legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="right", x=1),
    margin=dict(b=100),
)
notebook.glue_figure("fig_spectra", fig)

# %% [markdown]
# ```{glue:figure} fig_spectra
# :name: fig-scraping-spectra
# Raw and gridded spectra. Left: the data as written in the file. Right: absorbance after unit
# conversion (line) and the spectrum on R23's grid (markers), both divided by the maximum on the
# grid; outside the measured range the grid is zero.
# ```

# %% tags=["remove-input"]
glue("t_min", float(ingest.T_MIN), display=False)
glue("a_max", float(-np.log10(ingest.T_MIN)), display=False)

# %% [markdown]
# Transmittance $T$ becomes absorbance $A = -\log_{10} T$ (percent divided by 100 first, $T$
# floored at {glue:text}`t_min:g`, so that $A$ never exceeds {glue:text}`a_max:g`): the bands that
# dip in the left column point up on the right. NIST's quantitative files, in (µmol/mol)⁻¹ m⁻¹, are
# absorbance divided by concentration and path length, a constant that the normalisation removes.

# %% tags=["remove-input"]
if server is not None:
    server.stop()
    shutil.rmtree(out, ignore_errors=True)  # the replay's crawl folder is the chapter's alone

# %% [markdown]
# ### Rebuilding the full data set
#
# The same code crawls the live site. One command fetches every compound of the public index
# (resumable: run it again after an interruption), one turns the spectra into arrays, one labels
# the structures (see the next chapter):
#
# ```bash
# python -m lib nist fetch --ids data/nist_gas_ir_index.csv --out DIR  # 5 s per compound
# python -m lib ingest DIR/spectra --out nist_ir.npz \
#     --dataset nist_ir_full.npz --qc nist_qc.csv
# python -m lib label --index data/nist_gas_ir_index.csv --out nist_labels.csv
# ```
#
# Or run this chapter with `-p base_url=https://webbook.nist.gov -p n_compounds=20`.

# %% tags=["remove-input"]
n_index = len(nist.read_ids(data_file(index_file, data_dir)))
glue("n_index", n_index, display=False)
glue("live_delay", live_delay, display=False)
glue("crawl_hours", n_index * live_delay / 3600, display=False)

# %% [markdown]
# The index lists {glue:text}`n_index:,d` compounds; at the default crawl delay of
# {glue:text}`live_delay:g` s between compounds (each needs at least two requests) the full crawl
# takes at least {glue:text}`crawl_hours:.1f` hours, which is why the cache is resumable.

# %% [markdown]
# ## Discussion
#
# The replay makes the scraper testable without NIST, but it is only as faithful as its files: the
# `jcamp` sample is mostly transmittance spectra of the Coblentz collection and NIST quantitative
# spectra, while R23's filter wants the gas-phase absorbance files that the live site serves for
# most compounds (the index of the next chapter lists only such files). So R23's strict filter
# keeps few of these files, and the unit conversions matter here more than on the live data.
# States are written in many ways (`GAS`, `gas`, `VAPOR`, pressures in parentheses); we compare
# them after normalisation. We have not run the live crawl
# from this machine, so its run time and failure modes on the real site are untested here.
