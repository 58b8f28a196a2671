"""Command line: ``python -m lib COMMAND ...``; ``python -m lib --help`` lists the commands."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from lib.ir import cli as data_cli
from lib.ir import predict as predict_cli
from lib.ir import weights as weights_cli

# Sub-commands whose modules import torch, scikit-learn or the study modules: (command path) ->
# (help line, "module:function that adds the arguments"). Only the sub-command being run imports its
# module; the others appear in ``--help`` by name and help line, so the command line answers at once.
LAZY: dict[tuple[str, ...], tuple[str, str]] = {
    ("synthetic", "full-scale"): (
        "train one network on the whole S23 benchmark or challenge set (resumable)",
        "lib.synthetic.full_scale:add_arguments",
    ),
    ("synthetic", "gpu-batch"): (
        "the full-scale runs of PLAN side by side on one GPU, ended by a deadline",
        "lib.synthetic.gpu_batch:add_arguments",
    ),
    ("synthetic", "metric-full"): (
        "train one V24 encoder at full scale (resumable) and write its record",
        "lib.synthetic.metric_full:add_arguments",
    ),
    ("transfer-ablation",): (
        "train and score the cumulative simulated-to-real transfer steps",
        "lib.ir.transfer_ablation:add_ablation_arguments",
    ),
    ("transfer-ship",): (
        "train the shipped FGA ensemble on simulated spectra (lib/weights/fga)",
        "lib.ir.transfer_ablation:add_ship_arguments",
    ),
    ("recipe-select",): (
        "the protocol's choice of a training recipe: train and score the candidates on measured-like validation",
        "lib.ir.selection:add_select_arguments",
    ),
    ("recipe-score",): (
        "score one chosen recipe once on the 64 measured spectra and log it (book/ir/PROTOCOL.md)",
        "lib.ir.selection:add_score_arguments",
    ),
    ("recipe-install",): (
        "put the protocol's chosen recipe into lib/weights/fga when the rule says it replaces the shipped ensemble",
        "lib.ir.selection:add_install_arguments",
    ),
}


def _add_lazy(sub: argparse._SubParsersAction, path: tuple[str, ...], argv: Sequence[str]) -> None:
    """Add the sub-command ``path``; import its module and arguments only when ``argv`` selects it."""
    help_line, target = LAZY[path]
    p = sub.add_parser(path[-1], help=help_line)
    if tuple(argv[: len(path)]) == path:
        module, function = target.split(":")
        getattr(importlib.import_module(module), function)(p)


def _book(args: argparse.Namespace) -> int:
    from lib import book

    if args.action == "run":
        book.run(args.preset, args.only, args.param)
    elif args.action == "build":
        html = book.build(args.preset, strict=not args.lenient)
        print(f"HTML book: {html / 'index.html'}")
    elif args.action == "list":
        for chapter in book.chapters():
            params = ", ".join(f"{k}={v!r}" for k, v in chapter.defaults.items())
            print(f"{chapter.name}  ({chapter.rel}.py)\n    {params}")
    return 0


def _synthetic(args: argparse.Namespace) -> int:
    from lib.synthetic import generator as synthetic

    if args.action == "generate":
        classes = synthetic.load_classes(args.classes)
        data = synthetic.make_dataset(
            classes, seed=args.seed, n_train=args.n_train, n_val=args.n_val, rules=synthetic.RULES[args.rules]
        )
        for path in synthetic.save_dataset(data, args.out):
            print(f"{path}  {data[path.stem].shape}")
    elif args.action == "classes":
        classes = synthetic.generate_classes(n_classes=args.n_classes, seed=args.seed)
        classes.to_json(args.out)
        print(f"{args.out}: {len(classes)} classes")
    elif args.action == "benchmark":
        classes = synthetic.load_classes(args.classes)
        report = {"in_memory": synthetic.benchmark_generation(classes, repeats=args.repeats)}
        if not args.in_memory_only:
            report["command_line"] = synthetic.benchmark_command_line(args.classes, args.repeats, args.scratch)
        print(json.dumps(report, indent=1))
    elif args.action == "full-scale":
        from lib.synthetic import full_scale

        return full_scale.main(args)
    elif args.action == "metric-full":
        from lib.synthetic import metric_full

        return metric_full.main(args)
    elif args.action == "gpu-batch":
        from lib.synthetic import gpu_batch

        return gpu_batch.main(args)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the sub-command and return its exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_book = sub.add_parser("book", help="execute chapters and build the HTML book")
    book_sub = p_book.add_subparsers(dest="action", required=True)
    p_run = book_sub.add_parser("run", help="execute chapters with a preset into _build/PRESET")
    p_run.add_argument("--preset", default="ci", choices=["ci", "default", "paper"])
    p_run.add_argument("--only", action="append", metavar="CHAPTER", help="run only this chapter (repeatable)")
    p_run.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="override (or CHAPTER.NAME=VALUE)"
    )
    p_build = book_sub.add_parser("build", help="build the HTML book from executed notebooks")
    p_build.add_argument("--preset", default="ci", choices=["ci", "default", "paper"])
    p_build.add_argument("--lenient", action="store_true", help="do not turn Sphinx warnings into errors")
    book_sub.add_parser("list", help="list chapters and their parameters")
    p_book.set_defaults(func=_book)

    p_syn = sub.add_parser("synthetic", help="S23's universal synthetic spectra")
    syn_sub = p_syn.add_subparsers(dest="action", required=True)
    p_gen = syn_sub.add_parser("generate", help="write x/y_{train,val,test}.npy for a class file")
    p_gen.add_argument("--classes", required=True, type=Path, help="class definitions (JSON)")
    p_gen.add_argument("--out", required=True, type=Path, help="output folder")
    p_gen.add_argument("--seed", type=int, default=0)
    p_gen.add_argument("--n-train", type=int, default=50)
    p_gen.add_argument("--n-val", type=int, default=10)
    p_gen.add_argument(
        "--rules",
        default="benchmark",
        choices=["benchmark", "plain", "challenge"],
        help="test split: S23 benchmark (with its per-class exceptions), the same without exceptions, or the "
        "challenge set's",
    )
    p_cls = syn_sub.add_parser("classes", help="draw new class definitions with S23's recipe")
    p_cls.add_argument("--out", required=True, type=Path)
    p_cls.add_argument("--n-classes", type=int, default=500)
    p_cls.add_argument("--seed", type=int, default=2022)
    p_bench = syn_sub.add_parser(
        "benchmark", help="time and peak memory of generating a data set; `generate` end to end against the floor"
    )
    p_bench.add_argument("--classes", required=True, type=Path)
    p_bench.add_argument("--repeats", type=int, default=5)
    p_bench.add_argument("--scratch", type=Path, help="folder for the written files (default: the system's temp)")
    p_bench.add_argument("--in-memory-only", action="store_true", help="skip the end-to-end command-line timing")
    for path in LAZY:
        if path[0] == "synthetic":
            _add_lazy(syn_sub, path, argv)
    p_syn.set_defaults(func=_synthetic)
    data_cli.register(sub)  # nist, simulate, ingest, label
    predict_cli.register(sub)  # predict
    weights_cli.register(sub)  # weights
    _add_lazy(sub, ("transfer-ablation",), argv)
    _add_lazy(sub, ("transfer-ship",), argv)
    _add_lazy(sub, ("recipe-select",), argv)
    _add_lazy(sub, ("recipe-score",), argv)
    _add_lazy(sub, ("recipe-install",), argv)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except Exception as err:  # a clear one-line error for the user, not a traceback
        from lib.book import BookError

        if isinstance(err, (BookError, FileNotFoundError, ValueError)):
            print(f"error: {err}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
