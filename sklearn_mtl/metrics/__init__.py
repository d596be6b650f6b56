"""Mask-aware metrics for structured labels: missing and gated-off labels never count.

Every function takes ``Y_true`` / ``Y_pred`` in the forms users have (DataFrame, arrays,
multi-hot matrices, label sets) or as :class:`~sklearn_mtl.EncodedLabels`, and an
optional ``schema`` (a :class:`~sklearn_mtl.Schema`, a list of
:class:`~sklearn_mtl.Task`, a fitted :class:`~sklearn_mtl.StructuredLabelEncoder` or a
fitted estimator) to tell gated-off labels from missing ones.

A 0/1 indicator matrix (scikit-learn's multi-label format) is scored as one multilabel
task named ``labels`` whose labels are its columns, so that per-label, micro and macro
scores equal scikit-learn's; so is a schema of binary tasks that an estimator read from
such a matrix.
"""

from ._classification import (
    exact_match_score,
    hamming_loss,
    label_f1_score,
    mcnemar_test,
    mean_task_accuracy,
    task_accuracy_score,
    task_f1_score,
    task_precision_score,
    task_recall_score,
    task_report,
)
from ._scorer import (
    exact_match_scorer,
    make_task_scorer,
    mean_task_accuracy_scorer,
    neg_hamming_loss_scorer,
)
from ._structure import (
    consistency_violations,
    cooccurrence_difference,
    cooccurrence_matrices,
    cooccurrence_matrix,
)

__all__ = [
    "consistency_violations",
    "cooccurrence_difference",
    "cooccurrence_matrices",
    "cooccurrence_matrix",
    "exact_match_score",
    "exact_match_scorer",
    "hamming_loss",
    "label_f1_score",
    "make_task_scorer",
    "mean_task_accuracy",
    "mean_task_accuracy_scorer",
    "mcnemar_test",
    "neg_hamming_loss_scorer",
    "task_accuracy_score",
    "task_f1_score",
    "task_precision_score",
    "task_recall_score",
    "task_report",
]
