"""Test-session settings."""

import os

import pytest
import torch

# pytest-xdist runs one worker per core: one torch thread each, and one BLAS and OpenMP
# thread each (as scikit-learn's own test session limits them), so the workers do not
# oversubscribe the cores. Two workers of two threads on two cores ran the suite's longest
# tests several times slower; OpenBLAS's spinning threads made a logistic regression's
# fit on 100 rows about ten times slower.
if os.environ.get("PYTEST_XDIST_WORKER"):
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)


@pytest.fixture
def accelerator_seedings(monkeypatch):
    """The names of torch's accelerator seeding functions called while a test runs (each
    replaced by a recorder): a fit or training on the CPU calls none."""
    seeded = []
    for module, name in [(torch.cuda, "manual_seed_all"), (torch.cuda, "manual_seed"),
                         (torch.mps, "manual_seed"), (torch.xpu, "manual_seed_all")]:
        monkeypatch.setattr(module, name,
                            lambda seed, _n=f"{module.__name__}.{name}": seeded.append(_n))
    return seeded


@pytest.fixture
def weights_apart_from_X():
    """``(X, Y, w)``: 30 rows of X and Y shuffled, and their weights as a Series in the
    rows' first order, so that its index holds X's row labels in another order."""
    import numpy as np
    import pandas as pd

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    frame["t"] = np.where(frame["a"] > 0, "x", "y")
    frame["w"] = rng.randint(1, 4, 30).astype(float)
    shuffled = frame.sample(frac=1, random_state=1)
    return shuffled[["a", "b"]], shuffled[["t"]], frame["w"]
