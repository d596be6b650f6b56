"""Trunks and the multi-head network."""

from __future__ import annotations

import math

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}


def _check_activation(activation):
    """A ValueError naming ``activation`` and the options, rather than a bare KeyError
    from ``ACTIVATIONS`` (the building blocks are public: a trunk of one's own passes
    the name as it likes)."""
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}."
        )


def mlp_layers(in_features, hidden_layer_sizes, activation="relu", dropout=0.0, batch_norm=False):
    """Linear blocks ``Linear -> [BatchNorm] -> activation -> [Dropout]``.

    Parameters
    ----------
    in_features : int
        Width of the input.
    hidden_layer_sizes : iterable of int
        Width of each block, in order; empty for no block.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"}, default="relu"
        Activation after each ``Linear`` (a key of ``ACTIVATIONS``).
    dropout : float, default=0.0
        Dropout after each activation (no ``Dropout`` layer when 0).
    batch_norm : bool, default=False
        Whether each ``Linear`` is followed by ``BatchNorm1d``.

    Returns
    -------
    layers : nn.Sequential
        The blocks (empty when there is no hidden layer).
    out_features : int
        The output width: the last hidden size, ``in_features`` when there is no
        hidden layer.
    """
    _check_activation(activation)
    layers = []
    width = in_features
    for size in hidden_layer_sizes:
        layers.append(nn.Linear(width, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(ACTIVATIONS[activation]())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    return nn.Sequential(*layers), width


class MLPTrunk(nn.Module):
    """A multi-layer perceptron over flattened inputs.

    Parameters
    ----------
    n_features : int
        Width of a flattened input sample (inferred at fit).
    hidden_layer_sizes : tuple of int or int, default=(100,)
        Widths of the hidden layers; the last one is the trunk's output width. One int
        is one layer, as in scikit-learn's ``MLPClassifier``.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"}, default="relu"
        Activation after each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each activation.
    batch_norm : bool, default=False
        Whether to insert ``BatchNorm1d`` after each linear layer.
    """

    def __init__(
        self, n_features, hidden_layer_sizes=(100,), activation="relu", dropout=0.0,
        batch_norm=False,
    ):
        super().__init__()
        from .._validation import check_layer_sizes

        self.layers, self.out_features = mlp_layers(
            n_features, check_layer_sizes("hidden_layer_sizes", hidden_layer_sizes),
            activation, dropout, batch_norm,
        )

    def forward(self, x):
        return self.layers(x.reshape(x.shape[0], -1))


class TaskOutputs(tuple):
    """The per-task outputs of a :class:`MultiHeadModule`: a tuple, one tensor per task.

    ``joined`` is the same outputs side by side, one tensor of shape (batch, Σ widths),
    when the heads computed them in one matrix product (``None`` otherwise); the loss
    then works on it directly instead of on each task's slice.
    """

    def __new__(cls, outputs, joined=None):
        self = super().__new__(cls, outputs)
        self.joined = joined
        return self


class LinearHeads(nn.Linear):
    """One linear output layer per task, computed as one matrix product.

    The same model as one ``nn.Linear(in_features, n)`` per task: the task heads' weights
    are stacked row-wise in ``weight`` (task ``j`` owns the rows ``rows(j)``), and each
    row is initialised as ``nn.Linear`` initialises it. One product instead of one per
    task, and two parameters for the optimizer instead of two per task: on small
    networks the per-task calls cost more than the arithmetic.

    Parameters
    ----------
    in_features : int
        Width of the trunk's output.
    out_features : list of int
        Output width of each task's head.
    """

    def __init__(self, in_features, out_features):
        self.head_widths = [int(n) for n in out_features]
        super().__init__(in_features, sum(self.head_widths))

    def rows(self, j):
        """Rows of ``weight`` (and entries of ``bias``) of task ``j``'s head, a slice."""
        start = sum(self.head_widths[:j])
        return slice(start, start + self.head_widths[j])

    def forward(self, z):
        joined = super().forward(z)
        return TaskOutputs(split_heads(joined, self.head_widths), joined=joined)


def split_heads(joined, widths):
    """Each task's columns of the side-by-side outputs ``joined`` (one head: itself)."""
    if len(widths) == 1:
        return (joined,)
    return joined.split(widths, dim=1)


class MultiHeadModule(nn.Module):
    """A shared trunk feeding one head per task.

    ``forward`` returns a :class:`TaskOutputs` tuple of per-task raw outputs (logits or
    values), in task order.

    Parameters
    ----------
    trunk : nn.Module
        Maps an input batch to a feature batch of shape (batch, in_features).
    in_features : int
        Width of the trunk's output.
    head_specs : list of (n_outputs, hidden_layer_sizes)
        One head per task: its output width and the hidden layers between the trunk and
        its output layer (empty for a plain ``Linear``).
    activation : str, default="relu"
        Activation of the heads' hidden layers.
    fuse : bool, default=True
        When every head is a plain ``Linear``, compute them as one :class:`LinearHeads`
        (``heads`` is then that module). Otherwise, or with ``fuse=False``, ``heads`` is
        an ``nn.ModuleList`` of one ``nn.Sequential`` per task (what per-head parameter
        groups, e.g. a learning rate per head, need).
    member_heads : bool, default=True
        With an ensemble trunk and heads that are not fused: each member's own per-task
        heads (:class:`~sklearn_mtl.neural.MemberHeads`). ``False`` builds per-task heads
        that every member shares, as models saved before member-wise heads existed were
        built (a saved model is rebuilt as it was trained).

    Notes
    -----
    A trunk with an ``n_members`` attribute above 1, or any
    :class:`~sklearn_mtl.neural.EnsembleMLPTrunk` (one of a single member too), returns
    features of shape (n_members, batch, in_features); each member then gets its own
    heads: fused
    (:class:`~sklearn_mtl.neural.MemberLinearHeads`), or one module per task
    (:class:`~sklearn_mtl.neural.MemberHeads`) where a head has hidden layers or
    parameters of its own. The outputs stack the members' rows (n_members × batch) and
    ``n_members`` tells the loss and ``predict`` how to read them.
    """

    def __init__(self, trunk, in_features, head_specs, activation="relu", fuse=True,
                 member_heads=True):
        super().__init__()
        from ._ensemble import EnsembleMLPTrunk

        self.trunk = trunk
        self.n_members = int(getattr(trunk, "n_members", 1))
        plain = not any(tuple(hidden) for _, hidden in head_specs)
        widths = [n_outputs for n_outputs, _ in head_specs]
        # an ensemble trunk's features have a member axis, also with one member (which
        # plain heads split along the batch: "split_with_sizes expects split_sizes...")
        stacked = self.n_members > 1 or isinstance(trunk, EnsembleMLPTrunk)
        self._stacked = stacked  # shared heads (member_heads=False) read its rows
        if fuse and plain and stacked:
            from ._ensemble import MemberLinearHeads

            self.heads = MemberLinearHeads(self.n_members, in_features, widths)
            return
        if member_heads and stacked:
            from ._ensemble import MemberHeads

            self.heads = MemberHeads(self.n_members, in_features, head_specs, activation)
            return
        if fuse and plain:
            self.heads = LinearHeads(in_features, widths)
            return
        heads = []
        for n_outputs, hidden in head_specs:
            body, width = mlp_layers(in_features, tuple(hidden), activation)
            heads.append(nn.Sequential(*body, nn.Linear(width, n_outputs)))
        self.heads = nn.ModuleList(heads)

    def forward(self, x):
        z = self.trunk(x)
        if not isinstance(z, torch.Tensor):  # checked in eval mode only, at fit's start
            raise ValueError(
                f"The trunk ({type(self.trunk).__name__}) returned a {type(z).__name__} "
                f"in {'training' if self.training else 'evaluation'} mode; the heads read "
                "one tensor of features (a model that also returns an auxiliary output "
                "while it trains, as torchvision's Inception does, is to return its "
                "features alone, e.g. with aux_logits=False)."
            )
        if type(self.heads) is not nn.ModuleList:  # fused, or each member's own heads
            return self.heads(z)
        # the members' features, stacked (k × batch rows); only an ensemble's: another
        # trunk's 3-D features (batch, steps, width) keep their shape, as before
        # (a module pickled before ``_stacked`` existed reads n_members, as it did)
        if getattr(self, "_stacked", self.n_members > 1):
            z = z.reshape(-1, z.shape[-1])
        return TaskOutputs(head(z) for head in self.heads)


def rescale_task_output(module, j, scale, shift):
    """Make task ``j``'s outputs ``scale * output + shift`` by rewriting its output layer.

    The weights of the task's last linear layer (every member's, in an ensemble) are
    multiplied by ``scale`` and its biases become ``scale * bias + shift``: the same
    network, its outputs in other units, at no cost per prediction. A regression task
    trains on standardised targets and its layer is rescaled to the targets' units
    after training (and back, ``scale=1/s, shift=-m/s``, before a warm start).
    """
    from ._ensemble import MemberLinearHeads

    heads = module.heads
    with torch.no_grad():
        if isinstance(heads, nn.ModuleList):
            layer = heads[j][-1]
            layer.weight.mul_(scale)
            layer.bias.mul_(scale).add_(shift)
        elif isinstance(heads, MemberLinearHeads):
            start = sum(heads.head_widths[:j])
            cols = slice(start, start + heads.head_widths[j])
            heads.weight[:, :, cols].mul_(scale)
            heads.bias[:, :, cols].mul_(scale).add_(shift)
        else:
            rows = heads.rows(j)
            heads.weight[rows].mul_(scale)
            heads.bias[rows].mul_(scale).add_(shift)


def infer_out_features(trunk, sample, stated=None):
    """Width of the trunk's output for one input ``sample`` batch (eval mode, no grad).

    A user's trunk is checked here, where an error can name it, rather than failing in
    the heads in the middle of training: its parameters must be float32 (the network
    reads every input as float32), its output a tensor of shape (batch, n_features),
    and ``n_features`` the width it states (``stated``, its ``out_features``) if any.
    """
    name = type(trunk).__name__
    dtypes = sorted({str(p.dtype).removeprefix("torch.") for p in trunk.parameters()
                     if p.is_floating_point() and p.dtype != torch.float32})
    if dtypes:
        raise ValueError(
            f"The trunk ({name}) has {' and '.join(dtypes)} parameters, but the network "
            f"reads X as float32 and computes in float32: build the trunk in float32 "
            f"(trunk.float())."
        )
    out = trunk_dry_run(trunk, sample)
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        got = (f"shape {tuple(out.shape)}" if isinstance(out, torch.Tensor)
               else f"a {type(out).__name__}")
        raise ValueError(
            f"The trunk ({name}) must map a batch to one tensor of features of shape "
            f"(batch, n_features); it returned {got} for a batch of shape "
            f"{tuple(sample.shape)}."
        )
    if out.dtype != torch.float32:  # the heads' float32 weights fail on it mid-training
        raise ValueError(
            f"The trunk ({name}) returned features of dtype "
            f"{str(out.dtype).removeprefix('torch.')}; the heads compute in float32: "
            "return them as float32 (features.float())."
        )
    if stated is not None and stated != out.shape[1]:
        raise ValueError(
            f"The trunk ({name}) states out_features={stated!r}, but it returned "
            f"{out.shape[1]} features for a batch of shape {tuple(sample.shape)}; the "
            f"heads are built for out_features: make it the width of its output."
        )
    return out.shape[1]


def trunk_dry_run(trunk, sample):
    """``trunk``'s output for one input ``sample`` batch (eval mode, no grad).

    A trunk that fails on it (a module instance built for another input width, e.g.
    ``EnsembleMLPTrunk(3, ...)`` where the preprocessed table has 4 columns) raises a
    ValueError naming the trunk and the input it was given, at ``fit``'s start: torch's
    own error (``mat1 and mat2 shapes cannot be multiplied``) came in the middle of
    training, naming neither.
    """
    param = next(iter(trunk.parameters()), None)  # a trunk the user built on a GPU
    if param is not None:
        sample = sample.to(param.device)
    was_training = trunk.training
    trunk.eval()
    try:
        with torch.no_grad():
            return trunk(sample)
    # (torch's layers refuse an input of another rank with a ValueError: an LSTM given
    # images, "Expected input to be 2D or 3D, got 4D instead")
    except (RuntimeError, ValueError, TypeError, IndexError) as error:
        shape = tuple(sample.shape[1:])
        raise ValueError(
            f"The trunk ({type(trunk).__name__}) fails on the network's input, samples of "
            f"shape {shape} ({flat_size(shape)} values each, as the network reads them: "
            f"after the preprocessing, see preprocessor_): {str(error).rstrip('.')}. "
            "Build the trunk for that input, or pass its class with "
            "trunk_params: a class is given the input size where its signature asks for "
            "it (n_features, in_features, in_channels or input_shape)."
        ) from error
    finally:
        trunk.train(was_training)


def flat_size(shape):
    return int(math.prod(shape))
