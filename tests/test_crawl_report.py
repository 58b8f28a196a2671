"""lib.ir.crawl_report: the tables and numbers of a crawl of the replay server."""

from __future__ import annotations

import pytest

from lib.ir import crawl_report, ingest, jcamp_source, nist, replay
from lib.ir.replay import ReplayServer
from lib.paths import data_file

BENZENE, BUTANE = "C71432", "C106978"  # butane: two files (butane.jdx, n-butane.jdx)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    """Benzene, butane and ethanol2.jdx (no ##STATE=) crawled once, with a 500 on benzene's first spectrum."""
    try:
        folder = jcamp_source.infrared_dir()
    except jcamp_source.SourceError as err:
        pytest.skip(f"jcamp sdist not available: {err}")
    out = tmp_path_factory.mktemp("crawl")
    ids = [BENZENE, BUTANE, replay.synthetic_id("ethanol2.jdx")]
    faults = [replay.parse_fault("500:C71432&Index:1")]
    with ReplayServer(folder, data_file("jcamp_ir_structures.csv"), faults=faults) as server:
        client = nist.WebBookClient(server.url, timeout=2.0, backoff=0.0, max_retries=2)
        nist.fetch(ids, out, client=client, delay=0.0, progress=False)
    return server, out


def test_fault_table_lists_only_the_faulted_requests(crawl):
    server, _ = crawl
    table = crawl_report.fault_table(server)
    assert table.to_dict("records") == [{"request": f"/cgi/cbook.cgi?JCAMP={BENZENE}&Index=0&Type=IR", "fault": "500"}]
    assert len(server.log) == 1 + 4 + 3 + 3  # the retry, four spectra, three 'not found', three InChIs


def test_fault_spec_without_equals_sign_matches_spectra_only():
    fault = replay.parse_fault("500:C71432&Index:2")
    assert fault == replay.Fault("500", "C71432&Index", 2) and "=" not in "500:C71432&Index:2"
    assert fault.match in f"/cgi/cbook.cgi?JCAMP={BENZENE}&Index=0&Type=IR"
    assert fault.match not in f"/cgi/cbook.cgi?GetInChI={BENZENE}"


def test_qc_overview_and_numbers(crawl):
    server, out = crawl
    sources = crawl_report.source_files(server, out)
    crawled = sorted(p.name for p in (out / "spectra").iterdir())
    ethanol2 = f"{replay.synthetic_id('ethanol2.jdx')}_0.jdx"
    assert crawled == sorted([f"{BENZENE}_0.jdx", f"{BUTANE}_0.jdx", f"{BUTANE}_1.jdx", ethanol2])
    assert [sources[f] for f in (f"{BENZENE}_0.jdx", f"{BUTANE}_1.jdx", ethanol2)] == [
        "benzene.jdx",
        "n-butane.jdx",
        "ethanol2.jdx",
    ]
    converting = ingest.ingest([out / "spectra"], filters=ingest.CONVERTING_FILTERS)
    strict = ingest.ingest([out / "spectra"], filters=ingest.R23_FILTERS)
    qc, kept = crawl_report.qc_overview(converting, sources, origin_width=10)
    assert list(qc.columns[:3]) == ["file", "source file", "title"]
    assert set(kept["source file"]) == {"benzene.jdx", "butane.jdx", "n-butane.jdx"}
    rejected = qc[qc["status"] != "kept"]
    assert rejected["source file"].tolist() == ["ethanol2.jdx"] and rejected["field"].tolist() == ["STATE"]
    assert set(kept["state"]) == {"gas"} and kept["origin"].str.len().max() <= 10
    assert kept["points"].dtype.kind == "i"
    numbers = crawl_report.file_numbers(qc, kept, strict)
    assert numbers["files"] == 4 and numbers["kept"] == 3 and numbers["rejected"] == 1
    assert numbers["strict_kept"] == len(strict.kept)
    assert numbers["points_min"] == kept["points"].min() and numbers["points_max"] == kept["points"].max()
    assert numbers["start_min"] == kept["xmin"].min() and numbers["end_max"] == kept["xmax"].max()
    assert numbers["wavelength_files"] == 0
    assert all(type(v) in (int, float) for v in numbers.values())  # plain numbers glue as text
