from __future__ import annotations

import pytest
import torch

from lib.paths import data_file
from lib.synthetic import generator as synthetic


@pytest.fixture(scope="session")
def benchmark_classes() -> synthetic.ClassSet:
    return synthetic.load_classes(data_file("synthetic_benchmark_classes.json"))


@pytest.fixture(scope="session")
def challenge_classes() -> synthetic.ClassSet:
    return synthetic.load_classes(data_file("synthetic_challenge_classes.json"))


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models train faster on one thread, above all on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
