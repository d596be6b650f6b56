"""Shared helpers of the benchmark scripts: timing, thread settings, reporting."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

#: The default recipe's parts switched off, for the speed benchmarks that compare one
#: network with a hand-written loop or skorch: one MLP (no ensemble), raw features,
#: constant learning rate, no label smoothing, independent decoding. The recipe's own
#: cost is measured by bench_accuracy.py, against RealMLP-TD and gradient boosting.
SINGLE_NETWORK = dict(ensemble_size=1, preprocessing=None, lr_schedule="constant",
                      label_smoothing=0.0, decode="independent")


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    p.add_argument("--repeats", type=int, default=3, help="repeats; the median is reported")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall",
        help="wall-clock seconds, or this process's CPU seconds (steadier on a shared "
             "machine for single-threaded CPU work; not for CUDA)",
    )
    return p


#: The clock of :func:`timed`: ``time.perf_counter`` or, with ``--clock cpu``,
#: ``time.process_time`` (set by :func:`setup`).
_CLOCK = {"now": time.perf_counter}


def setup(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    if getattr(args, "clock", "wall") == "cpu":
        if args.device.startswith("cuda"):
            raise SystemExit("--clock cpu measures CPU work only; use --clock wall with cuda")
        _CLOCK["now"] = time.process_time
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), device {args.device}, "
        f"{getattr(args, 'clock', 'wall')} clock"
        + (f" ({torch.cuda.get_device_name()})" if args.device.startswith("cuda") else "")
    )


def median_time(fn, repeats, device="cpu"):
    """Median wall-clock seconds of ``fn()`` over ``repeats`` runs (after one warm-up)."""
    fn()
    return statistics.median(timed(fn, device) for _ in range(repeats))


def timed(fn, device="cpu"):
    """Wall-clock seconds of one ``fn()``, GPU work included."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    now = _CLOCK["now"]
    start = now()
    fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return now() - start


def interleaved_times(fns, repeats, device="cpu"):
    """Wall-clock seconds of each of ``fns`` ({name: callable}), ``repeats`` runs each.

    After one warm-up run each, the contenders take turns (a, b, a, b, ...), so that a
    shared machine's drift in speed reaches all of them alike; compare them with
    :func:`paired_ratio`.
    """
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(timed(fn, device))
    return times


def paired_ratio(reference, times):
    """Median over the turns of ``times[i] / reference[i]`` (see :func:`interleaved_times`)."""
    return statistics.median(t / r for t, r in zip(times, reference))


def report(rows, checks):
    """Print ``rows`` [(name, seconds, ratio)] and the ``checks`` [(label, ratio, target)].

    The last line is the worst ratio relative to its target; returns the exit status
    (1 when any ratio misses its target).
    """
    width = max(len(name) for name, *_ in rows)
    for name, seconds, ratio in rows:
        extra = "" if ratio is None else f"  ratio {ratio:.3f}"
        print(f"{name:<{width}}  {seconds:8.3f} s{extra}")
    status = 0
    for label, ratio, target in checks:
        ok = ratio <= target
        status |= not ok
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {ratio:.3f} (target <= {target})")
    worst = max(checks, key=lambda c: c[1] / c[2])
    print(f"ratio {worst[0]}: {worst[1]:.3f}")
    return status


def exit_with(status):
    sys.stdout.flush()
    sys.exit(status)


def seeded_rng(seed=0):
    return np.random.default_rng(seed)


def penguin_models():
    """The penguins ``(X, Y)`` and the models that ``bench_latency.py`` and
    ``bench_startup.py`` time: the default network, ``IndependentTaskClassifier`` of a
    ``StandardScaler`` and ``LogisticRegression`` pipeline, and that pipeline fitted per
    task (on the rows with every label), the scikit-learn reference."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_mtl import IndependentTaskClassifier, MultiTaskClassifier
    from sklearn_mtl.datasets import load_penguins

    X, Y = load_penguins()
    complete = Y.notna().all(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network = MultiTaskClassifier(random_state=0).fit(X, Y)
    linear = IndependentTaskClassifier(make_pipeline(StandardScaler(), LogisticRegression()))
    linear.fit(X, Y)
    per_task = {task: make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X[complete], Y.loc[complete, task]) for task in Y.columns}
    return X, Y, network, linear, per_task
