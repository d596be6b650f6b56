"""Datasets: bundled real data and generators of structured synthetic data."""

from ._penguins import load_penguins
from ._synthetic import make_multitask_classification

__all__ = ["load_penguins", "make_multitask_classification"]
