"""Convolutional trunks for images (N, C, H, W) and clips (N, C, T, H, W).

A trunk is any ``nn.Module`` mapping an input batch to a feature batch of shape
(batch, n_features). The trunks here end with global average pooling, so they take
images or clips of any height, width and length; they expose their output width as
``out_features`` so that no dry forward pass is needed.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from ._modules import ACTIVATIONS


class _AvgPool3d(nn.AvgPool3d):
    """``nn.AvgPool3d`` that takes clips shorter, lower or narrower than its window, as
    ``MaxPool3d`` and ``AvgPool2d`` do in ceil mode: torch's refuses them ("input image
    (T: 1 H: 1 W: 1) smaller than kernel size"), so ``pool="avg"`` failed on clips that
    ``pool="max"`` took. Along such a dimension the window is cut to its size (a
    dimension of one entry is kept as it is); elsewhere the pooling is unchanged."""

    def forward(self, x):
        kernel = self.kernel_size if isinstance(self.kernel_size, tuple) else (
            self.kernel_size,) * 3
        if all(k <= n for k, n in zip(kernel, x.shape[-3:])):
            return super().forward(x)
        kernel = tuple(min(k, n) for k, n in zip(kernel, x.shape[-3:]))
        stride = self.stride if self.stride else self.kernel_size
        return nn.functional.avg_pool3d(x, kernel, stride, self.padding, self.ceil_mode,
                                        self.count_include_pad, self.divisor_override)


_POOLS = {"max": (nn.MaxPool2d, nn.MaxPool3d), "avg": (nn.AvgPool2d, _AvgPool3d), None: None}


def _check_sizes(name, param, value, dim):
    """An int >= 1 or a sequence of ``dim`` of them: a convolution's kernel size or stride."""
    if isinstance(value, Integral):
        values = (value,)
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = ()
        if len(values) != dim:
            values = ()
    if not values or not all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 1
                             for v in values):
        raise ValueError(
            f"{name} {param} must be an int >= 1 or a sequence of {dim} such ints; "
            f"got {value!r}."
        )


def _check_common(name, channels, pool, activation, dim=2, kernel_size=3, stride=1,
                  dropout=0.0, batch_norm=True, channels_last=False):
    _check_sizes(name, "kernel_size", kernel_size, dim)
    _check_sizes(name, "stride", stride, dim)
    if (not isinstance(dropout, Real) or isinstance(dropout, bool)
            or not 0.0 <= dropout < 1.0):
        raise ValueError(f"{name} dropout must be a float in [0, 1); got {dropout!r}.")
    given = channels
    # an int (channels=16) failed with "'int' object is not iterable", a string was read
    # digit by digit and a bool as 1 channel failed inside torch
    channels = () if isinstance(channels, (str, bytes, Integral)) else tuple(
        channels) if hasattr(channels, "__iter__") else ()
    if not channels or not all(isinstance(c, Integral) and not isinstance(c, (bool, np.bool_))
                               and c > 0 for c in channels):
        one = (f" For one block, pass channels=({given!r},)."
               if isinstance(given, Integral) and not isinstance(given, (bool, np.bool_))
               and given > 0 else "")
        raise ValueError(
            f"{name} channels must be a non-empty sequence of positive ints, one per "
            f"convolutional block; got {given!r}.{one}"
        )
    for param, value in (("batch_norm", batch_norm), ("channels_last", channels_last)):
        # a string ("no", "False") was read as True
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} {param} must be a bool; got {value!r}.")
    if pool not in _POOLS:
        raise ValueError(f"{name} pool must be one of ['max', 'avg', None]; got {pool!r}.")
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"{name} activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}."
        )
    return channels


def _check_input_shape(name, input_shape, in_channels, expected):
    """``input_shape`` is one sample's shape, without the batch dimension."""
    if input_shape is None:
        return
    input_shape = tuple(input_shape)
    dims = ", ".join(expected)
    if len(input_shape) != len(expected):
        given = ", ".join(["n_samples", *map(str, input_shape)])
        # grey images (n_samples, height, width) and clips (n_samples, frames, height,
        # width) lack only their one channel: a reshape to the full dims does not say how
        grey = (f" Grey {'images' if len(expected) == 3 else 'clips'} without a channel "
                f"axis take one: X[:, np.newaxis]."
                if len(input_shape) == len(expected) - 1 and len(input_shape) >= 2 else "")
        # images given to a clip trunk, or clips to the image trunk: the error named
        # only a reshape and trunk='mlp', not the trunk made for them
        other = (" Images (n_samples, channels, height, width) take trunk='conv2d'."
                 if len(expected) == 4 and len(input_shape) == 3 else
                 " Clips (n_samples, channels, frames, height, width) take trunk='conv3d' "
                 "or trunk='conv2d_frames'." if len(expected) == 3 and len(input_shape) == 4
                 else "")
        raise ValueError(
            f"{name} expects X of shape (n_samples, {dims}); got X of shape "
            f"({given}).{other}{grey} "
            f"Reshape X (e.g. X.reshape(n_samples, {dims})), or use trunk='mlp' for "
            f"flat features."
        )
    if input_shape[0] != in_channels:
        raise ValueError(
            f"{name} was built for {in_channels} input channels, but the samples have shape "
            f"{input_shape}: (channels, ...) = ({input_shape[0]}, ...)."
        )
    if input_shape[-1] in _COLOUR_CHANNELS and input_shape[0] not in _COLOUR_CHANNELS:
        # PIL, OpenCV, imageio and Keras give images as (height, width, channels)
        order = ", ".join(["0", str(len(input_shape)), *map(str, range(1, len(input_shape)))])
        warnings.warn(
            f"{name} reads samples as ({dims}), so samples of shape {input_shape} have "
            f"{input_shape[0]} channels. If the channels come last (as PIL, OpenCV and Keras "
            f"give images), pass X.transpose({order}).",
            UserWarning, stacklevel=3,
        )
    elif (len(input_shape) == 4 and input_shape[1] in _COLOUR_CHANNELS
          and input_shape[0] > max(_COLOUR_CHANNELS)):
        # torchvision's video readers (and most video datasets) give clips as
        # (frames, channels, height, width): read as (channels, frames, ...), its frames
        # would be taken for channels and its colours for frames, with no error. (2
        # channels is optical flow's x and y, not frames: more than 4 are warned of.)
        warnings.warn(
            f"{name} reads samples as ({dims}), so samples of shape {input_shape} have "
            f"{input_shape[0]} channels and {input_shape[1]} frames. If the frames come "
            f"first (frames, channels, height, width), as torchvision's video readers give "
            f"clips, pass X.transpose(0, 2, 1, 3, 4).",
            UserWarning, stacklevel=3,
        )


#: Channel counts of grey, RGB and RGBA images (a sample's last axis holds them when its
#: images come channels-last).
_COLOUR_CHANNELS = (1, 3, 4)


class _SamePadding:
    """A convolution padded as torch's ``padding="same"`` pads: ``(k - 1) // 2`` before
    and ``k // 2`` after along each dimension, so an even kernel keeps the size (a
    padding of ``k // 2`` on both sides made it one longer per block). Torch refuses
    ``"same"`` for a strided convolution; padded so, a stride ``s`` gives ``ceil(n / s)``
    entries, as an odd kernel does. Built with ``padding=0``; the weights are the
    convolution's own."""

    def forward(self, x):
        pad = []
        for k in reversed(self.kernel_size):  # F.pad lists the last dimension first
            pad += [(k - 1) // 2, k // 2]
        return super().forward(nn.functional.pad(x, pad))


class _SameConv1d(_SamePadding, nn.Conv1d):
    pass


class _SameConv2d(_SamePadding, nn.Conv2d):
    pass


class _SameConv3d(_SamePadding, nn.Conv3d):
    pass


def _conv_blocks(dim, in_channels, channels, kernel_size, stride, pool, batch_norm,
                 activation, dropout, pool_sizes):
    conv = nn.Conv2d if dim == 2 else nn.Conv3d
    norm = nn.BatchNorm2d if dim == 2 else nn.BatchNorm3d
    drop = nn.Dropout2d if dim == 2 else nn.Dropout3d
    pool_cls = None if pool is None else _POOLS[pool][dim - 2]
    layers, width = [], in_channels
    for i, out in enumerate(channels):
        kernel = kernel_size if isinstance(kernel_size, Integral) else tuple(kernel_size)
        kernels = (kernel,) if isinstance(kernel, Integral) else kernel
        if all(k % 2 for k in kernels):  # odd: k // 2 on both sides keeps the size
            padding = kernel // 2 if isinstance(kernel, Integral) else tuple(
                k // 2 for k in kernel)
            block = conv
        else:  # even: one more entry after than before, as padding="same" pads
            padding, block = 0, _SameConv2d if dim == 2 else _SameConv3d
        layers.append(
            block(width, out, kernel, stride=stride if i == 0 else 1, padding=padding,
                  bias=not batch_norm)
        )
        if batch_norm:
            layers.append(norm(out))
        layers.append(ACTIVATIONS[activation]())
        if dropout:
            layers.append(drop(dropout))
        # No pooling after the last block: global average pooling follows.
        if pool_cls is not None and i < len(channels) - 1:
            layers.append(pool_cls(pool_sizes(i), ceil_mode=True))
        width = out
    return nn.Sequential(*layers)


class Conv2dTrunk(nn.Module):
    """Convolutional trunk for images of shape (batch, channels, height, width).

    Each block is ``Conv2d -> [BatchNorm2d] -> activation -> [Dropout2d]``, followed by
    2×2 pooling between blocks; global average pooling over the last block turns any
    image size into a feature vector of width ``channels[-1]``.

    Selected by ``MultiTaskClassifier(trunk="conv2d", trunk_params={...})``, which
    infers ``in_channels`` and ``input_shape`` from ``X`` at fit.

    Parameters
    ----------
    in_channels : int
        Channels of the input images (inferred at fit).
    channels : tuple of int, default=(16, 32, 64)
        Output channels of each convolutional block.
    kernel_size : int or tuple of int, default=3
        Kernel size of every convolution ("same" padding, as torch's
        ``padding="same"``: an even size pads one entry more after than before).
    stride : int or tuple of int, default=1
        Stride of the first convolution: 2 quarters the cost of a network on large
        images.
    pool : {"max", "avg"} or None, default="max"
        Pooling (2×2, ceil mode) between blocks; ``None`` keeps the resolution.
    batch_norm : bool, default=True
        Whether each convolution is followed by batch normalisation.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"}, default="relu"
        Activation after each block.
    dropout : float, default=0.0
        Channel dropout after each block.
    input_shape : tuple of int, default=None
        Shape of one sample, (channels, height, width), checked when given (inferred at
        fit): a clear error instead of a failing convolution on flat features.
    channels_last : bool, default=False
        Compute in the channels-last memory format (weights and each batch): the same
        model and maths, in the layout that oneDNN's CPU convolutions (and GPU tensor
        cores) run fastest; a training step on CPU takes about a fifth less time
        (``benchmarks/bench_small_data.py --conv``). Off by default because results then
        differ from the default layout by float rounding, which on a small data set can
        change what training converges to.

    Attributes
    ----------
    out_features : int
        Width of the feature vector, ``channels[-1]``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.neural import Conv2dTrunk
    >>> trunk = Conv2dTrunk(3, channels=(8, 16))
    >>> trunk(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 16])
    """

    def __init__(
        self, in_channels, channels=(16, 32, 64), kernel_size=3, stride=1, pool="max",
        batch_norm=True, activation="relu", dropout=0.0, input_shape=None,
        channels_last=False,
    ):
        super().__init__()
        channels = _check_common("Conv2dTrunk", channels, pool, activation, 2, kernel_size,
                                 stride, dropout, batch_norm, channels_last)
        _check_input_shape("Conv2dTrunk", input_shape, in_channels,
                           ("channels", "height", "width"))
        self.features = _conv_blocks(
            2, in_channels, channels, kernel_size, stride, pool, batch_norm, activation,
            dropout, pool_sizes=lambda i: 2,
        )
        self.out_features = channels[-1]
        self.channels_last = bool(channels_last)
        if self.channels_last:
            self.features.to(memory_format=torch.channels_last)

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(
                f"Conv2dTrunk expects a batch of shape (batch, channels, height, width); "
                f"got shape {tuple(x.shape)}."
            )
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.features(x).mean(dim=(2, 3))


class Conv3dTrunk(nn.Module):
    """3-D convolutional trunk for clips of shape (batch, channels, frames, height, width).

    Each block is ``Conv3d -> [BatchNorm3d] -> activation -> [Dropout3d]``; between
    blocks, pooling halves height and width, and also time from the second pooling on
    (the first keeps every frame, so that fast motion is still seen by two layers).
    Global average pooling over the last block gives a feature vector of width
    ``channels[-1]`` for clips of any size and length.

    Selected by ``MultiTaskClassifier(trunk="conv3d", trunk_params={...})``.

    Parameters
    ----------
    in_channels : int
        Channels of the input clips (inferred at fit).
    channels : tuple of int, default=(16, 32)
        Output channels of each convolutional block.
    kernel_size : int or tuple of int, default=3
        Kernel size (time, height, width) of every convolution ("same" padding, also
        for an even size);
        ``(1, 3, 3)`` makes a block purely spatial.
    stride : int or tuple of int, default=(1, 2, 2)
        Stride of the first convolution. The default halves height and width at once,
        which cuts the cost of the network about fourfold; use 1 for tiny frames.
    pool : {"max", "avg"} or None, default="max"
        Pooling (ceil mode) between blocks; ``None`` keeps the resolution.
    batch_norm : bool, default=True
        Whether each convolution is followed by batch normalisation.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"}, default="relu"
        Activation after each block.
    dropout : float, default=0.0
        Channel dropout after each block.
    input_shape : tuple of int, default=None
        Shape of one sample, (channels, frames, height, width), checked when given
        (inferred at fit).

    Attributes
    ----------
    out_features : int
        Width of the feature vector, ``channels[-1]``.

    See Also
    --------
    FrameConvTrunk : 2-D convolutions on each frame, then a temporal convolution.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.neural import Conv3dTrunk
    >>> trunk = Conv3dTrunk(1, channels=(4, 8))
    >>> trunk(torch.zeros(2, 1, 8, 32, 32)).shape
    torch.Size([2, 8])
    """

    def __init__(
        self, in_channels, channels=(16, 32), kernel_size=3, stride=(1, 2, 2), pool="max",
        batch_norm=True, activation="relu", dropout=0.0, input_shape=None,
    ):
        super().__init__()
        channels = _check_common("Conv3dTrunk", channels, pool, activation, 3, kernel_size,
                                 stride, dropout, batch_norm)
        _check_input_shape("Conv3dTrunk", input_shape, in_channels,
                           ("channels", "frames", "height", "width"))
        self.features = _conv_blocks(
            3, in_channels, channels, kernel_size, stride, pool, batch_norm, activation,
            dropout, pool_sizes=lambda i: (1, 2, 2) if i == 0 else 2,
        )
        self.out_features = channels[-1]

    def forward(self, x):
        if x.ndim != 5:
            raise ValueError(
                f"Conv3dTrunk expects a batch of shape (batch, channels, frames, height, "
                f"width); got shape {tuple(x.shape)}."
            )
        return self.features(x).mean(dim=(2, 3, 4))


class FrameConvTrunk(nn.Module):
    """A 2-D trunk over each frame of a clip, then a temporal convolution and pooling.

    Every frame of a (batch, channels, frames, height, width) clip goes through the same
    :class:`Conv2dTrunk`; the per-frame features (batch, frames, width) go through a
    1-D convolution over time (so that the order of frames matters) and an activation,
    then are pooled over time. Cheaper than :class:`Conv3dTrunk` on a CPU.

    Selected by ``MultiTaskClassifier(trunk="conv2d_frames", trunk_params={...})``.

    Parameters
    ----------
    in_channels : int
        Channels of the input clips (inferred at fit).
    channels : tuple of int, default=(16, 32)
        Output channels of each 2-D block; the temporal convolution keeps the width.
    kernel_size : int, default=3
        Kernel size of the 2-D convolutions.
    stride : int, default=1
        Stride of the first 2-D convolution.
    pool : {"max", "avg"} or None, default="max"
        Spatial pooling between 2-D blocks.
    batch_norm : bool, default=True
        Batch normalisation in the 2-D blocks.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"}, default="relu"
        Activation of every block.
    dropout : float, default=0.0
        Channel dropout in the 2-D blocks.
    temporal_kernel_size : int, default=3
        Frames seen by the temporal convolution; 1 ignores frame order.
    temporal_pool : {"mean", "max"}, default="mean"
        Pooling over time.
    input_shape : tuple of int, default=None
        Shape of one sample, (channels, frames, height, width), checked when given.
    channels_last : bool, default=False
        The 2-D blocks compute in the channels-last memory format (see
        :class:`Conv2dTrunk`).

    Attributes
    ----------
    out_features : int
        Width of the feature vector, ``channels[-1]``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.neural import FrameConvTrunk
    >>> trunk = FrameConvTrunk(1, channels=(4, 8))
    >>> trunk(torch.zeros(2, 1, 8, 16, 16)).shape
    torch.Size([2, 8])
    """

    def __init__(
        self, in_channels, channels=(16, 32), kernel_size=3, stride=1, pool="max",
        batch_norm=True, activation="relu", dropout=0.0, temporal_kernel_size=3,
        temporal_pool="mean", input_shape=None, channels_last=False,
    ):
        super().__init__()
        # Checked here, not by the inner Conv2dTrunk: the user chose this trunk.
        channels = _check_common("FrameConvTrunk", channels, pool, activation, 2, kernel_size,
                                 stride, dropout, batch_norm, channels_last)
        _check_input_shape("FrameConvTrunk", input_shape, in_channels,
                           ("channels", "frames", "height", "width"))
        if (not isinstance(temporal_kernel_size, Integral)
                or isinstance(temporal_kernel_size, bool) or temporal_kernel_size < 1):
            raise ValueError(
                f"FrameConvTrunk temporal_kernel_size must be an int >= 1; got "
                f"{temporal_kernel_size!r}."
            )
        if temporal_pool not in ("mean", "max"):
            raise ValueError(
                f"FrameConvTrunk temporal_pool must be 'mean' or 'max'; got {temporal_pool!r}."
            )
        self.frames = Conv2dTrunk(
            in_channels, channels, kernel_size, stride, pool, batch_norm, activation, dropout,
            channels_last=channels_last,
        )
        width = self.frames.out_features
        self.temporal = nn.Sequential(
            # an even kernel keeps the frames too (k // 2 on both sides gave one frame
            # more, of padding, into the pooling over time)
            nn.Conv1d(width, width, temporal_kernel_size, padding=temporal_kernel_size // 2)
            if temporal_kernel_size % 2 else _SameConv1d(width, width, temporal_kernel_size),
            ACTIVATIONS[activation](),
        )
        self.temporal_pool = temporal_pool
        self.out_features = width

    def forward(self, x):
        if x.ndim != 5:
            raise ValueError(
                f"FrameConvTrunk expects a batch of shape (batch, channels, frames, height, "
                f"width); got shape {tuple(x.shape)}."
            )
        n, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(n * t, c, h, w)
        z = self.frames(frames).reshape(n, t, -1).transpose(1, 2)  # (batch, width, frames)
        z = self.temporal(z)
        return z.mean(dim=2) if self.temporal_pool == "mean" else z.amax(dim=2)


#: Trunks selectable by name in ``MultiTaskClassifier(trunk=...)``.
NAMED_TRUNKS = {
    "conv2d": Conv2dTrunk,
    "conv3d": Conv3dTrunk,
    "conv2d_frames": FrameConvTrunk,
}


__all__ = ["NAMED_TRUNKS", "Conv2dTrunk", "Conv3dTrunk", "FrameConvTrunk"]
