from __future__ import annotations

import pytest

from lib import synthetic
from lib.paths import shared_file


@pytest.fixture(scope="session")
def benchmark_classes() -> synthetic.ClassSet:
    return synthetic.load_classes(shared_file("synthetic_benchmark_classes.json"))


@pytest.fixture(scope="session")
def challenge_classes() -> synthetic.ClassSet:
    return synthetic.load_classes(shared_file("synthetic_challenge_classes.json"))
