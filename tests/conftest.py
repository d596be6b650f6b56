"""Test-session settings."""

import os

import torch

# pytest-xdist runs one worker per core: one torch thread each, so the workers do not
# oversubscribe the cores (two workers of two threads on two cores ran the suite's
# longest tests several times slower).
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
