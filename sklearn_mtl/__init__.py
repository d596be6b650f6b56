"""sklearn-mtl: multi-task and multi-label classification for scikit-learn."""

from typing import TYPE_CHECKING

from . import datasets, metrics, model_selection
from ._baselines import IndependentTaskClassifier, LabelProductClassifier, TaskChainClassifier
from ._compare import compare, format_comparison
from ._decoding import JointDecoder
from ._encoder import EncodedLabels, StructuredLabelEncoder
from ._export import export_onnx
from ._persistence import UnsafeModelFileError, load, save
from ._schema import MISSING, NOT_APPLICABLE, Schema, Task
from ._thresholds import TaskThresholdTuner

if TYPE_CHECKING:  # for readers and type checkers; at run time, on first use below
    from ._multitask import MultiTaskClassifier

__version__ = "0.1.0.dev0"


def __getattr__(name):
    # The network is imported where it is first asked for, and torch with it: the
    # baselines, the metrics and the command line's help start without it.
    if name == "MultiTaskClassifier":
        from ._multitask import MultiTaskClassifier

        globals()[name] = MultiTaskClassifier
        return MultiTaskClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

__all__ = [
    "MISSING",
    "MultiTaskClassifier",
    "NOT_APPLICABLE",
    "EncodedLabels",
    "IndependentTaskClassifier",
    "JointDecoder",
    "LabelProductClassifier",
    "Schema",
    "StructuredLabelEncoder",
    "Task",
    "TaskChainClassifier",
    "TaskThresholdTuner",
    "UnsafeModelFileError",
    "__version__",
    "compare",
    "datasets",
    "export_onnx",
    "format_comparison",
    "load",
    "metrics",
    "model_selection",
    "save",
]
