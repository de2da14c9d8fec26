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
