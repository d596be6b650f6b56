"""Batch transforms for ``MultiTaskClassifier(batch_transform=...)``: augmentation.

A batch transform takes the training mini-batch of ``X`` (a tensor on the training
device) and returns a batch of the same shape. It is applied during training only, never
to validation or prediction batches. Randomness comes from torch's global generator,
which ``fit`` seeds from ``random_state``: the same seed gives the same augmentations.

Choose transforms that keep every label true: a horizontal flip turns a left hand into a
right hand and a right slant into a left one.
"""

from __future__ import annotations

from numbers import Integral, Real

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
        if not isinstance(m, Integral) or m < 0:
            raise ValueError(f"RandomShift max_shift must be an int >= 0; got {m!r}.")
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
        if not isinstance(self.p, Real) or not 0 <= self.p <= 1:
            raise ValueError(f"RandomFlip p must be in [0, 1]; got {self.p!r}.")
        if self.dim in (0, -X.ndim):
            raise ValueError("RandomFlip cannot flip the batch dimension.")
        flip = torch.rand(len(X), device=X.device) < self.p
        shape = (len(X),) + (1,) * (X.ndim - 1)
        return torch.where(flip.reshape(shape), X.flip(self.dim), X)

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
        return X + self.std * torch.randn_like(X)

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
        for transform in self.transforms:
            X = transform(X)
        return X

    def __repr__(self):
        return f"Compose({self.transforms!r})"


__all__ = ["Compose", "GaussianNoise", "RandomFlip", "RandomShift"]
