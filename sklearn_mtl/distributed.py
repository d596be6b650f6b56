"""Helpers to run sklearn-mtl beyond one process: Dask workers and data-parallel replicas.

Nothing here is a scheduler of its own. Searches run on a Dask cluster through joblib's
``"dask"`` backend; a network trains on several processes with PyTorch's
``DistributedDataParallel`` (``MultiTaskClassifier(data_parallel=True)`` under
``torchrun``). This module adds what those engines leave to the user:

- thread counts per worker (:func:`limit_worker_threads`, :class:`ThreadLimits`,
  :func:`set_threads`), so that several workers on one machine do not each start one
  torch, OpenMP and BLAS thread per core;
- a check that data-parallel replicas hold the same weights (:func:`weights_checksum`,
  :func:`check_replicas`);
- prediction over a Dask DataFrame or array, partition by partition
  (:func:`predict_partitions`).

``dask.distributed`` is needed only by the Dask helpers (``pip install
sklearn-mtl[distributed]``); importing this module does not import it.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict

import numpy as np
import pandas as pd

try:  # a plugin must subclass WorkerPlugin for Client.register_plugin
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - the extra is not installed
    _WorkerPlugin = object

__all__ = [
    "ThreadLimits",
    "check_replicas",
    "limit_worker_threads",
    "predict_partitions",
    "set_threads",
    "usable_cores",
    "weights_checksum",
]

_THREAD_ENV = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)


def usable_cores():
    """The number of CPU cores this process may run on (its affinity mask, else all).

    Returns
    -------
    n_cores : int
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def set_threads(n_threads):
    """Set this process's torch, OpenMP and BLAS thread counts to ``n_threads``.

    torch's intra-op pool (``torch.set_num_threads``), the OpenMP and BLAS pools already
    loaded (through ``threadpoolctl``), and the ``OMP_NUM_THREADS``-style environment
    variables that libraries loaded later and child processes read.

    Parameters
    ----------
    n_threads : int
        Threads per pool, at least 1.

    Returns
    -------
    n_threads : int
        The count that was set.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.distributed import set_threads
    >>> before = torch.get_num_threads()
    >>> set_threads(1)
    1
    >>> torch.get_num_threads()
    1
    >>> _ = set_threads(before)
    """
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        raise ValueError(f"n_threads must be a positive integer; got {n_threads!r}.")
    import torch
    from threadpoolctl import threadpool_limits

    n = int(n_threads)
    for name in _THREAD_ENV:
        os.environ[name] = str(n)
    torch.set_num_threads(n)
    threadpool_limits(limits=n)  # called, not entered: the limit stays
    return n


def _threads_for(worker, n_threads):
    if n_threads is not None:
        return n_threads
    return max(1, usable_cores() // max(1, int(worker.state.nthreads)))


class ThreadLimits(_WorkerPlugin):
    """A Dask worker plugin that sets each worker's thread counts when it starts.

    Register it once, ``client.register_plugin(ThreadLimits())``: every worker, also one
    that joins or restarts later, calls :func:`set_threads` with ``n_threads``, or by
    default with its usable cores divided by its own task threads (``nthreads``). With
    several worker processes on one machine, give ``n_threads`` (or use
    :func:`limit_worker_threads`, which counts the workers per machine).

    Parameters
    ----------
    n_threads : int, default=None
        Threads per pool in each worker; ``None`` derives it from the worker's cores.

    See Also
    --------
    limit_worker_threads : set the counts on the running workers, host by host.
    """

    name = "sklearn-mtl-thread-limits"

    def __init__(self, n_threads=None):
        self.n_threads = n_threads

    def setup(self, worker):
        """Set the thread counts in ``worker``'s process."""
        set_threads(_threads_for(worker, self.n_threads))


def limit_worker_threads(client, n_threads=None):
    """Give every Dask worker a thread count that does not oversubscribe its machine.

    By default each worker gets ``cores // task_slots`` threads, where ``task_slots`` is
    the sum of ``nthreads`` of all the workers on the same host: two single-threaded
    workers on a 16-core machine get 8 torch/OpenMP/BLAS threads each, never 16.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster.
    n_threads : int, default=None
        The same count for every worker instead.

    Returns
    -------
    threads : dict of str -> int
        The count set on each worker, by worker address.

    See Also
    --------
    ThreadLimits : the same as a plugin, for workers that start later.
    """
    try:  # distributed >= 2025 lists only some workers unless asked for all
        workers = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:
        workers = client.scheduler_info()["workers"]
    slots = defaultdict(int)
    for info in workers.values():
        slots[info["host"]] += int(info["nthreads"])
    cores = client.run(usable_cores)
    plan = {}
    for address, info in workers.items():
        n = n_threads if n_threads is not None else max(1, cores[address] // slots[info["host"]])
        plan[address] = n
    for n in set(plan.values()):
        client.run(set_threads, n, workers=[a for a, v in plan.items() if v == n])
    return plan


# ----------------------------------------------------------------- data parallel
def weights_checksum(estimator):
    """A SHA-256 digest of a fitted network's weights and buffers (bytes, in order).

    Two replicas of a data-parallel fit hold identical weights exactly when their
    checksums agree.

    Parameters
    ----------
    estimator : MultiTaskClassifier
        A fitted estimator.

    Returns
    -------
    checksum : str
        Hex digest.
    """
    module = estimator.net_.module_
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def check_replicas(estimator):
    """Check that every process of the default process group holds the same weights.

    Gathers :func:`weights_checksum` from every rank (``torch.distributed``); call it on
    all ranks after a data-parallel ``fit``. Outside a process group there is one
    replica and the check passes.

    Parameters
    ----------
    estimator : MultiTaskClassifier
        A fitted estimator.

    Returns
    -------
    checksums : list of str
        One checksum per rank, all equal.

    Raises
    ------
    RuntimeError
        When the replicas differ.
    """
    import torch.distributed as dist

    own = weights_checksum(estimator)
    if not (dist.is_available() and dist.is_initialized()):
        return [own]
    checksums = [None] * dist.get_world_size()
    dist.all_gather_object(checksums, own)
    if len(set(checksums)) != 1:
        raise RuntimeError(
            f"The data-parallel replicas hold different weights: checksums by rank {checksums}."
        )
    return checksums


# --------------------------------------------------------------------------- dask
def predict_partitions(estimator, data, method="predict", task=None):
    """Predict over a Dask DataFrame or array, one partition at a time.

    Each partition is a pandas DataFrame or NumPy block predicted by the fitted
    ``estimator`` on a worker (the estimator travels once, as a task of the graph);
    nothing is collected until you call ``.compute()`` or write the result out
    (``to_parquet``).

    Parameters
    ----------
    estimator : fitted sklearn-mtl estimator
        Any estimator of the package (or scikit-learn classifier) with ``method``.
    data : dask.dataframe.DataFrame or dask.array.Array
        Samples. An array must be chunked along rows only (one block of columns).
    method : {"predict", "predict_proba"}, default="predict"
        ``"predict"`` gives the labels in the form ``predict`` returns them. For a Dask
        DataFrame that is a Dask DataFrame (or Series) indexed as ``data``; for a Dask
        array, a Dask array. ``"predict_proba"`` needs ``task`` (or a single-task
        estimator) and gives that task's probabilities: a Dask DataFrame with one
        column per class for a DataFrame, a Dask array (n_samples, n_classes) for an
        array.
    task : str, default=None
        With ``"predict_proba"``, the task whose probabilities to return.

    Returns
    -------
    predictions : dask.dataframe.DataFrame or dask.array.Array
        Lazy predictions, partitioned as ``data``.
    """
    if method not in ("predict", "predict_proba"):
        raise ValueError(f"method must be 'predict' or 'predict_proba'; got {method!r}.")
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(data, dd.DataFrame):
        meta_rows = data._meta_nonempty.iloc[:2]
    elif isinstance(data, da.Array):
        if data.ndim == 2 and len(data.chunks[1]) != 1:
            raise ValueError(
                "data must be chunked along rows only; got "
                f"{len(data.chunks[1])} column chunks. Use data.rechunk({{1: -1}})."
            )
        meta_rows = np.zeros((2, *data.shape[1:]), dtype=data.dtype)
    else:
        raise ValueError(
            "data must be a dask DataFrame or dask array; got "
            f"{type(data).__name__}. Call estimator.{method} on in-memory data directly."
        )
    import dask

    sample = _partition_predictor(method, task)(meta_rows, estimator)
    empty = sample.iloc[:0] if hasattr(sample, "iloc") else np.asarray(sample)[:0]
    func = _SkipEmpty(_partition_predictor(method, task), empty)
    model = dask.delayed(estimator, pure=True)  # one task of the graph, not one per partition
    if isinstance(data, dd.DataFrame):
        return data.map_partitions(func, model, meta=sample.iloc[:0])
    sample = np.asarray(sample)
    if sample.ndim == 1:
        return data.map_blocks(
            func, model, dtype=sample.dtype, drop_axis=list(range(1, data.ndim)),
            meta=sample[:0],
        )
    drop = list(range(sample.ndim, data.ndim))
    return data.map_blocks(
        func, model, dtype=sample.dtype, drop_axis=drop or None,
        chunks=(data.chunks[0], *((s,) for s in sample.shape[1:])), meta=sample[:0],
    )


class _SkipEmpty:
    """A partition with no row (e.g. after a filter) predicts nothing, without a call."""

    def __init__(self, func, empty):
        self.func = func
        self.empty = empty

    def __call__(self, block, estimator):
        if len(block) == 0:
            empty = self.empty.copy()
            if hasattr(empty, "index") and hasattr(block, "index"):
                empty.index = block.index
            return empty
        return self.func(block, estimator)


def _partition_predictor(method, task):
    if method == "predict":
        return _predict_block
    return _ProbaBlock(task)


def _predict_block(block, estimator):
    return _like_block(estimator.predict(block), block, None)


class _ProbaBlock:
    """``predict_proba`` of one task on a partition (picklable for the workers)."""

    def __init__(self, task):
        self.task = task

    def __call__(self, block, estimator):
        if self.task is None:
            proba = estimator.predict_proba(block)
        else:
            proba = estimator.predict_proba(block, task=self.task)
        if isinstance(proba, list):
            raise ValueError(
                "predict_proba returns one array per task; pass task=<name> to "
                "predict_partitions."
            )
        return _like_block(np.asarray(proba), block, _class_names(estimator, self.task))


def _class_names(estimator, task):
    schema = getattr(estimator, "schema_", None)
    if schema is not None:
        return list(schema[task if task is not None else 0].classes or [])
    return list(getattr(estimator, "classes_", []))


def _like_block(out, block, columns):
    """Predictions of a pandas partition as pandas, indexed as the partition's rows."""
    if not hasattr(block, "index"):
        return out
    if isinstance(out, (pd.DataFrame, pd.Series)):
        return out.set_axis(block.index)
    out = np.asarray(out)
    if out.ndim == 1:
        return pd.Series(out, index=block.index)
    if columns is None or len(columns) != out.shape[1]:
        columns = list(range(out.shape[1]))
    return pd.DataFrame(out, index=block.index, columns=columns)
