"""The combination probe: which label combination, read from each member's features.

Per-task heads give each task's probabilities; decoding over the combinations seen in
training then scores a combination by the product of its tasks' probabilities, as if the
tasks were independent given the sample. Where they are not (a diamond of a given carat
and price: a better colour goes with a worse clarity), the joint mode is elsewhere. The
probe is a multinomial logistic regression per ensemble member over the observed
combinations, fitted after training on the member's frozen features (the trunk's output),
on the samples the member trained on. Decoding then scores a combination by
``a * log P_probe(combination) + sum of log P(task value)``, a product of experts
(Hinton 2002) of the joint and the per-task views; ``a`` is chosen on the members'
held-out folds (:class:`~sklearn_mtl.neural.MemberHoldout`), ``a = 0`` being plain
decoding over the observed combinations. Training and the per-task probabilities are
untouched.
"""

from __future__ import annotations

import numpy as np
import torch

from ._neighbors import _CHUNK_ELEMENTS  # the loss: at most this many logits at a time

#: Weights of the probe tried on the held-out folds; 0 is plain observed decoding, 8
#: lets the joint view overrule confident task heads (close to a label product read from
#: the network's features).
PROBE_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 8.0)
#: The probes read at most this many samples × combinations (a seeded sample of the
#: training samples beyond it).
MAX_PROBE_CELLS = 20_000_000
#: The probes are fitted only where they can read this many samples (or all of them).
MIN_PROBE_ROWS = 8192
#: Nor over more combinations than this. Each L-BFGS evaluation reads every sample's
#: logits over all the combinations (about 60 of them, and a history of 50 copies of the
#: weights): past a thousand combinations (a many-class task next to another, labels that
#: rarely repeat) it cost nearly as much as training or more on the tables measured, with
#: a sample or two a combination to learn from, and a weight chosen on held-out
#: combinations mostly unseen by their probe; the development suite's largest label
#: space has 538.
MAX_PROBE_COMBINATIONS = 1024
_L2 = 1.0  # the penalty of scikit-learn's LogisticRegression(C=1.0), per sample summed loss
_LBFGS_STEPS = 50


def probe_rows(n_combinations):
    """How many training samples the probes read, at most, for ``n_combinations``."""
    return MAX_PROBE_CELLS // max(n_combinations, 1)


def combination_index(codes, observed):
    """Each row's index in ``observed`` (rows of codes), -1 for a row not among them."""
    lookup = {tuple(row): i for i, row in enumerate(np.asarray(observed).tolist())}
    return np.array([lookup.get(tuple(row), -1) for row in np.asarray(codes).tolist()],
                    dtype=np.int64)


def fit_probes(features, target, folds, n_combinations, seed=0, sample_weight=None):
    """Each member's probe, fitted on the samples it trained on.

    ``features`` (k, n, h) float32, ``target`` (n,) combination indices (-1: none),
    ``folds`` (n,) each sample's held-out fold (-1: held out by no member, every member
    trained on it). Returns ``(weight, bias)`` of shapes
    (k, h, C) and (k, C), float32: member ``m``'s probe minimises the mean cross-entropy
    over its training samples plus ``0.5 / n_m`` times its squared weights (scikit-learn's
    ``LogisticRegression(C=1.0)``), by L-BFGS, all members in one batched problem. With
    ``sample_weight`` (n,), the mean and ``n_m`` are weighted, as scikit-learn's are.
    """
    target = torch.as_tensor(target, dtype=torch.long)
    folds = torch.as_tensor(folds, dtype=torch.long)
    rows = probe_rows(n_combinations)
    if features.shape[1] > rows:  # a seeded sample of the rows bounds the cost
        keep = np.sort(np.random.RandomState(seed).permutation(features.shape[1])[:rows])
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)[keep]
        keep = torch.from_numpy(keep)
        features, target, folds = features[:, keep], target[keep], folds[keep]
    k, n, h = features.shape
    member = torch.arange(k)[:, None]
    use = ((folds[None, :] != member) & (target[None, :] >= 0)).float()  # (k, n)
    if sample_weight is None:
        per_member = use.sum(1).clamp(min=1)
    else:
        use = use * torch.as_tensor(np.asarray(sample_weight, dtype=np.float32))[None, :]
        per_member = use.sum(1).clamp(min=1e-12)
    features = features.float()
    weight = torch.zeros(k, h, n_combinations, requires_grad=True)
    bias = torch.zeros(k, n_combinations, requires_grad=True)
    safe = target.clamp(min=0)
    step = max(_CHUNK_ELEMENTS // (k * n_combinations), 1)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=_LBFGS_STEPS,
                                  line_search_fn="strong_wolfe")

    def closure():
        # the gradient is accumulated chunk by chunk, so memory stays bounded
        optimizer.zero_grad()
        total = (0.5 * _L2 * (weight ** 2).sum((1, 2)) / per_member).sum()
        total.backward()
        total = total.detach()
        for start in range(0, n, step):
            part = slice(start, start + step)
            logits = torch.baddbmm(bias[:, None, :], features[:, part], weight)
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, n_combinations), safe[part].expand(k, -1).reshape(-1),
                reduction="none",
            ).reshape(k, -1)
            chunk = ((loss * use[:, part]).sum(1) / per_member).sum()
            chunk.backward()
            total = total + chunk.detach()
        return total

    with torch.enable_grad():
        optimizer.step(closure)
    return weight.detach(), bias.detach()


def probe_log_proba(features, weight, bias):
    """Per member log P(combination): (k, batch, C), from features (k, batch, h)."""
    logits = torch.baddbmm(bias[:, None, :], features.float(), weight)
    return torch.log_softmax(logits, dim=-1)


def mean_log_proba(features, weight, bias):
    """The members' averaged probe probabilities, as logs: (batch, C)."""
    return torch.logsumexp(probe_log_proba(features, weight, bias), 0) - np.log(features.shape[0])


def combination_scores(outputs, schema, observed, floor=False):
    """Sum over tasks of log P(task value) for every observed combination: (n, C).

    With ``floor``, a probability of 0 scores the log of the smallest normal float64, as
    :class:`~sklearn_mtl.JointDecoder` scores it, rather than -inf: where every observed
    combination holds such a label, the one with the fewest still wins, not the first.
    """
    from .._decoding import _log_factors, _score

    logp, onscore = _log_factors([np.asarray(o) for o in outputs], schema, floor=floor)
    return _score(np.asarray(observed), logp, onscore, schema)


def decoding_error(pred, truth, sample_weight=None):
    """Exact-match error plus mean task error of the codes ``pred`` against ``truth``
    (n, n_tasks; negative = masked), over the labels given."""
    truth = np.asarray(truth)
    given = truth >= 0
    w = np.ones(len(truth)) if sample_weight is None else np.asarray(sample_weight, float)
    wrong = (np.asarray(pred) != truth) & given
    task_error = (wrong * w[:, None]).sum(0) / np.maximum((given * w[:, None]).sum(0), 1e-12)
    exact_error = (wrong.any(1) * w).sum() / max(w[given.any(1)].sum(), 1e-12)
    return exact_error + task_error.mean()


def choose_decoding(task_scores, probe_scores, observed, truth, independent=None,
                    sample_weight=None):
    """The decoding with the fewest held-out errors (:func:`decoding_error`).

    The candidates are decoding over the observed combinations with each probe weight
    ``a`` in ``PROBE_WEIGHTS``: ``task_scores`` and ``probe_scores`` (n, C) score each
    observed combination for each held-out sample (per-task log probabilities summed;
    the probe's log probability); ``probe_scores=None`` (no probe fitted) leaves the
    weight 0 alone, so the choice is the one the probe gives where its weight is 0. With
    ``independent`` (n, n_tasks), each task's own most probable code, deciding task by
    task is a candidate too, and the first: it is kept unless a decoding over the
    observed combinations makes fewer errors. Among equals, the smaller weight. Returns
    ``("independent", 0.0)`` or ``("observed", a)``.
    """
    candidates = [] if independent is None else [(("independent", 0.0), independent)]
    observed = np.asarray(observed)
    if probe_scores is None:
        candidates.append((("observed", 0.0), observed[np.argmax(task_scores, axis=1)]))
    else:
        candidates += [
            (("observed", a), observed[np.argmax(task_scores + a * probe_scores, axis=1)])
            for a in PROBE_WEIGHTS
        ]
    best, best_error = None, np.inf
    for choice, pred in candidates:
        error = decoding_error(pred, truth, sample_weight)
        if error < best_error - 1e-12:
            best, best_error = choice, error
    return best


def held_out_probe(features, weight, bias, folds):
    """Each sample's probe log probabilities from the member that held it out: (n, C);
    the rows of samples of fold -1 (held out by no member) are left unset."""
    folds = torch.as_tensor(folds, dtype=torch.long)
    out = torch.empty(features.shape[1], weight.shape[2])
    with torch.no_grad():
        for m in range(features.shape[0]):
            rows = torch.nonzero(folds == m)[:, 0]
            if len(rows):
                out[rows] = probe_log_proba(features[m : m + 1, rows], weight[m : m + 1],
                                            bias[m : m + 1])[0]
    return out.numpy()


def best_combinations(outputs, schema, observed, joint, weight):
    """Index in ``observed`` of the combination with the best ``sum of log P(task value)
    + weight * log P_probe(combination)`` for each sample: ``outputs`` the per-task
    outputs and ``joint`` (n, C) the probe's log probabilities of the same samples."""
    # floored, as plain decoding over the observed combinations (weight 0) scores them
    scores = combination_scores(outputs, schema, observed, floor=True)
    return np.argmax(scores + weight * joint, axis=1)
