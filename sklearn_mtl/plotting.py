"""Figures for structured labels and model comparisons (needs matplotlib).

Install the extra with ``pip install "sklearn-mtl[plot]"``. matplotlib is imported only
when a function here is called. Every function returns the matplotlib ``Figure``;
save it with ``fig.savefig("name.png")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .metrics._inputs import _encoder_of
from .metrics._structure import cooccurrence_matrices

__all__ = ["plot_cooccurrence", "plot_task_metrics", "plot_training_curves"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised without matplotlib only
        raise ImportError(
            "sklearn_mtl.plotting needs matplotlib, which is not installed. Install it with "
            "`pip install \"sklearn-mtl[plot]\"` (or `pip install matplotlib`)."
        ) from exc
    return plt


def plot_cooccurrence(
    Y_true, Y_pred=None, *, schema=None, normalize="all", difference=True, figsize=None,
    sample_weight=None,
):
    """Heatmaps of label co-occurrence: true beside predicted, and their difference.

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels, default=None
        Predicted labels in the same form; ``None`` draws the true labels only.
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    normalize : {None, "row", "all"}, default="all"
        As in :func:`sklearn_mtl.metrics.cooccurrence_matrix`.
    difference : bool, default=True
        With ``Y_pred``, add a third panel: predicted minus true.
    figsize : tuple of float, default=None
        Figure size in inches; ``None`` sizes it from the number of labels.
    sample_weight : array-like of shape (n_samples,), default=None
        As in :func:`sklearn_mtl.metrics.cooccurrence_matrix`.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_mtl.plotting import plot_cooccurrence
    >>> Y = pd.DataFrame({"a": ["x", "y", "y"], "b": ["u", "u", "v"]})
    >>> fig = plot_cooccurrence(Y, Y.assign(b="u"))
    >>> len(fig.axes)  # three heatmaps and their colour bars
    6
    """
    plt = _pyplot()
    if Y_pred is None:
        true, _ = cooccurrence_matrices(Y_true, Y_true, schema=schema, normalize=normalize,
                                        sample_weight=sample_weight)
        panels = [("True labels", true)]
    else:
        true, pred = cooccurrence_matrices(Y_true, Y_pred, schema=schema, normalize=normalize,
                                           sample_weight=sample_weight)
        panels = [("True labels", true), ("Predicted labels", pred)]
        if difference:
            panels.append(("Predicted − true", pred - true))
    n_labels = true.shape[0]
    if n_labels == 0:  # label sets that are all empty: a 0 x 0 matrix, nothing to draw
        raise ValueError(
            "There is no label to draw: no sample of Y_true (nor of Y_pred) has a label."
        )
    side = max(3.5, 0.42 * n_labels + 1.8)
    if figsize is None:
        figsize = (side * len(panels) + 1.0 * len(panels), side)
    fig, axes = plt.subplots(1, len(panels), figsize=figsize, squeeze=False,
                             layout="constrained")
    # One colour scale for true and predicted; a panel without a finite value (no label
    # on, with normalize="row") is all NaN, which nanmax would warn about.
    shown = np.concatenate([m.to_numpy(float).ravel() for _, m in panels[:2]])
    shown = shown[np.isfinite(shown)]
    vmax = max(float(shown.max()), 1e-12) if shown.size else 1.0
    what = {None: "count", "row": "P(column | row)", "all": "joint frequency"}[normalize]
    if normalize is None and sample_weight is not None:
        what = "weighted count"
    for ax, (title, matrix) in zip(axes[0], panels):
        values = matrix.to_numpy(dtype=float)
        if title.startswith("Predicted −"):
            bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
            bound = bound or 1.0
            image = ax.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound)
            label = f"difference in {what}"
        else:
            image = ax.imshow(values, cmap="viridis", vmin=0, vmax=vmax)
            label = what
        ax.set_xticks(range(n_labels), matrix.columns, rotation=90,
                      fontsize=_fontsize(n_labels))
        ax.set_yticks(range(n_labels), matrix.index, fontsize=_fontsize(n_labels))
        ax.set_title(title)
        if n_labels <= 12:
            _annotate(ax, values, normalize, image, diverging=title.startswith("Predicted −"))
        fig.colorbar(image, ax=ax, shrink=0.8, label=label)
    suffix = "" if normalize is None else f" (normalize={normalize!r})"
    fig.suptitle(f"Label co-occurrence{suffix}")
    return fig


def _fontsize(n):
    return 9 if n <= 15 else max(5, 9 - (n - 15) // 6)


def _annotate(ax, values, normalize, image, diverging):
    """Write each value in its cell, in a colour readable on the cell's colour.

    The cell's colour is the image's: its place on the colour scale (``image.norm``), which
    true and predicted panels share, not on the range of the panel's own values.
    """
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if not np.isfinite(v):
                continue
            position = float(np.clip(image.norm(v), 0.0, 1.0))
            if diverging:  # light near 0 (the middle), dark at both ends
                dark = abs(position - 0.5) > 0.3
            else:  # viridis: dark at the low end
                dark = position < 0.55
            # a count, or a sum of weights (sample_weight) that may have decimals
            text = f"{v:.0f}" if normalize is None and float(v).is_integer() else f"{v:.2f}"
            text = "0" if text.lstrip("-").strip("0.") == "" else text
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")


def plot_task_metrics(table, *, metric="accuracy", figsize=None):
    """Bars of one metric per task, one bar per model, with the std over folds.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`sklearn_mtl.compare`.
    metric : {"accuracy", "f1_macro", "r2", "rmse"}, default="accuracy"
        The per-task metric to draw. For a classification metric the overall
        ``exact_match`` (and, for accuracy, ``mean_task_accuracy``) are drawn as the last
        groups, on a 0-1 axis. ``"r2"`` and ``"rmse"`` draw the regression tasks alone,
        on an axis that fits their values (a negative R² below 0, an RMSE in the
        target's units).
    figsize : tuple of float, default=None
        Figure size in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One bar per model and task; each model has its own colour, however many.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_mtl import compare
    >>> from sklearn_mtl._compare import MostFrequentBaseline
    >>> from sklearn_mtl.datasets import make_multitask_classification
    >>> from sklearn_mtl.plotting import plot_task_metrics
    >>> X, Y = make_multitask_classification(n_samples=40, random_state=0)
    >>> table = compare({"prior": MostFrequentBaseline()}, X, Y, cv=2, progress=False)
    >>> fig = plot_task_metrics(table)
    """
    plt = _pyplot()
    header = getattr(table, "columns", None)
    if not isinstance(header, pd.MultiIndex) or header.nlevels != 2:
        raise ValueError(
            "table must be the output of compare, with (metric, 'mean' | 'std') columns; "
            f"got {type(table).__name__} with columns {list(getattr(table, 'columns', []))[:6]}"
            " (format_comparison's strings cannot be drawn)."
        )
    available = list(dict.fromkeys(header.get_level_values(0)))
    suffix = f" {metric}"
    columns = [c for c in available if c.endswith(suffix)]
    if not columns:
        raise ValueError(
            f"The table has no per-task {metric!r} column; its metrics are {available}."
        )
    groups = [(c[: -len(suffix)], c) for c in columns]
    classification = metric in ("accuracy", "f1_macro")
    if classification:  # the overall scores, on the same 0-1 scale
        overall = [("exact match", "exact_match")]
        if metric == "accuracy":
            overall.append(("mean task acc.", "mean_task_accuracy"))
        groups += [(name, col) for name, col in overall if col in available]
    absent = [f"({col!r}, {stat!r})" for _, col in groups for stat in ("mean", "std")
              if (col, stat) not in table.columns]
    if absent:
        raise ValueError(f"The table has no column {absent[0]}; expected compare's output.")
    models = list(table.index)
    width = 0.8 / len(models)
    x = np.arange(len(groups))
    if figsize is None:
        figsize = (max(6.0, 1.1 * len(groups) * max(1, len(models) / 2) + 2), 4.5)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    colors = _model_colors(plt, len(models))
    for i, model in enumerate(models):
        means = [table.loc[model, (col, "mean")] for _, col in groups]
        stds = [table.loc[model, (col, "std")] for _, col in groups]
        ax.bar(x + (i - (len(models) - 1) / 2) * width, means, width, yerr=stds,
               capsize=3, label=str(model), color=colors[i])
    ax.set_xticks(x, [name for name, _ in groups], rotation=20 if len(groups) > 5 else 0)
    ax.set_ylabel(f"{metric} (mean ± std over folds)")
    if classification:
        ax.set_ylim(0, 1.05)
    else:  # R² may be negative, an RMSE above 1: the axis fits the bars and error bars
        ax.axhline(0, color="black", linewidth=0.8)
        ax.autoscale(axis="y")
        if metric == "r2":
            ax.set_ylim(top=max(1.05, ax.get_ylim()[1]))
    if len(groups) > len(columns):
        ax.axvline(len(columns) - 0.5, color="grey", linewidth=0.8, linestyle=":")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(title="model", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title(f"Per-task {metric} by model")
    return fig


def _model_colors(plt, n):
    """``n`` distinct colours: tab10's, then tab20's, then evenly spaced along turbo (a
    colour cycled after ten models would give two models one bar colour and legend)."""
    if n <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(n)]
    if n <= 20:
        return [plt.get_cmap("tab20")(i) for i in range(n)]
    return [plt.get_cmap("turbo")(v) for v in np.linspace(0.05, 0.95, n)]


def _fitted_inner(source, depth=4):
    """``source``, then the fitted estimators inside it: a pipeline's last step, a
    search's ``best_estimator_``, a wrapper's ``estimator_`` (a threshold tuner)."""
    yield source
    if depth == 0:
        return
    inner = [s for _, s in getattr(source, "steps", [])[-1:]]
    inner += [getattr(source, name) for name in ("best_estimator_", "estimator_")
              if getattr(source, name, None) is not None]
    for obj in inner:
        yield from _fitted_inner(obj, depth - 1)


def _history_records(source):
    """List of per-epoch dicts from an estimator, a pipeline, a skorch History or a list."""
    if isinstance(source, pd.DataFrame):
        return source.to_dict("records")
    for obj in _fitted_inner(source):
        history = getattr(obj, "history_", None)
        if history is None and hasattr(obj, "net_"):
            history = getattr(obj.net_, "history", None)
        if history is not None:
            return [dict(row) for row in history]
    if isinstance(source, (list, tuple)) and all(isinstance(r, dict) for r in source):
        return [dict(r) for r in source]
    if hasattr(source, "fit") and hasattr(source, "get_params"):
        check_is_fitted(source)  # NotFittedError, as scikit-learn's displays raise it
    if _encoder_of(source) is not None:
        raise ValueError(
            f"{type(source).__name__} has no training history: only neural estimators "
            "(MultiTaskClassifier) record one."
        )
    raise TypeError(
        "plot_training_curves expects a fitted MultiTaskClassifier (or a pipeline, a "
        "search or a threshold tuner around one), a skorch History or a list of per-epoch "
        f"dicts; got {type(source).__name__}."
    )


def _is_number(value):
    """A number recorded in a history (skorch's ``*_best`` flags are bools: not one)."""
    return isinstance(value, (int, float, np.number)) and not isinstance(
        value, (bool, np.bool_))


def _task_loss_names(source, records, keys):
    """Task names of the ``train_loss_<task>`` / ``valid_loss_<task>`` history keys.

    skorch adds ``train_loss_best`` (a bool flag): only numeric keys count, and where
    the estimator knows its tasks, only those.
    """
    known = None
    for obj in (source, *(s for _, s in getattr(source, "steps", [])[-1:])):
        schema = getattr(obj, "schema_", None)
        if schema is not None:
            known = set(schema.names)
    names = []
    for key in keys:
        for prefix in ("train_loss_", "valid_loss_"):
            if not key.startswith(prefix):
                continue
            name = key[len(prefix):]
            values = [r[key] for r in records if r.get(key) is not None]  # (a gap: None)
            numeric = bool(values) and all(_is_number(v) for v in values)
            if name in names or not numeric or (known is not None and name not in known):
                continue
            if known is None and name == "best":
                continue
            names.append(name)
    return names


def plot_training_curves(estimator, *, figsize=None):
    """Loss per epoch: total (train and validation) and per task.

    Reads a skorch-style history: one dict per epoch with ``train_loss``, optionally
    ``valid_loss``, and per-task ``train_loss_<task>`` / ``valid_loss_<task>``. The
    default ensemble's validation curve, its members' mean held-out score
    (``member_valid_loss``, an error rate by default), is drawn on a second axis of the
    first panel, with the epoch whose weights the members got back.

    Parameters
    ----------
    estimator : MultiTaskClassifier, Pipeline, skorch History or list of dict
        A fitted neural estimator (``history_``), a pipeline ending in one, a fitted
        search (``GridSearchCV``: its ``best_estimator_``) or ``TaskThresholdTuner``
        around one, or the history itself.
    figsize : tuple of float, default=None
        Figure size in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two panels (total loss; per-task loss), or one when the history has no
        per-task key.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_mtl.plotting import plot_training_curves
    >>> history = [{"epoch": e, "train_loss": 1 / e, "train_loss_color": 0.5 / e}
    ...            for e in range(1, 6)]
    >>> fig = plot_training_curves(history)
    >>> [ax.get_title() for ax in fig.axes]
    ['Total loss', 'Loss per task']
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    records = _history_records(estimator)
    if not records:
        raise ValueError("The training history is empty: fit the estimator first.")
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(records)]
    keys = list(dict.fromkeys(k for r in records for k in r))
    tasks = _task_loss_names(estimator, records, keys)
    if "train_loss" not in keys and not tasks:
        raise ValueError(
            f"The history has no 'train_loss' nor 'train_loss_<task>' key; its keys are {keys}."
        )
    n_panels = 2 if tasks else 1
    if figsize is None:
        figsize = (5.5 * n_panels, 4.0)
    fig, axes = plt.subplots(1, n_panels, figsize=figsize, squeeze=False, layout="constrained")

    def series(key):
        """The epochs that recorded ``key``, and its values there. An epoch without it
        (a ``partial_fit`` batch without a task's labels records no ``train_loss_<task>``)
        is left out: as a NaN it cut the line on both sides, and a task recorded every
        other epoch drew nothing but its legend entry."""
        kept = [(x, r[key]) for x, r in zip(epochs, records) if r.get(key) is not None]
        return [x for x, _ in kept], [v for _, v in kept]

    ax = axes[0, 0]
    for key, style in (("train_loss", "-"), ("valid_loss", "--")):
        if key in keys:
            ax.plot(*series(key), style, marker="o", markersize=3,
                    label=key.replace("_", " "))
    ax.set_title("Total loss")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    held_out = [r["member_valid_loss"] for r in records
                if r.get("member_valid_loss") is not None]
    if held_out and all(_is_number(v) for v in held_out):
        # The default ensemble's validation curve: the members' mean held-out score, by
        # which it chose the epoch whose weights it restored. An error rate by default
        # (MemberHoldout(metric="error")), not a loss: on an axis of its own.
        twin = ax.twinx()
        twin.plot(*series("member_valid_loss"), ":",
                  marker="s", markersize=3, color="C2", label="held-out score (members)")
        twin.set_ylabel("members' held-out score")
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
        restored = records[-1].get("member_best_epochs")  # recorded in the last epoch
        restored = ({int(e) for e in restored}
                    if isinstance(restored, (list, tuple, np.ndarray)) else set())
        # one epoch restored for every member (0: a member that saw no held-out label
        # kept its last weights, no epoch restored)
        if len(restored) == 1 and 0 not in restored:
            handles.append(ax.axvline(restored.pop(), color="grey", linestyle="-.",
                                      linewidth=1))
            labels.append("restored epoch")
    ax.legend(handles, labels)
    if tasks:
        ax = axes[0, 1]
        # a colour per task, however many (tab10 cycled would give two tasks one colour)
        colors = _model_colors(plt, len(tasks))
        for i, task in enumerate(tasks):
            for prefix, style in (("train", "-"), ("valid", "--")):
                key = f"{prefix}_loss_{task}"
                if key in keys:
                    ax.plot(*series(key), style, color=colors[i],
                            label=f"{task} ({prefix})")
        ax.set_title("Loss per task")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, ncol=2 if len(tasks) > 4 else 1)
    return fig
