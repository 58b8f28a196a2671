"""The command line answers at once: help, ``book list`` and ``synthetic generate`` import no heavy module."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import numpy as np
import pytest

from lib.__main__ import LAZY, main
from lib.paths import REPO, data_file

HEAVY = (
    "torch",
    "sklearn",
    "pandas",
    "scipy.stats",
    "rdkit",
    "tblite",
    "dask",
    "plotly",
    "matplotlib",
    "jupytext",
    "nbformat",
)

# Runs the command line in a fresh interpreter, then prints the heavy modules it imported.
PROBE = f"""
import json, runpy, sys
sys.argv = ["lib", *json.loads(sys.argv[1])]
try:
    runpy.run_module("lib", run_name="__main__")
except SystemExit:
    pass
heavy = {list(HEAVY)}
print(json.dumps(sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))),
      file=sys.stderr)
"""


def heavy_imports(args: list[str]) -> list[str]:
    """The heavy modules that ``python -m lib ARGS`` imports (in a fresh interpreter)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args", [["--help"], ["predict", "--help"], ["synthetic", "--help"], ["nist", "--help"], ["book", "list"]]
)
def test_help_and_listing_import_no_heavy_module(args):
    assert heavy_imports(args) == []


def test_synthetic_generate_imports_no_heavy_module(tmp_path):
    args = ["synthetic", "generate", "--classes", str(data_file("synthetic_challenge_classes.json")),
            "--out", str(tmp_path), "--n-train", "2", "--n-val", "1", "--rules", "challenge"]  # fmt: skip
    assert heavy_imports(args) == []
    assert np.load(tmp_path / "x_train.npy").shape == (27 * 2, 5000)


def test_the_probe_sees_a_heavy_subcommand():
    """The guard can fail: a training sub-command's help does import torch."""
    assert "torch" in heavy_imports(["synthetic", "full-scale", "--help"])


def test_lazy_subcommands_parse_their_own_arguments(capsys):
    for path in LAZY:
        with pytest.raises(SystemExit) as stop:
            main([*path, "--help"])
        assert stop.value.code == 0
        assert "usage: python -m lib " + " ".join(path) in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["synthetic", "full-scale", "--seed", "1"])
    assert "required: --model" in capsys.readouterr().err  # its own arguments, not a placeholder


def test_lazy_table_names_real_functions():
    for target in (t for _, t in LAZY.values()):
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), target


def test_generate_benchmark_times_the_command_and_its_floor(tmp_path):
    """``synthetic benchmark``'s end-to-end part runs both programs and writes what generate writes."""
    from lib.synthetic import generator

    classes = data_file("synthetic_challenge_classes.json")
    report = generator.benchmark_command_line(classes, repeats=1, scratch=tmp_path)
    assert report["command_seconds"] > 0 and report["floor_seconds"] > 0
    assert report["ratio"] == report["command_seconds"] / report["floor_seconds"]
    assert report["written_mb"] == pytest.approx((27 * 50 + 27 * 10 + 27 * 9) * 5000 * 4 / 2**20, rel=1e-3)
    assert list(tmp_path.iterdir()) == []  # the scratch files are removed


def test_write_floor_writes_the_shapes(tmp_path):
    from lib.synthetic.generator import write_floor

    write_floor({"x": ((3, 4), "<f4"), "y": ((3,), "<i8")}, tmp_path)
    assert np.load(tmp_path / "x.npy").shape == (3, 4) and np.load(tmp_path / "y.npy").dtype == np.int64
