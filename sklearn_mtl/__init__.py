"""sklearn-mtl: multi-task and multi-label classification for scikit-learn."""

from ._encoder import EncodedLabels, StructuredLabelEncoder
from ._multitask import MultiTaskClassifier
from ._schema import MISSING, NOT_APPLICABLE, Schema, Task

__version__ = "0.1.0.dev0"

__all__ = [
    "MISSING",
    "MultiTaskClassifier",
    "NOT_APPLICABLE",
    "EncodedLabels",
    "Schema",
    "StructuredLabelEncoder",
    "Task",
    "__version__",
]
