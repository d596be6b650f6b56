"""Neighbour blending: an ensemble's probabilities mixed with its nearest training samples' labels.

Each member of an ensemble trunk maps a sample to its own feature space (the trunk's
output). The training samples nearest a query in that space vote for their labels, and a
task's predicted probabilities become ``(1 - w) * network + w * votes``. The vote count and
the weight ``w`` of each task are chosen on the members' held-out folds
(:class:`~sklearn_mtl.neural.MemberHoldout`): member ``m`` votes for the samples of fold
``m`` with the samples it trained on, so the choice is scored on data the member never
saw. A weight of 0 is the network alone, and it is kept unless a blend makes fewer
held-out errors.

The idea is retrieval over a network's learned representation, as in kNN-LM
(Khandelwal et al. 2020) and, for tables, TabR (Gorishniy et al. 2024) and ModernNCA
(Ye et al. 2025); here the network is trained as usual and the neighbours are only read at
prediction. Lookup-like tables, where near-repeats of a training sample carry its labels,
gain; noisy, smooth ones keep ``w = 0``.
"""

from __future__ import annotations

import numpy as np
import torch

from ._ensemble import BLENDABLE

#: Vote counts tried (the nearest 1, 3 or 10 training samples).
NEIGHBOR_COUNTS = (1, 3, 10)
#: Blend weights tried; 0 is the network alone.
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
# distances computed at most this many at a time (64 MiB of float32)
_CHUNK_ELEMENTS = 1 << 24


def nearest(queries, keys, count):
    """Indices ``(q, count)`` of the ``count`` rows of ``keys`` nearest each query row."""
    count = min(count, keys.shape[0])
    step = max(_CHUNK_ELEMENTS // max(keys.shape[0], 1), 1)
    return torch.cat([
        torch.cdist(queries[i : i + step], keys).topk(count, largest=False).indices
        for i in range(0, queries.shape[0], step)
    ]) if queries.shape[0] else torch.empty((0, count), dtype=torch.long)


def votes(codes, index, count, n_classes):
    """Share of each class among the labelled of the ``count`` nearest; and which rows
    had a labelled neighbour. ``codes`` (n_train,) with negative = masked."""
    near = codes[index[:, :count]]
    labelled = near >= 0
    onehot = (near[..., None] == torch.arange(n_classes)) & labelled[..., None]
    total = labelled.sum(1)
    shares = onehot.sum(1).float() / total.clamp(min=1)[:, None]
    return shares, total > 0


def _blend(net, shares, has, weight):
    mixed = (1.0 - weight) * net + weight * shares
    return torch.where(has[:, None], mixed, net)


def select_blend(feats, held_out, codes, kinds, n_classes, folds, sample_weight):
    """Each task's ``(vote count, weight)``, chosen on the members' held-out folds.

    ``feats`` and ``held_out`` are :func:`~sklearn_mtl.neural._ensemble.held_out_pass`'s
    members' features of the training samples and held-out probabilities, ``folds``
    each sample's held-out fold (its member never trained on it; -1: held out by no
    member, a sample that only votes), ``codes`` the per-task
    label codes (negative = masked); a sample of ``sample_weight`` 0 is no one's
    neighbour, as at prediction. Returns two arrays of shape (n_tasks,): the vote
    count and the weight (0: the network alone, kept unless a blend makes fewer
    held-out errors; among equals, the fewest votes and the smallest weight).
    """
    k, n = feats.shape[:2]
    folds = torch.as_tensor(folds, dtype=torch.long)
    rows = torch.arange(n)
    weight_of = (
        torch.ones(n) if sample_weight is None
        else torch.as_tensor(np.asarray(sample_weight, dtype=np.float32))
    )
    # a sample of weight 0 is absent: it is no one's neighbour (nor takes a voter's place)
    present = weight_of > 0
    with torch.inference_mode():
        held = folds >= 0  # -1: a sample no member held out (every member trained on it)
        width = min(max(NEIGHBOR_COUNTS),
                    min(int(((folds != m) & present).sum()) for m in range(k)))
        if width < 1:  # too few samples to vote
            return np.zeros(len(kinds), dtype=np.int64), np.zeros(len(kinds))
        index = torch.zeros((n, width), dtype=torch.long)
        for m in range(k):
            query, key = rows[folds == m], rows[(folds != m) & present]
            if len(query) and len(key):
                index[query] = key[nearest(feats[m, query], feats[m, key], index.shape[1])]
    codes = torch.as_tensor(codes, dtype=torch.long)
    counts = np.zeros(len(kinds), dtype=np.int64)
    weights = np.zeros(len(kinds), dtype=np.float64)
    candidates = [(0, 0.0)] + [(c, w) for c in NEIGHBOR_COUNTS if c <= width
                               for w in BLEND_WEIGHTS[1:]]
    for j, kind in enumerate(kinds):
        truth = codes[:, j]
        if kind not in BLENDABLE or not (truth >= 0).any():
            continue
        net = held_out[j]
        scored = ((truth >= 0) & held).float() * weight_of
        voters = torch.where(weight_of > 0, truth, -1)  # a sample of weight 0 is absent
        shares = {c: votes(voters, index, c, n_classes[j]) for c, _ in candidates if c}
        errors = torch.stack([
            (scored * ((net if not c else _blend(net, *shares[c], w)).argmax(1) != truth)).sum()
            for c, w in candidates
        ])
        # the first of equals: the network alone, else the fewest votes and smallest weight
        counts[j], weights[j] = candidates[int(torch.argmin(errors))]
    return counts, weights


def apply_blend(outputs, start, z, keys, codes, kinds, counts, weights):
    """Blend one batch's averaged probabilities in ``outputs`` (rows from ``start``) with
    the votes of the nearest training samples: ``z`` (k, batch, h) the batch's member
    features, ``keys`` (k, n_train, h) the training samples'."""
    active = [j for j, w in enumerate(weights) if w > 0]
    if not active:
        return
    k = z.shape[0]
    most = int(max(counts[j] for j in active))
    index = [nearest(z[m].float().cpu(), keys[m], most) for m in range(k)]
    for j in active:
        out = outputs[j]
        stop = start + z.shape[1]
        net = torch.from_numpy(out[start:stop]).double()
        shares = torch.zeros_like(net)
        voted = torch.zeros(net.shape[0], dtype=torch.double)
        for m in range(k):
            s, has = votes(codes[:, j], index[m], int(counts[j]), net.shape[1])
            shares += s.double() * has[:, None]
            voted += has
        has = voted > 0
        shares = shares / voted.clamp(min=1)[:, None]
        out[start:stop] = _blend(net, shares, has, float(weights[j])).numpy()


def training_features(module, X, batch_size, device):
    """The members' features ``(k, n, h)`` (float32, CPU) of the training table ``X``."""
    module.eval()
    with torch.inference_mode():
        return torch.cat([
            module.trunk(torch.from_numpy(X[i : i + batch_size]).to(device)).float().cpu()
            for i in range(0, X.shape[0], batch_size)
        ], dim=1)
