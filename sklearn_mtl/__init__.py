"""sklearn-mtl: multi-task and multi-label classification for scikit-learn."""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for readers and type checkers; at run time, on first use below
    from . import datasets, metrics, model_selection
    from ._baselines import IndependentTaskClassifier, LabelProductClassifier, TaskChainClassifier
    from ._compare import compare, format_comparison
    from ._decoding import JointDecoder
    from ._encoder import EncodedLabels, StructuredLabelEncoder
    from ._export import OnnxExportError, check_parity, export_onnx, run_onnx
    from ._feature_selection import TaskFeatureSelector
    from ._leakage import LeakageWarning
    from ._multitask import MultiTaskClassifier
    from ._persistence import InconsistentVersionWarning, UnsafeModelFileError, load, save
    from ._schema import MISSING, NOT_APPLICABLE, Schema, Task
    from ._thresholds import TaskThresholdTuner

__version__ = "0.1.0.dev0"

#: Where each public name lives. Nothing is imported with the package: each name is
#: imported where it is first asked for, so that the command line answers --help
#: without scikit-learn, and a baseline or the metrics load without torch.
_MODULES = {
    "datasets": None, "metrics": None, "model_selection": None,
    "IndependentTaskClassifier": "_baselines", "LabelProductClassifier": "_baselines",
    "TaskChainClassifier": "_baselines",
    "compare": "_compare", "format_comparison": "_compare",
    "JointDecoder": "_decoding",
    "EncodedLabels": "_encoder", "StructuredLabelEncoder": "_encoder",
    "export_onnx": "_export", "run_onnx": "_export", "check_parity": "_export",
    "OnnxExportError": "_export",
    "MultiTaskClassifier": "_multitask",
    "UnsafeModelFileError": "_persistence", "load": "_persistence", "save": "_persistence",
    "InconsistentVersionWarning": "_persistence",
    "MISSING": "_schema", "NOT_APPLICABLE": "_schema", "Schema": "_schema", "Task": "_schema",
    "TaskFeatureSelector": "_feature_selection",
    "LeakageWarning": "_leakage",
    "TaskThresholdTuner": "_thresholds",
}


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _MODULES[name]
    if module is None:  # a public subpackage
        value = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "MISSING",
    "MultiTaskClassifier",
    "NOT_APPLICABLE",
    "OnnxExportError",
    "EncodedLabels",
    "InconsistentVersionWarning",
    "IndependentTaskClassifier",
    "JointDecoder",
    "LabelProductClassifier",
    "LeakageWarning",
    "Schema",
    "StructuredLabelEncoder",
    "Task",
    "TaskChainClassifier",
    "TaskFeatureSelector",
    "TaskThresholdTuner",
    "UnsafeModelFileError",
    "__version__",
    "check_parity",
    "compare",
    "datasets",
    "export_onnx",
    "format_comparison",
    "load",
    "metrics",
    "model_selection",
    "run_onnx",
    "save",
]
