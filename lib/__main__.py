"""Command line: ``python -m lib {book,synthetic,nist,simulate,ingest,label,predict,weights} ...`` (``--help``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lib.ir import cli as data_cli
from lib.ir import predict as predict_cli
from lib.ir import transfer_ablation
from lib.ir import weights as weights_cli
from lib.synthetic.full_scale import add_parser as full_scale_parser
from lib.synthetic.gpu_batch import add_parser as gpu_batch_parser
from lib.synthetic.metric_full import add_parser as metric_full_parser


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
        print(json.dumps(synthetic.benchmark_generation(classes, repeats=args.repeats), indent=1))
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
    p_bench = syn_sub.add_parser("benchmark", help="time and peak memory of generating the benchmark")
    p_bench.add_argument("--classes", required=True, type=Path)
    p_bench.add_argument("--repeats", type=int, default=5)
    full_scale_parser(syn_sub)
    gpu_batch_parser(syn_sub)
    metric_full_parser(syn_sub)
    p_syn.set_defaults(func=_synthetic)
    data_cli.register(sub)  # nist, simulate, ingest, label
    predict_cli.register(sub)  # predict
    weights_cli.register(sub)  # weights
    transfer_ablation.register(sub)  # transfer-ablation

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
