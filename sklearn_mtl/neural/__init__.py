"""PyTorch building blocks of :class:`~sklearn_mtl.MultiTaskClassifier`.

Trunks map an input batch to a feature batch of shape (batch, n_features); heads map the
features to one output per task (:class:`Conv2dTrunk` for images, :class:`Conv3dTrunk`
and :class:`FrameConvTrunk` for clips; any module honouring that contract works);
:class:`MultiTaskLoss` masks and weights the per-task losses; :class:`MultiTaskNet` is
the skorch ``NeuralNet`` that trains them; :class:`RandomShift` and friends are batch
transforms for augmentation.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for readers and type checkers; at run time, on first use below
    from ._augment import Compose, GaussianNoise, RandomFlip, RandomShift
    from ._ensemble import (
        EnsembleMLPTrunk,
        MemberHeads,
        MemberHoldout,
        MemberLinear,
        MemberLinearHeads,
    )
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

#: The module of each public name: importing the package imports none of them, so that
#: ``TabularPreprocessor`` (scikit-learn only) and the command line load without torch.
_MODULES = {
    "Compose": "_augment",
    "GaussianNoise": "_augment",
    "RandomFlip": "_augment",
    "RandomShift": "_augment",
    "EnsembleMLPTrunk": "_ensemble",
    "MemberHeads": "_ensemble",
    "MemberHoldout": "_ensemble",
    "MemberLinear": "_ensemble",
    "MemberLinearHeads": "_ensemble",
    "MultiTaskLoss": "_losses",
    "ACTIVATIONS": "_modules",
    "LinearHeads": "_modules",
    "MLPTrunk": "_modules",
    "MultiHeadModule": "_modules",
    "TaskOutputs": "_modules",
    "mlp_layers": "_modules",
    "ArrayDataset": "_net",
    "LabelledDataset": "_net",
    "MultiTaskNet": "_net",
    "SliceBatchIterator": "_net",
    "TensorPairDataset": "_net",
    "TabularPreprocessor": "_preprocessing",
    "WarmupCosineSchedule": "_schedules",
    "Conv2dTrunk": "_trunks",
    "Conv3dTrunk": "_trunks",
    "FrameConvTrunk": "_trunks",
    "DWAWeighting": "_weighting",
    "FixedWeighting": "_weighting",
    "GradNormWeighting": "_weighting",
    "PCGradWeighting": "_weighting",
    "TaskWeightingModule": "_weighting",
    "UncertaintyWeighting": "_weighting",
}


def __getattr__(name):
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


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
    "MemberHeads",
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
