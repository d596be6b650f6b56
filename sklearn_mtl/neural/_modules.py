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


def mlp_layers(in_features, hidden_layer_sizes, activation="relu", dropout=0.0, batch_norm=False):
    """Linear blocks ``Linear -> [BatchNorm] -> activation -> [Dropout]``.

    Returns the ``nn.Sequential`` and its output width (``in_features`` when there is no
    hidden layer).
    """
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
    hidden_layer_sizes : tuple of int, default=(100,)
        Widths of the hidden layers; the last one is the trunk's output width.
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
        self.layers, self.out_features = mlp_layers(
            n_features, hidden_layer_sizes, activation, dropout, batch_norm
        )

    def forward(self, x):
        return self.layers(x.reshape(x.shape[0], -1))


class MultiHeadModule(nn.Module):
    """A shared trunk feeding one head per task.

    ``forward`` returns a tuple of per-task raw outputs (logits or values), in task order.

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
    """

    def __init__(self, trunk, in_features, head_specs, activation="relu"):
        super().__init__()
        self.trunk = trunk
        heads = []
        for n_outputs, hidden in head_specs:
            body, width = mlp_layers(in_features, tuple(hidden), activation)
            heads.append(nn.Sequential(*body, nn.Linear(width, n_outputs)))
        self.heads = nn.ModuleList(heads)

    def forward(self, x):
        z = self.trunk(x)
        return tuple(head(z) for head in self.heads)


def infer_out_features(trunk, sample):
    """Width of the trunk's output for one input ``sample`` batch (eval mode, no grad)."""
    was_training = trunk.training
    trunk.eval()
    with torch.no_grad():
        out = trunk(sample)
    trunk.train(was_training)
    if out.ndim != 2:
        raise ValueError(
            f"The trunk must map a batch to features of shape (batch, n_features); it "
            f"returned shape {tuple(out.shape)}."
        )
    return out.shape[1]


def flat_size(shape):
    return int(math.prod(shape))
