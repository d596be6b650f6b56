"""Safe persistence: ``save(estimator, path)`` and ``load(path)`` without pickle.

One file per model: a zip archive whose members are

``manifest.json``
    Format name and version, the sklearn-mtl version that wrote it (checked on load),
    the library versions it was written with, and the SHA-256 of every other member.
``estimator.json``
    The estimator as typed JSON: its class (by import path), ``get_params()`` and its
    fitted attributes (schema, encoder state with the fitted input form, seeds,
    history...). Classes and functions are stored by import path and, on load, resolved
    only from an allow-list.
``arrays.safetensors``
    Numeric numpy arrays (safetensors: raw buffers, never code).
``weights.safetensors``
    Torch tensors: the network's and the loss's ``state_dict`` and tensors in fitted
    attributes.
``skops/<n>.skops``
    Fitted scikit-learn objects (the baselines' base estimators, a pipeline's
    transformers) in skops' format, loaded only when every type they hold is trusted.

A scikit-learn ``Pipeline``, ``FeatureUnion``, ``ColumnTransformer``, ``SelectFromModel`` or
``FrozenEstimator`` that holds an sklearn-mtl estimator (e.g. ``make_pipeline(StandardScaler(),
MultiTaskClassifier())``) is stored as its class, parameters and fitted attributes, each
step stored as above; only these composition classes are rebuilt this way.

Nothing in the archive is unpickled, and loading runs no code of the file's choosing:
the only code that runs is the ``__init__`` of allow-listed classes (sklearn-mtl's own
estimators, skorch callbacks) and the building of the network from the schema and the
parameters, as ``fit`` does. Loading writes nothing: the callbacks' ``initialize`` (a
``Checkpoint`` creates its folder there) runs when training goes on, not at load.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import functools
import hashlib
import importlib
import inspect
import io
import json
import math
import os
import platform
import re
import secrets
import stat
import struct
import sys
import warnings
import zipfile
import zlib
import zoneinfo

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ._frames import is_polars, to_pandas
from ._optional import import_optional
from ._schema import Schema, Task

FORMAT = "sklearn-mtl-model"
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
ESTIMATOR = "estimator.json"
ARRAYS = "arrays.safetensors"
WEIGHTS = "weights.safetensors"
SKOPS_DIR = "skops/"

#: Modules whose classes may be referenced by import path (parameters such as
#: ``optimizer=torch.optim.AdamW`` or ``trunk=MyTrunk``) without being listed in ``trusted``.
TRUSTED_MODULES = ("sklearn_mtl", "torch.nn", "torch.optim", "skorch.callbacks")
_BUILTIN_TYPES = {t.__name__: t for t in (list, tuple, set, frozenset, dict, str, int, float, bool)}
#: Functions that a skorch callback's parameters may refer to without ``trusted``: the
#: functions that skorch's callbacks default to. The ``sink`` (``EarlyStopping``,
#: ``PrintLog``: ``print``; ``Checkpoint``, ``TrainEndCheckpoint``: ``noop``; and
#: ``ParamMapper``'s ``fn``), which a callback calls with the messages it reports while
#: training; the ``target_extractor`` of ``EpochScoring`` and ``BatchScoring``
#: (``to_numpy``), which turns the target into an array for the scoring; a
#: ``TensorBoard``'s ``key_mapper``, which renames the history's keys; the ``fn`` of
#: ``Freezer`` and ``Unfreezer`` (``freeze_parameter``, ``unfreeze_parameter``), which
#: sets a parameter's ``requires_grad``. Load calls none.
_CALLBACK_DEFAULT_FUNCTIONS = frozenset({
    "builtins:print", "skorch.utils:noop", "skorch.utils:to_numpy",
    "skorch.callbacks.logging:rename_tensorboard_key", "skorch.utils:freeze_parameter",
    "skorch.utils:unfreeze_parameter"})
#: scikit-learn classes rebuilt from their parameters and attributes when they hold an
#: sklearn-mtl estimator (skops stores the others, and these when they hold none).
COMPOSITES = (
    "sklearn.pipeline:Pipeline",
    "sklearn.pipeline:FeatureUnion",
    "sklearn.compose._column_transformer:ColumnTransformer",
    "sklearn.feature_selection._from_model:SelectFromModel",
    # a fitted model frozen for a TaskThresholdTuner, a stacking or a pipeline: skops
    # cannot store the network or the gates' frozensets it holds
    "sklearn.frozen._frozen:FrozenEstimator",
)
_NUMERIC_KINDS = "biuf"
#: Types skops reports as untrusted that are data, not code: a ``numpy.dtype`` is rebuilt
#: from its name (``SimpleImputer`` keeps the dtype it was fitted on), a pandas
#: ``StringDtype`` by ``StringDtype(storage, na_value)``, whose arguments skops checks as it
#: checks every value (a search such as ``GridSearchCV``, stored whole by skops, holds the
#: dtypes of the label columns its sklearn-mtl estimator was fitted on). skops names it
#: ``pandas.StringDtype`` from pandas 3 on, by its defining module before.
_SKOPS_DATA_TYPES = frozenset({"numpy.dtype", "pandas.StringDtype",
                               "pandas.core.arrays.string_.StringDtype",
                               # a gate's values (Task.gate), held by a search around a
                               # baseline of gated tasks: a container, as skops' set is
                               "builtins.frozenset"})
#: What scikit-learn's own estimators hold that skops does not trust by default:
#: ``HistGradientBoostingClassifier`` with categorical features (``"from_dtype"``, the
#: default) keeps a ``FunctionTransformer`` of ``partial(check_array, ...)``. skops reports
#: a partial's function as a type of its own, so trusting ``partial`` trusts no function.
_SKOPS_SKLEARN_INTERNALS = frozenset({"functools.partial",
                                      "sklearn.utils.validation.check_array"})
#: Types that a ``make_column_selector`` holds as the dtypes it selects, which skops does
#: not trust by default: ``dtype_include=object`` (``builtins.object``) and numpy's
#: abstract scalar types (``np.number``, ``np.integer``, ``np.floating``...), as in
#: scikit-learn's own examples. They are classes used as data; none can be built into
#: an object that holds or runs anything (numpy's abstract types cannot be built at all).
_SKOPS_SELECTOR_TYPES = frozenset({"builtins.object"} | {
    f"numpy.{name}" for name in ("generic", "number", "integer", "signedinteger",
                                 "unsignedinteger", "inexact", "floating",
                                 "complexfloating", "flexible", "character")})


class UnsafeModelFileError(ValueError):
    """The file is not a valid sklearn-mtl model file, or would need untrusted code to load."""


def _untrusted(message, names):
    """An :class:`UnsafeModelFileError` refusing the dotted ``names`` that ``trusted``
    does not list, kept as its ``untrusted`` attribute (the command line names them as
    the ``--trust`` options to give)."""
    error = UnsafeModelFileError(message)
    error.untrusted = list(names)
    return error


class InconsistentVersionWarning(UserWarning):
    """A model file was written with another version of sklearn-mtl or of a library its
    model depends on than the one running, as scikit-learn's
    ``sklearn.exceptions.InconsistentVersionWarning`` says of an unpickled estimator.

    :func:`load` warns once for each that differs: sklearn-mtl (within its release
    series: another series is refused), scikit-learn, and, for a file that holds a
    network's weights, torch and skorch. Builds of one final release, which differ in
    their local version label only (torch ``2.5.1+cu121`` and ``2.5.1+cpu``), do not
    differ; builds of a pre-release or development version do (torch ``2.6.0a0+git...``
    built from source names its commit there).
    The model may then predict differently or fail; check its predictions, or refit it
    and save it again. To turn the warning into an error:
    ``warnings.simplefilter("error", InconsistentVersionWarning)``.

    Parameters
    ----------
    estimator_name : str
        The class of the saved estimator (``"MultiTaskClassifier"``, ``"Pipeline"``).
    library : str
        ``"sklearn-mtl"``, ``"scikit-learn"``, ``"torch"`` or ``"skorch"``.
    original_version : str
        The version of ``library`` that the file was written with.
    current_version : str
        The version of ``library`` running now.
    path : str, default=None
        The file, as :func:`load` was given it.
    """

    def __init__(self, *, estimator_name, library, original_version, current_version,
                 path=None):
        self.estimator_name = estimator_name
        self.library = library
        self.original_version = original_version
        self.current_version = current_version
        self.path = path
        super().__init__(str(self))

    def __reduce__(self):  # keyword-only arguments: pickled (to a worker) as such
        return functools.partial(type(self), **{
            k: getattr(self, k) for k in ("estimator_name", "library", "original_version",
                                          "current_version", "path")}), ()

    def __str__(self):
        where = "" if self.path is None else f" from {self.path!r}"
        by = "sklearn-mtl " if self.library == "sklearn-mtl" else \
            f"sklearn-mtl with {self.library} "
        return (
            f"Loading {self.estimator_name}{where}, written by {by}{self.original_version}"
            f", while {self.library} "
            f"{self.current_version} is running. It may predict differently or fail: check "
            "its predictions, or refit it and save it again with the versions that run."
        )


# ================================================================================ save
def save(estimator, path, *, include_optimizer=False):
    """Save an sklearn-mtl estimator (fitted or not) to one file, without pickle.

    Parameters
    ----------
    estimator : estimator object
        A :class:`~sklearn_mtl.MultiTaskClassifier`, one of the baselines
        (:class:`~sklearn_mtl.IndependentTaskClassifier`,
        :class:`~sklearn_mtl.TaskChainClassifier`,
        :class:`~sklearn_mtl.LabelProductClassifier`), a
        :class:`~sklearn_mtl.TaskThresholdTuner`, a
        :class:`~sklearn_mtl.StructuredLabelEncoder`, or a scikit-learn ``Pipeline``,
        ``FeatureUnion``, ``ColumnTransformer``, ``SelectFromModel`` or
        ``FrozenEstimator`` holding any of them (e.g.
        ``make_pipeline(StandardScaler(), MultiTaskClassifier())``).
    path : str, path-like or binary file object
        Where to write the archive (by convention ``*.mtl``). Written to a temporary file
        first and moved into place, so an interrupted save never leaves a half-written
        model at ``path``; a symbolic link is written through, as ``open(path, "wb")``
        writes (the file it points to is replaced, the link stays); a device or a pipe
        (``/dev/null``, a FIFO) is written as it is. The file gets the
        permissions that ``open(path, "wb")`` would give it: those of the file it
        replaces, else 0o666 less the umask (0o644 under the usual umask 022). A file
        object opened for writing bytes (``io.BytesIO()``, an upload stream) gets the
        archive written to it as it is, from where it stands.
    include_optimizer : bool, default=False
        Also store each network's optimizer state (AdamW's moments and step counts, about
        twice the weights' size), as skorch's ``save_params(f_optimizer=...)`` does: a
        loaded model then continues training (``warm_start=True``, ``partial_fit``)
        exactly as the saved one would have. Without it the loaded model predicts the
        same, and further training starts from fresh moments at the base learning rate
        (a skorch ``LRScheduler`` among the callbacks counts on from the saved epochs).

    Returns
    -------
    path : str or file object
        The path written, or the file object.

    Raises
    ------
    TypeError
        When a parameter or fitted attribute cannot be stored without pickle: a torch
        module instance as ``trunk`` (pass the class and ``trunk_params``), a lambda or a
        locally defined function or class, an arbitrary object; a scikit-learn object
        that skops cannot store, or would store but not load again (one holding
        ``pd.NA``). The message names it, and for a search (``GridSearchCV``) or another
        scikit-learn object around an sklearn-mtl estimator, what to save instead.
        Labels that are dates, times, durations or periods (a ``Y`` column of datetimes,
        ``datetime.date``, Timestamps or Periods, which the estimators fit and predict)
        are refused too: fit on them as text (``Y[column].astype(str)``) to save the
        model. A column dtype that load could not rebuild is refused as well: an Arrow
        type other than numbers, strings, binary, dates and times, decimals, and
        dictionaries, lists, structs and maps of these (an extension type, a union).
        A file object opened in text mode is refused (open it with ``"wb"``).

    See Also
    --------
    load : the inverse.

    Notes
    -----
    Classes and functions are stored by import path; :func:`load` accepts some without
    ``trusted`` (see there) and every other one that ``trusted`` names, a builtin
    function included: a skorch callback's ``sink=print`` (its default) loads as it is,
    ``sink=len`` with ``trusted=["builtins.len"]``. A ``functools.partial`` is stored as
    its function and arguments (``metric=partial(fbeta_score, beta=2)``): it loads when
    that function is trusted.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mtl import IndependentTaskClassifier, load, save
    >>> X, Y = np.arange(8.0).reshape(-1, 1), np.array([[0, 1], [0, 1], [0, 0], [1, 0]] * 2)
    >>> clf = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    >>> path = save(clf, os.path.join(tempfile.mkdtemp(), "model.mtl"))
    >>> bool((load(path).predict(X) == clf.predict(X)).all())
    True
    """
    from . import __version__

    if isinstance(path, io.TextIOBase):
        raise _text_stream_error(path, "wb")
    writer = _Writer(include_optimizer=include_optimizer)
    tree = writer.encode(estimator, type(estimator).__name__)
    members = {ESTIMATOR: json.dumps(tree, indent=1, allow_nan=False).encode()}
    if writer.arrays:
        from safetensors.numpy import save as save_arrays

        members[ARRAYS] = save_arrays(writer.arrays)
    if writer.tensors:
        from safetensors.torch import save as save_tensors

        members[WEIGHTS] = save_tensors(writer.tensors)
    members.update(writer.skops)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sklearn_mtl_version": __version__,
        "estimator": _path_of(type(estimator)),
        "written_with": _library_versions(),
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    }
    if hasattr(path, "write"):  # a binary file object: a buffer, an upload, a socket
        try:
            _write_archive(path, manifest, members)
        except TypeError as exc:  # a text stream that is no io.TextIOBase
            if "str" not in str(exc):
                raise
            raise _text_stream_error(path, "wb") from None
        return path
    path = _check_path(path, "a str or path-like path, or a binary file object")
    # a symbolic link is written through, as open(path, "wb") writes: the file it points
    # to is replaced and the link stays (replacing the link made it a file of its own,
    # and left the file it pointed to as it was)
    if str(path).endswith(tuple(filter(None, (os.sep, os.altsep)))) and not os.path.isdir(path):
        # a folder's name ("models/"): the rename failed with NotADirectoryError naming the
        # temporary file, as open(path, "wb") raises IsADirectoryError
        raise IsADirectoryError(
            f"Cannot save to {path!r}: it names a folder (it ends with a separator); give "
            f"a file path, e.g. {os.path.join(path, 'model.mtl')!r} in an existing folder."
        )
    target = os.path.realpath(path) if os.path.islink(path) else path
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot save to {path!r}: the folder {directory!r} does not exist. Create it "
            "first (e.g. os.makedirs(folder, exist_ok=True))."
        )
    if os.path.isdir(target):
        raise IsADirectoryError(
            f"Cannot save to {path!r}: it is a folder; give a file path inside it, e.g. "
            f"{os.path.join(path, 'model.mtl')!r}."
        )
    if os.path.exists(target) and not os.access(target, os.W_OK):
        # as open(path, "wb") would: the replace below would overwrite a read-only file
        raise PermissionError(f"Cannot save to {path!r}: the file is read-only.")
    if os.path.exists(target) and not os.path.isfile(target):
        # a device or a pipe (/dev/null, a FIFO, or a link to one) is written as it is, as
        # open(path, "wb") writes it: the replace below put a plain file in its place
        with open(target, "wb") as fh:
            _write_archive(fh, manifest, members)
        return path
    fd, tmp = _new_file(directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(fh, manifest, members)
        _keep_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _text_stream_error(stream, mode):
    verb, extra = ("save to", " or pass io.BytesIO()") if mode == "wb" else ("load from", "")
    return TypeError(
        f"Cannot {verb} {stream!r}: it is a text file object; open the file in binary "
        f"mode ({mode!r}){extra}."
    )


def _keep_mode(path, tmp):
    """Give ``tmp`` the permissions of the file ``path`` that it replaces, as overwriting
    it with ``open(path, "wb")`` keeps them (a new file keeps those of :func:`_new_file`).
    POSIX only: Windows' one permission, read-only, would keep a read-only file from
    being replaced at all."""
    if os.name != "posix":
        return
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode) & 0o777  # no setuid, setgid, sticky bit
    except FileNotFoundError:
        return
    os.chmod(tmp, mode)


def _new_file(directory):
    """A new, empty file in ``directory`` for the archive to be written to, then renamed:
    its descriptor and path. It is created as ``open(path, "wb")`` creates a file, with
    mode 0o666 less the process's umask (``tempfile.mkstemp`` gives 0o600 whatever the
    umask, which a model file would keep: unreadable by a server run by another user)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".sklearn-mtl-{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary file in {directory!r}.")


def _write_archive(fh, manifest, members):
    """The model's zip archive, its manifest first, written to the binary file ``fh``."""
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1))
        for name, data in members.items():
            zf.writestr(name, data)


def _check_path(path, expected):
    """``path`` as a str; bytes are refused, naming what was ``expected``."""
    if isinstance(path, (bytes, bytearray, memoryview)):
        raise TypeError(f"Expected {expected}; got bytes.")
    return os.fspath(path)


def _library_versions():
    import sklearn
    import skorch
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
        "torch": torch.__version__,
    }


def _path_of(obj):
    return f"{obj.__module__}:{obj.__qualname__}"


class _Writer:
    """Turns an object tree into typed JSON, collecting arrays, tensors and skops blobs."""

    def __init__(self, include_optimizer=False):
        self.arrays, self.tensors, self.skops = {}, {}, {}
        self._memo, self._alive, self._active = {}, [], set()
        self.include_optimizer = include_optimizer

    def encode(self, obj, where):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            value = float(obj)
            return value if math.isfinite(value) else {"$t": "float", "v": repr(value)}
        if isinstance(obj, np.bool_):
            return bool(obj)
        if obj is pd.NA:
            return {"$t": "pd_na"}
        if isinstance(obj, tuple):
            return {
                "$t": "tuple",
                "v": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)],
            }
        if isinstance(obj, (set, frozenset)):
            items = sorted(obj, key=repr)
            return {"$t": type(obj).__name__, "v": [self.encode(v, where) for v in items]}
        if isinstance(obj, bytes):
            return {"$t": "bytes", "v": base64.b64encode(obj).decode()}
        if isinstance(obj, decimal.Decimal):  # the labels of a decimal column
            return {"$t": "decimal", "v": str(obj)}
        if isinstance(obj, np.dtype):
            return {"$t": "np_dtype", "v": obj.str if obj.kind != "O" else "O"}
        if isinstance(obj, pd.CategoricalDtype):
            return {
                "$t": "pd_categorical",
                "categories": self.encode(list(obj.categories), where),
                "categories_dtype": self.encode(obj.categories.dtype, where),
                "ordered": bool(obj.ordered),
            }
        if isinstance(obj, pd.StringDtype):  # its name does not say its storage or NA
            # pandas < 2.3 names the pyarrow strings missing as NaN "pyarrow_numpy"
            storage = "pyarrow" if obj.storage == "pyarrow_numpy" else obj.storage
            return {"$t": "pd_string", "storage": storage,
                    "na": "NA" if obj.na_value is pd.NA else "nan"}
        if isinstance(obj, pd.ArrowDtype):  # "string[pyarrow]" would read as StringDtype
            # its name, for the reader; its type as data, from which load rebuilds it
            # (the names of dictionary, list and decimal types do not parse back)
            return {"$t": "pd_arrow", "v": str(obj),
                    "type": _arrow_type_spec(obj.pyarrow_dtype, where)}
        if isinstance(obj, pd.api.extensions.ExtensionDtype):
            return {"$t": "pd_dtype", "v": _dtype_name(obj, where)}
        if isinstance(obj, type) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
            return {"$t": "callable", "v": _importable_path(obj, where)}
        import torch

        if isinstance(obj, torch.device):
            return {"$t": "torch_device", "v": str(obj)}
        if isinstance(obj, slice):  # ColumnTransformer.output_indices_
            return {"$t": "slice", "v": [self.encode(v, where) for v in
                                        (obj.start, obj.stop, obj.step)]}
        # Objects with identity: written once, referenced after.
        key = id(obj)
        if key in self._memo:
            return {"$t": "ref", "id": self._memo[key]}
        if key in self._active:
            raise TypeError(f"{where} refers to itself; save() cannot store cycles.")
        self._active.add(key)
        try:
            out = self._encode_object(obj, where, torch)
        finally:
            self._active.discard(key)
        out["id"] = self._memo[key] = len(self._memo)
        self._alive.append(obj)  # keep ids unique while writing
        return out

    def _encode_object(self, obj, where, torch):
        if isinstance(obj, list):
            return {"$t": "list", "v": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj):
                return {
                    "$t": "dict",
                    "v": {k: self.encode(v, f"{where}[{k!r}]") for k, v in obj.items()},
                }
            items = [
                [self.encode(k, where), self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()
            ]
            return {"$t": "map", "v": items}
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind in _NUMERIC_KINDS and obj.dtype.itemsize <= 8:
                ref = f"a{len(self.arrays)}"
                # not np.ascontiguousarray, which makes a 0-d array (a threshold set by
                # hand as np.array(0.5)) one of shape (1,)
                self.arrays[ref] = obj if obj.flags.c_contiguous else obj.copy(order="C")
                return {"$t": "ndarray", "ref": ref}
            flat = [self.encode(v, where) for v in obj.ravel(order="C").tolist()]
            dtype = "O" if obj.dtype.kind == "O" else obj.dtype.str
            return {"$t": "ndarray_list", "dtype": dtype, "shape": list(obj.shape), "v": flat}
        if isinstance(obj, torch.Tensor):
            ref = f"state.{len(self.tensors)}"
            self.tensors[ref] = obj.detach().cpu().contiguous().clone()
            return {"$t": "tensor", "ref": ref}
        if isinstance(obj, Task):
            return {"$t": "task", "v": self.encode(obj.to_dict(), f"{where}[{obj.name!r}]")}
        if isinstance(obj, Schema):
            return {"$t": "schema", "tasks": [self.encode(t, where) for t in obj.tasks]}
        if isinstance(obj, pd.Index):
            return {
                "$t": "pd_index",
                "v": self.encode(obj.to_numpy(), where),
                "name": self.encode(obj.name, where),
            }
        if isinstance(obj, pd.DataFrame):  # a JointDecoder's table of allowed combinations
            # column by column, each as its values and its dtype (a categorical column's
            # categories, a "string" column's missing value), as the columns of Y are kept
            return {
                "$t": "pd_frame",
                "columns": self.encode(obj.columns, f"{where}.columns"),
                "index": self.encode(obj.index, f"{where}.index"),
                "data": [
                    {"dtype": self.encode(dtype, f"{where}[{name!r}]"),
                     "v": self.encode(obj.iloc[:, i].to_numpy(), f"{where}[{name!r}]")}
                    for i, (name, dtype) in enumerate(obj.dtypes.items())
                ],
            }
        if isinstance(obj, pd.Series):  # a multilabel task's thresholds, by label
            return {
                "$t": "pd_series",
                "index": self.encode(obj.index, f"{where}.index"),
                "name": self.encode(obj.name, where),
                "dtype": self.encode(obj.dtype, where),
                "v": self.encode(obj.to_numpy(), where),
            }
        if is_polars(obj) and type(obj).__name__ == "DataFrame":
            # a JointDecoder's allowed table given as polars: its pandas copy (the one the
            # decoder reads, a null as a gate that is off), made polars again at load
            return {"$t": "pl_frame", "v": self.encode(to_pandas(obj), where)}
        if isinstance(obj, torch.nn.Module):
            raise TypeError(
                f"{where} is a torch module instance ({type(obj).__name__}); save() stores "
                "parameters as JSON and rebuilds the network from them. Pass the module's "
                "class (and its arguments as trunk_params) instead of an instance."
            )
        if type(obj) is functools.partial:
            # a metric with its arguments (TaskThresholdTuner(metric=partial(fbeta_score,
            # beta=2))): its function by import path, as a function is stored, and its
            # arguments as values; load needs that function in trusted, as for the bare one
            return {
                "$t": "partial",
                "func": self.encode(obj.func, f"{where}.func"),
                "args": self.encode(obj.args, f"{where}.args"),
                "keywords": self.encode(obj.keywords, f"{where}.keywords"),
            }
        if type(obj) is np.random.RandomState:
            # a random_state parameter (scikit-learn's "RandomState instance"): its
            # generator's state, from which load rebuilds an equal one, as pickle does
            state = obj.get_state(legacy=False)
            return {"$t": "random_state", "v": self.encode(state, f"{where}.get_state()")}
        module = type(obj).__module__
        if module.split(".")[0] == "sklearn_mtl":
            if isinstance(obj, BaseEstimator):
                return self._encode_estimator(obj, where)
            return {
                "$t": "object",
                "class": _importable_path(type(obj), where),
                "state": self.encode(dict(vars(obj)), where),
            }
        from skorch.callbacks import Callback
        from skorch.net import NeuralNet

        if isinstance(obj, NeuralNet):
            return self._encode_net(obj, where)
        if isinstance(obj, Callback):
            params = obj.get_params(deep=False)
            return {
                "$t": "instance",
                "class": _importable_path(type(obj), where),
                "params": self.encode(params, f"{where}.params"),
            }
        if _path_of(type(obj)) in COMPOSITES and _holds_project_object(obj):
            return self._encode_composite(obj, where)
        if isinstance(obj, BaseEstimator) or module.split(".")[0] == "sklearn":
            sio = _skops_io()
            name = f"{SKOPS_DIR}{len(self.skops)}.skops"
            try:
                self.skops[name] = sio.dumps(obj)
            except Exception as exc:  # skops says what it cannot store
                held = _categorical_dtype_in(obj)
                what = (f"it holds a pandas CategoricalDtype ({held}: the dtype of a "
                        "categorical label column it was fitted on, given back by "
                        "predict), which skops cannot store"
                        if held is not None else str(exc).rstrip("."))
                raise TypeError(
                    f"{where} ({type(obj).__name__}) cannot be stored: {what}."
                    f"{_instead(obj)}"
                ) from exc
            untrusted = sio.get_untrusted_types(data=self.skops[name])
            _check_findable(untrusted, where, obj)
            _check_skops_loads(untrusted, where, obj)
            return {"$t": "skops", "ref": name}
        if isinstance(obj, (datetime.date, datetime.time, datetime.timedelta, pd.Period)):
            raise TypeError(
                f"{where} is a {type(obj).__module__}.{type(obj).__qualname__} ({obj}): save() "
                "stores no dates, times, durations or periods. Where they are labels (a Y "
                "column of dates, Timestamps or Periods), fit on them as text to save the "
                "model (Y[column].astype(str); predictions are then text too)."
            )
        raise TypeError(
            f"{where} is a {type(obj).__module__}.{type(obj).__qualname__}, which save() cannot "
            "store without pickle (it stores JSON values, arrays, classes and functions by "
            "import path, sklearn-mtl objects and scikit-learn estimators)."
        )

    def _encode_estimator(self, est, where):
        params = est.get_params(deep=False)
        state = {k: v for k, v in vars(est).items() if k not in params}
        net = state.pop("net_", None)
        out = {
            "$t": "estimator",
            "class": _importable_path(type(est), where),
            "params": {k: self.encode(v, f"{where}.{k}") for k, v in params.items()},
            "state": {k: self.encode(v, f"{where}.{k}") for k, v in state.items()},
        }
        if net is not None:
            out["net"] = self._encode_net(net, f"{where}.net_")
        return out

    def _encode_composite(self, est, where):
        """A composite (``COMPOSITES``): class, parameters, fitted state."""
        params = est.get_params(deep=False)
        state = {k: v for k, v in vars(est).items() if k not in params}
        return {
            "$t": "composite",
            "class": _path_of(type(est)),
            "params": {k: self.encode(v, f"{where}.{k}") for k, v in params.items()},
            "state": {k: self.encode(v, f"{where}.{k}") for k, v in state.items()},
        }

    def _encode_net(self, net, where):
        from skorch.net import NeuralNet

        if not isinstance(net, NeuralNet) or not getattr(net, "initialized_", False):
            raise TypeError(f"{where} is not an initialized skorch net.")
        names = {}
        for part in ("module", "criterion"):
            component = getattr(net, f"{part}_", None)
            if component is None:
                continue
            names[part] = []
            for key, tensor in component.state_dict().items():
                ref = f"{part}.{key}"
                self.tensors[ref] = tensor.detach().cpu().contiguous().clone()
                names[part].append(key)
        history = self.encode([dict(row) for row in net.history], f"{where}.history")
        # the callbacks the net was built with: a net built by partial_fit has no
        # learning-rate schedule, whatever lr_schedule says
        callbacks = [name for name, _ in getattr(net, "callbacks_", [])]
        node = {"state_dicts": names, "history": history, "callbacks": callbacks,
                "recipe_callbacks": _recipe_callback_names(net)}
        # the parameters frozen (a skorch Freezer, requires_grad_(False)): a state_dict
        # keeps no requires_grad, and the saved history stops a Freezer from running
        # again, so a loaded model trained its frozen trunk on
        frozen = {part: [key for key, p in getattr(net, f"{part}_").named_parameters()
                         if not p.requires_grad] for part in names}
        if any(frozen.values()):
            node["frozen"] = {part: keys for part, keys in frozen.items() if keys}
        # where the shuffling of batches stands: more training after load draws the
        # batches the saved model would have drawn
        node["generators"] = {
            name: self.encode(generator.get_state(), f"{where}.{name}")
            for name in _GENERATORS
            if (generator := getattr(net, name, None)) is not None
        }
        # read only when asked for: a loaded net builds its optimizer when first read
        optimizer = getattr(net, "optimizer_", None) if self.include_optimizer else None
        if optimizer is not None:
            node["optimizer"] = self.encode(optimizer.state_dict(), f"{where}.optimizer")
        return node


def _holds_project_object(obj, _seen=None):
    """Whether an sklearn-mtl object is among ``obj``'s parameters or attributes."""
    seen = set() if _seen is None else _seen
    if id(obj) in seen:
        return False
    seen.add(id(obj))
    if type(obj).__module__.split(".")[0] == "sklearn_mtl":
        return True
    if isinstance(obj, (list, tuple)):
        return any(_holds_project_object(v, seen) for v in obj)
    if isinstance(obj, dict):
        return any(_holds_project_object(v, seen) for v in obj.values())
    if isinstance(obj, BaseEstimator):
        return any(_holds_project_object(v, seen) for v in vars(obj).values())
    return False


def _importable_path(obj, where):
    """``module:qualname`` of a class or function that import finds again."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if module is None or "<" in qualname or module == "__main__":
        raise TypeError(
            f"{where} is {obj!r}, which cannot be found again by import (a lambda, or a "
            "function or class defined inside a function or in __main__); define it at "
            "the top level of an importable module to save it."
        )
    if module == "builtins" and qualname in _BUILTIN_TYPES:
        return f"builtins:{qualname}"
    try:
        found = _resolve(module, qualname)
    except (ImportError, AttributeError):
        found = None
    if found is not obj:
        raise TypeError(f"{where} is {obj!r}, which import does not find at {module}.{qualname}.")
    return f"{module}:{qualname}"


def _check_findable(names, where, obj):
    """A ``TypeError`` where a scikit-learn object refers to a function or class that its
    name does not find (a ``FunctionTransformer`` of a lambda, or of a function defined
    inside a function): skops stores the reference by module and name, so no ``load``
    could resolve it. (A function of ``__main__`` is found where the loading script
    defines it, as with pickle.)"""
    for name in names:
        module, _, attr = name.rpartition(".")
        try:
            found = hasattr(importlib.import_module(module), attr)
        except ImportError:
            found = False
        if not found:
            raise TypeError(
                f"{where} ({type(obj).__name__}) refers to {name}, which no load could "
                "find again by its name (a lambda, or a function or class defined inside "
                "a function); define it at the top level of a module to save it."
            )


def _check_skops_loads(names, where, obj):
    """A ``TypeError`` where a scikit-learn object holds ``pd.NA`` (the missing value of a
    ``"string"`` column's dtype, a ``SimpleImputer(missing_values=pd.NA)``): skops writes
    it, but its loader cannot build it again, trusted or not."""
    held = [name for name in names if name.startswith("pandas.") and name.endswith(".NAType")]
    if held:
        raise TypeError(
            f"{where} ({type(obj).__name__}) holds pd.NA ({held[0]}), which skops stores "
            f"but cannot load again.{_instead(obj)}"
        )
    # skops 0.11 writes a network's tensors (0.16 refuses them) into a file that load()
    # refuses, torch's types not being trusted
    held = [name for name in names if name.split(".")[0] in ("torch", "skorch")]
    if held:
        raise TypeError(
            f"{where} ({type(obj).__name__}) cannot be stored: it holds a network "
            f"({held[0]}), which skops cannot load safely.{_instead(obj)}"
        )


def _categorical_dtype_in(obj, where="", depth=0, seen=None):
    """Where a pandas ``CategoricalDtype`` is among ``obj``'s attributes, items and
    values (a path such as ``best_estimator_.encoder_...``), else None: skops cannot
    store one (its categories' index), and said so in Cython's words ("no default
    __reduce__ due to non-trivial __cinit__")."""
    seen = set() if seen is None else seen
    if isinstance(obj, pd.CategoricalDtype):
        return where or "itself"
    if depth > 8 or id(obj) in seen or isinstance(obj, (str, bytes, np.ndarray)):
        return None
    seen.add(id(obj))
    if isinstance(obj, dict):
        items = [(f"{where}[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple)):
        items = [(f"{where}[{i}]", v) for i, v in enumerate(obj)]
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        items = [(f"{where}.{k}" if where else k, v) for k, v in vars(obj).items()]
    else:
        return None
    for path, value in items:
        found = _categorical_dtype_in(value, path, depth + 1, seen)
        if found is not None:
            return found
    return None


def _instead(obj):
    """What to save in place of a scikit-learn object that skops cannot store, where it
    holds an sklearn-mtl estimator (a search, a meta-estimator): that estimator, which
    save() stores without skops."""
    if not _holds_project_object(obj):
        return ""
    which = ("its best_estimator_ (save(search.best_estimator_, path))"
             if hasattr(obj, "best_estimator_") else "the sklearn-mtl estimator it holds")
    return (f" Save {which} instead: save() stores sklearn-mtl estimators and the "
            "pipelines around them without skops.")


def _resolve(module, qualname):
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


# ================================================================================ load
def load(path, *, trusted=None):
    """Load an estimator written by :func:`save`, without running code from the file.

    Parameters
    ----------
    path : str, path-like or binary file object
        The archive written by :func:`save`: its path, or a file object that reads its
        bytes (``open(path, "rb")``, ``io.BytesIO(data)``), read to its end.
    trusted : list of str, default=None
        Extra classes or functions (``"package.module.Name"``) that the file may refer to:
        a custom trunk, a custom skorch callback, a base estimator from outside
        scikit-learn, a builtin function (``"builtins.len"``). By default only the
        classes of sklearn-mtl, ``torch.nn``, ``torch.optim`` and ``skorch.callbacks``,
        builtin containers, (inside skops members) scikit-learn classes and skops'
        default types, and, in a skorch callback's parameters, the functions that
        skorch's callbacks default to (``print`` and ``skorch.utils.noop`` as a ``sink``,
        ``skorch.utils.to_numpy`` as an ``EpochScoring``'s ``target_extractor``) are
        accepted; other functions always need to be listed. A file that refers to
        several names that are not listed is refused naming them all.

    Returns
    -------
    estimator : estimator object
        The estimator, with identical predictions. Loading writes nothing anywhere: the
        network's callbacks are built but initialized only when training goes on
        (``warm_start=True``, ``partial_fit``), where a ``Checkpoint`` then creates its
        folder, as the first ``fit`` did.

    Raises
    ------
    UnsafeModelFileError
        A ``ValueError`` when the file is not an sklearn-mtl model (e.g. a pickle), is
        truncated or corrupted (checksums, or a zip archive or JSON that cannot be read),
        was written by another format or release series of sklearn-mtl, refers to a class
        or function that is not trusted, or is inconsistent (e.g. a schema whose class
        count does not match the weights).
    TypeError
        When ``path`` is a file object opened in text mode (open it with ``"rb"``), or
        bytes (wrap them in ``io.BytesIO``); when ``trusted`` is a string rather than a
        list of them.

    Warns
    -----
    InconsistentVersionWarning
        For each library whose running version differs from the one the file was
        written with (its manifest records them): sklearn-mtl (another patch release;
        another release series is refused), scikit-learn, and, for a model with a
        network, torch and skorch.

    See Also
    --------
    save : the inverse.
    """
    from . import __version__

    trusted = _trusted_names(trusted)
    if isinstance(path, io.TextIOBase):  # before reading: a zip's bytes do not decode
        raise _text_stream_error(path, "rb")
    if hasattr(path, "read"):  # a binary file object, read from where it stands
        blob = path.read()
        if not isinstance(blob, bytes):
            raise _text_stream_error(path, "rb")
        source, path = io.BytesIO(blob), getattr(path, "name", None) or type(path).__name__
        head = blob[:4]
    else:
        source = path = _check_path(
            path, "a path or a binary file object (for a model file's contents: "
            "io.BytesIO(data))")
        with open(path, "rb") as fh:  # read once: an error of the disk stays an OSError
            blob = fh.read()
        source, head = io.BytesIO(blob), blob[:4]
    if head[:1] == b"\x80" or head[:2] in (b"\x1f\x8b",):
        raise UnsafeModelFileError(
            f"{path!r} is not an sklearn-mtl model file: it looks like a pickle (or a "
            "compressed pickle). sklearn_mtl.load never unpickles; open it with "
            "pickle/joblib only if you trust its source."
        )
    try:
        with zipfile.ZipFile(source) as zf:
            members = {info.filename: info for info in zf.infolist()}
            if MANIFEST not in members:
                raise UnsafeModelFileError(f"{path!r} has no {MANIFEST}: not an sklearn-mtl model.")
            manifest = _read_json(zf.read(MANIFEST), MANIFEST)
            _check_manifest(manifest, __version__, path)
            digests = manifest.get("sha256", {})
            if not isinstance(digests, dict) or not all(
                    isinstance(d, str) for d in digests.values()):
                raise UnsafeModelFileError(
                    f"{path!r} has a malformed {MANIFEST}: its 'sha256' is not a table of "
                    "member names and their digests."
                )
            extra = sorted(set(members) - set(digests) - {MANIFEST})
            if extra:
                raise UnsafeModelFileError(
                    f"{path!r} holds member(s) {extra} that its manifest does not list; refusing "
                    "a file that was altered."
                )
            data = {}
            for name, digest in digests.items():
                if name not in members:
                    raise UnsafeModelFileError(f"{path!r} lacks member {name!r}: truncated?")
                blob = zf.read(name)
                if hashlib.sha256(blob).hexdigest() != digest:
                    raise UnsafeModelFileError(
                        f"Member {name!r} of {path!r} does not match its checksum: the file was "
                        "corrupted or modified after it was saved."
                    )
                data[name] = blob
    except UnsafeModelFileError:
        raise
    except _CORRUPT_ZIP as exc:
        raise UnsafeModelFileError(
            f"{path!r} is not a readable sklearn-mtl model file (truncated, corrupted or "
            f"not a zip archive): {exc}."
        ) from None
    _warn_versions(manifest, __version__, path, data)
    reader = _Reader(data, trusted)
    tree = _read_json(data.get(ESTIMATOR, b""), ESTIMATOR)
    try:
        estimator = reader.decode(tree)
    except UnsafeModelFileError as exc:
        if getattr(exc, "untrusted", None):
            _name_every_untrusted(exc, tree, reader)
        raise
    except RecursionError:  # values nested deeper than any estimator's
        raise UnsafeModelFileError(
            f"The estimator described in {path!r} is nested too deeply to be a model."
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise UnsafeModelFileError(
            f"The estimator described in {path!r} is malformed: {type(exc).__name__}: {exc}"
        ) from None
    if _path_of(type(estimator)) != manifest.get("estimator"):
        raise UnsafeModelFileError(
            f"The manifest announces {manifest.get('estimator')}, but the file holds "
            f"{_path_of(type(estimator))}."
        )
    _check_consistency(estimator)
    if WEIGHTS in data:  # every tensor is a part's: one no part reads was put there
        unread = sorted(set(reader.tensors()) - reader.read_tensors)
        if unread:
            raise UnsafeModelFileError(
                f"The weights of {path!r} hold tensors that no part of the model reads "
                f"({', '.join(map(repr, unread[:5]))}{', ...' if len(unread) > 5 else ''}); "
                "a saved file holds its parts' tensors only (was the file edited?)."
            )
    return estimator


def _name_every_untrusted(exc, tree, reader):
    """Add to ``exc``, a refusal of the first name that ``trusted`` does not list, the
    other names of the file that it does not list either: the classes and functions that
    ``tree`` (the estimator's JSON) refers to and the types inside its skops members. A
    file of a custom trunk, a callback and a metric of the user's named them one load at a
    time, each to be added to ``trusted`` (``--trust``) in turn."""
    others = [name for name in _untrusted_names(tree, reader) if name not in exc.untrusted]
    if not others:
        return
    exc.untrusted = [*exc.untrusted, *others]
    also = ", ".join(others)
    exc.args = (f"{exc.args[0]} The file also refers to {also}, which "
                f"{'is' if len(others) == 1 else 'are'} not trusted either: pass "
                f"trusted={exc.untrusted!r} to load() if you trust them all.",)


def _untrusted_names(tree, reader):
    """The dotted names, in the file's order, that :class:`_Reader` would refuse as not
    trusted: classes and functions by import path in ``tree``, each judged by
    :func:`_refusal` where it stands (in a skorch callback's parameters or not, built or
    a value), as decoding judges it, and the skops members' types."""
    names, stack = [], [(tree, False)]
    while stack:
        node, in_callback = stack.pop()
        if isinstance(node, list):
            stack.extend((v, in_callback) for v in reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        tag = node.get("$t")
        path = node.get("v") if tag == "callable" else node.get("class")
        if tag in ("callable", "object", "instance", "estimator"):
            refusal = _refusal(path, reader.trusted, in_callback=in_callback,
                               built=tag in ("instance", "estimator"))
            names.extend(getattr(refusal, "untrusted", ()))
            # the values inside a skorch callback: its parameters, the state of one of
            # this package's callbacks (decoding counts those as the callback's)
            in_callback = in_callback or tag == "instance" or (
                tag == "object" and refusal is None and _names_a_callback(path))
        elif tag == "skops" and isinstance(node.get("ref"), str):
            blob = reader.data.get(node["ref"])
            try:
                types = _skops_io().get_untrusted_types(data=blob) if blob else []
            except Exception:  # a damaged member: its load says so
                types = []
            names.extend(t for t in types if not reader._skops_type_ok(t))
        stack.extend((v, in_callback) for v in reversed(list(node.values())))
    return list(dict.fromkeys(names))


def _names_a_callback(path):
    """Whether ``path``, a class that :func:`_refusal` accepts as a plain object's, is one
    of this package's skorch callbacks, whose state decoding reads as a callback's
    parameters. Only this package's classes are resolved (a plain object's class must be
    one): the scan imports nothing that decoding would not."""
    if not path.startswith("sklearn_mtl"):
        return False
    try:
        return _is_callback(_resolve(*path.split(":", 1)))
    except (ImportError, AttributeError):
        return False


def _is_callback(cls):
    """Whether ``cls`` is a skorch callback class. Without skorch imported it is none (a
    callback's class imported skorch already; a model of scikit-learn's alone does not)."""
    callbacks = sys.modules.get("skorch.callbacks")
    return callbacks is not None and isinstance(cls, type) and issubclass(cls, callbacks.Callback)


def _refusal(path, trusted, *, in_callback=False, built=False):
    """The one rule of which classes and functions a file may name by import path
    (``module:qualname``): None where it is accepted, else the
    :class:`UnsafeModelFileError` refusing it, not raised. A refusal as not trusted
    (:func:`_untrusted`) lists the dotted name that ``trusted`` would have to name.

    Accepted are the names that ``trusted`` lists; skorch's default functions
    (``_CALLBACK_DEFAULT_FUNCTIONS``) ``in_callback``, a skorch callback's parameters; the
    builtin containers as values, not ``built`` (the file building an instance of the
    class); and the classes defined in ``TRUSTED_MODULES``. Any other function, builtin
    or name is refused as not trusted, and a path that walks a trusted module's
    attributes as one no ``save`` writes. :meth:`_Reader.trusted_callable` raises the
    refusal; :func:`_untrusted_names` lists the untrusted names of a refused file. A name
    accepted here that import cannot find is left to the reader to say so."""
    if not isinstance(path, str) or ":" not in path:
        return UnsafeModelFileError(f"Malformed import path {path!r}.")
    module, qualname = path.split(":", 1)
    dotted = f"{module}.{qualname}"
    if dotted in trusted or (in_callback and path in _CALLBACK_DEFAULT_FUNCTIONS):
        return None
    if module == "builtins":
        if qualname in _BUILTIN_TYPES and not built:
            return None
        return _untrusted(
            f"The file refers to builtins.{qualname}, which is refused: of the builtins, "
            "only the containers (list, dict, str...) load unless listed in trusted; "
            f"pass trusted=[{dotted!r}] to load() if you trust the file with it.",
            [dotted])
    if not any(module == m or module.startswith(m + ".") for m in TRUSTED_MODULES):
        return _untrusted(
            f"The file refers to {dotted}, which is not trusted; pass "
            f"trusted=[{dotted!r}] to load() if you trust it.", [dotted])
    try:
        obj = _resolve(module, qualname)
    except (ImportError, AttributeError):
        return None  # the reader's import says what it cannot find
    if (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)) \
            != (module, qualname):
        # save() names a class where it is defined; a path through a trusted module's
        # attributes (its imports) would reach any class at all
        return UnsafeModelFileError(
            f"The file refers to {dotted}, which is not where a class is defined but a "
            "path through a module's attributes; it is refused."
        )
    if not isinstance(obj, type):
        return _untrusted(
            f"The file refers to function {dotted}; functions load only when listed "
            "in trusted.", [dotted])
    return None


def _trusted_names(trusted):
    if isinstance(trusted, (str, bytes)):
        # iterated, a string would trust its characters, and its name would go on being
        # refused as "not trusted"
        raise TypeError(
            f"trusted must be a list of dotted names; got the string {trusted!r}. Pass "
            f"trusted=[{trusted!r}].")
    names = set()
    for name in trusted or ():
        if not isinstance(name, str):
            raise TypeError(f"trusted must be a list of dotted names; got {name!r}.")
        names.add(name.replace(":", "."))
    return names


#: What reading a damaged zip archive raises, besides ``BadZipFile``: a compressed
#: member's bytes (``zlib.error``), a header's "version needed" or compression method
#: (``NotImplementedError``), its flag of an encrypted member (``RuntimeError``), a name
#: flagged UTF-8 that is not (``UnicodeDecodeError``), a field cut short
#: (``struct.error``, ``EOFError``), an offset before the start of the file
#: (``ValueError``: the file is read into memory first, so that an ``OSError`` is the
#: disk's, never taken for a damaged file).
_CORRUPT_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
                NotImplementedError, RuntimeError, ValueError, struct.error)


def _read_json(blob, name):
    try:
        return json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnsafeModelFileError(f"Member {name!r} is not valid JSON: {exc}.") from None
    except RecursionError:  # arrays or objects nested past Python's recursion limit
        raise UnsafeModelFileError(f"Member {name!r} is JSON nested too deeply.") from None


def _release(version):
    return tuple(version.split(".")[:2])


def _check_manifest(manifest, current, path):
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UnsafeModelFileError(f"{path!r} is not an sklearn-mtl model file.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise UnsafeModelFileError(
            f"{path!r} has file format version {version!r}; this sklearn-mtl ({current}) reads "
            f"version {FORMAT_VERSION}."
        )
    written = str(manifest.get("sklearn_mtl_version"))
    if _release(written) != _release(current):
        raise UnsafeModelFileError(
            f"{path!r} was written by sklearn-mtl {written}, but this is sklearn-mtl {current}; "
            f"a model is loaded by the release series that wrote it ({'.'.join(_release(written))}"
            ".x). Install that version, or refit."
        )


def _warn_versions(manifest, current, path, data):
    """An :class:`InconsistentVersionWarning` for each library whose version running
    differs from the one ``manifest`` records: sklearn-mtl, scikit-learn, and torch and
    skorch where the file holds a network's weights (``data``: the members read). Before
    the estimator is decoded: a file that then fails to load has said why it may."""
    written_with = manifest.get("written_with")
    written_with = written_with if isinstance(written_with, dict) else {}
    originals = {"sklearn-mtl": manifest.get("sklearn_mtl_version"),
                 "scikit-learn": written_with.get("scikit-learn")}
    if WEIGHTS in data:
        originals.update(torch=written_with.get("torch"), skorch=written_with.get("skorch"))
    name = str(manifest.get("estimator", "")).rpartition(":")[2] or "the estimator"
    for library, original in originals.items():
        if original is None:  # a file that does not say
            continue
        # imported only where compared: a baseline's file loads without torch
        running = current if library == "sklearn-mtl" else importlib.import_module(
            {"scikit-learn": "sklearn"}.get(library, library)).__version__
        if _build_of(str(original)) != _build_of(running):
            warnings.warn(InconsistentVersionWarning(
                estimator_name=name, library=library, original_version=str(original),
                current_version=running, path=path), stacklevel=3)


#: A final release's version (``2.5.1``, ``1.4.0.post1``), as PEP 440 normalizes it.
_FINAL_RELEASE = re.compile(r"\d+(\.\d+)*(\.post\d+)?")


def _build_of(version):
    """``version`` less its local version label where that names a build of a final
    release (torch's ``2.5.1+cpu`` and ``2.5.1+cu121``: a model trained on a GPU machine,
    served on a CPU one). A pre-release or development version keeps its label: there it
    names the commit built (torch's ``2.6.0a0+git1a2b3c4`` from source, NVIDIA's
    ``2.5.0a0+e000cf0ad9.nv24.10``), and two commits of one cycle share the rest."""
    public, plus, _ = version.partition("+")
    return public if plus and _FINAL_RELEASE.fullmatch(public) else version


class _Reader:
    def __init__(self, data, trusted):
        self.data = data
        self.trusted = trusted
        self.objects = {}
        self._arrays = self._tensors = None
        self.read_tensors = set()  # the names of the weights file's tensors read
        self._callback_depth = 0  # > 0 while a skorch callback's parameters are decoded
        # the paths accepted only as skorch's callback defaults (in a callback's
        # parameters), in order; and the ids of the values that hold one (see decode)
        self._callback_defaults = []
        self._callback_only = {}

    # ------------------------------------------------------------------ lookups
    def arrays(self):
        if self._arrays is None:
            from safetensors.numpy import load as load_arrays

            self._arrays = _safetensors(load_arrays, self.data, ARRAYS)
        return self._arrays

    def tensors(self):
        if self._tensors is None:
            from safetensors.torch import load as load_tensors

            self._tensors = _safetensors(load_tensors, self.data, WEIGHTS)
        return self._tensors

    def trusted_callable(self, path, *, instantiate=None):
        """Resolve ``module:qualname`` if :func:`_refusal` accepts it."""
        refusal = _refusal(path, self.trusted, in_callback=self._callback_depth > 0,
                           built=instantiate is not None)
        if refusal is not None:
            raise refusal
        if self._callback_depth > 0 and path in _CALLBACK_DEFAULT_FUNCTIONS and _refusal(
                path, self.trusted, built=instantiate is not None) is not None:
            self._callback_defaults.append(path)  # accepted here, not elsewhere
        module, qualname = path.split(":", 1)
        dotted = f"{module}.{qualname}"
        if module == "builtins" and qualname in _BUILTIN_TYPES and instantiate is None:
            return _BUILTIN_TYPES[qualname]
        try:
            obj = _resolve(module, qualname)
        except (ImportError, AttributeError) as exc:
            raise UnsafeModelFileError(
                f"The file refers to {dotted}, which import cannot find: {exc}."
            ) from None
        if instantiate is not None and not (isinstance(obj, type) and issubclass(obj, instantiate)):
            raise UnsafeModelFileError(
                f"The file asks to build {dotted}, which is not a {instantiate.__name__}."
            )
        return obj

    # -------------------------------------------------------------------- decode
    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):  # plain JSON lists occur inside Task dicts
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or "$t" not in node:
            raise UnsafeModelFileError(f"Unexpected JSON value {str(node)[:80]!r}.")
        tag = node["$t"]
        if tag == "ref":
            try:
                value = self.objects[node["id"]]
            except (KeyError, TypeError):
                raise UnsafeModelFileError(f"Dangling reference {node.get('id')!r}.") from None
            path = self._callback_only.get(node["id"])
            if path is not None and self._callback_depth == 0:
                # a function that loads in a skorch callback's parameters only, referred
                # to again from elsewhere: judged as if it were written there
                refusal = _refusal(path, self.trusted)
                refusal.args = (f"{refusal.args[0]} (The file names it among a skorch "
                                "callback's parameters, where skorch's default functions "
                                "load, and refers to it again outside them.)",)
                raise refusal
            return value
        accepted = len(self._callback_defaults)
        value = self._decode_tag(tag, node)
        if _is_callback(type(value)):  # built of them: a callback, to be referred to anywhere
            del self._callback_defaults[accepted:]
        if "id" in node:
            self.objects[node["id"]] = value
            if len(self._callback_defaults) > accepted:  # is or holds one: not to be reused
                self._callback_only[node["id"]] = self._callback_defaults[accepted]
        return value

    def _decode_tag(self, tag, node):
        v = node.get("v")
        if tag == "float":
            if v not in ("nan", "inf", "-inf"):
                raise UnsafeModelFileError(f"Bad float {v!r}.")
            return float(v)
        if tag == "pd_na":
            return pd.NA
        if tag == "tuple":
            return tuple(self.decode(x) for x in v)
        if tag in ("set", "frozenset"):
            return (set if tag == "set" else frozenset)(self.decode(x) for x in v)
        if tag == "list":
            return [self.decode(x) for x in v]
        if tag == "dict":
            return {k: self.decode(x) for k, x in v.items()}
        if tag == "map":
            return {self.decode(k): self.decode(x) for k, x in v}
        if tag == "bytes":
            return base64.b64decode(v)
        if tag == "decimal":
            try:
                return decimal.Decimal(str(v))
            except decimal.InvalidOperation:
                raise UnsafeModelFileError(f"Bad decimal {v!r}.") from None
        if tag == "np_dtype":
            dtype = np.dtype(str(v))
            if dtype.fields is not None:
                raise UnsafeModelFileError(f"Structured dtype {v!r} refused.")
            return dtype
        if tag == "pd_categorical":
            categories = pd.Index(
                self.decode(node["categories"]), dtype=self.decode(node["categories_dtype"])
            )
            return pd.CategoricalDtype(categories, ordered=bool(node["ordered"]))
        if tag == "pd_dtype":
            return pd.api.types.pandas_dtype(str(v))
        if tag == "pd_string":
            storage = str(node["storage"])
            if storage not in ("python", "pyarrow"):
                raise UnsafeModelFileError(f"Unknown string storage {storage!r}.")
            if node["na"] == "NA":
                return pd.StringDtype(storage)
            try:
                return pd.StringDtype(storage, na_value=np.nan)
            except TypeError:  # pandas < 2.3: no na_value, NaN strings are "pyarrow_numpy"
                if storage == "pyarrow":
                    return pd.StringDtype("pyarrow_numpy")
                raise UnsafeModelFileError(
                    "The model's labels are python strings missing as NaN, which need "
                    f"pandas >= 2.3 (this is pandas {pd.__version__})."
                ) from None
        if tag == "pd_arrow":
            if "type" in node:
                return pd.ArrowDtype(_checked_arrow_type(node["type"]))
            return _arrow_dtype(str(v))  # a file written before the type was stored
        if tag == "pd_index":
            return pd.Index(self.decode(v), name=self.decode(node.get("name")))
        if tag == "pd_series":
            return self._decode_series(node)
        if tag == "pd_frame":
            return self._decode_frame(node)
        if tag == "pl_frame":
            frame = self.decode(v)
            if not isinstance(frame, pd.DataFrame):
                raise UnsafeModelFileError("A saved polars DataFrame must hold a table.")
            pl = import_optional("polars", feature="loading a polars table", extra=None)
            try:
                return pl.from_pandas(frame)
            except Exception as exc:  # polars' and pyarrow's own errors (OverflowError...)
                raise UnsafeModelFileError(
                    f"A saved polars table cannot be read: {type(exc).__name__}: {exc}"
                ) from None
        if tag == "callable":
            return self.trusted_callable(v)
        if tag == "torch_device":
            import torch

            return torch.device(str(v))
        if tag == "random_state":
            return _random_state(self.decode(v))
        if tag == "partial":
            func, args = self.decode(node.get("func")), self.decode(node.get("args"))
            keywords = self.decode(node.get("keywords"))
            if not (callable(func) and isinstance(args, tuple) and isinstance(keywords, dict)
                    and all(isinstance(k, str) for k in keywords)):
                raise UnsafeModelFileError("A saved functools.partial must hold a function, "
                                           "a tuple of arguments and a dict of keywords.")
            return functools.partial(func, *args, **keywords)
        if tag == "slice":
            parts = [self.decode(x) for x in v]
            if len(parts) != 3 or not all(p is None or isinstance(p, int) for p in parts):
                raise UnsafeModelFileError(f"Bad slice {v!r}.")
            return slice(*parts)
        if tag == "composite":
            return self._decode_composite(node)
        if tag == "ndarray":
            try:
                return np.array(self.arrays()[node["ref"]])
            except KeyError:
                raise UnsafeModelFileError(f"Missing array {node.get('ref')!r}.") from None
        if tag == "ndarray_list":
            dtype = node["dtype"]
            items = [self.decode(x) for x in v]
            if dtype == "O":
                out = np.empty(len(items), dtype=object)
                out[:] = items
            else:
                out = np.array(items, dtype=np.dtype(str(dtype)))
                if out.dtype.kind == "O":
                    raise UnsafeModelFileError(f"Bad array dtype {dtype!r}.")
            return out.reshape(node["shape"])
        if tag == "tensor":
            try:
                tensor = self.tensors()[node["ref"]].clone()
                self.read_tensors.add(node["ref"])
                return tensor
            except KeyError:
                raise UnsafeModelFileError(f"Missing tensor {node.get('ref')!r}.") from None
        if tag == "task":
            try:
                return Task.from_dict(self.decode(v))
            except (KeyError, TypeError, ValueError) as exc:
                raise UnsafeModelFileError(f"Invalid task in the file: {exc}") from None
        if tag == "schema":
            try:
                return Schema([self.decode(t) for t in node["tasks"]])
            except ValueError as exc:
                raise UnsafeModelFileError(f"Invalid schema in the file: {exc}") from None
        if tag == "object":
            cls = self.trusted_callable(node["class"])
            if not cls.__module__.startswith("sklearn_mtl"):
                raise UnsafeModelFileError(
                    f"Plain objects load for sklearn-mtl classes only; got {cls!r}."
                )
            obj = cls.__new__(cls)
            if "id" in node:
                self.objects[node["id"]] = obj
            # a callback of this package's (the printed log set by
            # callbacks__print_log__<param>) holds skorch's default sink too
            depth = int(_is_callback(cls))
            self._callback_depth += depth
            try:
                obj.__dict__.update(self._state(node["state"]))
            finally:
                self._callback_depth -= depth
            return obj
        if tag == "instance":
            from skorch.callbacks import Callback

            cls = self.trusted_callable(node["class"], instantiate=Callback)
            self._callback_depth += 1  # its sink may be skorch's default (print, noop)
            try:
                params = self._state(node["params"])
            finally:
                self._callback_depth -= 1
            return cls(**params)
        if tag == "estimator":
            return self._decode_estimator(node)
        if tag == "skops":
            return self._load_skops(node["ref"])
        raise UnsafeModelFileError(f"Unknown value type {tag!r} in the file.")

    def _state(self, node):
        state = self.decode(node)
        if not isinstance(state, dict) or not all(_plain_name(k) for k in state):
            raise UnsafeModelFileError("An object's state must be a dict of attribute names.")
        return state

    def _decode_estimator(self, node):
        cls = self.trusted_callable(node["class"], instantiate=BaseEstimator)
        if not cls.__module__.startswith("sklearn_mtl"):
            raise UnsafeModelFileError(f"Only sklearn-mtl estimators load directly; got {cls!r}.")
        est = self._instance(cls, node, "version's")
        if "net" in node:
            _rebuild_net(est, node["net"], self)
        _check_consistency(est)  # also for an estimator inside a pipeline
        return est

    def _decode_series(self, node):
        """A Series written by ``_Writer`` (a multilabel task's thresholds by label)."""
        index, values = self.decode(node.get("index")), self.decode(node.get("v"))
        if not (isinstance(index, pd.Index) and isinstance(values, np.ndarray)
                and values.shape == (len(index),)):
            raise UnsafeModelFileError("A saved Series's values must match its index.")
        try:
            return pd.Series(values, index=index, dtype=self.decode(node.get("dtype")),
                             name=self.decode(node.get("name")))
        except (TypeError, ValueError) as exc:
            raise UnsafeModelFileError(f"A saved Series is not valid: {exc}") from None

    def _decode_frame(self, node):
        """A DataFrame written by ``_Writer`` (a ``JointDecoder``'s allowed table): its
        columns rebuilt from their values and dtypes."""
        columns, index, data = (self.decode(node.get("columns")), self.decode(node.get("index")),
                                node.get("data"))
        if not (isinstance(columns, pd.Index) and isinstance(index, pd.Index)
                and isinstance(data, list) and len(data) == len(columns)
                and all(isinstance(c, dict) for c in data)):
            raise UnsafeModelFileError("A saved DataFrame must list one column per name.")
        series = {}
        for i, column in enumerate(data):
            values, dtype = self.decode(column.get("v")), self.decode(column.get("dtype"))
            if not (isinstance(values, np.ndarray) and values.shape == (len(index),)):
                raise UnsafeModelFileError(
                    f"A saved DataFrame's column {columns[i]!r} does not match its index.")
            try:
                series[i] = pd.Series(values, index=index, dtype=dtype, copy=False)
            except (TypeError, ValueError) as exc:
                raise UnsafeModelFileError(
                    f"A saved DataFrame's column {columns[i]!r} is not valid: {exc}") from None
        frame = pd.DataFrame(series, index=index)
        frame.columns = columns
        return frame

    def _decode_composite(self, node):
        path = node["class"]
        if path not in COMPOSITES:
            raise UnsafeModelFileError(
                f"The file asks to rebuild {path!r}; only {list(COMPOSITES)} are rebuilt "
                "from their parameters."
            )
        return self._instance(_resolve(*path.split(":", 1)), node, "scikit-learn's")

    def _instance(self, cls, node, whose):
        """``cls`` built from the node's parameters (exactly ``cls``'s), then its state set
        attribute by attribute (plain names only)."""
        params = {k: self.decode(v) for k, v in node["params"].items()}
        expected = set(cls._get_param_names())
        if set(params) != expected:
            raise UnsafeModelFileError(
                f"The file's parameters of {cls.__name__} {sorted(params)} differ from this "
                f"{whose} {sorted(expected)}."
            )
        est = cls(**params)
        for key, value in node["state"].items():
            if not _plain_name(key):
                raise UnsafeModelFileError(f"Refused attribute name {key!r}.")
            setattr(est, key, self.decode(value))
        return est

    def _load_skops(self, name):
        sio = _skops_io()

        blob = self.data.get(name)
        if blob is None:
            raise UnsafeModelFileError(f"Missing member {name!r}.")
        try:
            untrusted = sio.get_untrusted_types(data=blob)
        except Exception as exc:
            raise UnsafeModelFileError(
                f"Member {name!r} is not a valid skops file: {exc}"
            ) from None
        refused = [t for t in untrusted if not self._skops_type_ok(t)]
        if refused:
            raise _untrusted(
                f"Member {name!r} holds type(s) {refused} that are not trusted; pass them in "
                "trusted=[...] to load() if you trust them.", refused)
        try:
            return sio.loads(blob, trusted=list(untrusted))
        except Exception as exc:
            raise UnsafeModelFileError(f"Member {name!r} could not be loaded: {exc}") from None

    def _skops_type_ok(self, dotted):
        if (dotted in self.trusted or dotted in _SKOPS_DATA_TYPES
                or dotted in _SKOPS_SKLEARN_INTERNALS or dotted in _SKOPS_SELECTOR_TYPES
                or dotted.startswith("sklearn_mtl.")):
            return True
        if dotted.startswith("_loss."):
            # scikit-learn < 1.9 builds its Cython losses (a gradient boosting's `_loss`)
            # with the bare module name "_loss": trusted as the same classes
            from sklearn._loss import _loss

            cls = getattr(_loss, dotted[len("_loss."):], None)
            return isinstance(cls, type) and cls.__module__ == "_loss"
        if not dotted.startswith("sklearn."):
            return False
        module, _, name = dotted.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            return False
        # a class that scikit-learn defines there, as skops names one (by its
        # __module__): a module's imports (sklearn.callback._transport.Connection, which is
        # multiprocessing's, closes the file descriptor its state names once collected)
        # would reach classes of any library
        return isinstance(cls, type) and (cls.__module__, cls.__name__) == (module, name)


#: Arrow types that a spec (see ``_arrow_type_spec``) builds from their parameters,
#: besides those named by an alias (``pyarrow.type_for_alias``: ``"int8"``, ``"string"``,
#: ``"date32[day]"``, ``"timestamp[us]"``...). Load calls these constructors and no other.
_ARROW_DECIMALS = ("decimal32", "decimal64", "decimal128", "decimal256")
_ARROW_LISTS = ("list", "large_list", "list_view", "large_list_view", "fixed_size_list")


def _arrow_type_spec(arrow_type, where):
    """A JSON description of the Arrow type ``arrow_type`` from which :func:`_arrow_type`
    builds it again: its alias where pyarrow reads one back (``"int8"``), else a dict of
    its kind and parameters, nested for a dictionary's indices and values, a list's items,
    a struct's or a map's fields. A type that none describes (an extension type, a union)
    raises a ``TypeError`` naming ``where``: save refuses what load could not rebuild."""
    import pyarrow as pa

    types = pa.types
    if types.is_timestamp(arrow_type):  # its alias does not say the time zone
        return {"type": "timestamp", "unit": arrow_type.unit, "tz": arrow_type.tz}
    if types.is_decimal(arrow_type):
        return {"type": f"decimal{arrow_type.bit_width}", "precision": arrow_type.precision,
                "scale": arrow_type.scale}
    if types.is_fixed_size_binary(arrow_type):
        return {"type": "fixed_size_binary", "byte_width": arrow_type.byte_width}
    if types.is_dictionary(arrow_type):
        return {"type": "dictionary",
                "index": _arrow_type_spec(arrow_type.index_type, where),
                "value": _arrow_type_spec(arrow_type.value_type, where),
                "ordered": bool(arrow_type.ordered)}
    for kind in _ARROW_LISTS:
        is_kind = getattr(types, f"is_{kind}", None)  # list views: pyarrow >= 16
        if is_kind is not None and is_kind(arrow_type):
            spec = {"type": kind, "item": _arrow_field_spec(arrow_type.value_field, where)}
            if kind == "fixed_size_list":
                spec["size"] = arrow_type.list_size
            return spec
    if types.is_map(arrow_type):
        return {"type": "map", "key": _arrow_field_spec(arrow_type.key_field, where),
                "item": _arrow_field_spec(arrow_type.item_field, where),
                "keys_sorted": bool(arrow_type.keys_sorted)}
    if types.is_struct(arrow_type):
        return {"type": "struct", "fields": [_arrow_field_spec(arrow_type.field(i), where)
                                             for i in range(arrow_type.num_fields)]}
    try:
        if pa.type_for_alias(str(arrow_type)) == arrow_type:
            return str(arrow_type)
    except (ValueError, KeyError):
        pass
    raise TypeError(
        f"{where} is the Arrow type {arrow_type} ({type(arrow_type).__name__}), which save() "
        "cannot store: load rebuilds an Arrow type from its parameters only for numbers, "
        "strings, binary, dates and times, decimals, and dictionaries, lists, structs and "
        "maps of these. Cast the column to one of them (or to a numpy dtype) before fitting."
    )


def _arrow_field_spec(field, where):
    return {"name": field.name, "nullable": bool(field.nullable),
            "type": _arrow_type_spec(field.type, f"{where} (field {field.name!r})")}


#: How deep a saved Arrow type may nest (a list of structs of lists...).
_ARROW_DEPTH = 32


def _checked_arrow_type(spec):
    """:func:`_arrow_type`, any failure of pyarrow's constructors on the file's values
    (a unit, a size, a time zone) an :class:`UnsafeModelFileError`."""
    import pyarrow as pa

    try:
        return _arrow_type(spec)
    except (ValueError, TypeError, OverflowError, KeyError, pa.ArrowException) as exc:
        raise UnsafeModelFileError(f"Bad Arrow type description: {exc}") from None


def _arrow_type(spec, depth=0):
    """The Arrow type that :func:`_arrow_type_spec` described as ``spec``, built by
    pyarrow's type constructors from plain values (no code of the file's choosing
    runs); a spec that describes none raises :class:`UnsafeModelFileError`."""
    import pyarrow as pa

    if depth > _ARROW_DEPTH:
        raise UnsafeModelFileError(f"An Arrow type nested deeper than {_ARROW_DEPTH} levels.")
    inner = functools.partial(_arrow_type, depth=depth + 1)
    field = functools.partial(_arrow_field, depth=depth + 1)
    if isinstance(spec, str):
        try:
            return pa.type_for_alias(spec)
        except (ValueError, KeyError):
            raise UnsafeModelFileError(f"Unknown Arrow type {spec!r}.") from None
    if not isinstance(spec, dict):
        raise UnsafeModelFileError(f"Bad Arrow type description {spec!r}.")
    kind = spec.get("type")
    if kind == "timestamp":
        return pa.timestamp(str(spec["unit"]), tz=_time_zone(spec.get("tz")))
    if kind in _ARROW_DECIMALS and hasattr(pa, kind):
        return getattr(pa, kind)(_int(spec["precision"], 1), _int(spec["scale"], -(2**15)))
    if kind == "fixed_size_binary":
        return pa.binary(_int(spec["byte_width"], 1))
    if kind == "dictionary":
        return pa.dictionary(inner(spec["index"]), inner(spec["value"]),
                             ordered=spec["ordered"] is True)
    if kind in ("list", "fixed_size_list"):
        size = _int(spec["size"], 0) if kind == "fixed_size_list" else -1
        return pa.list_(field(spec["item"]), size)
    if kind in ("large_list", "list_view", "large_list_view") and hasattr(pa, kind):
        return getattr(pa, kind)(field(spec["item"]))
    if kind == "map":
        return pa.map_(field(spec["key"]), field(spec["item"]),
                       keys_sorted=spec["keys_sorted"] is True)
    if kind == "struct":
        fields = spec["fields"]
        if not isinstance(fields, list):
            raise UnsafeModelFileError(f"Bad Arrow struct fields {fields!r}.")
        return pa.struct([field(f) for f in fields])
    raise UnsafeModelFileError(f"Unknown Arrow type {kind!r}.")


def _arrow_field(spec, depth=0):
    import pyarrow as pa

    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise UnsafeModelFileError(f"Bad Arrow field description {spec!r}.")
    return pa.field(spec["name"], _arrow_type(spec["type"], depth),
                    nullable=spec["nullable"] is True)


def _int(value, low):
    """``value``, an int in [``low``, 2**31): a size or precision of an Arrow type."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < 2**31:
        raise UnsafeModelFileError(
            f"Expected an integer in [{low}, 2**31) in an Arrow type; got {value!r}.")
    return value


def _time_zone(tz):
    """A timestamp's time zone from the file: ``None``, an offset (``"+01:00"``) or a
    name the time zone database knows; anything else an :class:`UnsafeModelFileError`."""
    if tz is None or (isinstance(tz, str) and re.fullmatch(r"[+-]\d{2}:\d{2}", tz)):
        return tz
    try:
        zoneinfo.ZoneInfo(tz)
    except (TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise UnsafeModelFileError(f"Bad time zone {tz!r} of an Arrow timestamp.") from None
    return tz


def _dtype_name(dtype, where):
    """The name of a pandas extension dtype, from which load rebuilds it
    (``pandas_dtype``); a ``TypeError`` naming ``where`` where the name does not give the
    dtype back, rather than a file that load refuses."""
    try:
        same = pd.api.types.pandas_dtype(str(dtype)) == dtype
    except (TypeError, ValueError, NotImplementedError):
        same = False
    if not same:
        raise TypeError(
            f"{where} is the pandas dtype {dtype} ({type(dtype).__name__}), which save() cannot "
            "store: load rebuilds a dtype from its name, and this name does not give it back. "
            "Cast the column to a numpy dtype or a pandas one before fitting."
        )
    return str(dtype)


def _arrow_dtype(name):
    """The ``pd.ArrowDtype`` named ``name`` (e.g. ``"string[pyarrow]"``, which pandas
    itself reads as its ``StringDtype``)."""
    dtype = pd.api.types.pandas_dtype(name)
    if isinstance(dtype, pd.ArrowDtype):
        return dtype
    import pyarrow as pa

    try:
        return pd.ArrowDtype(pa.type_for_alias(name.removesuffix("[pyarrow]")))
    except (ValueError, KeyError):
        raise UnsafeModelFileError(f"Unknown Arrow dtype {name!r}.") from None


def _safetensors(loader, data, name):
    if name not in data:
        return {}
    try:
        return loader(data[name])
    except Exception as exc:  # SafetensorError, or any parse failure: never a pickle
        raise UnsafeModelFileError(
            f"Member {name!r} is not a valid safetensors file: {exc}"
        ) from None


#: The subpackages of scikit-learn's vendored ``array_api_compat`` that import another
#: array library (where it is installed) as they are imported.
_ARRAY_LIBRARY_SHIMS = tuple(
    f"sklearn.externals.array_api_compat.{library}" for library in ("torch", "dask", "cupy")
)


def _skops_io():
    """``skops.io``, imported without importing torch or dask on the way.

    Importing ``skops.io`` lists scikit-learn's estimators (``all_estimators``) as the
    types it trusts. That walk imports every subpackage it passes, ``sklearn.externals``
    too, though it lists nothing from there, and so torch and dask where they are
    installed: 1.3 s of the 2.8 s that loading a baseline took in a new process. While
    ``skops.io`` is first imported, those subpackages read as absent (the walk skips a
    subpackage it cannot import); they are importable again right after. The list of
    trusted types is the same either way.
    """
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    absent = [name for name in _ARRAY_LIBRARY_SHIMS if name not in sys.modules]
    for name in absent:
        sys.modules[name] = None  # import raises ImportError
    try:
        import skops.io
    finally:
        for name in absent:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return skops.io


#: The bit generators a saved ``RandomState`` may run on (numpy's own).
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")


def _random_state(state):
    """The ``numpy.random.RandomState`` of a saved state (``get_state(legacy=False)``)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise UnsafeModelFileError(f"Unexpected random generator state {str(state)[:80]!r}.")
    generator = np.random.RandomState(getattr(np.random, name)())
    try:
        generator.set_state(state)
    except (KeyError, TypeError, ValueError) as exc:
        raise UnsafeModelFileError(f"Invalid {name} random generator state: {exc}") from None
    return generator


def _plain_name(key):
    return isinstance(key, str) and key.isidentifier() and not key.startswith("__")


def _module_without_drawing(est, X0, saved=None):
    """The network of ``est``, built for the file's weights to overwrite: on torch's meta
    device, which draws no random numbers, then given (empty) memory. torch's generator
    is one for the process, and a fit in another thread holds it: a load neither waits for
    that fit nor moves its draws. Only the package's own trunks are built there, whose
    every tensor is a parameter or a saved buffer: a trunk of the user's may hold tensors
    that the file does not (a buffer kept out of its state, a constant), which empty memory
    would leave as garbage; it is built as fit builds it, seeded."""
    import torch

    if isinstance(est.trunk, str):
        with torch.device("meta"):
            module = est._build_module(X0, rebuild=True)
        if saved is not None:  # before any memory is given: an edited width of 10**9
            _check_shapes(module, saved)  # asked for hundreds of GB, then mismatched
        return module.to_empty(device="cpu").float()
    with est._rng_context(est._seed):
        return est._build_module(X0, rebuild=True)


def _check_shapes(module, saved):
    """Refuse a module (built on the meta device) whose tensors' shapes are not those of
    the file's weights ``saved`` (``{name: tensor}``)."""
    for name, tensor in module.state_dict().items():
        if name in saved and tuple(saved[name].shape) != tuple(tensor.shape):
            raise UnsafeModelFileError(
                f"The saved weights of the module do not match the network that the file's "
                f"schema and parameters build (was the file edited?): {name!r} is "
                f"{tuple(saved[name].shape)} in the file, {tuple(tensor.shape)} built."
            )


def _rebuild_net(est, node, reader):
    """The network of a MultiTaskClassifier, rebuilt from schema and parameters, then weights."""
    import torch
    from skorch.history import History

    shape = getattr(est, "_sample_shape", None)
    if shape is None:
        raise UnsafeModelFileError("The file lacks the input shape needed to rebuild the network.")
    X0 = np.zeros((2, *shape), dtype=np.float32)
    tensors = reader.tensors()
    keys = node.get("state_dicts", {}).get("module")
    saved = ({k: tensors[f"module.{k}"] for k in keys if f"module.{k}" in tensors}
             if isinstance(keys, list) else None)
    try:
        module = _module_without_drawing(est, X0, saved)
        build_criterion = est._build_criterion
        if any(
            p.default is inspect.Parameter.empty
            for p in inspect.signature(build_criterion).parameters.values()
        ):
            build_criterion = _criterion_from_empty_labels(est)
        criterion = build_criterion().float()  # float32 whatever torch's default dtype
        own = _saved_recipe(node, est)
        net = _build_net_as_saved(est, module, criterion, own)
        if "callbacks" in node:  # absent: an older file
            _keep_saved_callbacks(net, own)
        # an optimizer is built when training goes on, unless its state is here; so are
        # the callbacks initialized (a Checkpoint creates its folder as it is): the
        # estimator's _refresh_net initializes the pending ones before training on
        callbacks, net.callbacks = net.callbacks, "disable"
        try:
            net.initialize(defer_optimizer="optimizer" not in node)
        finally:
            net.callbacks = callbacks
        net.callbacks_ = _callbacks_initialized_later(net)
        net.__dict__["callbacks_pending_"] = True  # the "_" keeps it out of get_params
    except (TypeError, ValueError, RuntimeError) as exc:
        raise UnsafeModelFileError(
            f"The network could not be rebuilt from the file's schema and parameters: {exc}"
        ) from None
    for part, keys in node["state_dicts"].items():
        component = getattr(net, f"{part}_", None)
        if part not in ("module", "criterion") or component is None:
            raise UnsafeModelFileError(f"Unexpected network component {part!r}.")
        try:
            state = {k: tensors[f"{part}.{k}"] for k in keys}
        except KeyError as exc:
            raise UnsafeModelFileError(f"Missing weight {exc} of the {part}.") from None
        try:
            component.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise UnsafeModelFileError(
                f"The saved weights of the {part} do not match the network that the file's "
                f"schema and parameters build (was the schema edited?): {exc}"
            ) from None
        reader.read_tensors.update(f"{part}.{k}" for k in keys)
        bad = next((name for name, p in component.named_parameters()
                    if not bool(torch.isfinite(p).all())), None)
        if bad is not None:  # a fit refuses them (a diverged training): predictions NaN
            raise UnsafeModelFileError(
                f"The saved weight {bad!r} of the {part} holds NaN or infinite values, "
                "which no fit leaves (was the file edited?)."
            )
    net.history = History(reader.decode(node["history"]))
    for name, state in node.get("generators", {}).items():
        generator = getattr(net, name, None) if name in _GENERATORS else None
        if generator is None:
            raise UnsafeModelFileError(f"Unexpected random generator {name!r} of the network.")
        try:
            generator.set_state(reader.decode(state))
        except (TypeError, RuntimeError) as exc:
            raise UnsafeModelFileError(f"The saved state of {name!r} is not valid: {exc}") from None
    if "optimizer" in node:
        try:
            net.optimizer_.load_state_dict(reader.decode(node["optimizer"]))
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise UnsafeModelFileError(
                f"The saved optimizer state does not match the network's optimizer: {exc}"
            ) from None
    for part, keys in node.get("frozen", {}).items():  # (an older file: none frozen)
        component = getattr(net, f"{part}_", None) if part in node["state_dicts"] else None
        if component is None or not isinstance(keys, list):
            raise UnsafeModelFileError(f"Unexpected frozen parameters of {part!r}.")
        for key in keys:
            try:
                component.get_parameter(key).requires_grad_(False)
            except (AttributeError, TypeError):
                raise UnsafeModelFileError(
                    f"The file freezes a parameter {key!r} that the {part} has not."
                ) from None
    # saved as the fitted net holds them: regression outputs in the labels' units, in
    # evaluation mode (a module that reads net.module_ directly got batch statistics)
    net._label_units = est._regression_units() or None
    net.module_.eval()
    net.criterion_.eval()
    est.net_ = net


def _recipe_callback_names(net):
    """The names of the recipe's own callbacks among ``net.callbacks_`` (those that
    ``early_stopping``, ``lr_schedule`` and an ensemble add, see ``_recipe_callbacks`` in
    ``_multitask``): the ones the estimator recorded as its own when it built them
    (``callbacks_from_``), else, for a net built without that record, those of the
    recipe's names and classes. Saved with the net: a callback of the user's that bears
    a recipe's name is the user's on load too."""
    named = getattr(net, "callbacks_", [])
    recorded = net.__dict__.get("callbacks_from_")
    if recorded is not None and recorded[1] is not None:
        ids = {id(cb) for cb in recorded[1]}
        return [name for name, cb in named if id(cb) in ids]
    from ._multitask import _RECIPE_CALLBACKS

    return [name for name, cb in named if isinstance(cb, _RECIPE_CALLBACKS.get(name, ()))]


def _saved_recipe(node, est):
    """The names of the recipe's callbacks that the saved net held (see
    :func:`_recipe_callback_names`), checked.

    A file of the previous release lists the net's callbacks but not which are the
    recipe's: they are told from the names, those of the recipe's names
    (``_RECIPE_CALLBACKS`` in ``_multitask``) that are not the names of the estimator's
    own ``callbacks`` (a name is the user's or the recipe's, never both: skorch refuses
    a duplicate). None for a file older still, which lists no callbacks.
    """
    for key in ("callbacks", "recipe_callbacks"):
        names = node.get(key)
        if names is not None and not (
                isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise UnsafeModelFileError(
                f"The network's {key!r} must be a list of callback names; got {names!r}.")
    own = node.get("recipe_callbacks")
    if own is None and "callbacks" in node:
        from ._multitask import _RECIPE_CALLBACKS, _named_callbacks

        users = {name for name, _ in _named_callbacks(est.callbacks)}
        return set(node["callbacks"]) & (set(_RECIPE_CALLBACKS) - users)
    return None if own is None else set(own) & set(node.get("callbacks", own))


def _build_net_as_saved(est, module, criterion, own):
    """``est._build_net(module, criterion)`` with the recipe's callbacks ``own`` that the
    saved net was built with, whatever ``early_stopping`` and ``lr_schedule`` say now: a
    net built by ``partial_fit`` has no schedule and no early stopping, and the member
    hold-out that an ensemble without early stopping gets (as ``partial_fit`` builds it,
    under these two parameters set so). ``own`` None (a file that lists no callbacks):
    as the parameters say."""
    if own is None:
        return est._build_net(module, criterion)
    overrides = {"early_stopping": "early_stopping" in own,
                 "lr_schedule": "warmup_cosine" if "lr_schedule" in own else "constant"}
    before = {name: getattr(est, name) for name in overrides}
    try:
        for name, value in overrides.items():
            setattr(est, name, value)
        return est._build_net(module, criterion)
    finally:
        for name, value in before.items():
            setattr(est, name, value)


def _keep_saved_callbacks(net, own):
    """Give the rebuilt ``net`` the callbacks that the saved net held: the recipe's
    ``own`` (their names, see :func:`_saved_recipe`) and the user's.

    The recipe's callbacks not among ``own`` are dropped; the user's ``callbacks`` all
    stay, whatever their names: a user's ``("lr_schedule", WarmupCosineSchedule(...))``
    is not the recipe's.
    """
    source, recipe = net.__dict__["callbacks_from_"]
    ids = {id(cb) for cb in recipe}
    dropped = {id(entry[1]) for entry in net.callbacks
               if isinstance(entry, tuple) and id(entry[1]) in ids and entry[0] not in own}
    net.callbacks = [entry for entry in net.callbacks
                     if not (isinstance(entry, tuple) and id(entry[1]) in dropped)]
    net.__dict__["callbacks_from_"] = (source, [cb for cb in recipe if id(cb) not in dropped])


def _callbacks_initialized_later(net):
    """``net.callbacks_`` as skorch's ``initialize_callbacks`` makes it (the net's default
    callbacks and its ``callbacks``, named, in skorch's order), but none initialized yet.

    A callback's ``initialize`` may act on the world: a ``Checkpoint`` creates its
    ``dirname``, an ``MlflowLogger`` starts a run. Loading a model does not: the net is
    marked ``callbacks_pending_``, and the estimator initializes these callbacks, in
    their order, when training goes on (``_set_net_callbacks`` in ``_multitask``).
    """
    callbacks = []
    for name, cb in net._uniquely_named_callbacks():
        params = net.get_params_for(f"callbacks__{name}")
        cb = getattr(net, f"callbacks__{name}", cb)  # a callback replaced by set_params
        if cb is None:
            continue
        if isinstance(cb, type):  # a class: built as skorch builds it
            cb = cb(**params)
        else:
            cb.set_params(**params)
        callbacks.append((name, cb))
    return callbacks


#: The network's own random generators (see ``MultiTaskNet.initialize``), saved with it.
_GENERATORS = ("shuffle_generator_", "worker_generator_")


def _criterion_from_empty_labels(est):
    from ._encoder import EncodedLabels

    schema = est.schema_
    encoded = EncodedLabels(
        np.empty((0, len(schema)), dtype=np.int64),
        {t.name: np.empty((0, len(t.classes)), np.int8) for t in schema if t.kind == "multilabel"},
        {t.name: np.empty(0) for t in schema if t.kind == "regression"},
        schema,
    )
    return lambda: est._build_criterion(encoded)


# ====================================================================== consistency
def _check_consistency(est):
    """Refuse a loaded estimator whose parts disagree (e.g. an edited schema)."""
    encoder = getattr(est, "encoder_", None)
    if encoder is None and hasattr(est, "schema_") and hasattr(est, "_reader"):
        encoder = est  # a fitted StructuredLabelEncoder
    if encoder is None or not hasattr(encoder, "schema_"):
        return
    schema = encoder.schema_
    _expect(getattr(est, "schema_", schema) == schema, "the estimator's schema_ and its encoder's")
    tasks = list(schema.tasks)
    _expect(list(getattr(est, "tasks_", tasks)) == tasks, "tasks_ and the schema")
    for t, c in zip(tasks, encoder.classes_, strict=True):
        _expect(
            (c is None and t.classes is None) or list(c) == list(t.classes),
            f"task {t.name!r}'s classes_ and the schema",
        )
    _expect(len(encoder.classes_) == len(tasks), "classes_ and the schema")
    n_classes = [len(t.classes) if t.classes is not None else 0 for t in tasks]
    if hasattr(est, "estimators_") and hasattr(est, "orders_"):  # TaskChainClassifier
        n_in = est.n_features_in_
        for order, links in zip(est.orders_, est.estimators_, strict=True):
            _expect(sorted(order) == sorted(schema.names), "a chain's order and the tasks")
            width = n_in
            for name, link in zip(order, links, strict=True):
                task = schema[name]
                for sub in link if task.kind == "multilabel" else [link]:
                    _expect(
                        getattr(sub, "n_features_in_", width) == width, f"link {name!r}'s inputs"
                    )
                    _check_codes(sub, 2 if task.kind == "multilabel" else len(task.classes), name,
                                 task)
                if task.kind == "multilabel":
                    _expect(len(link) == len(task.classes), f"task {name!r}'s labels")
                width += 1 if task.kind == "binary" else len(task.classes)
    elif hasattr(est, "estimators_"):  # IndependentTaskClassifier
        _expect(len(est.estimators_) == len(tasks), "estimators_ and the tasks")
        for t, k, sub in zip(tasks, n_classes, est.estimators_, strict=True):
            if t.kind == "multilabel":
                _expect(len(sub) == k, f"task {t.name!r}'s labels and its models")
                for s in sub:
                    _check_codes(s, 2, t.name)
            else:
                _check_codes(sub, k, t.name, t)
    if hasattr(est, "combinations_"):  # LabelProductClassifier
        codes = est.combinations_.codes
        _expect(codes.shape[1] == len(tasks), "combinations_ and the tasks")
        _expect(bool((codes < np.array(n_classes)).all()), "combinations_ and the classes")
        _check_codes(est.estimator_, est.n_combinations_, "the label combinations")


def _check_codes(est, n_classes, name, task=None):
    """A base model's classes are among the ``n_classes`` codes, or the labels of
    ``task`` that its models are fitted on."""
    from ._baselines import _codes, _fit_values

    classes = getattr(est, "classes_", None)
    if classes is not None:
        values = None if task is None else _fit_values(task)
        if values is None and not np.issubdtype(np.asarray(classes).dtype, np.integer):
            ok = False
        else:
            try:
                codes = _codes(values, classes)
            except (KeyError, TypeError):
                ok = False
            else:
                ok = len(codes) == 0 or (0 <= codes.min() and codes.max() < n_classes)
        _expect(
            bool(ok), f"the model of {name!r} (classes {list(classes)}) and its {n_classes} classes"
        )


def _expect(ok, what):
    if not ok:
        raise UnsafeModelFileError(f"The file is inconsistent: {what} disagree (was it edited?).")


__all__ = ["TRUSTED_MODULES", "UnsafeModelFileError", "load", "save"]
