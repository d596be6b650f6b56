"""PyTorch building blocks of :class:`~sklearn_mtl.MultiTaskClassifier`.

Trunks map an input batch to a feature batch of shape (batch, n_features); heads map the
features to one output per task (:class:`Conv2dTrunk` for images, :class:`Conv3dTrunk`
and :class:`FrameConvTrunk` for clips; any module honouring that contract works);
:class:`MultiTaskLoss` masks and weights the per-task losses; :class:`MultiTaskNet` is
the skorch ``NeuralNet`` that trains them; :class:`RandomShift` and friends are batch
transforms for augmentation.
"""

from ._augment import Compose, GaussianNoise, RandomFlip, RandomShift
from ._ensemble import EnsembleMLPTrunk, MemberHoldout, MemberLinear, MemberLinearHeads
from ._losses import MultiTaskLoss
from ._modules import (
    ACTIVATIONS,
    LinearHeads,
    MLPTrunk,
    MultiHeadModule,
    TaskOutputs,
    mlp_layers,
)
from ._net import (
    ArrayDataset,
    LabelledDataset,
    MultiTaskNet,
    SliceBatchIterator,
    TensorPairDataset,
)
from ._preprocessing import TabularPreprocessor
from ._schedules import WarmupCosineSchedule
from ._trunks import Conv2dTrunk, Conv3dTrunk, FrameConvTrunk
from ._weighting import (
    DWAWeighting,
    FixedWeighting,
    GradNormWeighting,
    PCGradWeighting,
    TaskWeightingModule,
    UncertaintyWeighting,
)

__all__ = [
    "ACTIVATIONS",
    "ArrayDataset",
    "Compose",
    "Conv2dTrunk",
    "Conv3dTrunk",
    "FrameConvTrunk",
    "GaussianNoise",
    "RandomFlip",
    "RandomShift",
    "DWAWeighting",
    "EnsembleMLPTrunk",
    "FixedWeighting",
    "GradNormWeighting",
    "LabelledDataset",
    "MLPTrunk",
    "LinearHeads",
    "MemberHoldout",
    "MemberLinear",
    "MemberLinearHeads",
    "MultiHeadModule",
    "MultiTaskLoss",
    "MultiTaskNet",
    "PCGradWeighting",
    "SliceBatchIterator",
    "TabularPreprocessor",
    "TaskOutputs",
    "TaskWeightingModule",
    "TensorPairDataset",
    "UncertaintyWeighting",
    "WarmupCosineSchedule",
    "mlp_layers",
]
