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
