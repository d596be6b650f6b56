"""Data-parallel training (PyTorch DDP) and mixed precision for :class:`MultiTaskNet`.

Why ``DistributedDataParallel`` directly rather than Hugging Face Accelerate through
skorch's ``AccelerateMixin``: the net batches in-memory tensors with its own slicing
iterator, not a ``DataLoader``, so Accelerate's ``prepare`` would not shard it and the
net would still need its own sharding; Accelerate's loss scaling (``accelerator.backward``)
does not reach the gradient-level loss weightings, which call ``torch.autograd.grad``;
and DDP, ``torch.autocast`` and ``torch.amp.GradScaler`` ship with torch, so the feature
needs no extra dependency. Launchers are PyTorch's (``torchrun``), so the same script
runs on one CPU, one GPU, several GPUs or several nodes.

How a data-parallel fit works (every process runs the same ``fit(X, y)``):

- every process holds the same ``X`` and ``y`` (or the same lazily read source); an
  epoch draws one permutation, the same on every process (the shuffling generator is
  broadcast from rank 0), pads it to a multiple of the number of processes, and process
  ``r`` trains on every ``world_size``-th sample from ``r`` on, as
  ``torch.utils.data.DistributedSampler`` does;
- ``batch_size`` stays the global mini-batch: each process computes
  ``ceil(batch_size / world_size)`` rows of it, so one step sees about as many samples
  as in one process and the learning rate keeps its meaning;
- DDP averages the gradients of the module across processes during ``backward`` and
  broadcasts rank 0's initial weights; learned loss-weighting parameters (the
  criterion's) are averaged here; so every replica takes the same optimizer steps;
- each process weighs its per-task losses by its share of the task's label weight in
  the global batch (:meth:`ParallelMultiTaskNet.get_task_losses`), so the averaged
  gradients are those of the global batch's loss also where the shards hold different
  numbers of a task's labels;
- validation (early stopping) runs on the whole validation split in every process,
  so every process stops at the same epoch;
- the epoch's training losses in the history (``train_loss``, ``train_loss_<task>``)
  add up the batches of every process (one all-reduce of their sums an epoch), so they
  are the same in every process and a callback monitoring them (or ``"dwa"``, which
  weighs the tasks by them) decides alike everywhere.
"""

from __future__ import annotations

import hashlib
import math
import os

import numpy as np
import torch
import torch.distributed as dist
from skorch.dataset import unpack_data
from skorch.utils import to_device, to_tensor
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset

from ._net import (
    ArrayDataset,
    MultiTaskNet,
    NetScoring,
    PreprocessedRows,
    SliceBatchIterator,
    TensorPairDataset,
    WorkerLoader,
    _merged_bounds,
    _MergedBatchSampler,
)

PRECISIONS = {"bf16": torch.bfloat16, "fp16": torch.float16}


def training_generator(device):
    """The GPU index whose generator a training on ``device`` draws from (``"cuda"``:
    the current GPU, not always the first), or None off a GPU."""
    if device.type != "cuda":
        return None
    return torch.cuda.current_device() if device.index is None else device.index


def seed_generators(seed, device):
    """Seed the generators a training on ``device`` draws from: the CPU's and, on a
    GPU, that GPU's. ``torch.manual_seed`` would seed every GPU's generator too, which
    no caller restores (before CUDA starts, it queues the seed for when it does); on
    another accelerator (MPS, XPU), torch's own seeding is used."""
    index = training_generator(device)
    if device.type == "cpu" or index is not None:
        torch.default_generator.manual_seed(seed)
        if index is not None:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
    else:
        torch.manual_seed(seed)


def native_bf16(device):
    """Whether ``device`` is a CPU that multiplies bfloat16 matrices in hardware
    (AVX-512 BF16 or AMX), where autocast to bfloat16 makes matrix products faster;
    on other CPUs bfloat16 is emulated and slower than float32."""
    if torch.device(device).type != "cpu":
        return False
    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        supported = getattr(torch.cpu, probe, None)  # private probes, absent in some builds
        try:
            if supported is not None and supported():
                return True
        except (RuntimeError, AttributeError):
            continue
    return False


def world():
    """``(rank, world_size)`` of the default process group, ``(0, 1)`` without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def setup_data_parallel(device, init=True):
    """Join the process group a launcher describes; return the device of this process.

    Under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) this initialises the
    default process group once (NCCL on CUDA devices, gloo on CPU) unless the caller
    did; without a launcher it does nothing, so the same code trains in one process.
    ``device="cuda"`` becomes ``cuda:<LOCAL_RANK>``: one GPU per process. With
    ``init=False`` only the device is resolved.
    """
    device = torch.device(device)
    if not dist.is_available():  # pragma: no cover - torch built without distributed
        return device
    if init and not dist.is_initialized() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        if device.type == "cuda" and device.index is None:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda" and device.index is None and dist.is_initialized():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def same_seed(seed):
    """Rank 0's ``seed`` in every process (the seed itself outside a process group):
    the validation split and the shuffling must agree even with ``random_state=None``."""
    rank, size = world()
    if size == 1:
        return seed
    box = [seed]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def check_weighting(weighting, *, data_parallel, mixed_precision, name=None):
    """Refuse the loss weightings that cannot follow the gradients of a parallel or
    loss-scaled fit: GradNorm and PCGrad compute per-task gradients with
    ``torch.autograd.grad``, which DDP's all-reduce and fp16 loss scaling never see.
    ``name`` is the ``loss_weighting`` the user gave, for the message."""
    if not getattr(weighting, "custom_backward", False):
        return
    if name is None:
        name = type(weighting).__name__.strip("_").replace("Module", "").lower()
    if data_parallel and world()[1] > 1:
        raise ValueError(
            f"loss_weighting={name!r} computes per-task gradients itself, which data-parallel "
            "training cannot average across processes; use loss_weighting='fixed', "
            "'uncertainty' or 'dwa' with data_parallel=True, or train in one process."
        )
    if mixed_precision == "fp16":
        raise ValueError(
            f"loss_weighting={name!r} computes per-task gradients itself, which fp16 loss "
            "scaling cannot follow; use mixed_precision='bf16' (no loss scaling) or None."
        )


class ShardedSliceBatchIterator(SliceBatchIterator):
    """This process's share of an epoch of :class:`SliceBatchIterator` batches.

    The permutation is drawn as in one process (same generator, same draws), padded by
    wrapping around to a multiple of ``world_size`` and strided by ``rank``: every
    process gets the same number of batches, and together they see every sample. With
    ``merge_single``, a one-row last batch joins the one before, as in one process (every
    process holds as many rows, so all merge alike).
    """

    def __init__(self, X, y, indices, batch_size, generator, rank, world_size,
                 merge_single=False):
        super().__init__(X, y, indices, batch_size, shuffle=True, generator=generator,
                         merge_single=merge_single)
        self.rank = rank
        self.world_size = world_size

    def _n(self):
        n = len(self.X) if self.indices is None else len(self.indices)
        return math.ceil(n / self.world_size)

    def __len__(self):
        return len(self._bounds(self._n()))

    def _bounds(self, n):
        if self._merges(n):
            return _merged_bounds(n, self.batch_size)
        return [(start, min(start + self.batch_size, n)) for start in range(0, n, self.batch_size)]

    def __iter__(self):
        rows = _shard(self._n() * self.world_size, len(self.X) if self.indices is None
                      else len(self.indices), self.generator, self.rank, self.world_size)
        if self.indices is not None:
            rows = self.indices[rows]
        for start, stop in self._bounds(len(rows)):
            take = rows[start:stop]
            yield self.X.index_select(0, take), self.y.index_select(0, take)


class _ShardSampler(torch.utils.data.Sampler):
    """The indices of :class:`ShardedSliceBatchIterator`, for a ``Dataset``."""

    def __init__(self, n, generator, rank, world_size):
        self.n = n
        self.generator = generator
        self.rank = rank
        self.world_size = world_size

    def __len__(self):
        return math.ceil(self.n / self.world_size)

    def __iter__(self):
        total = len(self) * self.world_size
        return iter(_shard(total, self.n, self.generator, self.rank, self.world_size).tolist())


def _shard(total, n, generator, rank, world_size):
    perm = torch.randperm(n, generator=generator)
    if total > n:
        perm = torch.cat([perm, perm[: total - n]])
    return perm[rank::world_size]


class TrainLoss(NetScoring):
    """skorch's ``train_loss``: the mean of the epoch's batch losses, weighted by batch
    size; in a data-parallel training, over the batches of every process, so that every
    process records the same value (each holds only its own shard's batches)."""

    def get_avg_score(self, history):
        net = getattr(self, "net_", None)
        if net is None or net.__dict__.get("_world") is None:
            return super().get_avg_score(history)
        key = "train_batch_size" if self.on_train else "valid_batch_size"
        sizes, scores = np.array(history[-1, "batches", :, [key, self.name]], dtype=float).T
        total, count = net.sum_over_processes((sizes * scores).sum(), sizes.sum())
        return float(total / count)


class ParallelMultiTaskNet(MultiTaskNet):
    """:class:`MultiTaskNet` trained data-parallel across processes and/or in mixed
    precision.

    Parameters
    ----------
    data_parallel : bool
        Train with ``DistributedDataParallel`` when a process group of more than one
        process exists (see :func:`setup_data_parallel`); one process trains as usual.
    mixed_precision : {"bf16", "fp16"} or None
        Run the forward pass and the loss under ``torch.autocast`` with this type;
        ``"fp16"`` also scales the loss (``torch.amp.GradScaler``). Weights, optimizer
        state and prediction stay float32.
    *args, **kwargs
        As for :class:`MultiTaskNet`.
    """

    def __init__(self, *args, data_parallel=False, mixed_precision=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.data_parallel = data_parallel
        self.mixed_precision = mixed_precision

    @property
    def _default_callbacks(self):
        return [(name, TrainLoss(name, on_train=True)) if name == "train_loss" else (name, cb)
                for name, cb in super()._default_callbacks]

    def sum_over_processes(self, *values):
        """The element-wise sums of ``values`` (numbers or arrays) over the processes of
        the data-parallel training under way, in one all-reduce (float64); ``values``
        unchanged in one process or outside training. The epoch's training losses in
        the history add up every process's batches with it (see ``TaskLosses``,
        :class:`TrainLoss`)."""
        if self.__dict__.get("_world") is None:
            return values
        arrays = [np.asarray(v, dtype=np.float64) for v in values]
        # NCCL reduces GPU tensors only; gloo, the CPU's, reduces CPU tensors
        device = self.device if torch.device(self.device).type == "cuda" else "cpu"
        flat = torch.as_tensor(np.concatenate([a.reshape(-1) for a in arrays]), device=device)
        dist.all_reduce(flat)
        flat = flat.cpu().numpy()
        out, at = [], 0
        for a in arrays:
            part = flat[at : at + a.size]
            out.append(part.reshape(a.shape) if a.ndim else float(part[0]))
            at += a.size
        return tuple(out)

    def initialize(self, *, defer_optimizer=False):
        super().initialize(defer_optimizer=defer_optimizer)
        device_type = torch.device(self.device).type
        self.grad_scaler_ = torch.amp.GradScaler(
            device_type, enabled=self.mixed_precision == "fp16"
        )
        return self

    # ------------------------------------------------------------- process group
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        check_weighting(
            getattr(self.criterion_, "weighting", None), data_parallel=self.data_parallel,
            mixed_precision=self.mixed_precision,
        )
        rank, size = world()
        if not self.data_parallel or size == 1:
            return
        _check_same_data(X, y)
        # One shuffle for all: rank 0's generators (also when random_state is None).
        states = [self.shuffle_generator_.get_state(), self.worker_generator_.get_state()]
        dist.broadcast_object_list(states, src=0)
        self.shuffle_generator_.set_state(states[0])
        self.worker_generator_.set_state(states[1])
        # Dropout and augmentation differ between processes, as between batches.
        device = torch.device(self.device)
        seed_generators(int(torch.initial_seed()) + rank, device)
        self.__dict__["_ddp"] = DistributedDataParallel(
            self.module_, device_ids=[device.index] if device.type == "cuda" else None,
        )
        self.__dict__["_world"] = (rank, size)

    def on_train_end(self, net, **kwargs):
        self._sync_buffers()
        # The wrapper holds the process group: the fitted net keeps the plain module.
        self.__dict__.pop("_ddp", None)
        self.__dict__.pop("_world", None)
        super().on_train_end(net, **kwargs)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if not training:
            self._sync_buffers()
        return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def _sync_buffers(self):
        """Rank 0's buffers (batch-norm statistics) everywhere. DDP broadcasts them
        before each forward pass, so after the last step of an epoch they differ: the
        validation loss, early stopping and the fitted model would too."""
        if self.__dict__.get("_world") is None:
            return
        for buffer in self.module_.buffers():
            dist.broadcast(buffer, src=0)

    def infer(self, x, **fit_params):
        ddp = self.__dict__.get("_ddp")
        if ddp is None or not self.module_.training:
            return super().infer(x, **fit_params)
        return ddp(to_tensor(x, device=self.device), **fit_params)

    def _get_batches(self, base, indices, dataset, training):
        shard = self.__dict__.get("_world")
        if not training or shard is None:
            return super()._get_batches(base, indices, dataset, training)
        rank, size = shard
        n = len(dataset)
        batch_size = self.batch_size if self.batch_size != -1 else n
        batch_size = max(1, math.ceil(batch_size / size))
        merge = self._batch_norms_rows()  # a one-row last batch joins the one before
        stream = getattr(base, "sharded_batches", None)
        if stream is not None:  # reads its own row groups in each process
            return stream(batch_size, True, self.shuffle_generator_, rank, size,
                          merge_single=merge)
        if isinstance(base, TensorPairDataset):
            return ShardedSliceBatchIterator(
                base.X, base.y, indices, batch_size, self.shuffle_generator_, rank, size,
                merge_single=merge,
            )
        worker_seed = int(torch.randint(2**62, (1,), generator=self.worker_generator_))
        sampler = _ShardSampler(n, self.shuffle_generator_, rank, size)
        batching = {"batch_size": batch_size, "sampler": sampler}
        if merge:  # the same batches, a one-row last one merged into the one before
            batching = {"batch_sampler": _MergedBatchSampler(sampler, batch_size)}
        return WorkerLoader(
            dataset, **batching, num_workers=self.num_workers,
            generator=torch.Generator().manual_seed(worker_seed),
        )

    # ---------------------------------------------------------------------- step
    def get_task_losses(self, y_pred, y_true, training=False):
        """``(total, per_task)`` of a training batch, as one process would compute them on
        the batches of every process together.

        The criterion's per-task loss is a weighted mean over the task's labels in the
        batch; each process holds only its shard of the global batch, and DDP averages
        the processes' gradients with equal weights. So each process's task loss is
        weighted by the share of the task's label weight it holds (one all-reduce of
        the per-task label weights a step): the average of the processes' losses, and
        of their gradients, is the loss of the global batch, also where the shards hold
        different numbers of a task's labels (missing labels, gated tasks,
        ``sample_weight``). The history records each process's own per-task means and
        label weights, which the epoch's means add up over the processes (``TaskLosses``).
        """
        world = self.__dict__.get("_world")
        if not training or world is None or not hasattr(self.criterion_, "per_task"):
            return super().get_task_losses(y_pred, y_true, training=training)
        y_true = to_device(y_true, self.device)
        k = self.module_.n_members if hasattr(self.module_, "n_members") else 1
        if k > 1:  # an ensemble: every member's rows are scored against the labels
            y_true = self._member_targets(y_true, k, training)
        criterion = self.criterion_
        per_task = criterion.per_task(y_pred, y_true)
        local = self._task_label_weights(y_true)
        shared = local.detach().float().clone()
        dist.all_reduce(shared)
        labelled = shared > 0
        share = torch.where(labelled, local.float() * world[1] / shared.clamp(min=1e-30), 0.0)
        # the tasks the global batch labels, told to the strategy as MultiTaskLoss.forward
        # tells them; the built-in strategies that check_weighting lets through are
        # affine in the losses, so the processes' totals average to the global batch's
        total = criterion.combine(per_task * share.to(per_task.dtype), labelled)
        deferred = self.__dict__.get("_deferred_reads")
        losses = per_task.detach()
        self._record_batch("train_task_losses", losses if deferred else losses.tolist())
        self._record_batch("train_task_weights", local if deferred else local.tolist())
        return total, per_task

    def train_step_single(self, batch, **fit_params):
        if self.mixed_precision is None:
            step = super().train_step_single(batch, **fit_params)
        else:
            step = self._mixed_precision_step(batch, **fit_params)
        self._average_criterion_grads()
        return step

    def _lean_reference(self):
        # This class's step is MultiTaskNet's with autocast, DDP and the criterion's
        # gradient averaging, all inside train_step_single, which the lean step calls;
        # the loss scaler's own optimizer step (fp16) it would skip.
        return None if self.grad_scaler_.is_enabled() else ParallelMultiTaskNet

    def _mixed_precision_step(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        weighting = getattr(self.criterion_, "weighting", None)
        custom = getattr(weighting, "custom_backward", False)
        device_type = torch.device(self.device).type
        with torch.autocast(device_type, dtype=PRECISIONS[self.mixed_precision]):
            y_pred = self.infer(Xi, **fit_params)
            if custom:
                _, per_task = self.get_task_losses(y_pred, yi, training=True)
            else:
                loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        if custom:  # bf16 only (check_weighting): no loss scaling to follow
            weighted = self.criterion_.task_weights * per_task.float()
            loss = self._weighting_backward(weighting, weighted)
            return {"loss": loss, "y_pred": y_pred}
        self.grad_scaler_.scale(loss).backward()
        if self.grad_scaler_.is_enabled():
            # True gradients from here on, for on_grad_computed (e.g. gradient clipping).
            for name in self._optimizers:
                self.grad_scaler_.unscale_(getattr(self, name + "_"))
        return {"loss": loss.detach().float(), "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        if not self.grad_scaler_.is_enabled():
            return super()._step_optimizer(step_fn)
        step_fn()  # GradScaler.step takes no closure
        for name in self._optimizers:
            self.grad_scaler_.step(getattr(self, name + "_"))
        self.grad_scaler_.update()

    def _average_criterion_grads(self):
        """Learned loss weights live in the criterion, outside DDP's module."""
        shard = self.__dict__.get("_world")
        if shard is None:
            return
        grads = [p.grad for p in self.criterion_.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= shard[1]
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()


def _check_same_data(X, y):
    """Every process must pass the same data: each trains on its own shard of it.

    One all-gather of :func:`_data_summary` (the number of samples, the types and
    shapes, and sha256 digests of ``X`` and ``y`` in row order); a ValueError says what
    differs.
    """
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, _data_summary(X, y))
    differences = _data_differences(everyone)
    if differences:
        raise ValueError(
            "data_parallel=True needs the same X and y in every process (each process trains "
            "on its own shard of them, in the same order); " + "; ".join(differences) + "."
        )


# Fingerprints are sha256 digests of the data's bytes, so any change of a value or of
# the row order shows. The bytes are the data's own, of its own dtype (compared with the
# type): ``fit`` has fixed the dtype before (float32 features, a float32 CSR matrix, the
# encoded targets), and the same data loaded in each process gives the same bytes, so
# nothing is converted (a float64 copy would hash twice the bytes of float32 data).
# Dense and sparse data are different types, as are float32 and float64.

#: Bytes hashed at a time (8 MB): X is never copied whole.
_FINGERPRINT_CHUNK = 1 << 23
#: Rows of a memory map (or Parquet data) read for its fingerprint, at fixed positions.
_FINGERPRINT_ROWS = 64


def _dtype_name(X):
    dtype = X.dtype
    return str(dtype).removeprefix("torch.") if isinstance(dtype, torch.dtype) else dtype.name


def _hash_values(h, block):
    """Feed ``block`` (an array or tensor of any dtype, device or strides) to the hash
    ``h``: its values' bytes in C order, in the machine's byte order."""
    if isinstance(block, torch.Tensor):
        block = block.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
    else:
        block = np.ascontiguousarray(block)
        if not block.dtype.isnative:
            block = block.astype(block.dtype.newbyteorder("="))
        block = block.reshape(-1).view(np.uint8)
    h.update(block)


def _fingerprint_array(X):
    """The digest of every value of an array or tensor in row order (or of a sparse
    matrix, :func:`_fingerprint_sparse`), hashed a chunk of rows at a time."""
    if _is_sparse(X):
        return _fingerprint_sparse(X)
    h = hashlib.sha256()
    row_bytes = max(1, math.prod(X.shape[1:]) * X.itemsize)
    step = max(1, _FINGERPRINT_CHUNK // row_bytes)
    for start in range(0, X.shape[0], step):
        _hash_values(h, X[start : start + step])
    return h.hexdigest()


def _fingerprint_sparse(X):
    """The digest of a CSR (CSC) matrix as stored: the length of every row (column),
    the column (row) indices and the values, each a hash of its own fed a chunk of rows
    (columns) at a time; a chunk with duplicate or unsorted indices is made canonical
    first (on a copy of the chunk). Other formats are read as CSR."""
    if X.format not in ("csr", "csc"):
        X = X.tocsr()
    canonical = X.has_canonical_format
    lengths, indices, values = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    major = len(X.indptr) - 1
    step = max(1, _FINGERPRINT_CHUNK * major // max(1, X.nnz * X.data.itemsize))
    for start in range(0, major, step):
        stop = min(start + step, major)
        lo, hi = X.indptr[start], X.indptr[stop]
        ptr, idx, val = X.indptr[start : stop + 1] - lo, X.indices[lo:hi], X.data[lo:hi]
        if not canonical:
            shape = (stop - start, X.shape[1]) if X.format == "csr" else (X.shape[0], stop - start)
            part = type(X)((val.copy(), idx.copy(), ptr), shape=shape)
            part.sum_duplicates()
            ptr, idx, val = part.indptr, part.indices, part.data
        lengths.update(np.diff(ptr).astype(np.int64))
        indices.update(idx.astype(np.int64))
        _hash_values(values, val)
    return hashlib.sha256(
        "".join(h.hexdigest() for h in (lengths, indices, values)).encode()
    ).hexdigest()


def _fingerprint_rows(X, n):
    """The digest of ``_FINGERPRINT_ROWS`` rows of ``X`` at fixed positions."""
    positions = np.unique(np.linspace(0, n - 1, min(n, _FINGERPRINT_ROWS)).round().astype(np.int64))
    h = hashlib.sha256(_dtype_name(X).encode())
    _hash_values(h, np.asarray(X[positions]))
    return h.hexdigest()


def _is_sparse(X):
    return not isinstance(X, (np.ndarray, torch.Tensor)) and hasattr(X, "tocsr")


def _is_array(X):
    """Whether ``X`` is an array, a tensor or a ``scipy.sparse`` matrix."""
    return isinstance(X, (np.ndarray, torch.Tensor)) or _is_sparse(X)


def _fingerprint_X(X, n):
    """A fingerprint of the features ``net.fit`` got: of every value of an array, tensor
    or sparse matrix; of rows at fixed positions of a memory map; of the row groups and
    first rows of Parquet shards; None for a user's ``Dataset`` (whose items may be drawn
    at random), where only the number of samples is compared."""
    if _is_array(X):
        return _fingerprint_array(X)
    if isinstance(X, (ArrayDataset, PreprocessedRows)):  # a memory map, as it is or
        table = X.X if isinstance(X, ArrayDataset) else X.rows.X  # preprocessed
        return _fingerprint_rows(table, n) if n > 0 else None
    shards = getattr(X, "shards", None)  # EncodedShards: ParquetShards and the encoding
    if hasattr(X, "sharded_batches") and hasattr(shards, "units") and hasattr(shards, "head"):
        h = hashlib.sha256()
        h.update(np.array([count for _, count in shards.units()], dtype=np.int64))
        head = np.asarray(shards.head(_FINGERPRINT_ROWS))
        h.update(_dtype_name(head).encode())
        _hash_values(h, head)
        return h.hexdigest()
    return None


def _data_summary(X, y):
    """What :func:`_check_same_data` compares between processes."""
    if hasattr(X, "shape") and not isinstance(X, Dataset):
        n = int(X.shape[0])
    else:
        n = len(X) if hasattr(X, "__len__") else -1
    shape = tuple(X.shape[1:]) if hasattr(X, "shape") else None
    if _is_sparse(X):
        kind = f"sparse {X.format if X.format == 'csc' else 'csr'} {_dtype_name(X)}"
    else:
        kind = f"array {_dtype_name(X)}" if _is_array(X) else type(X).__name__
    return {
        "n_samples": n,
        "X": (kind, shape, _fingerprint_X(X, n)),
        "y_type": None if y is None else f"{_dtype_name(y)} {tuple(y.shape)}",
        "y": None if y is None else _fingerprint_array(y),
    }


def _data_differences(everyone):
    """What differs between the processes' :func:`_data_summary` (a list of phrases)."""
    first, out = everyone[0], []

    def by_rank(values):
        return "[" + ", ".join(map(str, values)) + "]"

    def differ(name, fingerprints):
        if all(fp == fingerprints[0] for fp in fingerprints):
            return
        shown = by_rank("-" if fp is None else fp[:12] for fp in fingerprints)
        out.append(f"{name} differs in its values or in the order of its rows "
                   f"(fingerprints by rank: {shown})")

    same_n = all(s["n_samples"] == first["n_samples"] for s in everyone)
    if not same_n:  # then the values differ too: not worth saying
        out.append("the number of samples differs, by rank: "
                   + by_rank(s["n_samples"] for s in everyone))
    if any(s["X"][:2] != first["X"][:2] for s in everyone):
        out.append("X differs in type or sample shape, by rank: "
                   + by_rank(f"{s['X'][0]} {s['X'][1]}" for s in everyone))
    elif same_n:
        differ("X", [s["X"][2] for s in everyone])
    if any(s["y_type"] != first["y_type"] for s in everyone):
        out.append(f"y's type or shape differs, by rank: {by_rank(s['y_type'] for s in everyone)}")
    elif same_n:
        differ("y", [s["y"] for s in everyone])
    return out
