"""JCAMP-DX ingestion: parsing, unit conversion, grid, filters, typed errors, the real NIST files."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from lib.__main__ import main
from lib.ir import ingest, jcamp_source
from lib.ir.ingest import Filters, JcampError


@pytest.fixture(scope="module")
def real_dir():
    return jcamp_source.infrared_dir()


def jdx(
    y,
    *,
    firstx=1000.0,
    lastx=None,
    xunits="1/CM",
    yunits="ABSORBANCE",
    state="gas",
    title="test spectrum",
    extra="",
    end=True,
) -> str:
    """A small AFFN JCAMP-DX text with equally spaced x (step 1)."""
    y = list(y)
    lastx = firstx + len(y) - 1 if lastx is None else lastx
    step = (lastx - firstx) / max(len(y) - 1, 1)
    lines = [
        f"##TITLE={title}",
        "##JCAMP-DX=4.24",
        "##DATA TYPE=INFRARED SPECTRUM",
        "##ORIGIN=unit test",
        "##CAS REGISTRY NO=64-17-5",
        f"##STATE={state}" if state is not None else "",
        f"##XUNITS={xunits}" if xunits is not None else "",
        f"##YUNITS={yunits}" if yunits is not None else "",
        "##XFACTOR=1",
        "##YFACTOR=1",
        f"##FIRSTX={firstx}",
        f"##LASTX={lastx}",
        f"##NPOINTS={len(y)}",
        extra,
        "##XYDATA=(X++(Y..Y))",
    ]
    for i in range(0, len(y), 4):
        lines.append(f"{firstx + i * step:g} " + " ".join(f"{v:g}" for v in y[i : i + 4]))
    if end:
        lines.append("##END=")
    return "\n".join(line for line in lines if line) + "\n"


def write(tmp_path, name, text, encoding="latin-1"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- reading
def test_reads_affn_and_header(tmp_path):
    raw = ingest.read_jcamp(write(tmp_path, "a.jdx", jdx([1, 2, 3, 4, 5])))
    assert raw.x.tolist() == [1000, 1001, 1002, 1003, 1004]
    assert raw.y.tolist() == [1, 2, 3, 4, 5]
    assert raw.get("cas") == "64-17-5" and raw.get("state") == "gas" and raw.get("origin") == "unit test"


def test_reads_compressed_asdf():
    # SQZ A0 = 10, DIF J = +1, DUP T = repeat twice, % = +0, j = -1, k = -2; YFACTOR 0.5
    text = "\n".join(
        [
            "##TITLE=asdf",
            "##JCAMP-DX=4.24",
            "##XUNITS=1/CM",
            "##YUNITS=ABSORBANCE",
            "##FIRSTX=100",
            "##LASTX=108",
            "##NPOINTS=9",
            "##XFACTOR=1",
            "##YFACTOR=0.5",
            "##XYDATA=(X++(Y..Y))",
            "100A0JT%J",
            "104A3JJkj",
            "##END=",
        ]
    )
    raw = ingest.read_jcamp(text.encode(), "asdf.jdx")
    assert raw.x.tolist() == list(range(100, 109))
    assert raw.y.tolist() == [v / 2 for v in [10, 11, 12, 12, 13, 14, 15, 13, 12]]


def test_reads_xy_pairs_and_latin1():
    text = "\n".join(
        [
            "##TITLE=Ethanol at 25 \u00b0C",
            "##JCAMP-DX=4.24",
            "##XUNITS=1/CM",
            "##YUNITS=ABSORBANCE",
            "##XYPOINTS=(XY..XY)",
            "1000, 0.5; 1002, 0.7",
            "1001, 0.6",
            "##END=",
        ]
    )
    raw = ingest.read_jcamp(text.encode("latin-1"), "pairs.jdx")
    assert raw.get("title") == "Ethanol at 25 \u00b0C"  # the degree sign is byte 0xB0 in latin-1
    assert raw.x.tolist() == [1000, 1002, 1001] and raw.y.tolist() == [0.5, 0.7, 0.6]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "file"),
        ("<!DOCTYPE html><html><body>Error</body></html>", "file"),
        ("##TITLE=Spectrum not found.\n##END=\n", "TITLE"),
        ("just some text\n", "TITLE"),
        (jdx([1, 2, 3], end=False), "END"),
        (jdx([1, 2, 3]).replace("##NPOINTS=3", "##NPOINTS=5"), "NPOINTS"),
        (jdx([1, 2, 3]).replace("1000 1 2 3", "1000 1 2 x3"), "data"),
        (jdx([1, 2, 3], xunits=None), "XUNITS"),
        (jdx([1, 2, 3], yunits=None), "YUNITS"),
        (jdx([1, 2, 3]).replace("##XYDATA=(X++(Y..Y))\n1000 1 2 3\n", ""), "XYDATA"),
        (jdx([1, 2, 3]).replace("##NPOINTS=3", "##NPOINTS=999999999999"), "NPOINTS"),
        (jdx([1, 2, 3]).replace("##YFACTOR=1", "##YFACTOR=1e400"), "XYDATA"),
        (jdx([1, 2, 3]).replace("1000 1 2 3", "1000 " + "1" * 5000), "line 15"),
        (jdx([1]), "NPOINTS"),
        (jdx([1, 2]).replace("##NPOINTS=2\n", ""), "NPOINTS"),
        (jdx([1, 2]).replace("##FIRSTX=1000.0\n", ""), "FIRSTX"),
    ],
)
def test_bad_files_raise_typed_error_naming_file_and_field(tmp_path, text, field):
    path = write(tmp_path, "broken.jdx", text)
    with pytest.raises(JcampError) as info:
        ingest.read_jcamp(path)
    assert info.value.field == field
    assert str(path) in str(info.value) and field in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jdx"):
        ingest.read_jcamp(tmp_path / "nope.jdx")


# --------------------------------------------------------------------------- units
def raw_spectrum(x, y, xunits="1/CM", yunits="ABSORBANCE"):
    header = {"xunits": xunits, "yunits": yunits, "state": "gas"}
    return ingest.RawSpectrum("t.jdx", np.asarray(x, float), np.asarray(y, float), header)


def test_transmittance_fraction_to_absorbance():
    x, y, done = ingest.to_absorbance(raw_spectrum([1, 2, 3, 4], [1.0, 0.1, 0.01, 0.5], yunits="TRANSMITTANCE"))
    np.testing.assert_allclose(y, [0.0, 1.0, 2.0, math.log10(2)], atol=1e-12)
    assert done == ["y: transmittance -> absorbance"]


def test_percent_transmittance_by_unit_and_by_value():
    _, y1, _ = ingest.to_absorbance(raw_spectrum([1, 2, 3], [50, 10, 1], yunits="% TRANSMITTANCE"))
    _, y2, done = ingest.to_absorbance(raw_spectrum([1, 2, 3], [50, 10, 1], yunits="TRANSMITTANCE"))
    np.testing.assert_allclose(y1, [math.log10(2), 1.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(y2, y1)
    assert done == ["y: percent transmittance -> absorbance"]


def test_zero_transmittance_is_floored():
    _, y, _ = ingest.to_absorbance(raw_spectrum([1, 2], [0.0, -0.01], yunits="TRANSMITTANCE"))
    assert y.tolist() == [4.0, 4.0]  # -log10(1e-4)


def test_micrometres_to_wavenumbers():
    x, _, done = ingest.to_absorbance(raw_spectrum([2.5, 5.0, 10.0, 20.0], [1, 2, 3, 4], xunits="MICROMETERS"))
    np.testing.assert_allclose(x, [4000.0, 2000.0, 1000.0, 500.0])
    assert done == ["x: MICROMETERS -> 1/CM"]
    with pytest.raises(JcampError, match="XYDATA"):
        ingest.to_absorbance(raw_spectrum([0.0, 5.0], [1, 2], xunits="MICRONS"))


def test_quantitative_units_are_absorbance():
    x, y, done = ingest.to_absorbance(raw_spectrum([1, 2], [0.002, 0.004], yunits="(micromol/mol)-1m-1 (base 10)"))
    assert y.tolist() == [0.002, 0.004] and done == ["y: (micromol/mol)-1m-1 taken as absorbance"]


def test_unknown_units_raise():
    with pytest.raises(JcampError, match="YUNITS"):
        ingest.to_absorbance(raw_spectrum([1, 2], [1, 2], yunits="COUNTS"))
    with pytest.raises(JcampError, match="XUNITS"):
        ingest.to_absorbance(raw_spectrum([1, 2], [1, 2], xunits="HZ"))


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("GAS (150 mmHg, N2 ADDED)", "gas"), ("VAPOR", "gas"), ("gas", "gas"), ("liquid (neat)", "liquid"), ("", "")],
)
def test_canonical_state(given, canonical):
    assert ingest.canonical_state(given) == canonical


def test_canonical_units():
    assert ingest.canonical_xunits("cm-1") == ingest.canonical_xunits("1/CM") == "1/CM"
    assert ingest.canonical_xunits("Micrometers") == "MICROMETERS"
    assert ingest.canonical_yunits("(micromol/mol)-1m-1 (base 10)") == ingest.QUANT_ABSORBANCE
    assert ingest.canonical_yunits("Transmittance") == "TRANSMITTANCE"
    assert ingest.canonical_yunits("absorbance") == "ABSORBANCE"


# --------------------------------------------------------------------------- grid
def test_clean_sorts_and_averages_duplicates():
    x, y = ingest.clean_xy([3.0, 1.0, 2.0, 1.0, 3.0], [30.0, 10.0, 20.0, 12.0, 34.0])
    assert x.tolist() == [1.0, 2.0, 3.0] and y.tolist() == [11.0, 20.0, 32.0]


def test_grid_is_linear_zero_outside_and_normalised():
    grid = np.array([0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0])
    v = ingest.to_grid(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]), grid)
    # interpolated: 0 (left of data), 1, 2, 3, 2.5, 2, 0 (right of data); divided by the maximum 3
    np.testing.assert_allclose(v, np.array([0.0, 1.0, 2.0, 3.0, 2.5, 2.0, 0.0]) / 3.0)


def test_default_grid_is_r23_code():
    g = ingest.default_grid()
    assert g.shape == (850,) and g[0] == 500.0 and g[-1] == 3900.0
    np.testing.assert_array_equal(g, np.linspace(500, 3900, 850))


def test_nothing_on_grid_raises():
    with pytest.raises(JcampError, match="no positive absorbance"):
        ingest.to_grid(np.array([5000.0, 6000.0]), np.array([1.0, 2.0]), file="far.jdx")


def test_descending_transmittance_file_end_to_end(tmp_path):
    # x from 1004 down to 1000 (LASTX < FIRSTX), transmittance fractions; gridded onto 1000..1004
    text = jdx([1.0, 0.1, 0.01, 0.1, 1.0], firstx=1004.0, lastx=1000.0, yunits="TRANSMITTANCE")
    path = write(tmp_path, "t.jdx", text)
    grid = np.array([999.0, 1000.0, 1001.0, 1001.5, 1002.0, 1003.0, 1004.0, 1005.0])
    with pytest.raises(ingest.FilteredOut, match="YUNITS"):
        ingest.ingest_file(path, grid)  # R23's default keeps absorbance only
    p = ingest.ingest_file(path, grid, Filters(convert=True))
    np.testing.assert_allclose(p.vector, [0, 0, 0.5, 0.75, 1.0, 0.5, 0, 0], atol=1e-12)
    assert p.x.tolist() == [1000, 1001, 1002, 1003, 1004]
    assert p.conversions == ["y: transmittance -> absorbance"]


# --------------------------------------------------------------------------- filters and batches
def test_filters(tmp_path):
    liquid = ingest.read_jcamp(write(tmp_path, "l.jdx", jdx([1, 2], state="liquid")))
    micro = ingest.read_jcamp(write(tmp_path, "m.jdx", jdx([1, 2], xunits="MICROMETERS")))
    quant = ingest.read_jcamp(write(tmp_path, "q.jdx", jdx([1, 2], yunits="(micromol/mol)-1m-1 (base 10)")))
    gas = ingest.read_jcamp(write(tmp_path, "g.jdx", jdx([1, 2])))
    r23 = Filters()
    assert r23.reason(gas) is None
    assert r23.reason(liquid)[0] == "STATE"
    assert r23.reason(micro)[0] == "XUNITS" and r23.reason(quant)[0] == "YUNITS"
    conv = Filters(convert=True)
    assert conv.reason(micro) is None and conv.reason(quant) is None and conv.reason(liquid)[0] == "STATE"
    assert Filters(states=("liquid",)).reason(liquid) is None
    assert Filters(states=None).reason(liquid) is None


def test_batch_reports_and_goes_on(tmp_path):
    a = write(tmp_path, "a.jdx", jdx([0, 1, 2, 1] * 10, firstx=1000.0))
    b = write(tmp_path, "b.jdx", jdx([1, 2, 3], end=False))
    c = write(tmp_path, "c.jdx", jdx([1, 2, 3], state="solid"))
    d = write(tmp_path, "d.jdx", jdx([5, 1, 2, 3] * 10, firstx=2000.0))
    result = ingest.ingest([a, b, c, d])
    assert result.files == ["a.jdx", "d.jdx"] and result.x.shape == (2, 850)
    assert result.x.dtype == np.float32 and np.allclose(result.x.max(axis=1), 1.0)
    assert [(r.file, r.kind, r.field) for r in result.rejections] == [
        ("b.jdx", "error", "END"),
        ("c.jdx", "filter", "STATE"),
    ]
    qc = result.qc_table()
    assert qc["file"].tolist() == ["a.jdx", "b.jdx", "c.jdx", "d.jdx"]
    assert qc["status"].tolist() == ["kept", "rejected (error)", "rejected (filter)", "kept"]


def test_npz_and_dataset_roundtrip(tmp_path):
    paths = [write(tmp_path, f"{n}.jdx", jdx([0, 1, 2, 1] * 5, title=f"t{n}")) for n in ("b", "a")]
    paths.append(write(tmp_path, "bad.jdx", "<html></html>"))
    result = ingest.ingest(paths)
    out = ingest.save_npz(tmp_path / "x.npz", result)
    with np.load(out, allow_pickle=False) as npz:
        assert set(npz.files) == {"x", "grid", "files", *ingest.HEADER_FIELDS}
        assert npz["files"].tolist() == ["b.jdx", "a.jdx"]  # input order
        assert npz["title"].tolist() == ["tb", "ta"] and npz["cas"].tolist() == ["64-17-5"] * 2
        np.testing.assert_array_equal(npz["x"], result.x)
        np.testing.assert_array_equal(npz["grid"], ingest.default_grid())
    arrays, meta = ingest.load_dataset(ingest.save_dataset(tmp_path / "full.npz", result))
    assert meta["format"] == ingest.DATASET_FORMAT and meta["grid"]["points"] == 850
    assert [s["sha256"] for s in meta["spectra"]] == [p.sha256 for p in result.kept]
    import hashlib

    assert meta["spectra"][0]["sha256"] == hashlib.sha256(paths[0].read_bytes()).hexdigest()
    assert meta["rejections"][0]["file"] == "bad.jdx" and meta["software"]["jcamp"] == "1.3.2"
    off = arrays["raw_offsets"]
    np.testing.assert_array_equal(arrays["raw_x"][off[1] : off[2]], result.kept[1].x)
    with pytest.raises(ValueError, match="metadata"):
        ingest.load_dataset(tmp_path / "x.npz")


# --------------------------------------------------------------------------- the real NIST spectra
def test_real_spectra(real_dir):
    files = sorted(real_dir.glob("*.jdx"))
    assert len(files) >= 60
    r23 = ingest.ingest(files)
    # only the EPA absorbance files in 1/CM pass R23's filter
    assert r23.files == ["1-butene.jdx", "iso-butylene.jdx", "neo-pentane.jdx", "water.jdx"]
    conv = ingest.ingest(files, filters=Filters(convert=True))
    reasons = {r.file: (r.kind, r.field) for r in conv.rejections}
    assert reasons == {
        "ethanol2.jdx": ("filter", "STATE"),
        "example_compound_file.jdx": ("error", "DATA TYPE"),
        "example_multiline_datasets.jdx": ("filter", "STATE"),
        "isopropanol_ASDF.jdx": ("filter", "STATE"),
    }
    assert len(conv.kept) == len(files) - 4
    assert np.isfinite(conv.x).all() and np.allclose(conv.x.max(axis=1), 1.0)
    grid = ingest.default_grid()
    # physics check: benzene's strongest gas-phase band is the C-H out-of-plane bend near 673 cm-1
    benzene = conv.x[conv.files.index("benzene.jdx")]
    assert abs(grid[benzene.argmax()] - 673) < 8
    # ... and CO2's is the antisymmetric stretch near 2349 cm-1
    co2 = conv.x[conv.files.index("carbon dioxide.jdx")]
    assert 2280 < grid[co2.argmax()] < 2400  # saturated: the floor T_MIN caps the band
    table = conv.qc_table()
    assert table["status"].value_counts()["kept"] == len(conv.kept)
    assert isinstance(table, pd.DataFrame)


def test_asdf_file_matches_reference_points(real_dir):
    raw = ingest.read_jcamp(real_dir / "isopropanol_ASDF.jdx")
    assert raw.x.size == raw.y.size == int(raw.get("npoints"))


# --------------------------------------------------------------------------- command line
def test_cli_ingest(tmp_path, capsys):
    a = write(tmp_path, "a.jdx", jdx([0, 1, 2, 1] * 5))
    b = write(tmp_path, "b.jdx", jdx([0, 1], yunits="TRANSMITTANCE"))
    out, full, qc = tmp_path / "o.npz", tmp_path / "full.npz", tmp_path / "qc.csv"
    assert main(["ingest", str(a), str(b), "--out", str(out), "--dataset", str(full), "--qc", str(qc), "-q"]) == 0
    assert "kept 1 of 2" in capsys.readouterr().out
    with np.load(out) as npz:
        assert npz["files"].tolist() == ["a.jdx"]
    assert json.loads(str(np.load(full)["metadata"]))["filters"]["convert"] is False
    assert pd.read_csv(qc)["status"].tolist() == ["kept", "rejected (filter)"]
    assert main(["ingest", str(a), str(b), "--out", str(out), "--convert", "-q", "--grid", "900", "1100", "201"]) == 0
    with np.load(out) as npz:
        assert npz["x"].shape == (2, 201)
    assert main(["ingest", str(tmp_path / "missing.jdx"), "--out", str(out)]) == 2
    assert "missing.jdx" in capsys.readouterr().err
