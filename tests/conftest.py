"""Shared fixtures. The torch backend is tested on NNLIB_TEST_DEVICE (default cpu; set it to
``cuda`` on a GPU machine to run every nnlib.torch test there)."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import nnlib  # noqa: E402

TEST_DEVICE = torch.device(os.environ.get("NNLIB_TEST_DEVICE", "cpu"))


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same seed, so failures reproduce."""
    nnlib.manual_seed(0)
    yield


@pytest.fixture
def device():
    return TEST_DEVICE


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
