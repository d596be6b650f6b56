"""The ``sklearn-mtl`` command.

``sklearn-mtl compare --dataset penguins --models mtl,independent,chain,product --cv 5
--out reports/`` cross-validates the models, prints the comparison table and writes
``report.md`` and PNG figures to ``--out``. ``--data my.csv --targets a,b [--features
x,y]`` does the same on a CSV file. ``predict``, ``export`` and ``info`` apply, export
and describe a saved model (see :mod:`sklearn_mtl._cli_deploy`). Errors in the input exit
with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import numbers
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._schema import _plain, _shown

#: Model name -> (public class it needs, one-line description).
_LR = "(LogisticRegression)"
_HGB = "(HistGradientBoostingClassifier)"
MODELS = {
    "mtl": ("MultiTaskClassifier",
            "MultiTaskClassifier() with its defaults, on the raw features (shared MLP "
            "ensemble, one head per task; see 'What the defaults do')"),
    "independent": ("IndependentTaskClassifier",
                    f"StandardScaler + IndependentTaskClassifier{_LR}"),
    "chain": ("TaskChainClassifier", f"StandardScaler + TaskChainClassifier{_LR}"),
    "product": ("LabelProductClassifier", f"StandardScaler + LabelProductClassifier{_LR}"),
    "independent-hgb": ("IndependentTaskClassifier", f"IndependentTaskClassifier{_HGB}"),
    "chain-hgb": ("TaskChainClassifier", f"TaskChainClassifier{_HGB}"),
    "product-hgb": ("LabelProductClassifier", f"LabelProductClassifier{_HGB}"),
    "dummy": ("MostFrequentBaseline",
              "each task's most frequent class, a regression task's mean (reference)"),
}
#: What ``compare`` runs without ``--models``: the network and the baselines around a
#: linear model and around gradient-boosted trees.
DEFAULT_MODELS = ("mtl", "independent", "chain", "product", "independent-hgb", "chain-hgb",
                  "product-hgb")
DATASETS = ("penguins", "synthetic")
#: The gates of ``--dataset synthetic``: ``color`` and ``body`` describe a car, when there
#: is one. Declared to every model: inferred from the labels, they would read as missing.
_SYNTHETIC_GATES = {"color": ("car", 1), "body": ("car", 1)}


class CLIError(Exception):
    """An error in the command's input: printed without traceback, exit status 2."""


# ---------------------------------------------------------------------------- models
def _estimator_class(name):
    cls_name = MODELS[name][0]
    module = "sklearn_mtl._compare" if name == "dummy" else "sklearn_mtl"
    try:
        return getattr(importlib.import_module(module), cls_name)
    except (ImportError, AttributeError) as exc:
        raise CLIError(
            f"Model {name!r} needs sklearn_mtl.{cls_name}, which is not available in this "
            f"installation ({type(exc).__name__}: {exc}). Choose among the other models: "
            f"{', '.join(m for m in MODELS if m != name)}."
        ) from None


def build_model(name, *, random_state=0, max_epochs=None, X=None, tasks=None):
    """The estimator behind a model name of ``--models``.

    ``mtl`` is ``MultiTaskClassifier`` with its defaults (``max_epochs=None``: the
    recipe's training length) on the raw features; every model takes the declared
    ``tasks`` if any (``--regression-targets``, ``--multilabel-targets``); the ``-hgb``
    baselines wrap
    ``HistGradientBoostingClassifier``, the others a scaled ``LogisticRegression``.
    Given the features ``X`` (a DataFrame) with string, category, bool or date
    columns or gaps, the baselines read them through :func:`baseline_preprocessing`;
    the network reads them as they are.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name not in MODELS:
        raise CLIError(f"Unknown model {name!r}; expected some of {', '.join(MODELS)}.")
    cls = _estimator_class(name)
    if name == "dummy":
        return cls(tasks=tasks)
    if name == "mtl":
        return cls(tasks=tasks, max_epochs=max_epochs, random_state=random_state)
    trees = name.endswith("-hgb")
    kind = "trees" if trees else "linear"
    pre = None if X is None else baseline_preprocessing(X, model=kind)
    if trees:
        model = cls(HistGradientBoostingClassifier(random_state=random_state), tasks=tasks)
        return model if pre is None else make_pipeline(pre, model)
    return make_pipeline(StandardScaler() if pre is None else pre,
                         cls(LogisticRegression(max_iter=1000), tasks=tasks))


def _model_description(name, X):
    """The one-line description of model ``name`` as :func:`build_model` builds it for the
    features ``X``: a baseline reads a table with strings, dates or gaps through
    :func:`baseline_preprocessing`'s ``ColumnTransformer``, not a ``StandardScaler``."""
    text = MODELS[name][1]
    if name in ("mtl", "dummy"):
        return text
    trees = name.endswith("-hgb")
    if baseline_preprocessing(X, model="trees" if trees else "linear") is None:
        return text
    model = text.removeprefix("StandardScaler + ")
    return f"ColumnTransformer (below) + {model}"


#: Categories a baseline one-hot encodes per column (the network's own default): the
#: rarer ones share a column, so an identifier column does not make a table as wide as
#: it is long.
_MAX_CATEGORIES = 32


def _as_categories(frame):
    """Every value as a string, a gap as its own category (as the network reads them)."""
    values = frame.astype(object)
    return values.where(values.notna(), "<missing>").astype(str)


def baseline_preprocessing(X, *, model="linear"):
    """What the baselines read a raw table through, or None where ``X`` needs nothing.

    A DataFrame with string, category, bool or date columns, or with gaps, is not what
    a ``LogisticRegression`` takes, nor what gradient boosting takes in all of it.
    Dates become days since 1970-01-01 (durations days), as the network reads them.
    For the linear models, these and the numeric columns get their gaps filled with
    the median, plus a 0/1 indicator column of each gap, and are standardised; the
    trees get them as they are, gaps included (gradient boosting learns where a gap
    goes at each split). The other columns are one-hot encoded for both, a gap as its
    own category, at most ``_MAX_CATEGORIES`` columns each (the rarer categories share
    one, an unseen category goes there too).

    Parameters
    ----------
    X : DataFrame or array-like
        The features of the comparison.
    model : {"linear", "trees"}, default="linear"
        The baseline's kind of model.

    Returns
    -------
    ColumnTransformer or None
        None where ``X`` is not a DataFrame, or holds numbers only and (for the
        linear models) no gap.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    if model not in ("linear", "trees"):
        raise ValueError(f"model must be 'linear' or 'trees'; got {model!r}.")
    if not isinstance(X, pd.DataFrame):
        return None
    from .neural._preprocessing import is_time

    linear = model == "linear"
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])
               and not pd.api.types.is_bool_dtype(X[c])]
    # a column of gaps alone (a spreadsheet's empty column): gradient boosting refuses
    # it, the imputer of the linear models keeps it as it is (as zeros)
    empty = [] if linear else [c for c in numeric if X[c].isna().all()]
    numeric = [c for c in numeric if c not in empty]
    times = [c for c in X.columns if is_time(X[c])]
    other = [c for c in X.columns if c not in numeric and c not in times and c not in empty]
    if not other and not times and not empty and not (linear and X.isna().to_numpy().any()):
        return None

    def numbers():
        if not linear:  # floats: a nullable column's pd.NA, which the ColumnTransformer
            # refuses to stack, as NaN (gradient boosting reads it as a gap)
            return FunctionTransformer(_as_floats, feature_names_out="one-to-one")
        fill = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        return make_pipeline(fill, StandardScaler())

    categories = make_pipeline(
        FunctionTransformer(_as_categories, feature_names_out="one-to-one"),
        OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=_MAX_CATEGORIES),
    )
    days = make_pipeline(FunctionTransformer(_as_days, feature_names_out="one-to-one"), numbers())
    return ColumnTransformer(
        [("numeric", numbers(), numeric), ("times", days, times), ("other", categories, other),
         ("empty", "drop", empty)],
        sparse_threshold=0,  # dense: the trees take no sparse input
    )


def _as_floats(frame):
    """The numeric columns as floats, a gap as NaN: a Parquet file's nullable columns
    (``Int64``, ``Float64``) hold ``pd.NA``, which numpy's arrays do not."""
    if isinstance(frame, pd.DataFrame):
        return frame.astype(float).to_numpy()
    return np.asarray(frame, dtype=float)


def _as_days(frame):
    """Dates as days since 1970-01-01 (UTC), durations as days (as the network reads
    them); a gap as NaN, and so a column of gaps alone (a batch of empty cells, which
    ``read_csv`` reads as numbers). Text (a CSV file's, at prediction) is read as
    dates, else as durations, as the network's preprocessing reads it."""
    from .neural._preprocessing import as_days, is_text, read_time_text

    return np.column_stack([
        as_days(read_time_text(frame[c], c) if is_text(frame[c]) else frame[c])
        for c in frame.columns
    ])


#: A date or time stamp in ISO 8601, as a CSV file holds one: 2024-03-01,
#: 2024-03-01 12:30, 2024-03-01T12:30:00.5+01:00.
_ISO_DATE = (r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
             r"(?:Z|[+-]\d{2}:?\d{2})?")


def _read_dates(frame):
    """``frame`` with each text column whose every value is an ISO 8601 date read as
    dates (in UTC), and the names of those columns; the caller's frame is left as it
    is."""
    from .neural._preprocessing import is_text

    read = {}
    for c in frame.columns:
        values = frame[c]
        if not is_text(values) or not values.notna().any() \
                or not values.dropna().astype(str).str.fullmatch(_ISO_DATE).all():
            continue
        dates = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
        if dates.notna().sum() == values.notna().sum():  # not 2024-13-45: text
            read[c] = dates
    if read:
        frame = frame.copy()
        for c, dates in read.items():
            frame[c] = dates
    return frame, list(read)


def verdict(table, details=None):
    """One sentence: which model has the best exact match, and how the network fares
    (a tie is called one, whichever model the table lists first, and every model in it
    named); with ``compare``'s details, a second on whether the folds can tell the
    network from that model (the first listed of tied baselines)."""
    if ("exact_match", "mean") not in table.columns:  # regression tasks only
        return "No classification task, so no exact match: compare the tasks' RMSE and R²."
    scores = table[("exact_match", "mean")].dropna()
    if scores.empty:
        return "No model could be scored."
    best = scores.idxmax()
    # every model level with the best: a tie is called one, not the first listed's win
    leaders = [n for n in scores.index
               if np.isclose(scores[n], scores[best], rtol=0, atol=1e-12)]
    if "mtl" not in scores or len(scores) == 1:
        if len(leaders) > 1:
            return (f"Best exact match: {_names(leaders)} tie ({scores[best]:.3f}): "
                    + ("neither wins." if len(leaders) == 2 else "none wins."))
        return f"Best exact match: {best} ({scores[best]:.3f})."
    runner = scores.drop("mtl").idxmax()
    tie = np.isclose(scores[runner], scores["mtl"], rtol=0, atol=1e-12)
    if tie:
        best = "mtl"
    # the baselines level with the best one (all named, whichever the table lists first)
    tied = [n for n in scores.index if n != "mtl"
            and np.isclose(scores[n], scores[runner], rtol=0, atol=1e-12)]
    # three decimals, or as many as tell the two apart and show the lead: one sample in
    # a few thousand would read "reaches 0.320, 0.000 less" (also 0.32049 beside 0.32051,
    # which round apart, to 0.320 and 0.321, by less than 0.0005)
    d = 3
    while not tie and d < 8 and (
            round(scores[runner], d) == round(scores["mtl"], d)
            or round(abs(scores[runner] - scores["mtl"]), d) == 0):
        d += 1
    text = f"Best exact match: {best} ({scores[best]:.{d}f})."
    if best != "mtl":
        if len(tied) > 1:
            text = f"Best exact match: {_names(tied)}, tied ({scores[best]:.{d}f})."
        text += (f" A baseline wins this table: the network (mtl) reaches "
                 f"{scores['mtl']:.{d}f}, {scores[best] - scores['mtl']:.{d}f} less.")
    elif tie:
        text += (f" The network ties with the best baseline, {runner}: neither wins."
                 if len(tied) == 1 else
                 f" The network ties with the best baselines, {_names(tied)}: none wins.")
    else:
        text += (f" The network wins; the best baseline, {runner}, reaches "
                 f"{scores[runner]:.{d}f}." if len(tied) == 1 else
                 f" The network wins; the best baselines, {_names(tied)}, reach "
                 f"{scores[runner]:.{d}f}.")
    return text + _paired_text(details, runner)


def _names(names):
    """'a and b', 'a, b and c'."""
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def _paired_text(details, other):
    """The network against ``other`` on the same out-of-fold rows, or ""."""
    from .metrics import mcnemar_test

    predictions = (details or {}).get("predictions") or {}
    if predictions.get("mtl") is None or predictions.get(other) is None:
        return ""
    mine, theirs, pvalue = mcnemar_test(details["Y"], predictions["mtl"], predictions[other])
    # two decimals, or as many as keep p off 0 and on its side of 0.05, as the meaning
    # below reads it: 0.0020 read "p = 0.00", 0.0496 "p = 0.05 ... unlikely by chance"
    d = 2
    while pvalue >= 0.001 and (round(pvalue, d) == 0
                               or (round(pvalue, d) < 0.05) != (pvalue < 0.05)):
        d += 1
    shown = "p < 0.001" if pvalue < 0.001 else f"p = {pvalue:.{d}f}"
    meaning = ("a split unlikely by chance" if pvalue < 0.05
               else "a difference these folds cannot tell from chance")
    samples = "sample" if mine == 1 else "samples"
    return (f" Row by row, the network alone has every label right on {mine} {samples} and "
            f"{other} alone on {theirs} (McNemar {shown}): {meaning}.")


def _parse_list(text, what):
    """The items of the value ``text`` of option ``what``, read as one row of a CSV file
    (see :func:`_csv_fields`): an item holding a comma in double quotes."""
    return _checked_list(_csv_fields(text), what)


def _checked_list(items, what):
    """``items``, the names an option ``what`` lists: an empty list, or a name given twice,
    is an error."""
    if not items:
        raise CLIError(f"{what} is empty; expected a comma-separated list.")
    dup = sorted({s for s in items if items.count(s) > 1})
    if dup:
        raise CLIError(f"{what} lists {dup} more than once.")
    return items


def _csv_fields(text):
    """The fields of ``text`` read as one row of a CSV file: separated by commas, spaces
    around a field left out, a field in double quotes taken as written (commas and
    spaces in it; a quote in it doubled, ``""``), as ``csv.reader`` reads a row with
    ``skipinitialspace=True``. Empty fields are left out."""
    fields, i, n = [], 0, len(text)
    while i <= n:
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == '"':
            value, i = [], i + 1
            while i < n and not (text[i] == '"' and text[i + 1:i + 2] != '"'):
                value.append(text[i])
                i += 2 if text[i] == '"' else 1  # a doubled quote is one
            end = text.find(",", i)
            end = n if end < 0 else end
            # text after the closing quote is kept, as csv.reader keeps it
            field = "".join(value) + text[i + 1:end].rstrip()
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            field = text[i:end].strip()
        if field:
            fields.append(field)
        i = end + 1
    return fields


def _parse_columns(text, option, columns=None):
    """The column names that the value ``text`` of ``option`` (``--targets``,
    ``--features``, ``--groups``, ``--regression-targets``, ``--multilabel-targets``)
    gives: the whole value where it is the name of one of ``columns`` (spaces around it
    aside), as ``--targets "price, usd"`` names the column ``price, usd``; else the
    value read as one row of a CSV file (see :func:`_csv_fields`): comma-separated, a
    name holding a comma in double quotes (``--targets '"price, usd",type'``). A value
    that is both a column's name and a list of other columns is an error, as is an
    empty list or a name given twice."""
    names = [] if columns is None else [str(c) for c in columns]
    whole = next((v for v in (text, text.strip()) if v in names), None)
    fields = _csv_fields(text)
    if whole is not None:
        if len(fields) > 1 and all(f in names for f in fields):
            def quoted(name):
                return '"' + name.replace('"', '""') + '"'

            raise CLIError(
                f"{option} {text!r} is the name of the column {whole!r} and a list of the "
                f"columns {_shown(fields)} alike; quote the names, as a CSV row does: "
                f"{option} '{quoted(whole)}' for the one column, {option} "
                f"'{','.join(map(quoted, fields))}' for the {len(fields)}."
            )
        return [whole]
    return _checked_list(fields, option)


class _ColumnList:
    """The value of an option that names columns (``--targets``...), read once the
    file's columns are known (see :func:`_parse_columns`)."""

    def __init__(self, text, option):
        self.text, self.option, self.names = text, option, None

    def __bool__(self):
        return bool(self.text)

    def among(self, columns):
        """The names the value gives, the columns being ``columns`` (kept as
        ``names``)."""
        self.names = _parse_columns(self.text, self.option, columns) if self.text else []
        return self.names


def _columns_among(given, columns):
    """``given``, a list of names or a :class:`_ColumnList` read among ``columns``."""
    if isinstance(given, _ColumnList):
        return given.among(columns)
    return list(given or ())


# ------------------------------------------------------------------------------ data
#: The options that read columns of --data.
_DATA_OPTIONS = ("targets", "features", "groups", "regression_targets", "multilabel_targets",
                 "encoding", "na_values", "keep_default_na", "targets_as_text", "thousands",
                 "decimal")
_DATA_OPTION_NAMES = [f"--{name.replace('_', '-')}" for name in _DATA_OPTIONS]


def load_data(args):
    """(X, Y, description, groups) from ``--dataset`` or ``--data``; ``groups`` is None
    without ``--groups``."""
    if args.data is not None:
        groups = _ColumnList(args.groups, "--groups")
        loaded = _load_table(args.data, args.targets, args.features,
                             groups if args.groups is not None else None,
                             label_sets=args.multilabel_targets, encoding=args.encoding,
                             labels=_label_reading(args), thousands=args.thousands,
                             decimal=args.decimal)
        args.group_columns = groups.names  # as the file's columns read them, for the report
        return loaded
    given = [flag.replace("--", "--no-") if getattr(args, name) is False else flag
             for name, flag in zip(_DATA_OPTIONS, _DATA_OPTION_NAMES, strict=True)
             if getattr(args, name, None) is not None]
    if given:
        raise CLIError(
            f"{', '.join(given)} go{'es' * (len(given) == 1)} with --data (a CSV, Parquet or "
            f"Excel file), not --dataset; the data options are {', '.join(_DATA_OPTION_NAMES)}."
        )
    from .datasets import load_penguins, make_multitask_classification

    if args.dataset in (None, "penguins"):
        X, Y = load_penguins()
        note = ("Palmer penguins (palmerpenguins package): 2 rows without any measurement "
                "dropped; sex unknown for 9 penguins (kept, masked).")
        return X, Y, note, None
    X, Y = make_multitask_classification(
        n_samples=500, n_classes={"car": 2, "color": 4, "body": 3},
        gates=_SYNTHETIC_GATES, missing_rate=0.1, random_state=args.random_state,
    )
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return X, Y, "Synthetic: car, color | car=1, body | car=1; 10% labels missing.", None


class _LabelReading:
    """How the target columns of a CSV file or a workbook are read (``--na-values``,
    ``--no-keep-default-na``, ``--targets-as-text``), as ``read_csv``'s ``na_values``,
    ``keep_default_na`` and ``dtype=str`` read them: the cells read as a missing label
    (:data:`~sklearn_mtl._cli_deploy.MISSING_MARK` and an empty cell always, pandas'
    defaults such as ``NA`` and ``None`` unless ``keep_default_na`` is false, and
    ``na_values``), and whether the targets are read as text (the ``numbers``, the
    ``--regression-targets``, aside: a list, or a :class:`_ColumnList` read among the
    targets)."""

    def __init__(self, na_values=(), keep_default_na=True, as_text=False, numbers=()):
        self.na_values, self.keep_default_na = list(na_values), keep_default_na
        self.as_text = as_text
        self.numbers = numbers if isinstance(numbers, _ColumnList) else list(numbers)

    def quantities(self, targets):
        """The ``numbers`` (the ``--regression-targets``) among ``targets``."""
        return [c for c in _columns_among(self.numbers, targets) if c in targets]

    def classes(self, targets):
        """The columns among ``targets`` read as class labels that may be numbers: not
        as text, not the ``numbers``."""
        text, numbers = self.text(targets), self.quantities(targets)
        return [c for c in targets if c not in text and c not in numbers]

    def text(self, targets):
        """The columns among ``targets`` read as text."""
        if not self.as_text:
            return []
        numbers = self.quantities(targets)
        return [c for c in targets if c not in numbers]

    @property
    def given(self):
        """The options given, as the command line spells them."""
        return [flag for flag, on in (("--na-values", self.na_values),
                                      ("--no-keep-default-na", not self.keep_default_na),
                                      ("--targets-as-text", self.as_text)) if on]

    def missing(self):
        """The cells (spaces around them aside) of a target read as a missing label."""
        from ._cli_deploy import _NA_CELLS, MISSING_MARK

        cells = {"", MISSING_MARK, *self.na_values}
        return cells | set(_NA_CELLS) if self.keep_default_na else cells


def _label_reading(args):
    """The :class:`_LabelReading` of the command's options."""
    na_values = _parse_list(args.na_values, "--na-values") if args.na_values else []
    numbers = _ColumnList(args.regression_targets, "--regression-targets")
    return _LabelReading(na_values, args.keep_default_na is not False,
                         bool(args.targets_as_text), numbers)


def _read_table(path, encoding=None, text=(), targets=None, labels=None, thousands=None,
                decimal=None):
    """``(frame, encoding, marks)``: the rows of a CSV file (with a header row), of a
    Parquet file (``.parquet``, ``.pq``), whose columns keep their types (dates,
    categories, bools), or of the first sheet of an Excel workbook (``.xlsx``); the
    encoding a CSV file was read in where it is not UTF-8 (else None): ``encoding``
    where given; and the marks of its numbers, ``{"decimal": ..., "thousands": ...}``:
    the decimal mark (``","`` in a file saved so, see
    :func:`~sklearn_mtl._cli_deploy.csv_format`, or as ``decimal`` says; else ``"."``),
    the thousands mark (``thousands``, else None), as ``read_csv`` reads them (see
    :func:`~sklearn_mtl._cli_deploy.number_marks`; a workbook's text cells too).
    The ``text`` columns of a CSV are read as text (the ``--multilabel-targets``: a cell
    ``1`` is the label ``1``, which a column with gaps would read as the number 1.0),
    each cell as written (an empty cell ``""``, which :func:`_label_sets` reads).
    The ``targets`` of a CSV or a workbook are read as ``labels`` says (a
    :class:`_LabelReading`; None: as ``read_csv`` reads them); ``text`` and ``targets``
    are lists of names or :class:`_ColumnList` read among the file's columns. A CSV
    file's target column of integers with gaps, which ``read_csv`` reads as floats,
    keeps its integers beyond 2**53 as written (see :func:`_exact_integers`)."""
    from ._cli_deploy import (
        _EXCEL,
        _NA_CELLS,
        _PARQUET,
        EXACT_FLOATS,
        MISSING_MARK,
        check_encoding,
        check_not_compressed,
        check_not_json,
        check_nul_header,
        check_unique_names,
        csv_format,
        decode_hint,
        header_cells,
        number_marks,
        read_workbook,
        separator_hint,
    )

    try:
        check_encoding(encoding)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    labels = labels or _LabelReading()
    check_not_json(path, f"--data {str(path)!r}", CLIError)
    if path.suffix.lower() not in _PARQUET:
        check_not_compressed(path, f"--data {str(path)!r}", CLIError)
    marked = [f"--{name} {mark!r}" for name, mark in (("thousands", thousands),
                                                      ("decimal", decimal))
              if mark is not None]
    if path.suffix.lower() in _PARQUET and (labels.given or marked):
        raise CLIError(
            f"{', '.join([*labels.given, *marked])} read the cells of a CSV file or a "
            f"workbook; --data {str(path)!r} is a Parquet file, whose columns keep their "
            "types (a number is one, a null is a missing label, a string 'NA' a class). "
            "Leave them out."
        )

    def plain_targets(header):  # the targets among the header's names, not label sets
        sets = _columns_among(text, header)
        return [c for c in _columns_among(targets, header) if c in header and c not in sets]

    def label_options(read_header):  # read_csv's and read_excel's, for the targets
        if not (text or labels.given):  # as read_csv reads them: no header read first
            return {}
        header = [str(c) for c in read_header()]
        sets, plain = _columns_among(text, header), plain_targets(header)
        missing = _na_spellings(labels.missing() - {MISSING_MARK})  # '?' counted apart
        return {"keep_default_na": False,
                "na_values": {**{c: sorted(_NA_CELLS) for c in header},
                              **dict.fromkeys(plain, missing), **{c: [] for c in sets}},
                "dtype": dict.fromkeys([*sets, *labels.text(plain)], str) or None}

    if path.suffix.lower() in _EXCEL:
        try:
            what = f"--data {str(path)!r}"
            marks = number_marks({}, thousands, decimal)
            frame = read_workbook(path, what, **marks, **label_options(  # the header: its
                lambda: read_workbook(path, what, nrows=0).columns))  # row alone
            check_unique_names(header_cells(path, excel=True), what)
        except ValueError as exc:
            raise CLIError(str(exc)) from None
        plain = plain_targets([str(c) for c in frame.columns])
        counted = [c for c in plain if c not in labels.text(plain)]
        return (_missing_numbers(frame, counted, labels.missing()), None,
                {"decimal": marks.get("decimal", "."), "thousands": marks.get("thousands")})
    if path.suffix.lower() in _PARQUET:
        try:
            import pyarrow  # noqa: F401  (pandas reads Parquet through it)
        except ImportError:
            raise CLIError(
                f"--data {str(path)!r} is a Parquet file, which needs pyarrow (pip install "
                "pyarrow); or give a CSV file."
            ) from None
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow's errors: ArrowInvalid, OSError...
            raise CLIError(f"--data {str(path)!r} is not a readable Parquet file: {exc}") \
                from None
        # pandas writes a frame's named index (df.set_index("id").to_parquet(...)) as a
        # column of the file, which pyarrow reads back as the index: a column, as in the
        # frame's CSV export (and as predict reads it), not one that no option can name.
        # A RangeIndex (df.rename_axis("row"), or set_index on consecutive ids) is no
        # column of the file, only its metadata, which predict's batches do not read back
        named = [] if isinstance(frame.index, pd.RangeIndex) else [
            level for level in frame.index.names
            if level is not None and level not in frame.columns]
        return ((frame.reset_index(level=named) if named else frame), None,
                {"decimal": ".", "thousands": None})
    try:
        options = number_marks(csv_format(path, encoding=encoding), thousands, decimal)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    marks = {"decimal": options.get("decimal", "."), "thousands": options.get("thousands")}
    # a UTF-16 file read as UTF-8 decodes: else columns 'x\x00'
    check_nul_header(path, f"--data {str(path)!r}", options.get("encoding"), CLIError)
    try:
        reading = label_options(lambda: pd.read_csv(path, nrows=0, **options).columns)
        frame = pd.read_csv(path, **options, **EXACT_FLOATS, **reading)
    except pd.errors.EmptyDataError:
        raise CLIError(
            f"--data {str(path)!r} is empty; expected a CSV with a header row."
        ) from None
    except (pd.errors.ParserError, UnicodeError) as exc:  # (UnicodeError: utf-16 read
        # on a text without a byte-order mark)
        hint = decode_hint(exc, path, options.get("encoding")) if isinstance(
            exc, UnicodeError) else ""
        raise CLIError(f"--data {str(path)!r} is not a readable CSV file: "
                       f"{str(exc).rstrip()}{separator_hint(exc, options)}.{hint}") from None
    try:  # a repeated name read as name.1: a column nobody named, a target's copy
        check_unique_names(header_cells(path, options), f"--data {str(path)!r}")
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    plain = plain_targets([str(c) for c in frame.columns])
    exact = [c for c in labels.classes(plain) if _rounded(frame[c])]
    if exact:  # the cells as written, read as the main read reads its gaps
        cells = pd.read_csv(path, usecols=exact, **options,
                            **{**reading, "dtype": dict.fromkeys(exact, str)})
        frame = _exact_integers(frame, cells, **marks)
    return frame, options.get("encoding"), marks


def _rounded(column):
    """Whether ``column`` (a target, as ``read_csv`` read it) is floats that may round
    integers: one of them is 2**53 or more in size (a column of text, with ``?`` gaps,
    is read as numbers by :func:`~sklearn_mtl._cli_deploy.read_missing_marks`, which
    keeps them exact)."""
    from ._cli_deploy import FLOAT_INTEGERS

    if not pd.api.types.is_float_dtype(column.dtype):
        return False
    values = column.dropna().to_numpy(dtype=float)
    return bool((np.abs(values[np.isfinite(values)]) >= FLOAT_INTEGERS).any())


def _exact_integers(frame, cells, decimal=".", thousands=None):
    """``frame`` with each column of ``cells`` (its cells as written, read as text with
    the same gaps) whose cells are all integers, one beyond 2**53, as nullable integers
    (``Int64``) read from the text (see :func:`~sklearn_mtl._cli_deploy.exact_integers`);
    the other columns, and the caller's frame, are left as they are."""
    from ._cli_deploy import exact_integers

    read = {c: exact_integers(cells[c], decimal, thousands) for c in cells.columns}
    read = {c: column for c, column in read.items() if column is not None}
    if not read:
        return frame
    frame = frame.copy()
    for c, column in read.items():
        frame[c] = column.array  # Int64 (to_numpy() would give objects, then floats)
    return frame


def _na_spellings(cells):
    """The ``cells`` (``na_values``), each number also spelled as pandas 3's ``read_csv``
    spells it: ``-999`` also as ``-999.0``, and ``-999.0`` as ``-999``. pandas before 3.0
    matched a column's ``na_values`` (a dict) only as written, so that ``--na-values
    -999.0`` kept an integer cell ``-999`` a class, and ``--na-values -999`` a text cell
    ``-999.0`` (``--targets-as-text``); spelled out, they read alike on pandas 2 and 3."""
    spellings = {str(cell) for cell in cells}
    for number in _na_numbers(cells):
        if np.isfinite(number) and number == int(number):  # an integer: both spellings
            spellings.update((str(int(number)), f"{int(number)}.0"))
    return sorted(spellings)


def _na_numbers(cells):
    """The numbers among the ``cells`` (``na_values``), as pandas reads a number of
    ``na_values``: ``{-999.0}`` of ``["-999", "NA"]`` (text and ``nan``, which equals
    no number, are left to be matched as written)."""
    numbers = set()
    for cell in cells:
        try:
            number = float(cell)
        except (TypeError, ValueError):
            continue
        if not np.isnan(number):  # NaN equals no cell
            numbers.add(number)
    return numbers


def _missing_numbers(frame, columns, cells):
    """``frame`` with each number cell of its ``columns`` (a workbook's) whose number is
    one of the ``cells``' missing, as ``read_csv`` matches ``na_values`` on a CSV file's
    numbers (``-999`` names -999 and -999.0): ``read_excel`` matches a float cell so, but
    leaves an integer cell -999 a class. A column left numbers and gaps is read as
    numbers, as in a CSV file; the caller's frame is left as it is."""
    values = _na_numbers(cells)
    if not values:
        return frame
    read = {}
    for c in columns:
        hit = frame[c].map(lambda v: isinstance(v, numbers.Number) and not isinstance(
            v, (bool, np.bool_)) and float(v) in values).to_numpy(dtype=bool)
        if hit.any():
            read[c] = frame[c].mask(hit).infer_objects()
    if read:
        frame = frame.copy()
        for c, column in read.items():
            frame[c] = column
    return frame


def _load_table(path, targets, features, groups=None, label_sets=None, encoding=None,
                labels=None, thousands=None, decimal=None):
    """``(X, Y, note, groups)`` of ``--data``; the ``label_sets`` columns (the
    ``--multilabel-targets``) keep their cells as written (``?`` and ``NA`` too), which
    :func:`_label_sets` reads; the other targets are read as ``labels`` (a
    :class:`_LabelReading`) says; the numbers with the marks ``thousands`` and
    ``decimal`` (``--thousands``, ``--decimal``; see
    :func:`~sklearn_mtl._cli_deploy.number_marks`). Each option naming columns is read
    among the file's columns (see :func:`_parse_columns`)."""
    from ._cli_deploy import MISSING_MARK, not_a_file, read_missing_marks

    path = Path(path)
    if not path.is_file():
        raise CLIError(not_a_file(path, "--data"))

    sets = _ColumnList(label_sets, "--multilabel-targets")
    labels = labels or _LabelReading()
    named = _ColumnList(targets, "--targets")
    frame, read_in, reading = _read_table(path, encoding, text=sets, targets=named,
                                          labels=labels, thousands=thousands,
                                          decimal=decimal)
    if len(frame) == 0:
        raise CLIError(f"--data {str(path)!r} has columns but no data row.")
    columns = [str(c) for c in frame.columns]
    sets, named = sets.among(columns), named.among(columns)
    frame, marks = read_missing_marks(frame, skip=sets, text=labels.text(named),
                                      exact=labels.classes([c for c in named
                                                            if c not in sets]), **reading)
    if not targets:
        raise CLIError(
            f"--targets is required with --data; the columns are {_shown(columns)}.")
    targets = named
    unknown = [c for c in targets if c not in columns]
    if unknown:
        raise CLIError(_unknown_columns("--targets", unknown, columns))
    if groups is not None and not isinstance(groups, _ColumnList):  # (text: the option's)
        groups = _ColumnList(groups, "--groups")
    group_columns = [] if groups is None else groups.among(columns)
    unknown = [c for c in group_columns if c not in columns]
    if unknown:
        raise CLIError(_unknown_columns("--groups", unknown, columns))
    for column in group_columns:
        if column in targets:
            raise CLIError(f"--groups column {column!r} is also a target; name another column.")
        if frame[column].isna().any():
            raise CLIError(
                f"--groups column {column!r} has {int(frame[column].isna().sum())} missing "
                "value(s); every row needs a group."
            )
    chosen = features is not None  # the user's own features: no column pointed out
    if chosen:  # (--features "" is empty: it read as every column)
        features = _parse_columns(features, "--features", columns)
        unknown = [c for c in features if c not in columns]
        if unknown:
            raise CLIError(_unknown_columns("--features", unknown, columns))
        both = [c for c in features if c in targets]
        if both:
            raise CLIError(f"Column(s) {both} are in both --features and --targets.")
    else:
        # the group columns identify a group, not a feature, unless --features names them
        features = [c for c in columns if c not in targets and c not in group_columns]
        if not features:
            raise CLIError(f"No feature column is left once the targets {targets} are removed.")
    from .neural._preprocessing import is_time

    typed = [c for c in features if is_time(frame[c])]  # a Parquet file's dates, durations
    X, dates = _read_dates(frame[features].reset_index(drop=True))
    Y = _whole_numbers(frame[targets].reset_index(drop=True))
    note = f"{path.name}: {len(frame)} rows"
    if read_in is not None:  # detected, a guess: other scripts' bytes may decode too
        # a byte-order mark or NUL bytes say UTF-16 or UTF-32; Windows-1252 is a guess
        note += f", read in {read_in}" + ("" if encoding or read_in.startswith("utf-") else (
            " (it is not UTF-8; where its text reads wrong, give its --encoding)"))
    if typed:
        note += f", column(s) {typed} of dates or durations (dates in UTC)"
    if dates:
        note += f", column(s) {dates} read as dates (ISO 8601, in UTC)"
    if marks:
        shown = ", ".join(f"{n} in {c!r}" for c, n in marks.items())
        note += f", cells {MISSING_MARK!r} read as missing ({shown})"
    gaps = int(X.isna().to_numpy().sum())
    if gaps:
        note += (f", {gaps} missing feature value(s) in {int(X.isna().any(axis=1).sum())} "
                 "row(s), kept (the network reads them as they are; the baselines read a "
                 "gap in a text column as a category of its own, gradient boosting a "
                 "numeric gap as it is, and the linear models fill it with the column's "
                 "median and mark it in a 0/1 column)")
    local = [c for c in X.columns if _local_dates(X[c])]
    if local:
        note += (f". Column(s) {local} hold dates written day and month in some order "
                 "(03/01/2024), which are read as text, not as dates: write them as ISO "
                 "8601 (2024-01-03) to have them read as days")
    from ._leakage import (
        MIN_ROWS_FOR_IDS,
        label_columns,
        looks_like_identifier,
        quantity_columns,
        sorted_tasks,
        subject_columns,
    )

    # a target's labels left among the features (compare's LeakageWarning of them is
    # silenced below, as this note says it), --features or not: a model reads the answer
    copies = [(column, tasks, "the labels of {held}: one value of it for each class")
              for column, tasks in label_columns(X, Y)]
    numbers = labels.quantities(list(Y.columns))  # the --regression-targets
    copies += [(column, tasks, "the values of {held}, as they are or scaled and shifted")
               for column, tasks in quantity_columns(X, Y[numbers])
               if column not in {found[0] for found in copies}]
    for column, tasks, what in copies:
        held = " and ".join(repr(task) for task in tasks)
        note += (f". Column {column!r} holds {what.format(held=held)}, on every labelled "
                 "row. A model that reads it reads the answer, which a new row does not "
                 "have, and the scores overrate it; "
                 + ("leave it out of --features" if chosen else
                    "name the features with --features to leave it out"))
    ids = [] if chosen else [c for c in X.columns
                             if c not in local and looks_like_identifier(X[c])]
    if ids and len(X) >= MIN_ROWS_FOR_IDS:
        note += (f". Column(s) {ids} hold a different value in every row, as an identifier "
                 "does, and are read as features; name the features with --features to "
                 "leave them out")
        for column in ids:
            found = sorted_tasks(X[column], Y)
            if found:
                (task, changes, expected), *others = found
                runs = (f"{task!r} (they change {changes} time(s) from row to row, where a "
                        f"shuffled file's would change about {expected:.0f} times)")
                runs += "".join(f" and {t!r} ({c} time(s), about {e:.0f})"
                                for t, c, e in others)
                note += (f". Along {column!r} the rows follow the labels of {runs}: a model "
                         "can read these labels from a row's place in the file, which a new "
                         "row does not have")
    if groups is None:
        for found, n_values, agreeing in subject_columns(X, Y):
            tasks = " and ".join(f"{t!r} ({share:.0%})" for t, share in agreeing)
            held = (f"Column {found[0]!r} holds {n_values} values" if len(found) == 1 else
                    f"Column {found[1]!r}, within the values of {found[0]!r}, holds "
                    f"{n_values} values")
            note += (f". {held}, most of them on several rows, and within a value the "
                     f"labels of {tasks} agree: the rows come in groups, such as several "
                     "rows of one subject. Shuffled folds put a group's other rows in "
                     "training, where a model can recognise the group and read its labels; "
                     f"to score on groups not seen in training, give --groups {','.join(found)}")
    if groups is not None:  # one group a distinct combination of the columns' values
        groups = frame.groupby(group_columns, sort=True).ngroup().to_numpy()
    return X, Y, note + ".", groups


def _unknown_columns(option, unknown, columns):
    """The error for column names of ``option`` that the file lacks: the file's columns,
    and for each name the column it most likely means (another case, spaces around it,
    a typo)."""
    import difflib

    text = (f"{option} names unknown column(s) {_shown(unknown)}; the columns are "
            f"{_shown(columns)}.")
    folded = {c.strip().casefold(): c for c in columns}
    guesses = {}
    for name in unknown:
        match = folded.get(name.strip().casefold())
        if match is None:
            close = difflib.get_close_matches(name, columns, n=1, cutoff=0.8)
            match = close[0] if close else None
        if match is not None:
            guesses[name] = match
    if guesses:
        text += " Did you mean " + ", ".join(f"{c!r} for {n!r}" for n, c in guesses.items())
        text += "?"
    # a name holding a comma, split where it was given unquoted (price, usd)
    split = [c for c in columns if "," in c and c not in guesses.values()
             and all(p.strip() in unknown for p in c.split(",") if p.strip())]
    if split:
        quoted = '"' + split[0].replace('"', '""') + '"'
        text += (f" The column {split[0]!r} holds a comma: give its name in double quotes, "
                 f"as a CSV row writes it ({option} '{quoted}', among others "
                 f"comma-separated), or alone.")
    return text


def _local_dates(column):
    """Whether a text column holds dates in a local, ambiguous form only (is 03/01 the
    3rd of January or the 1st of March?), which are not read as dates."""
    from .neural._preprocessing import LOCAL_DATE, is_text

    values = column.dropna()
    return bool(is_text(column) and len(values)
                and values.astype(str).str.strip().str.fullmatch(LOCAL_DATE).all())


# ---------------------------------------------------------------------------- report
def _group_names(args):
    """The --groups columns, as the data's columns read them (see load_data)."""
    names = getattr(args, "group_columns", None)
    return names if names is not None else _parse_columns(args.groups, "--groups")


def _group_columns(args):
    """The --groups column, or columns: 'patient', or 'centre' and 'id'."""
    return " and ".join(map(repr, _group_names(args)))


def _grouped(args):
    return "" if args.groups is None else f" grouped by {_group_columns(args)}"


def _folds_text(args):
    """How the report's folds were made."""
    if args.groups is not None:
        several = "s" if len(_group_names(args)) > 1 else ""
        return (f"{args.cv}-fold shuffled MultiTaskStratifiedGroupKFold over the "
                f"column{several} {_group_columns(args)} (no group in two folds, every "
                f"task's classes balanced across folds as the groups allow; "
                f"random_state={args.random_state})")
    return (f"{args.cv}-fold shuffled MultiTaskStratifiedKFold (every task's classes "
            f"balanced across folds; random_state={args.random_state})")


def _markdown(frame):
    """A DataFrame as a GitHub-flavoured markdown table (index as the first column)."""
    def cell(value):
        if isinstance(value, float):
            return "" if np.isnan(value) else f"{value:.3f}"
        return str(value).replace("|", "\\|")  # a task named "pass|fail"

    names = [n for n in frame.index.names if n] if frame.index.nlevels > 1 else None
    index_name = " / ".join(names) if names else str(frame.index.name or "")
    header = [cell(str(c)) for c in [index_name, *frame.columns]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for i, idx in enumerate(frame.index):
        # (task, label) rows: "species" for a task, "tags / a" for one of its labels.
        if isinstance(idx, tuple):
            idx = " / ".join(str(part) for part in idx if str(part) != "")
        # Cell by cell, so an integer column (counts) is not turned into floats.
        values = [frame.iat[i, j] for j in range(frame.shape[1])]
        lines.append("| " + " | ".join([cell(str(idx))] + [cell(v) for v in values]) + " |")
    return "\n".join(lines)


#: Warnings that tell a developer, not the user of the command, about the code.
_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def _unique_warnings(caught):
    """(message, count) of the caught warnings that matter, first seen first."""
    counts = {}
    for w in caught:
        if issubclass(w.category, _DEVELOPER_WARNINGS):
            continue
        text = f"{w.category.__name__}: {w.message}"
        counts[text] = counts.get(text, 0) + 1
    return list(counts.items())


def _warning_lines(warned):
    return [f"- {text}" + (f" (x{count})" if count > 1 else "") for text, count in warned]


def _write_plots(out, table, details, names, args):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from . import plotting
    except ImportError:
        print("matplotlib is not installed: no figure written "
              "(pip install \"sklearn-mtl[plot]\").", file=sys.stderr)
        return []
    written = []

    def save(fig, filename, caption):
        fig.savefig(out / filename, dpi=110)
        plt.close(fig)
        written.append((filename, caption))

    columns = set(table.columns.get_level_values(0))
    for metric, what in (("accuracy", "accuracy"), ("f1_macro", "macro F1"), ("r2", "R²")):
        # accuracy and F1: none with regression tasks only; R²: none without them (their
        # RMSEs, each in its task's units, share no axis)
        if any(c.endswith(f" {metric}") for c in columns):
            save(plotting.plot_task_metrics(table, metric=metric), f"task_{metric}.png",
                 f"Per-task {what} (mean ± std over folds)")
    labelled = any(t.kind != "regression" for t in details["schema"])  # labels to count
    if details["predictions"] is not None and labelled:
        for name in names:
            fig = plotting.plot_cooccurrence(
                details["Y"], details["predictions"][name], normalize="all"
            )
            fig.suptitle(f"Label co-occurrence, {name} (out-of-fold predictions)")
            save(fig, f"cooccurrence_{name}.png",
                 f"Label co-occurrence: true, {name}'s out-of-fold predictions, difference")
    for name in names:
        fitted = [m for m in details["estimators"].get(name) or [] if m is not None]
        if fitted and name == "mtl":  # (None: a fold where it failed)
            fig = plotting.plot_training_curves(fitted[0])
            fig.suptitle(f"Training curves, {name} (fold 1)")
            save(fig, f"training_curves_{name}.png", f"Training loss of {name} on fold 1")
    return written


def _regression_report(true, pred):
    """The regression tasks' rows of the per-task report: their counts, and the RMSE
    and R² of the out-of-fold predictions over the samples with a value, as
    :func:`~sklearn_mtl.compare` scores a fold (``task_report`` has the classification
    tasks only)."""
    from ._compare import _regression_metrics, quantity_decimals
    from ._schema import MISSING

    rows = {}
    for j, task in enumerate(true.schema):
        if task.kind != "regression":
            continue
        codes = true.codes[:, j]
        metrics = _regression_metrics(true.regression[task.name],
                                      pred.regression[task.name], task.name)
        rmse = metrics[f"{task.name} rmse"]
        rows[task.name] = {"n_labelled": int((codes >= 0).sum()),
                           "n_missing": int((codes == MISSING).sum()),
                           # in the task's units, as format_comparison shows it
                           "rmse": "" if np.isnan(rmse) else
                                   f"{rmse:.{quantity_decimals(rmse)}f}",
                           "r2": metrics[f"{task.name} r2"]}
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["n_labelled", "n_missing", "rmse", "r2"]
                                  ).rename_axis("task")


def _write_report(out, args, note, X, Y, table, details, figures, warned=()):
    from ._compare import format_comparison
    from .metrics import task_report

    schema = details["schema"]
    lines = [
        "# sklearn-mtl comparison",
        "",
        f"- Data: {note}",
        f"- Samples: {len(X)}; features: {X.shape[1]} ({', '.join(map(str, X.columns))})",
        "- Tasks: " + "; ".join(  # a regression task has no classes to list
            f"{t.name} ({t.kind}" + (f": {', '.join(map(str, t.classes))})"
                                     if t.classes is not None else ")") for t in schema
        ),
        f"- Cross-validation: {_folds_text(args)}; "
        "each model cloned and fitted per training fold, scored on the test fold.",
        "- Metrics ignore missing and gated-off labels. Times in seconds.",
        "",
        "## Comparison (mean ± std over folds)",
        "",
        verdict(table, details),
        "",
        _markdown(format_comparison(table).T.rename_axis("metric")),
        "",
    ]
    for name in table.index:
        lines += ["", f"- **{name}**: {_model_description(name, X)}"]
    if baseline_preprocessing(X) is not None and any(n not in ("mtl", "dummy")
                                                     for n in table.index):
        from .neural._preprocessing import is_time

        dates = ("dates as days since 1970-01-01; "
                 if any(is_time(X[c]) for c in X.columns) else "")
        lines += ["", f"The baselines read the table through a `ColumnTransformer`: {dates}"
                  "for the linear models, numeric gaps filled with the median, plus a 0/1 "
                  "column of each gap, all scaled (gradient boosting reads the gaps "
                  "itself); string, category and bool columns one-hot encoded, a gap as "
                  f"its own category, at most {_MAX_CATEGORIES} columns each (rarer "
                  "categories share one). The network (mtl) reads the raw columns."]
    if warned:
        lines += ["", "## Warnings", "", "Raised while fitting and predicting the folds:", ""]
        lines += _warning_lines(warned)
    if details["predictions"] is not None:
        lines += ["", "## Per-task report (out-of-fold predictions)", ""]
        columns = ["n_labelled", "n_missing", "accuracy", "precision_macro", "recall_macro",
                   "f1_macro"]
        labelled = any(t.kind != "regression" for t in schema)
        for name in table.index:
            lines += [f"### {name}", ""]
            if labelled:  # task_report has the classification tasks only
                report = task_report(details["Y"], details["predictions"][name],
                                     zero_division=0)[columns]
                report = report.rename_axis(["task", "label"])
                lines += [_markdown(report), ""]
            quantities = _regression_report(details["Y"], details["predictions"][name])
            if len(quantities):
                lines += [_markdown(quantities), ""]
    if figures:
        lines += ["## Figures", ""]
        for filename, caption in figures:
            lines += [f"![{caption}]({filename})", "", f"*{caption}*", ""]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------ main
def _check_training_options(args):
    if args.max_epochs is not None and args.max_epochs < 1:
        raise CLIError(f"--max-epochs must be at least 1; got {args.max_epochs}.")
    # numpy's seeds; checked before the data are read, where the folds' shuffling would
    # fail with numpy's message, naming no option, or a baseline would take it unchecked
    if not 0 <= args.random_state < 2 ** 32:
        raise CLIError(f"--random-state must be between 0 and {2 ** 32 - 1}; got "
                       f"{args.random_state}.")


def _target_columns(Y, args, option):
    """The target columns that the option ``--<option>`` names (none if not given)."""
    value = getattr(args, option.replace("-", "_"))
    names = _parse_columns(value, f"--{option}", Y.columns) if value else []
    unknown = [c for c in names if c not in Y.columns]
    if unknown:
        raise CLIError(
            f"--{option} names {unknown}, which --targets does not; the targets are "
            f"{list(Y.columns)}."
        )
    return names


def _whole_numbers(Y):
    """``Y`` with each float column whose values are all whole numbers as nullable
    integers: a column of classes 1, 2, 3 with a gap is read by pandas as floats, and its
    classes would come back as 1.0, 2.0, 3.0."""
    Y = Y.copy()
    for column in Y.columns:
        given = Y[column].dropna()
        if (pd.api.types.is_float_dtype(given) and len(given) and np.isfinite(given).all()
                and (given == given.round()).all()):
            Y[column] = Y[column].astype("Int64")
    return Y


def _label_sets(column, missing=None):
    """A ``--multilabel-targets`` column as label sets: a cell lists its labels separated
    by ``|`` (as ``predict`` writes them), an empty cell has none, a ``?`` cell (as
    ``predict`` writes a task that is not applicable) or one of the ``missing`` cells
    (default: those of :class:`_LabelReading`, ``NA``, ``None``...) is missing (None); a
    Parquet list column's cells are the lists, a null one missing. A label ``?`` is
    refused, among others in a text cell (``?|a``) and in a Parquet list cell too
    (``["?"]``, ``["a", "?"]``): ``predict`` could not write a prediction of it apart
    from a task that is not applicable, it would read back as a missing label, and a
    model reads the same labels from a Parquet file as from a text file."""
    from ._cli_deploy import MISSING_MARK

    missing = (_LabelReading().missing() if missing is None else set(missing)) - {""}
    missing.add(MISSING_MARK)

    def labels(cell):
        if isinstance(cell, (list, tuple, set, frozenset, np.ndarray)):
            return {str(v) for v in cell}
        if cell is None:  # a Parquet list column's null: not annotated
            return None
        if not isinstance(cell, str) and pd.isna(cell):  # an empty cell of a workbook
            return set()
        if str(cell).strip() in missing:  # not annotated: a missing label
            return None
        return {part.strip() for part in str(cell).split("|") if part.strip()}

    column = column if isinstance(column, pd.Series) else pd.Series(column, dtype=object)
    sets = [labels(cell) for cell in column]
    for row, found in enumerate(sets):
        if found and any(str(label).strip() == MISSING_MARK for label in found):
            cell = column.iloc[row]
            shown = cell if isinstance(cell, str) else sorted(found)
            raise CLIError(
                f"--multilabel-targets column {str(column.name)!r} lists the label "
                f"{MISSING_MARK!r} in data row {row + 1} ({shown!r}); a whole cell "
                f"{MISSING_MARK!r} marks a row not annotated (a missing label), as predict "
                "writes a task that is not applicable, so a label "
                f"{MISSING_MARK!r} would read back as one. Give the label another name."
            )
        # only a list cell (Parquet) can hold a label with "|" in it: a text cell's "|"
        # separates its labels, as predict writes them, so it would read back as two
        joined = sorted(label for label in found or () if "|" in label)
        if joined:
            raise CLIError(
                f"--multilabel-targets column {str(column.name)!r} has the label "
                f"{joined[0]!r} in data row {row + 1}; predict writes a row's labels "
                "separated by '|', so it would read back as several labels. Give the "
                "label another name."
            )
    return pd.Series(sets, index=column.index, name=column.name, dtype=object)


def _not_quantities(column, name):
    """The message for a ``--regression-targets`` column that pandas did not read as
    numbers: its first cell that is no number, and its data row (a marker of a missing
    value, such as ``-`` or ``n.a.``, that ``--na-values`` can name)."""
    from ._validation import reads_as_number

    bad = next(((row, cell) for row, cell in enumerate(column)
                if not isinstance(cell, (bool, np.bool_)) and not reads_as_number(cell)),
               None)
    if bad is None or pd.api.types.is_bool_dtype(column.dtype):
        return (f"--regression-targets column {name!r} holds {column.dtype} values; a "
                "regression target holds numbers.")
    row, cell = bad
    shown = (f"--regression-targets column {name!r} holds {cell!r} in data row {row + 1}, "
             "which is not a number; a regression target holds numbers.")
    if not any(reads_as_number(v) and not pd.isna(v) for v in column):  # text: classes
        return f"{shown} Leave a column of class labels out of --regression-targets."
    return (f"{shown} If the cell marks a missing value, name it with --na-values "
            f"{cell!s} (an empty cell is missing already); otherwise correct it.")


def _target_tasks(Y, args, models, folds=False):
    """``(Y, tasks)``: the targets, ``--multilabel-targets`` columns read as label sets,
    and the tasks every model is given (None: inferred from ``Y``); with ``folds`` (the
    comparison's cross-validation), with the classes of the whole file. A column named
    by ``--regression-targets`` is a regression task, which only the ``mtl`` model among
    ``models`` fits; any other column of non-integral numbers is refused (a class label
    is expected)."""
    regression = _target_columns(Y, args, "regression-targets")
    multilabel = _target_columns(Y, args, "multilabel-targets")
    both = [c for c in regression if c in multilabel]
    if both:
        raise CLIError(
            f"{both} are named by both --regression-targets and --multilabel-targets; a "
            "target is one or the other."
        )
    if multilabel:
        missing = _label_reading(args).missing() if hasattr(args, "na_values") else None
        Y = Y.assign(**{name: _label_sets(Y[name], missing) for name in multilabel})
    for name in regression:
        if not pd.api.types.is_numeric_dtype(Y[name].dtype) or pd.api.types.is_bool_dtype(
                Y[name].dtype):
            raise CLIError(_not_quantities(Y[name], name))
    # the dummy reference predicts a quantity's training mean, as it did in compare()
    others = [m for m in models if m not in ("mtl", "dummy")]
    if regression and others:
        raise CLIError(
            f"--regression-targets {regression}: only the mtl model (and the dummy "
            f"reference, the training mean) predicts quantities; {others} fit "
            "classifiers. Give --model(s) mtl (or mtl,dummy)."
        )
    for name in Y.columns:
        column = Y[name]
        if name in regression + multilabel:
            continue
        values = pd.unique(column.dropna())
        if len(values) < 2:
            held = (f"holds one value, {_plain(values)[0]!r}, in every row that has "
                    "one" if len(values) else "is empty in every row")
            raise CLIError(
                f"--targets column {name!r} {held}; a target needs two classes or more to "
                "be learned. Leave it out of --targets."
            )
        if not pd.api.types.is_float_dtype(column.dtype):
            continue
        values = column.dropna().to_numpy(dtype=float)
        fractional = values[values != np.round(values)]
        if len(fractional):
            raise CLIError(
                f"--targets column {name!r} holds non-integral numbers (e.g. "
                f"{fractional[:3].tolist()}); each target is a class label unless "
                "--regression-targets names it (the mtl model then predicts it as a "
                "number). Or leave a numeric quantity among the features, or bin it into "
                "classes first."
            )
    # The bundled synthetic data's gates: the labels alone cannot tell a gated-off task
    # from a missing label (the label product would leave out every row without a car).
    gates = _SYNTHETIC_GATES if args.data is None and args.dataset == "synthetic" else {}
    if not (regression or multilabel or folds or gates):
        return Y, None  # a model fitted on every row infers its tasks, refits included
    from ._encoder import StructuredLabelEncoder
    from ._schema import Task

    kinds = {**dict.fromkeys(regression, "regression"), **dict.fromkeys(multilabel,
                                                                        "multilabel")}
    declared = [Task(str(c), kind=kinds.get(c), gate=gates.get(c)) for c in Y.columns]
    if not folds:
        return Y, declared
    # Every model of the comparison learns the classes of the whole file: a rare class
    # that a training fold lacks is still one of its task's classes there.
    return Y, list(StructuredLabelEncoder(tasks=declared).fit(Y).schema_)


def _compare_command(args):
    from ._compare import compare, format_comparison
    from ._leakage import LeakageWarning

    names = _parse_list(args.models, "--models")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise CLIError(f"Unknown model(s) {unknown}; expected some of {', '.join(MODELS)}.")
    if args.cv < 2:
        raise CLIError(f"--cv must be at least 2; got {args.cv}.")
    from ._cli_deploy import refuse_stdout

    refuse_stdout(args.out, "--out", "compare", "it writes a folder (report.md, the figures)",
                  "folder", "reports", CLIError)  # before the models run
    if args.n_jobs is not None and (args.n_jobs == 0 or args.n_jobs < -1):
        raise CLIError(f"--n-jobs must be a positive number of processes or -1; got "
                       f"{args.n_jobs}.")
    _check_training_options(args)
    for n in names:  # a model this installation lacks fails before the data are read
        _estimator_class(n)
    X, Y, note, groups = load_data(args)
    Y, tasks = _target_tasks(Y, args, names, folds=True)
    estimators = {
        n: build_model(n, random_state=args.random_state, max_epochs=args.max_epochs, X=X,
                       tasks=tasks)
        for n in names
    }
    if len(X) < args.cv:
        raise CLIError(f"--cv {args.cv} needs at least {args.cv} rows; the data have {len(X)}.")
    if groups is not None and len(pd.unique(groups)) < args.cv:
        raise CLIError(
            f"--cv {args.cv} needs at least {args.cv} groups; --groups {args.groups!r} has "
            f"{len(pd.unique(groups))}."
        )
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {str(out)!r} is a file; expected a folder to write the "
                       "report and figures in (it is created where missing).")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"--out {str(out)!r} cannot be created: {exc}") from None
    if not args.quiet:
        print(f"{note}\n{len(X)} samples, {X.shape[1]} features, tasks {list(Y.columns)}; "
              f"{args.cv}-fold CV{_grouped(args)} of {', '.join(names)}.", flush=True)
    try:
        # Warnings are collected, not lost: each distinct one is shown once, on screen
        # and in report.md (e.g. "LabelProductClassifier left out N samples"; compare
        # makes a model's warnings that differ only in their numbers one).
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # the note above points out these columns already, as the command line reads them
            warnings.filterwarnings("ignore", category=LeakageWarning)
            table, details = compare(
                estimators, X, Y, cv=args.cv, random_state=args.random_state,
                progress=not args.quiet, return_details=True, groups=groups,
                n_jobs=args.n_jobs,
            )
    except ValueError as exc:  # its notes name the model and fold
        where = " ".join(getattr(exc, "__notes__", ()))
        raise CLIError(f"The comparison failed: {exc}" + (f" ({where})" if where else "")) \
            from exc
    warned = _unique_warnings(caught)
    formatted = format_comparison(table).T.rename_axis("metric")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(formatted.to_string())
    print("\n" + verdict(table, details))
    if warned:
        print("\nWarnings (also in report.md):\n" + "\n".join(_warning_lines(warned)),
              file=sys.stderr, flush=True)
    figures = [] if args.no_plots else _write_plots(out, table, details, names, args)
    _write_report(out, args, note, X, Y, table, details, figures, warned)
    if not args.quiet:
        print(f"\nWrote {out / 'report.md'}" + (f" and {len(figures)} figures" if figures else "")
              + ".")
    return 0


def _add_data_arguments(parser, *, groups):
    """The data options that compare and fit share; ``groups`` says what --groups does."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", choices=DATASETS, default=None,
                        help="a bundled dataset (default: penguins)")
    source.add_argument("--data", metavar="FILE",
                        help="a CSV file with a header row (separated by commas, or by "
                        "semicolons, tabs or bars, read from the header), a Parquet file "
                        "(.parquet, .pq) or an Excel workbook (.xlsx: its first sheet)")
    parser.add_argument("--targets", metavar="COLUMNS",
                        help="with --data: comma-separated target columns (tasks); in "
                        "this and the other options naming COLUMNS, a name holding a "
                        "comma is given in double quotes, as a CSV row writes it "
                        "('\"price, usd\",type'), or alone as the column's whole name")
    parser.add_argument("--features", metavar="COLUMNS",
                        help="with --data: comma-separated feature columns: numbers, "
                        "strings, booleans or ISO 8601 dates, gaps allowed (default: every "
                        "column that is not a target)")
    parser.add_argument("--groups", metavar="COLUMNS",
                        help=f"with --data: the column of each row's group (a patient, a "
                        f"store), or comma-separated columns whose values together name it "
                        f"(a centre and a patient numbered within it); {groups}, and the "
                        "columns are not features unless --features names them")
    parser.add_argument("--regression-targets", metavar="COLUMNS",
                        help="with --data: comma-separated columns among --targets that hold "
                        "quantities (a price, a weight), which the mtl model predicts as "
                        "numbers; only mtl takes them (and dummy, which predicts their "
                        "training mean), the baselines fit classifiers")
    parser.add_argument("--multilabel-targets", metavar="COLUMNS",
                        help="with --data: comma-separated columns among --targets that list "
                        "each row's labels, separated by | (a|c, as predict writes them; an "
                        "empty cell: none of the labels), each one multilabel task")
    parser.add_argument("--encoding", metavar="NAME",
                        help="with --data: the encoding of a CSV file (default: UTF-8; "
                        "UTF-16 or UTF-32 where the file is, as Excel saves 'Unicode "
                        "text'; else Windows-1252 where the file is not UTF-8)")
    from ._cli_deploy import add_number_marks

    add_number_marks(parser, "with --data: ")
    parser.add_argument("--na-values", metavar="CELLS",
                        help="with --data: comma-separated cells that mark a missing label "
                        "(one holding a comma in double quotes: '\"n, a\",-') "
                        "in the target columns of a CSV file or workbook, besides an empty "
                        "cell, '?' and (unless --no-keep-default-na) pandas' defaults, as "
                        "read_csv(na_values=...) reads them; the features are read as "
                        "predict reads them")
    parser.add_argument("--keep-default-na", action=argparse.BooleanOptionalAction,
                        default=None,
                        help="with --data: whether the target cells that pandas reads as "
                        "missing by default (NA, N/A, NaN, null, None...) are missing labels "
                        "(default: yes, as R writes a gap NA); --no-keep-default-na reads "
                        "them as classes, as read_csv(keep_default_na=False) does: an empty "
                        "cell, '?' and --na-values stay missing")
    parser.add_argument("--targets-as-text", action="store_true", default=None,
                        help="with --data: read the target columns as text, as "
                        "read_csv(dtype=str) does: a class 01 stays '01' (not the number 1), "
                        "1.0 stays '1.0'; --regression-targets are read as numbers")


def _fit_command(args):
    from ._persistence import save
    from ._validation import groups_fit_params

    if args.model not in MODELS or args.model == "dummy":
        raise CLIError(
            f"Unknown model {args.model!r}; expected one of "
            f"{', '.join(m for m in MODELS if m != 'dummy')}."
        )
    _check_training_options(args)
    _estimator_class(args.model)  # a model this installation lacks fails first
    from ._cli_deploy import DeployInputError, check_output_file, refuse_stdout

    refuse_stdout(args.out, "--out", "fit", "the model is a binary file", "model file",
                  "model.mtl", CLIError)
    try:  # before the fit: a folder, or the data file that the model would replace (as
        # given: Path drops the separator ending a folder's name, "models/")
        check_output_file(args.out, "--out", [("--data", args.data)], example="model.mtl")
    except DeployInputError as exc:
        raise CLIError(str(exc)) from None
    out = Path(args.out)
    if not out.parent.is_dir():
        raise CLIError(f"--out {str(out)!r}: the folder {str(out.parent)!r} does not exist.")
    X, Y, note, groups = load_data(args)
    Y, tasks = _target_tasks(Y, args, [args.model])
    model = build_model(args.model, random_state=args.random_state,
                        max_epochs=args.max_epochs, X=X, tasks=tasks)
    fit_params = {} if groups is None else groups_fit_params(model, groups)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, Y, **fit_params)
    except ValueError as exc:
        raise CLIError(f"Fitting {args.model} failed: {exc}") from exc
    try:
        save(model, out, include_optimizer=args.include_optimizer)
    except OSError as exc:  # no permission, a full disk: no file is left (see save)
        raise CLIError(f"--out {str(out)!r} cannot be written: {exc}") from None
    if not args.quiet:
        lines = [note, f"Fitted {args.model} on {len(X)} rows, {X.shape[1]} features, "
                 f"tasks {list(Y.columns)}; wrote {out}."]
        lines += [f"{text} (x{n})" if n > 1 else text for text, n in _unique_warnings(caught)]
        print("\n".join(lines))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-mtl",
        description="Multi-task classification with scikit-learn estimators.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command", required=True)
    cmp_ = sub.add_parser(
        "compare",
        help="cross-validate models, print the table, write report.md and figures",
        description="Cross-validate models on structured labels; print the comparison table "
        "and write report.md and PNG figures to --out.",
    )
    _add_data_arguments(cmp_, groups="the folds keep each group whole (so do the mtl "
                        "model's own held-out folds)")
    cmp_.add_argument("--models", default=",".join(DEFAULT_MODELS),
                      help=f"comma-separated, among: {', '.join(MODELS)} "
                      f"(default: {','.join(DEFAULT_MODELS)})")
    cmp_.add_argument("--cv", type=int, default=5, help="number of folds (default: 5)")
    cmp_.add_argument("--n-jobs", type=int, default=None, metavar="N",
                      help="fits run in N processes at once, -1 for every core (default: "
                      "one at a time); the scores are the same")
    cmp_.add_argument("--out", default="reports",
                      help="output folder (default: reports; not '-': no standard output)")
    cmp_.add_argument("--random-state", type=int, default=0,
                      help="seed, from 0 to 4294967295 (default: 0)")
    cmp_.add_argument("--max-epochs", type=int, default=None,
                      help="epochs of the mtl model (default: the recipe's training length)")
    cmp_.add_argument("--no-plots", action="store_true", help="write no figure")
    cmp_.add_argument("--quiet", action="store_true",
                      help="print the table and its verdict only (no progress, no list of "
                      "the files written)")
    cmp_.set_defaults(handler=_compare_command)
    fit_ = sub.add_parser(
        "fit",
        help="fit one model on all rows and save it (for predict and export)",
        description="Fit one model on every row of the data and save it with "
        "sklearn_mtl.save, ready for 'sklearn-mtl predict' and 'sklearn-mtl export'.",
    )
    _add_data_arguments(fit_, groups="the mtl model's held-out folds keep each group whole")
    fit_.add_argument("--model", default="mtl",
                      help=f"one of: {', '.join(m for m in MODELS if m != 'dummy')} "
                      "(default: mtl)")
    fit_.add_argument("--out", required=True,
                      help="the model file to write (.mtl; not '-': no standard output)")
    fit_.add_argument("--random-state", type=int, default=0,
                      help="seed, from 0 to 4294967295 (default: 0)")
    fit_.add_argument("--max-epochs", type=int, default=None,
                      help="epochs of the mtl model (default: the recipe's training length)")
    fit_.add_argument("--include-optimizer", action="store_true",
                      help="also save the optimizer's state, to train on after loading")
    fit_.add_argument("--quiet", action="store_true", help="print nothing on success")
    fit_.set_defaults(handler=_fit_command)
    from ._cli_deploy import add_deploy_parsers

    add_deploy_parsers(sub)  # predict, export, info
    return parser


#: The exit status once the reader of standard output has closed the pipe (``| head``):
#: that of a process ended by SIGPIPE (128 + 13), as a shell reports it for ``cat``.
BROKEN_PIPE_STATUS = 141


def main(argv=None):
    """Run the command line; returns the exit status (0, 2 on an input error, or
    :data:`BROKEN_PIPE_STATUS` where the reader of standard output left early)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from ._cli_deploy import DeployInputError

    try:
        status = args.handler(args)
        sys.stdout.flush()  # a reader that left is found here, not in Python's exit
        return status
    except (CLIError, DeployInputError) as exc:
        print(f"sklearn-mtl {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Python's documented recipe: what is left to flush goes nowhere, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_STATUS


if __name__ == "__main__":  # pragma: no cover
    # the imported module's main (python -m sklearn_mtl.cli): a model fitted here then
    # refers to sklearn_mtl.cli's functions, which load() trusts, not to __main__'s
    from sklearn_mtl.cli import main as _main

    sys.exit(_main())
