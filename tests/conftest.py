"""Test-session settings."""

import os

import pytest
import torch

# pytest-xdist runs one worker per core: one torch thread each, so the workers do not
# oversubscribe the cores (two workers of two threads on two cores ran the suite's
# longest tests several times slower).
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


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
