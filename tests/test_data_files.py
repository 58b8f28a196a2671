"""The repository's data files (lib.paths), the checked download (lib.download) and R23's weights (lib.ir.weights)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import requests

from lib import download, paths
from lib.__main__ import main
from lib.ir import weights


@pytest.fixture
def no_shared(monkeypatch, tmp_path):
    """No developers' copy anywhere: only the repository's own data/."""
    monkeypatch.delenv(paths.ENV_VAR, raising=False)
    monkeypatch.setattr(paths, "SHARED_DATA", tmp_path / "missing")


# --------------------------------------------------------------------------- lib.paths
def test_data_files_come_from_the_repository(no_shared):
    for name in ("synthetic_benchmark_classes.json", "synthetic_challenge_classes.json", "nist_gas_ir_index.csv",
                 "jcamp_ir_structures.csv", "r23_runs.json"):  # fmt: skip
        assert paths.data_file(name) == paths.REPO / "data" / name
    assert paths.data_dirs()[0] == paths.REPO / "data"


def test_explicit_folder_wins_and_missing_files_name_every_place(no_shared, tmp_path, monkeypatch):
    (tmp_path / "synthetic_challenge_classes.json").write_text("{}")
    assert (
        paths.data_file("synthetic_challenge_classes.json", tmp_path) == tmp_path / "synthetic_challenge_classes.json"
    )
    with pytest.raises(FileNotFoundError, match="the data_dir given"):
        paths.data_file("nist_gas_ir_index.csv", tmp_path / "elsewhere")
    monkeypatch.setenv(paths.ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError) as err:
        paths.data_file("nothing.csv")
    message = str(err.value)
    for place in (paths.REPO / "data", tmp_path, tmp_path / "missing"):
        assert str(place) in message
    assert "'nothing.csv'" in message


def test_environment_variable_is_searched_after_the_repository(no_shared, tmp_path, monkeypatch):
    (tmp_path / "extra.csv").write_text("a\n1\n")
    (tmp_path / "nist_gas_ir_index.csv").write_text("ID\n")
    monkeypatch.setenv(paths.ENV_VAR, str(tmp_path))
    assert paths.data_file("extra.csv") == tmp_path / "extra.csv"
    assert paths.data_file("nist_gas_ir_index.csv") == paths.REPO / "data" / "nist_gas_ir_index.csv"


def test_published_classes_are_regenerated_by_the_recipe(tmp_path):
    out = tmp_path / "classes.json"
    assert main(["synthetic", "classes", "--seed", "2022", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(paths.data_file("synthetic_benchmark_classes.json").read_text())


def test_structures_inchis_are_rdkits_of_the_smiles():
    from rdkit import Chem, rdBase

    table = pd.read_csv(paths.data_file("jcamp_ir_structures.csv"))
    assert len(table) == 66 and table["file"].is_unique
    with rdBase.BlockLogs():
        assert [Chem.MolToInchi(Chem.MolFromSmiles(s)) for s in table["smiles"]] == table["inchi"].tolist()
    index = pd.read_csv(paths.data_file("nist_gas_ir_index.csv"))
    assert len(index) == 8273 and list(index.columns) == ["ID", "file", "firstX", "lastX", "deltaX", "nPoints", "Inchi"]


def test_runs_summary_names_exactly_the_released_files():
    runs = json.loads(paths.data_file(weights.RUNS_DATA).read_text())
    assert sorted(runs) == sorted(weights.SHA256)
    assert sorted(r["seed"] for r in runs.values()) == list(range(10))


def test_a_wheel_install_finds_its_data_outside_the_repository(tmp_path):
    """``pip install .`` (not editable) carries data/ to <prefix>/share and lib.paths finds it there."""
    src, wheel_dir, env = tmp_path / "src", tmp_path / "wheel", tmp_path / "env"
    src.mkdir()
    for part in ("pyproject.toml", "README.md", "lib", "data"):  # a copy: building writes build/ beside the source
        source = paths.REPO / part
        if source.is_dir():
            shutil.copytree(source, src / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, src / part)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheel_dir), "--cache-dir", str(tmp_path / "cache"), str(src)],
                           capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip().splitlines()[-1:]}")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", paths.ENV_VAR)}  # nothing of the clone
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                    *map(str, wheel_dir.glob("*.whl"))], check=True, capture_output=True, env=clean)  # fmt: skip
    probe = "import lib.paths as p; print(p.REPO); print(p.data_file('synthetic_challenge_classes.json'))"
    out = subprocess.run(
        [str(python), "-I", "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True, env=clean
    )
    repo, found = out.stdout.splitlines()
    assert "site-packages" in repo
    assert Path(found) == (env / "share" / "spectra-nn-book" / "data" / "synthetic_challenge_classes.json").resolve()
    assert Path(found).read_bytes() == paths.data_file("synthetic_challenge_classes.json").read_bytes()


# --------------------------------------------------------------------------- lib.download, lib.ir.weights
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def release(tmp_path, monkeypatch) -> Path:
    """Ten FGA-net state dicts under the released run ids, with the hash table patched to theirs."""
    import torch

    from lib.models.fga import FGANet

    folder = tmp_path / "release"
    folder.mkdir()
    table = {}
    for seed, run in enumerate(weights.SHA256):
        torch.manual_seed(seed)
        torch.save(FGANet().state_dict(), folder / f"{run}.pt")
        table[run] = download.sha256(folder / f"{run}.pt")
    monkeypatch.setattr(weights, "SHA256", table)
    return folder


@pytest.fixture
def upstream(release, tmp_path):
    """A local HTTP server on 127.0.0.1 serving ``models/<run id>.pt``; yields (base URL, folder, request log)."""
    folder = tmp_path / "upstream"
    (folder / "models").mkdir(parents=True)
    for f in release.iterdir():
        (folder / "models" / f.name).write_bytes(f.read_bytes())
    log: list[str] = []

    class Handler(_Quiet):
        def do_GET(self):
            log.append(self.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/models/", folder, log
    server.shutdown()
    server.server_close()


def test_download_checks_hashes_and_caches(upstream, tmp_path, no_shared):
    base, _, log = upstream
    cache = tmp_path / "cache"
    folder = weights.r23_weights_dir(cache, base_url=base, progress=False)
    assert folder == cache and len(log) == 10
    for run, digest in weights.SHA256.items():
        assert hashlib.sha256((cache / f"{run}.pt").read_bytes()).hexdigest() == digest
    assert (cache / "runs.json").read_bytes() == paths.data_file("r23_runs.json").read_bytes()
    assert sorted(p.name for p in cache.iterdir()) == sorted([*(f"{r}.pt" for r in weights.SHA256), "runs.json"])
    # a second call is a cache hit: not one request, even with an unreachable URL
    assert weights.r23_weights_dir(cache, base_url="http://127.0.0.1:9/", progress=False) == cache
    assert len(log) == 10
    # one damaged file in the cache is fetched again, alone
    (cache / "0572484152.pt").write_bytes(b"damaged")
    with pytest.warns(weights.CorruptCacheWarning):
        weights.r23_weights_dir(cache, base_url=base, progress=False)
    assert log[10:] == ["/models/0572484152.pt"]


def _corrupt(path: Path) -> bytes:
    """Append one byte to a file, as a truncated or interrupted copy would not, but a bad disk or editor might."""
    bad = path.read_bytes() + b"\0"
    path.write_bytes(bad)
    return bad


def test_a_corrupted_cache_file_is_moved_aside_and_downloaded_again(upstream, tmp_path, no_shared):
    base, _, log = upstream
    cache = weights.r23_weights_dir(tmp_path / "cache", base_url=base, progress=False)
    bad = _corrupt(cache / "3028357577.pt")
    with pytest.warns(weights.CorruptCacheWarning, match=r"3028357577\.pt failed its SHA-256 check; moved aside to"):
        weights.r23_weights_dir(cache, base_url=base, progress=False)
    assert log[10:] == ["/models/3028357577.pt"]  # only the bad one is fetched again
    assert download.verified(cache / "3028357577.pt", weights.SHA256["3028357577"])
    (aside,) = cache.glob("3028357577.pt.corrupt-*")
    assert re.fullmatch(r"3028357577\.pt\.corrupt-\d{8}T\d{6}Z", aside.name)
    assert aside.read_bytes() == bad  # kept for inspection, as it was
    from lib.models.fga import load_ensemble

    ensemble = load_ensemble(cache)  # never loaded: the ensemble is the ten good files
    assert sorted(ensemble.names) == sorted(weights.SHA256)
    weights.r23_weights_dir(cache, base_url=base, progress=False)  # now a cache hit that keeps the copy
    assert len(log) == 11 and aside.read_bytes() == bad


def test_offline_a_corrupted_cache_file_is_named_with_where_it_went(release, tmp_path, no_shared, capsys):
    cache = tmp_path / "cache"
    shutil.copytree(release, cache)  # a cache filled earlier
    bad = _corrupt(cache / "7687129909.pt")
    with pytest.warns(weights.CorruptCacheWarning):
        assert main(["weights", "--cache", str(cache), "--base-url", "http://127.0.0.1:9/", "--quiet"]) == 2
    err = capsys.readouterr().err
    (aside,) = cache.glob("7687129909.pt.corrupt-*")
    assert f"the cached {cache / '7687129909.pt'} failed its SHA-256 check and was moved aside to {aside}" in err
    assert aside.read_bytes() == bad and not (cache / "7687129909.pt").exists()
    # with the local fallback the file is replaced; the bad copy stays where it went
    weights.r23_weights_dir(cache, base_url="http://127.0.0.1:9/", local=release, progress=False)
    assert download.verified(cache / "7687129909.pt", weights.SHA256["7687129909"])
    assert aside.read_bytes() == bad and list(cache.glob("*.corrupt-*")) == [aside]


def test_set_aside_never_overwrites_an_earlier_copy(tmp_path):
    first, second = tmp_path / "a.pt", tmp_path / "a.pt"
    first.write_bytes(b"1")
    one = download.set_aside(first)
    second.write_bytes(b"2")
    two = download.set_aside(second)
    assert one != two and one.read_bytes() == b"1" and two.read_bytes() == b"2" and not first.exists()


def test_checksum_mismatch_names_the_file_and_deletes_it(upstream, tmp_path, no_shared):
    base, folder, _ = upstream
    (folder / "models" / "1660121033.pt").write_bytes(b"not the released weights")
    cache = tmp_path / "cache"
    with pytest.raises(download.ChecksumError, match=r"1660121033\.pt.*SHA-256") as err:
        weights.r23_weights_dir(cache, base_url=base, progress=False)
    assert weights.SHA256["1660121033"] in str(err.value) and "deleted" in str(err.value)
    assert not (cache / "1660121033.pt").exists()
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_offline_falls_back_to_a_local_copy_fast(release, tmp_path, no_shared, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    release.rename(shared / "r23_weights")
    monkeypatch.setenv(paths.ENV_VAR, str(shared))
    start = time.perf_counter()
    # 10.255.255.1 is not routed: the connection attempt fails or times out, once for all ten files
    folder = weights.r23_weights_dir(tmp_path / "c", base_url="http://10.255.255.1/", connect_timeout=1.0,
                                     progress=False)  # fmt: skip
    assert time.perf_counter() - start < 5
    assert all(download.verified(folder / f"{r}.pt", d) for r, d in weights.SHA256.items())
    from lib.models.fga import load_ensemble

    ensemble = load_ensemble(folder)
    assert len(ensemble) == 10 and sorted(ensemble.seeds) == list(range(10))


def test_the_real_files_match_the_table():
    """The released bytes (a local copy through SPECTRA_SHARED_DATA, when there is one) have the hashes in the code."""
    local = paths.shared_folder(weights.FOLDER)
    if local is None:
        pytest.skip("no local copy of R23's weights (set SPECTRA_SHARED_DATA)")
    assert {f.stem: download.sha256(f) for f in local.glob("*.pt")} == weights.SHA256


def test_offline_without_a_local_copy_is_one_clear_error(tmp_path, no_shared, capsys):
    with pytest.raises(FileNotFoundError, match=r"R23 weight file \d+\.pt: download from http://127\.0\.0\.1:9/"):
        weights.r23_weights_dir(tmp_path / "c", base_url="http://127.0.0.1:9/", progress=False)
    assert main(["weights", "--cache", str(tmp_path / "c"), "--base-url", "http://127.0.0.1:9/", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no local copy" in err and "SPECTRA_SHARED_DATA" in err and "python -m lib weights --local DIR" in err


def test_local_copy_with_wrong_bytes_is_not_used(tmp_path, no_shared):
    bad = tmp_path / "bad"
    bad.mkdir()
    for run in weights.SHA256:
        (bad / f"{run}.pt").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="right SHA-256"):
        weights.r23_weights_dir(tmp_path / "c", base_url="http://127.0.0.1:9/", local=bad, progress=False)


def test_fetch_reports_http_errors(upstream, tmp_path):
    base, _, _ = upstream
    with pytest.raises(requests.HTTPError):
        download.fetch(base + "absent.pt", tmp_path / "absent.pt", "0" * 64, progress=False)
    assert not list(tmp_path.glob("*absent*"))
