"""Shared pytest fixtures."""

import pytest


# --- data -------------------------------------------------------------------

@pytest.fixture(scope="module")
def mnist():
    """The real MNIST split (load_mnist()), or a skip that says why it is missing."""
    from minitheano.datasets import MNISTUnavailable, load_mnist
    try:
        return load_mnist()
    except MNISTUnavailable as err:
        pytest.skip(f"MNIST could not be acquired: {err}")


def pytest_report_header(config):
    """Which array backend the run uses (MINITHEANO_DEVICE: cpu, gpu, or strict, the stand-in for cupy)."""
    from minitheano import config as th_config
    return f"minitheano device: {th_config.device}"
