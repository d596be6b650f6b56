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
import inspect
import os
import re
import warnings
from collections import defaultdict

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._optional import import_optional

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

# this process, told apart from a process forked from it (another pid) and from one on
# another machine (another token), where the pid alone may be the same
_PROCESS = (os.getpid(), os.urandom(8).hex())

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
    n = _check_n_threads(n_threads)
    import torch
    from threadpoolctl import threadpool_limits

    for name in _THREAD_ENV:
        os.environ[name] = str(n)
    torch.set_num_threads(n)
    threadpool_limits(limits=n)  # called, not entered: the limit stays
    return n


def _check_n_threads(n_threads, default=False):
    """``n_threads`` as an int, or a ValueError naming it (``default``: None may be
    given, for the count each worker works out)."""
    if n_threads is None and default:
        return None
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        expected = "a positive integer or None (a count per worker from its cores)" if default \
            else "a positive integer"
        raise ValueError(f"n_threads must be {expected}; got {n_threads!r}.")
    return int(n_threads)


def _threads_for(worker, n_threads):
    if n_threads is not None:
        return n_threads
    return max(1, usable_cores() // max(1, int(worker.state.nthreads)))


# torch's intra-op count and OpenMP's count belong to each OS thread: set_threads in the
# worker's event-loop thread (where client.run and plugins run) leaves the task threads
# that already exist at their old counts. So the worker's task executor applies the count
# in the thread that runs each task, before the task, where the thread's count differs.


class _InThreadLimit:
    """A task that first sets this thread's counts to ``n_threads`` (where they differ)."""

    def __init__(self, fn, n_threads):
        self.fn = fn
        self.n_threads = n_threads

    def __call__(self, *args, **kwargs):
        import torch

        # the thread's count as it is now: a task before may have changed it
        if torch.get_num_threads() != self.n_threads:
            set_threads(self.n_threads)
        return self.fn(*args, **kwargs)


class _LimitedSubmit:
    """An executor's ``submit`` whose tasks run through :class:`_InThreadLimit`."""

    def __init__(self, submit, n_threads):
        self.submit = submit
        self.n_threads = n_threads

    def __call__(self, fn, /, *args, **kwargs):
        return self.submit(_InThreadLimit(fn, self.n_threads), *args, **kwargs)


def _limit_worker(worker, n_threads):
    """Set ``n_threads`` in ``worker``'s process (this thread, the environment, BLAS,
    torch's count for threads that start later) and in every thread its task executor
    runs a task in from now on. Returns whether the executor could be reached."""
    n = set_threads(n_threads)
    executor = getattr(worker, "executors", {}).get("default")
    if executor is None:
        return False
    submit = vars(executor).get("submit") if hasattr(executor, "__dict__") else None
    if isinstance(submit, _LimitedSubmit):  # limited before: the new count from now on
        submit.n_threads = n
        return True
    try:
        executor.submit = _LimitedSubmit(executor.submit, n)
    except AttributeError:  # an executor without an instance dict
        return False
    return True


def _limit_dask_worker(n_threads, dask_worker=None):
    return _limit_worker(dask_worker, n_threads)


def _process():
    """``(pid, token)`` of the calling process: a process forked from this one after
    the import shares the token but not the pid, and one on another machine may share
    the pid but not the token."""
    return (os.getpid(), _PROCESS[1])


def _warn_in_process(addresses, stacklevel=3):
    """Worker(s) at ``addresses`` run in the caller's own process: their thread counts
    are its own, which :func:`set_threads` would change for the caller too."""
    warnings.warn(
        f"Worker(s) {sorted(addresses)} run in this process (a LocalCluster(processes="
        "False), whose workers are threads of the process that started it): their torch, "
        "OpenMP and BLAS thread counts and OMP_NUM_THREADS are this process's own, so no "
        "count was set there, and this process's stay as they were. Start the workers as "
        "processes (LocalCluster(processes=True), or `dask worker`) to give each its "
        "count, or call set_threads(n) yourself to change this process's.",
        RuntimeWarning,
        stacklevel=stacklevel,
    )


def _warn_unreached(addresses):
    if addresses:
        warnings.warn(
            f"The task executor of worker(s) {sorted(addresses)} could not be reached: the "
            "thread counts were set in those processes, but task threads that already "
            "exist there keep their own.",
            RuntimeWarning,
            stacklevel=3,
        )


class ThreadLimits(_WorkerPlugin):
    """A Dask worker plugin that sets each worker's thread counts when it starts.

    Register it once, ``client.register_plugin(ThreadLimits())``: every worker, also one
    that joins or restarts later, calls :func:`set_threads` with ``n_threads``, or by
    default with its usable cores divided by its own task threads (``nthreads``), and
    from then on its task threads apply that count before each task they run (torch's
    and OpenMP's counts belong to each thread; see :func:`limit_worker_threads`). With
    several worker processes on one machine, give ``n_threads`` (or use
    :func:`limit_worker_threads`, which counts the workers per machine). The counts stay
    when the plugin is unregistered. A worker that runs in the process that made the
    plugin (a ``LocalCluster(processes=False)``) gets none, with a warning: its counts
    are that process's own, as :func:`limit_worker_threads` explains.

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
        # checked here, not in each worker's setup (where it would fail on every worker)
        self.n_threads = _check_n_threads(n_threads, default=True)
        # the process that made the plugin: a worker there is one of its threads
        self._origin = _process()

    def setup(self, worker):
        """Set the thread counts in ``worker``'s process and its task threads.

        Dask calls it on each worker, when the plugin is registered and whenever a worker
        starts later; it is not meant to be called by hand.

        Parameters
        ----------
        worker : distributed.Worker
            The worker starting. It gets :func:`set_threads` with ``n_threads``, or
            with its usable cores divided by its ``nthreads`` (at least 1) where
            ``n_threads`` is ``None``; from then on its task executor applies that
            count in the thread of each task it runs.

        Warns
        -----
        RuntimeWarning
            When the worker's task executor cannot be reached: the counts are set in
            its process, but the task threads that already exist there keep their own.
            When the worker runs in the process that made the plugin (a
            ``LocalCluster(processes=False)``): nothing is set, as
            :func:`limit_worker_threads` sets nothing there.
        """
        if getattr(self, "_origin", None) == _process():
            _warn_in_process([getattr(worker, "address", "?")], stacklevel=2)
            return
        if not _limit_worker(worker, _threads_for(worker, self.n_threads)):
            _warn_unreached([getattr(worker, "address", "?")])


def limit_worker_threads(client, n_threads=None):
    """Give every Dask worker a thread count that does not oversubscribe its machine.

    By default each worker gets ``cores // task_slots`` threads, where ``task_slots`` is
    the sum of ``nthreads`` of all the workers on the same host: two single-threaded
    workers on a 16-core machine get 8 torch/OpenMP/BLAS threads each, never 16.

    torch's intra-op count and OpenMP's count belong to each thread, and a task thread
    that already exists would keep its own. So each worker calls :func:`set_threads` in
    its process (the environment variables, the BLAS pools, torch's count for threads
    that start later) and its task executor applies the count in the thread that runs a
    task, before the task (where the thread's count differs): every fit that starts after this
    call uses it, also on a worker that has run tasks before. A task already running
    keeps the counts it started with.

    A worker that runs in the caller's own process (a ``LocalCluster(processes=False)``,
    whose workers are threads of the process that started it) gets no count: its counts
    are the caller's own, which would change for the caller too (its NumPy, its torch),
    and stay as they were. Such workers are named in a warning and left out of the
    returned counts; give each worker its own count by starting the workers as
    processes.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster.
    n_threads : int, default=None
        The same count for every worker instead.

    Returns
    -------
    threads : dict of str -> int
        The count set on each worker, by worker address (none for a worker in this
        process).

    Raises
    ------
    TypeError
        When ``client`` is not a client (e.g. the ``LocalCluster`` itself).

    Warns
    -----
    RuntimeWarning
        When no worker is connected yet: nothing is set (wait for the workers with
        ``client.wait_for_workers``, or register :class:`ThreadLimits`). When some
        workers run in this process: nothing is set for them.

    See Also
    --------
    ThreadLimits : the same as a plugin, for workers that start later.
    """
    n_threads = _check_n_threads(n_threads, default=True)
    if not (callable(getattr(client, "scheduler_info", None)) and hasattr(client, "run")):
        # a cluster's scheduler_info is a dict: "'SchedulerInfo' object is not callable"
        raise TypeError(
            "client must be a distributed.Client connected to the cluster; got "
            f"{type(client).__name__}. Pass a client of it: "
            "limit_worker_threads(Client(cluster))."
        )
    try:  # distributed >= 2025 lists only some workers unless asked for all
        workers = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:
        workers = client.scheduler_info()["workers"]
    if not workers:
        warnings.warn(
            "limit_worker_threads found no worker connected to the scheduler, so it set no "
            "thread count. Call client.wait_for_workers(n) first, or register the plugin "
            "(client.register_plugin(ThreadLimits())), which every worker that starts "
            "later applies.",
            RuntimeWarning,
            stacklevel=2,
        )
        return {}
    slots = defaultdict(int)
    for info in workers.values():
        slots[info["host"]] += int(info["nthreads"])
    here = {address for address, process in client.run(_process).items()
            if process == _process()}
    if here:
        _warn_in_process(here)
        workers = {a: info for a, info in workers.items() if a not in here}
        if not workers:
            return {}
    cores = client.run(usable_cores, workers=list(workers))
    plan = {}
    for address, info in workers.items():
        n = n_threads if n_threads is not None else max(1, cores[address] // slots[info["host"]])
        plan[address] = n
    unreached = []
    for n in set(plan.values()):
        done = client.run(_limit_dask_worker, n, workers=[a for a, v in plan.items() if v == n])
        unreached += [address for address, ok in done.items() if not ok]
    _warn_unreached(unreached)
    return plan


# ----------------------------------------------------------------- data parallel
def weights_checksum(estimator):
    """A SHA-256 digest of a fitted network's weights and buffers (bytes, in order).

    Two replicas of a data-parallel fit hold identical weights exactly when their
    checksums agree.

    Parameters
    ----------
    estimator : MultiTaskClassifier or an estimator around one
        A fitted estimator, or what holds one, nested in any order: a Pipeline ending in
        one (its last step's weights), a fitted ``GridSearchCV`` or
        ``RandomizedSearchCV`` refitted on it (its ``best_estimator_``), a fitted
        :class:`~sklearn_mtl.TaskThresholdTuner` of it (its ``estimator_``), a
        ``FrozenEstimator`` of it.

    Returns
    -------
    checksum : str
        Hex digest.

    Raises
    ------
    NotFittedError
        When ``estimator`` is a :class:`~sklearn_mtl.MultiTaskClassifier` not fitted yet,
        or a search or tuner around one not fitted yet.
    TypeError
        When ``estimator`` holds no trained network (``net_``), e.g. a baseline, or a
        search fitted with ``refit=False`` (which keeps no ``best_estimator_``).
    """
    module = _fitted_module(estimator)
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _fitted_module(estimator):
    """The trained torch module of ``estimator``, or NotFittedError / TypeError."""
    from sklearn.utils.validation import check_is_fitted

    from ._multitask import MultiTaskClassifier

    final, route = _network_holder(estimator)
    if isinstance(final, MultiTaskClassifier):
        check_is_fitted(final, "net_")
    module = getattr(getattr(final, "net_", None), "module_", None)
    if module is None or not hasattr(module, "state_dict"):
        raise TypeError(f"estimator must be {_HOLDERS}; got {route}, which has none.")
    return module


_HOLDERS = (
    "a fitted MultiTaskClassifier (an estimator whose trained network is net_.module_), "
    "or a Pipeline ending in one, a fitted GridSearchCV or RandomizedSearchCV (refit) or "
    "TaskThresholdTuner of one, or a FrozenEstimator of one"
)


def _network_holder(estimator):
    """The estimator that holds the trained network, found as a user reaches it: a
    Pipeline's last step, a fitted search's ``best_estimator_``, a fitted
    :class:`~sklearn_mtl.TaskThresholdTuner`'s ``estimator_``, a FrozenEstimator's
    ``estimator``, nested in any order; with the route there in words ("Pipeline ending
    in X", "GridSearchCV whose best_estimator_ is X"). NotFittedError for a search or
    tuner not fitted, TypeError for a search fitted with ``refit=False``."""
    from sklearn.exceptions import NotFittedError
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection._search import BaseSearchCV
    from sklearn.pipeline import Pipeline

    from ._thresholds import TaskThresholdTuner

    route = type(estimator).__name__
    while True:
        if isinstance(estimator, Pipeline) and estimator.steps:
            estimator, link = estimator.steps[-1][1], "ending in"
        elif isinstance(estimator, FrozenEstimator):
            estimator, link = estimator.estimator, "whose estimator is"
        elif isinstance(estimator, (BaseSearchCV, TaskThresholdTuner)):
            attr = "best_estimator_" if isinstance(estimator, BaseSearchCV) else "estimator_"
            inner = getattr(estimator, attr, None)
            if inner is None and not hasattr(estimator, "cv_results_"):
                raise NotFittedError(
                    f"This {type(estimator).__name__} instance is not fitted yet"
                    + (f" (the {route} given)" if route != type(estimator).__name__ else "")
                    + f". Call 'fit' with appropriate arguments before using this estimator: "
                    f"the trained network is its {attr}."
                )
            if inner is None:  # a search fitted with refit=False keeps no fitted estimator
                raise TypeError(
                    f"estimator must be {_HOLDERS}; got {route}, fitted with "
                    f"refit={estimator.refit!r}, which keeps no best_estimator_. Fit the "
                    "search with refit=True, or fit the network with its best_params_."
                )
            estimator, link = inner, f"whose {attr} is"
        else:
            return estimator, route
        route += f" {link} {type(estimator).__name__}"


def check_replicas(estimator):
    """Check that every process of the default process group holds the same weights.

    Gathers :func:`weights_checksum` from every rank (``torch.distributed``); call it on
    all ranks after a data-parallel ``fit``. Outside a process group there is one
    replica and the check passes.

    Parameters
    ----------
    estimator : MultiTaskClassifier or an estimator around one
        As :func:`weights_checksum`: a fitted estimator, or a Pipeline, search
        (``best_estimator_``) or :class:`~sklearn_mtl.TaskThresholdTuner` around one.

    Returns
    -------
    checksums : list of str
        One checksum per rank, all equal.

    Raises
    ------
    RuntimeError
        When the replicas differ.
    NotFittedError, TypeError
        As :func:`weights_checksum`: an estimator not fitted, or without a network.
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
def predict_partitions(estimator, data, method="predict", task=None, meta=None):
    """Predict over a Dask DataFrame or array, one partition at a time.

    Each partition is a pandas DataFrame or NumPy block predicted by the fitted
    ``estimator`` on a worker (the estimator travels once, as a task of the graph);
    the predictions are collected when you call ``.compute()`` or write the result out
    (``to_parquet``).

    Dask needs the form of the output (``meta``: columns, dtypes, width) before it runs
    anything. Unless ``meta`` is given, it is worked out from real data, never from
    Dask's placeholder rows: for ``"predict"`` with an estimator of the package, from its
    fitted tasks and classes, without computing anything; otherwise by calling
    ``method`` on the first rows of the first partition that has any, which is computed
    now (the next one where it is empty, and so on; of a Dask array whose chunk sizes
    are known, only those rows). Where no partition has a row,
    ``"predict_proba"`` takes its columns from the task's classes, and anything else
    needs ``meta``.

    Parameters
    ----------
    estimator : fitted sklearn-mtl estimator
        Any estimator of the package (or scikit-learn classifier) with ``method``, or
        a Pipeline ending in one (its tasks and classes are its last step's). A fitted
        ``GridSearchCV`` or ``RandomizedSearchCV`` (with ``refit``) predicts with its
        ``best_estimator_``, as its own ``predict`` and ``predict_proba`` do, and so
        takes ``task``; a ``FrozenEstimator`` with the estimator it holds.
    data : dask.dataframe.DataFrame or dask.array.Array
        Samples. An array must be chunked along rows only (one block of columns, or
        of every other axis of images and clips).
    method : {"predict", "predict_proba"}, default="predict"
        ``"predict"`` gives the labels in the form ``predict`` returns them. For a Dask
        DataFrame that is a Dask DataFrame (or Series) indexed as ``data``; for a Dask
        array, a Dask array. Where ``predict`` gives an object column of labels that
        are not text, the form (Dask's meta) says their type, so that ``to_parquet``
        writes them: a gated task's numbers or booleans (None where it is off) come as
        an ``Int64`` or ``boolean`` column, a multilabel task's lists as ``predict``
        gives them, the form saying their pyarrow list type. ``"predict_proba"``
        needs ``task`` (or a single-task estimator) and gives that task's
        probabilities: a Dask DataFrame with one column per class for a DataFrame, a
        Dask array (n_samples, n_classes) for an array.
    task : str, default=None
        With ``"predict_proba"``, the task whose probabilities to return (checked
        against the estimator's tasks before anything is computed). With
        ``"predict"``, which predicts every task, or an estimator whose
        ``predict_proba`` takes no task (a scikit-learn classifier), it is refused.
    meta : pandas DataFrame, Series, dict, tuple or ndarray, default=None
        The form of one partition's output, as in Dask's ``map_partitions``: nothing is
        then predicted or computed to find it. For a Dask DataFrame, an empty DataFrame
        or Series with the output's columns and dtypes (or what
        ``dask.dataframe.utils.make_meta`` takes: a dict of column to dtype, a
        ``(name, dtype)`` tuple); the index is ``data``'s. For a Dask array, an empty
        NumPy array of the output's dtype and trailing shape, e.g.
        ``np.empty((0, n_classes), dtype="float32")``.

    Returns
    -------
    predictions : dask.dataframe.DataFrame or dask.array.Array
        Lazy predictions, partitioned as ``data``.
    """
    if method not in ("predict", "predict_proba"):
        raise ValueError(f"method must be 'predict' or 'predict_proba'; got {method!r}.")
    feature = "sklearn_mtl.distributed.predict_partitions"
    dask = import_optional("dask", feature=feature, extra="distributed")
    da = import_optional("dask.array", feature=feature, extra="distributed")
    dd = import_optional("dask.dataframe", feature=feature, extra="distributed")

    frame = isinstance(data, dd.DataFrame)
    if isinstance(data, dd.Series) or (isinstance(data, da.Array) and data.ndim < 2):
        # one value a row: the features of a sample are a row (dask itself failed with
        # "Dimension 1 has 4 blocks, adjust_chunks specified with 1 blocks")
        fix = "data.to_frame()" if isinstance(data, dd.Series) else "data[:, None]"
        raise ValueError(
            "data must hold one sample per row: a dask DataFrame, or a dask array of "
            f"2 or more dimensions; got a 1-dimensional dask {type(data).__name__}. For a "
            f"single feature, pass {fix}."
        )
    if not frame and not isinstance(data, da.Array):
        raise ValueError(
            "data must be a dask DataFrame or dask array; got "
            f"{type(data).__name__}. Call estimator.{method} on in-memory data directly."
        )
    split = [] if frame else [axis for axis in range(1, data.ndim)
                              if len(data.chunks[axis]) != 1]
    if split:  # a block must hold whole samples (rows, images, clips)
        whole = ", ".join(f"{axis}: -1" for axis in range(1, data.ndim))
        raise ValueError(
            "data must be chunked along rows only; got "
            + ", ".join(f"{len(data.chunks[axis])} chunks along axis {axis}" for axis in split)
            + f". Use data.rechunk({{{whole}}})."
        )
    estimator = _delegate(estimator)
    _check_fitted(estimator)
    _check_task(estimator, method, task)
    predictor = _partition_predictor(method, task)
    casts, listed = {}, {}
    if meta is not None:
        empty = _given_meta(meta, data, frame)
    else:
        empty = _inferred_meta(estimator, data, frame, method, predictor)
        if frame and method == "predict":
            casts, listed = _typed_columns(estimator, empty)
            empty = empty.astype(casts) if casts else empty
    func = _SkipEmpty(predictor, empty, casts)
    model = dask.delayed(estimator, pure=True)  # one task of the graph, not one per partition
    if frame:
        return data.map_partitions(func, model, meta=empty.astype(listed) if listed else empty)
    if empty.ndim == 1:
        return data.map_blocks(
            func, model, dtype=empty.dtype, drop_axis=list(range(1, data.ndim)), meta=empty,
        )
    drop = list(range(empty.ndim, data.ndim))
    return data.map_blocks(
        func, model, dtype=empty.dtype, drop_axis=drop or None,
        chunks=(data.chunks[0], *((s,) for s in empty.shape[1:])), meta=empty,
    )


def _delegate(estimator):
    """The estimator that ``estimator`` predicts with, where it hands ``predict`` and
    ``predict_proba`` on unchanged: a fitted search's ``best_estimator_`` (whose
    ``predict_proba`` takes ``task=``, which the search's passes no more), a
    FrozenEstimator's ``estimator``, nested in any order; ``estimator`` itself otherwise
    (a search not fitted, or fitted with ``refit=False``, gives its own error)."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection._search import BaseSearchCV

    while True:
        if isinstance(estimator, FrozenEstimator):
            estimator = estimator.estimator
        elif (isinstance(estimator, BaseSearchCV)
              and getattr(estimator, "best_estimator_", None) is not None):
            estimator = estimator.best_estimator_
        else:
            return estimator


def _final_step(estimator):
    """The estimator that predicts: a Pipeline's last step (its tasks, classes and
    ``predict_proba(X, task=...)`` are that step's), else ``estimator``."""
    from sklearn.pipeline import Pipeline

    while isinstance(estimator, Pipeline) and estimator.steps:
        estimator = estimator.steps[-1][1]
    return estimator


def _check_fitted(estimator):
    """NotFittedError now for an estimator of the package (or a Pipeline ending in one)
    not fitted yet: with ``meta=`` it would come from a worker at ``compute()``, or not
    at all where every partition is empty."""
    from sklearn.utils.validation import check_is_fitted

    from ._base import BaseMultiTaskEstimator

    final = _final_step(estimator)
    if isinstance(final, BaseMultiTaskEstimator):
        check_is_fitted(final)


def _check_task(estimator, method, task):
    """``task`` refused where it would be ignored (with ``"predict"``), or unknown to a
    fitted estimator of the package, now rather than from the first rows predicted."""
    if method == "predict":
        if task is not None:
            raise ValueError(
                f"task applies to method='predict_proba' only; got task={task!r} with "
                "method='predict', which predicts every task. Leave task out and select "
                f"the task's column of the result, e.g. predict_partitions(estimator, "
                f"data)[{task!r}]."
            )
        return
    final = _final_step(estimator)
    schema = getattr(final, "schema_", None)
    if schema is None or not hasattr(schema, "index"):
        if task is not None and not _takes_task(final):
            raise ValueError(
                "task applies to an estimator with tasks (one of sklearn-mtl's, or a "
                f"Pipeline ending in one); got task={task!r}, but "
                f"{type(final).__name__}.predict_proba takes no task."
                + (_best_hint(final) or " Leave task out (task=None).")
            )
        return
    if task is None:
        if not getattr(final, "_single_output", False):
            _ProbaBlock.many_tasks(schema)
    else:
        schema.index(task)  # "Unknown task 'x'; the tasks are [...]"


def _takes_task(estimator):
    """Whether ``estimator.predict_proba`` takes ``task=`` (or any keyword), or cannot
    tell (no such method: the estimator's own error then says so)."""
    try:
        params = inspect.signature(estimator.predict_proba).parameters.values()
    except (AttributeError, TypeError, ValueError):
        return True
    return any(p.name == "task" or p.kind is p.VAR_KEYWORD for p in params)


def _best_hint(final):
    """Where a search (``GridSearchCV``) refitted an estimator with tasks, whose
    ``predict_proba(X)`` passes no task on to it: a pointer to its ``best_estimator_``;
    else ``""``."""
    best = _final_step(getattr(final, "best_estimator_", None))
    if getattr(best, "schema_", None) is None:
        return ""
    return (f" Its best_estimator_ ({type(best).__name__}) takes one: pass that, "
            "predict_partitions(search.best_estimator_, data, method='predict_proba', "
            "task=...).")


def _given_meta(meta, data, frame):
    """The user's ``meta`` as an empty pandas object indexed as ``data`` (a DataFrame)
    or an empty NumPy array (an array)."""
    if frame:
        from dask.dataframe.utils import make_meta

        try:
            empty = make_meta(meta)
        except (TypeError, ValueError) as exc:
            empty, reason = None, f" ({exc})"
        else:
            reason = ""
        if not isinstance(empty, (pd.DataFrame, pd.Series)):
            raise ValueError(
                "meta must describe the pandas output of one partition for a dask "
                "DataFrame: an empty DataFrame or Series, a dict of column to dtype or a "
                f"(name, dtype) tuple; got {type(meta).__name__}{reason}."
            )
        return empty.iloc[:0].set_axis(data._meta.index)
    if not isinstance(meta, np.ndarray) or meta.ndim < 1:
        raise ValueError(
            "meta must be a NumPy array with the output's dtype and trailing shape for a "
            "dask array, e.g. np.empty((0, n_classes), dtype='float32'); got "
            f"{type(meta).__name__}{'' if not isinstance(meta, np.ndarray) else ' of 0 dims'}."
        )
    return meta[:0]


def _inferred_meta(estimator, data, frame, method, predictor, n_rows=2):
    """The form of the output of one partition, from the estimator's fitted tasks where
    it is one of the package's, else from predicting real rows of ``data``."""
    sample = _schema_sample(estimator, n_rows) if method == "predict" else None
    if sample is not None:
        block = pd.DataFrame(index=pd.RangeIndex(n_rows)) if frame else np.empty((n_rows, 0))
        sample = _like_block(sample, block, None)
    else:
        rows = _first_rows(data, frame, n_rows)
        if rows is None and method == "predict_proba":
            # no row anywhere: every partition returns this empty meta as it is
            empty = _empty_proba(estimator, predictor.task)
            if empty is not None:
                return _like_block(empty, data._meta, _class_names(estimator, predictor.task)
                                   ) if frame else empty
        if rows is None:
            raise ValueError(
                f"predict_partitions cannot work out the form of estimator.{method}'s "
                "output: data has no row (every partition is empty). Pass meta=, e.g. "
                "meta=pd.DataFrame({'task': pd.Series(dtype=object)}) for a dask "
                "DataFrame or meta=np.empty((0,), dtype=object) for a dask array."
            )
        try:
            sample = predictor(rows, estimator)
        except Exception as exc:
            if hasattr(exc, "add_note"):
                exc.add_note(
                    f"predict_partitions called estimator.{method} on the first {len(rows)} "
                    "row(s) of data to work out the form of its output; pass meta= to "
                    "give that form instead."
                )
            raise
    if frame:  # a DataFrame or Series (_like_block), indexed as data
        return sample.iloc[:0].set_axis(data._meta.index)
    return sample[:0] if sp.issparse(sample) else np.asarray(sample)[:0]


def _schema_sample(estimator, n_rows):
    """What ``estimator.predict`` returns for ``n_rows`` rows, built from its fitted
    tasks without predicting (a label of every task in the first row, the gated tasks
    off after it), or None where ``estimator`` is not one of the package's estimators
    or predicts otherwise."""
    from ._base import BaseMultiTaskEstimator
    from ._encoder import EncodedLabels
    from ._schema import MISSING, NOT_APPLICABLE

    if (not isinstance(estimator, BaseMultiTaskEstimator)
            or type(estimator).predict is not BaseMultiTaskEstimator.predict):
        return None
    encoder = getattr(estimator, "encoder_", None)
    schema = getattr(encoder, "schema_", None)
    if schema is None:
        return None
    codes = np.zeros((n_rows, len(schema)), dtype=np.int64)
    multilabel, regression = {}, {}
    for j, task in enumerate(schema):
        off = task.gate is not None
        if off:
            codes[1:, j] = NOT_APPLICABLE
        if task.kind == "multilabel":
            block = np.zeros((n_rows, len(task.classes)), dtype=np.int8)
            block[0, :1] = 1
            if off:
                block[1:] = MISSING
            multilabel[task.name] = block
        elif task.kind == "regression":
            regression[task.name] = np.where((np.arange(n_rows) > 0) & off, np.nan, 0.0)
    try:
        return encoder.inverse_transform(EncodedLabels(codes, multilabel, regression, schema))
    except Exception:  # a user's encoder that decodes otherwise: predict real rows
        return None


def _typed_columns(estimator, empty):
    """The dtypes that Dask's meta gives the object columns of ``empty`` (the meta of
    ``predict``) that are tasks of the estimator with labels that are not text, as
    ``(casts, listed)``: of an object column Dask knows no type, and its placeholder
    values (``object()`` with pandas 3) made ``to_parquet`` fail ("Could not convert
    <object object at ...>").

    ``casts``: a gated task's numbers or booleans, which ``predict`` gives as an object
    column with None where the task is off, become ``Int64`` or ``boolean`` (as
    ``predict`` gives them where ``Y`` held them so), in the meta and in every
    partition. ``listed``: a multilabel task's column of lists stays one in the
    partitions, and the meta says its pyarrow list type (``pd.ArrowDtype``), which
    ``to_parquet`` writes: a list column of pandas' pyarrow dtype, once written, is not
    read back by ``pandas.read_parquet`` (its dtype's name in the file is not one pandas
    reads), where a column of lists is. Other columns (text, labels of no one type) are
    left as they are."""
    import pyarrow as pa

    casts, listed = {}, {}
    schema = getattr(_final_step(estimator), "schema_", None)
    if schema is None or not isinstance(empty, pd.DataFrame):
        return casts, listed
    names = set(schema.names)
    for name, dtype in empty.dtypes.items():
        task = schema[name] if name in names else None
        if task is None or not task.classes or not pd.api.types.is_object_dtype(dtype):
            continue
        try:
            kind = pa.array(list(task.classes)).type
        except (pa.ArrowException, TypeError, ValueError):  # e.g. numbers and text
            continue
        if task.kind == "multilabel":
            listed[name] = pd.ArrowDtype(pa.list_(kind))
        elif pa.types.is_boolean(kind):
            casts[name] = pd.BooleanDtype()
        elif pa.types.is_integer(kind):
            casts[name] = pd.UInt64Dtype() if kind == pa.uint64() else pd.Int64Dtype()
    return casts, listed


def _empty_proba(estimator, task):
    """No row of ``predict_proba(X, task=task)``, from the task's classes (float32 for a
    network, float64 otherwise), or None where the estimator does not say them."""
    estimator = _final_step(estimator)
    dtype = np.float32 if hasattr(estimator, "net_") else np.float64
    schema = getattr(estimator, "schema_", None)
    if schema is not None:
        if task is None and not getattr(estimator, "_single_output", False):
            _ProbaBlock.many_tasks()
        spec = schema[task if task is not None else 0]
        if spec.kind == "regression":
            return np.empty(0, dtype=dtype)
        return np.empty((0, len(spec.classes)), dtype=dtype) if spec.classes else None
    classes = getattr(estimator, "classes_", None)
    if isinstance(classes, np.ndarray) and classes.ndim == 1 and task is None:
        return np.empty((0, len(classes)), dtype=dtype)
    return None


def _first_rows(data, frame, n_rows):
    """The first ``n_rows`` rows of the first partition of ``data`` that has any (each
    partition computed in turn until one has), or None where every one is empty. Of an
    array whose block sizes are known, only those rows are computed (``data[:n_rows]``:
    dask reads no more of its source where it can); of blocks of unknown sizes (after a
    filter), each block is computed and only its first rows come back."""
    if not frame and not any(np.isnan(size) for size in data.chunks[0]):
        return np.asarray(data[:n_rows].compute()) if data.shape[0] else None
    for i in range(data.npartitions):
        if frame:
            rows = data.partitions[i].head(n_rows, npartitions=1, compute=False).compute()
        elif data.chunks[0][i] == 0:
            continue  # known to be empty: nothing to compute
        else:
            rows = np.asarray(data.blocks[i].map_blocks(_head, n_rows, dtype=data.dtype,
                                                        meta=data._meta).compute())
        if len(rows):
            return rows
    return None


def _head(block, n_rows):
    """The first ``n_rows`` rows of a block (on the worker: only they travel back)."""
    return block[:n_rows]


class _SkipEmpty:
    """A partition with no row (e.g. after a filter) predicts nothing, without a call
    (``empty``: one partition's form); the columns of ``casts`` take their dtypes (see
    :func:`_typed_columns`)."""

    def __init__(self, func, empty, casts=None):
        self.func = func
        self.empty = empty
        self.casts = casts or {}

    def __call__(self, block, estimator, partition_info=None, block_info=None):
        # dask passes partition_info (a DataFrame's) and block_info (an array's) by name
        if len(block) == 0:
            empty = self.empty.copy()
            if hasattr(empty, "index") and hasattr(block, "index"):
                empty.index = block.index
            return empty
        try:
            out = self.func(block, estimator)
        except (TypeError, ValueError) as exc:
            raise _located(exc, block, partition_info, block_info) from None
        return out.astype(self.casts) if self.casts else out


def _label(value):
    """An index label as Python writes it (``1034``, not numpy's ``np.int64(1034)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _located(exc, block, partition_info, block_info):
    """The error of a partition's rows, where the rows are those of the whole data: a
    :class:`RowError`'s row numbered from the array's first row (a block's first row is
    known), or from the partition's first with the partition and the row's index label
    (a DataFrame's partitions do not know where they start), or from the block's first
    with the block's number (an array whose chunk sizes are unknown, as after a filter);
    another error gets a note naming the partition, the rows it names being counted from
    the partition's first."""
    from .neural._preprocessing import RowError

    location = (block_info or {}).get(0, {})
    start = location.get("array-location", [(None,)])[0][0]
    if start is not None and np.isnan(start):  # unknown chunk sizes: dask says nan
        start = None
    number = (partition_info or {}).get("number")
    if number is None and "chunk-location" in location:
        number = location["chunk-location"][0]
    framed = hasattr(block, "index")

    def row(i):  # row i of the block, as a row of the data
        if start is not None:
            return str(int(start) + i)
        if number is None or not 0 <= i < len(block):
            return None
        if not framed:
            return f"{i} of block {number}"
        return f"{i} of partition {number} (index label {_label(block.index[i])!r})"

    if isinstance(exc, RowError):
        if start is not None:
            return exc.at(int(start))
        return exc if row(exc.row) is None else RowError(exc.before, row(exc.row), exc.after)
    # the sentence that validation adds (see _validation._bad_entry), renumbered
    lines = str(exc).split("\n")
    for k, line in enumerate(lines):
        found = re.match(r"The first bad entry: row (\d+),", line)
        if found and row(int(found.group(1))) is not None:
            lines[k] = (f"The first bad entry: row {row(int(found.group(1)))},"
                        + line[found.end():])
            try:  # the same error, of the same class (one that takes its message)
                return type(exc)("\n".join(lines))
            except Exception:  # noqa: BLE001 (a class of its own: a note says where)
                break
    if start is not None:
        exc.add_note(f"predict_partitions: in the block of data's rows {int(start)}-"
                     f"{int(start) + len(block) - 1}; a row named above is counted from its "
                     "first.")
    elif number is not None and not framed:
        exc.add_note(f"predict_partitions: in block {number} of data (its chunk sizes are "
                     "unknown); a row named above is counted from the block's first.")
    elif number is not None:
        exc.add_note(f"predict_partitions: in partition {number} of data, whose first row "
                     f"has index label {_label(block.index[0])!r}; a row named above is counted "
                     "from its first.")
    return exc


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

    @staticmethod
    def many_tasks(schema=None):
        names = "" if schema is None else f" (one of {list(schema.names)})"
        raise ValueError(
            "predict_proba returns one array per task; pass task=<name>"
            f"{names} to predict_partitions."
        )

    def __call__(self, block, estimator):
        if self.task is None:
            proba = estimator.predict_proba(block)
        else:
            proba = estimator.predict_proba(block, task=self.task)
        if isinstance(proba, list):
            final = _final_step(estimator)
            if not _takes_task(final):  # "pass task=" would be refused
                raise ValueError(
                    f"{type(final).__name__}.predict_proba returns a list of {len(proba)} "
                    "arrays (one per output of a 2-D y); predict_partitions gives one "
                    "array of probabilities, and this model takes no task= to pick one."
                    + (_best_hint(final) or " Fit one model per output, or an "
                       "IndependentTaskClassifier, whose task= picks one.")
                )
            self.many_tasks()
        return _like_block(np.asarray(proba), block, _class_names(estimator, self.task))


def _class_names(estimator, task):
    estimator = _final_step(estimator)
    schema = getattr(estimator, "schema_", None)
    if schema is not None:
        return list(schema[task if task is not None else 0].classes or [])
    classes = getattr(estimator, "classes_", None)  # one array of labels, not one a task
    try:
        labels = np.ndim(classes) == 1
    except ValueError:  # arrays of different lengths, one a task
        labels = False
    return list(classes) if labels else []


def _like_block(out, block, columns):
    """Predictions of a pandas partition as pandas, indexed as the partition's rows; of
    a NumPy block as NumPy (a DataFrame block of a dask array fails its indexing), but
    a SciPy sparse matrix as it is (``np.asarray`` makes it a 0-d object array)."""
    if not hasattr(block, "index"):
        return out if sp.issparse(out) else np.asarray(out)
    if isinstance(out, (pd.DataFrame, pd.Series)):
        return out.set_axis(block.index)
    out = np.asarray(out)
    if out.ndim == 1:
        return pd.Series(out, index=block.index)
    if columns is None or len(columns) != out.shape[1]:
        columns = list(range(out.shape[1]))
    return pd.DataFrame(out, index=block.index, columns=columns)
