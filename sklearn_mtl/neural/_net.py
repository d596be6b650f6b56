"""The skorch ``NeuralNet`` subclass that trains a multi-head module."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PassthroughScoring, PrintLog
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import get_len, unpack_data
from skorch.exceptions import SkorchException
from skorch.history import History
from skorch.utils import TeeGenerator, to_device, to_numpy
from torch.utils.data import Dataset, Subset

from ._ensemble import _member_terms, member_mean, n_members
from ._optim import LeanAdamStep, clear_grads, fast_step_kwargs
from ._preprocessing import TabularPreprocessor, table_dtype
from ._weighting import TaskWeightRecorder


def _one_value_per_channel(exc):
    """Whether ``exc`` is torch's refusal of a training batch norm over one value a
    channel (a batch of one sample whose image the trunk pooled to 1 x 1)."""
    return isinstance(exc, ValueError) and str(exc).startswith(
        "Expected more than 1 value per channel when training")


class TensorPairDataset(SkorchDataset):
    """In-memory features and targets, batched by slicing (see :class:`SliceBatchIterator`).

    A skorch ``Dataset`` (its ``X`` and ``y``, not its indexing): a scoring callback
    with ``use_caching=False`` reads ``X`` and ``y`` from it, as from the dataset skorch
    makes of arrays; from any other dataset it got ``y=None``.
    """

    def __init__(self, X, y=None):
        self.X = X
        self.y = y

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):
        x = _dense_rows(self.X[i : i + 1])[0] if sp.issparse(self.X) else self.X[i]
        return x, (self.y[i] if self.y is not None else torch.zeros(0))


#: A marker for an attribute an instance does not hold.
_ABSENT = object()


def as_features(x):
    """The features ``x`` of a user's ``Dataset`` (one sample or a batch) as the float32
    tensor the network reads, as an array, a tensor or a memory map is validated to
    float32: a ``Dataset`` of float64 (``np.load``'s usual dtype), integer or boolean
    items would otherwise fail in the first layer on a dtype mismatch."""
    x = torch.as_tensor(x)
    return x if x.dtype == torch.float32 or x.is_complex() else x.float()


def check_finite_items(x, start, dataset):
    """Refuse NaN or infinity in ``x``, the float32 features of a batch of ``dataset``'s
    items whose first is item ``start``, naming the item and the position: an array of
    images in memory is refused by its validation, while a ``Dataset``'s item trained a
    NaN loss (blamed on a diverged training and the learning rate) and predicted NaN
    probabilities without a word."""
    if not x.is_floating_point() or bool(torch.isfinite(x).all()):
        return
    at = tuple(int(j) for j in torch.nonzero(~torch.isfinite(x))[0])
    what = "NaN (a missing value)" if torch.isnan(x[at]) else "an infinite value"
    where = f"position {at[1:]}" if len(at) > 2 else f"column {at[1]}"
    raise ValueError(
        f"X is a Dataset ({type(dataset).__name__}) whose item {start + at[0]} holds "
        f"{what} at {where} (read as float32); its items are read as they are, so their "
        "values must be finite numbers, as an array's in memory must. Fill or drop the "
        "gaps in the Dataset's __getitem__."
    )


def _dense_rows(X):
    """Rows of a scipy sparse matrix as a dense float tensor (one mini-batch at a time)."""
    return torch.from_numpy(np.asarray(X.toarray(), dtype=np.float32))


class LabelledDataset(Dataset):
    """A user's ``Dataset`` of features paired with the encoded targets, row by row."""

    def __init__(self, features, y):
        self.features = features
        self.y = y

    def __len__(self):
        return len(self.features)

    def __getitem__(self, i):
        x, y = self._pair(self.features[i], i)
        check_finite_items(x[None], int(i), self.features)
        return x, y

    def __getitems__(self, indices):
        batch = getattr(self.features, "__getitems__", None)  # a batch read at once
        items = (self.features[i] for i in indices) if batch is None else batch(indices)
        pairs = [self._pair(x, i) for x, i in zip(items, indices)]
        # the loader's batch checked at once: item by item, the check cost more than
        # the rest of a small table's training (a fit of 3 epochs took 3 times as long)
        xs = [x for x, _ in pairs]
        try:
            finite = bool(torch.isfinite(torch.stack(xs)).all()) if xs else True
        except RuntimeError:  # items of different shapes (a collate_fn of the user's)
            finite = False
        if not finite:  # the item that holds the value, named
            for x, i in zip(xs, indices):
                check_finite_items(x[None], int(i), self.features)
        return pairs

    def _pair(self, x, i):
        if isinstance(x, (tuple, list)):  # (x, label) datasets: labels come from Y
            x = x[0]
        return as_features(np.asarray(x)), self.y[i]  # the features only, not the labels


class ArrayDataset(Dataset):
    """Rows of an array read on demand: a memory-mapped array is never loaded whole.

    ``MultiTaskClassifier`` wraps an ``np.memmap`` (also what ``np.load(path,
    mmap_mode="r")`` returns) in this dataset, so that only the rows of the current batch
    are read and converted to ``dtype``. Pickling (e.g. for ``DataLoader`` workers under
    the "spawn" start method) reopens the file instead of copying its contents. A row of
    a floating-point array holding a NaN or an infinite value is refused as it is read
    (a ``ValueError`` naming its row and column), as a validated array in memory is.

    Parameters
    ----------
    X : ndarray or np.memmap of shape (n_samples, ...)
        The samples.
    dtype : numpy dtype, default=np.float32
        Type of the returned rows.
    """

    def __init__(self, X, dtype=np.float32):
        self.X = X
        self.dtype = dtype

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        row = np.array(self.X[i], dtype=self.dtype)
        if getattr(self.X, "dtype", None) is not None and self.X.dtype.kind == "f":
            _check_finite_row(row, i)
        return torch.from_numpy(row)

    def __getstate__(self):
        state = self.__dict__.copy()
        X = self.X
        # Only a whole mapping (not a slice of one) can be reopened from its file.
        if isinstance(X, np.memmap) and X.filename and type(X.base).__name__ == "mmap":
            state["X"] = None
            state["_reopen"] = dict(
                filename=X.filename, dtype=X.dtype, mode="r", offset=X.offset, shape=X.shape,
                order="F" if X.flags.f_contiguous and not X.flags.c_contiguous else "C",
            )
        return state

    def __setstate__(self, state):
        reopen = state.pop("_reopen", None)
        self.__dict__.update(state)
        if reopen is not None:
            self.X = np.memmap(**reopen)


def _check_finite_row(row, i):
    """Refuse a NaN or infinite value in row ``i`` of an array read as it is (a memory
    map with ``preprocessing=None``, or of images), naming its row and column: an array
    in memory is refused by its validation, while this row trained a NaN loss (blamed on
    a diverged training) and predicted NaN probabilities. (A ``ValueError``: a
    ``DataLoader`` worker's error reaches the caller as one of its type.)"""
    finite = np.isfinite(row)
    if finite.all():
        return
    at = np.argwhere(~finite)[0]
    what = "NaN (a missing value)" if np.isnan(row[tuple(at)]) else "an infinite value"
    where = f", column {int(at[0])}" if row.ndim == 1 else f", position {tuple(map(int, at))}"
    raise ValueError(
        f"X holds {what} at row {int(i)}{where}; X is read as it is (a memory map with "
        "preprocessing=None, or of images or clips), so its values must be finite "
        "numbers, as an array's in memory must. preprocessing='auto' imputes the gaps of "
        "a 2-D table."
    )


def preprocess(step, X):
    """Rows ``X`` through the fitted preprocessing ``step``, as the network reads them
    (see :func:`network_input`)."""
    return network_input(step.transform(X), step)


def network_input(Z, step):
    """The output ``Z`` of the fitted preprocessing ``step`` as the dense, C-contiguous
    float32 array the network reads: a sparse matrix densified, a DataFrame
    (scikit-learn's ``transform_output="pandas"``) as an array, copied where it is
    read-only (a memory map, a view under pandas' copy-on-write), which torch warns
    about."""
    Z = Z.toarray() if sp.issparse(Z) else Z
    Z = np.asarray(Z, dtype=np.float32, order="C")
    check_step_output(Z, step)
    return Z if Z.flags.writeable else np.array(Z)


def check_step_output(values, step):
    """Refuse NaN or infinity in what a user's preprocessing ``step`` returns (a
    ``StandardScaler`` passes gaps through): the network would train on NaN losses and
    predict NaN. The recipe's :class:`TabularPreprocessor` fills gaps itself."""
    if isinstance(step, TabularPreprocessor):
        return
    finite = np.isfinite(values)
    if not finite.all():
        raise ValueError(
            f"The preprocessing step {type(step).__name__} returned "
            f"{int(finite.size - finite.sum())} NaN or infinite value(s); the network "
            "needs finite numbers. Fill the gaps inside the step (e.g. "
            "make_pipeline(SimpleImputer(), StandardScaler())), or leave "
            "preprocessing='auto', which fills them and marks them in a column of their own."
        )


class PreprocessedRows(Dataset):
    """Rows of a 2-D array (a memory map) preprocessed as they are read, a batch at a
    time: torch's ``DataLoader`` asks for a batch's rows at once (``__getitems__``), so
    the preprocessor runs once a batch, and the preprocessed table is never built.

    Parameters
    ----------
    X : ndarray or np.memmap of shape (n_samples, n_features)
        The samples, as given (read through :class:`ArrayDataset`, which pickles a
        memory map by reopening its file).
    preprocessor : fitted transformer
        Turns rows of ``X`` into the network's input (``transform``).
    """

    def __init__(self, X, preprocessor):
        self.rows = ArrayDataset(X, dtype=X.dtype)
        self.preprocessor = preprocessor

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.__getitems__([i])[0]

    def __getitems__(self, indices):
        index = np.asarray(indices, dtype=np.int64)
        order = np.argsort(index, kind="stable")  # read the file in order
        rows = self.rows.X[index[order]]
        rows = np.asarray(rows, dtype=table_dtype(rows.dtype))  # as arrays are validated
        sorted_out = preprocess(self.preprocessor, rows)
        out = np.empty_like(sorted_out)  # any transformer's width
        out[order] = sorted_out
        return list(torch.from_numpy(out))


class WorkerLoader(torch.utils.data.DataLoader):
    """A ``DataLoader`` that shuts its workers down as soon as iterating it stops early.

    A worker's error (a refused value in a memory map) reaches the caller at once, but
    torch shuts the workers down only when the iterator is collected: where that
    happens in a garbage collection, the queues it needs may already be gone, and torch
    waits its 5-second timeout for each worker before it kills it. Here an exception
    raised through the iteration (or ``close()`` on it) shuts them down first. Without
    workers the iterator is torch's own.
    """

    def __iter__(self):
        iterator = super().__iter__()
        return iterator if self.num_workers == 0 else _shut_down_on_exit(iterator)


def _shut_down_on_exit(iterator):
    try:
        yield from iterator
    except BaseException:  # an error, or the consumer stopped (GeneratorExit)
        shutdown = getattr(iterator, "_shutdown_workers", None)
        if shutdown is not None:
            shutdown()
        raise


class _PermutationSampler(torch.utils.data.Sampler):
    """Indices in the same order as :class:`SliceBatchIterator` shuffles them, so that a
    ``Dataset`` and the same data in memory train identically for one seed."""

    def __init__(self, n, generator):
        self.n = n
        self.generator = generator

    def __len__(self):
        return self.n

    def __iter__(self):
        return iter(torch.randperm(self.n, generator=self.generator).tolist())


class _TransformedBatches:
    """Training batches with ``transform`` applied to X, on ``device``."""

    def __init__(self, batches, transform, device):
        self.batches = batches
        self.transform = transform
        self.device = device

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for X, y in self.batches:
            X = to_device(X, self.device)
            yield self._checked(self.transform(X), X), y

    def _checked(self, out, X):
        """The transformed batch ``out`` of ``X`` as the float32 tensor the network reads.

        A transform that returned another number of rows (its labels would no longer
        line up with the samples) or no array failed in the loss or the trunk with an
        error that did not name it; one computing in float64 (numpy's default) failed
        in the first layer on a dtype mismatch, where ``X`` itself would have been read
        as float32.
        """
        if isinstance(out, np.ndarray) and out.dtype != object:
            out = torch.from_numpy(np.ascontiguousarray(out)).to(X.device)
        if not isinstance(out, torch.Tensor):
            raise ValueError(
                f"batch_transform={self.transform!r} returned a {type(out).__name__} for a "
                f"batch of shape {tuple(X.shape)}; expected a tensor of the same shape."
            )
        if out.ndim == 0 or len(out) != len(X):
            raise ValueError(
                f"batch_transform={self.transform!r} returned a batch of shape "
                f"{tuple(out.shape)} for a batch of shape {tuple(X.shape)}; it must keep "
                "one row per sample, in order, for the labels to stay aligned."
            )
        return as_features(out)


class SliceBatchIterator:
    """Mini-batches of in-memory tensors by slicing, not per-sample indexing.

    skorch's default ``DataLoader`` collates one sample at a time; on an MLP that costs
    2-3× a hand-written loop. Slicing (or one ``index_select`` per batch when shuffling)
    keeps the overhead per batch, not per sample. A scipy sparse (CSR) ``X`` is sliced
    the same way and each batch is densified on its own: the whole matrix never is.
    """

    def __init__(self, X, y, indices, batch_size, shuffle, generator=None, merge_single=False):
        self.X = X
        self.y = y
        self.indices = indices
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.merge_single = merge_single

    def __len__(self):
        n = self.X.shape[0] if self.indices is None else len(self.indices)
        return len(_merged_bounds(n, self.batch_size)) if self._merges(n) else (
            (n + self.batch_size - 1) // self.batch_size)

    def _merges(self, n):
        """Whether a one-row last batch is merged into the one before (``merge_single``)."""
        return self.merge_single and n > self.batch_size and n % self.batch_size == 1

    def __iter__(self):
        X, y, bs = self.X, self.y, self.batch_size
        idx = self.indices
        n = X.shape[0] if idx is None else len(idx)
        if self.shuffle:
            perm = torch.randperm(n, generator=self.generator)
            idx = perm if idx is None else idx[perm]
        if self._merges(n):  # the same shuffle; one batch of bs + 1 rows at the end
            for start, stop in _merged_bounds(n, bs):
                if idx is None:
                    xb, yb = X[start:stop], _cut(y, start, stop)
                else:
                    rows = idx[start:stop]
                    xb = X[rows.numpy()] if sp.issparse(X) else X.index_select(0, rows)
                    yb = _pick(y, rows)
                yield (_dense_rows(xb) if sp.issparse(X) else xb), yb
            return
        if sp.issparse(X):
            yield from _sparse_batches(X, y, idx, bs)
            return
        if idx is None:
            for start in range(0, len(X), bs):
                yield X[start : start + bs], _cut(y, start, start + bs)
            return
        # Whole batches are gathered together, up to _GATHER_BYTES at a time, and then
        # sliced: one index_select per chunk instead of two a batch (the same batches).
        row_bytes = max(X[:1].nbytes + (0 if y is None else y[:1].nbytes), 1)
        chunk = max(1, _GATHER_BYTES // (row_bytes * bs)) * bs
        for start in range(0, len(idx), chunk):
            rows = idx[start : start + chunk]
            X_chunk, y_chunk = X.index_select(0, rows), _pick(y, rows)
            for at in range(0, len(rows), bs):
                yield X_chunk[at : at + bs], _cut(y_chunk, at, at + bs)


#: Bytes of training rows :class:`SliceBatchIterator` gathers at a time.
_GATHER_BYTES = 16 * 2**20


def _cut(y, start, stop):
    """Rows ``start:stop`` of the targets ``y``; ``None`` where there are none (skorch's
    ``forward_iter``, ``forward`` and ``predict_proba`` batch ``X`` alone)."""
    return None if y is None else y[start:stop]


def _pick(y, rows):
    """The rows ``rows`` (a tensor of indices) of the targets ``y``; ``None`` where there
    are none (see :func:`_cut`)."""
    return None if y is None else y.index_select(0, rows)


def _join_members(batches, k):
    """One output of an ensemble of ``k`` members over consecutive ``batches``, each
    stacking its members (k × batch rows, member by member), joined member by member:
    the stacked output of the whole input, as the module gives it on all rows at once."""
    tail = batches[0].shape[1:]
    return torch.cat([b.reshape(k, -1, *tail) for b in batches], 1).reshape(-1, *tail)


def _merged_bounds(n, batch_size):
    """``(start, stop)`` of each batch of ``n`` rows, a one-row last batch merged into the
    one before: a batch-norm layer cannot normalise one row in training (torch raises),
    and dropping the row would leave it untrained."""
    bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


class _MergedBatchSampler(torch.utils.data.Sampler):
    """Batches of ``sampler``'s indices as ``DataLoader(batch_size=...)`` forms them, a
    one-row last batch merged into the one before (see :func:`_merged_bounds`)."""

    def __init__(self, sampler, batch_size):
        self.sampler = sampler
        self.batch_size = batch_size

    def __len__(self):
        return len(_merged_bounds(len(self.sampler), self.batch_size))

    def __iter__(self):
        indices = list(self.sampler)
        for start, stop in _merged_bounds(len(indices), self.batch_size):
            yield indices[start:stop]


def _sparse_batches(X, y, idx, batch_size):
    """Batches of a sparse ``X`` (rows ``idx`` in that order, or all), densified one by one."""
    if idx is None:
        for start in range(0, X.shape[0], batch_size):
            stop = start + batch_size
            yield _dense_rows(X[start:stop]), _cut(y, start, stop)
        return
    for start in range(0, len(idx), batch_size):
        rows = idx[start : start + batch_size]
        yield _dense_rows(X[rows.numpy()]), _pick(y, rows)


_BATCH_EVENTS = ("on_batch_begin", "on_batch_end", "on_grad_computed")


def _implements(obj, name, base):
    """Whether ``obj`` (the net or a callback) overrides ``base``'s method ``name`` (a
    no-op, except the net's own ``on_batch_begin``, which this module overrides)."""
    return getattr(type(obj), name, None) is not getattr(base, name) or name in vars(obj)


#: The losses whose NaN or infinity says that training diverged (skorch's own keys).
_LOSS_KEYS = ("train_loss", "valid_loss")


def diverged_epochs(history, start=0):
    """The epochs of ``history`` from its ``start``-th row on whose training or
    validation loss is NaN or infinite, as ``[(epoch, key, value), ...]`` (an epoch's
    first such loss; ``epoch`` as the history numbers it).

    A callback that restores earlier weights (``MemberHoldout``, skorch's
    ``EarlyStopping(load_best=True)``) can leave finite weights after such epochs: the
    history is where the divergence shows.
    """
    found = []
    for i in range(start, len(history)):
        row = history[i]  # (by index: another history class, e.g. a distributed one)
        for key in _LOSS_KEYS:
            value = row.get(key)
            if value is not None and not np.isfinite(float(value)):
                found.append((row.get("epoch"), key, float(value)))
                break
    return found


def _label_variety(y, spec):
    """0 where the targets ``y`` hold no label of the task ``spec`` (no positive loss
    weight), else 1, or 2 for a binary or multiclass task with labels of two classes or
    more (other tasks: 2 wherever labelled)."""
    weights = y[:, spec["weight_start"] : spec["weight_start"] + spec["width"]]
    labelled = (weights > 0).any(1)
    if not bool(labelled.any()):
        return 0
    if spec["kind"] not in ("binary", "multiclass"):
        return 2
    return min(len(torch.unique(y[labelled, spec["start"]])), 2)


class TaskLosses(Callback):
    """Per-epoch means of the per-task losses, ``train_loss_<task>`` / ``valid_loss_<task>``,
    and each classification task's validation accuracy, ``valid_acc_<task>``.

    The net records one list of per-task losses per batch; this averages them over the
    epoch, each batch's weighted by the weights its task's labels carry there
    (:func:`validation_task_means`): each task's weighted mean over the epoch's training
    samples and over the whole validation data, so a batch of samples of weight 0, or
    without a task's label, counts for nothing (weighted by batch size, as skorch
    averages ``train_loss``, such batches pulled a sparsely labelled task's
    ``train_loss_<task>`` towards 0). A task without any label of positive weight in
    the validation data has no ``valid_loss_<task>`` (nor ``valid_acc_<task>``), nor
    one without such a label among the epoch's training samples a
    ``train_loss_<task>``: a 0 there read as a perfect score (``valid_loss`` still adds
    its 0). On a
    validation split the net also counts each task's wrong and labelled entries per
    batch (a multilabel task's per label), which give the accuracy, as skorch's
    classifiers record ``valid_acc``.
    """

    def __init__(self, task_names=()):
        self.task_names = task_names

    def on_epoch_end(self, net, **kwargs):
        batches = net.history[-1, "batches"]
        for prefix in ("train", "valid"):
            rows = [b for b in batches if f"{prefix}_task_losses" in b]
            if not rows:
                continue
            # data-parallel training: each process holds the batches of its own shard,
            # whose sums the processes add up (the validation data are whole in each)
            reduce = getattr(net, "sum_over_processes", None) if prefix == "train" else None
            found = validation_task_means(rows, prefix, reduce=reduce, totals=True)
            means = None if found is None else found[0]
            scored = [True] * len(self.task_names)
            if means is None:  # batches recorded without their weights
                losses = np.array([b[f"{prefix}_task_losses"] for b in rows], dtype=float)
                sizes = np.array([b[f"{prefix}_batch_size"] for b in rows], dtype=float)
                sums, total = (losses * sizes[:, None]).sum(axis=0), sizes.sum()
                if reduce is not None:
                    sums, total = reduce(sums, total)
                means = sums / total
            elif prefix == "valid":
                scored = np.sum([b["valid_task_weights"] for b in rows], axis=0) > 0
                self._check_monitors(net, [name for name, ok in zip(self.task_names, scored)
                                           if not ok])
            else:  # no label of the task trained this epoch (a partial_fit batch without
                # one): no train_loss_<task>, whose 0 read as a perfect fit (and dynamic
                # weight average took it for the task's loss, a rate of 0 or of 1e12)
                scored = found[1] > 0
            for name, value, ok in zip(self.task_names, means, scored):
                if ok:
                    net.history.record(f"{prefix}_loss_{name}", float(value))
        counts = [b["valid_task_errors"] for b in batches if "valid_task_errors" in b]
        if counts:
            wrong, given = np.sum(counts, axis=0)
            for name, w, g, kind in zip(self.task_names, wrong, given, net.task_kinds()):
                if g > 0 and kind != "regression":
                    net.history.record(f"valid_acc_{name}", float(1.0 - w / g))

    @staticmethod
    def _check_monitors(net, unscored):
        """A ``ValueError`` for a callback monitoring ``valid_loss_<task>`` or
        ``valid_acc_<task>`` of a task without a label in the validation data: the
        history records neither, where skorch would fail with a ``KeyError``."""
        for task in unscored:
            for name, callback in getattr(net, "callbacks_", None) or []:
                monitor = getattr(callback, "monitor", None)
                if not isinstance(monitor, str):
                    continue
                key = monitor[:-len("_best")] if monitor.endswith("_best") else monitor
                if key in (f"valid_loss_{task}", f"valid_acc_{task}"):
                    raise ValueError(
                        f"Callback {name!r} monitors {monitor!r}, but the validation data "
                        f"hold no label of task {task!r} (or only labels of weight 0): the "
                        "history records no such score. Monitor 'valid_loss' or another "
                        "task's score, or give validation data that label this task."
                    )


def validation_task_means(rows, prefix="valid", reduce=None, totals=False):
    """Each task's loss over the validation (or, with ``prefix="train"``, training)
    batches ``rows``: the batches' per-task (weighted) means, each weighted by the total
    weight of its task's labels there (``<prefix>_task_weights``), which is the weighted
    mean over every sample of the batches. Weighted by batch size instead (skorch's
    ``valid_loss``), a batch of samples of weight 0, or without the task's label, pulled
    the mean towards 0. None where a batch lacks the weights.

    ``reduce``, if given, maps the per-task weighted sums and total weights of ``rows``
    to those over every process's batches (data-parallel training): the means are then
    over all the processes' samples, not each process's mean averaged. With ``totals``,
    ``(means, total weights)``: a task whose total is 0 has no label of positive weight
    in ``rows``."""
    if not all(f"{prefix}_task_weights" in b for b in rows):
        return None
    losses = np.array([b[f"{prefix}_task_losses"] for b in rows], dtype=float)
    weights = np.array([b[f"{prefix}_task_weights"] for b in rows], dtype=float)
    sums, total = (losses * weights).sum(axis=0), weights.sum(axis=0)
    if reduce is not None:
        sums, total = reduce(sums, total)
    # a task without a weighted label in the validation data contributes 0, as in a batch
    means = np.where(total > 0, sums / np.where(total > 0, total, 1), 0.0)
    return (means, total) if totals else means


class NetScoring(PassthroughScoring):
    """skorch's ``PassthroughScoring`` whose ``get_avg_score`` can read the net
    (``self.net_``, set for the duration of ``on_epoch_end`` only, so that the callback
    holds no reference to the net between epochs nor in a pickle)."""

    def on_epoch_end(self, net, **kwargs):
        self.net_ = net
        try:
            super().on_epoch_end(net, **kwargs)
        finally:
            del self.net_


class ValidLoss(NetScoring):
    """skorch's ``valid_loss`` (and ``valid_loss_best``) from the per-task means of
    :func:`validation_task_means`, combined as the criterion combines a batch's (its task
    weights, and a weighting strategy's current weights). So the score that
    ``early_stopping`` and a ``Checkpoint`` monitor is the loss over the validation
    data as its sample weights weigh it: a sample of weight 0 changes nothing, as if it
    were left out."""

    def get_avg_score(self, history):
        rows = [b for b in history[-1, "batches"] if "valid_task_losses" in b]
        means = validation_task_means(rows) if rows else None
        criterion = getattr(getattr(self, "net_", None), "criterion_", None)
        if means is None or not hasattr(criterion, "combine"):
            return super().get_avg_score(history)
        weights = criterion.task_weights
        means = torch.as_tensor(means, dtype=weights.dtype, device=weights.device)
        # the tasks the validation data label, combined as a batch's are (affine in the
        # losses: the mean of the batches' totals)
        labelled = torch.as_tensor(
            np.sum([b["valid_task_weights"] for b in rows], axis=0) > 0, device=weights.device)
        with torch.no_grad():
            return float(criterion.combine(means, labelled))


class TaskPrintLog(PrintLog):
    """skorch's ``PrintLog`` with the per-task columns in the tasks' order.

    skorch sorts the columns alphabetically; the per-task columns (``train_loss_<task>``,
    ``valid_loss_<task>``, ``valid_acc_<task>``, ``member_valid_acc_<task>``,
    ``weight_<task>``) are put in schema order instead, each group where its first column
    would be.

    It is the net's default ``print_log``; a callback named ``"print_log"`` among the
    net's callbacks replaces it (see :class:`MultiTaskNet`).

    Parameters
    ----------
    task_names : sequence of str, default=()
        The tasks, in order; empty: the net's ``task_names``.
    keys_ignored, sink, tablefmt, floatfmt, stralign : as skorch's ``PrintLog``
        The columns left out, where the lines go, and the table's format.
    """

    _PREFIXES = ("train_loss_", "valid_loss_", "valid_acc_", "member_valid_acc_", "weight_")

    # skorch's parameters spelled out: ``get_params`` (and so ``clone`` and
    # ``set_params(callbacks__print_log__keys_ignored=...)``) reads the signature
    def __init__(self, task_names=(), keys_ignored=None, sink=print, tablefmt="simple",
                 floatfmt=".4f", stralign="right"):
        super().__init__(keys_ignored=keys_ignored, sink=sink, tablefmt=tablefmt,
                         floatfmt=floatfmt, stralign=stralign)
        self.task_names = task_names

    def on_epoch_end(self, net, **kwargs):
        # skorch formats the epoch's table even when ``verbose=0`` has its ``print``
        # sink drop it: about 1 ms an epoch, 5% of a small table's default fit
        if self.sink is print and not net.verbose:
            return
        self.names_ = tuple(self.task_names) or tuple(getattr(net, "task_names", ()))
        super().on_epoch_end(net, **kwargs)

    def table(self, row):
        # an epoch without a label of a task among its training samples (a partial_fit
        # batch without one) records no train_loss_<task>: its cell is left blank, where
        # the row's later values moved one column to the left, under other names
        names = tuple(self.task_names) or getattr(self, "names_", ())
        missing = {f"train_loss_{name}": None for name in names
                   if "train_loss" in row and f"train_loss_{name}" not in row}
        return super().table({**row, **missing} if missing else row)

    def _task_key(self, key):
        """(prefix, task position) of a per-task column, or None."""
        names = tuple(self.task_names) or getattr(self, "names_", ())
        position = {name: i for i, name in enumerate(names)}
        for prefix in self._PREFIXES:
            if key.startswith(prefix) and key[len(prefix):] in position:
                return prefix, position[key[len(prefix):]]
        return None

    def _sorted_keys(self, keys):
        ordered, placed = [], set()
        alphabetical = super()._sorted_keys(keys)
        for key in alphabetical:
            if key in placed:
                continue
            found = self._task_key(key)
            if found is None:
                ordered.append(key)
                continue
            group = [k for k in alphabetical if (t := self._task_key(k)) and t[0] == found[0]]
            group.sort(key=lambda k: self._task_key(k)[1])
            ordered += group
            placed.update(group)
        return ordered


def _unrecorded_monitor(net, name, callback):
    """The message for ``callback`` (named ``name``) monitoring a key that the last row
    of ``net``'s history does not hold, or None where it monitors no such key."""
    monitor = getattr(callback, "monitor", None)
    row = net.history[-1] if len(net.history) else {}
    if not isinstance(monitor, str) or monitor in row:
        return None
    recorded = [key for key in row if key not in ("batches", "epoch", "dur")]
    best = "_best" if monitor.endswith("_best") else ""
    key = monitor[: len(monitor) - len(best)]
    per_task = [f"{key}_{task}{best}" for task in getattr(net, "task_names", ())
                if f"{key}_{task}{best}" in row]
    skorch = " (skorch's classifiers record one 'valid_acc')" if key == "valid_acc" else ""
    hint = (f" It is recorded per task: {', '.join(map(repr, per_task))}{skorch}."
            if per_task else "")
    return (
        f"Callback {name!r} monitors {monitor!r}, which the history does not record.{hint}"
        f" The keys this epoch recorded: {', '.join(map(repr, recorded))}. Monitor one of "
        "them, or put the callback that records the key before this one in callbacks."
    )


def _pair_names(callbacks):
    """The names of the ``(name, callback)`` pairs among ``callbacks``."""
    if not isinstance(callbacks, (list, tuple)):
        return set()
    return {cb[0] for cb in callbacks if isinstance(cb, (tuple, list)) and len(cb) == 2}


def _defers_reads(device):
    """Whether training on ``device`` reads the batch losses once an epoch (on an
    accelerator) rather than once a batch (on CPU, where a read costs no wait)."""
    return device is not None and torch.device(device).type != "cpu"


def _stack_members(trunk, parameters, k):
    """Whether each of ``parameters`` stacks ``k`` members along its first axis: held by
    a layer of ``trunk`` that has ``k`` members (``n_members``, as a ``MemberLinear``),
    not one that is ``k`` wide by chance (a shared ``Linear(n, k)`` before each
    member's layers, whose rows are units, not members)."""
    stacked = {id(p) for layer in trunk.modules() if getattr(layer, "n_members", None) == k
               for p in layer.parameters(recurse=False) if p.ndim and p.shape[0] == k}
    return all(id(p) in stacked for p in parameters)


#: The parameters a net is given as instances that training uses as they are (skorch's
#: ``initialize_module`` keeps an instance given without arguments as ``module_``).
_FITTED_AS_GIVEN = ("module", "criterion")


class _SameAsFitted:
    """Stands, in a pickled net, for a parameter that is the fitted attribute itself."""


class MultiTaskNet(NeuralNet):
    """A ``NeuralNet`` whose module returns one output per task and whose criterion is
    :class:`~sklearn_mtl.neural.MultiTaskLoss`.

    Per-task losses are recorded per batch (``train_loss_<task>``, ``valid_loss_<task>``)
    and averaged per epoch into the history. In-memory data is batched by slicing.

    Parameters
    ----------
    task_names : sequence of str, default=()
        Names used in the history keys.
    shuffle_seed : int or None, default=None
        Seed of the generator that shuffles training batches.
    num_workers : int, default=0
        Worker processes of the ``DataLoader`` used for a user ``Dataset``.
    batch_transform : callable or None, default=None
        Applied to X of every training batch (on ``device``), never to validation
        batches: augmentation.
    fast_step : bool, default=False
        Build the optimizer with torch's fused step for ``device`` where it has one,
        else its multi-tensor step (``fused=True``, ``foreach=True``; see
        :func:`fast_step_kwargs`). ``optimizer__fused`` or ``optimizer__foreach`` given
        to the net win.
    """

    def __init__(
        self, *args, task_names=(), shuffle_seed=None, num_workers=0, batch_transform=None,
        fast_step=False, **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.task_names = task_names
        self.shuffle_seed = shuffle_seed
        self.num_workers = num_workers
        self.batch_transform = batch_transform
        self.fast_step = fast_step

    @property
    def _default_callbacks(self):
        callbacks = [cb if cb[0] != "valid_loss" else ("valid_loss", ValidLoss("valid_loss"))
                     for cb in super()._default_callbacks if cb[0] != "print_log"]
        callbacks.append(("task_losses", TaskLosses(self.task_names)))
        callbacks.append(("task_weights", TaskWeightRecorder()))
        # a callback the user named "print_log" takes the default log's place, as
        # skorch's set_params(callbacks__print_log=...) puts one there (two callbacks of
        # one name would be refused as duplicates)
        if "print_log" not in _pair_names(self.callbacks):
            callbacks.append(("print_log", TaskPrintLog(self.task_names)))
        return callbacks

    #: What ``notify`` sets up for one training, from ``on_train_begin`` to
    #: ``on_train_end``: each is rebuilt (or done without) where it is missing.
    _TRAINING_STATE = ("_batch_hooks", "_lean_steps", "_lean_train_step", "_deferred_reads")

    def __getstate__(self):
        # a net pickled while it trains (skorch's Checkpoint(f_pickle=...) at an epoch's
        # end) leaves out the training's shortcuts: the lean step is a closure, which
        # pickle refuses, and the others hold the optimizer, pickled apart by skorch
        state = super().__getstate__()
        for key in self._TRAINING_STATE:
            state.pop(key, None)
        # skorch pickles the fitted module and loss apart (``module_`` inside its
        # device-dependent bytes), so an instance given as ``module`` that is itself the
        # fitted one was written twice: every weight a second time, and a copy that no
        # longer was ``module_`` once loaded
        for name in _FITTED_AS_GIVEN:
            if isinstance(state.get(name), torch.nn.Module) and (
                    state[name] is self.__dict__.get(f"{name}_")):
                state[name] = _SameAsFitted()
        return state

    #: ``{task position: (mean, std)}`` of the regression outputs while the estimator
    #: holds them in the labels' units (after training), else None: they train in
    #: standardised units (see ``MultiTaskClassifier._rescale_regression_outputs``).
    _label_units = None

    def save_params(self, f_params=None, *args, **kwargs):
        """skorch's ``save_params``; a regression task's output layer is written in the
        standardised units the network trains in, as a ``Checkpoint`` writes it during
        training, whatever units the fitted estimator holds it in, so that one file
        format loads alike (see :meth:`load_params`)."""
        units = self.__dict__.get("_label_units")
        if not units or not getattr(self, "initialized_", False):
            return super().save_params(f_params, *args, **kwargs)
        self._scale_label_units(units, inverse=True)
        try:
            return super().save_params(f_params, *args, **kwargs)
        finally:
            self._scale_label_units(units)

    def load_params(self, f_params=None, *args, checkpoint=None, **kwargs):
        """skorch's ``load_params``; into a fitted estimator's network, whose regression
        outputs are in the labels' units, a module's parameters (saved, as a
        ``Checkpoint`` saves them, in the units the network trains in) are put in those
        units: a checkpoint restored after ``fit`` predicted standardised values."""
        out = super().load_params(f_params, *args, checkpoint=checkpoint, **kwargs)
        units = self.__dict__.get("_label_units")
        if units:
            files = checkpoint.get_formatted_files(self) if checkpoint is not None else {}
            if any(f is not None for f in (f_params, kwargs.get("f_module"),
                                           files.get("f_params"), files.get("f_module"))):
                self._scale_label_units(units)
        return out

    def _scale_label_units(self, units, inverse=False):
        from ._modules import rescale_task_output

        for j, (mean, std) in units.items():
            scale, shift = (1.0 / std, -mean / std) if inverse else (std, mean)
            rescale_task_output(self.module_, j, scale, shift)

    def __setstate__(self, state):
        super().__setstate__(state)
        for name in _FITTED_AS_GIVEN:
            if isinstance(self.__dict__.get(name), _SameAsFitted):
                setattr(self, name, getattr(self, f"{name}_"))

    def notify(self, method_name, **cb_kwargs):
        # Batch events go only to the callbacks (and net) that implement them: skorch
        # calls every callback on every batch, and the default ones do nothing there.
        hooks = self.__dict__.get("_batch_hooks")
        if hooks is not None and method_name in hooks:
            for hook in hooks[method_name]:
                hook(self, **cb_kwargs)
            return
        if method_name == "on_train_end":
            for key in self._TRAINING_STATE:
                self.__dict__.pop(key, None)
            try:
                super().notify(method_name, **cb_kwargs)
            finally:  # what a callback recorded at the end (MemberHoldout._defer)
                records = self.__dict__.pop("train_end_records_", None) or {}
            # again where a callback after it replaced the history (a Checkpoint's
            # load_best=True loads the history it saved)
            for key, value in records.items():
                if len(self.history) and key not in self.history[-1]:
                    self.history.record(key, value)
            return
        if method_name == "on_epoch_end":
            self._notify_epoch_end(**cb_kwargs)
            return
        super().notify(method_name, **cb_kwargs)
        if method_name == "on_train_begin":  # the callbacks are fixed until on_train_end
            listeners = [(self, NeuralNet), *((cb, Callback) for _, cb in self.callbacks_)]
            self.__dict__["_batch_hooks"] = {
                name: [getattr(obj, name) for obj, base in listeners
                       if _implements(obj, name, base)]
                for name in _BATCH_EVENTS
            }
            self.__dict__["_lean_steps"] = {
                name: LeanAdamStep.for_optimizer(getattr(self, name + "_"))
                for name in self._optimizers
            }
            self.__dict__["_lean_train_step"] = self._lean_train_step_for()
            self.__dict__["_deferred_reads"] = (
                _defers_reads(self.device) and type(self.history_) is History
            )

    def _notify_epoch_end(self, **cb_kwargs):
        """skorch's ``notify("on_epoch_end")``, except that a callback failing on a key
        it monitors that the history does not record (``valid_acc``, which skorch's
        classifiers record and this net records per task) is named in a ``ValueError``
        with the keys the epoch recorded: skorch raised a bare ``KeyError``."""
        self.on_epoch_end(self, **cb_kwargs)
        for name, callback in self.callbacks_:
            try:
                callback.on_epoch_end(self, **cb_kwargs)
            except (KeyError, ValueError, SkorchException) as exc:
                problem = _unrecorded_monitor(self, name, callback)
                if problem is None:
                    raise
                raise ValueError(problem) from exc

    def _set_training(self, training=True):
        # skorch switches every (sub)module's mode on every batch; recursing through the
        # module tree costs more than a small MLP's step. Switch only on a change.
        for name in (*self._modules, *self._criteria):
            m = getattr(self, name + "_")
            if isinstance(m, torch.nn.Module) and m.training != training:
                super()._set_training(training)
                return

    def infer(self, x, **fit_params):
        # skorch's ``to_tensor`` checks a dozen input types on every batch; a tensor
        # batch (every in-memory one) goes straight to the module.
        if type(x) is torch.Tensor and not fit_params and self.device is not None:
            return self.module_(x.to(self.device))
        return super().infer(x, **fit_params)

    # skorch's ``forward`` and ``predict_proba`` join the batches' outputs end to end. An
    # ensemble's outputs stack its members (k × batch rows, member by member): joined so,
    # the batches' members would interleave. They are joined member by member instead,
    # as the module's output on all of ``X`` at once (see :func:`_join_members`).
    def forward(self, X, training=False, device="cpu"):
        k = n_members(self.module_)
        if k == 1:
            return super().forward(X, training=training, device=device)
        batches = list(self.forward_iter(X, training=training, device=device))
        if batches and isinstance(batches[0], tuple):
            return tuple(_join_members(outputs, k) for outputs in zip(*batches))
        return _join_members(batches, k)

    def predict_proba(self, X):
        k = n_members(self.module_)
        if k == 1:
            return super().predict_proba(X)
        # skorch's: the first output (the first task's), through the predict nonlinearity
        first = [yp[0] if isinstance(yp, tuple) else yp
                 for yp in self.forward_iter(X, training=False)]
        return to_numpy(self._get_predict_nonlinearity()(_join_members(first, k)))

    # The history rows of a batch. A plain skorch ``History`` is written in place (its
    # indexing resolves any key path, which costs microseconds a call, four calls a
    # batch); another history class (e.g. skorch's ``DistributedHistory``) is called.
    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        history = self.history_
        if type(history) is History:
            list.__getitem__(history, -1)["batches"].append({})
        else:
            history.new_batch()

    def _record_batch(self, key, value):
        history = self.history_
        if type(history) is History:
            list.__getitem__(history, -1)["batches"][-1][key] = value
        else:
            history.record_batch(key, value)

    def initialize(self, *, defer_optimizer=False):
        """skorch's ``initialize``; with ``defer_optimizer=True`` the optimizer is built
        when it is first needed (training, or ``optimizer_`` read) rather than now.

        A model loaded to predict never needs one, and building the first torch
        optimizer of a process imports ``torch._dynamo`` (about a second, more than the
        rest of a small model's loading).
        """
        self.__dict__.pop("_optimizer_deferred", None)
        self.__dict__["_defer_optimizer"] = defer_optimizer
        try:
            super().initialize()
        finally:
            self.__dict__.pop("_defer_optimizer", None)
        self.shuffle_generator_ = torch.Generator()
        if self.shuffle_seed is not None:
            self.shuffle_generator_.manual_seed(int(self.shuffle_seed))
        else:
            self.shuffle_generator_.seed()
        self.worker_generator_ = torch.Generator()
        self.worker_generator_.manual_seed(int(self.shuffle_generator_.initial_seed()) + 1)
        return self

    def initialize_optimizer(self, triggered_directly=None):
        if self.__dict__.get("_defer_optimizer"):
            self.__dict__["_optimizer_deferred"] = True
            return self
        self.__dict__.pop("_optimizer_deferred", None)
        if not self.fast_step:
            super().initialize_optimizer(triggered_directly)
        else:
            args, kwargs = self.get_params_for_optimizer(
                "optimizer", self.get_all_learnable_params()
            )
            self.optimizer_ = self.optimizer(
                *args, **{**fast_step_kwargs(self.optimizer, self.device), **kwargs}
            )
        if len(self.__dict__.get("history_") or ()):
            # a new optimizer for a net that trains on (a loaded one, new optimizer
            # arguments): a torch scheduler resumed past epoch 0 (skorch's LRScheduler
            # after a first fit) needs each group's base rate, as its first epoch sets it
            for group in self.optimizer_.param_groups:
                group.setdefault("initial_lr", group["lr"])
        return self

    def _validate_params(self):
        """skorch's check of the arguments; with the optimizer deferred, its
        ``optimizer__*`` arguments (``optimizer_params``, ``head_lr``'s groups) are the
        optimizer's to come: skorch accepts them only once ``optimizer_`` is set."""
        if not self.__dict__.get("_optimizer_deferred") or "optimizer" in self.prefixes_:
            return super()._validate_params()
        own = self.__dict__.get("prefixes_", _ABSENT)
        # set around skorch's __setattr__, which would register "optimizer" for good
        self.__dict__["prefixes_"] = [*self.prefixes_, "optimizer"]
        try:
            return super()._validate_params()
        finally:
            if own is _ABSENT:
                del self.__dict__["prefixes_"]
            else:
                self.__dict__["prefixes_"] = own

    def _build_deferred_optimizer(self):
        """Build the optimizer that ``initialize(defer_optimizer=True)`` left out."""
        if not self.__dict__.get("_optimizer_deferred"):
            return
        verbose = self.verbose
        self.verbose = 0  # not a re-initialization the user asked for: no message
        try:
            self._initialize_optimizer()
        finally:
            self.verbose = verbose

    def __getattr__(self, name):
        # only for attributes that are not found: the optimizer of a deferred net
        if name == "optimizer_" and self.__dict__.get("_optimizer_deferred"):
            self._build_deferred_optimizer()
            return self.__dict__["optimizer_"]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        self._build_deferred_optimizer()
        return super().partial_fit(X, y, classes=classes, **fit_params)

    def fit_loop(self, X, y=None, *args, **kwargs):
        from ._ensemble import MemberHoldout, holdout_active

        holdout = (
            y is not None and holdout_active(self.module_)
            and any(isinstance(cb, MemberHoldout) for _, cb in self.callbacks_)
        )
        self.__dict__["_member_holdout"] = holdout
        prepare = getattr(self.criterion_, "prepare", None)
        if prepare is not None and y is not None and not holdout:
            target = torch.as_tensor(y)
            # validation data of its own (predefined_split): its gaps and weights count
            valid = getattr(self.train_split, "keywords", {}).get("valid_ds")
            if isinstance(valid, TensorPairDataset) and valid.y is not None:
                target = torch.cat([target, torch.as_tensor(valid.y)])
            prepare(target)
        elif holdout:  # the weights differ by member: never the plain-mean shortcut
            self.criterion_.unweighted = [False] * len(self.criterion_.specs)
            self.criterion_._runs = None
        return super().fit_loop(X, y, *args, **kwargs)

    def get_dataset(self, X, y=None):
        if isinstance(X, Dataset):
            return X if y is None else LabelledDataset(X, y)
        return TensorPairDataset(X, y)

    def get_split_datasets(self, X, y=None, **fit_params):
        """skorch's split; warns where a validation split drawn from the training data
        (``early_stopping``'s ``validation_fraction``) left a task no labelled training
        sample, or labels of one class only (see :meth:`_check_training_part`)."""
        dataset_train, dataset_valid = super().get_split_datasets(X, y, **fit_params)
        # in memory, or read lazily (a memory map, a user's Dataset): the targets alike
        if (dataset_valid is not None and isinstance(dataset_train, Subset)
                and isinstance(dataset_train.dataset, (TensorPairDataset, LabelledDataset))
                and dataset_train.dataset.y is not None):
            rows = torch.as_tensor(dataset_train.indices, dtype=torch.long)
            y_all = torch.as_tensor(dataset_train.dataset.y)
            self._check_training_part(y_all[rows], y_all)
        return dataset_train, dataset_valid

    def _check_training_part(self, y, y_all):
        """A ``UserWarning`` for each task that the targets ``y`` of the training part
        of a split hold no label of (no positive loss weight: its head does not train)
        or, for a binary or multiclass task, labels of one class only (it learns to
        predict that class), where the whole training data ``y_all`` held more. The
        split is random, not stratified: on a small table, or for a task labelled on
        few samples, it can take every label of a class."""
        specs = getattr(self.criterion_, "specs", None)
        if specs is None or len(specs) != len(self.task_names):
            return
        for name, spec in zip(self.task_names, specs):
            part, whole = _label_variety(y, spec), _label_variety(y_all, spec)
            if part >= min(whole, 2):
                continue
            problem, result = (
                ("no label", "its head does not train") if part == 0 else
                ("labels of one class only", "it learns to predict that class")
            )
            cv = getattr(self.train_split, "cv", None)
            fraction = f" (validation_fraction={cv})" if isinstance(cv, float) else ""
            warnings.warn(
                f"The validation split{fraction} left task {name!r} {problem} among the "
                f"{len(y)} training sample(s): {result}. Lower validation_fraction, or "
                "pass validation data of your own as X_val and y_val.",
                UserWarning,
            )

    def get_iterator(self, dataset, training=False):
        base, indices = dataset, None
        if isinstance(dataset, Subset) and isinstance(dataset.dataset, TensorPairDataset):
            base, indices = dataset.dataset, torch.as_tensor(dataset.indices, dtype=torch.long)
        batches = self._get_batches(base, indices, dataset, training)
        if training and self.batch_transform is not None:
            return _TransformedBatches(batches, self.batch_transform, self.device)
        return batches

    def _get_batches(self, base, indices, dataset, training):
        merge = training and self._batch_norms_rows()
        if merge and self._batch_norms_rows(only_rows=True) and (
                self.batch_size == 1 or len(dataset) == 1):
            # merging a one-row last batch cannot help: every batch is one row
            raise ValueError(
                "batch_norm=True normalises each training batch over its rows, which a "
                f"batch of one row cannot be (batch_size={self.batch_size}, "
                f"{len(dataset)} training sample(s)); train on batches of at least 2 rows, "
                "or set batch_norm=False."
            )
        stream = getattr(base, "sharded_batches", None)
        if stream is not None:  # e.g. Parquet shards: read, batched and shuffled by itself
            batch_size = self.batch_size if self.batch_size != -1 else len(dataset)
            return stream(batch_size, training, self.shuffle_generator_, merge_single=merge)
        if isinstance(base, TensorPairDataset):
            batch_size = self.batch_size if self.batch_size != -1 else len(dataset)
            return SliceBatchIterator(
                base.X, base.y, indices, batch_size, shuffle=training,
                generator=self.shuffle_generator_, merge_single=merge,
            )
        batch_size = self.batch_size if self.batch_size != -1 else len(dataset)
        # The sampler draws the same permutation as SliceBatchIterator; a separate
        # generator seeds the workers, so neither the shuffle nor torch's global RNG
        # (dropout, augmentation) depends on whether X was a Dataset or an array.
        sampler = _PermutationSampler(len(dataset), self.shuffle_generator_) if training else None
        worker_seed = int(torch.randint(2**62, (1,), generator=self.worker_generator_))
        batching = {"batch_size": batch_size, "sampler": sampler}
        if merge and len(dataset) > batch_size and len(dataset) % batch_size == 1:
            batching = {"batch_sampler": _MergedBatchSampler(sampler, batch_size)}
        return WorkerLoader(
            dataset, **batching, num_workers=self.num_workers,
            generator=torch.Generator().manual_seed(worker_seed),
        )

    def _batch_norms_rows(self, only_rows=False):
        """Whether the module normalises over the batch (any batch norm: the MLP trunk's
        ``BatchNorm1d``, a convolutional trunk's ``BatchNorm2d`` or ``BatchNorm3d``,
        which fails on one image where the trunk has shrunk it to 1 x 1): its training
        batches then never hold one row alone where more rows can join it. Without one,
        the batches are left exactly as they were. ``only_rows``: whether one normalises
        rows alone (``BatchNorm1d``), which no batch of one row can train at all (an
        image's ``BatchNorm2d`` normalises over its pixels too)."""
        nn = torch.nn
        kind = nn.BatchNorm1d if only_rows else (
            nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
        return any(isinstance(m, kind) for m in self.module_.modules())

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch, with less bookkeeping per batch.

        The same events, history rows and step results as ``NeuralNet.run_single_epoch``:
        ``on_batch_begin``, the step, ``<prefix>_loss`` and ``<prefix>_batch_size``,
        ``on_batch_end``, then ``<prefix>_batch_count``. Batch events reach only the
        callbacks that implement them (see :meth:`notify`); on a small network, skorch's
        per-batch calls otherwise cost about a tenth of each step.

        On an accelerator, reading a batch's loss waits for the device to finish the
        step, so the host cannot queue the next one meanwhile. There the batch losses
        stay device tensors during the epoch (a callback reading one in
        ``on_batch_end`` gets a 0-d tensor) and are read together at its end, in one
        transfer: the history then holds the same floats as on CPU.
        """
        if iterator is None:
            return
        if training and not fit_params and step_fn == self.train_step:
            step_fn = self.__dict__.get("_lean_train_step") or step_fn
        deferred = self.__dict__.get("_deferred_reads", False)
        batch_count = 0
        batches = iter(iterator)
        try:
            for batch in batches:
                self.notify("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                xb = batch[0] if isinstance(batch, (tuple, list)) else batch
                batch_size = xb.shape[0] if isinstance(xb, torch.Tensor) else get_len(xb)
                loss = step["loss"].detach()
                self._record_batch(prefix + "_loss", loss if deferred else loss.item())
                self._record_batch(prefix + "_batch_size", batch_size)
                self.notify("on_batch_end", batch=batch, training=training, **step)
                batch_count += 1
        except BaseException as exc:  # a step raised: a loader's workers stop now
            if inspect.isgenerator(batches):  # (WorkerLoader)
                batches.close()
            if training and _one_value_per_channel(exc):
                raise ValueError(
                    "The network's batch norm normalises each channel over a training "
                    "batch, which one sample cannot be where the trunk has shrunk it to "
                    f"one value a channel (an image pooled to 1 x 1; batch_size="
                    f"{self.batch_size}, a batch of one sample): train on batches of at "
                    "least 2 samples (partial_fit on more than one), or leave batch "
                    "norm out of the trunk (trunk_params={'batch_norm': False} for a "
                    f"convolutional one). torch said: {exc}"
                ) from None
            raise
        if deferred and batch_count:
            self._read_batch_losses(prefix, batch_count)
        self.history.record(prefix + "_batch_count", batch_count)

    def _read_batch_losses(self, prefix, batch_count):
        """The epoch's last ``batch_count`` batch rows: device tensors to Python numbers
        (``<prefix>_loss`` a float, ``<prefix>_task_losses`` a list), in one transfer."""
        rows = list.__getitem__(self.history_, -1)["batches"][-batch_count:]
        slots, tensors = [], []
        for row in rows:
            for key in (prefix + "_loss", prefix + "_task_losses", prefix + "_task_errors",
                        prefix + "_task_weights"):
                value = row.get(key)
                if isinstance(value, torch.Tensor):
                    slots.append((row, key, value.numel()))
                    tensors.append(value.reshape(-1).double())  # float32 -> float64 exactly
        if not tensors:
            return
        values = torch.cat(tensors).tolist()
        at = 0
        for row, key, n in slots:
            taken = values[at : at + n]
            if key.endswith("_task_errors"):  # (wrong, labelled) rows of the tasks
                taken = [taken[: n // 2], taken[n // 2 :]]
            row[key] = taken if key.endswith(
                ("_task_losses", "_task_errors", "_task_weights")) else taken[0]
            at += n

    def train_step(self, batch, **fit_params):
        """skorch's training step: zero the gradients, :meth:`train_step_single`,
        ``on_grad_computed``, then every optimizer's ``step`` with that closure.

        ``on_grad_computed`` (with the generator of learnable parameters skorch passes)
        is sent only when a callback implements it, e.g. ``GradientNormClipping``.

        An optimizer that calls the closure several times a step (``LBFGS``) has the
        batch's per-task losses recorded from the call whose step the accumulator keeps
        (skorch's keeps the first), as its ``train_loss`` is: each call recorded its
        own, and the last call's stood next to the first call's ``train_loss``.
        """
        self._build_deferred_optimizer()
        accumulator = self.get_train_step_accumulator()
        hooks = self.__dict__.get("_batch_hooks")
        called = []  # not empty once the closure has run
        kept = []  # [step, records] of the last later call whose step the accumulator kept

        def step_fn():
            self._zero_grad_optimizer()
            if not called:
                called.append(True)
                step = self.train_step_single(batch, **fit_params)
                accumulator.store_step(step)
            else:  # LBFGS evaluates the loss again
                step, records = self._step_held_apart(batch, **fit_params)
                accumulator.store_step(step)
                if accumulator.get_step() is step:
                    kept[:] = [step, records]
            if hooks is None or hooks["on_grad_computed"]:
                self.notify(
                    "on_grad_computed",
                    named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=batch, training=True,
                )
            return step["loss"]

        self._step_optimizer(step_fn)
        step = accumulator.get_step()
        if kept and kept[0] is step:  # a later call's step: its records replace the first's
            for key, value in kept[1].items():
                self._record_batch(key, value)
        return step

    def _step_held_apart(self, batch, **fit_params):
        """``(step, records)``: :meth:`train_step_single`, whose batch records (the
        per-task losses and label weights) go to the dict ``records``, not to the
        history."""
        records = {}
        self.__dict__["_record_batch"] = records.__setitem__
        try:
            return self.train_step_single(batch, **fit_params), records
        finally:
            del self.__dict__["_record_batch"]

    #: Methods whose override (e.g. by a subclass) turns the lean training step off.
    _STEP_METHODS = ("train_step", "train_step_single", "infer", "get_loss",
                     "get_task_losses", "_step_optimizer", "_zero_grad_optimizer",
                     "_set_training")

    def _lean_train_step_for(self):
        """:meth:`train_step` without its indirections, or None where they matter.

        The same operations in the same order as ``train_step`` with one ``Adam`` or
        ``AdamW`` (:class:`LeanAdamStep`): clear the gradients, forward, loss, backward,
        update. It applies when nothing could tell the difference: no override of the
        step's methods beyond the class :meth:`_lean_reference` names, no
        ``on_grad_computed`` listener, no gradient-level loss weighting (GradNorm,
        PCGrad). On a small MLP the indirections (closure, step
        accumulator, grad-mode contexts) cost about a tenth of a step.
        """
        reference = self._lean_reference()
        if reference is None or len(self._optimizers) != 1 or any(
            getattr(type(self), name) is not getattr(reference, name)
            for name in self._STEP_METHODS
        ):
            return None
        lean = self._lean_steps.get(self._optimizers[0])
        weighting = getattr(self.criterion_, "weighting", None)
        if (lean is None or self._batch_hooks["on_grad_computed"]
                or getattr(weighting, "custom_backward", False)):
            return None
        optimizer = getattr(self, self._optimizers[0] + "_")

        def lean_train_step(batch):
            if not torch.is_grad_enabled():  # as Adam.step runs skorch's closure
                with torch.enable_grad():
                    return lean_train_step(batch)
            clear_grads(optimizer)
            step = self.train_step_single(batch)
            lean()
            return step

        return lean_train_step

    def _lean_reference(self):
        """The class whose step methods the lean step reproduces (``None``: none)."""
        return MultiTaskNet

    def _zero_grad_optimizer(self, set_to_none=None):
        if set_to_none is False:
            return super()._zero_grad_optimizer(set_to_none)
        for name in self._optimizers:
            clear_grads(getattr(self, name + "_"))

    def _step_optimizer(self, step_fn):
        """skorch's ``optimizer.step(step_fn)`` for each optimizer; during ``fit``, an
        ``Adam`` or ``AdamW`` is stepped by :class:`LeanAdamStep` after the closure, with
        the same result and less per-step overhead."""
        lean_steps = self.__dict__.get("_lean_steps") or {}
        for name in self._optimizers:
            lean = lean_steps.get(name)
            if lean is None or lean.optimizer is not getattr(self, name + "_"):
                optimizer = getattr(self, name + "_")
                optimizer.step() if step_fn is None else optimizer.step(step_fn)
                continue
            if step_fn is not None:
                with torch.enable_grad():
                    step_fn()
            lean()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.get_task_losses(y_pred, y_true, training=training)[0]

    def get_task_losses(self, y_pred, y_true, training=False):
        """``(total, per_task)`` from the criterion; records the per-task losses."""
        if type(y_true) is torch.Tensor and self.device is not None:
            y_true = y_true.to(self.device)
        else:
            y_true = to_device(y_true, self.device)
        k = self.module_.n_members if hasattr(self.module_, "n_members") else 1
        labels = y_true
        if k > 1:  # an ensemble: every member's rows are scored against the labels
            y_true = self._member_targets(y_true, k, training)
        total, per_task = self.criterion_(y_pred, y_true)
        prefix = "train" if training else "valid"
        losses = per_task.detach()
        if not self.__dict__.get("_deferred_reads"):
            losses = losses.tolist()
        self._record_batch(f"{prefix}_task_losses", losses)
        if training:  # the weight of each task's labels in the batch (its loss's
            # denominator, the members' rows of an ensemble together): the epoch's
            # train_loss_<task> weighs the batches' by them (see TaskLosses)
            weights = self._task_label_weights(y_true)
            self._record_batch("train_task_weights", weights if self.__dict__.get(
                "_deferred_reads") else weights.tolist())
        else:  # a validation split: its accuracy (see TaskLosses), an
            # ensemble's of the members' pooled logits, as it predicts
            pooled = y_pred if k == 1 else [member_mean(out.float(), k) for out in y_pred]
            counts = self._task_counts(pooled, labels)
            # the weight each task's labels carry in the batch: the epoch's validation
            # losses weigh the batches' by them (see validation_task_means)
            errors, weights = counts[:2], counts[2]
            deferred = self.__dict__.get("_deferred_reads")
            self._record_batch("valid_task_errors", errors if deferred else errors.tolist())
            self._record_batch("valid_task_weights", weights if deferred else weights.tolist())
        return total, per_task

    def _task_label_weights(self, y_true):
        """(tasks,): the total loss weight of each task's labels in the target
        ``y_true`` (a multilabel task's over its labels). One sum over a slice of the
        target where each task has one weight column and they lie side by side (a step
        of a small table is short: this runs on every one)."""
        plan = self.__dict__.get("_weight_plan")
        if plan is None or plan[0] != y_true.device:
            cols = self.weight_columns()
            widths = [s["width"] for s in self.criterion_.specs]
            if all(w == 1 for w in widths) and bool(
                    (cols == torch.arange(int(cols[0]), int(cols[0]) + len(cols))).all()):
                plan = (y_true.device, slice(int(cols[0]), int(cols[0]) + len(cols)), None)
            else:
                owner = torch.tensor([j for j, w in enumerate(widths) for _ in range(w)],
                                     dtype=torch.long, device=y_true.device)
                plan = (y_true.device, cols.to(y_true.device), owner)
            self.__dict__["_weight_plan"] = plan
        _, cols, owner = plan
        sums = y_true[:, cols].sum(0)
        if owner is None:
            return sums
        return sums.new_zeros(len(self.criterion_.specs)).index_add_(0, owner, sums)

    def task_kinds(self):
        """Each task's kind, from the criterion."""
        return [spec["kind"] for spec in self.criterion_.specs]

    def _task_counts(self, y_pred, y_true):
        """(3, tasks): each task's wrong and labelled entries in one validation batch
        (a multilabel task's labels; 0 for a regression task), and the total loss
        weight of its labels there."""
        held = torch.ones(1, y_true.shape[0], device=y_true.device)
        rows = []
        with torch.no_grad():
            for spec, out in zip(self.criterion_.specs, y_pred):
                _, wrong, weight = _member_terms(spec, out.float(), y_true[None], held, 1)
                given = (weight > 0).to(wrong.dtype)
                if spec["kind"] == "regression":
                    given = torch.zeros_like(given)
                rows.append(torch.stack([(wrong * given).sum(), given.sum(), weight.sum()]))
        return torch.stack(rows, 1).double()

    def weight_columns(self):
        """Indices of the target's loss-weight columns (see ``MultiTaskLoss``)."""
        cols = self.__dict__.get("_weight_columns")
        if cols is None:
            cols = torch.tensor([
                s["weight_start"] + j for s in self.criterion_.specs for j in range(s["width"])
            ], dtype=torch.long)
            self.__dict__["_weight_columns"] = cols
        return cols

    def _member_targets(self, y_true, k, training):
        """The target of each of ``k`` stacked ensemble members (member by member).

        With :class:`~sklearn_mtl.neural.MemberHoldout`, a training row of member ``m``
        whose fold (the target's last column) is ``m`` gets loss weight 0: the member
        never trains on its held-out fold.
        """
        y = y_true.repeat(k, 1)
        if training and self.__dict__.get("_member_holdout"):
            n = len(y_true)
            member = torch.arange(k, device=y.device).repeat_interleave(n)
            keep = (y[:, -1] != member).to(y.dtype)
            cols = self.weight_columns().to(y.device)
            y[:, cols] = y[:, cols] * keep[:, None]
        return y

    def train_step_single(self, batch, **fit_params):
        """skorch's step, or a gradient-level weighting strategy's backward pass.

        Strategies such as GradNorm and PCGrad need the per-task losses and the shared
        parameters rather than one total; the optimizer step stays skorch's.
        """
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        weighting = getattr(self.criterion_, "weighting", None)
        if not getattr(weighting, "custom_backward", False):
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
            loss.backward()
            return {"loss": loss, "y_pred": y_pred}
        _, per_task = self.get_task_losses(y_pred, yi, training=True)
        weighted = self.criterion_.task_weights * per_task
        loss = self._weighting_backward(weighting, weighted)
        return {"loss": loss, "y_pred": y_pred}

    def _weighting_backward(self, weighting, weighted):
        """A gradient-level strategy's backward pass of the prior-weighted task losses
        ``weighted``, on the shared trunk's parameters. A strategy that projects each
        member's gradients on its own (``member_wise``, as PCGrad) is told the members
        of an ensemble whose every trunk parameter stacks them along its first axis
        (held by a layer of its members, see ``_stack_members``): projected as one,
        each member's step depended on the other members' conflicts."""
        shared = self.shared_parameters(getattr(weighting, "last_shared_layer", False))
        k = n_members(self.module_)
        if (k > 1 and getattr(weighting, "member_wise", False)
                and _stack_members(self.module_.trunk, shared, k)):
            return weighting.backward(weighted, shared, n_members=k)
        return weighting.backward(weighted, shared)

    def shared_parameters(self, last_layer=False):
        """Trainable parameters of the shared trunk (``module_.trunk``).

        With ``last_layer``, only the last weight matrix (or kernel): GradNorm's W.
        """
        trunk = getattr(self.module_, "trunk", None)
        if trunk is None:
            raise ValueError(
                f"Gradient-level loss weighting needs a module with a shared `trunk`; "
                f"{type(self.module_).__name__} has none."
            )
        every = list(trunk.named_parameters())
        if not every:
            # hidden_layer_sizes=(): the message named neither the parameter nor the fix
            raise ValueError(
                "Gradient-level loss weighting (loss_weighting='gradnorm' or 'pcgrad') "
                "needs a shared trunk with parameters, and this network's trunk has none "
                "(hidden_layer_sizes=()). Give the trunk a layer, e.g. "
                "hidden_layer_sizes=(64,), or weigh the losses with 'fixed', "
                "'uncertainty' or 'dwa'."
            )
        # a trunk frozen by a Freezer: none, and the strategy has no shared gradient
        named = [(name, p) for name, p in every if p.requires_grad]
        params = [p for _, p in named]
        if last_layer:
            # not a bias: an ensemble's (members, 1, width) has two dimensions and more,
            # and GradNorm's norms were taken at the last layer's bias
            matrices = [i for i, (name, p) in enumerate(named)
                        if p.ndim >= 2 and name.rsplit(".", 1)[-1] != "bias"]
            if matrices:
                params = [params[matrices[-1]]]
        return params
