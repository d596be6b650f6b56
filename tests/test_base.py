"""What every estimator shares (``_base.py``): predictions keep X's index."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    TaskChainClassifier,
    TaskThresholdTuner,
)

MODELS = {
    "independent": lambda: IndependentTaskClassifier(LogisticRegression()),
    "chain": lambda: TaskChainClassifier(LogisticRegression()),
    "product": lambda: LabelProductClassifier(LogisticRegression()),
    "mtl": lambda: MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0),
    "tuner": lambda: TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=2),
}


def frames():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["f0", "f1", "f2"],
                     index=[f"id{i}" for i in range(100, 140)])
    Y = pd.DataFrame({"a": np.where(X["f0"] > 0, "yes", "no"),
                      "b": np.where(X["f1"] > 0, 1, 0)}, index=X.index)
    return X, Y


@pytest.mark.parametrize("name", sorted(MODELS))
def test_predict_keeps_the_index_of_X(name):
    X, Y = frames()
    model = MODELS[name]().fit(X, Y)
    X_test = X.iloc[::-3]  # a shuffled, non-range index
    pred = model.predict(X_test)
    pd.testing.assert_index_equal(pred.index, X_test.index)
    joined = Y.loc[X_test.index].join(pred.add_suffix("_pred"))
    assert (joined["a"] == Y.loc[X_test.index, "a"]).all()
    assert list(pred.columns) == ["a", "b"]
    # arrays in, no index to keep: a fresh one, as before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "X does not have valid feature names"
        assert list(model.predict(X_test.to_numpy()).index) == list(range(len(X_test)))
    # the input is left as it was
    pd.testing.assert_frame_equal(X, frames()[0])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_task_is_named_by_its_column_label_even_an_integer(name):
    # pd.DataFrame(array) names its columns 0, 1: predict gives them back so, and
    # predict_proba(task=0) reads the task as the column the user sees.
    X, Y = frames()
    Y = pd.DataFrame(Y.to_numpy(), index=Y.index)
    model = MODELS[name]().fit(X, Y)
    assert list(model.predict(X).columns) == [0, 1]
    np.testing.assert_array_equal(model.predict_proba(X, task=1),
                                  model.predict_proba(X, task="1"))
    with pytest.raises(ValueError, match=r"Unknown task 2; the tasks are \['0', '1'\]"):
        model.predict_proba(X, task=2)
    from sklearn_mtl.metrics import make_task_scorer, task_accuracy_score

    accuracy = task_accuracy_score(Y, model.predict(X))
    assert make_task_scorer("accuracy", task=1)(model, X, Y) == accuracy["1"]
    assert task_accuracy_score(Y, model.predict(X), task=0) == accuracy["0"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_y_in_another_row_order_than_x_warns(name):
    # Rows are matched by position, as scikit-learn matches them; a Y sorted apart from
    # its X would fit each sample with another's labels, silently.
    X, Y = frames()
    shuffled = Y.sample(frac=1, random_state=0)
    with pytest.warns(UserWarning, match=r"another order \(\d+ of 40 rows.*Y.loc\[X.index\]"):
        MODELS[name]().fit(X, shuffled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # aligned, or indexes that are not the same rows
        model = MODELS[name]().fit(X, Y)  # also the model scored below
        MODELS[name]().fit(X, Y.reset_index(drop=True))
        MODELS[name]().fit(X.iloc[::-1], Y.iloc[::-1])
        MODELS[name]().fit(X, Y["a"].to_numpy())
    # and so would score: each row judged by another's labels (before: silently)
    with pytest.warns(UserWarning, match=r"y's index holds X's row labels in another "
                                         r"order.*y = y.loc\[X.index\]"):
        model.score(X, shuffled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.score(X, Y)


@pytest.mark.parametrize("name", ["independent", "chain", "product", "mtl"])
def test_score_counts_a_class_unseen_in_training_as_an_error(name):
    # A rare class that falls only in the test fold: scikit-learn's classifiers score it
    # as an error (accuracy_score), and so does every estimator here, instead of raising.
    from sklearn.metrics import accuracy_score

    from sklearn_mtl.metrics import exact_match_scorer

    X, Y = frames()
    model = MODELS[name]().fit(X.iloc[:30], Y.iloc[:30])
    Y_test = Y.iloc[30:].copy()
    Y_test.iloc[:3, 0] = "maybe"  # a label of task "a" never seen in training
    Y_test.iloc[3, 1] = 2  # and one of task "b"
    P = model.predict(X.iloc[30:])
    right = (P == Y_test).all(axis=1).to_numpy()
    assert not right[:4].any()
    assert model.score(X.iloc[30:], Y_test) == pytest.approx(right.mean())
    assert model.score(X.iloc[30:], Y_test) == exact_match_scorer(model, X.iloc[30:], Y_test)
    single = MODELS[name]().fit(X.iloc[:30], Y["a"].iloc[:30])
    y_test = Y_test["a"]
    assert single.score(X.iloc[30:], y_test) == pytest.approx(
        accuracy_score(y_test, single.predict(X.iloc[30:]))
    )
    assert list(Y_test["a"].iloc[:3]) == ["maybe"] * 3  # the truth is not mutated


@pytest.mark.parametrize("name", ["independent", "chain", "product", "mtl"])
def test_score_counts_a_label_set_label_unseen_in_training_as_an_error(name):
    # Label sets (one multilabel task) holding a label that only the test fold has: no
    # prediction can name it, so its rows score as errors, as a class unseen in
    # training does, where score raised before and cross_validate set the fold to NaN.
    from sklearn.model_selection import KFold, cross_validate

    from sklearn_mtl.metrics import exact_match_scorer, make_task_scorer

    X, Y = frames()
    sets = [{"a"} if yes == "yes" else set() for yes in Y["a"]]
    sets = [s | {"b"} if b else s for s, b in zip(sets, Y["b"])]
    model = MODELS[name]().fit(X.iloc[:30], sets[:30])
    truth = [set(s) for s in sets[30:]]
    truth[0] = truth[0] | {"new"}
    truth[1] = {"new"}
    given = [set(s) for s in truth]
    P = model.predict(X.iloc[30:])
    right = np.array([set(p) == t for p, t in zip(P, truth)])
    assert not right[:2].any() and right[2:].any()
    assert model.score(X.iloc[30:], truth) == pytest.approx(right.mean())
    assert exact_match_scorer(model, X.iloc[30:], truth) == pytest.approx(right.mean())
    # a task scorer of predicted labels counts the unseen label as never predicted
    hits = np.array([[label in p for label in ("a", "b", "new")] for p in P])
    held = np.array([[label in t for label in ("a", "b", "new")] for t in truth])
    assert make_task_scorer("accuracy", task="y")(model, X.iloc[30:], truth) == (
        pytest.approx((hits == held).all(axis=1).mean()))
    # one of probabilities has no column to score it by, and says so
    with pytest.raises(ValueError, match=r"Task 'y' has the label\(s\) \['new'\] in y, "
                                         r"which the estimator did not see in training: "
                                         r"its predict_proba has no column"):
        make_task_scorer("neg_log_loss", task="y")(model, X.iloc[30:], truth)
    assert truth == given  # the truth is not mutated
    # a fold whose test rows hold the label gets a score, not NaN
    cv = cross_validate(clone(model), X, sets[:30] + truth, cv=KFold(4))
    assert np.isfinite(cv["test_score"]).all()


@pytest.mark.parametrize("name", ["independent", "chain", "product", "tuner"])
def test_score_masks_a_gated_off_label_as_the_scorers_do(name):
    # A label given where its gate is off (a colour on a row without a car) is masked by
    # the project's scorers; score is the exact_match_scorer's value, not an error, so
    # cross_validate's default scorer and exact_match_scorer agree.
    from sklearn_mtl import Task
    from sklearn_mtl.metrics import exact_match_scorer

    X, Y = frames()
    Y = pd.DataFrame({"car": Y["a"], "color": np.where(X["f1"] > 0, "red", "blue")},
                     index=Y.index)
    Y.loc[Y["car"] == "no", "color"] = None
    tasks = [Task("car", classes=["no", "yes"]),
             Task("color", classes=["blue", "red"], gate=("car", "yes"))]
    model = MODELS[name]().set_params(**{"tasks" if name != "tuner" else "estimator__tasks":
                                         tasks}).fit(X, Y)
    P = model.predict(X)
    Y_test = Y.copy()
    no_car = np.flatnonzero(Y["car"] == "no")[:3]
    Y_test.iloc[no_car, 1] = ["red", "blue", "green"]  # gated off: masked ("green" too)
    # By hand: the colour of a car-less row is not read, so a row is right when its car
    # is right and, where the truth has a car, its colour too.
    car_ok = (P["car"] == Y["car"]).to_numpy()
    color_ok = (P["color"] == Y["color"]).to_numpy() | Y["color"].isna().to_numpy()
    expected = (car_ok & color_ok).mean()
    assert model.score(X, Y_test) == expected
    assert model.score(X, Y_test) == exact_match_scorer(model, X, Y_test)
    w = np.arange(1, 41, dtype=float)
    assert model.score(X, Y_test, sample_weight=w) == pytest.approx(
        np.average(car_ok & color_ok, weights=w))
    assert model.score(X, Y_test, sample_weight=w) == exact_match_scorer(
        model, X, Y_test, sample_weight=w)
    assert list(Y_test["color"].iloc[no_car]) == ["red", "blue", "green"]  # not mutated
    assert model.encoder_.gated_labels == "raise"  # the fitted encoder is left as it was


def test_score_masks_an_empty_exclusive_group_as_the_scorers_do():
    # With from_groups, a row with no active label in a group is missing to the scorers
    # (missing_groups="mask"); score reads it the same way instead of raising.
    from sklearn_mtl import StructuredLabelEncoder
    from sklearn_mtl.metrics import exact_match_scorer

    X, _ = frames()
    a = (X["f0"] > 0).to_numpy().astype(int)
    b = (X["f1"] > 0).to_numpy().astype(int)
    Y = np.column_stack([1 - a, a, 1 - b, b])  # groups A = {0, 1}, B = {2, 3}
    encoder = StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3]})
    model = IndependentTaskClassifier(LogisticRegression(), encoder=encoder).fit(X, Y)
    P = model.predict(X)
    Y_test = Y.copy()
    Y_test[:5, 2:] = 0  # group B has no label on the first five rows: missing
    right = (P[:, :2] == Y[:, :2]).all(axis=1)
    right[5:] &= (P[5:, 2:] == Y[5:, 2:]).all(axis=1)
    assert model.score(X, Y_test) == right.mean()
    assert model.score(X, Y_test) == exact_match_scorer(model, X, Y_test)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_tasks_takes_the_schema_of_the_whole_y(name):
    # A rare class absent from a fold's training rows: inferred from those rows, its task
    # has one class and is refused; given the whole Y's schema (a fitted encoder's or
    # model's schema_), every fold learns the same classes.
    from sklearn.base import clone

    from sklearn_mtl import Schema, StructuredLabelEncoder

    X, Y = frames()
    Y = Y.assign(c=["rare"] + ["common"] * 39)
    schema = StructuredLabelEncoder().fit(Y).schema_
    assert isinstance(schema, Schema)
    train = slice(1, None)  # the one "rare" row is held out
    with pytest.raises(ValueError, match=r"Task 'c' has one class \['common'\].*schema_"):
        MODELS[name]().fit(X.iloc[train], Y.iloc[train])

    def fitted(tasks):
        model = MODELS[name]()
        key = "estimator__tasks" if name == "tuner" else "tasks"
        return clone(model.set_params(**{key: tasks})).fit(X.iloc[train], Y.iloc[train])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "a single class among its labels"
        model, listed = fitted(schema), fitted(list(schema))
    assert model.schema_ == schema
    assert list(model.classes_[2]) == ["common", "rare"]
    for mine, theirs in zip(model.predict_proba(X), listed.predict_proba(X), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert (model.predict(X)["c"] == "common").all()


def test_the_package_imports_each_part_where_it_is_first_asked_for():
    # The command line's help starts without scikit-learn (about 0.7 s) and the baselines
    # and metrics without torch (about a second): each public name is imported where it
    # is first used, sklearn_mtl.MultiTaskClassifier with torch.
    import subprocess
    import sys

    code = (
        "import sys, sklearn_mtl, sklearn_mtl.cli\n"
        "assert 'sklearn' not in sys.modules, 'scikit-learn imported by the package'\n"
        "from sklearn_mtl import IndependentTaskClassifier, Task\n"
        "assert sklearn_mtl.metrics.exact_match_score and sklearn_mtl.datasets.load_penguins\n"
        "assert 'sklearn' in sys.modules and 'torch' not in sys.modules\n"
        "from sklearn_mtl import MultiTaskClassifier\n"
        "assert 'torch' in sys.modules and MultiTaskClassifier.__name__ == "
        "'MultiTaskClassifier'\n"
        "assert set(sklearn_mtl.__all__) <= set(dir(sklearn_mtl))\n"
        "assert all(getattr(sklearn_mtl, name) is not None for name in sklearn_mtl.__all__)\n"
        "try:\n"
        "    sklearn_mtl.nothing\n"
        "except AttributeError as e:\n"
        "    assert 'no attribute' in str(e)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("name", sorted(MODELS))
def test_x_in_dicts_is_refused_with_the_frame_to_build(name):
    X, Y = frames()
    for given, what in ((X.to_dict("list"), "a dict of columns"),
                        (X.to_dict("records"), r"a list of dicts \(one per row\)")):
        with pytest.raises(ValueError, match=rf"X is {what}; give it as a DataFrame"):
            MODELS[name]().fit(given, Y)
    model = MODELS[name]().fit(X, Y)
    with pytest.raises(ValueError, match="X is a list of dicts"):
        model.predict(X.to_dict("records"))


def test_regression_targets_beyond_what_float32_predicts_are_refused_at_fit():
    # The network predicts in float32: targets of 1e39 predicted NaN or infinity, and at
    # 1e300 training failed blaming a diverging loss. Such targets are refused at fit,
    # naming the task, its row and the largest magnitude allowed; smaller ones are read
    # as they are.
    from sklearn_mtl import StructuredLabelEncoder, Task

    X, Y = frames()
    tasks = [Task("a"), Task("price", kind="regression")]
    for big, factor in ((1e39, 1e4), (-1e300, 1e265)):  # brings the largest within 1e35
        Yr = Y[["a"]].assign(price=X["f1"].to_numpy() * 1e30)
        Yr.iloc[7, 1] = big
        model = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, random_state=0,
                                    tasks=tasks)
        with pytest.raises(ValueError, match=rf"Regression task 'price' has the value "
                                             rf"{re.escape(f'{big:g}')} in row 7.*at most "
                                             r"1e\+35.*float32.*divide its values by "
                                             rf"{re.escape(f'{factor:g}')} "):
            model.fit(X, Yr)
        assert Yr.iloc[7, 1] == big  # the labels are left as they were
        # the encoder alone (and the metrics, which read float64) still reads them
        assert StructuredLabelEncoder(tasks).fit_transform(Yr).regression["price"][7] == big
    Yr = Y[["a"]].assign(price=X["f1"].to_numpy() * 1e34)
    model = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, random_state=0,
                                tasks=tasks, warm_start=True).fit(X, Yr)
    assert np.isfinite(model.predict(X)["price"].to_numpy(float)).all()
    np.testing.assert_array_equal(model.encoder_.transform(Yr).regression["price"],
                                  Yr["price"].to_numpy())  # bit for bit
    # a warm start refuses them as the first fit does
    with pytest.raises(ValueError, match=r"Regression task 'price' has the value 2e\+36"):
        model.fit(X, Yr.assign(price=2e36))
    # the baselines refuse regression tasks by kind, not by the network's range
    with pytest.raises(ValueError, match="regression") as info:
        IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(
            X, Yr.assign(price=1e36))
    assert "float32" not in str(info.value)


def test_a_fit_on_the_cpu_seeds_no_gpus_generator(accelerator_seedings):
    # A fit seeded torch with torch.manual_seed, which also seeds every GPU's generator
    # (and Apple's MPS one), and restored only the CPU's: on a machine with a GPU, a fit
    # on the CPU reset the user's CUDA random state to the fit's seed (before CUDA starts,
    # torch queues the seed for when it starts). The docs promise the global state kept.
    import torch

    X, Y = frames()
    state = torch.get_rng_state()
    model = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=2, dropout=0.2,
                                random_state=0).fit(X, Y)
    assert accelerator_seedings == []
    assert torch.equal(state, torch.get_rng_state())
    again = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=2, dropout=0.2,
                                random_state=0).fit(X, Y)
    for a, b in zip(model.predict_proba(X), again.predict_proba(X), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("function", ["compare", "cross_val_predict",
                                      "make_multitask_classification", "make_car_images",
                                      "make_handball_clips", "make_leaf_images"])
@pytest.mark.parametrize("random_state", ["0", -1, 1.5, 2**32, np.random.default_rng(0)])
def test_a_bad_random_state_is_named_as_scikit_learn_names_it(function, random_state):
    # numpy's own error ("'0' cannot be used to seed a numpy.random.RandomState
    # instance") named neither the parameter nor the function; scikit-learn's
    # make_classification and estimators raise InvalidParameterError naming both.
    from sklearn_mtl import compare, datasets
    from sklearn_mtl.model_selection import cross_val_predict

    X, Y = frames()
    calls = {
        "compare": lambda rs: compare(MODELS["independent"](), X, Y, cv=2, random_state=rs,
                                      progress=False),
        "cross_val_predict": lambda rs: cross_val_predict(MODELS["independent"](), X, Y,
                                                          cv=2, random_state=rs),
    }
    call = calls.get(function, lambda rs: getattr(datasets, function)(2, random_state=rs))
    with pytest.raises(ValueError, match=rf"The 'random_state' parameter of {function} must "
                                         r"be an int in the range \[0, 4294967295\]"):
        call(random_state)
    call(np.random.RandomState(0))  # the accepted forms still work
    call(None)


def test_a_first_partial_fit_batch_does_not_warn_of_a_multilabel_tasks_constant_labels():
    # one batch may well lack a declared label of a multilabel task, as it may lack a
    # class of a binary one (which does not warn); the network's first batch warned
    # "labels ['r'] are absent and labels ['p'] are present in every training sample"
    X = np.random.RandomState(0).normal(size=(40, 3))
    sets = [{"p"} if i % 2 else {"p", "q"} for i in range(40)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=2, ensemble_size=1,
                                    random_state=0).partial_fit(X, sets, classes=["p", "q", "r"])
    assert list(model.classes_) == ["p", "q", "r"]
    with pytest.warns(UserWarning, match=r"labels \['r'\] are absent and labels \['p'\] are "
                                         "present in every training sample"):
        clone(model).set_params(tasks=model.schema_.tasks).fit(X, sets)


@pytest.mark.parametrize("wrapper", ["bagging", "voting", "one_vs_rest"])
def test_integer_codes_of_a_meta_estimator_on_declared_classes_are_explained(wrapper):
    # scikit-learn's meta-estimators fit their clones on y encoded as 0, 1, ...: a task of
    # declared classes refused them with "got label 1", which named no cause nor way out
    from sklearn.ensemble import BaggingClassifier, VotingClassifier
    from sklearn.multiclass import OneVsRestClassifier

    from sklearn_mtl import Task

    X = np.random.RandomState(0).normal(size=(30, 2))
    y = np.array(["a", "b", "c"])[np.arange(30) % 3]
    model = IndependentTaskClassifier(LogisticRegression(),
                                      tasks=[Task("y", classes=["a", "b", "c"])])
    assert list(model.fit(X, y).classes_) == ["a", "b", "c"]  # on its own it fits
    meta = {"bagging": lambda: BaggingClassifier(model, n_estimators=2, random_state=0),
            "voting": lambda: VotingClassifier([("m", model)]),
            "one_vs_rest": lambda: OneVsRestClassifier(model)}[wrapper]()
    with pytest.raises(ValueError, match=r"not among its classes \['a', 'b', 'c'\]\. y holds "
                                         r"integers where task 'y' declares its classes: .*"
                                         r"leave the classes undeclared \(tasks=None\)"):
        meta.fit(X, y)
    assert meta.set_params(**{k: IndependentTaskClassifier(LogisticRegression()) for k in (
        ["estimator"] if wrapper != "voting" else ["m"])}).fit(X, y).score(X, y) > 0.3
    # integers that are a task's classes: a wrong one is the user's, with no such hint
    integers = IndependentTaskClassifier(LogisticRegression(), tasks=[Task("y", classes=[1, 2])])
    with pytest.raises(ValueError, match=r"got label 3 in row 3, which is not among its "
                                         r"classes \[1, 2\]\.$"):
        integers.fit(np.zeros((4, 1)), np.array([1, 2, 1, 3]))


def test_sample_weight_ordered_apart_from_X_warns(weights_apart_from_X):
    # a Series of weights whose index holds X's rows in another order (X shuffled, the
    # weights not) weighed each row by another's weight without a word, where Y ordered
    # so warns; the fits, a warm start, the validation weights, score and the tuner warn
    X, Y, w = weights_apart_from_X
    message = (r"sample_weight's index holds X's row labels in another order \(30 of 30 "
               r"rows differ\).*sample_weight = sample_weight\.loc\[X\.index\]")
    model = IndependentTaskClassifier(LogisticRegression())
    net = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, ensemble_size=1,
                              warm_start=True)
    with pytest.warns(UserWarning, match=message):
        model.fit(X, Y, sample_weight=w)
    with pytest.warns(UserWarning, match=message):
        model.score(X, Y, sample_weight=w)
    with pytest.warns(UserWarning, match=message):
        TaskThresholdTuner(model, cv=2).fit(X, Y, sample_weight=w)
    with pytest.warns(UserWarning, match=message):
        net.fit(X, Y, sample_weight=w)
    with pytest.warns(UserWarning, match=message):
        net.fit(X, Y, sample_weight=w)  # the warm start
    with pytest.warns(UserWarning, match=r"sample_weight_val's index holds X_val's row "
                                         r"labels in another order"):
        net.set_params(early_stopping=True, warm_start=False).fit(
            X, Y, X_val=X, y_val=Y, sample_weight_val=w)
    # aligned weights (or an array) are read as they are, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aligned = clone(model).fit(X, Y, sample_weight=w.loc[X.index])
    np.testing.assert_array_equal(
        aligned.predict_proba(X)[0],
        clone(model).fit(X, Y, sample_weight=w.loc[X.index].to_numpy()).predict_proba(X)[0])


def test_rows_as_lists_with_nan_reach_a_base_estimator_that_reads_nan():
    # a list of rows holding NaN was refused ("IndependentTaskClassifier does not accept
    # missing values encoded as NaN natively") where the same rows as an array went to
    # HistGradientBoostingClassifier, which reads them, and the tags said allow_nan
    import scipy.sparse as sp
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    X[[2, 7], [1, 0]] = np.nan
    Y = pd.DataFrame({"a": rng.randint(0, 2, 40), "b": rng.randint(0, 3, 40)})
    for model in (IndependentTaskClassifier(HistGradientBoostingClassifier(max_iter=2)),
                  TaskChainClassifier(DecisionTreeClassifier(random_state=0)),
                  LabelProductClassifier(DecisionTreeClassifier(random_state=0))):
        from_list = clone(model).fit(X.tolist(), Y).predict(X.tolist())
        pd.testing.assert_frame_equal(from_list, clone(model).fit(X, Y).predict(X))
    # a base estimator that does not read NaN: refused as before, naming the entry
    with pytest.raises(ValueError, match=r"row 2, column 1 is missing \(NaN\)"):
        IndependentTaskClassifier(LogisticRegression()).fit(X.tolist(), Y)
    # NaN in a sparse matrix stays refused, naming its entry, even for a base estimator
    # whose tags say it reads NaN (a tree: in dense arrays only; a Pipeline's tags never
    # say so, whatever its imputer)
    with pytest.raises(ValueError, match=r"^Input X contains NaN\.\nIndependentTask"
                                         r"Classifier does not accept[\s\S]*row 2, column 1"):
        IndependentTaskClassifier(DecisionTreeClassifier()).fit(sp.csr_matrix(X), Y)


def test_a_dataframe_with_no_column_is_refused_as_an_array_of_no_feature():
    # a DataFrame of no column (X.select_dtypes("number") of a table of text) failed
    # in numpy's words, "at least one array or dtype is required", naming nothing
    X = pd.DataFrame(index=range(6))
    y = np.array([0, 1] * 3)
    message = (r"Found array with 0 feature\(s\) \(shape=\(6, 0\)\) while a minimum of 1 "
               r"is required by {}: X is a DataFrame with no column")
    for model in (IndependentTaskClassifier(LogisticRegression()),
                  TaskChainClassifier(LogisticRegression()),
                  LabelProductClassifier(LogisticRegression()),
                  MultiTaskClassifier(max_epochs=1, hidden_layer_sizes=(4,)),
                  MultiTaskClassifier(max_epochs=1, hidden_layer_sizes=(4,),
                                      preprocessing=None)):
        with pytest.raises(ValueError, match=message.format(type(model).__name__)):
            model.fit(X, y)


def test_score_names_x_and_y_where_their_lengths_differ():
    # score(X_test, y_train) said "Y_true has 20 samples but Y_pred has 30", naming
    # neither argument the user passed
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    Y = pd.DataFrame({"a": rng.randint(0, 2, 30), "b": rng.choice(["x", "y", "z"], 30)})
    message = (r"^X has 30 samples, but y has 20; expected one row of labels per sample "
               r"\(found input variables with inconsistent numbers of samples: \[30, 20\]\)")
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    for fitted in (model, TaskThresholdTuner(model, cv="prefit").fit(X, Y),
                   MultiTaskClassifier(max_epochs=1, hidden_layer_sizes=(4,)).fit(X, Y)):
        with pytest.raises(ValueError, match=message):
            fitted.score(X, Y[:20])
    single = IndependentTaskClassifier(LogisticRegression()).fit(X, Y["a"])
    with pytest.raises(ValueError, match=message):
        single.score(X, Y["a"].to_numpy()[:20])


def test_infinity_among_allowed_nan_is_the_entry_named():
    # where NaN is let through (a baseline whose base estimator reads it, the network's
    # preprocessing), the error on an infinity named the NaN before it: "row 2, column 1
    # is missing (NaN)", an entry that was not refused
    from sklearn.ensemble import HistGradientBoostingClassifier

    X = np.random.RandomState(0).randn(20, 3)
    X[2, 1], X[5, 2] = np.nan, np.inf
    y = np.array([0, 1] * 10)
    message = (r"^Input X contains infinity .*\nThe first bad entry: row 5, column 2 holds "
               r"inf, not a finite number")
    with pytest.raises(ValueError, match=message):
        MultiTaskClassifier(max_epochs=1, hidden_layer_sizes=(4,)).fit(X.tolist(), y)
    # a base estimator that reads infinity too gets the rows as the array it reads
    # (HistGradientBoostingClassifier fitted on the list itself takes it)
    boosting = HistGradientBoostingClassifier(max_iter=5, min_samples_leaf=2)
    proba = IndependentTaskClassifier(boosting).fit(X.tolist(), y).predict_proba(X.tolist())
    expected = clone(boosting).fit(X.tolist(), y).predict_proba(X)
    assert len(np.unique(expected[:, 1])) > 1
    np.testing.assert_array_equal(proba, expected)
    # without NaN let through, the NaN is the first bad entry, as before
    with pytest.raises(ValueError, match=r"row 2, column 1 is missing \(NaN\)"):
        IndependentTaskClassifier(LogisticRegression()).fit(X.tolist(), y)
