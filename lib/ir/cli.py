"""Command line of the IR data pipeline: ``python -m lib {nist,simulate,simulate-export,ingest,label} ...``.

:func:`register` adds the commands to ``python -m lib``'s sub-parsers. Heavy imports wait
until a command runs. Errors print one line and exit 2; ``nist fetch`` exits 1 when some
compounds failed for good (rerun it to retry them).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from lib.reference import R23_GRID


def _fail(err: object) -> int:
    print(f"error: {err}", file=sys.stderr)
    return 2


def _one_line_errors(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Expected failures (bad input, network) print one line and return 2 instead of a traceback."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        import requests

        from lib.ir.jcamp_source import SourceError
        from lib.ir.nist import FetchError

        try:
            return command(args)
        except (ValueError, FileNotFoundError, FetchError, SourceError, requests.RequestException) as err:
            return _fail(err)

    return run


# --------------------------------------------------------------------------- nist
def _nist_fetch(args: argparse.Namespace) -> int:
    from lib.ir import nist

    base_url = args.base_url or nist.DEFAULT_BASE_URL
    client = nist.WebBookClient(base_url, timeout=args.timeout, max_retries=args.retries)
    if args.species:
        ids = [s.id for s in client.species() if s.id]
        if not ids:
            raise ValueError(f"{base_url}{nist.SPECIES_PATH}: the species list has no CAS numbers")
    else:
        ids = nist.read_ids(args.ids)
    manifest = nist.fetch(ids, args.out, client=client, delay=args.delay, progress=not args.quiet)
    counts = nist.summary(manifest, ids)
    print(
        f"{args.out}: {counts['done']} of {len(ids)} compounds done, {counts['spectra']} spectra, "
        f"{counts['inchi']} InChIs, {counts['failed']} failed"
    )
    for cid in ids:
        entry = manifest["compounds"].get(nist.normalise_id(cid), {})
        if entry.get("status") == "failed":
            print(f"  failed {cid}: {entry.get('error')}", file=sys.stderr)
    return 1 if counts["failed"] else 0


def _nist_serve(args: argparse.Namespace) -> int:
    from lib.ir import jcamp_source, replay
    from lib.paths import data_file

    folder = args.dir or jcamp_source.infrared_dir()
    structures = args.structures
    if structures is None and args.dir is None:
        try:
            structures = data_file("jcamp_ir_structures.csv")
        except FileNotFoundError:
            structures = None
    faults = [replay.parse_fault(spec) for spec in args.fault]
    try:
        server = replay.ReplayServer(folder, structures, faults, host=args.host, port=args.port)
    except FileNotFoundError:
        raise
    except OSError as err:
        return _fail(f"cannot listen on {args.host}:{args.port}: {err}")
    cat = server.catalogue
    print(
        f"replaying {sum(map(len, cat.spectra.values()))} spectra of {len(cat.spectra)} compounds "
        f"({len(cat.inchi)} InChIs) from {folder} at {server.url}  (Ctrl-C stops)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


# --------------------------------------------------------------------------- ingest, label
def _ingest(args: argparse.Namespace) -> int:
    import numpy as np

    from lib.ir import ingest

    if not args.out.name.endswith(".npz"):
        raise ValueError(f"--out {args.out}: must end in .npz")
    states = None if args.any_state else tuple(ingest.canonical_state(s) for s in (args.state or ["gas"]))
    xunits = tuple(ingest.canonical_xunits(u) for u in (args.xunits or [ingest.WAVENUMBER]))
    yunits = tuple(ingest.canonical_yunits(u) for u in (args.yunits or [ingest.ABSORBANCE]))
    filters = ingest.Filters(states, xunits, yunits, convert=args.convert)
    start, stop, points = args.grid
    if not (points >= 2 and stop > start):
        raise ValueError(f"--grid {start} {stop} {points}: need STOP > START and at least 2 points")
    grid = np.linspace(start, stop, int(points))
    result = ingest.ingest(args.paths, grid, filters, progress=not args.quiet)
    ingest.save_npz(args.out, result)
    written = [str(args.out)]
    if args.dataset:
        ingest.save_dataset(args.dataset, result)
        written.append(str(args.dataset))
    if args.qc:
        from lib import io

        with io.atomic_open(args.qc, "w") as handle:
            result.qc_table().to_csv(handle, index=False)
        written.append(str(args.qc))
    kept, total, rejected = len(result.kept), len(result.inputs), len(result.rejections)
    print(f"kept {kept} of {total} files, rejected {rejected}: {', '.join(written)}")
    for r in result.rejections[: args.show]:
        print(f"  {r.kind}: {r.file}: {r.field}: {r.reason}", file=sys.stderr)
    if len(result.rejections) > args.show:
        print(f"  ... and {len(result.rejections) - args.show} more", file=sys.stderr)
    return 0


def _label(args: argparse.Namespace) -> int:
    import json

    from lib import io
    from lib.ir import labels

    groups = labels.GROUPS
    if args.groups:
        try:
            groups = json.loads(Path(args.groups).read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"group table not found: {args.groups}") from None
        except json.JSONDecodeError as err:
            raise ValueError(f"{args.groups}: not valid JSON ({err})") from None
        if not isinstance(groups, dict):
            raise ValueError(f"{args.groups}: must be a JSON object {{name: SMARTS}}")
    table, problems = labels.label_index(args.index, groups)
    with io.atomic_open(args.out, "w") as handle:
        table.to_csv(handle, index=False)
    print(f"{args.out}: {len(table)} molecules x {len(groups)} groups; {len(problems)} InChIs skipped")
    for p in problems[:5]:
        print(f"  skipped {p.id}: {p.reason}: {p.inchi[:80]}", file=sys.stderr)
    if args.problems:
        import pandas as pd

        with io.atomic_open(args.problems, "w") as handle:
            pd.DataFrame([vars(p) for p in problems], columns=["id", "inchi", "reason"]).to_csv(handle, index=False)
    return 0


def _molecule_texts(path: Path) -> list[str]:
    from lib.ir import molecules

    rows = molecules.read_csv(path)
    return [r.get("smiles") or r.get("inchi") or ("InChI=" + r["Inchi"].removeprefix("InChI=")) for r in rows]


def _export_shards(texts: list[str], cache_root: Path, folder: Path, size: int, method: str = "GFN2-xTB") -> None:
    from lib.ir import simulate

    report = simulate.export_shards(texts, simulate.Cache(cache_root, simulate.Settings(method=method)), folder, size)
    print(
        f"{folder}: wrote {len(report.written)} shards {report.written}, {len(report.existing)} already there, "
        f"{len(report.incomplete)} incomplete ({report.missing} molecules without a record)"
    )


def _simulate(args: argparse.Namespace) -> int:
    from collections import Counter

    from lib.ir import simulate

    if "/" in args.method:  # a DFT method: check its spelling before any molecule is computed
        from lib.ir import dft

        try:
            dft.parse(args.method)
        except ValueError as error:
            return _fail(f"--method: {error}")
    texts = _molecule_texts(args.molecules)
    settings = simulate.Settings(method=args.method)
    if args.by_shard:
        if not args.export_shards:
            return _fail("--by-shard needs --export-shards DIR")
        written = simulate.run_by_shard(
            texts, args.out, args.export_shards, args.shard_size, settings, args.workers, progress=not args.quiet,
            on_shard=lambda number, path: print(f"shard {number}: {path}", flush=True),
        )  # fmt: skip
        print(f"{args.export_shards}: wrote shards {written}")
        return 0
    records = simulate.run_batch(
        texts, args.out, settings, workers=args.workers, scheduler=args.scheduler, progress=not args.quiet
    )
    counts = Counter(r["status"] for r in records)
    print(f"{args.out}: {len(records)} molecules; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for r in records:
        if r["status"] == "failed":
            print(f"  failed {r['input']}: {r['error']}", file=sys.stderr)
    if args.export:
        print(f"line spectra: {simulate.export_records(records, args.export)}")
    if args.export_shards:
        _export_shards(texts, args.out, args.export_shards, args.shard_size, args.method)
    return 0


def _simulate_export(args: argparse.Namespace) -> int:
    _export_shards(_molecule_texts(args.molecules), args.out, args.shards, args.shard_size, args.method)
    return 0


def _mode_corrections(args: argparse.Namespace) -> int:
    from lib.ir import mode_physics

    reference = args.reference if args.reference and args.reference.is_dir() else None
    table = mode_physics.corrections_from_shards(args.shards, args.index, reference=reference)
    _write_public_csv(table, args.out)
    shifted = int((table["log_intensity_shift"] != 0).sum())
    print(
        f"{args.out}: {int(table['freq_factor'].notna().sum())} types with a frequency factor, {shifted} with an "
        f"intensity shift ({'DFT reference ' + str(reference) if reference else 'no DFT reference'})"
    )
    return 0


def _dft_molecules(args: argparse.Namespace) -> int:
    import pandas as pd

    from lib.ir import dft, mode_physics

    chosen = {k: v for k, v in (("per_type", args.per_type), ("max_atoms", args.max_atoms)) if v is not None}
    inchis = mode_physics.reference_molecules(args.shards, args.index, **chosen)
    table = pd.DataFrame({"inchi": inchis, "atoms": [dft.atom_count(i) for i in inchis]})
    _write_public_csv(table, args.out)
    print(f"{args.out}: {len(table)} training molecules of {table['atoms'].min()}-{table['atoms'].max()} atoms")
    return 0


def _write_public_csv(table, path: Path) -> None:
    """Write a table atomically as a normal repository file (atomic writes are private)."""
    import os

    from lib import io

    with io.atomic_open(path, "w") as handle:
        table.to_csv(handle, index=False)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


# --------------------------------------------------------------------------- parsers
DFT_SHARDS = "book/ir/data/dft_modes"  # lib.ir.dft.REFERENCE_SHARDS, without importing it (the CLI answers at once)
DFT_MOLECULES = "book/ir/data/dft_molecules.csv"  # lib.ir.dft.REFERENCE_MOLECULES


def register(sub: argparse._SubParsersAction) -> None:
    """Add the IR data commands (``nist``, ``simulate``, ``simulate-export``, ``mode-corrections``,
    ``dft-molecules``, ``ingest``, ``label``) to ``python -m lib``'s sub-parsers."""
    p_nist = sub.add_parser("nist", help="NIST WebBook: fetch spectra and InChIs, or serve a local replay")
    nist_sub = p_nist.add_subparsers(dest="action", required=True)
    p_fetch = nist_sub.add_parser("fetch", help="download IR spectra and InChIs into a resumable cache")
    source = p_fetch.add_mutually_exclusive_group(required=True)
    source.add_argument("--ids", type=Path, help="compound ids: a CSV with an ID column, or one id per line")
    source.add_argument("--species", action="store_true", help="every compound with a CAS in the species list")
    p_fetch.add_argument("--out", type=Path, required=True, help="cache folder (spectra/, inchi/, manifest.json)")
    p_fetch.add_argument("--base-url", help="WebBook or replay server (default https://webbook.nist.gov)")
    p_fetch.add_argument("--delay", type=float, default=5.0, help="seconds between compounds (default 5)")
    p_fetch.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p_fetch.add_argument("--retries", type=int, default=5, help="retries per request")
    p_fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p_fetch.set_defaults(func=_one_line_errors(_nist_fetch))
    p_serve = nist_sub.add_parser("serve", help="serve NIST-shaped answers from real JCAMP-DX files (offline)")
    p_serve.add_argument("--dir", type=Path, help="folder of .jdx files (default: the jcamp 1.3.2 sdist's)")
    p_serve.add_argument("--structures", type=Path, help="CSV with columns file, inchi")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p_serve.add_argument(
        "--fault", action="append", default=[], metavar="KIND[:MATCH[:TIMES[:SKIP]]]", help="inject a fault"
    )
    p_serve.set_defaults(func=_one_line_errors(_nist_serve))

    p_sim = sub.add_parser("simulate", help="GFN2-xTB IR line spectra of a molecule list (cached, resumable)")
    p_sim.add_argument("--molecules", type=Path, required=True, help="CSV with a smiles or inchi column")
    p_sim.add_argument("--out", type=Path, required=True, help="cache folder (one JSON file per molecule)")
    p_sim.add_argument("--workers", type=int, default=1, help="local processes (default 1)")
    p_sim.add_argument("--scheduler", help="Dask scheduler address, or 'local' for a LocalCluster")
    p_sim.add_argument(
        "--method", default="GFN2-xTB", help="GFN2-xTB (default) or XC/BASIS[/DF]; the DFT reference: 'B3LYP/6-31G*/DF'"
    )
    p_sim.add_argument("--export", type=Path, help="also write all line spectra as one .json.gz")
    p_sim.add_argument("--export-shards", type=Path, metavar="DIR", help="also write the complete shards (part-NNN)")
    p_sim.add_argument("--shard-size", type=int, default=500, help="molecules per shard (default 500)")
    p_sim.add_argument(
        "--by-shard", action="store_true",
        help="simulate one shard's molecules at a time, write each shard when complete, skip shards that exist",
    )  # fmt: skip
    p_sim.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p_sim.set_defaults(func=_one_line_errors(_simulate))
    p_exp = sub.add_parser(
        "simulate-export", help="write cached line spectra in fixed shards of the molecule list (no computation)"
    )
    p_exp.add_argument("--molecules", type=Path, required=True, help="CSV with a smiles or inchi column")
    p_exp.add_argument("--out", type=Path, required=True, help="the simulate cache folder")
    p_exp.add_argument("--shards", type=Path, required=True, help="folder of part-NNN.json.gz files")
    p_exp.add_argument("--shard-size", type=int, default=500, help="molecules per shard (default 500)")
    p_exp.add_argument("--method", default="GFN2-xTB", help="the method of the cached records (default GFN2-xTB)")
    p_exp.set_defaults(func=_one_line_errors(_simulate_export))
    p_corr = sub.add_parser(
        "mode-corrections", help="per-type GFN2-xTB corrections from textbook ranges and the typed training shards"
    )
    p_corr.add_argument("--shards", type=Path, default=Path("book/ir/data/nist_xtb_modes"), help="typed shards")
    p_corr.add_argument("--index", type=Path, default=Path("data/nist_gas_ir_index.csv"), help="the NIST index")
    p_corr.add_argument("--out", type=Path, default=Path("data/xtb_mode_corrections.csv"), help="the table")
    p_corr.add_argument(
        "--reference",
        type=Path,
        default=Path(DFT_SHARDS),
        help=f"DFT shards for the intensity shifts, used when the folder exists (default {DFT_SHARDS})",
    )
    p_corr.set_defaults(func=_one_line_errors(_mode_corrections))

    p_dft = sub.add_parser("dft-molecules", help="the training molecules of the DFT reference (a CSV for simulate)")
    p_dft.add_argument("--shards", type=Path, default=Path("book/ir/data/nist_xtb_modes"), help="typed shards")
    p_dft.add_argument("--index", type=Path, default=Path("data/nist_gas_ir_index.csv"), help="the NIST index")
    p_dft.add_argument("--out", type=Path, default=Path(DFT_MOLECULES), help=f"the CSV (default {DFT_MOLECULES})")
    p_dft.add_argument("--per-type", type=int, help="molecules per mode type (default lib.ir.dft.PER_TYPE)")
    p_dft.add_argument(
        "--max-atoms", type=int, help="largest molecule, hydrogens included (default lib.ir.dft.MAX_ATOMS)"
    )
    p_dft.set_defaults(func=_one_line_errors(_dft_molecules))

    p_ing = sub.add_parser("ingest", help="JCAMP-DX files -> spectra on a common grid (.npz)")
    p_ing.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders of .jdx files")
    p_ing.add_argument("--out", type=Path, required=True, help="R23-style .npz: x, grid, files, header fields")
    p_ing.add_argument("--dataset", type=Path, help="also write the self-describing data set (.npz + metadata)")
    p_ing.add_argument("--qc", type=Path, help="also write a CSV with one row per input file")
    p_ing.add_argument("--state", action="append", help="keep this state (repeatable; default gas)")
    p_ing.add_argument("--any-state", action="store_true", help="keep every state")
    p_ing.add_argument("--xunits", action="append", help="keep these x units (repeatable; default 1/CM)")
    p_ing.add_argument("--yunits", action="append", help="keep these y units (repeatable; default ABSORBANCE)")
    p_ing.add_argument("--convert", action="store_true", help="also keep convertible units (T, %%T, µm, nm, quant.)")
    p_ing.add_argument(
        "--grid", nargs=3, type=float, default=list(R23_GRID), metavar=("START", "STOP", "N"), help="cm-1"
    )
    p_ing.add_argument("--show", type=int, default=10, help="rejections to print")
    p_ing.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p_ing.set_defaults(func=_one_line_errors(_ingest))

    p_lab = sub.add_parser("label", help="InChI -> functional-group labels (SMARTS)")
    p_lab.add_argument("--index", type=Path, required=True, help="CSV with columns ID and Inchi")
    p_lab.add_argument("--out", type=Path, required=True, help="CSV: ID and one 0/1 column per group")
    p_lab.add_argument("--groups", type=Path, help="JSON {name: SMARTS} instead of the 17 R23 groups")
    p_lab.add_argument("--problems", type=Path, help="also write the skipped InChIs as CSV")
    p_lab.set_defaults(func=_one_line_errors(_label))
