"""Property-based fuzzing of the JCAMP-DX reader: mutated files raise JcampError or parse; nothing else.

Seeds are small hand-written files (AFFN, compressed ASDF, XY pairs, compound) and real NIST files
from the jcamp sdist (whole small ones, the head of larger ones). Each example applies 1-6
mutations (delete, insert JCAMP-ish tokens or raw bytes, flip bytes, duplicate or swap lines,
change a header value, truncate) and runs the whole per-file pipeline: read, convert, grid.
"""

from __future__ import annotations

import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.ir import ingest, jcamp_source
from lib.ir.ingest import JcampError

EXAMPLES = 2000
HANG_SECONDS = 5.0
NAME = "fuzz-target.jdx"

SMALL = [
    b"##TITLE=affn\n##JCAMP-DX=4.24\n##STATE=gas\n##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n##XFACTOR=1\n"
    b"##YFACTOR=0.001\n##FIRSTX=1000\n##LASTX=1007\n##NPOINTS=8\n##XYDATA=(X++(Y..Y))\n"
    b"1000 10 20 30 40\n1004 50 40 30 20\n##END=\n",
    b"##TITLE=asdf\n##JCAMP-DX=5.01\n##STATE=GAS\n##XUNITS=1/CM\n##YUNITS=TRANSMITTANCE\n##XFACTOR=1\n"
    b"##YFACTOR=0.01\n##FIRSTX=1000\n##LASTX=1008\n##NPOINTS=9\n##XYDATA=(X++(Y..Y))\n1000A0JT%J\n1004A3JJkj\n"
    b"##END=\n",
    b"##TITLE=pairs \xb0C\n##JCAMP-DX=4.24\n##XUNITS=MICROMETERS\n##YUNITS=% TRANSMITTANCE\n##NPOINTS=3\n"
    b"##XYPOINTS=(XY..XY)\n2.5, 50; 5.0, 10\n10.0, 1\n##END=\n",
    b"##TITLE=link\n##JCAMP-DX=5.01\n##DATA TYPE=LINK\n##BLOCKS=2\n##TITLE=b1\n##XUNITS=1/CM\n"
    b"##YUNITS=ABSORBANCE\n##XYPOINTS=(XY..XY)\n1,2 3,4\n##END=\n##TITLE=b2\n##XUNITS=1/CM\n"
    b"##YUNITS=ABSORBANCE\n##XYPOINTS=(XY..XY)\n5,6 7,8\n##END=\n##END=\n",
    b"##TITLE=Spectrum not found.\n##END=\n",
]
WHOLE = ["1-butene.jdx", "water.jdx", "neo-pentane.jdx"]
HEADS = ["benzene.jdx", "ethyl acetate.jdx", "isopropanol_ASDF.jdx", "example_compound_file.jdx", "ethanol2.jdx"]
TOKENS = [
    b"##", b"=", b"\n", b"\r\n", b"##END=", b"##TITLE=", b"##XYDATA=(X++(Y..Y))", b"##XYPOINTS=(XY..XY)",
    b"##PEAK TABLE=(XY..XY)", b"##NPOINTS=", b"##FIRSTX=", b"##LASTX=", b"##XFACTOR=", b"##YFACTOR=",
    b"##DATA TYPE=LINK", b"##XUNITS=", b"##YUNITS=", b"##STATE=", b"##LONGDATE=2020/01/01 10:1012345",
    b"$$ comment", b"?", b"e+999", b"1e-999", b"-", b"+", b",", b";", b".", b" ", b"\t", b"\x00", b"\xff",
    b"0", b"9", b"@", b"A", b"i", b"J", b"r", b"%", b"S", b"s", b"Z", b"nan", b"inf", b"-1", b"999999999",
    b"TRANSMITTANCE", b"ABSORBANCE", b"MICROMETERS", b"(micromol/mol)-1m-1", b"<html>",
]  # fmt: skip
HEADER_LABELS = [b"NPOINTS", b"FIRSTX", b"LASTX", b"XFACTOR", b"YFACTOR", b"XUNITS", b"YUNITS", b"STATE", b"XYDATA"]


@pytest.fixture(scope="module")
def seeds() -> list[bytes]:
    folder = jcamp_source.infrared_dir()
    out = list(SMALL)
    out += [(folder / name).read_bytes() for name in WHOLE]
    for name in HEADS:
        lines = (folder / name).read_bytes().splitlines(keepends=True)
        out.append(b"".join(lines[:60]) + b"##END=\n")
    return out


chunk = st.one_of(
    st.sampled_from(TOKENS),
    st.binary(min_size=1, max_size=12),
    st.text(alphabet="0123456789.+-eE ,;@ABCDEFGHIabcdefghiJKLMNOPQRjklmnopqr%STUVWXYZs?#=\n", max_size=30).map(
        lambda t: t.encode("latin-1")
    ),
)
fraction = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
mutation = st.one_of(
    st.tuples(st.just("delete"), fraction, st.integers(1, 200)),
    st.tuples(st.just("insert"), fraction, chunk),
    st.tuples(st.just("flip"), fraction, st.integers(0, 255)),
    st.tuples(st.just("dup_line"), fraction, st.integers(1, 50)),
    st.tuples(st.just("swap_lines"), fraction, fraction),
    st.tuples(st.just("header"), st.sampled_from(HEADER_LABELS), chunk),
    st.tuples(st.just("truncate"), fraction, st.just(0)),
)


def mutate(data: bytes, ops: list[tuple]) -> bytes:
    for op, a, b in ops:
        at = int(a * len(data)) if isinstance(a, float) else 0
        if op == "delete":
            data = data[:at] + data[at + b :]
        elif op == "insert":
            data = data[:at] + b + data[at:]
        elif op == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([b]) + data[at + 1 :]
        elif op in ("dup_line", "swap_lines"):
            lines = data.splitlines(keepends=True)
            if lines:
                i = min(int(a * len(lines)), len(lines) - 1)
                if op == "dup_line":
                    lines[i:i] = [lines[i]] * b
                else:
                    j = min(int(b * len(lines)), len(lines) - 1)
                    lines[i], lines[j] = lines[j], lines[i]
                data = b"".join(lines)
        elif op == "header":
            key = b"##" + a + b"="
            at = data.find(key)
            if at >= 0:
                end = data.find(b"\n", at)
                end = len(data) if end < 0 else end
                data = data[: at + len(key)] + b + data[end:]
        elif op == "truncate":
            data = data[: int(a * len(data))]
    return data


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"one example took longer than {HANG_SECONDS} s")


def pipeline(data: bytes) -> None:
    """Everything a batch does with one file; returns normally or raises JcampError."""
    raw = ingest.read_jcamp(data, NAME)
    assert raw.x.size == raw.y.size >= 2
    assert np.isfinite(raw.x).all() and np.isfinite(raw.y).all()
    x, y, _ = ingest.to_absorbance(raw)
    x, y = ingest.clean_xy(x, y)
    v = ingest.to_grid(x, y, file=NAME)
    assert v.shape == (850,) and np.isfinite(v).all() and v.max() == 1.0


def test_mutated_jcamp_raises_only_jcamp_error(seeds):
    counts = {"examples": 0, "parsed": 0, "rejected": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(seed=st.integers(0, len(seeds) - 1), ops=st.lists(mutation, min_size=1, max_size=6))
    def case(seed: int, ops: list[tuple]) -> None:
        counts["examples"] += 1
        data = mutate(seeds[seed], ops)
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
        try:
            pipeline(data)
            counts["parsed"] += 1
        except JcampError as err:  # the only exception allowed out, and it names the file
            assert NAME in str(err) and err.field
            counts["rejected"] += 1
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    case()
    assert counts["examples"] >= EXAMPLES
    assert counts["parsed"] > 0 and counts["rejected"] > 0  # the fuzzer reached both outcomes


def test_unmutated_seeds_behave(seeds):
    outcomes = []
    for data in seeds:
        try:
            pipeline(data)
            outcomes.append("ok")
        except JcampError as err:
            outcomes.append(err.field)
    assert outcomes[:5] == ["ok", "ok", "ok", "DATA TYPE", "TITLE"]
    assert outcomes[5:8] == ["ok", "ok", "ok"]
