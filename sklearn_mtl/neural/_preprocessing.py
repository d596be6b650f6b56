"""The network's own input preprocessing: raw tables in, well-scaled float32 out."""

from __future__ import annotations

import datetime
import warnings
from numbers import Integral, Number, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from .._frames import to_pandas
from .._validation import reads_as_number, refuse_mappings

_CATEGORICAL_KINDS = ("O", "U", "S", "b")


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Numeric columns robustly scaled and softly clipped, categorical columns one-hot.

    What :class:`~sklearn_mtl.MultiTaskClassifier` applies to a table by default
    (``preprocessing="auto"``), so that raw features work as users have them: a column in
    grams next to one in metres, pixel values from 0 to 255, strings, gaps.

    - **Numeric** columns: centred on their median and divided by their interquartile
      range (half the 5–95% range where the quartiles coincide, 1 for a constant column),
      then softly clipped, ``x / sqrt(1 + (x / 3)²)``, so outliers stay within about ±3
      without losing their order (the *robust scaling and smooth clipping* of RealMLP,
      Holzmüller et al. 2024). A missing value (NaN) becomes 0, the median, and each
      column that had gaps in training gets a 0/1 indicator column, as
      ``SimpleImputer(add_indicator=True)`` does. pyarrow's decimals
      (``read_parquet(dtype_backend="pyarrow")``) are numbers too.
    - **Dates and durations** (DataFrame columns of ``datetime64`` dtype, with or
      without a time zone, of ``period`` dtype, and of ``timedelta64`` dtype; and
      object columns of ``datetime.date``, ``datetime`` or ``timedelta`` objects) are
      numeric columns: a date is read as days since 1970-01-01 (UTC), a period (a month,
      a quarter, ...) as its start's, a duration as days, a missing one (``NaT``) as a
      gap; then scaled as the other numeric columns are. A date takes no part in the
      log-ratios. Given as text later (a CSV file's dates), such a column is parsed
      (``pd.to_datetime``, text without an offset read as UTC; ``pd.to_timedelta``;
      a period column's as periods of its training frequency, "2024Q1"); given as gaps
      alone (NaN or None, as a batch of empty cells comes), as gaps. A period column
      given dates, or periods of another frequency, reads them as the periods of its
      training frequency that hold them, as it read its training values. A time of day
      (``datetime.time`` objects, pyarrow's ``time64``) is a duration: the time since
      midnight (later text, "10:30:00", as ``pd.to_timedelta`` reads it).
    - **Point masses** (with ``point_mass``): a numeric column whose most frequent value
      is its lowest or highest (advertising spend of 0 in a third of the rows, a count
      of 0, a value censored at a limit) and holds at least ``point_mass`` of its
      training values gets a 0/1 indicator column of that value. A tree splits such a
      column at the mass for free; to a network the scaled column puts the mass a small
      step away from its neighbours, and the indicator hands it the step. A column of
      fewer than three distinct values is its own indicator and gets none.
    - **Categorical** columns (DataFrame columns of object, string, category or bool
      dtype): one-hot encoded; categories seen fewer than ``min_frequency`` times, and
      those beyond the ``max_categories`` most frequent, share one column; a missing value
      is a category of its own; a category unseen in training (a gap, too, in a column
      that had none) is all zeros where the column has no shared column, and a 1 in the
      shared column where it has one (it counts as a rare category). A value written
      otherwise than in training is the category fitted: a bool column given as 0/1,
      "1" or "true", integer codes given as ``2.0`` or "2.0" (the text of a column of
      text is its category as written: "007" is not "7").
    - **Piecewise-linear encoding** (with ``n_bins``): each numeric column is also
      encoded over its training quantiles ``b_0 < b_1 < ... < b_T`` (at most ``n_bins``
      bins, fewer where quantiles coincide): column ``t`` of the encoding is
      ``2 clip((x - b_{t-1}) / (b_t - b_{t-1}), 0, 1) - 1``: the value climbs through
      the bins one at a time (the PLE of Gorishniy et al. 2022, "On Embeddings for
      Numerical Features in Tabular Deep Learning"), centred on 0 like the scaled
      columns (from -1, below the bin, to 1, above it). It lets the first layer draw a
      threshold on the column, as a tree does. A missing value encodes as zeros; a
      column of fewer than three distinct values (a constant or binary column) is not
      encoded. The encodings follow the other blocks, at ``encoded_columns_``.
    - **Log-ratios** (with ``ratios``): for each pair of numeric columns whose training
      values are all positive (at least three distinct values; the
      ``_MAX_RATIO_COLUMNS`` with the most distinct values where more qualify),
      ``log(a / b)``, scaled as the numeric columns are and, with ``n_bins``, also
      piecewise-linear encoded. A diamond's colour is in its price per carat, a
      household's need in its income per member: a tree or a network given ``a`` and
      ``b`` can only approach their ratio by many cells, and automated feature
      construction (AutoFeat, Horn et al. 2019; OpenFE, Zhang et al. 2023) makes it a
      column. A value that is missing or not positive makes the pair's ratio missing:
      0 in the scaled column, zeros in its encoding. They follow the encodings and
      join ``encoded_columns_``.

    Parameters
    ----------
    numeric : {"robust", "standard", "passthrough"}, default="robust"
        ``"robust"`` is the scaling above; ``"standard"`` centres on the mean and divides
        by the standard deviation (no clipping); ``"passthrough"`` keeps values as they are
        (missing values still become 0 with an indicator, and a column without a value
        in training reads as 0, as in the other modes). Neither clips: a value they
        leave beyond float32's range (the output's, ±3.4e38) is refused.
    max_categories : int, default=32
        Most one-hot columns per categorical column (the rarest categories are pooled).
    min_frequency : int, default=1
        Categories seen fewer times share the pooled column.
    n_bins : int, default=0
        Most quantile bins of each numeric column's piecewise-linear encoding; 0 (or 1)
        encodes nothing.
    max_encoded_columns : int, default=None
        Budget of encoding columns the numeric columns share: with ``m`` numeric columns
        each gets at most ``max(2, max_encoded_columns // m)`` bins, so that more than
        ``max_encoded_columns // 2`` columns, at 2 bins each, can exceed it. The
        log-ratios' own columns come on top, and their encodings share a budget of their
        own, of the same size and rule. ``None``: no limit.
    point_mass : float in (0, 1] or None, default=0.2
        Least share of a numeric column's non-missing training values that its most
        frequent value (more frequent than any other), at the column's lowest or highest
        value, must hold to get an indicator column. ``None``: no indicators.
    ratios : bool, default=False
        Add the pairwise log-ratios of the positive numeric columns (see above).

    Attributes
    ----------
    numeric_columns_ : ndarray of int
        Positions of the numeric input columns.
    categorical_columns_ : ndarray of int
        Positions of the categorical input columns.
    time_columns_ : ndarray of int
        Positions of the input columns read as days (dates, periods and durations),
        among the numeric ones.
    center_ : ndarray of shape (n_numeric,)
        Per numeric column, the value that maps to 0.
    scale_ : ndarray of shape (n_numeric,)
        Per numeric column, the divisor.
    missing_columns_ : ndarray of int
        Positions (among the numeric columns) that had missing values in training
        (and at least one value: a column without any reads as 0 whatever it holds).
    point_mass_columns_ : ndarray of int
        Positions (among the numeric columns) that get a point-mass indicator.
    point_mass_values_ : ndarray of float
        The value each of those indicators marks.
    point_mass_float32_ : ndarray of bool
        Per indicator, whether its column was float32 in ``fit`` (numpy's, pandas'
        nullable ``Float32``, pyarrow's ``float``): its mass is then
        compared in float32 (a float64 mass matches exactly, or as float32 holds it
        where the column comes in float32).
    one_hot_ : OneHotEncoder or None
        The encoder of the categorical columns.
    bin_edges_ : list of ndarray
        Per numeric column, the edges of its encoding's bins (empty: not encoded).
    ratio_pairs_ : ndarray of int, shape (n_ratios, 2)
        Per log-ratio, the positions (among the numeric columns) of its numerator and
        denominator.
    ratio_center_, ratio_scale_ : ndarray of shape (n_ratios,)
        Per log-ratio, the value that maps to 0 and the divisor.
    ratio_bin_edges_ : list of ndarray
        Per log-ratio, the edges of its encoding's bins (empty: not encoded).
    encoded_columns_ : ndarray of int
        Positions of the encoding and log-ratio columns in the output.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        The input columns' names, when ``X`` was a DataFrame with string column names.
    n_features_out_ : int
        Number of output columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.neural import TabularPreprocessor
    >>> X = pd.DataFrame({"mass_g": [3750.0, 3800.0, None, 5000.0],
    ...                   "island": ["Biscoe", "Dream", "Dream", None]})
    >>> TabularPreprocessor().fit_transform(X).shape
    (4, 5)
    """

    _parameter_constraints = {
        "numeric": [StrOptions({"robust", "standard", "passthrough"})],
        "max_categories": [Interval(Integral, 2, None, closed="left")],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "n_bins": [Interval(Integral, 0, None, closed="left")],
        "max_encoded_columns": [Interval(Integral, 1, None, closed="left"), None],
        "point_mass": [Interval(Real, 0, 1, closed="right"), None],
        "ratios": ["boolean"],
    }

    def __init__(self, numeric="robust", *, max_categories=32, min_frequency=1, n_bins=0,
                 max_encoded_columns=None, point_mass=0.2, ratios=False):
        self.numeric = numeric
        self.max_categories = max_categories
        self.min_frequency = min_frequency
        self.n_bins = n_bins
        self.max_encoded_columns = max_encoded_columns
        self.point_mass = point_mass
        self.ratios = ratios

    def fit(self, X, y=None):
        """Learn the columns' kinds, centres, scales and categories.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table; NaN marks a missing value.
        y : None
            Ignored.

        Returns
        -------
        self : TabularPreprocessor
        """
        self._validate_params()
        frame = _as_frame(X)
        validate_data(self, frame, reset=True, skip_check_array=True)
        frame = _dates_of_objects(frame)
        kinds = np.array([_column_kind(frame, j) for j in range(frame.shape[1])], dtype=bool)
        self.categorical_columns_ = np.flatnonzero(kinds)
        self.numeric_columns_ = np.flatnonzero(~kinds)
        self.time_columns_ = np.asarray(
            [j for j in self.numeric_columns_ if is_time(frame.iloc[:, j])], dtype=np.intp)
        self._dates = [bool(_is_date(frame.iloc[:, j])) for j in self.time_columns_]
        # a period column's frequency, to read later text ("2024Q1") and dates as the
        # periods it was fitted on
        self._periods = [_period_freq(frame.iloc[:, j]) for j in self.time_columns_]
        numeric = _numeric_block(frame, self.numeric_columns_, self.time_columns_)
        self.center_, self.scale_ = _center_scale(numeric, self.numeric)
        # a column without any value in training gets no indicator: it would be a
        # constant 1 there, and a value at prediction would move the network's input
        # along a direction it never trained on
        gaps = np.isnan(numeric)
        self.missing_columns_ = np.flatnonzero(gaps.any(axis=0) & ~gaps.all(axis=0))
        self.point_mass_columns_, self.point_mass_values_ = _point_masses(
            numeric, self.point_mass)
        dtypes = frame.dtypes.to_numpy()
        self.point_mass_float32_ = np.array(  # compared in float32, where found in it
            [_is_float32(dtypes[self.numeric_columns_[j]])
             for j in self.point_mass_columns_], dtype=bool)
        self.one_hot_ = None
        n_out = (len(self.numeric_columns_) + len(self.missing_columns_)
                 + len(self.point_mass_columns_))
        _warn_numbers_as_text(frame, self.categorical_columns_)
        # which categorical columns hold text: there, a value's text is its category
        # ("007" is not "7"); elsewhere "1", "true", "2.0" read as the number or bool
        self._text_categories = [_holds_text(frame.iloc[:, j])
                                 for j in self.categorical_columns_]
        if len(self.categorical_columns_):
            self.one_hot_ = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=self.max_categories,
                min_frequency=self.min_frequency if self.min_frequency > 1 else None,
                sparse_output=False,
                dtype=np.float32,
            ).fit(_categorical_block(frame, self.categorical_columns_))
            n_out += len(self.one_hot_.get_feature_names_out())
        self.bin_edges_ = _bin_edges(numeric, self._bins_per_column())
        n_encoded = sum(max(len(e) - 1, 0) for e in self.bin_edges_)
        dates = set(self.time_columns_[self._dates])  # no quantities: no ratios
        self.ratio_pairs_ = (_ratio_pairs(numeric, exclude=[j in dates for j in
                                                              self.numeric_columns_])
                             if self.ratios else np.empty((0, 2), int))
        ratios = _log_ratios(numeric, self.ratio_pairs_)
        self.ratio_center_, self.ratio_scale_ = _center_scale(ratios, self.numeric)
        self.ratio_bin_edges_ = _bin_edges(ratios, self._bins_per_ratio())
        n_encoded += len(self.ratio_pairs_) + sum(max(len(e) - 1, 0)
                                                 for e in self.ratio_bin_edges_)
        self.encoded_columns_ = np.arange(n_out, n_out + n_encoded)
        self.n_features_out_ = n_out + n_encoded
        return self

    def _bins_per_column(self):
        return self._bins_for(len(self.numeric_columns_))

    def _bins_per_ratio(self):  # the ratios' own budget of max_encoded_columns
        return self._bins_for(len(self.ratio_pairs_))

    def _bins_for(self, n_columns):
        """Bins a column when ``n_columns`` share the encoding's budget."""
        if self.n_bins < 2 or not n_columns:
            return 0
        if self.max_encoded_columns is None:
            return self.n_bins
        return min(self.n_bins, max(2, self.max_encoded_columns // n_columns))

    def transform(self, X):
        """The preprocessed table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table, with the columns seen in ``fit``; NaN marks a missing value.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out_), dtype float32
            The preprocessed features.
        """
        check_is_fitted(self)
        times = getattr(self, "time_columns_", ())
        if (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f" and len(X)
                and not len(self.categorical_columns_) and not len(times)):
            # numbers only (as the estimator's validation gives them): no DataFrame built,
            # which is most of the time of a small batch
            validate_data(self, X, reset=False, skip_check_array=True)
            frame, numeric = None, _finite(X[:, self.numeric_columns_].astype(np.float64),
                                           self.numeric_columns_.tolist())
        else:
            frame = _as_frame(X)
            validate_data(self, frame, reset=False, skip_check_array=True)
            frame = read_times(frame, times, getattr(self, "_dates", ()),
                               getattr(self, "_periods", ()))
            # a column without a value in training reads as 0 whatever it holds
            _refuse_times(frame, np.setdiff1d(
                self.numeric_columns_[np.isfinite(self.scale_)], times))
            numeric = _numeric_block(frame, self.numeric_columns_, times)
        missing = np.isnan(numeric)
        scaled = _scaled(numeric, self.center_, self.scale_, self.numeric)
        if self.numeric != "robust":  # not clipped: float32 must hold the values
            _within_float32(scaled, (self.numeric_columns_ if frame is None
                                     else frame.columns[self.numeric_columns_]).tolist(),
                            self.numeric)
        blocks = [scaled.astype(np.float32, copy=False),
                  missing[:, self.missing_columns_].astype(np.float32)]
        masses = getattr(self, "point_mass_columns_", ())  # absent: an older model
        if len(masses):
            dtypes = None if frame is None else frame.dtypes.to_numpy()
            given = (np.full(len(masses), X.dtype == np.float32) if frame is None else
                     np.array([_is_float32(dtypes[j])
                               for j in self.numeric_columns_[masses]], dtype=bool))
            blocks.append(_at_masses(numeric[:, masses], self.point_mass_values_,
                                     getattr(self, "point_mass_float32_", False), given))
        if self.one_hot_ is not None:
            blocks.append(self.one_hot_.transform(
                _categorical_block(frame, self.categorical_columns_,
                                   self.one_hot_.categories_,
                                   getattr(self, "_text_categories", None))))
        for j, edges in enumerate(getattr(self, "bin_edges_", ())):  # absent: older model
            if len(edges):
                blocks.append(_piecewise_linear(numeric[:, j], edges))
        pairs = getattr(self, "ratio_pairs_", ())  # absent: an older model
        if len(pairs):
            ratios = _log_ratios(numeric, pairs)
            blocks.append(_scaled(ratios, self.ratio_center_, self.ratio_scale_,
                                  self.numeric).astype(np.float32))
            blocks.extend(_piecewise_linear(ratios[:, j], edges)
                          for j, edges in enumerate(self.ratio_bin_edges_) if len(edges))
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, in order.

        A scaled column keeps its input's name; then ``<name>_missing`` (gap
        indicators), ``<name>_is_<value>`` (point masses), the one-hot columns
        (``<name>_<category>``), ``<name>_bin<t>`` (encodings), ``log(<a>/<b>)``
        (log-ratios) and ``log(<a>/<b>)_bin<t>``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            The input columns' names; default: ``feature_names_in_``, else ``x0``,
            ``x1``, ...

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self)
        names = np.asarray(_check_feature_names_in(self, input_features), dtype=object)
        numeric = names[self.numeric_columns_]
        out = list(numeric)
        out += [f"{numeric[j]}_missing" for j in self.missing_columns_]
        out += [f"{numeric[j]}_is_{v:g}" for j, v in zip(
            getattr(self, "point_mass_columns_", ()), getattr(self, "point_mass_values_", ()))]
        if self.one_hot_ is not None:
            out += list(self.one_hot_.get_feature_names_out(names[self.categorical_columns_]))
        out += [f"{numeric[j]}_bin{t}" for j, e in enumerate(getattr(self, "bin_edges_", ()))
                for t in range(max(len(e) - 1, 0))]
        ratios = [f"log({numeric[a]}/{numeric[b]})"
                  for a, b in getattr(self, "ratio_pairs_", ())]
        out += ratios
        out += [f"{ratios[j]}_bin{t}" for j, e in enumerate(getattr(self, "ratio_bin_edges_", ()))
                for t in range(max(len(e) - 1, 0))]
        return np.asarray(out, dtype=object)

    def output_sources(self):
        """The input column each output column is computed from, in output order.

        The transform reads a sample's row alone, so permuting the values of input
        column ``j`` across rows permutes the rows of the output columns whose source is
        ``j``, and nothing else. A log-ratio and its encoding come from two columns:
        their source is -1.

        Returns
        -------
        ndarray of int of shape (n_features_out_,)
        """
        check_is_fitted(self)
        numeric = self.numeric_columns_
        parts = [numeric, numeric[self.missing_columns_],
                 numeric[getattr(self, "point_mass_columns_", np.empty(0, int))]]
        if self.one_hot_ is not None:
            for j, categories, infrequent in zip(self.categorical_columns_,
                                                 self.one_hot_.categories_,
                                                 self.one_hot_.infrequent_categories_):
                width = len(categories) if infrequent is None else (
                    len(categories) - len(infrequent) + 1)
                parts.append(np.full(width, j))
        parts += [np.full(max(len(e) - 1, 0), numeric[j])
                  for j, e in enumerate(getattr(self, "bin_edges_", ()))]
        ratios = len(getattr(self, "ratio_pairs_", ())) + sum(
            max(len(e) - 1, 0) for e in getattr(self, "ratio_bin_edges_", ()))
        parts.append(np.full(ratios, -1))
        return np.concatenate(parts).astype(np.intp)

    def __sklearn_tags__(self):
        tags = table_input_tags(super().__sklearn_tags__())
        tags.transformer_tags.preserves_dtype = ["float32"]  # what the network reads
        return tags


def table_input_tags(tags):
    """``tags`` saying that ``X`` may be what the preprocessor reads: gaps (NaN),
    strings and categories."""
    tags.input_tags.allow_nan = True
    tags.input_tags.string = True
    tags.input_tags.categorical = True
    return tags


def is_tabular_frame(X):
    """Whether ``X`` is a DataFrame that only the preprocessor reads: one with a
    categorical column (strings, categories, bools), a date, a period or a duration."""
    return isinstance(X, pd.DataFrame) and any(  # the dtypes alone: no column is built
        _categorical_dtype(dtype) or _time_dtype(dtype) for dtype in X.dtypes
    )


def is_time(column):
    """Whether a DataFrame column holds dates (``datetime64``, any time zone; periods)
    or durations (``timedelta64``)."""
    return _time_dtype(column.dtype)


def table_dtype(dtype):
    """The dtype a table of numbers is read in before the recipe scales it: float32 stays
    float32, any other is read in float64 (the network reads float32 once the columns are
    scaled: in float32, epoch seconds lose their last digits before the centre is off)."""
    return np.float32 if dtype == np.float32 else np.float64


def _time_dtype(dtype):
    # pyarrow's durations (read_parquet(dtype_backend="pyarrow")) are of kind "m" only
    return (pd.api.types.is_datetime64_any_dtype(dtype)
            or isinstance(dtype, pd.PeriodDtype)
            or pd.api.types.is_timedelta64_dtype(dtype)
            or (isinstance(dtype, pd.ArrowDtype) and dtype.kind == "m"))


def is_text(column):
    """Whether a DataFrame column holds text (``object`` or a string dtype), as a CSV
    file's columns come."""
    return column.dtype == object or pd.api.types.is_string_dtype(column.dtype)


def _is_date(column):
    return (pd.api.types.is_datetime64_any_dtype(column.dtype)
            or isinstance(column.dtype, pd.PeriodDtype))


def _period_freq(column):
    """A period column's dtype's name (``"period[M]"``, ``"period[Q-DEC]"``), else None."""
    return column.dtype.name if isinstance(column.dtype, pd.PeriodDtype) else None


def as_periods(column, period, name):
    """A date, period or text column as periods of dtype ``period`` (its name,
    ``"period[M]"``): each value as the period that holds it (a date in UTC, text as
    ``pd.Period`` reads it, "2024Q1", "2024-03"); a ``ValueError`` naming column
    ``name`` when its values read as no period."""
    dtype = pd.api.types.pandas_dtype(period)
    if column.dtype == dtype:
        return column
    if isinstance(column.dtype, pd.PeriodDtype):  # another frequency: by its start
        column = column.dt.start_time
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return utc_naive(column).dt.to_period(dtype.freq)
    try:
        return pd.Series(pd.PeriodIndex(column.to_numpy(dtype=object), dtype=dtype),
                         index=column.index, name=column.name)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"X's column {name!r} held periods ({period}) in training; its values could "
            f"not be read as periods: {exc}"
        ) from None


_DAY = pd.Timedelta(days=1)


def as_days(column):
    """A date column as days since 1970-01-01 (UTC), a duration column as days;
    float64, ``NaT`` as NaN; a column of gaps alone (NaN, None: the empty cells of a
    CSV file's batch) as NaN, whatever its dtype."""
    if not is_time(column) and not column.notna().any():
        return np.full(len(column), np.nan)
    if _is_date(column):
        column = utc_naive(column) - pd.Timestamp("1970-01-01")
    return (column / _DAY).to_numpy(dtype=np.float64, na_value=np.nan)


def utc_naive(column):
    """A date column in UTC, without its time zone (a column without one as it is; a
    period column as its periods' starts)."""
    if isinstance(column.dtype, pd.PeriodDtype):  # a month reads as its first day
        return column.dt.start_time
    if isinstance(column.dtype, pd.ArrowDtype) and not pa_types().is_timestamp(
            column.dtype.pyarrow_dtype):  # pyarrow's dates (date32, date64): no time zone
        return column.astype("datetime64[ns]")
    if column.dt.tz is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return column


def pa_types():
    """``pyarrow.types`` (imported where a column is pyarrow-backed, so pyarrow is)."""
    import pyarrow.types

    return pyarrow.types


#: A date written with its day and month in a local order: 03/01/2024, 3.1.24, 03-01-2024.
LOCAL_DATE = r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{2}|\d{4})"

#: A span of dates, as pandas writes a week's period (``str(pd.Period("2024-01-01",
#: "W"))``: 2024-01-01/2024-01-07) and ISO 8601 writes an interval.
_DATE_SPAN = r"\s*(\d{4}-\d{2}-\d{2})/\d{4}-\d{2}-\d{2}\s*"


def text_dates(column):
    """A text column as dates, in UTC (``pd.to_datetime``, text without an offset read
    as UTC); a column of spans (2024-01-01/2024-01-07, a week's period as text) or of
    ``pd.Period`` objects as their starts, as a period column reads as its periods'
    starts (``to_datetime`` would read a span's end as a time-zone offset)."""
    values = column.dropna()
    if len(values) and isinstance(values.iloc[0], pd.Period):  # periods as objects
        return pd.to_datetime(column.map(
            lambda v: v.start_time if isinstance(v, pd.Period) else v), utc=True)
    text = values.astype(str)
    if len(text) and text.str.fullmatch(_DATE_SPAN).all():
        column = column.astype(str).str.extract(f"^{_DATE_SPAN}$", expand=False).where(
            column.notna())
    try:  # 2024-01-13, with or without a time and an offset: one reading alone
        return pd.to_datetime(column, utc=True, format="ISO8601")
    except (TypeError, ValueError):
        pass
    if len(text) and text.str.strip().str.fullmatch(LOCAL_DATE).all():
        # is 04/01/2021 the 4th of January or the 1st of April? Read value by value
        # (format="mixed"), 04/01 was April and 13/01 January in one column
        raise ValueError("dates with the day and the month in a local order")
    # one form for every value, pandas' guess from the first (a value in another form
    # is refused, where format="mixed" read each value in a form of its own)
    return pd.to_datetime(column, utc=True)


def read_time_text(column, name):
    """A text column (a CSV file's) read as dates (in UTC), else as durations; a
    ``ValueError`` naming column ``name`` when it reads as neither."""
    try:
        return text_dates(column)
    except (TypeError, ValueError):
        try:
            return pd.to_timedelta(column)
        except (TypeError, ValueError):
            raise _unread_time_text(column, name) from None


def _unread_time_text(column, name, what="dates or durations"):
    """The error (a :class:`RowError` where a value is at fault) for a text column
    ``name`` that held ``what`` in training and whose text reads as none: dates in a
    local order of day and month, or the first value that reads in neither ISO 8601 nor
    the form of its first value, whichever reads more of them (nor as a duration)."""
    rows = np.flatnonzero(column.notna().to_numpy())
    values = column.iloc[rows].astype(str)
    if what != "durations" and len(values) and values.str.strip().str.fullmatch(
            LOCAL_DATE).all():
        return ValueError(
            f"X's column {name!r} held dates in training; its text writes them with the "
            f"day and the month in a local order (e.g. {values.iloc[0]!r}: the day or the "
            "month first?), which is not read. Write them as ISO 8601 (2021-01-13), or "
            "read them yourself, e.g. pd.to_datetime(X[col], dayfirst=True).")
    unread = np.ones(len(values), dtype=bool)
    if what != "durations":  # ISO 8601 or the first value's form, whichever reads more
        iso = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
        with warnings.catch_warnings():  # pandas' "could not infer format"
            warnings.simplefilter("ignore", UserWarning)
            first = pd.to_datetime(values, errors="coerce", utc=True)
        unread &= min(iso.isna().to_numpy(), first.isna().to_numpy(), key=np.sum)
    if what != "dates":
        unread &= pd.to_timedelta(values, errors="coerce").isna().to_numpy()
    forms = {"dates": "dates as ISO 8601 (2021-01-13, 2021-01-13 10:30) or in one form",
             "durations": "durations as pandas reads them ('1 days 02:00:00', '90min')"}
    advice = " and ".join(v for k, v in forms.items() if k in what)
    if not unread.any():  # each value reads alone; not together (mixed forms)
        return ValueError(
            f"X's column {name!r} held {what} in training; its text reads so value by "
            f"value but not in one form. Write {advice}.")
    at = int(np.argmax(unread))
    none = {"dates": "no date", "durations": "no duration", "dates or durations": "neither"}
    return RowError(
        f"X's column {name!r} held {what} in training; its text {values.iloc[at]!r} in "
        "row ", int(rows[at]), f" reads as {none[what]}. Write {advice}.")


def _as_frame(X):
    """``X`` as a DataFrame: a DataFrame as it is, anything else through scikit-learn's
    ``check_array`` (2-D, dense, not complex, at least one sample and one feature; NaN
    and strings allowed); a polars DataFrame as the pandas one it reads as."""
    X = to_pandas(X)
    refuse_mappings(X)  # dicts and structured arrays, by what they are
    if not isinstance(X, pd.DataFrame):
        if hasattr(X, "dtype"):  # an array: its one dtype
            return pd.DataFrame(check_array(X, dtype=None, ensure_all_finite=False))
        # rows (lists) are read column by column, as pd.DataFrame(X) reads them: numpy
        # makes one array of strings of a row of numbers and text, whose numbers the
        # one-hot encoding would then read as categories
        return pd.DataFrame(check_array(X, dtype=object, ensure_all_finite=False)
                            ).infer_objects()
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"Found a table with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) "
            f"(shape={X.shape}) while a minimum of 1 of each is required."
        )
    repeated = X.columns[X.columns.duplicated()].unique()
    if len(repeated):
        counts = X.columns.value_counts()
        raise ValueError(
            "X's column names must be unique; repeated: "
            + ", ".join(f"{name!r} ({counts[name]} times)" for name in repeated) + "."
        )
    complex_columns = [c for c in X.columns if pd.api.types.is_complex_dtype(X[c].dtype)]
    if complex_columns:
        raise ValueError(f"Complex data not supported: X's column {complex_columns[0]!r}.")
    return X


def _column_kind(frame, j):
    """True for a categorical column. An object column holding only numbers (and gaps)
    is numeric; one mixing numbers and strings is refused, naming the first string, and
    so is one holding lists (or other containers)."""
    column = frame.iloc[:, j]
    nested = isinstance(column.dtype, pd.ArrowDtype) and pa_types().is_nested(
        column.dtype.pyarrow_dtype)  # pyarrow's lists and structs: refused as lists are
    if not _is_categorical(column) or (column.dtype != object and not nested):
        return _is_categorical(column)
    present = column.notna().to_numpy()
    values = column[present]
    kinds = values.map(_value_kind).to_numpy()  # one pass over the values

    def first(kind):  # the position in X and the value of the first value of ``kind``
        row = int(np.flatnonzero(kind)[0])
        return int(np.flatnonzero(present)[row]), values.iloc[row]

    if (kinds == "nested").any():
        position, value = first(kinds == "nested")
        raise ValueError(
            f"X's column {frame.columns[j]!r} holds {type(value).__name__}s (row "
            f"{position}: {value!r}); a feature column holds one number, category or date "
            "a row. Expand it into columns of their own (for tags, MultiLabelBinarizer's "
            "0/1 columns)."
        )
    numbers = kinds == "number"
    if numbers.all():
        return False
    if numbers.any():
        position, value = first(~numbers)
        raise ValueError(
            f"X's column {frame.columns[j]!r} mixes numbers and strings: row {position}, "
            f"column {frame.columns[j]!r} holds {value!r}; expected numbers or "
            "categories in one column, not both."
        )
    return True


def _value_kind(value):
    """``"number"`` for any real number (a Decimal, a Fraction, numpy's; not a bool),
    ``"nested"`` for a list or another container, else ``"other"``."""
    if isinstance(value, (Number, np.number)) and not isinstance(
            value, (bool, np.bool_, complex, np.complexfloating)):
        return "number"
    if isinstance(value, (list, tuple, set, frozenset, dict, np.ndarray)):
        return "nested"
    return "other"


#: Share of a text column's values that read as numbers from which the others are taken
#: for placeholders of missing values (a "?", "n/a." or "-" among measurements).
_NUMBERS_AS_TEXT = 0.9


#: A number written with commas between groups of three digits ("1,234", "-12,500.5").
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"


def _warn_numbers_as_text(frame, columns):
    """Warn once for the text columns among ``columns`` whose values nearly all read as
    numbers: the few others ("?", "-") are most likely gaps, yet the whole column is
    one-hot encoded as categories. Numbers written with thousands separators ("1,234",
    as a spreadsheet exports them) count as numbers, and the warning says how to read
    them (they read as none, so such a column became categories without a word)."""
    found, grouped = {}, {}
    for j in columns:
        column = frame.iloc[:, j]
        if not is_text(column):
            continue
        counts = column.dropna().astype(str).value_counts()
        if counts.empty:
            continue
        values = pd.Series(counts.index)
        numeric = pd.to_numeric(values, errors="coerce").notna().to_numpy()
        separated = values.str.fullmatch(_GROUPED).to_numpy(dtype=bool)
        share = counts.to_numpy()[numeric | separated].sum() / counts.sum()
        name = frame.columns[j]
        if separated.any() and share >= _NUMBERS_AS_TEXT:
            grouped[name] = list(counts.index[separated][:2])
        elif _NUMBERS_AS_TEXT <= share < 1:
            found[name] = list(counts.index[~numeric][:3])
    if found:
        shown = "; ".join(f"{name!r} (besides numbers: {tokens})"
                          for name, tokens in found.items())
        warnings.warn(
            f"X's text column(s) {shown} hold numbers written as text but for a few "
            "values, and are one-hot encoded as categories. Where those values mark "
            "missing ones, read the column as numbers: X[col] = pd.to_numeric(X[col], "
            "errors='coerce').",
            UserWarning,
            stacklevel=3,
        )
    if grouped:
        shown = "; ".join(f"{name!r} ({tokens})" for name, tokens in grouped.items())
        warnings.warn(
            f"X's text column(s) {shown} hold numbers written with thousands separators, "
            "and are one-hot encoded as categories. Read them as numbers: "
            "pd.read_csv(..., thousands=','), or X[col] = pd.to_numeric("
            "X[col].str.replace(',', ''), errors='coerce') (on the command line: "
            "--thousands ,).",
            UserWarning,
            stacklevel=3,
        )


def _is_categorical(column):
    return _categorical_dtype(column.dtype)


def _categorical_dtype(dtype):
    if isinstance(dtype, pd.PeriodDtype):  # of kind "O", yet dates: read as days
        return False
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
        return True
    if isinstance(dtype, pd.ArrowDtype) and pd.api.types.is_numeric_dtype(dtype):
        # pyarrow's decimals (read_parquet(dtype_backend="pyarrow") of a database's
        # prices) are of kind "O", yet numbers; pyarrow's bool is of kind "b"
        return dtype.kind == "b"
    return getattr(dtype, "kind", "O") in _CATEGORICAL_KINDS


#: The dtypes of a date column read from text (in UTC) and of a duration column.
_TIME_DTYPES = {True: "datetime64[ns, UTC]", False: "timedelta64[ns]"}


def _dates_of_objects(frame):
    """``frame`` with each object column that holds dates alone (``datetime.date`` and
    ``datetime`` objects, as ``read_parquet`` and ``Series.dt.date`` give them) read as
    dates, in UTC, each that holds ``pd.Period`` objects alone read as periods, each of
    durations alone (``datetime.timedelta`` and ``pd.Timedelta`` objects, as
    ``Series.dt.to_pytimedelta`` gives them) read as durations, and each of times of day
    (``datetime.time`` objects, pyarrow's ``time64``) read as durations since midnight;
    at prediction :func:`read_times` reads them as it reads text. The caller's frame is
    left as it is."""
    parsed = {}
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if is_time_of_day(column):
            parsed[j] = since_midnight(column)
            continue
        if column.dtype != object:
            continue
        values = column.dropna()
        if (len(values) and isinstance(values.iloc[0], datetime.date)  # most are not
                and values.map(lambda v: isinstance(v, datetime.date)).all()):
            parsed[j] = pd.to_datetime(column, utc=True)
        elif (len(values) and isinstance(values.iloc[0], datetime.timedelta)
                and values.map(lambda v: isinstance(v, datetime.timedelta)).all()):
            parsed[j] = pd.to_timedelta(column)  # durations, not one category each
        elif (len(values) and isinstance(values.iloc[0], pd.Period)
                and values.map(lambda v: isinstance(v, pd.Period)).all()):
            # periods that lost their dtype (a concat, an apply): periods again where
            # they share a frequency, else the dates they start on
            try:
                parsed[j] = as_periods(column, f"period[{values.iloc[0].freqstr}]",
                                       frame.columns[j])
            except ValueError:
                parsed[j] = pd.to_datetime(column.map(
                    lambda v: v.start_time if isinstance(v, pd.Period) else pd.NaT))
    return _with_columns(frame, parsed)


def is_time_of_day(column):
    """Whether a DataFrame column holds times of day: pyarrow's ``time32`` and
    ``time64`` (``read_parquet(dtype_backend="pyarrow")``), ``datetime.time`` objects
    alone (``read_parquet``'s default, a polars ``Time`` column)."""
    if isinstance(column.dtype, pd.ArrowDtype):
        return pa_types().is_time(column.dtype.pyarrow_dtype)
    if column.dtype != object:
        return False
    values = column.dropna()
    return bool(len(values) and isinstance(values.iloc[0], datetime.time)  # most are not
                and values.map(lambda v: isinstance(v, datetime.time)).all())


def since_midnight(column):
    """A column of times of day as durations since midnight (``timedelta64``, a gap as
    ``NaT``); a time's zone, where it has one, is not read, as ``pd.to_timedelta`` reads
    the same time given as text ("10:30:00")."""
    return pd.to_timedelta(column.astype(object).map(
        lambda t: pd.NaT if pd.isna(t) else datetime.timedelta(
            hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)))


def _with_columns(frame, columns):
    """``frame`` with the columns at the positions of ``columns`` (``{position:
    values}``) replaced, in a shallow copy: the caller's frame is left as it is."""
    if not columns:
        return frame
    frame = frame.copy(deep=False)
    for j, values in columns.items():
        frame.isetitem(j, values)
    return frame


def read_times(frame, columns, dates, periods=()):
    """``frame`` with its date and duration columns (positions ``columns``, ``dates``
    flagging the dates) read as such where they come as text (a CSV file's), and as
    gaps (``NaT``) where they hold gaps alone (NaN, None: a batch of empty cells, which
    ``read_csv`` reads as numbers); the caller's frame is left as it is. ``periods``
    (the frequency of each column that held periods in training, else None; empty: none
    did) has those columns read as periods of that frequency, whatever they hold."""
    parsed = {}
    for j, date, freq in zip(columns, dates, list(periods) or [None] * len(columns)):
        column = frame.iloc[:, j]
        what = "dates" if date else "durations"
        if not date and is_time_of_day(column):  # as in fit: the time since midnight
            parsed[j] = since_midnight(column)
            continue
        # gaps alone, whatever their dtype: a batch of rows (X.to_numpy()) whose only
        # value in a duration column is NaT, which pandas reads as a date
        if not column.notna().any():
            parsed[j] = pd.Series(pd.NaT, index=column.index, dtype=_TIME_DTYPES[date])
            continue
        if is_time(column):
            if _is_date(column) != date:  # a date where a duration was, or back
                raise ValueError(
                    f"X's column {frame.columns[j]!r} held {what} in training but holds "
                    f"{column.dtype} values; expected {what}."
                )
            if freq is not None:  # as in training: a date as the period that holds it
                parsed[j] = as_periods(column, freq, frame.columns[j])
            continue
        if freq is not None and is_text(column):  # "2024Q1", "2024-03", Period objects
            parsed[j] = as_periods(column, freq, frame.columns[j])
            continue
        if not is_text(column):
            raise ValueError(
                f"X's column {frame.columns[j]!r} held {what} in training but holds "
                f"{column.dtype} values; expected {what} (or text that reads as {what})."
            )
        try:
            parsed[j] = (text_dates(column) if date
                         else pd.to_timedelta(column))
        except (TypeError, ValueError):
            raise _unread_time_text(column, frame.columns[j], what) from None
    return _with_columns(frame, parsed)


def _refuse_times(frame, columns):
    """A ``ValueError`` naming the first of the numeric columns at ``columns`` (numbers in
    training) that holds dates, periods or durations: read as numbers they would be
    nanoseconds (since 1970), some 1e18 away from the training values."""
    dtypes = frame.dtypes.to_numpy()  # (not frame.iloc a column at a time: 20x slower)
    for j in columns:
        dtype = dtypes[j]
        if _time_dtype(dtype):
            raise ValueError(
                f"X's column {frame.columns[j]!r} held numbers in training but holds "
                f"{dtype} values; expected numbers. Convert the column as the training "
                "table's was (e.g. days as numbers), or fit on the dates or durations "
                "themselves."
            )


def _numeric_block(frame, columns, times=()):
    """The numeric columns (input positions ``columns``) as float64; those at
    ``times`` are dates or durations, read as days."""
    if not len(columns):
        return np.empty((len(frame), 0))
    block = frame.iloc[:, columns]
    values = None
    if not len(times) and not any(dtype.kind == "O" for dtype in block.dtypes):
        try:
            values = block.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError, OverflowError):
            pass  # read again a column at a time, which names the column and the row
    if values is None:
        # a column at a time: dates and durations as days, the others as numbers; an
        # object column's gaps (None, pd.NA, NaT) as NaN (a table's to_numpy converts
        # them before it fills its gaps)
        values = np.column_stack([as_days(frame.iloc[:, j]) if j in times
                                  else _as_numbers(frame, j) for j in columns])
    return _finite(values, block.columns)


def _as_numbers(frame, j):
    """Column ``j`` of ``frame`` as float64, a gap as NaN; a ``ValueError`` naming the
    column and the row of its first value that does not read as a number."""
    column = frame.iloc[:, j]
    try:
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError, OverflowError) as exc:
        bad = next(((row, value) for row, value in enumerate(column.tolist())
                    if not reads_as_number(value)), None)
        if bad is None:
            raise ValueError(f"X's numeric column {frame.columns[j]!r} could not be read "
                             f"as numbers: {exc}") from None
        shown = repr(bad[1]) if len(repr(bad[1])) <= 60 else repr(bad[1])[:57] + "..."
        name = frame.columns[j]
        raise RowError(
            f"X's numeric column {name!r} could not be read as numbers: row ", bad[0],
            f", column {name!r} holds {shown}, not a number; expected numbers, or gaps "
            f"(NaN, None) for missing values ({exc})."
        ) from None


def _finite(values, names):
    """``values`` (float64), refused with the row and column (``names``) of its first
    infinite value."""
    if np.isinf(values).any():
        row, col = np.argwhere(np.isinf(values))[0]
        raise RowError(
            "X holds an infinite value at row ", int(row), f", column {names[col]!r}; "
            "expected finite numbers or NaN (missing)."
        )
    return values


def _within_float32(values, names, how):
    """``values`` (the numeric columns scaled as ``how`` says, float64, not clipped)
    refused with the row and column (``names``) of the first one beyond float32's range,
    the output's, where it would be infinite."""
    beyond = np.abs(values) > np.finfo(np.float32).max
    if beyond.any():
        row, col = np.argwhere(beyond)[0]
        kept = ("keeps values as they are" if how == "passthrough"
                else "scales it by the training values' spread")
        raise RowError(
            "X holds a value beyond float32's range at row ", int(row),
            f", column {names[col]!r} ({values[row, col]:g} once preprocessed); "
            f"numeric={how!r} {kept} and the output is float32 (at most ±3.4e+38). "
            "Rescale the column, or use numeric='robust', which clips it."
        )


class RowError(ValueError):
    """A ``ValueError`` about row ``row`` of the table transformed, its message
    ``before``, the row, ``after``. Rows transformed a batch at a time (prediction's)
    are numbered from the batch's first: :meth:`at` numbers the row from the table's
    first."""

    def __init__(self, before, row, after):
        super().__init__(f"{before}{row}{after}")
        self.before, self.row, self.after = before, row, after

    def __reduce__(self):  # pickled (from a joblib worker) with its three parts
        return type(self), (self.before, self.row, self.after)

    def at(self, start, note=""):
        """The error of the same row, numbered from ``start`` rows further up (with
        ``note`` after the number: where else the row is)."""
        return RowError(self.before, self.row + start, note + self.after)


def _categorical_block(frame, columns, categories=None, text=None):
    """The categorical columns as strings, a gap as ``"<missing>"``. With the fitted
    ``categories`` (one array a column), a value written otherwise than in training takes
    the spelling it had there: a bool column given as 0/1 (or as text: "1", "true",
    "TRUE"), a category of integer codes given as floats (``2.0`` for ``2``, or "2.0"),
    codes given as bools. ``text`` (a bool a column): the columns that held text in
    training, whose text values are read as written (a code "007" is not "7")."""
    block = frame.iloc[:, columns].astype(object)
    # One spelling of missing (None), sorted with the other categories as a string.
    raw = block.to_numpy()
    values = np.where(pd.isna(raw), "<missing>", raw.astype(str))
    for j, known in enumerate(() if categories is None else categories):
        # a gap stays one; the others compared among themselves only: pd.NA (a nullable
        # column's gap) compares to no bool
        unknown = np.flatnonzero(~np.isin(values[:, j], known) & ~pd.isna(raw[:, j]))
        for value in set(raw[unknown, j].tolist()):  # few: the rows' distinct values
            if isinstance(value, str) and text is not None and text[j]:
                continue
            spelling = next((s for s in _spellings(value) if s in known), None)
            if spelling is not None:
                values[unknown[raw[unknown, j] == value], j] = spelling
    return values


def _holds_text(column):
    """Whether a categorical column's values (its categories) include text."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = pd.Series(column.cat.categories)
    kind = pd.api.types.infer_dtype(column, skipna=True)  # (no Python loop over rows)
    return kind == "string" or (kind.startswith("mixed") and any(
        isinstance(value, str) for value in column.dropna()))


def _spellings(value):
    """Other spellings of a category's value: a number (or bool) as an integer, a float
    and, for 0 and 1, a bool; text that reads as a number (a CSV file's "1", "2.0") or a
    bool ("true", "FALSE", as other tools write them) as that number or bool."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):  # the bool's own spelling first
            flag = text.lower() == "true"
            return (str(flag), *_spellings(flag))
        if "_" in text:  # float() reads "1_000"; a category's text is not a literal
            return ()
        try:
            number = float(text)
        except ValueError:
            return ()
        return _spellings(number) if np.isfinite(number) else ()
    if not isinstance(value, (bool, int, float, np.number)):
        return ()
    spellings = [repr(float(value)), str(float(value))]
    if float(value).is_integer():
        spellings.insert(0, str(int(value)))
        if value in (0, 1):
            spellings.append(str(bool(value)))
    return spellings


def _center_scale(values, how):
    n_cols = values.shape[1]
    if how == "passthrough" or not n_cols:
        # a column without a value in training is scaled by infinity, as in the other
        # modes: whatever it holds later reads as 0, as it did in training
        return np.zeros(n_cols), np.where((~np.isnan(values)).any(axis=0), 1.0, np.inf)
    center, scale, overflow = _center_scale_of(values, how)
    if overflow.any():
        # values near float64's limit overflow the sums, squares and differences taken
        # (the standard deviation of [0, 1e160], the quartiles of ±1e308): those columns
        # again, divided by a power of two that brings their largest value near 1 (which
        # loses no digit), their centre and scale multiplied back
        with np.errstate(all="ignore"):
            power = 2.0 ** np.floor(np.log2(np.nanmax(np.abs(values[:, overflow]), axis=0)))
            c, s, _ = _center_scale_of(values[:, overflow] / power, how)
            center[overflow] = c * power
            scale[overflow] = np.nan_to_num(s * power)  # a spread beyond float64: its max
    return center, scale


def _center_scale_of(values, how):
    """Per column, the centre and scale (``how``: "robust" or "standard"), and whether
    the values overflowed in the computing (the column has a value, and a statistic taken
    on the way is not finite). A column without a value is centred at 0 and scaled by
    infinity: the network never saw it vary, so any value it holds later reads as 0, as
    in training (scikit-learn's ``SimpleImputer`` drops such a column)."""
    present = (~np.isnan(values)).any(axis=0)
    if present.all():
        return _center_scale_of_present(values, how)
    # numpy warns of an all-NaN column; those are left out rather than silenced with
    # warnings.catch_warnings, which swaps the process's filters: fits in threads
    # (GridSearchCV under the threading backend) left RuntimeWarning ignored for good.
    n_cols = values.shape[1]
    center, scale = np.zeros(n_cols), np.full(n_cols, np.inf)
    overflow = np.zeros(n_cols, dtype=bool)
    if present.any():
        c, s, o = _center_scale_of_present(values[:, present], how)
        center, scale = center.astype(c.dtype), scale.astype(s.dtype)
        center[present], scale[present], overflow[present] = c, s, o
    return center, scale, overflow


def _center_scale_of_present(values, how):
    """:func:`_center_scale_of` of columns that each hold at least one value."""
    with np.errstate(all="ignore"):
        if how == "standard":
            mean = np.nanmean(values, axis=0)
            std = np.nanstd(values, axis=0)
            overflow = ~(np.isfinite(mean) & np.isfinite(std))
            center = np.nan_to_num(mean)
            scale = np.nan_to_num(std)
            return center, np.where(scale > 0, scale, 1.0), overflow
        q05, q25, q50, q75, q95 = np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        spread = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
        iqr, wide = q75 - q25, (q95 - q05) / 2
    overflow = ~np.isfinite([q05, q50, q95, iqr, wide]).all(axis=0)
    center = np.nan_to_num(q50)
    scale = np.nan_to_num(iqr)
    scale = np.where(scale > 0, scale, np.nan_to_num(wide))
    # a (nearly) constant column: spread of its extremes, else 1
    overflow |= (scale <= 0) & ~np.isfinite(spread)
    spread = np.nan_to_num(spread)
    scale = np.where(scale > 0, scale, np.where(spread > 0, spread / 2, 1.0))
    return center, scale, overflow


#: Beyond this size a centred and scaled value softly clips to ±3 to float64's precision
#: (``(x / 3)²`` would overflow beyond about 1e154). A number float32 holds: the ONNX
#: graph stores it as one, where 1e100 became infinity, and a value beyond float32's
#: range (infinite in the graph's float32 input) then scaled to NaN, not ±3.
_CLIPPED = 1e30


def _scaled(values, center, scale, how):
    """Numeric values centred, scaled and (``how="robust"``) softly clipped; missing
    values become 0."""
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (values - center) / scale
        over = np.isinf(scaled)  # values near float64's limit: the difference overflowed
        if over.any():
            scaled = np.where(over, values / scale - center / scale, scaled)
        if how == "robust":
            clipped = scaled / np.sqrt(1.0 + (scaled / 3.0) ** 2)
            scaled = np.where(np.abs(scaled) > _CLIPPED, 3.0 * np.sign(scaled), clipped)
    scaled[np.isnan(values)] = 0.0
    return scaled


#: Most numeric columns whose pairwise log-ratios ``TabularPreprocessor(ratios=True)``
#: adds (28 ratios).
_MAX_RATIO_COLUMNS = 8


def _ratio_pairs(values, exclude=None):
    """Pairs (numerator, denominator) of the columns whose non-missing values are all
    positive, with at least three distinct values (and not in ``exclude``, a flag per
    column): the ``_MAX_RATIO_COLUMNS`` with the most distinct values (the earlier column
    on a tie), each pair once, in column order."""
    columns, n_distinct = [], []
    for j in range(values.shape[1]):
        if exclude is not None and exclude[j]:
            continue
        column = values[:, j][~np.isnan(values[:, j])]
        if len(column) and column.min() > 0:
            distinct = len(np.unique(column))
            if distinct >= 3:
                columns.append(j)
                n_distinct.append(distinct)
    order = np.argsort(-np.asarray(n_distinct), kind="stable")[:_MAX_RATIO_COLUMNS]
    columns = np.sort(np.asarray(columns, dtype=np.intp)[order])
    pairs = [(a, b) for i, a in enumerate(columns) for b in columns[i + 1:]]
    return np.asarray(pairs, dtype=np.intp).reshape(-1, 2)


def _log_ratios(values, pairs):
    """``log(a / b)`` per pair, (n_samples, n_pairs); NaN where either value is
    missing or not positive."""
    if not len(pairs):
        return np.empty((len(values), 0))
    with np.errstate(all="ignore"):
        logs = np.log(np.where(values > 0, values, np.nan))
    return logs[:, pairs[:, 0]] - logs[:, pairs[:, 1]]


def _point_masses(values, share):
    """Positions and values of the columns' point masses: per column of at least three
    distinct values, its most frequent value (more frequent than any other) where it is
    the column's lowest or highest and holds at least ``share`` of the non-missing
    values."""
    columns, masses = [], []
    n_columns = values.shape[1] if share is not None else 0  # share=None: no indicators
    for j in range(n_columns):
        column = values[:, j][~np.isnan(values[:, j])]
        least = share * len(column)
        if not len(column) or ((column == column.min()).sum() < least
                               and (column == column.max()).sum() < least):
            continue  # neither end holds the share (most columns): no sort needed
        distinct, counts = np.unique(column, return_counts=True)
        if len(distinct) < 3:  # a constant or binary column: its own indicator
            continue
        top = int(np.argmax(counts))
        strict = np.count_nonzero(counts == counts[top]) == 1  # a tie is no mass
        if strict and top in (0, len(distinct) - 1) and counts[top] >= least:
            columns.append(j)
            masses.append(distinct[top])
    return np.asarray(columns, dtype=np.intp), np.asarray(masses, dtype=np.float64)


def _at_masses(values, masses, in_float32=False, given_float32=False):
    """0/1 indicators (float32) of ``values`` (columns) at their point ``masses``.

    A mass found in a float32 column (``in_float32``, per column) is compared in float32,
    whatever the precision the values come in. One found in float64 is compared exactly
    (epoch seconds a second apart, 0 and 1e-50, stay apart), or as a float32 column holds
    it where the column comes in float32 (``given_float32``, per column): 2.3 is
    float32's 2.3 there, as in the ONNX graph, whose inputs are float32. (A float64 value
    that float32 rounds to the mass is another value: 1_700_000_000 is not a mass at
    1_700_000_001.)
    """
    rounded = values.astype(np.float32) == masses.astype(np.float32)
    return np.where(in_float32 | np.asarray(given_float32), rounded,
                    values == masses).astype(np.float32)


def _is_float32(dtype):
    """Whether a DataFrame column of ``dtype`` holds float32 (numpy's, pandas' nullable
    ``Float32``, pyarrow's ``float``)."""
    return getattr(dtype, "numpy_dtype", dtype) == np.float32


def _bin_edges(values, n_bins):
    """Per column, its distinct training quantiles at ``n_bins`` equal steps (an empty
    array for a column of fewer than three distinct values or left with fewer than two
    bins, and when ``n_bins`` is below 2)."""
    edges = []
    for j in range(values.shape[1]):
        column = values[:, j][~np.isnan(values[:, j])]
        if n_bins < 2 or len(np.unique(column)) < 3:  # nothing a bin would add
            edges.append(np.empty(0))
            continue
        e = np.unique(np.quantile(column, np.linspace(0.0, 1.0, n_bins + 1)))
        edges.append(e if len(e) > 2 else np.empty(0))
    return edges


def _piecewise_linear(x, edges):
    """The encoding of one column over ``edges``: (n_samples, len(edges) - 1) in
    [-1, 1], zeros where ``x`` is missing."""
    with np.errstate(invalid="ignore"):
        z = np.clip((x[:, None] - edges[None, :-1]) / np.diff(edges)[None, :], 0.0, 1.0)
    z = 2.0 * z - 1.0
    z[np.isnan(x)] = 0.0
    return z.astype(np.float32)
