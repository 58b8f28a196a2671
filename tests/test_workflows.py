"""The GitHub workflows' rerun command, run here as the Actions tab would; the package's licence metadata."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from lib import book
from lib.paths import REPO

WORKFLOWS = REPO / ".github" / "workflows"
RERUN_STEP = "Run the chapters"
#: the cheapest chapter in the `ci` preset (a few seconds)
CHAPTER = "synthetic_spectra"


def _rerun_step() -> tuple[dict, dict]:
    """The rerun workflow's dispatch inputs and its step that calls ``python -m lib book run``."""
    workflow = yaml.safe_load((WORKFLOWS / "rerun.yml").read_text())
    on = workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    steps = [s for job in workflow["jobs"].values() for s in job["steps"] if s.get("name") == RERUN_STEP]
    assert len(steps) == 1, f"rerun.yml needs one step named {RERUN_STEP!r}"
    return on["workflow_dispatch"]["inputs"], steps[0]


def _copy_of_the_repository(root: Path) -> Path:
    """A copy of what the chapters need, so the run writes its own ``_build`` and leaves ours alone."""
    skip = shutil.ignore_patterns("_build", "__pycache__", ".ipynb_checkpoints")
    for name in ("lib", "book", "data"):
        shutil.copytree(REPO / name, root / name, ignore=skip)
    for name in ("_toc.yml", "_config.yml", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)
    (root / ".venv").symlink_to(sys.prefix, target_is_directory=True)  # the workflow's `make env`
    return root


def _run_step(step: dict, cwd: Path, inputs: dict[str, str]) -> subprocess.CompletedProcess:
    """The step's script under bash as GitHub runs `shell: bash`, each input in its env variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(cwd)  # the kernel imports this copy's lib, as a clone imports its own
    for var, template in step["env"].items():
        env[var] = inputs[re.fullmatch(r"\$\{\{ inputs\.(\w+) \}\}", template).group(1)]
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_rerun_inputs_reach_the_command_as_environment_variables():
    inputs, step = _rerun_step()
    assert set(inputs) == {"preset", "chapters", "params"}
    assert tuple(inputs["preset"]["options"]) == book.PRESETS
    assert CHAPTER in {c.name for c in book.chapters()}
    # every input through `env:`, none pasted into the script (template injection)
    assert step["env"] == {"PRESET": "${{ inputs.preset }}", "CHAPTERS": "${{ inputs.chapters }}",
                           "PARAMS": "${{ inputs.params }}"}  # fmt: skip
    assert "${{" not in step["run"] and "python -m lib book run" in step["run"]


def test_the_rerun_command_runs_a_chapter_with_the_dispatch_inputs(tmp_path):
    _, step = _rerun_step()
    root = _copy_of_the_repository(tmp_path / "clone")
    inputs = {"preset": "ci", "chapters": CHAPTER, "params": f"n_train=4 {CHAPTER}.n_val=2"}
    result = _run_step(step, root, inputs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"[1/1] {CHAPTER}: " in result.stdout
    out = root / "_build" / "ci" / "src" / "book" / "synthetic" / f"{CHAPTER}.ipynb"
    nb = nbformat.read(out, as_version=4)
    injected = [c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "n_train = 4" in injected[0] and "n_val = 2" in injected[0]
    assert "benchmark_repeats = 1" in injected[0]  # the rest of the `ci` preset still applies
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    # a parameter the chapter does not have stops the run before anything executes, with the reason
    bad = _run_step(step, root, {**inputs, "params": "n_trian=4"})
    assert bad.returncode == 2 and "no selected chapter has a parameter 'n_trian'" in bad.stderr


# --------------------------------------------------------------------------- packaging
def _metadata(root: Path) -> tuple[str, str]:
    """(METADATA, everything the build backend printed) of a wheel built from ``root``."""
    out = root / "out"
    out.mkdir()
    probe = "import sys; from setuptools import build_meta as b; print(b.prepare_metadata_for_build_wheel(sys.argv[1]))"
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", probe, str(out)], cwd=root, capture_output=True, text=True, check=True
    )
    return (out / result.stdout.split()[-1] / "METADATA").read_text(), result.stdout + result.stderr


def _project_copy(root: Path) -> Path:
    root.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "lib", root / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "data", root / "data")
    return root


def test_the_wheel_carries_an_spdx_licence_without_deprecation_warnings(tmp_path):
    from importlib.metadata import version

    from packaging.requirements import Requirement

    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    (setuptools,) = [Requirement(r) for r in requires if r.startswith("setuptools")]
    assert setuptools.specifier.contains(version("setuptools"))  # the build below uses this setuptools
    metadata, log = _metadata(_project_copy(tmp_path / "now"))
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    assert "Deprecat" not in log, log
    licence = (REPO / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "2026 The spectra-nn-book authors" in licence
    # the check sees the warning the old table form gives (so it can fail)
    old = _project_copy(tmp_path / "old")
    text = (old / "pyproject.toml").read_text()
    text = text.replace('license = "MIT"', 'license = { text = "MIT" }').replace('license-files = ["LICENSE"]', "")
    (old / "pyproject.toml").write_text(text)
    assert "SetuptoolsDeprecationWarning" in _metadata(old)[1]


@pytest.mark.parametrize("name", ["test.yml", "book.yml", "rerun.yml"])
def test_workflow_actions_are_pinned_to_commits(name):
    text = (WORKFLOWS / name).read_text()
    uses = re.findall(r"uses: (\S+)", text)
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in uses), uses
    assert all(re.search(rf"uses: {re.escape(u)} # v\d+\.\d+\.\d+$", text, re.M) for u in uses)
