"""PyTorch building blocks of :class:`~sklearn_mtl.MultiTaskClassifier`.

Trunks map an input batch to a feature batch of shape (batch, n_features); heads map the
features to one output per task; :class:`MultiTaskLoss` masks and weights the per-task
losses; :class:`MultiTaskNet` is the skorch ``NeuralNet`` that trains them.
"""

from ._losses import MultiTaskLoss
from ._modules import ACTIVATIONS, MLPTrunk, MultiHeadModule, mlp_layers
from ._net import LabelledDataset, MultiTaskNet, SliceBatchIterator, TensorPairDataset

__all__ = [
    "ACTIVATIONS",
    "LabelledDataset",
    "MLPTrunk",
    "MultiHeadModule",
    "MultiTaskLoss",
    "MultiTaskNet",
    "SliceBatchIterator",
    "TensorPairDataset",
    "mlp_layers",
]
