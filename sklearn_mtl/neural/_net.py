"""The skorch ``NeuralNet`` subclass that trains a multi-head module."""

from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import PassthroughScoring
from skorch.utils import to_device
from torch.utils.data import Dataset, Subset


class TensorPairDataset(Dataset):
    """In-memory features and targets, batched by slicing (see :class:`SliceBatchIterator`)."""

    def __init__(self, X, y=None):
        self.X = X
        self.y = y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], (self.y[i] if self.y is not None else torch.zeros(0))


class LabelledDataset(Dataset):
    """A user's ``Dataset`` of features paired with the encoded targets, row by row."""

    def __init__(self, features, y):
        self.features = features
        self.y = y

    def __len__(self):
        return len(self.features)

    def __getitem__(self, i):
        x = self.features[i]
        if isinstance(x, (tuple, list)):  # (x, label) datasets: labels come from Y
            x = x[0]
        return torch.as_tensor(np.asarray(x)), self.y[i]


class SliceBatchIterator:
    """Mini-batches of in-memory tensors by slicing, not per-sample indexing.

    skorch's default ``DataLoader`` collates one sample at a time; on an MLP that costs
    2-3× a hand-written loop. Slicing (or one ``index_select`` per batch when shuffling)
    keeps the overhead per batch, not per sample.
    """

    def __init__(self, X, y, indices, batch_size, shuffle, generator=None):
        self.X = X
        self.y = y
        self.indices = indices
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        n = len(self.X) if self.indices is None else len(self.indices)
        return (n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        X, y, bs = self.X, self.y, self.batch_size
        idx = self.indices
        if self.shuffle:
            n = len(X) if idx is None else len(idx)
            perm = torch.randperm(n, generator=self.generator)
            idx = perm if idx is None else idx[perm]
        if idx is None:
            for start in range(0, len(X), bs):
                yield X[start : start + bs], y[start : start + bs]
            return
        for start in range(0, len(idx), bs):
            rows = idx[start : start + bs]
            yield X.index_select(0, rows), y.index_select(0, rows)


class MultiTaskNet(NeuralNet):
    """A ``NeuralNet`` whose module returns one output per task and whose criterion is
    :class:`~sklearn_mtl.neural.MultiTaskLoss`.

    Per-task losses are recorded per batch (``train_loss_<task>``, ``valid_loss_<task>``)
    and averaged per epoch into the history. In-memory data is batched by slicing.

    Parameters
    ----------
    task_names : list of str
        Names used in the history keys.
    shuffle_seed : int or None
        Seed of the generator that shuffles training batches.
    num_workers : int
        Worker processes of the ``DataLoader`` used for a user ``Dataset``.
    """

    def __init__(self, *args, task_names=(), shuffle_seed=None, num_workers=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.task_names = task_names
        self.shuffle_seed = shuffle_seed
        self.num_workers = num_workers

    @property
    def _default_callbacks(self):
        callbacks = list(super()._default_callbacks)
        for name in self.task_names:
            callbacks.append(
                (f"train_loss_{name}", PassthroughScoring(name=f"train_loss_{name}", on_train=True))
            )
            callbacks.append((f"valid_loss_{name}", PassthroughScoring(name=f"valid_loss_{name}")))
        return callbacks

    def initialize(self):
        super().initialize()
        self.shuffle_generator_ = torch.Generator()
        if self.shuffle_seed is not None:
            self.shuffle_generator_.manual_seed(int(self.shuffle_seed))
        else:
            self.shuffle_generator_.seed()
        return self

    def get_dataset(self, X, y=None):
        if isinstance(X, Dataset):
            return X if y is None else LabelledDataset(X, y)
        return TensorPairDataset(X, y)

    def get_iterator(self, dataset, training=False):
        base, indices = dataset, None
        if isinstance(dataset, Subset) and isinstance(dataset.dataset, TensorPairDataset):
            base, indices = dataset.dataset, torch.as_tensor(dataset.indices, dtype=torch.long)
        if isinstance(base, TensorPairDataset):
            batch_size = self.batch_size if self.batch_size != -1 else len(dataset)
            return SliceBatchIterator(
                base.X, base.y, indices, batch_size, shuffle=training,
                generator=self.shuffle_generator_,
            )
        loader = torch.utils.data.DataLoader
        batch_size = self.batch_size if self.batch_size != -1 else len(dataset)
        generator = self.shuffle_generator_ if training else None
        return loader(
            dataset, batch_size=batch_size, shuffle=training, num_workers=self.num_workers,
            generator=generator,
        )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_device(y_true, self.device)
        total, per_task = self.criterion_(y_pred, y_true)
        prefix = "train" if training else "valid"
        for name, value in zip(self.task_names, per_task.detach().tolist()):
            self.history.record_batch(f"{prefix}_loss_{name}", value)
        return total
