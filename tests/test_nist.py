"""The WebBook client against the replay server, over real sockets on 127.0.0.1, with injected faults."""

from __future__ import annotations

import email.utils
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from lib.__main__ import main
from lib.ir import jcamp_source, nist, replay
from lib.ir.replay import Fault, ReplayServer
from lib.paths import REPO, data_file

BENZENE, BUTANE, ETHANOL = "C71432", "C106978", "C64175"  # butane: two files (butane.jdx, n-butane.jdx)
MISSING = "C999999999"


@pytest.fixture(scope="module")
def real_dir() -> Path:
    return jcamp_source.infrared_dir()


@pytest.fixture(scope="module")
def structures() -> Path:
    return data_file("jcamp_ir_structures.csv")


def make_client(server: ReplayServer, sleeps: list[float], **options) -> nist.WebBookClient:
    options = {"timeout": 0.3, "max_retries": 3, "backoff": 1.0, **options}
    return nist.WebBookClient(server.url, sleep=sleeps.append, **options)


def cache_files(out: Path) -> dict[str, bytes]:
    """Every file of a cache except the manifest, by relative path."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


# --------------------------------------------------------------------------- the replay itself
def test_catalogue_maps_cas_ids_indexes_and_inchis(real_dir, structures):
    cat = replay.build_catalogue(real_dir, structures)
    assert [p.name for p in cat.spectra[BUTANE]] == ["butane.jdx", "n-butane.jdx"]
    assert [p.name for p in cat.spectra[BENZENE]] == ["benzene.jdx"]
    no_cas = {cid: [p.name for p in files] for cid, files in cat.spectra.items() if not cid.startswith("C")}
    assert sorted(sum(no_cas.values(), [])) == sorted(
        ["ethanol2.jdx", "example_compound_file.jdx", "example_multiline_datasets.jdx", "isopropanol_ASDF.jdx"]
    )
    assert replay.synthetic_id("ethanol2.jdx") in no_cas and replay.synthetic_id("ethanol2.jdx").startswith("X")
    assert cat.inchi[ETHANOL] == "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3"
    assert ("Benzene", "C6H6", "71-43-2") in cat.species
    assert sum(map(len, cat.spectra.values())) == len(list(real_dir.glob("*.jdx")))


def test_fault_spec_parsing():
    assert replay.parse_fault("500:JCAMP=C71432:2:1") == Fault("500", "JCAMP=C71432", 2, 1)
    assert replay.parse_fault("timeout") == Fault("timeout")
    with pytest.raises(ValueError, match="fault kind"):
        replay.parse_fault("teapot")
    with pytest.raises(ValueError, match="integers"):
        replay.parse_fault("500:x:many")


# --------------------------------------------------------------------------- validation
def test_truncated_and_html_bodies_are_not_jcamp(real_dir):
    files = sorted(real_dir.glob("*.jdx"))
    for path in files:
        body = path.read_bytes()
        assert nist.jcamp_problem(body) is None, path.name
        for cut in (len(body) // 2, body.rindex(b"##END=") + 3, 200):
            assert nist.jcamp_problem(body[:cut]) is not None, (path.name, cut)
    assert "HTML" in nist.jcamp_problem(replay.HTML_ERROR)
    assert nist.not_found_body(replay.NOT_FOUND_BODY) and not nist.not_found_body(files[0].read_bytes())
    # a compound file cut right after a block's ##END= still misses its outer ##END=
    compound = (real_dir / "example_compound_file.jdx").read_bytes()
    first_end = compound.index(b"##END=") + len(b"##END=\n")
    assert "truncated" in nist.jcamp_problem(compound[:first_end])


# --------------------------------------------------------------------------- fetching
def test_clean_fetch_and_rerun_skips_everything(real_dir, structures, tmp_path):
    ids = [BENZENE, BUTANE, ETHANOL, replay.synthetic_id("ethanol2.jdx"), MISSING]
    sleeps: list[float] = []
    with ReplayServer(real_dir, structures) as server:
        client = make_client(server, sleeps)
        result = nist.fetch(ids, tmp_path, client=client, delay=2.5, progress=False)
        first = len(server.log)
        again = nist.fetch(ids, tmp_path, client=make_client(server, sleeps), delay=2.5, progress=False)
        assert len(server.log) == first  # a rerun of a finished cache sends no request
        assert server.user_agents == {nist.USER_AGENT}
    assert sleeps == [2.5] * 4  # the crawl delay between compounds, none before the first or on the rerun
    entries = result["compounds"]
    assert again["compounds"] == entries
    assert entries[BUTANE]["spectra"] == [f"spectra/{BUTANE}_0.jdx", f"spectra/{BUTANE}_1.jdx"]
    assert (tmp_path / entries[BUTANE]["spectra"][1]).read_bytes() == (real_dir / "n-butane.jdx").read_bytes()
    assert (tmp_path / f"spectra/{BENZENE}_0.jdx").read_bytes() == (real_dir / "benzene.jdx").read_bytes()
    assert (tmp_path / f"inchi/{ETHANOL}.txt").read_text() == "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3\n"
    assert entries[MISSING] == {"status": "done", "spectra": [], "inchi": None}
    assert (tmp_path / f"inchi/{replay.synthetic_id('ethanol2.jdx')}.txt").read_text().startswith("InChI=1S/C2H6O/")
    # one request per spectrum, one 'not found' per compound, one InChI each: 5 + 5 + 5
    targets = [t for t, _ in server.log]
    assert len(targets) == 15 and targets[0] == f"/cgi/cbook.cgi?JCAMP={BENZENE}&Index=0&Type=IR"
    assert manifest(tmp_path) == result
    assert nist.summary(result) == {"compounds": 5, "done": 5, "failed": 0, "spectra": 5, "inchi": 4}


@pytest.mark.parametrize("kind", ["500", "429", "timeout", "truncate", "drop", "html"])
def test_each_fault_is_retried_and_never_saved(real_dir, structures, tmp_path, kind):
    target = f"JCAMP={BENZENE}&Index=0"
    sleeps: list[float] = []
    faults = [Fault(kind, target, times=2, retry_after=7, hold=1.0)]
    with ReplayServer(real_dir, structures, faults) as server:
        result = nist.fetch([BENZENE], tmp_path, client=make_client(server, sleeps), delay=0, progress=False)
        hits = server.requests_matching(target)
    assert [k for _, k in hits] == [kind, kind, ""]  # two faulty answers, then the good one
    assert sleeps == ([7.0, 7.0] if kind == "429" else [1.0, 2.0])  # Retry-After, or back-off 1 s, 2 s
    assert result["compounds"][BENZENE]["status"] == "done"
    assert (tmp_path / f"spectra/{BENZENE}_0.jdx").read_bytes() == (real_dir / "benzene.jdx").read_bytes()
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("kind", ["truncate", "html", "500", "drop"])
def test_persistent_fault_fails_the_compound_saves_nothing_and_rerun_heals(real_dir, structures, tmp_path, kind):
    target = f"JCAMP={BUTANE}&Index=1"
    sleeps: list[float] = []
    with ReplayServer(real_dir, structures, [Fault(kind, target, times=-1)]) as server:
        client = make_client(server, sleeps, max_retries=2)
        result = nist.fetch([BUTANE, BENZENE], tmp_path, client=client, delay=0, progress=False)
        assert len(server.requests_matching(target)) == 3  # bounded: 1 + max_retries
    entry = result["compounds"][BUTANE]
    assert entry["status"] == "failed" and target in entry["error"]
    assert entry["spectra"] == [f"spectra/{BUTANE}_0.jdx"]  # index 0 came through and stays
    assert not (tmp_path / f"spectra/{BUTANE}_1.jdx").exists()
    assert result["compounds"][BENZENE]["status"] == "done"  # the run went on
    assert main_ok_after_heal(real_dir, structures, tmp_path)


def main_ok_after_heal(real_dir, structures, out) -> bool:
    with ReplayServer(real_dir, structures) as server:
        result = nist.fetch([BUTANE, BENZENE], out, client=make_client(server, []), delay=0, progress=False)
        refetched = [t for t, _ in server.log if "JCAMP=" in t]
    assert refetched == [f"/cgi/cbook.cgi?JCAMP={BUTANE}&Index={i}&Type=IR" for i in (1, 2)]
    assert (out / f"spectra/{BUTANE}_1.jdx").read_bytes() == (real_dir / "n-butane.jdx").read_bytes()
    return result["compounds"][BUTANE]["status"] == "done"


def test_injected_not_found_ends_the_walk(real_dir, structures, tmp_path):
    faults = [Fault("notfound", f"JCAMP={BUTANE}&Index=1"), Fault("notfound", f"JCAMP={BENZENE}&Index=0")]
    with ReplayServer(real_dir, structures, faults) as server:
        result = nist.fetch([BUTANE, BENZENE], tmp_path, client=make_client(server, []), delay=0, progress=False)
    assert result["compounds"][BUTANE]["spectra"] == [f"spectra/{BUTANE}_0.jdx"]
    assert result["compounds"][BENZENE]["spectra"] == []


def test_inchi_and_species_endpoints(real_dir, structures):
    with ReplayServer(real_dir, structures, [Fault("500", "GetInChI", times=1)]) as server:
        sleeps: list[float] = []
        client = make_client(server, sleeps)
        assert client.inchi("71-43-2") == "InChI=1S/C6H6/c1-2-4-6-5-3-1/h1-6H" and sleeps == [1.0]
        assert client.inchi(MISSING) is None
        species = client.species()
    assert nist.Species("Benzene", "C6H6", "71-43-2") in species
    assert {s.id for s in species} >= {BENZENE, BUTANE, ETHANOL}


def test_retry_after_as_http_date_uses_the_clock():
    client = nist.WebBookClient("http://127.0.0.1:9", clock=lambda: 1_000_000.0)
    response = requests.Response()
    response.headers["Retry-After"] = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert client._retry_after(response) == 30.0
    response.headers["Retry-After"] = "12"
    assert client._retry_after(response) == 12.0


def test_gives_up_on_a_dead_server():
    sleeps: list[float] = []
    client = nist.WebBookClient("http://127.0.0.1:9", timeout=0.5, max_retries=2, backoff=3.0, sleep=sleeps.append)
    with pytest.raises(nist.FetchError, match="gave up after 3 attempts; last: connection error"):
        client.spectrum(BENZENE, 0)
    assert sleeps == [3.0, 6.0]


def test_read_ids(tmp_path):
    index = data_file("nist_gas_ir_index.csv")
    ids = nist.read_ids(index)
    assert len(ids) == 8273 and ids[:2] == ["C100005", "C100016"]
    plain = tmp_path / "ids.txt"
    plain.write_text("# my compounds\n71-43-2\nC71432\n64175\n\nB1000\n")
    assert nist.read_ids(plain) == [BENZENE, ETHANOL, "B1000"]
    plain.write_text("71-43-2\nbad id!\n")
    with pytest.raises(ValueError, match="entry 2"):
        nist.read_ids(plain)


# --------------------------------------------------------------------------- kill and resume
def test_killed_run_resumes_to_the_same_cache(real_dir, structures, tmp_path):
    ids_file = tmp_path / "ids.txt"
    with ReplayServer(real_dir, structures) as server:
        ids = server.catalogue.ids
        ids_file.write_text("\n".join(i.removeprefix("C") if i.startswith("C1") else i for i in ids) + "\n")
        clean, killed = tmp_path / "clean", tmp_path / "killed"
        nist.fetch(nist.read_ids(ids_file), clean, client=make_client(server, []), delay=0, progress=False)

        command = [sys.executable, "-m", "lib", "nist", "fetch", "--ids", str(ids_file), "--out", str(killed)]
        command += ["--base-url", server.url, "--delay", "0.1", "--quiet"]
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        try:
            while len(list((killed / "spectra").glob("*.jdx"))) < 10:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "the fetch subprocess wrote no spectra"
                time.sleep(0.02)
        finally:
            proc.kill()
            proc.wait()
        assert proc.returncode == -9  # killed, not finished
        before = {p.name for p in (killed / "spectra").glob("*.jdx")}
        if (killed / "manifest.json").exists():
            assert nist.summary(manifest(killed))["done"] < len(ids)
        asked_before = len(server.log)
        nist.fetch(nist.read_ids(ids_file), killed, client=make_client(server, []), delay=0, progress=False)
        resumed = [t for t, _ in server.log[asked_before:]]
    for name in before:  # nothing already on disk was fetched again
        cid, index = name.removesuffix(".jdx").rsplit("_", 1)
        assert f"/cgi/cbook.cgi?JCAMP={cid}&Index={index}&Type=IR" not in resumed
    assert cache_files(killed) == cache_files(clean)
    assert manifest(killed)["compounds"] == manifest(clean)["compounds"]
    assert nist.summary(manifest(clean))["spectra"] == len(list(real_dir.glob("*.jdx")))


# --------------------------------------------------------------------------- command line
def test_cli_fetch(real_dir, structures, tmp_path, capsys):
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{BENZENE}\n{BUTANE}\n")
    out = tmp_path / "cache"
    with ReplayServer(real_dir, structures, [Fault("500", f"JCAMP={BUTANE}", times=-1)]) as server:
        args = ["nist", "fetch", "--ids", str(ids), "--out", str(out), "--base-url", server.url, "--delay", "0", "-q"]
        assert main([*args, "--retries", "0"]) == 1  # one compound failed
        assert "1 failed" in capsys.readouterr().out
        server.faults.clear()
        assert main(args) == 0
        assert "2 of 2 compounds done, 3 spectra" in capsys.readouterr().out
        assert main(["nist", "fetch", "--species", "--out", str(tmp_path / "all"), "--base-url", server.url,
                     "--delay", "0", "-q"]) == 0  # fmt: skip
    assert nist.summary(manifest(tmp_path / "all"))["compounds"] == 60  # the CAS-numbered compounds
    assert main(["nist", "fetch", "--ids", str(tmp_path / "none.txt"), "--out", str(out)]) == 2
    assert "id list not found" in capsys.readouterr().err
    assert main(["nist", "fetch", "--ids", str(ids), "--out", str(out), "--base-url", "ftp://x"]) == 2
    assert main(["nist", "fetch", "--ids", str(ids), "--out", str(tmp_path / "x"), "--base-url",
                 "http://127.0.0.1:9", "--retries", "0", "--delay", "0", "-q"]) == 1  # fmt: skip


def test_cli_serve(real_dir, structures):
    command = [sys.executable, "-m", "lib", "nist", "serve", "--dir", str(real_dir), "--structures", str(structures)]
    command += ["--port", "0", "--fault", f"429:JCAMP={BENZENE}:1"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert "replaying 68 spectra of 64 compounds (62 InChIs)" in line, line + proc.stderr.read()
        url = line.split(" at ")[1].split()[0]
        sleeps: list[float] = []
        client = nist.WebBookClient(url, timeout=5, backoff=1.0, sleep=sleeps.append)
        assert client.spectrum(BENZENE, 0) == (real_dir / "benzene.jdx").read_bytes()
        assert sleeps == [2.0]  # the default Retry-After
        assert client.spectrum(BENZENE, 1) is None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
