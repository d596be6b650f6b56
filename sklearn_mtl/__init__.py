"""sklearn-mtl: multi-task and multi-label classification for scikit-learn."""

from . import datasets, metrics, model_selection
from ._baselines import IndependentTaskClassifier, LabelProductClassifier, TaskChainClassifier
from ._compare import compare, format_comparison
from ._decoding import JointDecoder
from ._encoder import EncodedLabels, StructuredLabelEncoder
from ._export import export_onnx
from ._multitask import MultiTaskClassifier
from ._persistence import UnsafeModelFileError, load, save
from ._schema import MISSING, NOT_APPLICABLE, Schema, Task
from ._thresholds import TaskThresholdTuner

__version__ = "0.1.0.dev0"

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
