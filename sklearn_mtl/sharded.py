"""Data larger than one machine's memory: sharded Parquet read lazily with pyarrow.

:class:`ParquetShards` describes features and labels stored as Parquet files (a
directory, a glob's worth of files, or any ``pyarrow.dataset.Dataset``). A
:class:`~sklearn_mtl.MultiTaskClassifier` fits on it directly, ``clf.fit(shards)``:

- the label columns alone are read up front, every row of them (they are a few columns
  among many features), to fit the schema (the declared one with ``tasks=``) and the
  statistics of the labels, as in memory;
- the preprocessing (``preprocessing=``, the recipe's by default) is fitted on a seeded
  sample of the rows, as a memory-mapped table's is;
- the features are read one row group at a time, in a shuffled order each epoch, and
  preprocessed, and each row group's labels are encoded with that schema, as it is read;
- under ``data_parallel=True`` every process reads its own row groups (a different
  share each epoch), taking the same number of steps (a process whose share is shorter
  wraps around, as ``DistributedSampler`` pads).

:func:`predict_shards` predicts over the same kind of source in batches and writes one
Parquet file of predictions per input file, process by process under ``torchrun``.

Needs ``pyarrow`` (``pip install sklearn-mtl[distributed]``).
"""

from __future__ import annotations

import glob
import os
import re

import numpy as np
import pandas as pd
import torch

from ._optional import import_optional
from .neural._preprocessing import (
    RowError,
    _as_numbers,
    _finite,
    _with_columns,
    as_days,
    is_time,
    is_time_of_day,
    since_midnight,
    table_dtype,
)

__all__ = ["ParquetShards", "predict_shards"]


def _world():
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class ParquetShards:
    """Features and labels in Parquet files, read lazily, row group by row group.

    Parameters
    ----------
    source : str, path, list of paths or pyarrow.dataset.Dataset
        A directory or file(s) of Parquet files (``pyarrow.dataset.dataset(source,
        format="parquet")``), a glob pattern of local files (``"data/*.parquet"``,
        expanded in sorted order; a folder it matches gives its files, and names
        starting with ``'_'`` or ``'.'`` are skipped, as in a folder), or a dataset of
        Parquet files already opened. A source where no Parquet file is found (a path
        that does not exist, a pattern that matches nothing, an empty folder or one of
        files of another format) raises ``FileNotFoundError`` naming it; a dataset of
        another format (``pyarrow.dataset.dataset(folder, format="csv")``) or of a table
        in memory, a ``ValueError`` naming it. Every file must hold the ``features``
        and ``targets`` columns: one that a file lacks is refused naming the file (the
        first file's where pyarrow took the data's columns from it).
    features : list of str
        The feature columns (numbers), in the model's order.
    targets : list of str, default=None
        The label columns, one per task (a multilabel task as a column of lists); the
        labels are what a DataFrame ``Y`` of these columns holds. ``None`` for data to
        predict only.
    batch_rows : int, default=65536
        Rows per read when predicting (training reads whole row groups).

    Attributes
    ----------
    dataset : pyarrow.dataset.Dataset
        The opened dataset.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from sklearn_mtl.sharded import ParquetShards
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     pd.DataFrame({"x0": np.arange(4.0), "x1": np.ones(4), "y": ["a", "b"] * 2}
    ...                  ).to_parquet(f"{folder}/part-{i}.parquet")
    >>> shards = ParquetShards(folder, features=["x0", "x1"], targets=["y"])
    >>> shards.n_rows, shards.n_files
    (8, 2)
    """

    def __init__(self, source, *, features, targets=None, batch_rows=65536):
        ds = import_optional("pyarrow.dataset", feature="ParquetShards", extra="distributed")

        self.dataset = source if isinstance(source, ds.Dataset) else _open_parquet(source)
        # pyarrow opens CSV, JSON and Arrow files, or a table in memory, as a dataset too:
        # their fragments have no row groups, and failed when first read
        parts = [self.dataset]
        while parts:
            part = parts.pop()
            if isinstance(part, ds.UnionDataset):
                parts.extend(part.children)
                continue
            kind = getattr(part, "format", None)
            if not isinstance(kind, ds.ParquetFileFormat):
                what = (f"a table in memory ({type(part).__name__})" if kind is None else
                        f"{kind.default_extname!r} files ({type(kind).__name__})")
                raise ValueError(
                    f"source is a pyarrow dataset of {what}; ParquetShards reads Parquet "
                    "files, row group by row group. Open the Parquet files with "
                    "pyarrow.dataset.dataset(path, format='parquet') or pass their folder, "
                    "or write the data as Parquet first (pyarrow.parquet.write_table)."
                )
        for kind, cols in (("features", features), ("targets", targets)):
            # a str is iterable too: "width" would name the columns 'w', 'i', ...
            if isinstance(cols, (str, bytes)):
                raise TypeError(
                    f"{kind} must be a list of column names; got the string {cols!r}. "
                    f"Pass [{cols!r}] for one column."
                )
        self.features = list(features)
        self.targets = None if targets is None else list(targets)
        if (isinstance(batch_rows, bool) or not isinstance(batch_rows, (int, np.integer))
                or batch_rows < 1):
            raise ValueError(f"batch_rows must be a positive integer; got {batch_rows!r}.")
        self.batch_rows = int(batch_rows)
        # each column is read once (pyarrow refuses a column selected twice)
        named = self.features + (self.targets or [])
        twice = sorted({c for c in named if named.count(c) > 1}, key=str)
        if twice:
            raise ValueError(
                f"Column(s) {twice} are named twice in features and targets; each column is "
                "a feature or a target, once."
            )
        for kind, cols in (("features", self.features), ("targets", self.targets or [])):
            self._check_present(kind, cols, "the features and targets")
        if not self.features:
            raise ValueError("features must name at least one column.")
        if self.targets and not isinstance(source, ds.Dataset):
            # pyarrow takes the dataset's schema from its first file: a label column all
            # null there (a gated task off in every row of it) is of type null, which no
            # other file's labels can be read as (nor integers as text)
            self.dataset = _one_type_per_target(self.dataset, self.targets)
        self._units = self._places = None

    # ---------------------------------------------------------------- metadata
    @property
    def files(self):
        """The Parquet fragments (files), in order."""
        return list(self.dataset.get_fragments())

    @property
    def n_files(self):
        return len(self.files)

    def units(self):
        """``(fragment, n_rows)`` of every row group, in file order (from the metadata)."""
        if self._units is None:
            units = []
            for fragment in self.dataset.get_fragments():
                self._check_columns(fragment, self.features + list(self.targets or []))
                for group in fragment.split_by_row_group():
                    # from the footer; count_rows() would count the whole file
                    n = sum(rg.num_rows for rg in group.row_groups)
                    if n:
                        units.append((group, n))
            self._units = units
        return self._units

    def _check_present(self, kind, columns, what):
        """A ``ValueError`` where the data lack some of ``columns`` (the option
        ``kind``'s, which every file must hold: ``what``). pyarrow reads a dataset's
        columns off its first file: the file is named where it lacks them (a column of
        the later files only, or of no file)."""
        absent = [c for c in columns if c not in self.dataset.schema.names]
        if not absent:
            return
        first = next(iter(self.dataset.get_fragments()), None)
        path = getattr(first, "path", None)
        if path is not None:
            raise ValueError(
                f"{kind} names column(s) {absent} that the Parquet data lack: its first "
                f"file {path!r}, whose columns pyarrow reads as the data's, has the "
                f"columns {_schema_of(first).names}. Every file of the data must hold "
                f"{what}."
            )
        raise ValueError(
            f"{kind} names column(s) {absent} that the Parquet data lack; its columns are "
            f"{self.dataset.schema.names}."
        )

    @staticmethod
    def _check_columns(fragment, columns):
        """Refuse a file that lacks some of ``columns`` (pyarrow's error names neither the
        file nor the columns): another table's file in the folder, such as predictions
        that :func:`predict_shards` wrote inside it."""
        import pyarrow.dataset as ds

        # a hive-partitioned dataset's key columns live in the folder names, not the file
        keys = ds.get_partition_keys(fragment.partition_expression) or {}
        own = _schema_of(fragment).names
        names = set(own) | set(keys)
        absent = [c for c in columns if c not in names]
        if absent:
            raise ValueError(
                f"The Parquet file {getattr(fragment, 'path', fragment)!r} lacks column(s) "
                f"{absent}; its columns are {own}. Every file of "
                "the data must hold the features and targets: keep other tables' files, "
                "e.g. the output of predict_shards, out of the data's folder."
            )

    def _read(self, fragment, columns, batch_size=None):
        """``columns`` of ``fragment`` as a table (as record batches of ``batch_size``
        rows where given), each column in the file's own type, and a hive-partitioned
        dataset's key columns (they live in the folder names, not the file: pyarrow
        fills them only where the schema read with names them) in the dataset's."""
        import pyarrow as pa

        own = _schema_of(fragment)
        keys = [c for c in columns if c not in own.names]
        schema = (pa.schema(list(own) + [self.dataset.schema.field(c) for c in keys])
                  if keys else None)
        if batch_size is None:
            return fragment.to_table(columns=columns, schema=schema)
        return fragment.to_batches(columns=columns, schema=schema, batch_size=batch_size)

    def places(self):
        """``(first row in the input, file, first row in the file)`` of every row group of
        :meth:`units`: where a bad value's row is, counted from 0 in the input (the files
        in order, as :func:`predict_shards` writes them) and in its file."""
        if self._places is None:
            places, first, in_file = [], 0, {}
            for group, n in self.units():
                path = getattr(group, "path", None)
                places.append((first, path, in_file.get(path, 0)))
                first, in_file[path] = first + n, in_file.get(path, 0) + n
            self._places = places
        return self._places

    @property
    def n_rows(self):
        return sum(n for _, n in self.units())

    def __len__(self):
        return self.n_rows

    @property
    def n_features(self):
        return len(self.features)

    def head(self, n=2):
        """The first ``n`` rows' features (to build the network), see :func:`_features`."""
        table = self.dataset.head(n, columns=self.features)
        return _features(table, self.features)

    def sample(self, n, seed=0):
        """Up to ``n`` rows' features (see :func:`_features`), read from whole row groups taken in a
        seeded random order (then ``n`` of their rows at random): what the
        preprocessing is fitted on, without reading every shard."""
        rng = np.random.RandomState(seed)
        units, parts, total = self.units(), [], 0
        for i in rng.permutation(len(units)):
            if total >= n:
                break
            try:
                parts.append(_features(self._read(units[i][0], self.features),
                                       self.features))
            except RowError as exc:  # numbered in the row group
                raise _in_input(exc, *self.places()[i]) from None
            total += len(parts[-1])
        X = np.concatenate(parts) if parts else np.empty((0, self.n_features), np.float32)
        return X[np.sort(rng.choice(len(X), n, replace=False))] if len(X) > n else X

    def labels(self, n=None):
        """The label columns as a DataFrame: every row, or the first ``n``."""
        if self.targets is None:
            raise ValueError("These shards have no targets; pass targets=[...] to fit on them.")
        if n is None:
            table = self.dataset.to_table(columns=self.targets)
        else:
            table = self.dataset.head(n, columns=self.targets)
        return table.to_pandas()

    # ----------------------------------------------------------------- reading
    def iter_batches(self, batch_size, *, encode, shuffle=False, generator=None, rank=0,
                     world_size=1, transform=None, merge_single=False):
        """One epoch of ``(X, targets)`` tensor batches for process ``rank``.

        Row groups are dealt to the processes from one permutation (the same in every
        process: ``generator`` must be in the same state everywhere); each process
        reads its row groups, shuffles their rows, encodes their labels with
        ``encode(labels_frame)``, preprocesses their features with ``transform`` (an
        array in, the network's input out) and yields batches of ``batch_size`` rows,
        a shorter one at the end of its share. With ``merge_single`` (a batch-norm
        network, which cannot normalise one row in training), a one-row last batch
        joins the one before, as in memory. Every process yields as many batches as the
        process with the most rows needs; a process with fewer wraps around its own row
        groups.
        """
        from .neural._net import _merged_bounds

        units = self.units()
        if not units:
            return
        if world_size > len(units):
            raise ValueError(
                f"{world_size} processes need at least as many Parquet row groups; the data "
                f"have {len(units)}. Write more (smaller) row groups or files."
            )
        order = (torch.randperm(len(units), generator=generator) if shuffle
                 else torch.arange(len(units)))
        seed = int(torch.randint(2**62, (1,), generator=generator)) if shuffle else 0
        shares = [order[r::world_size].tolist() for r in range(world_size)]

        def sizes(share):  # the batches of one pass over a share
            n = sum(units[i][1] for i in share)
            bounds = (_merged_bounds(n, batch_size) if merge_single
                      else [(at, min(at + batch_size, n)) for at in range(0, n, batch_size)])
            return [stop - start for start, stop in bounds]

        steps = max(len(sizes(share)) for share in shares)
        mine = sizes(shares[rank])
        local = torch.Generator().manual_seed(seed + rank)
        columns = self.features + list(self.targets or [])

        def row_groups():  # this process's share, around and around
            while True:
                for i in shares[rank]:
                    table = self._read(units[i][0], columns)
                    try:
                        X = _features(table, self.features)
                        X = torch.from_numpy(
                            _no_gaps(X, self.features).astype(np.float32, copy=False)
                            if transform is None else transform(X))
                    except RowError as exc:  # numbered in the row group
                        raise _in_input(exc, *self.places()[i]) from None
                    y = encode(table.select(self.targets).to_pandas())
                    if shuffle:
                        perm = torch.randperm(len(X), generator=local)
                        X, y = X[perm], y[perm]
                    yield X, y

        # The batches of each pass add up to the share's rows: a pass ends with its last
        # (shorter or merged) batch, and the next pass starts a batch afresh. The row
        # groups read wait in `parts`, the first from its row `at` on; a batch is sliced
        # off them, copied only where it spans two row groups (joining the whole rest for
        # every batch copied a row group once a batch: quadratic in its rows).
        produced, parts, at, buffered = 0, [], 0, 0
        for X, y in row_groups():
            parts.append((X, y))
            buffered += len(X)
            while buffered >= mine[produced % len(mine)]:
                take = mine[produced % len(mine)]
                pieces, need = [], take
                while need:
                    X_part, y_part = parts[0]
                    k = min(need, len(X_part) - at)
                    pieces.append((X_part[at:at + k], y_part[at:at + k]))
                    need, at = need - k, at + k
                    if at == len(X_part):
                        parts, at = parts[1:], 0
                if len(pieces) == 1:
                    yield pieces[0]
                else:
                    yield torch.cat([p[0] for p in pieces]), torch.cat([p[1] for p in pieces])
                buffered -= take
                produced += 1
                if produced == steps:
                    return


_SOURCES = ("a folder of Parquet files, a Parquet file, a list of them, a glob pattern such "
            "as 'folder/*.parquet', or a pyarrow.dataset.Dataset")


def _open_parquet(source):
    """``pyarrow.dataset.dataset(source, format="parquet")``, refused with one message
    naming ``source`` where it holds no Parquet file: a path that does not exist, a
    glob pattern that matches nothing (pyarrow reads no pattern: it is expanded here,
    sorted, as dask's ``read_parquet`` expands it), an empty folder (pyarrow opened it
    as a dataset of no file and no column) or a file that is not Parquet."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    given, path = source, None
    if isinstance(source, (str, os.PathLike)):
        path = given = os.fspath(source)  # named as a str, not PosixPath('...')
        if "://" not in path and any(c in path for c in "*?[") and not os.path.exists(path):
            source = _expand_pattern(path)
            if not source:
                raise FileNotFoundError(
                    f"No Parquet file found by the pattern {path!r}: it matches no file. "
                    f"ParquetShards reads {_SOURCES}."
                )
    try:
        dataset = ds.dataset(source, format="parquet")
    except FileNotFoundError as exc:
        where = (f"at {given!r}: no such file or folder" if path is not None
                 else f"at {exc}, which the list of files names")
        raise FileNotFoundError(
            f"No Parquet file found {where}. ParquetShards reads {_SOURCES}."
        ) from None
    except pa.ArrowInvalid as exc:  # a file of another format (a CSV, a README)
        bad = re.search(r"schema from '([^']*)'", str(exc))
        bad = repr(bad.group(1)) if bad else f"a file that pyarrow cannot read ({exc})"
        if path is not None and os.path.isdir(path) and not any(
                name.endswith((".parquet", ".parq", ".pq"))
                for _, _, names in os.walk(path) for name in names):
            raise FileNotFoundError(
                f"No Parquet file found in {given!r}: its files are of another format "
                f"({bad} is not Parquet). ParquetShards reads {_SOURCES}."
            ) from None
        raise ValueError(
            f"{given!r} holds {bad}, which is not a Parquet file. ParquetShards reads "
            f"{_SOURCES}: keep other files out of the folder, or pass the Parquet files "
            "as a list or a pattern."
        ) from None
    if not dataset.files:
        raise FileNotFoundError(
            f"No Parquet file found in {given!r}: it holds no file (files whose names "
            f"start with '_' or '.' are skipped). ParquetShards reads {_SOURCES}."
        )
    return dataset


def _schema_of(fragment):
    """``fragment.physical_schema``, the schema in its file's footer; a file that is not
    Parquet is refused by name. pyarrow checks only the first file of a folder when it
    opens it (see :func:`_open_parquet`), so another file there (a README, a CSV) that
    sorts after it failed here with pyarrow's "Could not open Parquet input source"."""
    import pyarrow as pa

    try:
        return fragment.physical_schema
    except pa.ArrowInvalid as exc:
        raise ValueError(
            f"The data holds {getattr(fragment, 'path', fragment)!r}, which is not a "
            f"Parquet file ({exc}). ParquetShards reads {_SOURCES}: keep other files out "
            "of the folder, or pass the Parquet files as a list or a pattern."
        ) from None


def _expand_pattern(pattern):
    """The files a local glob ``pattern`` matches, sorted, taken as pyarrow takes a
    folder's: a folder matched (``"data/date=2024-*"``) gives its files (pyarrow refuses
    a folder in a list of paths), and a name starting with ``'_'`` or ``'.'`` that a
    wildcard matched is skipped (Spark's ``_SUCCESS``, dask's ``_metadata``, a ``.crc``
    checksum), as in a folder: ``"data/*"`` read ``_SUCCESS`` as a Parquet file."""
    hidden = ("_", ".")
    base = os.path.dirname(pattern[:min(pattern.find(c) for c in "*?[" if c in pattern)])
    named = re.search(r"(^|[\\/])[_.]", pattern[len(base):])  # one the user wrote
    files = set()
    for match in glob.glob(pattern, recursive=True):
        parts = re.split(r"[\\/]", os.path.relpath(match, base or os.curdir))
        if not named and any(part.startswith(hidden) for part in parts):
            continue
        if not os.path.isdir(match):
            files.add(match)
            continue
        for folder, dirs, names in os.walk(match):
            dirs[:] = [name for name in dirs if not name.startswith(hidden)]
            files.update(os.path.join(folder, name) for name in names
                         if not name.startswith(hidden))
    return sorted(files)


def _one_type_per_target(dataset, targets):
    """``dataset`` whose schema reads each target column in the one type of
    :func:`_column_types`. The feature columns are read file by file, as they are
    (text read as numbers)."""
    import pyarrow.dataset as ds

    fragments = list(dataset.get_fragments())
    schema = dataset.schema
    for name, kind in _column_types(fragments, targets, "target").items():
        i = schema.get_field_index(name)
        if schema.field(i).type != kind:
            schema = schema.set(i, schema.field(i).with_type(kind))
    if schema.equals(dataset.schema):
        return dataset
    return ds.FileSystemDataset(fragments, schema, dataset.format, dataset.filesystem)


def _column_types(fragments, columns, role):
    """``{column: type}``: the one type that each of ``columns`` takes in the Parquet
    ``fragments`` promotes to (``pyarrow.unify_schemas(promote_options="permissive")``:
    a column all null in one file, such as a gated task off in every row of it, takes
    the others' type; integers and floats read as floats; categories as their values).
    pyarrow takes a dataset's schema from its first file, which no other file's values
    may be read as. A column whose types in two files promote to none (numbers in one
    file, text in another) is refused, naming both files (``role``: the columns' role,
    for the message)."""
    import pyarrow as pa

    types, first = {}, {}
    for fragment in fragments:
        schema = _schema_of(fragment)
        for name in columns:
            if name not in schema.names:  # refused by _check_columns, naming the file
                continue
            kind = schema.field(name).type
            if name not in types:
                types[name], first[name] = kind, (kind, getattr(fragment, "path", fragment))
                continue
            if kind == types[name]:
                continue
            as_values = [t.value_type if pa.types.is_dictionary(t) else t
                         for t in (types[name], kind)]
            try:
                types[name] = pa.unify_schemas(
                    [pa.schema([(name, t)]) for t in as_values], promote_options="permissive"
                ).field(0).type
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                raise ValueError(
                    f"The {role} column {name!r} holds {kind} in the Parquet file "
                    f"{getattr(fragment, 'path', fragment)!r} but {first[name][0]} in "
                    f"{first[name][1]!r}; a column must hold one kind of values in every "
                    "file (all numbers, or all text), as one column of a DataFrame does."
                ) from None
    return types


def _features(table, columns):
    """The feature columns of a pyarrow table or record batch as one array: float32
    where every column is float32, else float64, as an array in memory is validated (the
    preprocessing scales them before the network reads float32: in float32, epoch
    seconds lose their last digits).

    A column of text (pandas writes an object column with a ``"?"`` among its numbers
    as strings) is read as numbers; a value that is no number, or an infinite value, is
    a :class:`~sklearn_mtl.neural._preprocessing.RowError` naming its column and its
    row in the table (:func:`_in_input` numbers it in the input)."""
    cols = [_column_values(table.column(c)) for c in columns]
    if not all(np.issubdtype(c.dtype, np.number) for c in cols):
        frame = pd.DataFrame(dict(enumerate(cols)))
        frame.columns = columns
        cols = [_as_numbers(frame, j) for j in range(len(columns))]
    X = np.column_stack(cols) if cols else np.empty((table.num_rows, 0))
    _finite(X, columns)
    return X.astype(table_dtype(X.dtype), copy=False)


def _column_values(column):
    """A pyarrow column's values as a NumPy array; a date, a timestamp (any unit and
    time zone), a duration or a time of day as days, as the recipe reads such a column
    of a DataFrame (:func:`~sklearn_mtl.neural._preprocessing.as_days`: a date since
    1970-01-01 in UTC), where its integers in the file's own unit were read (microseconds
    in one file, milliseconds in another)."""
    import pyarrow as pa

    if not pa.types.is_temporal(column.type):
        return column.to_numpy(zero_copy_only=False)
    return _days(column.to_pandas(date_as_object=False))


def _days(values):
    """A pandas column of dates, durations or times of day as days (float64)."""
    if is_time_of_day(values):
        values = since_midnight(values)
    return as_days(values)


def shard_times(shards):
    """The feature columns of ``shards`` that a fit reads as days (see
    :func:`_column_values`): dates, timestamps, durations and times of day in the
    first file's schema, as pyarrow reads the dataset."""
    import pyarrow as pa

    schema = shards.dataset.schema
    return tuple(c for c in shards.features
                 if c in schema.names and pa.types.is_temporal(schema.field(c).type))


def read_shard_times(X, columns):
    """A DataFrame ``X`` for a model fitted on shards: its columns among ``columns``
    (:func:`shard_times` of the fit) that hold dates, durations or times of day read as
    days, as the fit read them from the files. Other values are left for the
    validation to read or refuse; the caller's frame is left as it is."""
    if not columns or not isinstance(X, pd.DataFrame):
        return X
    found = {j: _days(X.iloc[:, j]) for j, name in enumerate(X.columns)
             if name in columns and (is_time(X.iloc[:, j]) or is_time_of_day(X.iloc[:, j]))}
    return _with_columns(X, found)


def _no_gaps(values, names):
    """``values`` read as they are (``preprocessing=None``), refused with the row and
    column (``names``) of their first NaN: nothing imputes it, and the network's loss
    would turn NaN (a "diverged" training), where an array in memory is refused."""
    gaps = np.isnan(values)
    if gaps.any():
        row, col = np.argwhere(gaps)[0]
        raise RowError(
            "X holds NaN (a missing value) at row ", int(row), f", column {names[col]!r}; "
            "with preprocessing=None the values reach the network as they are, so they "
            "must be finite numbers. The default, preprocessing='auto', imputes gaps."
        )
    return values


def _in_input(exc, first, path=None, in_file=0):
    """The :class:`RowError` ``exc`` of a row group or batch (its row numbered from the
    batch's first), numbered from the input's first row (the batch's is ``first``),
    with the file and its row there (the batch's first: ``in_file``) where known."""
    where = "" if path is None else f" (row {exc.row + in_file} of file {os.fspath(path)!r})"
    return exc.at(first, where)


class EncodedShards(torch.utils.data.IterableDataset):
    """:class:`ParquetShards` with the estimator's label encoding: what the net trains on.

    The net calls :meth:`sharded_batches` (see ``MultiTaskNet.get_iterator``) with its batch
    size, shuffling generator and the process's shard.
    """

    def __init__(self, shards, encode, transform=None):
        self.shards = shards
        self.encode = encode
        self.transform = transform

    def __len__(self):
        return self.shards.n_rows

    def __iter__(self):  # plain iteration: one pass in file order, one process
        yield from self.shards.iter_batches(self.shards.batch_rows, encode=self.encode,
                                            transform=self.transform)

    def sharded_batches(self, batch_size, shuffle, generator, rank=0, world_size=1,
                        merge_single=False):
        return _Epoch(self, batch_size, shuffle, generator, rank, world_size, merge_single)


class _Epoch:
    def __init__(self, data, batch_size, shuffle, generator, rank, world_size, merge_single):
        self.args = (data, batch_size, shuffle, generator, rank, world_size, merge_single)

    def __iter__(self):
        data, batch_size, shuffle, generator, rank, world_size, merge_single = self.args
        return data.shards.iter_batches(
            batch_size, encode=data.encode, shuffle=shuffle, generator=generator,
            rank=rank, world_size=world_size, transform=data.transform,
            merge_single=merge_single)


# ---------------------------------------------------------------------------- fit
def fit_shards(est, shards, y, sample_weight):
    """``MultiTaskClassifier.fit(shards)``: the schema from the label columns read up
    front (or the declared tasks), then an epoch loop over the row groups."""
    from ._base import _check_task_labels
    from ._decoding import unseen_combination_mass
    from ._multitask import _MEMMAP_FIT_ROWS, _check_param_groups, _has_callback
    from .neural import MemberHoldout
    from .neural._distributed import same_seed
    from .neural._weighting import resolve_strategy

    name = type(est).__name__
    partial = bool(est.__dict__.get("_partial"))
    if partial and hasattr(est, "net_"):  # (partial_fit sets warm_start itself)
        raise ValueError(
            "partial_fit cannot continue training on ParquetShards (an epoch over them "
            "reads every row group, not one batch). Pass each batch in memory as X and "
            f"y, or fit {name} on the shards with fit(shards) for max_epochs epochs."
        )
    if y is not None:
        raise ValueError(
            f"With ParquetShards as X, {name} reads the labels from its targets columns "
            f"{shards.targets}; pass y=None."
        )
    for param, bad, why in (
        ("sample_weight", sample_weight is not None, "is not read from shards"),
        ("early_stopping", est.early_stopping, "needs an in-memory validation split"),
        ("warm_start", est.warm_start and hasattr(est, "net_"), "is not supported"),
        # its held-out folds are a column of the in-memory targets: on shards it was
        # left inactive, silently, each member training on every row
        ("callbacks", _has_callback(est.callbacks, MemberHoldout),
         "with a MemberHoldout (held-out folds of the ensemble's members) is not supported"),
    ):
        if bad:
            raise ValueError(
                f"{param} {why} when fitting on ParquetShards; fit without it (or on "
                "in-memory data)."
            )
    if shards.targets is None:
        raise ValueError("These shards have no targets; pass targets=[...] to fit on them.")
    # The label columns of every row (a few columns: far smaller than the features) give
    # the classes, and the statistics of the labels as in memory (also with declared
    # tasks): regression target scaling, observed combinations, balanced weights.
    try:
        encoded = est._fit_labels(shards.labels())
    except ValueError as exc:
        # a label error names its row in the labels read ("in row 245"), which are the
        # files' rows in order: add the file and its row there, as for the features
        text = str(exc)
        found = re.search(r"\bin row (\d+)", text)
        if found is None or exc.args != (text,):
            raise
        row = int(found.group(1))
        first, path, in_file = next(
            (place for place in reversed(shards.places()) if place[0] <= row), (0, None, 0))
        if path is not None:
            exc.args = (f"{text[:found.end()]} (row {row - first + in_file} of file "
                        f"{os.fspath(path)!r}){text[found.end():]}",)
        raise
    # as in memory: a task with no label is refused (its head would train on nothing),
    # one whose labels show a single class warns
    _check_task_labels(encoded, batch=partial)
    est.n_features_in_ = shards.n_features
    est.feature_names_in_ = np.asarray(shards.features, dtype=object)
    est._shard_times = shard_times(shards)  # read as days: a frame's at predict too
    est._check_sample_shape((shards.n_features,), reset=True)  # not a previous fit's
    est._check_task_dicts()
    est._class_weight_values = [
        est._class_weights(task, encoded.codes[:, j]) for j, task in enumerate(est.schema_)
    ]
    est._pos_weight_values = est._pos_weights(encoded)
    est._weighting = resolve_strategy(est.loss_weighting, est.loss_weighting_params)
    est._fit_target_scaling(encoded)  # on every row's labels, read above
    from sklearn.utils import check_random_state

    est._seed = int(check_random_state(est.random_state).randint(np.iinfo(np.int32).max))
    if est.data_parallel:
        est._seed = same_seed(est._seed)
    # The preprocessing is fitted on a sample of the rows, as a memory-mapped table's is
    # (the same in every process: the sample follows the seed), and applied to each row
    # group as it is read; the training length follows the rows.
    est.preprocessor_, transform = None, None
    if est.preprocessing is not None:
        # a user's step reads a DataFrame of the feature columns, as in memory (a
        # ColumnTransformer may select them by name); the recipe's reads the array
        columns = None if isinstance(est.preprocessing, str) else shards.features
        sample = shards.sample(_MEMMAP_FIT_ROWS, seed=est._seed % 2**32)
        est._fit_preprocessor(sample if columns is None else pd.DataFrame(sample,
                                                                         columns=columns))
        transform = _Preprocess(est.preprocessor_, columns)
    # on every row's labels, as in memory: decode="auto" chooses its decoding by it
    est.unseen_combination_mass_ = unseen_combination_mass(encoded)
    est._epochs, est._total_steps = est._training_length(len(shards))
    data = EncodedShards(shards, _ShardEncoder(est), transform)
    with est._rng_context(est._seed):
        head = shards.head(2)
        module = est._build_module(head.astype(np.float32) if transform is None
                                   else transform(head))
        criterion = est._build_criterion()
        _check_param_groups(est.optimizer_params, module, criterion)
        est.net_ = est._build_net(module, criterion)
        try:
            est.net_.fit(data, None)
        finally:  # also where training raised, as in memory: in the targets' units
            if getattr(est.net_, "initialized_", False):
                est._rescale_regression_outputs()
    est._check_finite_weights()  # a diverged loss: an error, not NaN predictions
    return est


class _Preprocess:
    """A row group's features (an array, see :func:`_features`; a DataFrame of
    ``columns`` for a user's step) -> the network's input, with the fitted preprocessing
    step (picklable, as the net's iterator may be)."""

    def __init__(self, preprocessor, columns=None):
        self.preprocessor, self.columns = preprocessor, columns

    def __call__(self, X):
        from .neural._net import preprocess

        if self.columns is not None:
            X = pd.DataFrame(X, columns=self.columns)
        return preprocess(self.preprocessor, X)


class _ShardEncoder:
    """Labels of one row group -> the training target tensor, with the fitted schema."""

    def __init__(self, estimator):
        self.estimator = estimator

    def __call__(self, labels):
        est = self.estimator
        return est._targets(est.encoder_.transform(labels), None, len(labels))


# ------------------------------------------------------------------------ predict
def predict_shards(estimator, shards, output, *, keep=None):
    """Predict every row of ``shards`` and write one Parquet file per input file.

    Each input file is read in batches of ``shards.batch_rows`` rows and its
    predictions are written as they come, so memory holds one batch. Under
    ``torchrun`` (a process group), process ``r`` predicts every ``world_size``-th file
    from ``r`` on.

    Parameters
    ----------
    estimator : fitted sklearn-mtl estimator, or a Pipeline ending in one
        Its ``predict`` takes a DataFrame of the feature columns.
    shards : ParquetShards
        The data (its ``targets`` are not read).
    output : str or path
        A directory (created if needed); file ``i`` of the input becomes
        ``<output>/part-<i>.parquet``, replacing a file of that name once it is written
        whole (a run that fails in a file leaves no shortened file, and an earlier
        run's file of that name as it was). A folder that holds a ``part-<j>.parquet``
        this run does not write (``j`` at least the number of input files: an earlier
        run's, over more files) is refused before anything is written, as the folder
        would mix two runs.
    keep : list of str, default=None
        Input columns copied next to the predictions (e.g. an id).

    Returns
    -------
    paths : list of str
        The files this process wrote.
    """
    import pyarrow as pa

    from .distributed import _delegate

    # a fitted search predicts with its best_estimator_, as predict_partitions reads it
    estimator = _delegate(estimator)
    keep = list(keep or [])
    shards._check_present("keep", keep, "the kept columns")
    names = _task_names(estimator)
    twice = sorted({c for c in keep if keep.count(c) > 1} | set(keep) & set(names))
    if twice:
        raise ValueError(
            f"keep names column(s) {twice} twice, or as a task whose predictions are "
            f"written under its name (the tasks are {names}); each output column needs "
            "its own name."
        )
    _check_not_an_input(shards, output)
    _check_no_other_run(output, shards.n_files)
    os.makedirs(output, exist_ok=True)
    rank, world_size = _world()
    # the kept columns' types over every file, not the first file's alone (where a
    # column all null is of type null, which no other file's values are written as)
    kept = _column_types(shards.files, keep, "kept")
    schema = pa.schema(
        [pa.field(c, kept.get(c, shards.dataset.schema.field(c).type)) for c in keep]
        + [pa.field(name, _arrow_type(estimator, name)) for name in names]
    )
    # read once, a kept column that is also a feature too (an id the model reads)
    columns = list(dict.fromkeys(shards.features + keep))
    written = []
    for i, fragment in enumerate(shards.files):
        if i % world_size != rank:
            continue
        path = os.path.join(output, f"part-{i:05d}.parquet")
        shards._check_columns(fragment, columns)
        # written beside it, then renamed: a run that fails in a file leaves no shortened
        # file (valid Parquet, read as if whole) and keeps an earlier run's complete one;
        # a hidden name, which pyarrow and pandas skip in the folder meanwhile
        part = os.path.join(output, f".part-{i:05d}.{os.getpid()}.parquet")
        try:
            _write_predictions(estimator, shards, fragment, columns, keep, names, schema,
                               part)
            os.replace(part, path)
        finally:
            if os.path.exists(part):
                os.remove(part)
        written.append(path)
    return written


def _write_predictions(estimator, shards, fragment, columns, keep, names, schema, path):
    """Predict the rows of one input file (``fragment``), a batch at a time, into the
    Parquet file ``path``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, in_file = getattr(fragment, "path", None), 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in shards._read(fragment, columns, batch_size=shards.batch_rows):
            if batch.num_rows == 0:
                continue
            frame = batch.to_pandas()
            try:
                X = frame[shards.features]
                if all(pd.api.types.is_numeric_dtype(d) for d in X.dtypes):
                    X = X.astype(np.float64)  # as the model reads them
                    if np.isinf(X.to_numpy()).any():
                        _features(batch, shards.features)  # names the row
                else:  # numbers written as text: read (or refused) as numbers
                    X = pd.DataFrame(_features(batch, shards.features).astype(
                        np.float64, copy=False), columns=shards.features)
                    # dates as the model read them in training: as days where it was
                    # fitted on shards, as dates where its recipe read a frame's dates
                    for c in _times_read(estimator) & set(shards.features):
                        X[c] = frame[c].to_numpy()
                pred = _as_frame(estimator.predict(X), names)
            except RowError as exc:  # numbered in the batch: in the input and file
                first = _file_first(shards, source)
                raise _in_input(exc, first + in_file, source, in_file) from None
            out = pd.concat([frame[keep].reset_index(drop=True),
                             pred.reset_index(drop=True)], axis=1)
            writer.write_table(pa.Table.from_pandas(out, schema=schema,
                                                    preserve_index=False))
            in_file += batch.num_rows


def _times_read(estimator):
    """The feature columns that the recipe's preprocessing of ``estimator`` (of a
    Pipeline's last step) read as dates, durations or times of day: fitted on a
    DataFrame that held them as such. None where it was fitted on shards, whose
    columns it read as numbers (see :func:`_column_values`)."""
    from .distributed import _final_step

    pre = getattr(_final_step(estimator), "preprocessor_", None)
    names = getattr(pre, "feature_names_in_", None)
    times = getattr(pre, "time_columns_", None)
    if names is None or times is None:
        return set()
    return {str(names[j]) for j in times}


def _check_not_an_input(shards, output):
    """Refuse an ``output`` folder where a prediction file would replace an input file
    (``part-00000.parquet`` in the data's own folder): the writer empties the file
    before it is read, and the data are lost. Checked for every file, before any is
    written (under ``torchrun`` another process may read the file this one writes).
    Files are compared as the system sees them (device and inode), so a symbolic or
    hard link to an input, or an input read through a ``SubTreeFileSystem`` of a local
    folder, is one too."""
    import pyarrow.fs as pafs

    fs, base = shards.dataset.filesystem, ""
    while isinstance(fs, pafs.SubTreeFileSystem):  # paths under a local folder
        base, fs = fs.base_path.rstrip("/") + "/" + base.lstrip("/"), fs.base_fs
    if not isinstance(fs, pafs.LocalFileSystem):
        return  # the predictions go to local files; remote inputs cannot be among them

    def identity(path):
        try:
            stat = os.stat(path)
        except OSError:  # not there (yet): no input
            return None
        return stat.st_dev, stat.st_ino

    fragments = shards.files
    files = [f.path for f in fragments if getattr(f, "path", None)]
    inputs = {identity(base + f if base else f): f for f in files}
    inputs.pop(None, None)
    for i in range(len(fragments)):
        path = os.path.join(output, f"part-{i:05d}.parquet")
        if identity(path) in inputs:
            raise ValueError(
                f"predict_shards would write the predictions of file {i} to {path!r}, "
                f"which is the input file {inputs[identity(path)]!r}: it would be "
                "overwritten before it is read. Pass an output folder outside the data's "
                "folder."
            )


def _check_no_other_run(output, n_files):
    """Refuse an ``output`` folder holding files that this run, over ``n_files`` input
    files, does not write and that the folder, read as one dataset, would read with its
    predictions: prediction files of an earlier run over more files
    (``part-00003.parquet``), or any other file that pyarrow reads in a folder (every
    name but those starting with ``.`` or ``_``: a Parquet file of another tool, a
    README, which pyarrow fails to read). Their rows would mix with this run's. The
    files this run writes are replaced, so a run repeated into its own folder is not
    refused. As ``pyarrow.dataset.write_dataset`` refuses existing data by default,
    nothing is deleted: the user removes them."""
    try:
        names = os.listdir(output)
    except (FileNotFoundError, NotADirectoryError):
        return  # created (or refused by makedirs) below
    mine = {f"part-{i:05d}.parquet" for i in range(n_files)}
    other = sorted(name for name in names if name not in mine and name[:1] not in "._")
    if other:
        shown = other[:3] + (["..."] if len(other) > 3 else [])
        earlier = all(re.fullmatch(r"part-\d{5}\.parquet", name) for name in other)
        what = ("prediction file(s)" if earlier else "file(s)")
        why = ("(an earlier run's, over more files)" if earlier else
               "(a folder is read as one dataset: every file but those whose names start "
               "with '.' or '_')")
        raise ValueError(
            f"The output folder {os.fspath(output)!r} holds {len(other)} {what} {shown} "
            f"that this run, over {n_files} input file(s), would not write {why}: the "
            "folder would mix them with its predictions. Remove them, or pass an empty "
            "or new output folder."
        )


def _file_first(shards, source):
    """The input's row number of the first row of file ``source`` (read off every file's
    metadata: only where an error names a row)."""
    return next((first for first, path, _ in shards.places() if path == source), 0)


def _fitted_schema(estimator):
    """The fitted tasks of ``estimator``, of a Pipeline's last step for a Pipeline
    ending in an estimator of the package (what ``predict`` predicts); NotFittedError
    for one not fitted yet."""
    from sklearn.utils.validation import check_is_fitted

    from .distributed import _final_step

    final = _final_step(estimator)
    schema = getattr(final, "schema_", None)
    if schema is None:
        check_is_fitted(final)
        raise TypeError(
            "predict_shards writes one column per task of a fitted estimator of "
            "sklearn-mtl (or a Pipeline ending in one), read from its schema_; got "
            f"{type(final).__name__}, which has none."
        )
    return schema


def _task_names(estimator):
    return [t.name for t in _fitted_schema(estimator)]


def _as_frame(pred, names):
    if isinstance(pred, pd.DataFrame):
        return pred.set_axis(names, axis=1)
    pred = np.asarray(pred)
    return pd.DataFrame(pred.reshape(len(pred), -1), columns=names)


def _arrow_type(estimator, name):
    import pyarrow as pa

    task = _fitted_schema(estimator)[name]
    if task.kind == "multilabel":
        return pa.list_(pa.array(list(task.classes)).type)
    if task.kind == "regression":
        return pa.float64()
    return pa.array(list(task.classes)).type
