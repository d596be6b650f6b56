"""Polars DataFrames and Series, read as pandas ones and written back.

The estimators, the encoder and the metrics read a table column by column: its names,
dtypes, categories and gaps. A polars object is converted to pandas where it comes in,
column by column (no pyarrow needed), with the same names, dtypes and gaps; an encoder
fitted on a polars DataFrame writes its predictions back as one, in the dtypes it was
fitted on: polars in, polars out, as pandas in, pandas out. polars is never imported
unless the data are polars objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._optional import import_optional


def is_polars(obj):
    """Whether ``obj`` is a polars object (DataFrame, Series, LazyFrame)."""
    module = type(obj).__module__
    return module == "polars" or module.startswith("polars.")


def has_positional_names(columns):
    """Whether ``columns`` are the names polars gives the columns of a frame made from a
    numpy array or from rows (``pl.from_numpy(P)``): ``column_0``, ``column_1``, ... in
    order. Such names stand for positions, where a pandas frame made so has 0, 1, ..."""
    names = [str(c) for c in columns]
    return bool(names) and names == [f"column_{i}" for i in range(len(names))]


def to_pandas(obj, what="X", *, labels=False):
    """A polars DataFrame as a pandas DataFrame, a polars Series as a pandas Series;
    anything else as it is. ``what`` names the argument in the error on a LazyFrame.

    With ``labels``, an integer or boolean column with nulls becomes a pandas nullable
    column (``Int64``, ``boolean``...), so that its classes stay integers or booleans;
    features take NaN there, as the preprocessing reads numbers."""
    if not is_polars(obj):
        return obj
    import polars as pl

    if isinstance(obj, pl.Series):
        return _column(obj, labels)
    if isinstance(obj, pl.DataFrame):
        index = pd.RangeIndex(obj.height)
        return pd.DataFrame({name: _column(obj[name], labels) for name in obj.columns},
                            index=index)
    check_not_lazy(obj, what)
    return obj


def check_not_lazy(obj, what="X"):
    """Refuse a polars LazyFrame, naming the argument ``what``: its rows are a query
    plan, which scikit-learn's checks read as one scalar ("Expected 2D array, got
    scalar array")."""
    if is_polars(obj) and type(obj).__name__ == "LazyFrame":
        raise TypeError(
            f"{what} is a polars LazyFrame, whose rows are not computed yet; pass "
            f"{what}.collect(), a polars DataFrame."
        )


def _column(series, labels=False):
    """One polars Series as the pandas Series a pandas user would have: numbers as
    numpy numbers (an integer column with nulls as floats, nulls as NaN, or with
    ``labels`` as a nullable integer column), booleans as ``bool`` (with nulls: objects,
    ``None``, or with ``labels`` a nullable ``boolean`` column), categories as a pandas ``category``
    (an ``Enum``'s categories in their declared order), dates and durations as
    ``datetime64``/``timedelta64`` (a time zone kept), 128-bit integers as 64-bit ones
    (Python integers where they do not fit), anything else as objects."""
    import polars as pl

    dtype, name = series.dtype, series.name
    if type(dtype).__name__ in ("Int128", "UInt128"):  # numpy, pandas: no 128-bit ints
        series = _narrowed(series)
        dtype = series.dtype
        if dtype == pl.Object:  # beyond 64 bits: Python integers, as pandas holds them
            return pd.Series(series.to_list(), name=name, dtype=object)
    if isinstance(dtype, pl.Enum):
        return pd.Series(pd.Categorical(series.cast(pl.String).to_list(),
                                        categories=list(dtype.categories)), name=name)
    if isinstance(dtype, pl.Categorical):
        return pd.Series(series.cast(pl.String).to_list(), name=name, dtype="category")
    if labels and series.null_count() and (dtype.is_integer() or dtype == pl.Boolean):
        nullable = "boolean" if dtype == pl.Boolean else type(dtype).__name__  # Int64...
        return pd.Series(series.to_list(), name=name, dtype=nullable)
    if dtype.is_numeric() or dtype.is_temporal():
        out = pd.Series(series.to_numpy(), name=name)
        zone = getattr(dtype, "time_zone", None)
        if zone is not None:  # numpy holds the instants in UTC, without their zone
            out = out.dt.tz_localize("UTC").dt.tz_convert(zone)
        return out
    if dtype == pl.Boolean and not series.null_count():
        return pd.Series(series.to_numpy(), name=name, dtype=bool)
    return pd.Series(series.to_list(), name=name, dtype=object)


def _narrowed(series):
    """A 128-bit integer Series as an Int64 (or UInt64) one where its values fit, else as
    Python integers (``Object``): no value is truncated or made a float."""
    import polars as pl

    for narrow in (pl.Int64, pl.UInt64):
        try:
            return series.cast(narrow, strict=True)
        except pl.exceptions.PolarsError:
            continue
    return pl.Series(series.name, series.to_list(), dtype=pl.Object)


def polars_dtypes(obj):
    """The dtypes of a polars DataFrame's columns as ``{column: spec}``, each spec plain
    data (a dtype's name, or a list for a parametrised one: ``["Enum", categories]``,
    ``["List", inner]``, ``["Datetime", unit, zone]``, ``["Duration", unit]``,
    ``["Decimal", precision, scale]``), which a
    saved model stores as JSON; None for anything but a polars DataFrame."""
    if not is_polars(obj):
        return None
    import polars as pl

    if not isinstance(obj, pl.DataFrame):
        return None
    return {name: _dtype_spec(dtype) for name, dtype in obj.schema.items()}


def _dtype_spec(dtype):
    import polars as pl

    if isinstance(dtype, pl.Enum):
        return ["Enum", [str(c) for c in dtype.categories]]
    if isinstance(dtype, (pl.List, pl.Array)):
        return ["List", _dtype_spec(dtype.inner)]
    if isinstance(dtype, pl.Datetime):
        return ["Datetime", dtype.time_unit, dtype.time_zone]
    if isinstance(dtype, pl.Duration):
        return ["Duration", dtype.time_unit]
    if isinstance(dtype, pl.Decimal):
        return ["Decimal", dtype.precision, dtype.scale]
    return type(dtype).__name__ if isinstance(dtype, pl.DataType) else str(dtype)


def _dtype(spec):
    """The polars dtype of a :func:`polars_dtypes` spec; None for one it cannot rebuild."""
    import polars as pl

    if isinstance(spec, str):
        dtype = getattr(pl, spec, None)
        return dtype if isinstance(dtype, type) and issubclass(dtype, pl.DataType) else None
    kind, *args = spec
    if kind == "Enum":
        return pl.Enum(args[0])
    if kind == "List":
        inner = _dtype(args[0])
        return None if inner is None else pl.List(inner)
    if kind == "Datetime":
        return pl.Datetime(*args)
    if kind == "Duration":
        return pl.Duration(*args)
    if kind == "Decimal":
        return pl.Decimal(*args)
    return None


def to_polars(frame, dtypes):
    """The pandas DataFrame ``frame`` (the encoder's output) as a polars DataFrame whose
    columns have the dtypes ``dtypes`` describes (:func:`polars_dtypes` of the frame the
    encoder was fitted on); gaps (NaN, ``None``, ``pd.NA``) are nulls, label sets lists.
    A column whose values its fitted dtype cannot hold exactly keeps the dtype polars
    infers: no value is turned into a null or truncated."""
    pl = import_optional(
        "polars", feature="An encoder fitted on a polars DataFrame (polars out)"
    )

    columns = []
    for name in frame.columns:
        column = pl.Series(str(name), [_cell(v) for v in frame[name].tolist()])
        spec = dtypes.get(name)
        dtype = None if spec is None else _dtype(spec)
        if dtype is not None:
            try:  # only a cast that changes no value (a float is not truncated)
                cast = column.cast(dtype)
                if cast.cast(column.dtype).equals(column):
                    column = cast
            # (TypeError: a dtype that needs parameters, as a model saved before stored
            # a Decimal's name alone)
            except (pl.exceptions.PolarsError, TypeError):
                pass
        columns.append(column)
    return pl.DataFrame(columns)


def _cell(value):
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    return None if pd.isna(value) else value
