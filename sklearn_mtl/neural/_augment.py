"""Batch transforms for ``MultiTaskClassifier(batch_transform=...)``: augmentation.

A batch transform takes the training mini-batch of ``X`` (a tensor on the training
device) and returns a batch of the same shape. It is applied during training only, never
to validation or prediction batches. Randomness comes from torch's global generator,
which ``fit`` seeds from ``random_state``: the same seed gives the same augmentations.

Choose transforms that keep every label true: a horizontal flip turns a left hand into a
right hand and a right slant into a left one.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from torch.nn import functional as F


class RandomShift:
    """Translate each sample by a random whole number of pixels, padding with zeros.

    Works on images (batch, channels, height, width) and clips (batch, channels, frames,
    height, width): a clip moves as a whole.

    Parameters
    ----------
    max_shift : int, default=2
        Largest shift, in pixels, along height and width (each drawn uniformly in
        ``[-max_shift, max_shift]``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.neural import RandomShift
    >>> RandomShift(1)(torch.ones(4, 3, 8, 8)).shape
    torch.Size([4, 3, 8, 8])
    """

    def __init__(self, max_shift=2):
        self.max_shift = max_shift

    def __call__(self, X):
        m = self.max_shift
        # bool is an Integral, but RandomShift(True) is a mistake, not a shift of 1.
        if not isinstance(m, Integral) or isinstance(m, (bool, np.bool_)) or m < 0:
            raise ValueError(f"RandomShift max_shift must be an int >= 0; got {m!r}.")
        if X.ndim not in (4, 5):
            raise ValueError(
                "RandomShift expects a batch of images (batch, channels, height, width) or "
                "of clips (batch, channels, frames, height, width); got a tensor of shape "
                f"{tuple(X.shape)}."
            )
        m = int(m)
        if m == 0:
            return X
        h, w = X.shape[-2:]
        padded = F.pad(X, (m, m, m, m))
        shifts = torch.randint(0, 2 * m + 1, (len(X), 2)).tolist()
        return torch.stack(
            [p[..., dy : dy + h, dx : dx + w] for p, (dy, dx) in zip(padded, shifts)]
        )

    def __repr__(self):
        return f"RandomShift(max_shift={self.max_shift})"


class RandomFlip:
    """Flip each sample along one dimension with probability ``p``.

    Parameters
    ----------
    dim : int, default=-1
        The dimension of the batch to flip (-1: width, a horizontal flip).
    p : float, default=0.5
        Probability that a sample is flipped.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.neural import RandomFlip
    >>> RandomFlip(p=1.0)(torch.arange(3.0).reshape(1, 1, 1, 3))
    tensor([[[[2., 1., 0.]]]])
    """

    def __init__(self, dim=-1, p=0.5):
        self.dim = dim
        self.p = p

    def __call__(self, X):
        p, dim = self.p, self.dim
        if not isinstance(p, Real) or isinstance(p, (bool, np.bool_)) or not 0 <= p <= 1:
            raise ValueError(f"RandomFlip p must be a float in [0, 1]; got {p!r}.")
        if not isinstance(dim, Integral) or isinstance(dim, (bool, np.bool_)):
            raise ValueError(f"RandomFlip dim must be an int; got {dim!r}.")
        if not -X.ndim <= dim < X.ndim:
            raise ValueError(
                f"RandomFlip dim={dim!r} is out of range for a batch of shape "
                f"{tuple(X.shape)}; expected a dim in [1, {X.ndim - 1}] or "
                f"[{-X.ndim + 1}, -1]."
            )
        dim = int(dim)
        if dim in (0, -X.ndim):
            raise ValueError("RandomFlip cannot flip the batch dimension (dim=0).")
        flip = torch.rand(len(X), device=X.device) < self.p
        shape = (len(X),) + (1,) * (X.ndim - 1)
        return torch.where(flip.reshape(shape), X.flip(dim), X)

    def __repr__(self):
        return f"RandomFlip(dim={self.dim}, p={self.p})"


class GaussianNoise:
    """Add Gaussian noise of standard deviation ``std`` to every value.

    Parameters
    ----------
    std : float, default=0.05
        Standard deviation of the noise.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.neural import GaussianNoise
    >>> GaussianNoise(0.1)(torch.zeros(2, 3)).shape
    torch.Size([2, 3])
    """

    def __init__(self, std=0.05):
        self.std = std

    def __call__(self, X):
        std = self.std
        if (not isinstance(std, Real) or isinstance(std, (bool, np.bool_))
                or not math.isfinite(std) or std < 0):
            raise ValueError(f"GaussianNoise std must be a finite float >= 0; got {std!r}.")
        return X + float(std) * torch.randn_like(X)

    def __repr__(self):
        return f"GaussianNoise(std={self.std})"


class Compose:
    """Apply batch transforms one after the other.

    Parameters
    ----------
    transforms : list of callable
        Each maps a batch to a batch of the same shape.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.neural import Compose, GaussianNoise, RandomShift
    >>> augment = Compose([RandomShift(1), GaussianNoise(0.01)])
    >>> augment(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 1, 8, 8])
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, X):
        transforms = self.transforms
        # One transform passed bare (Compose(RandomShift(1))) would otherwise fail with
        # "'RandomShift' object is not iterable".
        if callable(transforms) or not isinstance(transforms, (list, tuple)):
            raise ValueError(
                f"Compose transforms must be a list of callables; got {transforms!r}. "
                "Wrap a single transform in a list: Compose([transform])."
            )
        for i, transform in enumerate(transforms):
            if not callable(transform):
                raise ValueError(
                    f"Compose transforms[{i}] is {transform!r}; expected a callable from a "
                    "batch tensor to a batch tensor of the same shape."
                )
        for transform in transforms:
            X = transform(X)
        return X

    def __repr__(self):
        return f"Compose({self.transforms!r})"


__all__ = ["Compose", "GaussianNoise", "RandomFlip", "RandomShift"]
