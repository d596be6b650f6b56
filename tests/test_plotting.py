import pytest

matplotlib = pytest.importorskip("matplotlib")  # the plot extra
matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sklearn_mtl import Task, compare  # noqa: E402
from sklearn_mtl._compare import MostFrequentBaseline  # noqa: E402
from sklearn_mtl.datasets import make_multitask_classification  # noqa: E402
from sklearn_mtl.plotting import (  # noqa: E402
    plot_cooccurrence,
    plot_task_metrics,
    plot_training_curves,
)

TASKS = [Task("car", classes=[0, 1]), Task("color", classes=[0, 1, 2], gate=("car", 1))]


def _save(fig, path):
    assert isinstance(fig, Figure)
    fig.savefig(path)
    assert path.stat().st_size > 1000
    matplotlib.pyplot.close(fig)


def test_plot_cooccurrence(tmp_path):
    X, Y = make_multitask_classification(
        60, n_classes={"car": 2, "color": 3}, gates={"color": ("car", 1)}, random_state=0
    )
    pred = Y.sample(frac=1.0, random_state=0).reset_index(drop=True)
    fig = plot_cooccurrence(Y, pred, schema=TASKS)
    titles = [ax.get_title() for ax in fig.axes[:3]]
    assert titles == ["True labels", "Predicted labels", "Predicted − true"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][:2] == ["car=0", "car=1"]
    assert fig.axes[3].get_ylabel() == "joint frequency"  # the first colour bar
    _save(fig, tmp_path / "cooc.png")
    fig = plot_cooccurrence(Y, normalize=None)
    assert len(fig.axes) == 2
    _save(fig, tmp_path / "cooc_true.png")


def test_plot_task_metrics(tmp_path):
    X, Y = make_multitask_classification(40, n_classes=[2, 3], random_state=0)
    table = compare({"a": MostFrequentBaseline(), "b": MostFrequentBaseline()}, X, Y, cv=2,
                    progress=False)
    fig = plot_task_metrics(table, metric="f1_macro")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["task0", "task1", "exact match"]
    _save(fig, tmp_path / "bars.png")
    with pytest.raises(ValueError, match="no per-task 'recall' column"):
        plot_task_metrics(table, metric="recall")


def test_plot_training_curves_from_history(tmp_path):
    history = [
        {"epoch": e, "train_loss": 2 / e, "valid_loss": 2.2 / e, "train_loss_best": True,
         "train_loss_car": 1 / e, "valid_loss_car": 1.1 / e, "train_loss_color": 1 / e}
        for e in range(1, 6)
    ]
    fig = plot_training_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["Total loss", "Loss per task"]
    labels = fig.axes[1].get_legend_handles_labels()[1]
    assert labels == ["car (train)", "car (valid)", "color (train)"]  # no "best" flag
    _save(fig, tmp_path / "curves.png")
    fig = plot_training_curves(pd.DataFrame(history)[["epoch", "train_loss"]])
    assert len(fig.axes) == 1
    with pytest.raises(TypeError, match="expects a fitted MultiTaskClassifier"):
        plot_training_curves(np.zeros(3))
    with pytest.raises(ValueError, match="has no training history"):
        plot_training_curves(MostFrequentBaseline().fit(np.zeros((2, 1)), [0, 1]))


def test_plot_training_curves_of_multitask_classifier(tmp_path):
    from sklearn_mtl import MultiTaskClassifier

    X, Y = make_multitask_classification(50, n_classes={"car": 2, "color": 3}, random_state=0)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0).fit(X, Y)
    fig = plot_training_curves(clf)
    labels = fig.axes[1].get_legend_handles_labels()[1]
    assert [lab.split()[0] for lab in labels] == ["car", "color"]
    assert len(fig.axes[0].lines[0].get_xdata()) == 3
    _save(fig, tmp_path / "mtl_curves.png")


def test_plot_training_curves_reads_the_network_inside_a_search_or_tuner():
    from sklearn.exceptions import NotFittedError
    from sklearn.model_selection import GridSearchCV

    from sklearn_mtl import MultiTaskClassifier, TaskThresholdTuner

    X, Y = make_multitask_classification(60, n_classes={"car": 2, "color": 3}, random_state=0)
    net = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0)
    search = GridSearchCV(net, {"max_epochs": [2, 4]}, cv=2).fit(X, Y)
    fig = plot_training_curves(search)
    n_epochs = search.best_params_["max_epochs"]
    assert len(fig.axes[0].lines[0].get_xdata()) == n_epochs
    matplotlib.pyplot.close(fig)
    tuner = TaskThresholdTuner(net, cv=2).fit(X, Y)
    fig = plot_training_curves(tuner)
    assert len(fig.axes[0].lines[0].get_xdata()) == 3
    matplotlib.pyplot.close(fig)
    with pytest.raises(NotFittedError):  # as scikit-learn's displays say it
        plot_training_curves(MultiTaskClassifier())
    with pytest.raises(NotFittedError):
        plot_training_curves(GridSearchCV(net, {"max_epochs": [2]}))


def test_training_curves_have_integer_epoch_ticks():
    history = [{"epoch": e, "train_loss": 1 / e, "train_loss_color": 0.5 / e}
               for e in range(1, 4)]
    fig = plot_training_curves(history)
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def _table(rows, metrics):
    """A compare-shaped table: rows of {metric: (mean, std)}."""
    columns = pd.MultiIndex.from_product([metrics, ["mean", "std"]])
    data = [[v for m in metrics for v in row[m]] for row in rows.values()]
    return pd.DataFrame(data, index=list(rows), columns=columns)


def test_plot_task_metrics_draws_regression_metrics_on_their_own_scale():
    # A negative R² was hidden under a 0-1 axis and an RMSE of 12 clipped at 1.05, beside
    # an exact match of another scale; a table of regression tasks alone raised KeyError.
    metrics = ["exact_match", "mean_task_accuracy", "a accuracy", "price r2", "price rmse"]
    table = _table({"m": {"exact_match": (0.5, 0.1), "mean_task_accuracy": (0.6, 0.1),
                          "a accuracy": (0.6, 0.1), "price r2": (-0.4, 0.2),
                          "price rmse": (12.0, 1.0)}}, metrics)
    for metric, height in (("r2", -0.4), ("rmse", 12.0)):
        fig = plot_task_metrics(table, metric=metric)
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["price"]
        assert [p.get_height() for p in ax.patches] == [height]
        low, high = ax.get_ylim()
        assert low <= min(height, 0) and high >= max(height, 1.0)
        matplotlib.pyplot.close(fig)
    fig = plot_task_metrics(table[["price r2", "price rmse"]], metric="r2")
    matplotlib.pyplot.close(fig)


def test_plot_task_metrics_gives_each_of_many_models_its_own_colour():
    models = {f"model{i}": {"exact_match": (0.5, 0.0), "a accuracy": (0.5, 0.0)}
              for i in range(25)}
    fig = plot_task_metrics(_table(models, ["exact_match", "a accuracy"]))
    handles = fig.axes[0].get_legend_handles_labels()[0]
    colours = {tuple(h.patches[0].get_facecolor()) for h in handles}
    assert len(colours) == 25
    matplotlib.pyplot.close(fig)


def test_plot_task_metrics_refuses_a_formatted_table_without_leaking_a_figure():
    from sklearn_mtl import format_comparison

    table = _table({"m": {"exact_match": (0.5, 0.1), "a accuracy": (0.6, 0.1)}},
                   ["exact_match", "a accuracy"])
    before = matplotlib.pyplot.get_fignums()
    with pytest.raises(ValueError, match="output of compare"):
        plot_task_metrics(format_comparison(table))
    assert matplotlib.pyplot.get_fignums() == before


def test_plot_cooccurrence_of_panels_without_a_finite_value_does_not_warn():
    import warnings

    Y_true = pd.DataFrame({"a": ["x", "y"]})
    Y_pred = pd.DataFrame({"a": [None, None]})  # no label on: P(. | row) all NaN
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_cooccurrence(Y_true, Y_pred, normalize="row")
    assert len(fig.axes) == 6
    matplotlib.pyplot.close(fig)


def test_plot_cooccurrence_writes_each_value_in_a_colour_readable_on_its_cell():
    # The text colour followed the panel's own range, not the shared colour scale: on a
    # predicted panel of small values (all dark cells, the true panel reaching 1) the
    # largest was written in black on dark purple.
    Y_true = pd.DataFrame({"a": ["x"] * 10})
    Y_pred = pd.DataFrame({"a": ["x"] + [None] * 9})
    fig = plot_cooccurrence(Y_true, Y_pred, difference=False, normalize=None)
    true_ax, pred_ax = fig.axes[0], fig.axes[1]
    texts = {t.get_text(): t.get_color() for t in pred_ax.texts}
    assert texts == {"1": "white"}  # 1 of a scale to 10: dark
    assert {t.get_text(): t.get_color() for t in true_ax.texts} == {"10": "black"}
    matplotlib.pyplot.close(fig)


def test_plot_training_curves_gives_each_of_many_tasks_its_own_colour():
    # tab10 cycled: the 11th task was drawn in the 1st task's colour
    history = [{"epoch": e, "train_loss": 1.0, **{f"train_loss_t{i}": 1.0 + i for i in range(12)}}
               for e in range(1, 3)]
    fig = plot_training_curves(history)
    lines = fig.axes[1].get_lines()
    assert len(lines) == 12
    assert len({tuple(matplotlib.colors.to_rgba(line.get_color())) for line in lines}) == 12
    matplotlib.pyplot.close(fig)


def test_plot_cooccurrence_of_labels_without_any_label_says_so():
    # label sets that are all empty: the metrics raised on them (before), a 0 x 0 matrix
    # now; the plot says there is nothing to draw, and leaves no figure open
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    with pytest.raises(ValueError, match="no label to draw"):
        plot_cooccurrence([set(), set()], [set(), set()])
    assert plt.get_fignums() == before


def test_plot_training_curves_draws_the_ensembles_held_out_score():
    # the default ensemble chooses its epoch on its members' held-out score
    # (member_valid_loss): the figure showed the training loss alone, no validation curve
    from sklearn_mtl import MultiTaskClassifier

    history = [{"epoch": e, "train_loss": 2.0 / e, "member_valid_loss": [0.5, 0.4, 0.45][e - 1],
                "member_valid_loss_best": e == 2} for e in (1, 2, 3)]
    history[-1]["member_best_epochs"] = [2, 2, 2]
    fig = plot_training_curves(history)
    ax, twin = fig.axes
    assert twin.get_lines()[0].get_ydata().tolist() == [0.5, 0.4, 0.45]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "train loss", "held-out score (members)", "restored epoch"]
    assert ax.get_lines()[-1].get_xdata()[0] == 2  # the restored epoch
    matplotlib.pyplot.close(fig)
    X, Y = make_multitask_classification(50, n_classes={"car": 2, "color": 3}, random_state=0)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0).fit(X, Y)
    fig = plot_training_curves(clf)
    held_out = [row["member_valid_loss"] for row in clf.history_]
    assert fig.axes[2].get_lines()[0].get_ydata().tolist() == held_out
    matplotlib.pyplot.close(fig)


def test_plot_cooccurrence_takes_sample_weight():
    Y = pd.DataFrame({"a": ["x", "y", "y"], "b": ["u", "u", "v"]})
    fig = plot_cooccurrence(Y, normalize=None, sample_weight=[1.5, 1, 1])
    ax = fig.axes[0]
    assert {t.get_text() for t in ax.texts} >= {"1.50", "2"}  # a sum of weights, not 1
    assert fig.axes[1].get_ylabel() == "weighted count"
    matplotlib.pyplot.close(fig)


def test_plot_training_curves_draws_a_loss_recorded_in_some_epochs_only():
    # a partial_fit batch without a task's labels records no train_loss_<task>: that
    # task's curve was NaN there, cut on both sides, and drew nothing but its legend entry
    from sklearn_mtl import MultiTaskClassifier

    X, Y = make_multitask_classification(40, n_classes={"car": 2, "color": 3}, random_state=0)
    tasks = [Task("car", classes=[0, 1]), Task("color", classes=[0, 1, 2])]
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), random_state=0)
    for i in range(4):
        batch = Y.iloc[i * 10:(i + 1) * 10].copy()
        if i % 2:
            batch["color"] = None
        clf.partial_fit(X[i * 10:(i + 1) * 10], batch)
    fig = plot_training_curves(clf)
    lines = {line.get_label(): line for line in fig.axes[1].get_lines()}
    color = lines["color (train)"]
    assert list(color.get_xdata()) == [1, 3]
    assert np.isfinite(np.asarray(color.get_ydata(), dtype=float)).all()
    matplotlib.pyplot.close(fig)
    # a held-out score left as None in an epoch is a gap, not a reason to drop the curve;
    # members that saw no held-out label (epoch 0: their last weights) restored no epoch
    history = [{"epoch": e, "train_loss": 1.0 / e, "member_valid_loss": v}
               for e, v in ((1, 0.5), (2, None), (3, 0.4))]
    history[-1]["member_best_epochs"] = [0, 0]
    fig = plot_training_curves(history)
    ax, twin = fig.axes
    assert list(twin.get_lines()[0].get_xdata()) == [1, 3]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "train loss", "held-out score (members)"]
    matplotlib.pyplot.close(fig)
