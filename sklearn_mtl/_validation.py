"""Checks of parameter values that scikit-learn's constraints cannot express.

Each check raises a ``ValueError`` that names the parameter (and the task or class), says
what was expected and what came, before any training can turn a bad value into NaN
weights or a raw torch/numpy message.
"""

from __future__ import annotations

import math
import numbers
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._frames import is_polars, to_pandas


def _as_real(value):
    """``value`` as a float, or None when it is not a real number (bool is not one)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        return None
    return float(value)


def check_weight(param, where, value, *, positive=False):
    """One finite, non-negative (or positive) number; ``where`` names its entry."""
    number = _as_real(value)
    expected = "a finite number > 0" if positive else "a finite number >= 0"
    if number is None or not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise ValueError(f"{param}{where} is {value!r}; expected {expected}.")
    return number


def check_task_numbers(param, mapping, *, positive=False):
    """A ``{task: number}`` parameter such as ``task_weights`` or ``head_lr``."""
    for task, value in (mapping or {}).items():
        check_weight(param, f"[{task!r}]", value, positive=positive)


def check_class_weight(by_task):
    """``class_weight`` as ``{task: "balanced" or {class: weight}}``."""
    for task, spec in by_task.items():
        if spec is None or isinstance(spec, str):
            continue
        if not isinstance(spec, dict):
            raise ValueError(
                f"class_weight[{task!r}] is {spec!r}; expected 'balanced' or a dict "
                "{class: weight}."
            )
        for cls, value in spec.items():
            cls = cls.item() if isinstance(cls, np.generic) else cls
            check_weight("class_weight", f"[{task!r}][{cls!r}]", value)


def check_layer_sizes(param, sizes):
    """Hidden layer sizes as a tuple: a tuple, list or 1-D array of positive integers
    (may be empty), or one positive integer, one layer (as scikit-learn's MLPClassifier
    reads it)."""
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, (bool, np.bool_)):
        sizes = (sizes,)
    if hasattr(sizes, "__array__") and not isinstance(sizes, (tuple, list, np.generic)):
        # A numpy array or a pandas Series is an array-like of ints for MLPClassifier too.
        array = np.asarray(sizes)
        if array.ndim != 1:
            raise ValueError(
                f"{param} is an array of shape {array.shape}; expected a 1-D array-like of "
                "positive integers, or one positive integer (one layer)."
            )
        sizes = array.tolist()
    if not isinstance(sizes, (tuple, list)):
        raise ValueError(
            f"{param} is {sizes!r}; expected a tuple of positive integers, or one positive "
            "integer (one layer)."
        )
    for i, size in enumerate(sizes):
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, (numbers.Integral,)):
            raise ValueError(
                f"{param}[{i}] is {size!r} ({type(size).__name__}); expected a positive "
                f"integer number of units, e.g. {param}=(100,)."
            )
        if size < 1:
            raise ValueError(
                f"{param}[{i}] is {size!r}; a layer needs at least 1 unit (got {sizes!r})."
            )
    return tuple(int(s) for s in sizes)


def check_device(device):
    """A torch device this build can use: a clear error for typos and missing backends."""
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"device={device!r} is not a device torch knows; expected 'cpu', 'cuda', "
            "'cuda:<index>' or 'mps' (as for torch.device)."
        ) from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r}, but this PyTorch build cannot use CUDA "
                f"(torch.cuda.is_available() is False; torch {torch.__version__}). Use "
                "device='cpu', or install a CUDA build of PyTorch on a machine with a GPU."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}, but only {torch.cuda.device_count()} CUDA device(s) are "
                f"visible (indices 0..{torch.cuda.device_count() - 1})."
            )
    elif parsed.type == "mps":
        backend = getattr(torch.backends, "mps", None)
        if backend is None or not backend.is_available():
            raise ValueError(
                f"device={device!r}, but MPS is not available on this machine "
                "(torch.backends.mps.is_available() is False). Use device='cpu'."
            )
    return parsed


def check_weight_order(X, sample_weight, names=("X", "sample_weight")):
    """Warn where ``sample_weight`` is a Series whose index holds ``X``'s row labels in
    another order, as :func:`check_row_order` warns of ``Y``: the weights are read by
    position, so each would weigh another row."""
    check_row_order(X, sample_weight, names=names,
                    align=f"{names[1]} = {names[1]}.loc[{names[0]}.index]")


def check_sample_weight(sample_weight, X, names=("X", "sample_weight")):
    """scikit-learn's ``_check_sample_weight``; NaN, infinite or negative weights are
    refused by position, and a Series ordered apart from ``X`` warns
    (:func:`check_weight_order`; ``names``: those of ``X`` and of the weights)."""
    check_weight_order(X, sample_weight, names)
    if sample_weight is not None and not isinstance(sample_weight, numbers.Number):
        try:
            values = np.asarray(sample_weight, dtype=float)
        except (TypeError, ValueError):
            values = None
        if values is not None and values.ndim == 1 and not np.isfinite(values).all():
            i = int(np.flatnonzero(~np.isfinite(values))[0])
            raise ValueError(
                f"sample_weight[{i}] is {values[i].item()!r}; expected finite, non-negative "
                "weights."
            )
    # imported here: the command line reads this module before it needs scikit-learn
    from sklearn.utils.validation import _check_sample_weight

    sample_weight = _check_sample_weight(sample_weight, X)
    negative = np.flatnonzero(sample_weight < 0)
    if negative.size:
        i = int(negative[0])
        raise ValueError(
            f"sample_weight[{i}] is {sample_weight[i].item()!r}; expected finite, non-negative "
            f"weights ({negative.size} negative value(s))."
        )
    return sample_weight


def check_network_params(est):
    """The values of a fitted-schema ``MultiTaskClassifier``'s numeric parameters."""
    if est.trunk == "mlp":
        check_layer_sizes("hidden_layer_sizes", est.hidden_layer_sizes)
    for task, sizes in (est.head_hidden or {}).items():
        check_layer_sizes(f"head_hidden[{task!r}]", sizes)
    check_task_numbers("task_weights", est.task_weights)
    check_task_numbers("head_lr", est.head_lr, positive=True)
    if isinstance(est.class_weight, dict):
        check_class_weight(est._class_weight_by_task())
    check_device(est.device)


def check_random_state_param(random_state, caller):
    """``random_state`` as scikit-learn's functions validate it: an
    ``InvalidParameterError`` (a ``ValueError``) naming the parameter and ``caller``
    where the value cannot seed a ``RandomState`` (numpy's own error names neither)."""
    from sklearn.utils._param_validation import validate_parameter_constraints

    validate_parameter_constraints(
        {"random_state": ["random_state"]}, {"random_state": random_state}, caller_name=caller
    )


def check_groups(groups, n_samples):
    """``groups`` as a 1-D array of one value per sample, none missing."""
    values = np.asarray(groups)
    if values.ndim != 1 or len(values) != n_samples:
        raise ValueError(
            f"groups must hold one value per sample: expected shape ({n_samples},), "
            f"got {values.shape}."
        )
    missing = pd.isna(values)
    if missing.any():
        raise ValueError(
            f"groups has {int(missing.sum())} missing value(s) (first at position "
            f"{int(np.argmax(missing))}); every sample needs a group."
        )
    return values


def takes_groups(estimator):
    """Whether ``estimator.fit`` takes ``groups`` (without metadata routing): by name,
    as ``MultiTaskClassifier``'s does, or among its ``**params``, as a search over group
    folds (``GridSearchCV``) takes them for its ``cv``."""
    from sklearn.model_selection._search import BaseSearchCV
    from sklearn.utils.validation import has_fit_parameter

    return has_fit_parameter(estimator, "groups") or isinstance(estimator, BaseSearchCV)


def groups_fit_params(model, groups):
    """``groups`` as ``fit`` keyword arguments of ``model``: for a ``fit`` that takes
    them (by name, or a search over group folds), or for each step of a pipeline whose
    ``fit`` does (``<step>__groups``: a ``TaskFeatureSelector``, the final
    ``MultiTaskClassifier``); none otherwise.

    With metadata routing enabled, a pipeline or a search routes its ``fit``'s metadata
    and refuses ``<step>__groups`` and metadata it routes nowhere: it gets ``groups``
    where its routing requests them, and where a step that takes them has not said
    whether it does (so that scikit-learn asks for its ``set_fit_request``).
    """
    from sklearn import get_config
    from sklearn.model_selection._search import BaseSearchCV
    from sklearn.pipeline import Pipeline

    router = isinstance(model, (Pipeline, BaseSearchCV))
    if router and get_config().get("enable_metadata_routing", False):
        from sklearn.utils.metadata_routing import get_routing_for_object

        steps = [s for _, s in model.steps] if isinstance(model, Pipeline) else []
        unset = any(s not in (None, "passthrough") and takes_groups(s)
                    and _fit_request(s, "groups") is None for s in steps)
        if unset or get_routing_for_object(model).consumes("fit", ["groups"]):
            return {"groups": groups}
        return {}
    if takes_groups(model):
        return {"groups": groups}
    if isinstance(model, Pipeline):
        return {f"{name}__groups": groups for name, step in model.steps
                if step not in (None, "passthrough") and takes_groups(step)}
    return {}


def _fit_request(estimator, param):
    """How ``estimator``'s ``fit`` requests metadata ``param`` under metadata routing:
    True, False, an alias, or None where it has not said."""
    from sklearn.utils.metadata_routing import get_routing_for_object

    routing = get_routing_for_object(estimator)
    own = getattr(routing, "_self_request", routing)  # a router's own requests
    method = getattr(own, "fit", None)
    return None if method is None else method.requests.get(param)


def check_row_order(first, second, names=("X", "Y"), align="Y = Y.loc[X.index]"):
    """Warn where ``first`` and ``second`` are pandas objects whose indexes hold the same
    row labels in another order. Rows are matched by position, as scikit-learn matches
    them (it never aligns on an index), so each row would meet another one's: the sign
    of a table sorted or shuffled apart from the other (``align`` says how to mend it)."""
    a, b = getattr(first, "index", None), getattr(second, "index", None)
    if not (isinstance(a, pd.Index) and isinstance(b, pd.Index)):
        return
    if len(a) != len(b) or a.equals(b) or not (a.is_unique and b.is_unique):
        return
    try:
        same_rows = a.sort_values().equals(b.sort_values())
    except TypeError:  # labels that do not sort together: not the same rows
        return
    if same_rows:
        warnings.warn(
            f"{names[1]}'s index holds {names[0]}'s row labels in another order "
            f"({int((a != b).sum())} of {len(a)} rows differ): rows are matched by "
            "position, as in scikit-learn, not by index, so those rows are paired with "
            f"other rows. Align them first, e.g. {align}.",
            UserWarning,
            stacklevel=3,
        )


def reads_as_number(value):
    """Whether ``value`` is a gap (None, NaN, ``pd.NA``, ``NaT``) or reads as a float64
    number (``"46504.55"`` does, ``"n/a"`` and ``10**400`` do not)."""
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return True
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def first_bad_value(X, kinds=("nan", "inf", "text"), first_row=0, message=None, columns=None):
    """Where the first NaN, infinite or non-numeric entry of a 2-D ``X`` is, or None;
    ``kinds`` names the entries to look for (``"nan"``, ``"inf"``, ``"text"``), and
    ``first_row`` is the number of ``X``'s first row (that of a batch in a file). Given
    numpy's ``message`` ("could not convert string to float: 'abc'"), the first entry
    holding that very text is the one named, where there is one; given "a value too large
    for dtype('float32')", a finite number beyond float32's range is bad too. A sparse
    matrix is read through its stored entries (:func:`_first_bad_stored`), never
    densified; ``columns`` names its columns (those of the pandas sparse frame it was
    read from)."""
    if _FLOAT32_TOO_LARGE in (message or ""):  # 1e300 is finite, but not in float32
        kinds = (*kinds, "large")
    if sp.issparse(X):
        found = _first_bad_stored(X, kinds)
        if found is None:
            return None
        row, col, value = found
        return _bad_entry(row, col if columns is None else columns[col], value, first_row)
    try:
        if is_polars(X):  # named by its columns, as a pandas DataFrame is
            X = to_pandas(X)
        if isinstance(X, pd.DataFrame):
            frame = X
        else:
            if getattr(X, "ndim", 2) > 2:  # images, clips: named by their index
                return _first_bad_in_samples(np.asarray(X), kinds)
            arr = np.asarray(X, dtype=object)
            if arr.ndim != 2:
                return None
            frame = pd.DataFrame(arr)
        bad = np.zeros(frame.shape, dtype=bool)
        for j in range(frame.shape[1]):
            values = frame.iloc[:, j]
            missing = values.isna().to_numpy()
            numeric = pd.to_numeric(values.astype(object), errors="coerce").astype(float)
            numeric = numeric.to_numpy()
            if "nan" in kinds:
                bad[:, j] |= missing
            if "text" in kinds:
                bad[:, j] |= np.isnan(numeric) & ~missing
            if "inf" in kinds:
                bad[:, j] |= np.isinf(numeric)
            if "large" in kinds:
                bad[:, j] |= _beyond_float32(numeric)
    except (TypeError, ValueError):  # a structure this helper cannot read: say nothing
        return None
    if not bad.any():
        return None
    row, col = np.argwhere(bad)[0]
    quoted = re.search(r"convert string to float: '(.*)'", message or "")
    if quoted is not None:  # the entry that numpy names, where the first is another
        for r, c in np.argwhere(bad):
            if str(frame.iat[r, c]) == quoted.group(1):
                row, col = r, c
                break
    name = frame.columns[col] if isinstance(X, pd.DataFrame) else int(col)
    return _bad_entry(row, name, frame.iat[row, col], first_row)


#: scikit-learn's words for a number that float32 cannot hold.
_FLOAT32_TOO_LARGE = "too large for dtype('float32')"


def _beyond_float32(values):
    """Which of the numbers ``values`` are finite but beyond float32's range."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (np.abs(values) > np.finfo(np.float32).max)


def _bad_numbers(values, kinds):
    """Which of the float ``values`` are bad by ``kinds`` (``"nan"``, ``"inf"``, and
    ``"large"``: finite but beyond float32's range)."""
    bad = np.zeros(values.shape, dtype=bool)
    if "nan" in kinds:
        bad |= np.isnan(values)
    if "inf" in kinds:
        bad |= np.isinf(values)
    if "large" in kinds:
        bad |= _beyond_float32(values)
    return bad


def _first_bad_in_samples(X, kinds):
    """:func:`first_bad_value` of an array of images or clips (3-D samples and more):
    the first bad entry named by its index, or None (numbers only: no text to read)."""
    if X.dtype.kind not in "fc":
        return None  # integers and bools hold no NaN nor infinity
    bad = _bad_numbers(X, kinds)
    if not bad.any():
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    return _bad_entry(where[0], None, X[where], index=where)


def _bad_entry(row, name, value, first_row=0, index=None):
    """The sentence naming the first bad entry (its row, its column's name, its value;
    in an array of images its ``index``), one wording for dense and sparse ``X``."""
    value = value.item() if isinstance(value, np.generic) else value
    what = "is missing (NaN)" if pd.isna(value) else f"holds {value!r}, not a finite number"
    if isinstance(value, numbers.Number) and _beyond_float32(value):
        what = f"holds {value!r}, too large for float32"  # (a finite number)
    where = (f"row {first_row + int(row)}, column {name!r}" if index is None
             else f"sample {row}, at index {index} of X,")
    return f"The first bad entry: {where} {what}; expected finite numbers in every entry of X."


def _first_bad_stored(X, kinds):
    """(row, column, value) of the first NaN or infinite stored entry of the sparse
    matrix ``X`` in row-major order, as :func:`first_bad_value` reads a dense one, or
    None. Read from the CSR/CSC index arrays (other formats through COO), so that memory
    stays in the stored entries: a TF-IDF matrix is never densified."""
    if X.ndim != 2:  # (a 1-D sparse array), as a dense one: say nothing
        return None
    if X.format not in ("csr", "csc", "coo"):  # dok, lil, bsr, dia: their COO entries
        X = X.tocoo()
    data = np.asarray(X.data)
    if data.dtype.kind not in "fc":  # integers and booleans hold no NaN nor infinity
        return None
    where = np.flatnonzero(_bad_numbers(data, kinds))
    if not len(where):
        return None
    if X.format in ("csr", "csc"):  # the compressed axis from indptr, the other stored
        major = np.searchsorted(X.indptr, where, side="right") - 1
        minor = np.asarray(X.indices)[where]
        rows, cols = (major, minor) if X.format == "csr" else (minor, major)
    else:
        rows, cols = np.asarray(X.row)[where], np.asarray(X.col)[where]
    first = np.lexsort((cols, rows))[0]
    return int(rows[first]), int(cols[first]), data[where[first]]


#: Words of scikit-learn's errors on the values of X -> the entries they are about.
_VALUE_ERRORS = {"NaN": "nan", "infinity": "inf", "convert": "text", "string": "text",
                 "could not be promoted": "text"}  # numpy: no common type (dates, numbers)


def value_error_kinds(message):
    """The kinds of entries (:func:`first_bad_value`'s ``kinds``) that scikit-learn's or
    numpy's error ``message`` on the values of X is about."""
    return {kind for word, kind in _VALUE_ERRORS.items() if word in message}


def same_kind(exc, message):
    """An exception of the type of ``exc`` (a ValueError or TypeError) with ``message``;
    the builtin base type where that type takes other arguments (UnicodeDecodeError)."""
    base = ValueError if isinstance(exc, ValueError) else TypeError
    try:
        return type(exc)(message)
    except Exception:  # a constructor of another signature
        return base(message)


def mapping_form(data):
    """How ``data`` holds its columns in dicts ("a dict of columns", "a list of dicts
    (one per row)"), which scikit-learn reads as a scalar or fails on with "float()
    argument ... 'dict'"; None for any other form (a sparse DOK matrix, a dict too)."""
    if sp.issparse(data):
        return None
    if isinstance(data, Mapping):
        return "a dict of columns"
    if isinstance(data, (list, tuple)) and len(data) and isinstance(data[0], Mapping):
        return "a list of dicts (one per row)"
    return None


def refuse_mappings(X):
    """A ValueError for ``X`` given in dicts (see :func:`mapping_form`) or as a numpy
    structured (record) array, one row of named fields a sample, which numpy reads as
    1-D: scikit-learn's "Expected 2D array" or a failed cast would not say why."""
    what = mapping_form(X)
    names = getattr(getattr(X, "dtype", None), "names", None)
    if what is None and isinstance(X, np.ndarray) and names:
        what = f"a numpy structured array (fields {', '.join(map(repr, names))})"
    if what is not None:
        raise ValueError(
            f"X is {what}; give it as a DataFrame, pd.DataFrame(X), or as a 2-D array."
        )

