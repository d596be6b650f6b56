"""Structured synthetic data: tasks that share latent factors, with gates and missing labels."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import validate_params

from .._schema import MISSING, NOT_APPLICABLE, Schema, Task

#: The class_sep at which the latent signal enters X unscaled.
_UNIT_CLASS_SEP = 3.0


# random_state and return_tasks named in their errors, as scikit-learn's make_classification
# names its parameters (a return_tasks of "no" would otherwise return the tasks)
@validate_params({"random_state": ["random_state"], "return_tasks": ["boolean"]},
                 prefer_skip_nested_validation=True)
def make_multitask_classification(
    n_samples=500,
    *,
    n_classes=(3, 3, 2),
    n_features=20,
    n_shared=4,
    n_specific=2,
    shared_factor=0.8,
    class_sep=3.0,
    noise=0.5,
    gates=None,
    missing_rate=0.0,
    random_state=None,
    return_tasks=False,
):
    """Generate classification tasks that share latent factors.

    Each sample has ``n_shared`` shared latent factors and ``n_specific`` factors of
    its own per task, all standard normal. Task ``t``'s class is the argmax of
    ``sqrt(shared_factor) * shared @ W_t + sqrt(1 - shared_factor) * specific_t @ V_t``
    for random normal ``W_t``, ``V_t`` (scaled so that each class score has unit variance
    on average over the draws of ``W_t``, ``V_t``).
    ``X`` is a random linear mix of all latent factors into ``n_features`` columns
    (of unit variance on average over the draws of the mix, not each column: a given
    column's variance may be a third of it or twice it), scaled by ``class_sep / 3``,
    plus Gaussian noise of standard deviation ``noise``. With ``shared_factor`` near 1 the
    tasks depend on one small subspace of ``X``, which a model shared across tasks
    learns from all of their labels: sharing helps most with few samples and a large
    ``shared_factor``; with ``shared_factor=0`` the tasks are unrelated.

    Parameters
    ----------
    n_samples : int, default=500
        Number of samples.
    n_classes : sequence of int, dict of str -> int or Series, default=(3, 3, 2)
        Classes per task. A sequence names the tasks ``task0``, ``task1``, ...; a dict
        gives the names, and so does a Series' index (``Y.nunique()`` draws tasks named
        and sized as the columns of ``Y``). Classes are the integers ``0 .. k-1``.
    n_features : int, default=20
        Number of features of ``X``.
    n_shared : int, default=4
        Number of latent factors shared by all tasks.
    n_specific : int, default=2
        Number of latent factors of each task alone.
    shared_factor : float in [0, 1], default=0.8
        Share of each task's class scores that comes from the shared factors.
    class_sep : float > 0, default=3.0
        Separation of the classes in ``X``: the latent signal in ``X`` is scaled by
        ``class_sep / 3`` against the noise, so a larger value is an easier problem
        (the labels are less hidden by the noise in ``X``), as scikit-learn's
        ``make_classification`` moves its clusters apart. The labels themselves do not
        depend on it; with ``noise=0`` it only scales ``X``.
    noise : float, default=0.5
        Standard deviation of the Gaussian noise added to ``X``.
    gates : dict of str -> tuple, default=None
        ``{task: (parent, class or classes)}``: the task applies only when its parent
        has one of those classes; elsewhere its label is ``<NA>`` (not applicable).
    missing_rate : float in [0, 1), default=0.0
        Fraction of the applicable labels removed at random (``<NA>``, missing).
    random_state : int, RandomState instance or None, default=None
        Seed.
    return_tasks : bool, default=False
        Also return the :class:`~sklearn_mtl.Task` list (classes and gates), to give to
        estimators and metrics as the schema.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Features.
    Y : DataFrame of shape (n_samples, n_tasks)
        Labels, dtype ``Int64`` (``<NA>`` where missing or not applicable).
    tasks : list of Task
        Only with ``return_tasks=True``.

    Examples
    --------
    >>> from sklearn_mtl.datasets import make_multitask_classification
    >>> X, Y, tasks = make_multitask_classification(
    ...     n_samples=100, n_classes={"car": 2, "color": 4}, gates={"color": ("car", 1)},
    ...     missing_rate=0.1, random_state=0, return_tasks=True)
    >>> X.shape, list(Y.columns)
    ((100, 20), ['car', 'color'])
    >>> bool(Y.loc[Y["car"] == 0, "color"].isna().all())
    True
    """
    rng = check_random_state(random_state)
    names, sizes = _task_sizes(n_classes)
    _check_int("n_samples", n_samples, 1)
    _check_int("n_features", n_features, 1)
    _check_int("n_shared", n_shared, 0)
    _check_int("n_specific", n_specific, 0)
    if n_shared + n_specific == 0:
        raise ValueError("n_shared + n_specific must be at least 1; got 0 latent factors.")
    _check_fraction("shared_factor", shared_factor, high_open=False)
    _check_fraction("missing_rate", missing_rate, high_open=True)
    _check_real("noise", noise, 0)
    _check_real("class_sep", class_sep, 0, low_open=True)
    if n_shared == 0 and shared_factor > 0:
        raise ValueError(
            f"shared_factor={shared_factor} needs n_shared >= 1; got n_shared=0 (no factor "
            "shared by the tasks). Pass shared_factor=0 for unrelated tasks, or n_shared >= 1."
        )
    if n_specific == 0 and shared_factor < 1:
        raise ValueError(
            f"shared_factor={shared_factor} < 1 needs n_specific >= 1; got n_specific=0 (no "
            "factor of each task alone). Pass shared_factor=1 for tasks that depend on the "
            "shared factors only, or n_specific >= 1."
        )
    tasks = _gated_tasks(names, sizes, gates)
    schema = Schema(tasks)

    shared = rng.standard_normal((n_samples, n_shared))
    latent = [shared]
    codes = np.empty((n_samples, len(names)), dtype=np.int64)
    for t, k in enumerate(sizes):
        specific = rng.standard_normal((n_samples, n_specific))
        latent.append(specific)
        score = np.zeros((n_samples, k))
        if n_shared:
            W = rng.standard_normal((n_shared, k)) / np.sqrt(n_shared)
            score += np.sqrt(shared_factor) * shared @ W
        if n_specific:
            V = rng.standard_normal((n_specific, k)) / np.sqrt(n_specific)
            score += np.sqrt(1.0 - shared_factor) * specific @ V
        codes[:, t] = np.argmax(score, axis=1)
    latent = np.hstack(latent)
    mixing = rng.standard_normal((latent.shape[1], n_features)) / np.sqrt(latent.shape[1])
    # Exactly 1.0 at the default class_sep: X is then the unscaled mix.
    signal = (class_sep / _UNIT_CLASS_SEP) * (latent @ mixing)
    X = signal + noise * rng.standard_normal((n_samples, n_features))

    schema.apply_gates(codes)
    if missing_rate > 0:
        drop = (rng.uniform(size=codes.shape) < missing_rate) & (codes >= 0)
        codes[drop] = MISSING
    Y = pd.DataFrame(
        {
            name: pd.array(np.where(codes[:, j] >= 0, codes[:, j], 0), dtype="Int64")
            for j, name in enumerate(names)
        }
    )
    for j, name in enumerate(names):
        Y.loc[(codes[:, j] == MISSING) | (codes[:, j] == NOT_APPLICABLE), name] = pd.NA
    if return_tasks:
        return X, Y, tasks
    return X, Y


def _task_sizes(n_classes):
    # Y.nunique(): its index names the tasks (a default 0..n-1 index names none, as a list)
    if isinstance(n_classes, pd.Series) and not isinstance(n_classes.index, pd.RangeIndex):
        n_classes = n_classes.to_dict()
    if isinstance(n_classes, Mapping):
        names, sizes = [str(k) for k in n_classes], list(n_classes.values())
    else:
        try:
            if isinstance(n_classes, (str, bytes)):  # "23" read as the tasks "2" and "3"
                raise TypeError
            sizes = list(n_classes)
        except TypeError:
            raise ValueError(
                f"n_classes must be a sequence of ints or a dict {{task: n_classes}}; got "
                f"{n_classes!r}."
            ) from None
        names = [f"task{i}" for i in range(len(sizes))]
    if not sizes:
        raise ValueError("n_classes names no task; expected at least one.")
    for name, k in zip(names, sizes):
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 2:
            raise ValueError(f"Task {name!r} has n_classes={k!r}; expected an int >= 2.")
    return names, [int(k) for k in sizes]


def _gated_tasks(names, sizes, gates):
    try:
        gates = dict(gates or {})
    except (TypeError, ValueError):  # dict()'s own message names neither gates nor a task
        raise ValueError(
            f"gates must be a dict {{task: (parent, class or classes)}}; got {gates!r}."
        ) from None
    # The tasks are named by str(key) of n_classes: so are the gates' tasks and parents.
    gates = {
        str(task): (str(gate[0]), gate[1]) if isinstance(gate, (tuple, list)) and len(gate) == 2
        else gate
        for task, gate in gates.items()
    }
    unknown = sorted(set(gates) - set(names))
    if unknown:
        raise ValueError(f"gates name unknown task(s) {unknown}; the tasks are {names}.")
    return [
        Task(name, kind="binary" if k == 2 else "multiclass", classes=list(range(k)),
             gate=gates.get(name))
        for name, k in zip(names, sizes)
    ]


# Parameter checks, shared with the image generators. A bool is refused wherever a
# number is expected (True would otherwise pass as 1).
def _check_int(name, value, low):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")


def _check_real(name, value, low, *, low_open=False):
    """A finite number >= ``low`` (> ``low`` with ``low_open``)."""
    ok = (
        isinstance(value, numbers.Real) and not isinstance(value, bool)
        and math.isfinite(value) and (value > low if low_open else value >= low)
    )
    if not ok:
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}.")


def _check_fraction(name, value, high_open):
    ok = (
        isinstance(value, numbers.Real) and not isinstance(value, bool)
        and 0 <= value and (value < 1 if high_open else value <= 1)
    )
    if not ok:
        interval = "[0, 1)" if high_open else "[0, 1]"
        raise ValueError(f"{name} must be a number in {interval}; got {value!r}.")
