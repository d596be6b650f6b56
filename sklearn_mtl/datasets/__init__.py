"""Datasets: bundled real data and generators of structured synthetic data."""

from ._images import make_car_images, make_handball_clips, make_leaf_images
from ._penguins import load_penguins
from ._synthetic import make_multitask_classification

__all__ = [
    "load_penguins",
    "make_car_images",
    "make_handball_clips",
    "make_leaf_images",
    "make_multitask_classification",
]
