"""Tests of the baselines: independent tasks, task chains, the label product."""

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.datasets import make_multilabel_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier, cross_val_score
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sklearn_mtl import (
    IndependentTaskClassifier,
    JointDecoder,
    LabelProductClassifier,
    Task,
    TaskChainClassifier,
)
from sklearn_mtl._schema import NOT_APPLICABLE
from sklearn_mtl.metrics import exact_match_score, exact_match_scorer

ESTIMATORS = [IndependentTaskClassifier, TaskChainClassifier, LabelProductClassifier]
COLORS = ["red", "black", "white", "blue"]
BODIES = ["berline", "4x4", "suv", "coupe"]


def lr():
    return LogisticRegression(max_iter=300)


@pytest.fixture(scope="module")
def multilabel_data():
    # Standardised counts: lbfgs converges in a few iterations (on the raw counts it ran
    # to max_iter in every fit, several seconds per label product).
    X, Y = make_multilabel_classification(n_samples=120, n_features=8, n_classes=4,
                                          random_state=0)
    return StandardScaler().fit_transform(X), Y


def car_data(n_repeat=3, seed=0):
    """Every one of the 33 combinations, ``n_repeat`` times, with informative features."""
    rows = [("no", None, None, None)]
    rows += [("yes", c, b, d) for c in COLORS for b in BODIES for d in ("no", "yes")]
    rows = rows * n_repeat
    Y = pd.DataFrame(rows, columns=["car", "color", "body", "driver"])
    rng = np.random.RandomState(seed)
    codes = np.column_stack(
        [
            (Y["car"] == "yes").to_numpy(),
            Y["color"].map({c: i for i, c in enumerate(COLORS)}).fillna(-1).to_numpy(),
            Y["body"].map({b: i for i, b in enumerate(BODIES)}).fillna(-1).to_numpy(),
            (Y["driver"] == "yes").to_numpy(),
        ]
    ).astype(float)
    X = codes + 0.1 * rng.normal(size=codes.shape)
    return X, Y


def car_tasks():
    return [
        Task("car", kind="binary"),
        Task("color", classes=COLORS, gate=("car", "yes")),
        Task("body", classes=BODIES, gate=("car", "yes")),
        Task("driver", kind="binary", gate=("car", "yes")),
    ]


# ------------------------------------------------------------------ references
def test_independent_matches_multioutput_classifier(multilabel_data):
    X, Y = multilabel_data
    ours = IndependentTaskClassifier(lr()).fit(X, Y)
    ref = MultiOutputClassifier(lr()).fit(X, Y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    for p, q in zip(ours.predict_proba(X), ref.predict_proba(X), strict=True):
        np.testing.assert_allclose(p, q)


@pytest.mark.parametrize("Est", [IndependentTaskClassifier, TaskChainClassifier])
def test_base_models_are_fitted_on_the_tasks_labels(Est):
    """The base estimator sees the user's labels, as inside MultiOutputClassifier: a
    class_weight keyed by label weighs that label (it weighed the label whose code
    equalled the key, or refused string keys), a constant is a label, classes_ are labels.
    """
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    y = np.array([1, 2, 3])[np.digitize(X[:, 0] + rng.normal(size=300), [-0.5, 0.5])]
    Y = pd.DataFrame({"n": y, "s": np.array(["a", "b", "c"])[y - 1]})
    weighted = LogisticRegression(class_weight={1: 20.0})
    ref = MultiOutputClassifier(weighted).fit(X, y[:, None])
    ours = Est(weighted).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X)[:, 0])
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X)[0])
    assert (ours.predict(X) == 1).sum() > 200  # the weight is on label 1, as asked
    by_letter = Est(LogisticRegression(class_weight={"b": 20.0}))
    assert (by_letter.fit(X, Y[["s"]]).predict(X)["s"] == "b").sum() > 200
    with pytest.raises(ValueError, match="Task 'n'.*not in class_weight"):  # no label 'b'
        by_letter.fit(X, Y)
    fitted = Est(DummyClassifier(strategy="constant", constant="b")).fit(X, Y[["s"]])
    assert (fitted.predict(X)["s"] == "b").all()
    models = fitted.estimators_ if Est is IndependentTaskClassifier else fitted.estimators_[0]
    assert models[0].classes_.tolist() == ["a", "b", "c"]
    # a 0/1 indicator Y: each label's model reads 0/1, as MultiOutputClassifier's
    Z = (Y[["s"]].to_numpy() == np.array(["a", "b"])).astype(int)
    fitted = Est(lr()).fit(X, Z)
    models = fitted.estimators_ if Est is IndependentTaskClassifier else fitted.estimators_[0]
    assert [m.classes_.tolist() for m in models] == [[0, 1], [0, 1]]


@pytest.mark.parametrize("chain_method", ["predict", "predict_proba"])
def test_predict_is_the_base_models_own_predict(multilabel_data, chain_method):
    """Task by task, predict is each model's predict, as MultiOutputClassifier's and
    ClassifierChain's are: a FixedThresholdClassifier's threshold holds (predict was
    the probabilities' argmax, the threshold silently 0.5)."""
    X, Y = multilabel_data
    base = FixedThresholdClassifier(lr(), threshold=0.2)
    ours = IndependentTaskClassifier(base).fit(X, Y)
    np.testing.assert_array_equal(ours.predict(X), MultiOutputClassifier(base).fit(X, Y)
                                  .predict(X))
    at_half = np.column_stack([p[:, 1] for p in ours.predict_proba(X)]) > 0.5
    assert ours.predict(X).sum() > at_half.sum()  # the lower threshold says yes more
    ref = ClassifierChain(base, order=[2, 0, 3, 1], chain_method=chain_method).fit(X, Y)
    chain = TaskChainClassifier(base, order=[2, 0, 3, 1], chain_method=chain_method)
    np.testing.assert_array_equal(chain.fit(X, Y).predict(X), ref.predict(X))
    single = IndependentTaskClassifier(base).fit(X, Y[:, 0])
    np.testing.assert_array_equal(single.predict(X), clone(base).fit(X, Y[:, 0]).predict(X))


def test_labels_scikit_learn_reads_as_no_classes_are_fitted_as_codes():
    """Fractional numbers declared as classes (a grade of 0.5, 1.5): LogisticRegression
    would call them continuous, so the models read their codes, and the labels come
    back."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, 1.5, 0.5)
    clf = IndependentTaskClassifier(lr(), tasks=[Task("y", classes=[0.5, 1.5])]).fit(X, y)
    assert clf.estimators_[0].classes_.tolist() == [0, 1]
    assert set(clf.predict(X).tolist()) == {0.5, 1.5}
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("chain_method", ["predict", "predict_proba"])
@pytest.mark.parametrize("cv", [None, 3])
def test_chain_matches_classifier_chain(multilabel_data, chain_method, cv):
    X, Y = multilabel_data
    order = [2, 0, 3, 1]
    ours = TaskChainClassifier(lr(), order=order, chain_method=chain_method, cv=cv).fit(X, Y)
    ref = ClassifierChain(lr(), order=order, chain_method=chain_method, cv=cv).fit(X, Y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.orders_ == [["task2", "task0", "task3", "task1"]]
    names = TaskChainClassifier(
        lr(), order=["task2", "task0", "task3", "task1"], chain_method=chain_method, cv=cv
    )
    np.testing.assert_array_equal(names.fit(X, Y).predict(X), ref.predict(X))


def test_chain_multiclass_links_work_where_classifier_chain_raises():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 3))
    Y = np.column_stack(
        [np.digitize(X[:, 0], [-0.5, 0.5]), np.digitize(X[:, 0] + X[:, 1], [-1, 0, 1])]
    )
    with pytest.raises(ValueError):
        ClassifierChain(lr(), chain_method="predict_proba").fit(X, Y).predict(X)
    for method in ("predict", "predict_proba"):
        chain = TaskChainClassifier(lr(), chain_method=method).fit(X, Y)
        proba = chain.predict_proba(X)
        assert [p.shape for p in proba] == [(90, 3), (90, 4)]
        assert chain.score(X, Y) > 0.6
        # the second link sees the first task's 3 columns
        assert chain.estimators_[0][1].n_features_in_ == 3 + 3


# ------------------------------------------------------------------- label product
def test_label_product_car_example_has_33_classes():
    X, Y = car_data()
    clf = LabelProductClassifier(lr(), tasks=car_tasks()).fit(X, Y)
    assert clf.n_combinations_ == 1 + 4 * 4 * 2 == 33
    assert len(clf.estimator_.classes_) == 33
    combos = clf.encoder_.inverse_transform(clf.combinations_)
    assert combos["car"].tolist().count("no") == 1
    assert combos.loc[combos["car"] == "no", ["color", "body", "driver"]].isna().all().all()
    proba = clf.predict_proba(X)
    assert [p.shape for p in proba] == [(99, 2), (99, 4), (99, 4), (99, 2)]
    for p in proba:
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
    clf.set_params(decode="joint")
    pred = clf.predict(X)
    assert pred.loc[pred["car"] == "no", "color"].isna().all()
    assert clf.score(X, Y) > 0.9


def test_label_product_marginals_by_hand():
    class Fixed:
        """A fitted stand-in returning fixed combination probabilities."""

        classes_ = np.arange(3)

        def predict_proba(self, X):
            return np.tile([0.5, 0.2, 0.3], (len(X), 1))

        def predict(self, X):  # (decode="joint" takes the model's own predict)
            return self.classes_[self.predict_proba(X).argmax(axis=1)]

    X = np.array([[0.0], [1.0], [2.0]])
    Y = pd.DataFrame({"car": ["no", "yes", "yes"], "color": [None, "blue", "red"]})
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    clf = LabelProductClassifier(lr(), tasks=tasks).fit(X, Y)
    # combinations sorted by codes: (no, NA), (yes, blue), (yes, red)
    assert clf.combinations_.codes.tolist() == [[0, NOT_APPLICABLE], [1, 0], [1, 1]]
    clf.estimator_ = Fixed()
    car, color = clf.predict_proba(X[:1])
    np.testing.assert_allclose(car, [[0.5, 0.5]])
    np.testing.assert_allclose(color, [[0.4, 0.6]])  # conditional on car = yes
    # independent: car is a tie (0.5 is not above 0.5) -> no; joint: (no) 0.5 wins too
    assert clf.predict(X[:1])["car"].tolist() == ["no"]
    assert clf.set_params(decode="joint").predict(X[:1])["car"].tolist() == ["no"]


def test_label_product_missing_labels_warn_with_count():
    X, Y = car_data()
    Y.loc[[3, 5], "color"] = None  # car = yes, color missing
    with pytest.warns(UserWarning, match="left out 2 of 99 samples"):
        clf = LabelProductClassifier(lr(), tasks=car_tasks()).fit(X, Y)
    assert clf.n_combinations_ == 33
    tasks = car_tasks()
    tasks[0] = Task("car", kind="binary", classes=["no", "yes"])
    tasks[3] = Task("driver", kind="binary", classes=["no", "yes"], gate=("car", "yes"))
    with pytest.raises(ValueError, match="Every one of the 99 samples has a missing label"):
        # every sample misses a label: 'car' where there is no car, 'driver' elsewhere
        Y_holes = Y.assign(car=Y["car"].where(Y["car"] == "yes"), driver=None)
        Y_holes.loc[1, ["color", "driver"]] = [None, "no"]
        LabelProductClassifier(lr(), tasks=tasks).fit(X, Y_holes)


def test_label_product_multilabel_task():
    X = np.arange(8, dtype=float).reshape(-1, 1)
    Y = pd.DataFrame({"tags": [{"a"}, {"a"}, {"a", "b"}, {"a", "b"}, set(), set(), {"b"}, {"b"}]})
    clf = LabelProductClassifier(DecisionTreeClassifier(random_state=0)).fit(X, Y)
    assert clf.n_combinations_ == 4
    assert clf.predict_proba(X, task="tags").shape == (8, 2)
    assert clf.predict(X)["tags"].tolist() == Y["tags"].tolist()


# -------------------------------------------------------------- gates and missing
@pytest.mark.parametrize("Est", [IndependentTaskClassifier, TaskChainClassifier])
def test_gated_tasks_train_on_applicable_rows_only(Est):
    X, Y = car_data()
    Y.loc[[1, 2], "body"] = None  # missing: left out of 'body' only
    clf = Est(lr(), tasks=car_tasks()).fit(X, Y)
    # 'color' was fitted on the 96 car == "yes" rows, 'body' on 94
    sizes = _training_sizes(Est, X, Y)
    assert sizes == {"car": 99, "color": 96, "body": 94, "driver": 96}
    pred = clf.predict(X)
    assert pred.loc[pred["car"] == "no", ["color", "body", "driver"]].isna().all().all()
    assert clf.score(X, Y) > 0.9


def _training_sizes(Est, X, Y):
    sizes = {}

    class Recorder(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            sizes.setdefault(len(sizes), len(y))
            return super().fit(X, y, sample_weight=sample_weight)

    clf = Est(Recorder(max_iter=300), tasks=car_tasks()).fit(X, Y)
    order = clf.orders_[0] if hasattr(clf, "orders_") else [t.name for t in clf.tasks_]
    return {name: sizes[i] for i, name in enumerate(order)}


def test_chain_gated_link_passes_zeros_where_gate_is_predicted_off():
    X, Y = car_data()
    chain = TaskChainClassifier(lr(), tasks=car_tasks(), chain_method="predict").fit(X, Y)
    assert chain.orders_ == [["car", "color", "body", "driver"]]
    X_aug = np.hstack([X, np.zeros((len(X), 1 + 4 + 4))])
    # reproduce the 'body' link input: car prediction, then color one-hot zeroed off-gate
    # (the links are fitted on the task's labels, as MultiOutputClassifier's models are)
    car = chain.estimators_[0][0].predict(X) == "yes"
    X_aug[:, 4] = car
    color = chain.estimators_[0][1].predict(X_aug[:, :5])
    X_aug[np.arange(len(X)), 5 + np.array([COLORS.index(c) for c in color])] = 1.0
    X_aug[~car, 5:9] = 0.0
    link = chain.estimators_[0][2]
    body = link.predict_proba(X_aug[:, :9])[:, [list(link.classes_).index(b) for b in BODIES]]
    np.testing.assert_allclose(chain.predict_proba(X, task="body"), body)


def test_chain_orders():
    X, Y = car_data()
    with pytest.raises(ValueError, match="order puts task 'color' before 'car'"):
        TaskChainClassifier(lr(), tasks=car_tasks(), order=["color", "car", "body", "driver"]).fit(
            X, Y
        )
    with pytest.raises(ValueError, match="order must list every task exactly once"):
        TaskChainClassifier(lr(), tasks=car_tasks(), order=["car", "color"]).fit(X, Y)
    for item in ("zz", True, 1.0):  # the parameter named, and what it expects
        with pytest.raises(ValueError, match=f"order lists {item!r}, which is no task"):
            TaskChainClassifier(lr(), tasks=car_tasks(),
                                order=["car", item, "body", "driver"]).fit(X, Y)
    with pytest.raises(ValueError, match="order must be None or 'random'"):
        TaskChainClassifier(lr(), tasks=car_tasks(), order=[0, 1, 2, 3], n_chains=2).fit(X, Y)
    # a schema listing a child first is fixed up by order=None
    tasks = car_tasks()
    tasks = [tasks[1], tasks[0], tasks[2], tasks[3]]
    chain = TaskChainClassifier(lr(), tasks=tasks).fit(X, Y[["color", "car", "body", "driver"]])
    assert chain.orders_[0].index("car") < chain.orders_[0].index("color")
    ens = TaskChainClassifier(lr(), tasks=car_tasks(), n_chains=4, random_state=0).fit(X, Y)
    assert len(ens.orders_) == 4 and len({tuple(o) for o in ens.orders_}) > 1
    assert all(o.index("car") == 0 for o in ens.orders_)
    proba = ens.predict_proba(X)
    np.testing.assert_allclose(proba[1].sum(axis=1), 1.0)
    again = TaskChainClassifier(lr(), tasks=car_tasks(), n_chains=4, random_state=0).fit(X, Y)
    assert again.orders_ == ens.orders_


def test_chain_multilabel_task_and_missing_labels():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    tags = [{t for t, on in zip("ab", (x[0] > 0, x[1] > 0), strict=True) if on} for x in X]
    Y = pd.DataFrame({"kind": np.where(X[:, 2] > 0, "u", "v"), "tags": tags})
    Y.loc[[0, 1], "kind"] = None
    chain = TaskChainClassifier(lr(), cv=3).fit(X, Y)
    assert chain.predict_proba(X, task="tags").shape == (60, 2)
    assert chain.estimators_[0][1][0].n_features_in_ == 3 + 1
    assert chain.score(X, Y) > 0.7


# ------------------------------------------------------------------ shared API
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_dataframe_round_trip_and_joint_decoding(Est):
    X, Y = car_data()
    clf = Est(lr(), tasks=car_tasks(), decode="joint").fit(X, Y)
    pred = clf.predict(X)
    assert list(pred.columns) == ["car", "color", "body", "driver"]
    assert pred.loc[pred["car"] == "no", "color"].isna().all()
    assert clf.predict_proba(X, task="color").shape == (99, 4)
    observed = JointDecoder(allowed="observed")
    pred = clf.set_params(decode=observed).predict(X)
    seen = {tuple(r) for r in clf.observed_combinations_.tolist()}
    assert {tuple(r) for r in clf.predict_encoded(X).codes.tolist()} <= seen
    assert len(pred) == 99


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sample_weight_routed_or_refused(Est):
    X, Y = car_data()
    w = np.ones(len(X))
    w[::2] = 3.0
    Est(lr(), tasks=car_tasks()).fit(X, Y, sample_weight=w)
    with pytest.raises(ValueError, match="Underlying estimator KNeighborsClassifier does not"):
        Est(KNeighborsClassifier(), tasks=car_tasks()).fit(X, Y, sample_weight=w)
    # weight 0 on a sample is as if it were not there
    w0 = np.ones(len(X))
    w0[-1] = 0.0
    a = Est(lr(), tasks=car_tasks()).fit(X, Y, sample_weight=w0).predict_proba(X)
    b = Est(lr(), tasks=car_tasks()).fit(X[:-1], Y.iloc[:-1]).predict_proba(X)
    for p, q in zip(a, b, strict=True):
        np.testing.assert_allclose(p, q, atol=1e-4)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_regression_task_is_refused(Est):
    X = np.arange(10, dtype=float).reshape(-1, 1)
    Y = pd.DataFrame({"a": [0, 1] * 5, "price": np.linspace(0, 1, 10)})
    tasks = [Task("a"), Task("price", kind="regression")]
    # what it fits, in words: the label product fits one classifier, not one per task
    fits = ("over the tasks' label combinations" if Est is LabelProductClassifier
            else "per task")
    with pytest.raises(ValueError, match=f"Task 'price' is a regression task.*{fits}"):
        Est(lr(), tasks=tasks).fit(X, Y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_a_regressor_as_base_estimator_is_refused_at_fit(Est):
    # Before, it fitted and failed at prediction on its missing classes_.
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, Y = car_data()
    for base in (Ridge(), make_pipeline(StandardScaler(), Ridge())):
        with pytest.raises(ValueError, match=r"its estimator (Ridge|Pipeline) is a regressor; "
                                             r"give a classifier"):
            Est(base).fit(X, Y)
    if Est is IndependentTaskClassifier:
        from sklearn.linear_model import SGDRegressor

        with pytest.raises(ValueError, match="its estimator SGDRegressor is a regressor"):
            Est(SGDRegressor()).partial_fit(X, Y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_estimator_without_predict_proba(Est):
    X, Y = car_data()
    kwargs = {"chain_method": "predict"} if Est is TaskChainClassifier else {}
    clf = Est(LinearSVC(), tasks=car_tasks(), **kwargs).fit(X, Y)
    # scikit-learn's convention: no predict_proba without one in the base estimator (a
    # one-hot stand-in would let log-loss and ROC-AUC score 0/1 values silently).
    assert not hasattr(clf, "predict_proba") and not hasattr(clf, "predict_log_proba")
    with pytest.raises(AttributeError, match="predict_proba"):
        clf.predict_proba(X)
    assert clf.score(X, Y) > 0.5
    assert hasattr(clf, "decision_function") == (Est is not LabelProductClassifier)
    if Est is TaskChainClassifier:
        with pytest.raises(ValueError, match="chain_method='predict_proba' needs"):
            Est(LinearSVC()).fit(X, Y["car"])


@pytest.mark.parametrize("Est", [IndependentTaskClassifier, TaskChainClassifier])
def test_errors_name_the_task(Est):
    X = np.arange(6, dtype=float).reshape(-1, 1)
    Y = pd.DataFrame({"a": [0, 1, 0, 1, 0, 1], "b": ["x", "y", None, None, "x", None]})
    with pytest.raises(ValueError, match="Task 'b': needs four samples, got 3"):
        Est(NeedsFourSamples()).fit(X, Y)


def test_chain_cross_validation_gives_a_fold_of_one_class_a_constant_model(multilabel_data):
    """One positive sample: the inner fold that holds it out trains on one class; it gets
    a constant model (no positive), as a label of one class does, where a logistic
    regression refused it (ClassifierChain raises there)."""
    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 0] = 0
    Y[0, 0] = 1
    with pytest.warns(UserWarning, match=r"Task 'task0', cross-validated \(cv=5\) for the later "
                                         r"links' features: training fold \d holds a single "
                                         r"class 0 "):  # named, where scikit-learn's is not
        chain = TaskChainClassifier(lr(), cv=5).fit(X, Y)
    assert chain.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="only one class"):
        ClassifierChain(lr(), cv=5).fit(X, Y)


def test_chain_cross_validation_errors_name_the_task(multilabel_data):
    X, Y = multilabel_data

    class RefusesFolds(LogisticRegression):  # fits every sample, refuses a fold of them
        def fit(self, X, y, sample_weight=None):
            if len(y) < len(Y):
                raise ValueError(f"refused {len(y)} samples")
            return super().fit(X, y, sample_weight=sample_weight)

    with pytest.raises(ValueError, match=r"Task 'task0', cross-validated \(cv=5\) for the "
                                         r"later links' features: refused"):
        TaskChainClassifier(RefusesFolds(max_iter=300), cv=5).fit(X, Y)
    splits = [(np.arange(10, len(Y)), np.arange(10))] * 2  # not a partition
    with pytest.raises(ValueError, match="hold every sample exactly once"):
        TaskChainClassifier(lr(), cv=splits).fit(X, Y)


class NeedsFourSamples(LogisticRegression):
    """A classifier that refuses to fit fewer than four samples."""

    def fit(self, X, y, sample_weight=None):
        if len(y) < 4:
            raise ValueError(f"needs four samples, got {len(y)}")
        return super().fit(X, y, sample_weight=sample_weight)


def test_independent_parallel_same_as_sequential(multilabel_data):
    X, Y = multilabel_data
    with parallel_config(backend="threading"):  # no process start-up in a unit test
        a = IndependentTaskClassifier(lr(), n_jobs=2).fit(X, Y).predict_proba(X)
    b = IndependentTaskClassifier(lr()).fit(X, Y).predict_proba(X)
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p, q)


def test_no_warning_on_clean_fit(multilabel_data):
    X, Y = multilabel_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for Est in ESTIMATORS:
            Est(DecisionTreeClassifier(random_state=0)).fit(X, Y).predict(X)


# ------------------------------------------------ scikit-learn's conventions (issue 15)
def test_chain_array_order_equals_classifier_chain(multilabel_data):
    X, Y = multilabel_data
    order = np.random.RandomState(3).permutation(Y.shape[1])
    ours = TaskChainClassifier(lr(), order=order, chain_method="predict").fit(X, Y)
    ref = ClassifierChain(lr(), order=order).fit(X, Y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X))
    assert ours.orders_ == [[f"task{j}" for j in order]]
    assert ours.order is order  # the parameter is kept as given
    names = np.array([f"task{j}" for j in order])
    np.testing.assert_array_equal(
        TaskChainClassifier(lr(), order=names, chain_method="predict").fit(X, Y).predict(X),
        ref.predict(X),
    )


@pytest.mark.parametrize("Est", [IndependentTaskClassifier, TaskChainClassifier])
@pytest.mark.parametrize("scoring", ["roc_auc", "average_precision"])
def test_multilabel_scorers_read_the_decision_function(Est, scoring, multilabel_data):
    # scikit-learn's ranking scorers prefer decision_function and read (n_samples,
    # n_labels) from it on a 0/1 indicator Y; a list scored NaN in cross_val_score.
    from sklearn.metrics import get_scorer

    X, Y = multilabel_data
    if Est is TaskChainClassifier:  # ClassifierChain's links read 0/1 decisions
        ours, ref = Est(lr(), chain_method="predict"), ClassifierChain(lr())
    else:
        ours, ref = Est(lr()), MultiOutputClassifier(lr())  # its probabilities
    scorer = get_scorer(scoring)
    assert scorer(ours.fit(X, Y), X, Y) == pytest.approx(scorer(ref.fit(X, Y), X, Y))
    scores = cross_val_score(ours, X, Y, cv=3, scoring=scoring)
    assert np.isfinite(scores).all()


def test_decision_function_equals_base_models(multilabel_data):
    X, Y = multilabel_data
    ours = IndependentTaskClassifier(LinearSVC()).fit(X, Y)
    ref = MultiOutputClassifier(LinearSVC()).fit(X, Y)
    decision = ours.decision_function(X)  # every task binary: one column a task
    assert decision.shape == (len(X), Y.shape[1])
    for d, est in zip(decision.T, ref.estimators_, strict=True):
        np.testing.assert_allclose(d, est.decision_function(X))
    np.testing.assert_allclose(ours.decision_function(X, task="task2"), decision[:, 2])
    # a multiclass task: one column per class, the base model's values
    y3 = np.digitize(X[:, 0], np.quantile(X[:, 0], [0.33, 0.66]))
    single = IndependentTaskClassifier(LinearSVC()).fit(X, y3)
    np.testing.assert_allclose(single.decision_function(X),
                               LinearSVC().fit(X, y3).decision_function(X))
    # no decision_function without one in the base estimator
    assert not hasattr(IndependentTaskClassifier(KNeighborsClassifier()), "decision_function")
    assert not hasattr(LabelProductClassifier(LinearSVC()), "decision_function")


def test_predict_proba_only_with_a_base_that_has_it(multilabel_data):
    X, Y = multilabel_data
    for Est in ESTIMATORS:
        kwargs = {"chain_method": "predict"} if Est is TaskChainClassifier else {}
        assert not hasattr(Est(LinearSVC(), **kwargs), "predict_proba")
        assert hasattr(Est(lr(), **kwargs), "predict_proba")
        fitted = Est(LinearSVC(), **kwargs).fit(X, Y)
        assert not hasattr(fitted, "predict_proba")
        assert fitted.predict(X).shape == Y.shape
    # scikit-learn's scorers then refuse instead of scoring one-hot values
    from sklearn.model_selection import cross_val_score
    from sklearn.multioutput import MultiOutputClassifier as MOC

    for model in (IndependentTaskClassifier(LinearSVC()), MOC(LinearSVC())):
        with pytest.raises(AttributeError, match="predict_proba"):
            cross_val_score(model, X, Y, cv=2, scoring="neg_log_loss", error_score="raise")


class RecordingClassifier(LogisticRegression):
    """A LogisticRegression that records the per-sample ``groups`` given to ``fit``."""

    def fit(self, X, y, sample_weight=None, groups=None):
        self.groups_seen_ = None if groups is None else np.asarray(groups).copy()
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_fit_params_reach_the_base_estimator_row_by_row(Est):
    X = np.arange(16, dtype=float).reshape(-1, 1)
    Y = np.array([[0, 1], [1, 0]] * 8, dtype=float)
    Y[3, 1] = np.nan  # task1 trains without row 3
    groups = np.arange(16) * 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the label product leaves row 3 out
        clf = Est(RecordingClassifier()).fit(X, Y, groups=groups)
    if Est is LabelProductClassifier:
        np.testing.assert_array_equal(clf.estimator_.groups_seen_, np.delete(groups, 3))
        return
    links = clf.estimators_ if Est is IndependentTaskClassifier else clf.estimators_[0]
    np.testing.assert_array_equal(links[0].groups_seen_, groups)
    np.testing.assert_array_equal(links[1].groups_seen_, np.delete(groups, 3))


def test_metadata_routing_as_multioutput_classifier(multilabel_data):
    import sklearn
    from sklearn.exceptions import UnsetMetadataPassedError

    X, Y = multilabel_data
    w = np.random.RandomState(0).uniform(0.1, 2, size=len(X))
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(UnsetMetadataPassedError):
            IndependentTaskClassifier(lr()).fit(X, Y, sample_weight=w)
        base = lr().set_fit_request(sample_weight=True)
        ours = IndependentTaskClassifier(base).fit(X, Y, sample_weight=w)
        ref = MultiOutputClassifier(base).fit(X, Y, sample_weight=w)
        for p, q in zip(ours.predict_proba(X), ref.predict_proba(X), strict=True):
            np.testing.assert_allclose(p, q)
        chain = TaskChainClassifier(base).fit(X, Y, sample_weight=w)
        assert chain.predict(X).shape == Y.shape
        from sklearn.linear_model import SGDClassifier

        sgd = SGDClassifier(loss="log_loss", random_state=0).set_partial_fit_request(
            sample_weight=True
        )
        classes = [np.array([0, 1])] * Y.shape[1]
        ours = IndependentTaskClassifier(sgd).partial_fit(X, Y, classes, sample_weight=w)
        ref = MultiOutputClassifier(sgd).partial_fit(X, Y, classes, sample_weight=w)
        for p, q in zip(ours.predict_proba(X), ref.predict_proba(X), strict=True):
            np.testing.assert_allclose(p, q)


@pytest.mark.parametrize("baseline", [IndependentTaskClassifier, TaskChainClassifier,
                                      LabelProductClassifier])
def test_metadata_routing_weights_the_score_as_requested(multilabel_data, baseline):
    # With routing on, score takes the sample_weight its set_score_request asks for,
    # as a consumer's does: weighted cross-validation scores, the fit's weights going to
    # the base estimator (no request of the baseline's own fit needed).
    import sklearn
    from sklearn.model_selection import KFold, cross_validate

    X, Y = multilabel_data
    w = np.random.RandomState(0).uniform(0.1, 2, size=len(X))
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        model = baseline(lr().set_fit_request(sample_weight=True))
        model.set_score_request(sample_weight=True)
        got = cross_validate(model, X, Y, cv=cv, params={"sample_weight": w})["test_score"]
        expected = [
            clone(model).fit(X[train], Y[train], sample_weight=w[train])
            .score(X[test], Y[test], sample_weight=w[test])
            for train, test in cv.split(X)
        ]
        unweighted = [clone(model).fit(X[train], Y[train], sample_weight=w[train])
                      .score(X[test], Y[test]) for train, test in cv.split(X)]
    np.testing.assert_allclose(got, expected)
    assert not np.allclose(got, unweighted)


def test_partial_fit_equals_multioutput_classifier(multilabel_data):
    from sklearn.linear_model import SGDClassifier

    X, Y = multilabel_data
    base = SGDClassifier(loss="log_loss", random_state=0)
    ours, ref = IndependentTaskClassifier(base), MultiOutputClassifier(base)
    classes = [np.array([0, 1])] * Y.shape[1]
    for start in range(0, len(X), 40):
        rows = slice(start, start + 40)
        ours.partial_fit(X[rows], Y[rows], classes=classes if start == 0 else None)
        ref.partial_fit(X[rows], Y[rows], classes=classes if start == 0 else None)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    for p, q in zip(ours.predict_proba(X), ref.predict_proba(X), strict=True):
        np.testing.assert_allclose(p, q)
    assert not hasattr(IndependentTaskClassifier(lr()), "partial_fit")


def test_partial_fit_after_a_fit_that_saw_one_class(multilabel_data):
    """A label constant in fit has a constant model; the next partial_fit starts a model
    of the base estimator for it, as a first partial_fit with every class would."""
    from sklearn.linear_model import SGDClassifier

    X, Y = _constant_labels(multilabel_data)  # labels 1 and 3 constant
    base = SGDClassifier(loss="log_loss", random_state=0)
    with pytest.warns(UserWarning, match="single class"):
        model = IndependentTaskClassifier(base).fit(X, Y)
    _, Y_batch = multilabel_data  # both classes of every label
    model.partial_fit(X, Y_batch)
    for k in (1, 3):
        started = clone(base).partial_fit(X, Y_batch[:, k], classes=[0, 1])
        np.testing.assert_array_equal(model.estimators_[k].coef_, started.coef_)
    assert type(model.estimators_[0]) is SGDClassifier


def test_partial_fit_classes_complete_the_schema_and_skip_missing():
    from sklearn.linear_model import SGDClassifier

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    Y = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": [0, 1, None, 1]})
    clf = IndependentTaskClassifier(SGDClassifier(random_state=0))
    clf.partial_fit(X, Y, classes=[["x", "y", "z"], [0, 1]])
    assert [list(c) for c in clf.classes_] == [["x", "y", "z"], [0, 1]]
    assert list(clf.estimators_[0].classes_) == ["x", "y", "z"]  # the labels, as fitted
    clf.partial_fit(X[:1], pd.DataFrame({"a": ["z"], "b": [None]}))  # task b: no label
    assert clf.predict(X).shape == (4, 2)
    with pytest.raises(ValueError, match="not among its classes|'w'"):
        clf.partial_fit(X[:1], pd.DataFrame({"a": ["w"], "b": [0]}))
    with pytest.raises(ValueError, match="classes has 1 entries, but Y has 2 tasks"):
        IndependentTaskClassifier(SGDClassifier()).partial_fit(X, Y, classes=[["x", "y"]])


def test_partial_fit_classes_are_sorted_as_scikit_learn_sorts_them():
    """classes=['w', 'u', 'v'] gives classes_ ['u', 'v', 'w'] and probability columns
    in that order, as SGDClassifier's partial_fit does (they kept the given order)."""
    from sklearn.linear_model import SGDClassifier

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array(["w", "u", "v", "w"])
    ours = IndependentTaskClassifier(SGDClassifier(loss="log_loss", random_state=0))
    ours.partial_fit(X, y, classes=["w", "u", "v"])
    ref = SGDClassifier(loss="log_loss", random_state=0).partial_fit(X, y, classes=["w", "u", "v"])
    assert ours.classes_.tolist() == ref.classes_.tolist() == ["u", "v", "w"]
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X))


def test_partial_fit_classes_by_task_name_and_a_flat_list_refused():
    from sklearn.linear_model import SGDClassifier

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    Y = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": [0, 1, None, 1]})
    by_name = IndependentTaskClassifier(SGDClassifier(random_state=0))
    by_name.partial_fit(X, Y, classes={"b": [0, 1], "a": ["x", "y", "z"]})
    assert [list(c) for c in by_name.classes_] == [["x", "y", "z"], [0, 1]]
    fresh = IndependentTaskClassifier(SGDClassifier())
    with pytest.raises(ValueError, match=r"names the tasks \['a', 'c'\], but Y has the tasks"):
        fresh.partial_fit(X, Y, classes={"a": ["x", "y"], "c": [0, 1]})
    with pytest.raises(ValueError, match="gives task 'a' 'x'; expected the array of its"):
        fresh.partial_fit(X, Y, classes=["x", "y"])  # labels, not one array per task


def test_partial_fit_refuses_other_classes_on_a_later_call():
    """A later call may repeat the classes (in any order); other classes raise, naming
    the task, as MultiOutputClassifier's partial_fit raises (they were ignored)."""
    from sklearn.naive_bayes import GaussianNB

    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.arange(40) % 3
    clf = IndependentTaskClassifier(GaussianNB()).partial_fit(X[:20], y[:20], classes=[0, 1, 2])
    clf.partial_fit(X[20:], y[20:], classes=[2, 0, 1])
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2, 3\] for task 'y' is not the "
                                         r"same as on the first call to partial_fit, was: "
                                         r"\[0, 1, 2\]"):
        clf.partial_fit(X[20:], y[20:], classes=[0, 1, 2, 3])
    assert clf.classes_.tolist() == [0, 1, 2]
    Y = pd.DataFrame({"a": ["x", "y"] * 20, "b": y})
    clf = IndependentTaskClassifier(GaussianNB())
    clf.partial_fit(X, Y, classes={"a": ["x", "y"], "b": [0, 1, 2]})
    with pytest.raises(ValueError, match=r"classes=\['x', 'y', 'z'\] for task 'a'"):
        clf.partial_fit(X, Y, classes={"a": ["x", "y", "z"], "b": [0, 1, 2]})


# ------------------------------------------------------- X as the base estimator reads it
def _raw_frame(n=60, seed=0):
    """A string column, a pandas category, gaps: what a ColumnTransformer or gradient
    boosting reads, not a plain LogisticRegression."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({
        "size": rng.normal(size=n),
        "shop": rng.choice(["a", "b", "c"], n),
        "kind": pd.Categorical(rng.choice(["x", "y"], n)),
        "gap": np.where(rng.rand(n) < 0.2, np.nan, rng.normal(size=n)),
    })
    Y = pd.DataFrame({"t": ((X["shop"] == "a") ^ (X["size"] > 1)).astype(int),
                      "u": np.where(X["kind"] == "x", "p", "q")})
    return X, Y


def _one_hot_lr():
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    return make_pipeline(
        make_column_transformer((OneHotEncoder(), ["shop", "kind"]), remainder="passthrough"),
        SimpleImputer(), lr(),
    )


def test_independent_passes_a_raw_frame_as_multioutput_does():
    X, Y = _raw_frame()
    before = X.copy()
    ours = IndependentTaskClassifier(_one_hot_lr()).fit(X, Y)
    for task in ("t", "u"):  # MultiOutputClassifier fits each column so
        theirs = _one_hot_lr().fit(X, Y[task])
        np.testing.assert_array_equal(ours.predict(X)[task], theirs.predict(X))
        np.testing.assert_allclose(ours.predict_proba(X, task=task), theirs.predict_proba(X))
    pd.testing.assert_frame_equal(X, before)  # never mutated
    assert list(ours.feature_names_in_) == ["size", "shop", "kind", "gap"]


def test_gradient_boosting_reads_gaps_and_categories_itself():
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, Y = _raw_frame()
    X = X.drop(columns="shop")
    hgb = HistGradientBoostingClassifier(max_iter=10, random_state=0)
    for cls in ESTIMATORS:
        model = cls(hgb).fit(X, Y)
        assert (model.predict(X)["u"] == Y["u"]).all(), cls.__name__  # read from "kind"
    ours = IndependentTaskClassifier(hgb).fit(X, Y).predict_proba(X, task="u")
    theirs = hgb.fit(X, Y["u"]).predict_proba(X)
    np.testing.assert_allclose(ours, theirs)


def test_chain_on_a_raw_frame_equals_the_chain_on_its_encoding():
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    X, Y = _raw_frame()
    X = X.drop(columns="gap")
    one_hot = make_column_transformer(
        (OneHotEncoder(sparse_output=False), ["shop", "kind"]), remainder="passthrough")
    encoded = one_hot.fit_transform(X)  # the categories' columns, then "size"
    raw = TaskChainClassifier(_one_hot_lr(), order=["u", "t"]).fit(X, Y)
    plain = TaskChainClassifier(lr(), order=["u", "t"]).fit(encoded, Y)
    np.testing.assert_array_equal(raw.predict(X).to_numpy(), plain.predict(encoded).to_numpy())
    for mine, ref in zip(raw.predict_proba(X), plain.predict_proba(encoded), strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-4, atol=1e-6)
    # the second link read X and the first link's output, in a column of its own
    link = raw.estimators_[0][1]
    assert list(link[0].feature_names_in_) == ["size", "shop", "kind", "chain0"]


def test_chain_columns_never_take_a_name_of_X():
    X, Y = _raw_frame()
    X = X.rename(columns={"size": "chain0"}).drop(columns="gap")
    pipe = _one_hot_lr()
    model = TaskChainClassifier(pipe, order=["u", "t"]).fit(X, Y)
    assert list(model.estimators_[0][1][0].feature_names_in_)[-1] == "_chain0"


def test_a_base_estimator_that_cannot_read_X_names_the_task():
    X, Y = _raw_frame()
    with pytest.raises(ValueError, match=r"Task 't': could not convert string to float"
                       r"(.|\n)*column 'shop'.*ColumnTransformer with a OneHotEncoder"):
        IndependentTaskClassifier(lr()).fit(X, Y)
    with pytest.raises(ValueError, match=r"Task 't': Input X contains NaN"):
        IndependentTaskClassifier(lr()).fit(X[["size", "gap"]], Y)
    # numbers only: validated here, the first bad entry named
    with pytest.raises(ValueError, match=r"row 0, column 'size' holds inf"):
        IndependentTaskClassifier(lr()).fit(X[["size"]].assign(size=np.inf), Y)
    # the entry numpy names, where an earlier one is no number either (numpy converts a
    # pyarrow date column beside pyarrow numbers, which pandas' to_numeric does not)
    from sklearn_mtl._validation import first_bad_value

    frame = pd.DataFrame({"when": ["x", "y"], "shop": ["b", "c"]})
    assert "row 0, column 'shop' holds 'b'" in first_bad_value(
        frame, ("text",), message="could not convert string to float: 'b'")
    assert "row 0, column 'when' holds 'x'" in first_bad_value(frame, ("text",))
    # a date column: numpy's TypeError, the task and the entry named, the type kept
    when = X[["size"]].assign(when=pd.date_range("2024-01-01", periods=len(X)))
    with pytest.raises(TypeError, match=r"Task 't': The DType(.|\n)*column 'when' holds "
                                        r"Timestamp(.|\n)*convert them to numbers"):
        IndependentTaskClassifier(lr()).fit(when, Y)
    with pytest.raises(TypeError, match=r"Task 't': float\(\) argument(.|\n)*column 'when' "
                                        r"holds Timestamp(.|\n)*convert them to numbers"):
        IndependentTaskClassifier(lr()).fit(when.assign(shop=X["shop"]), Y)


@pytest.mark.parametrize("cv", [None, 3])
def test_chain_on_a_frame_equals_the_chain_on_its_array(cv):
    # gates, a missing label and cross-validated links: the frame's path (features as
    # columns of their own) and the array's (a wider array) give the same chain
    X, Y = car_data()
    Y.loc[5, "body"] = None
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    kwargs = {"tasks": car_tasks(), "cv": cv, "order": ["car", "color", "body", "driver"]}
    on_frame = TaskChainClassifier(lr(), **kwargs).fit(frame, Y)
    on_array = TaskChainClassifier(lr(), **kwargs).fit(X, Y)
    pd.testing.assert_frame_equal(on_frame.predict(frame), on_array.predict(X))
    for p, q in zip(on_frame.predict_proba(frame), on_array.predict_proba(X), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-9)
    last = on_frame.estimators_[0][-1]
    assert list(last.feature_names_in_) == ["a", "b", "c", "d"] + [f"chain{i}" for i in range(9)]


def test_feature_importances_average_the_tasks_and_feed_select_from_model():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_selection import SelectFromModel

    X, Y = car_data()
    Y.loc[[1, 2], "driver"] = None  # missing labels: a forest of its own would refuse
    forest = RandomForestClassifier(n_estimators=10, random_state=0)
    model = IndependentTaskClassifier(forest, tasks=car_tasks()).fit(X, Y)
    expected = np.mean([est.feature_importances_ for est in model.estimators_], axis=0)
    np.testing.assert_array_equal(model.feature_importances_, expected)
    # each task's own column is what it reads: every column counts for some task
    assert model.feature_importances_.shape == (4,) and model.feature_importances_.min() > 0
    selector = SelectFromModel(IndependentTaskClassifier(forest, tasks=car_tasks()),
                               max_features=2, threshold=-np.inf).fit(X, Y)
    top = np.argsort(-expected, kind="stable")[:2]
    assert sorted(np.flatnonzero(selector.get_support())) == sorted(top)
    # a multilabel task counts once: its labels' importances averaged first
    Xm, Ym = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    labels = IndependentTaskClassifier(forest, tasks=[Task("tags", kind="multilabel")])
    labels.fit(Xm, Ym)
    np.testing.assert_allclose(
        labels.feature_importances_,
        np.mean([e.feature_importances_ for e in labels.estimators_[0]], axis=0),
    )
    product = LabelProductClassifier(forest).fit(X, Y.fillna("n/a"))
    np.testing.assert_array_equal(product.feature_importances_,
                                  product.estimator_.feature_importances_)


@pytest.mark.parametrize("cls", [IndependentTaskClassifier, TaskChainClassifier,
                                 LabelProductClassifier])
def test_input_tags_are_the_base_estimators(cls):
    # As scikit-learn's meta-estimators: NaN and sparse X as the base estimator takes
    # them, so a feature selector around forests lets NaN through to them (before: the
    # baselines said "no NaN, sparse" whatever the base estimator read).
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.feature_selection import SelectFromModel
    from sklearn.utils import get_tags

    for base, nan in [(lr(), False), (HistGradientBoostingClassifier(), True)]:
        tags = get_tags(cls(base)).input_tags
        # LogisticRegression says it takes sparse X from scikit-learn 1.7 on
        assert (tags.allow_nan, tags.sparse) == (nan, get_tags(base).input_tags.sparse)
    if cls is TaskChainClassifier:  # its links read more columns: no importances
        return
    X, Y = car_data()
    X = np.array(X, dtype=float)
    X[::4, 0] = np.nan
    forest = RandomForestClassifier(n_estimators=10, random_state=0)
    selector = SelectFromModel(cls(forest, tasks=car_tasks()), max_features=2,
                               threshold=-np.inf).fit(X, Y)
    assert selector.transform(X).shape == (len(X), 2)


def _rows(bad=None):
    """16 samples of 2 features and a binary y; ``bad`` in two entries, (1, 0), (4, 1)."""
    X = np.random.RandomState(0).normal(size=(16, 2))
    if bad is not None:
        X[1, 0] = X[4, 1] = bad
    return X, np.array([0, 1] * 8)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_rows_as_lists_holding_infinity_are_read_as_the_base_estimator_reads_them(cls):
    # Rows given as lists holding infinity were refused ("Input X contains infinity")
    # where the same rows as an array went to HistGradientBoostingClassifier, which reads
    # infinity, as it reads them in a list on its own.
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _rows(np.inf)
    hgb = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2)
    ref = clone(hgb).fit(X.tolist(), y)  # scikit-learn's own reading of the lists
    for rows in (X, X.tolist()):
        model = cls(clone(hgb)).fit(rows, y)
        np.testing.assert_allclose(model.predict_proba(rows), ref.predict_proba(X.tolist()))
        np.testing.assert_array_equal(model.predict(rows), ref.predict(X))


def test_a_base_estimator_that_refuses_infinity_refuses_it_in_lists_as_in_an_array():
    X, y = _rows(np.inf)
    fitted = IndependentTaskClassifier(lr()).fit(*_rows())
    for rows in (X, X.tolist()):
        match = (r"^Task 'y': Input X contains infinity or a value too large for "
                 r"dtype\('float64'\)\.\nThe first bad entry: row 1, column 0 holds inf, "
                 r"not a finite number")
        with pytest.raises(ValueError, match=match):
            IndependentTaskClassifier(lr()).fit(rows, y)
        with pytest.raises(ValueError, match=match):
            fitted.predict(rows)


def test_an_array_holding_nan_is_validated_in_one_pass():
    # NaN in an array for a base estimator that reads it was validated twice: a pass
    # that refused it, then one that let it through.
    from unittest import mock

    from sklearn.ensemble import HistGradientBoostingClassifier

    import sklearn_mtl._base as base

    X, y = _rows()
    gaps, _ = _rows(np.nan)
    hgb = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2)

    def passes(rows):
        with mock.patch.object(base, "validate_data", wraps=base.validate_data) as spy:
            model = IndependentTaskClassifier(clone(hgb)).fit(rows, y)
            proba = model.predict_proba(rows)
        values_read = [c for c in spy.call_args_list if not c.kwargs.get("skip_check_array")]
        return len(values_read), proba

    (clean, _), (with_gaps, proba) = passes(X), passes(gaps)
    assert clean == with_gaps == 2  # one in fit, one in predict_proba
    np.testing.assert_allclose(proba, clone(hgb).fit(gaps, y).predict_proba(gaps))


def _text_rows():
    """Rows of text as lists, 2 features, 24 samples (the car's gate in column 0), and
    a gated Y whose labels they tell."""
    cars = ["yes", "no", "yes", "yes"] * 6
    shades = ["dark", "-", "light", "dark"] * 6
    rows = [[car, shade] for car, shade in zip(cars, shades, strict=True)]
    color = [("black" if s == "dark" else "white") if c == "yes" else None
             for c, s in zip(cars, shades, strict=True)]
    return rows, pd.DataFrame({"car": cars, "color": color})


def _one_hot_rows(handle_unknown="ignore"):
    # columns 0 and 1 one-hot encoded; the chain's link columns passed on as numbers
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    return make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown=handle_unknown), [0, 1]),
                                remainder="passthrough"),
        lr(),
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_rows_as_lists_holding_text_go_as_the_object_array_of_them(cls):
    # Rows given as lists holding text were refused ("dtype='numeric' is not compatible
    # with arrays of bytes/strings"), where the same rows as an object array went to the
    # base estimator as they are (a Pipeline's OneHotEncoder reads lists of text itself).
    rows, Y = _text_rows()
    given = [list(row) for row in rows]
    array = np.array(rows, dtype=object)
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]  # a gated task's rows
    ref = cls(_one_hot_rows(), tasks=tasks).fit(array, Y)
    for X in (rows, tuple(tuple(row) for row in rows)):
        model = cls(_one_hot_rows(), tasks=tasks).fit(X, Y)
        assert model.n_features_in_ == 2
        pd.testing.assert_frame_equal(model.predict(X), ref.predict(array))
        for mine, theirs in zip(model.predict_proba(X), ref.predict_proba(array),
                                strict=True):
            np.testing.assert_allclose(mine, theirs)
        assert model.score(X, Y) == ref.score(array, Y) == 1.0
        # a model fitted on the array reads the lists alike, and the other way round
        pd.testing.assert_frame_equal(ref.predict(X), model.predict(array))
    assert rows == given  # the user's lists untouched


@pytest.mark.parametrize("cls", [IndependentTaskClassifier, LabelProductClassifier])
def test_a_one_hot_pipeline_fits_rows_of_text_given_as_lists(cls):
    # scikit-learn's make_pipeline(OneHotEncoder(), LogisticRegression()) fits such rows
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rows, Y = _text_rows()
    y = Y["car"].to_numpy()
    plain = make_pipeline(OneHotEncoder(), lr()).fit(rows, y)
    model = cls(make_pipeline(OneHotEncoder(), lr())).fit(rows, y)
    np.testing.assert_array_equal(model.predict(rows), plain.predict(rows))
    np.testing.assert_allclose(model.predict_proba(rows), plain.predict_proba(rows))
    assert model.score(rows, y) == plain.score(rows, y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_base_estimator_that_refuses_text_refuses_it_in_lists_as_in_an_array(cls):
    rows, Y = _text_rows()
    name = "The label combinations" if cls is LabelProductClassifier else "Task 'car'"
    match = (r"could not convert string to float: 'yes'\nThe first bad entry: row 0, "
             r"column 0 holds 'yes', not a finite number")
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    numbers = np.random.RandomState(0).normal(size=(len(rows), 2))
    fitted = cls(lr(), tasks=tasks).fit(numbers, Y)
    for X in (np.array(rows, dtype=object), rows):
        with pytest.raises(ValueError, match=rf"^{name}: {match}"):
            cls(lr(), tasks=tasks).fit(X, Y)
        with pytest.raises(ValueError, match=match):
            fitted.predict(X)
    # a date among the objects: numpy's TypeError, from the base estimator for both (the
    # array's was raised here, without the task)
    import datetime

    dated = [[datetime.date(2024, 1, 1), float(i)] for i in range(len(rows))]
    for X in (np.array(dated, dtype=object), dated):
        with pytest.raises(TypeError, match=rf"^{name}: float\(\) argument must be "
                           r"(.|\n)*row 0, column 0 holds datetime\.date\(2024, 1, 1\)"):
            cls(lr(), tasks=tasks).fit(X, Y)
    # lists that make no 2-D array stay refused as before
    with pytest.raises(ValueError, match="X is ragged: row 1 has 1 value"):
        cls(_one_hot_rows(), tasks=tasks).fit([["yes", "dark"], ["no"]] * 12, Y)


def test_no_feature_importances_without_the_base_estimators():
    X, Y = car_data()
    assert not hasattr(IndependentTaskClassifier(lr()), "feature_importances_")  # unfitted
    fitted = IndependentTaskClassifier(lr(), tasks=car_tasks()).fit(X, Y)
    assert not hasattr(fitted, "feature_importances_")
    with pytest.raises(AttributeError, match="LogisticRegression has none"):
        getattr(fitted, "feature_importances_")  # noqa: B009


# ------------------------------------------------------ a label of a single class
def _constant_labels(multilabel_data):
    """The multi-label data with label 1 absent and label 3 present in every sample (a
    rare label in a cross-validation fold)."""
    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 1], Y[:, 3] = 0, 1
    return X, Y


def test_independent_single_class_labels_equal_one_vs_rest(multilabel_data):
    """Where a label holds one value, the model is a constant, as OneVsRestClassifier's
    (MultiOutputClassifier and a logistic regression refuse to fit one class)."""
    from sklearn.multiclass import OneVsRestClassifier

    X, Y = _constant_labels(multilabel_data)
    with pytest.warns(UserWarning, match="Task 'task1' has a single class 0"):
        ours = IndependentTaskClassifier(lr()).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # OneVsRest's own warning
        ref = OneVsRestClassifier(lr()).fit(X, Y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    proba = np.column_stack([p[:, 1] for p in ours.predict_proba(X)])
    np.testing.assert_allclose(proba, ref.predict_proba(X))
    # the decision values: the other labels' models' own, and finite (sklearn's scorers
    # refuse infinities) but certain for the constants
    decision = ours.decision_function(X)
    np.testing.assert_allclose(decision[:, [0, 2]], ref.decision_function(X)[:, [0, 2]])
    assert (decision[:, 1] < -30).all() and (decision[:, 3] > 30).all()
    assert np.isfinite(decision).all()


def test_single_class_stand_ins_are_saved_and_loaded(multilabel_data, tmp_path):
    from sklearn_mtl import load, save

    X, Y = _constant_labels(multilabel_data)
    with pytest.warns(UserWarning, match="single class"):
        model = TaskChainClassifier(lr()).fit(X, Y)
    loaded = load(save(model, tmp_path / "chain.mtl"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    for p, q in zip(loaded.predict_proba(X), model.predict_proba(X), strict=True):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("cv", [None, 3])
def test_chain_single_class_labels_pass_their_class_on(multilabel_data, cv):
    X, Y = _constant_labels(multilabel_data)
    with pytest.warns(UserWarning, match="single class"):
        chain = TaskChainClassifier(lr(), cv=cv).fit(X, Y)
    pred = chain.predict(X)
    assert (pred[:, 1] == 0).all() and (pred[:, 3] == 1).all()
    # the later links read the constant's class as their feature: a column of zeros
    # (label 1) or ones (label 3) after X, as they would read the true labels
    link = chain.estimators_[0][2]
    assert link.n_features_in_ == X.shape[1] + 2


def test_single_class_stand_ins_leave_the_base_estimators_abilities(multilabel_data):
    """The stand-in has every method; what the baseline offers still follows the base
    estimator (a forest has no decision_function; a logistic regression no importances)."""
    from sklearn.ensemble import RandomForestClassifier

    X, Y = _constant_labels(multilabel_data)
    with pytest.warns(UserWarning, match="single class"):
        forest = IndependentTaskClassifier(RandomForestClassifier(n_estimators=5, random_state=0))
        forest.fit(X, Y)
        linear = IndependentTaskClassifier(lr()).fit(X, Y)
    assert not hasattr(forest, "decision_function")
    np.testing.assert_array_equal(forest.estimators_[1].feature_importances_, 0.0)
    assert forest.feature_importances_.shape == (X.shape[1],)
    assert not hasattr(linear, "feature_importances_")
    # every model a constant: zeros where the base estimator has importances, none else
    tasks = [Task("a", classes=[0, 1]), Task("b", classes=[0, 1])]
    Y_constant = np.column_stack([np.zeros(len(X), int), np.ones(len(X), int)])
    for Est in (IndependentTaskClassifier, LabelProductClassifier):
        with pytest.warns(UserWarning, match="single class"):
            forests = Est(RandomForestClassifier(n_estimators=5), tasks=tasks).fit(X, Y_constant)
            linears = Est(lr(), tasks=tasks).fit(X, Y_constant)
        np.testing.assert_array_equal(forests.feature_importances_, np.zeros(X.shape[1]))
        with pytest.raises(AttributeError, match="LogisticRegression has none"):
            getattr(linears, "feature_importances_")  # noqa: B009


def test_multilabel_task_warns_once_for_its_constant_labels():
    X = np.random.RandomState(0).normal(size=(40, 3))
    Y = pd.DataFrame({"tags": [["a"], ["a", "b"]] * 20})
    tasks = [Task("tags", kind="multilabel", classes=["a", "b", "c"])]
    with pytest.warns(UserWarning) as record:
        model = IndependentTaskClassifier(lr(), tasks=tasks).fit(X, Y)
    messages = [str(w.message) for w in record if "Task 'tags'" in str(w.message)]
    assert messages == [
        "Task 'tags': labels ['c'] are absent and labels ['a'] are present in every "
        "training sample that annotates them; a model can only learn to predict them as "
        "they were."
    ]
    assert all(set(tags) >= {"a"} and "c" not in tags for tags in model.predict(X)["tags"])


def _grouped_two_tasks():
    """120 samples in 30 groups of 4, two binary tasks, the second reading the first."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    groups = np.arange(120) // 4
    Y = np.column_stack([X[:, 0] + rng.normal(size=120) > 0, X[:, 1] + X[:, 0] > 0])
    return X, Y.astype(int), groups


@pytest.mark.parametrize("routing", [False, True])
def test_chain_cv_with_groups_uses_stratified_group_folds(routing):
    # With groups, an int cv is StratifiedGroupKFold: the second link trains on the first
    # link's predictions for groups it was not fitted on, as cross_val_predict makes them
    # (with or without metadata routing).
    import sklearn
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

    X, Y, groups = _grouped_two_tasks()
    held_out = cross_val_predict(lr(), X, Y[:, 0], cv=StratifiedGroupKFold(3), groups=groups,
                                 method="predict_proba")[:, 1:]
    expected = lr().fit(np.hstack([X, held_out]), Y[:, 1]).coef_
    with sklearn.config_context(enable_metadata_routing=routing):
        chain = TaskChainClassifier(lr(), cv=3, order=[0, 1]).fit(X, Y, groups=groups)
    np.testing.assert_allclose(chain.estimators_[0][1].coef_, expected)
    plain = TaskChainClassifier(lr(), cv=3, order=[0, 1]).fit(X, Y)  # sample folds
    assert not np.allclose(plain.estimators_[0][1].coef_, expected)


def test_chain_groups_reach_its_splitter_and_a_search_but_not_a_plain_fit():
    import sklearn
    from sklearn.model_selection import GridSearchCV, GroupKFold, KFold

    X, Y, groups = _grouped_two_tasks()
    # the chain's group splitter and the links' own search over group folds both need
    # the groups ("The 'groups' parameter should not be None" otherwise)
    search = GridSearchCV(lr(), {"C": [0.1, 1.0]}, cv=GroupKFold(2))
    chain = TaskChainClassifier(search, cv=GroupKFold(3)).fit(X, Y, groups=groups)
    assert chain.predict(X).shape == Y.shape
    # a LogisticRegression's fit takes no groups: they are the chain's alone, unused by
    # a splitter that takes none (as cross_val_predict leaves them), with or without
    # metadata routing
    for routing in (False, True):
        with sklearn.config_context(enable_metadata_routing=routing):
            for cv in (None, 3, KFold(3)):
                chain = TaskChainClassifier(lr(), cv=cv).fit(X, Y, groups=groups)
                assert chain.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match=r"groups must hold one value per sample"):
        TaskChainClassifier(lr(), cv=3).fit(X, Y, groups=groups[:-1])


def test_compare_passes_groups_to_a_chain_with_cv():
    from sklearn_mtl import compare

    X, Y, groups = _grouped_two_tasks()
    _, details = compare({"chain": TaskChainClassifier(RecordingClassifier(), cv=3)}, X, Y,
                         cv=3, groups=groups, progress=False, return_details=True)
    for model in details["estimators"]["chain"]:
        seen = model.estimators_[0][0].groups_seen_  # the first link, every training row
        # whole groups of four, about two thirds of the 30
        assert set(np.unique(seen, return_counts=True)[1]) == {4} and 18 <= len(seen) / 4 <= 22


def test_partial_fit_first_batch_may_lack_a_declared_task():
    # As MultiOutputClassifier's partial_fit takes classes up front: a first batch with
    # no label of a task is taken; its model is fitted by the first batch that labels
    # it, and predicting before then names the task (not the base estimator's class).
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import SGDClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = pd.DataFrame({"a": (X[:, 1] > 0).astype(int),
                      "b": np.where(X[:, 0] > 0, "x", "y").astype(object)})
    first = Y.iloc[:20].assign(b=None)
    sgd = SGDClassifier(loss="log_loss", random_state=0)
    ours = IndependentTaskClassifier(sgd).partial_fit(X[:20], first,
                                                      classes=[[0, 1], ["x", "y"]])
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(NotFittedError, match=r"Task\(s\) \['b'\] had no annotated"):
            getattr(ours, method)(X)
    if importlib.util.find_spec("skl2onnx") is not None:  # the export names it too
        from sklearn_mtl import export_onnx

        with pytest.raises(NotFittedError, match=r"Task\(s\) \['b'\] had no annotated"):
            export_onnx(ours, X_sample=X[:2].astype(np.float32))
    ours.partial_fit(X[20:], Y.iloc[20:])
    ref_a = clone(sgd).partial_fit(X[:20], Y["a"][:20], classes=[0, 1])
    ref_a.partial_fit(X[20:], Y["a"][20:])
    ref_b = clone(sgd).partial_fit(X[20:], Y["b"][20:], classes=["x", "y"])
    np.testing.assert_array_equal(ours.predict_proba(X)[0], ref_a.predict_proba(X))
    np.testing.assert_array_equal(ours.predict_proba(X)[1], ref_b.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X)["b"], ref_b.predict(X))


def test_partial_fit_first_batch_gate_off_and_multilabel_unlabelled():
    # A first batch where a gate is off in every row, and a multilabel task unannotated:
    # both are declared, so they are taken and their models wait for a later batch.
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import SGDClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    car = np.where(np.arange(40) < 20, "n", "y")
    color = np.where(X[:, 1] > 0, "r", "b").astype(object)
    color[car == "n"] = None
    tags = pd.Series([["t"] if v > 0 else [] for v in X[:, 2]], dtype=object)
    tags[:20] = None
    Y = pd.DataFrame({"car": car, "color": color, "tags": tags})
    tasks = [Task("car", classes=["n", "y"]),
             Task("color", classes=["b", "r"], gate=("car", "y")),
             Task("tags", kind="multilabel", classes=["t"])]
    est = IndependentTaskClassifier(SGDClassifier(loss="log_loss", random_state=0),
                                    tasks=tasks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # car: one class in this batch
        est.partial_fit(X[:20], Y[:20])
    with pytest.raises(NotFittedError, match=r"\['color', 'tags'\]"):
        est.predict(X)
    est.partial_fit(X[20:], Y[20:])
    assert est.predict(X).shape == Y.shape


# ------------------------------------------------- drop-in for scikit-learn (session 54)
@pytest.mark.parametrize("random_state", [0, 1, 7])
def test_random_order_is_classifier_chains(multilabel_data, random_state):
    # ClassifierChain(order="random", random_state=r) -> TaskChainClassifier with the same
    # arguments: the same chain, so the same predictions.
    X, Y = multilabel_data
    ref = ClassifierChain(lr(), order="random", random_state=random_state).fit(X, Y)
    ours = TaskChainClassifier(lr(), order="random", random_state=random_state,
                               chain_method="predict").fit(X, Y)
    assert ours.orders_ == [[f"task{j}" for j in ref.order_]]
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(
        np.column_stack([p[:, 1] for p in ours.predict_proba(X)]), ref.predict_proba(X)
    )


def test_random_order_still_puts_gate_parents_first():
    X, Y = car_data()
    for seed in range(10):
        order = TaskChainClassifier(lr(), tasks=car_tasks(), order="random",
                                    random_state=seed).fit(X, Y).orders_[0]
        assert order.index("car") == 0, order  # every other task is gated on car


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_score_reads_an_array_of_the_frames_columns(Est):
    # MultiOutputClassifier.score(X, Y_test.to_numpy()) works on a model fitted on a
    # DataFrame; so does ours, column by column in the frame's order, also where the
    # declared tasks list them in another order (as the scorer and the metrics do).
    X, Y = car_data()
    X = X + np.random.RandomState(1).normal(size=X.shape)  # not every sample right
    Y = Y[["body", "car", "color", "driver"]]
    est = Est(lr(), tasks=car_tasks()).fit(X, Y)
    expected = est.score(X, Y)
    assert 0 < expected < 1
    assert est.score(X, Y.to_numpy()) == expected
    assert exact_match_scorer(est, X, Y.to_numpy()) == expected
    P = est.predict(X)
    assert exact_match_score(Y.to_numpy(), P.to_numpy(), schema=est) == expected
    one = Est(lr()).fit(X, Y[["car"]])
    for y in (Y[["car"]].to_numpy(), Y["car"], Y["car"].to_numpy()):
        assert one.score(X, y) == one.score(X, Y[["car"]])


def test_partial_fit_decodes_over_the_combinations_of_every_batch():
    # JointDecoder(allowed="observed") decodes over the combinations seen in training:
    # after partial_fit, those of every batch, not only the first's (as the network's)
    from sklearn.linear_model import SGDClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    Y = pd.DataFrame({"a": (X[:, 0] > 0).astype(int), "b": (X[:, 1] > 0).astype(int)})
    first = (Y["a"] == Y["b"]).to_numpy()  # (0, 0) and (1, 1) only
    clf = IndependentTaskClassifier(SGDClassifier(loss="log_loss", random_state=0),
                                    decode=JointDecoder(allowed="observed"))
    clf.partial_fit(X[first], Y[first], classes=[[0, 1], [0, 1]])
    clf.partial_fit(X[~first], Y[~first])
    np.testing.assert_array_equal(clf.observed_combinations_, [[0, 0], [0, 1], [1, 0], [1, 1]])
    # the (0, 1) and (1, 0) the second batch brought are predicted
    assert set(map(tuple, clf.predict(X).to_numpy())) > {(0, 0), (1, 1)}
    # a sample of weight 0 is as if dropped, as in the first batch
    weighted = IndependentTaskClassifier(SGDClassifier(loss="log_loss", random_state=0),
                                         decode=JointDecoder(allowed="observed"))
    weighted.partial_fit(X[first], Y[first], classes=[[0, 1], [0, 1]])
    w = (Y["a"][~first] == 1).to_numpy().astype(float)  # (1, 0) weighted, (0, 1) not
    weighted.partial_fit(X[~first], Y[~first], sample_weight=w)
    np.testing.assert_array_equal(weighted.observed_combinations_, [[0, 0], [1, 0], [1, 1]])


def test_partial_fit_checks_a_later_batch_as_the_first():
    # A later batch's lengths and weights are refused as the first batch's are: the
    # lengths named, a negative weight by its position (SGDClassifier took it)
    from sklearn.linear_model import SGDClassifier

    X, Y = car_data()
    Y = Y[["car"]]
    clf = IndependentTaskClassifier(SGDClassifier(random_state=0)).partial_fit(X, Y)
    with pytest.raises(ValueError, match="X has 10 samples, but Y has 9"):
        clf.partial_fit(X[:10], Y[:9])
    w = np.ones(10)
    w[3] = -1.0
    with pytest.raises(ValueError, match=r"sample_weight\[3\] is -1.0; expected finite, "
                                         "non-negative"):
        clf.partial_fit(X[:10], Y[:10], sample_weight=w)


@pytest.mark.parametrize("form", [list, np.array, pd.Series])
@pytest.mark.parametrize("Est", [IndependentTaskClassifier, LabelProductClassifier])
def test_text_goes_to_a_base_estimator_that_vectorizes_it(Est, form):
    """Text, one string a sample, reaches a base Pipeline that starts with a
    TfidfVectorizer, as MultiOutputClassifier passes it (it was read as rows of
    characters: "X is ragged"); missing labels leave their documents out."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    rng = np.random.RandomState(0)
    words = np.array("apple banana cherry dog eel fox goat hat ice jam".split())
    docs = [" ".join(rng.choice(words, 5)) for _ in range(60)]
    Y = np.array([["apple" in d, "dog" in d] for d in docs], dtype=int)
    base = make_pipeline(TfidfVectorizer(), lr())
    ours = Est(base).fit(form(docs), Y)
    if Est is IndependentTaskClassifier:
        ref = MultiOutputClassifier(base).fit(docs, Y)
        np.testing.assert_array_equal(ours.predict(form(docs)), ref.predict(docs))
        for p, q in zip(ours.predict_proba(form(docs)), ref.predict_proba(docs), strict=True):
            np.testing.assert_allclose(p, q)
    else:
        hand = clone(base).fit(docs, Y[:, 0] * 2 + Y[:, 1]).predict(docs)
        np.testing.assert_array_equal(ours.predict(form(docs)),
                                      np.column_stack([hand // 2, hand % 2]))
    Y_missing = Y.astype(float)
    Y_missing[::5, 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the product's left-out samples
        assert Est(base).fit(form(docs), Y_missing).predict(form(docs[:2])).shape == (2, 2)


def test_chain_asks_for_the_vectorizer_in_front_of_it():
    docs = ["red apple", "green apple", "red dog", "big dog"] * 5
    Y = np.array([["apple" in d, "red" in d] for d in docs], dtype=int)
    with pytest.raises(ValueError, match=r"text \(20 strings.*TfidfVectorizer\(\), "
                                         r"TaskChainClassifier"):
        TaskChainClassifier(lr()).fit(docs, Y)
    numbers = IndependentTaskClassifier(lr()).fit(np.eye(20)[:, :3], Y)
    with pytest.raises(ValueError, match="expecting 3 features"):  # not "X is ragged"
        numbers.predict(docs)


@pytest.mark.filterwarnings("ignore:The `probability` parameter:FutureWarning")
def test_label_product_predicts_the_combination_its_model_predicts():
    """decode="joint" is the model's own predict over the combinations, as a label
    powerset built by hand decides: an SVC(probability=True) by its decision function
    (it took the argmax of the probabilities, another combination on some samples);
    its ONNX graph's labels too."""
    from sklearn.svm import SVC

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    Y = np.where(X[:, :3] + rng.normal(size=(60, 3)) * 0.5 > 0, 2, 1)
    svc = SVC(probability=True, random_state=0)
    ours = LabelProductClassifier(svc).fit(X, Y)
    hand = clone(svc).fit(X, [f"{a}{b}{c}" for a, b, c in Y]).predict(X)
    np.testing.assert_array_equal(ours.predict(X), [[int(ch) for ch in h] for h in hand])
    proba = ours.estimator_.predict_proba(X)
    assert (proba.argmax(axis=1) != ours.estimator_.predict(X)).any()  # where it differs
    if all(importlib.util.find_spec(m) for m in ("skl2onnx", "onnxruntime")):
        import onnxruntime as ort

        from sklearn_mtl import export_onnx

        session = ort.InferenceSession(export_onnx(ours, X_sample=X[:5]).SerializeToString())
        out = dict(zip([o.name for o in session.get_outputs()],
                       session.run(None, {session.get_inputs()[0].name: X}), strict=True))
        labels = np.column_stack([out[f"task{j}_label"] for j in range(3)])
        np.testing.assert_array_equal(labels, ours.predict_encoded(X).codes)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_weights_refused_by_a_pipeline_say_how_to_pass_them(Est):
    """A Pipeline's fit takes no sample_weight (refused, as MultiOutputClassifier
    refuses it); the error names the step parameter that weighs its last step."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)) * 3 + 1
    Y = (X > 1).astype(int)
    Y[::3, 1] = 1 - Y[::3, 1]
    w = rng.uniform(0.1, 2, 40)
    pipe = make_pipeline(StandardScaler(), lr())
    with pytest.raises(ValueError, match=r"Pipeline does not support sample weights\. Pass "
                                         r"them to its last step as "
                                         r"logisticregression__sample_weight=w"):
        Est(pipe).fit(X, Y, sample_weight=w)
    ours = Est(pipe).fit(X, Y, logisticregression__sample_weight=w).predict_proba(X)
    if Est is not TaskChainClassifier:  # (the chain's scaler scales its links' outputs too)
        scaled = StandardScaler().fit_transform(X)
        ref = Est(lr()).fit(scaled, Y, sample_weight=w).predict_proba(scaled)
        for p, q in zip(ours, ref, strict=True):
            np.testing.assert_allclose(p, q)


@pytest.mark.parametrize("Est", [IndependentTaskClassifier, LabelProductClassifier])
def test_a_base_output_of_other_rows_than_x_is_refused_not_repeated(Est):
    """A model fitted on text given a DataFrame of that text: its TfidfVectorizer reads
    the DataFrame as the list of its column names, one document, and the one row of
    predictions was repeated over every sample (independent) or failed on a length
    mismatch (label product); both now name the row counts and the column to pass.
    (A step in front of the vectorizer hides it from the check of X made up front.)"""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    docs = ["good movie", "bad movie", "great film", "awful film", "good film", "bad film"]
    docs = docs * 4
    Y = pd.DataFrame({"pos": [1, 0, 1, 0, 1, 0] * 4, "kind": ["a", "b", "c"] * 8})
    model = Est(make_pipeline(FunctionTransformer(), TfidfVectorizer(), LinearSVC())).fit(docs, Y)
    table = pd.DataFrame({"review": docs})
    methods = ["predict"] + (["decision_function"] if Est is IndependentTaskClassifier
                             else [])
    for method in methods:
        with pytest.raises(ValueError, match=r"^Pipeline\.(predict|decision_function) "
                                             r"returned 1 row\(s\) for the 24 samples of "
                                             r"X; .* pass the column of text, X\['review'\]"):
            getattr(model, method)(table)
    pd.testing.assert_frame_equal(model.predict(table["review"]), model.predict(docs))


def test_weights_refused_by_a_pipeline_whose_last_step_refuses_them_too():
    """The hint to pass <step>__sample_weight is given only where the last step's fit
    takes sample_weight: a KNeighborsClassifier's would refuse it as well."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    Y = (X > 0).astype(int)
    w = np.ones(30)
    pipe = make_pipeline(StandardScaler(), KNeighborsClassifier(3))
    with pytest.raises(ValueError) as caught:
        IndependentTaskClassifier(pipe).fit(X, Y, sample_weight=w)
    assert str(caught.value) == "Underlying estimator Pipeline does not support sample weights."


def test_a_column_name_mismatch_names_no_value_as_its_cause():
    # the feature-name error went on "The first bad entry: row 0, column 'shop' holds
    # 'a', not a finite number": a category the base estimator reads, blamed
    X = pd.DataFrame({"x": np.arange(8.0), "shop": pd.Categorical(list("abab" * 2))})
    Y = pd.DataFrame({"t": [0, 1] * 4, "u": [0, 0, 1, 1] * 2})
    from sklearn.ensemble import HistGradientBoostingClassifier

    clf = IndependentTaskClassifier(
        HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=2)
    ).fit(X, Y)
    for other, match in ((X.assign(z=1.0), "unseen at fit time:\n- z"),
                         (X.drop(columns="x"), "now missing:\n- x")):
        with pytest.raises(ValueError, match=match) as info:
            clf.predict(other)
        assert "bad entry" not in str(info.value)


def test_text_pipeline_on_a_frame_names_the_frames_text_column():
    # predicting on a DataFrame: the hint selects the frame's own text column, not the
    # X['text'] of no such column
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    df = pd.DataFrame({"review": ["good cheap", "bad pricey", "good", "bad"] * 3,
                       "stars": [5, 1, 4, 2] * 3})
    Y = pd.DataFrame({"sent": ["p", "n", "p", "n"] * 3, "price": ["c", "e", "c", "e"] * 3})
    model = IndependentTaskClassifier(make_pipeline(TfidfVectorizer(), LogisticRegression()))
    model.fit(df["review"], Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # X has feature names, fitted without
        for X in (df, df[["review"]]):
            with pytest.raises(ValueError, match=r"pass the column of text, X\['review'\], "):
                model.predict(X)
        two = df.assign(title=["a b", "c"] * 6)
        with pytest.raises(ValueError, match=r"one of X's text columns \['review', 'title'\], "
                                             r"e.g. X\['review'\]"):
            model.predict(two)


def _review_data():
    df = pd.DataFrame({"review": ["good cheap", "bad pricey", "good", "bad", "good fine",
                                  "bad awful"] * 3})
    Y = pd.DataFrame({"sent": ["p", "n"] * 9, "price": ["c", "e", "c"] * 6})
    return df, Y


@pytest.mark.parametrize("Est", [IndependentTaskClassifier, LabelProductClassifier])
def test_polars_text_is_read_as_the_pandas_equivalent_is(Est):
    """A polars text Series works as the pandas one does; a polars one-column text frame
    gets the pandas frame's error naming its text column, in fit, predict,
    predict_proba and score (its TfidfVectorizer iterated the polars frame by column:
    "'Series' object has no attribute 'lower'", as in MultiOutputClassifier)."""
    pl = pytest.importorskip("polars")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    df, Y = _review_data()
    base = make_pipeline(TfidfVectorizer(), LogisticRegression())
    model = Est(base).fit(df["review"], Y)
    series = pl.from_pandas(df)["review"]
    pd.testing.assert_frame_equal(Est(base).fit(series, Y).predict(series),
                                  model.predict(df["review"]))
    for p, q in zip(model.predict_proba(series), model.predict_proba(df["review"]),
                    strict=True):
        np.testing.assert_allclose(p, q)
    assert model.score(series, Y) == model.score(df["review"], Y)
    frame = pl.from_pandas(df[["review"]])
    message = (r"^X is a DataFrame, but the base estimator Pipeline reads one text document "
               r"a sample\. Its TfidfVectorizer reads a DataFrame as its columns, one "
               r"document each: pass the column of text, X\['review'\], one document a "
               r"sample\.$")
    for call in (lambda: Est(base).fit(frame, Y), lambda: model.predict(frame),
                 lambda: model.predict_proba(frame), lambda: model.score(frame, Y)):
        with pytest.raises(ValueError, match=message):
            call()


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("frame", ["pandas", "polars"])
def test_fit_on_a_frame_of_text_says_to_pass_its_text_column(Est, frame):
    """fit on a one-column DataFrame of text, for a base estimator that vectorizes text,
    says to pass that column, as predict does (it was scikit-learn's "Task 'sent': Found
    input variables with inconsistent numbers of samples: [1, 18]": the vectorizer read
    the frame as its column names, one document); the chain says to vectorize in front
    of it. A base estimator wrapped in a meta-estimator is looked into."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    df, Y = _review_data()
    X = df[["review"]] if frame == "pandas" else pytest.importorskip("polars").from_pandas(
        df[["review"]])
    base = make_pipeline(TfidfVectorizer(), LogisticRegression())
    if Est is TaskChainClassifier:
        match = (r"^TaskChainClassifier got X as a DataFrame, .*TfidfVectorizer.*"
                 r"make_pipeline\(TfidfVectorizer\(\), TaskChainClassifier\(\.\.\.\)\), "
                 r"and pass it the column of text, X\['review'\], one document a sample\.$")
    else:
        match = (r"^X is a DataFrame, but the base estimator Pipeline reads one text "
                 r"document a sample\. Its TfidfVectorizer reads a DataFrame as its "
                 r"column(s| names), one document each: pass the column of text, "
                 r"X\['review'\], one document a sample\.$")
    with pytest.raises(ValueError, match=match):
        Est(base).fit(X, Y)
    if Est is not TaskChainClassifier:
        with pytest.raises(ValueError, match=r"FixedThresholdClassifier reads one text "
                                             r"document.* X\['review'\]"):
            Est(FixedThresholdClassifier(base)).fit(X, Y[["sent"]].eq("p"))
        # scikit-learn's own: the frame read as one document, or by column
        error, match = ((ValueError, r"^Found input variables with inconsistent numbers "
                                     r"of samples: \[1, 18\]$") if frame == "pandas"
                        else (AttributeError, "'Series' object has no attribute 'lower'"))
        with pytest.raises(error, match=match):
            MultiOutputClassifier(base).fit(X, Y.eq("p").astype(int))



@pytest.mark.parametrize("Est", [IndependentTaskClassifier, LabelProductClassifier])
def test_a_frame_of_text_is_refused_behind_passthrough_and_in_a_feature_union(Est):
    # a Pipeline that starts with "passthrough", or with a FeatureUnion of word and
    # character n-grams, reads a DataFrame as its column names, as a vectorizer first
    # does: fit failed on "inconsistent numbers of samples: [1, 18]" rather than naming
    # the text column to pass; the text itself fits, and a union of numeric parts is
    # left to read the frame
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline, make_pipeline, make_union
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    df, Y = _review_data()
    union = make_union(TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb"))
    for base in (Pipeline([("skip", "passthrough"), ("tfidf", TfidfVectorizer()),
                           ("lr", LogisticRegression())]),
                 make_pipeline(union, LogisticRegression())):
        with pytest.raises(ValueError, match=r"^X is a DataFrame, but the base estimator "
                                             r"Pipeline reads one text document a sample\. "
                                             r"Its TfidfVectorizer .* X\['review'\]"):
            Est(base).fit(df, Y)
        model = Est(base).fit(df["review"], Y)
        assert model.predict(df["review"]).shape == (18, 2)
    numeric = make_pipeline(make_union(StandardScaler(), FunctionTransformer()),
                            LogisticRegression())
    X = pd.DataFrame({"n": np.arange(18.0)})
    assert Est(numeric).fit(X, Y).predict(X).shape == (18, 2)


@pytest.mark.parametrize("Est", [IndependentTaskClassifier, TaskChainClassifier])
def test_one_vs_one_decision_values_become_per_class_values(Est):
    # SVC(decision_function_shape="ovo") gives one column per pair of classes: with 3
    # classes they were returned as if they were the classes' own scores (their argmax
    # agreed with predict on a quarter of the samples), with 4 the shapes clashed
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    Y = np.column_stack([np.digitize(X[:, 0], [-0.5, 0.5]), np.digitize(X[:, 1], [-0.6, 0, 0.6])])
    kwargs = {"chain_method": "predict"} if Est is TaskChainClassifier else {}
    for base in (SVC(decision_function_shape="ovo"),
                 make_pipeline(StandardScaler(), SVC(decision_function_shape="ovo"))):
        model = Est(base, **kwargs).fit(X, Y)
        ovr = Est(clone(base).set_params(**{
            ("svc__" if hasattr(base, "steps") else "") + "decision_function_shape": "ovr"
        }), **kwargs).fit(X, Y)
        decision, expected = model.decision_function(X), ovr.decision_function(X)
        assert [d.shape for d in decision] == [(80, 3), (80, 4)]
        for got, want in zip(decision, expected, strict=True):
            np.testing.assert_allclose(got, want)
        np.testing.assert_array_equal(
            np.column_stack([d.argmax(axis=1) for d in decision]), model.predict(X))


@pytest.mark.parametrize("as_splitter", [False, True])
def test_chain_cv_splits_of_every_sample_restricted_to_a_links_samples(as_splitter):
    # cv as (train, test) index pairs over the samples of fit (or a PredefinedSplit)
    # was applied to the labelled samples of a link only: an IndexError ("index 28 is
    # out of bounds for axis 0 with size 28") as soon as a label was missing
    from sklearn.model_selection import KFold, PredefinedSplit

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    Y = pd.DataFrame({"a": (X[:, 0] > 0).astype(float), "b": (X[:, 1] > 0).astype(int)})
    Y.loc[[0, 5, 29], "a"] = np.nan
    splits = list(KFold(3).split(X))
    cv = PredefinedSplit(np.arange(30) // 10) if as_splitter else splits
    chain = TaskChainClassifier(lr(), cv=cv).fit(X, Y)
    # by hand: each fold's link fitted on the labelled samples of its training part,
    # the held-out labelled samples get its probabilities, the unlabelled the full link's
    labelled = Y["a"].notna().to_numpy()
    feature = lr().fit(X[labelled], Y["a"][labelled]).predict_proba(X)[:, 1]
    for train, test in splits:
        train, test = train[labelled[train]], test[labelled[test]]
        feature[test] = lr().fit(X[train], Y["a"][train]).predict_proba(X[test])[:, 1]
    second = lr().fit(np.column_stack([X, feature]), Y["b"])
    np.testing.assert_allclose(chain.estimators_[0][1].coef_, second.coef_)
    with pytest.raises(ValueError, match=r"fold with the index 29, but fit has 29 samples"):
        TaskChainClassifier(lr(), cv=splits).fit(X[:29], Y.iloc[:29])


def test_partial_fit_leaves_a_task_whose_labelled_samples_all_weigh_zero():
    # a batch whose labelled samples of a task all have sample_weight 0: the task was
    # passed to SGDClassifier.partial_fit, which refused ("Task 'b': Sample weights must
    # contain at least one non-zero number"); a sample of weight 0 is as if absent
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import SGDClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"), "b": np.arange(40) % 3})
    weight = (Y["b"] == 0).to_numpy(float)
    Yb = Y.assign(b=Y["b"].where(Y["b"] > 0))  # b is labelled where the weight is 0
    clf = IndependentTaskClassifier(SGDClassifier(random_state=0)).partial_fit(X, Y)
    coef = clf.estimators_[1].coef_.copy()
    clf.partial_fit(X, Yb, sample_weight=weight)
    np.testing.assert_array_equal(clf.estimators_[1].coef_, coef)
    alone = SGDClassifier(random_state=0).partial_fit(X, Y["a"], classes=["x", "y"])
    alone.partial_fit(X, Y["a"], sample_weight=weight)
    np.testing.assert_array_equal(clf.estimators_[0].coef_, alone.coef_)
    first = IndependentTaskClassifier(SGDClassifier(random_state=0)).partial_fit(
        X, Yb, sample_weight=weight, classes={"a": ["x", "y"], "b": [0, 1, 2]})
    with pytest.raises(NotFittedError, match=r"Task\(s\) \['b'\] had no annotated"):
        first.predict(X)


def test_label_product_leaves_out_a_combination_seen_only_with_weight_zero():
    # a combination whose samples all weigh 0 was a class of the model: one of no weight,
    # which "balanced" class weights divided by (NaN: uniform probabilities from a
    # LogisticRegression, a RandomForestClassifier refused the weights); a sample of
    # weight 0 is as if dropped, as fitting on the rows repeated by their weights
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "p", "q"),
                      "b": np.where(X[:, 1] > 0, "r", "s")})
    only_zero = ((Y["a"] == "q") & (Y["b"] == "s")).to_numpy()
    w = np.where(only_zero, 0.0, rng.randint(1, 4, len(X)))
    rows = np.repeat(np.arange(len(X)), w.astype(int))
    for base in (lr(), LogisticRegression(max_iter=300, class_weight="balanced")):
        weighted = LabelProductClassifier(base).fit(X, Y, sample_weight=w)
        repeated = LabelProductClassifier(base).fit(X[rows], Y.iloc[rows])
        assert weighted.n_combinations_ == repeated.n_combinations_ == 3
        pd.testing.assert_frame_equal(weighted.predict(X), repeated.predict(X))
        for p, q in zip(weighted.predict_proba(X), repeated.predict_proba(X), strict=True):
            np.testing.assert_allclose(p, q, atol=1e-6)
    forest = RandomForestClassifier(n_estimators=3, class_weight="balanced", random_state=0)
    assert LabelProductClassifier(forest).fit(X, Y, sample_weight=w).n_combinations_ == 3
    # the samples of positive weight each miss a label: no combination has a weight
    half = np.arange(len(X)) % 2 == 0
    gaps = Y.assign(a=Y["a"].where(only_zero | half), b=Y["b"].where(only_zero | ~half))
    with pytest.raises(ValueError, match=r"sample_weight is 0 for each of the 10 fully "
                                         r"annotated sample\(s\)"):
        LabelProductClassifier(lr()).fit(X, gaps, sample_weight=w)


def test_chain_cv_as_a_generator_of_splits_gives_every_link_the_same_folds():
    # KFold(3).split(X), a generator, was used up by the first cross-validated link:
    # the next one got no fold and raised that cv gave no partition
    from sklearn.model_selection import KFold

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    Y = (X + 0.5 * rng.normal(size=X.shape) > 0).astype(int)
    splits = list(KFold(3).split(X))
    for n_chains in (1, 2):
        ours = TaskChainClassifier(lr(), cv=KFold(3).split(X), chain_method="predict",
                                   n_chains=n_chains, random_state=0).fit(X, Y)
        listed = TaskChainClassifier(lr(), cv=splits, chain_method="predict",
                                     n_chains=n_chains, random_state=0).fit(X, Y)
        np.testing.assert_array_equal(ours.decision_function(X),
                                      listed.decision_function(X))
    chain = ClassifierChain(lr(), cv=splits, chain_method="predict").fit(X, Y)
    ours = TaskChainClassifier(lr(), cv=iter(splits), chain_method="predict").fit(X, Y)
    np.testing.assert_allclose(ours.decision_function(X), chain.decision_function(X))


@pytest.mark.parametrize("Est", [IndependentTaskClassifier, TaskChainClassifier])
def test_a_base_models_error_at_prediction_names_its_task(Est):
    # a gated task's model is fitted on the samples of its gate on only: its
    # OneHotEncoder never saw the shop that only cars "no" visit, and predicting the
    # training samples failed with scikit-learn's "Found unknown categories", naming
    # neither the task nor why
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    n = 24
    X = pd.DataFrame({"shop": np.array(["a", "b", "c"])[np.arange(n) % 3]})
    car = np.where((X["shop"] == "c") | (np.arange(n) % 2 == 0), "no", "yes").astype(object)
    color = np.where(np.arange(n) % 4 < 2, "red", "blue").astype(object)
    color[car == "no"] = None
    Y = pd.DataFrame({"car": car, "color": color})
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    model = Est(make_pipeline(OneHotEncoder(), lr()), tasks=tasks).fit(X, Y)
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(ValueError, match=r"^Task 'color': Found unknown categories "
                                             r"\['c'\] .*\. Its model was fitted on the "
                                             r"samples where the task applies .* "
                                             r"handle_unknown='ignore'"):
            getattr(model, method)(X)
    ignore = make_pipeline(OneHotEncoder(handle_unknown="ignore"), lr())
    assert Est(ignore, tasks=tasks).fit(X, Y).predict(X).shape == (n, 2)
    # a label's model is named without a stray comma, in fit as at prediction
    A = np.random.RandomState(0).normal(size=(n, 2))
    sets = [{"x"} if i % 2 else {"y"} for i in range(n)]
    gaps = A.copy()
    gaps[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^Task 'y', label 'x': Input X contains NaN"):
        Est(lr()).fit(gaps, sets)


def test_chain_names_a_cross_validated_label_link_without_a_stray_comma():
    # A multilabel task's label link, cross-validated for the later links' features,
    # was named "Task 'tags', label 'x',, cross-validated ..." in its fold warnings and
    # errors (the label's name ends in a comma, for "... has no annotated sample").
    from sklearn.model_selection import KFold

    n = 24
    X = np.random.RandomState(0).normal(size=(n, 2))
    tags = [({"x"} if i < 2 else set()) | ({"y"} if i % 2 else set()) for i in range(n)]
    Y = pd.DataFrame({"tags": tags, "b": ["u", "v"] * 12})
    with pytest.warns(UserWarning, match=r"^Task 'tags', label 'x', cross-validated "
                                         r"\(cv=KFold.*\) for the later links' features: "
                                         r"training fold 0 holds a single class"):
        TaskChainClassifier(lr(), cv=KFold(3), order=["tags", "b"]).fit(X, Y)


def test_a_later_partial_fit_batch_without_y_is_refused_as_the_first_one():
    # a later batch with y=None said "The encoder was fitted on a DataFrame; got
    # NoneType", where the first batch (and fit) say that y is required
    from sklearn.linear_model import SGDClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(20, 3)
    Y = pd.DataFrame({"a": [0, 1] * 10, "b": ["x", "y"] * 10})
    model = IndependentTaskClassifier(SGDClassifier(random_state=0)).partial_fit(X, Y)
    with pytest.raises(ValueError, match=r"^IndependentTaskClassifier requires y to be "
                                         r"passed, but the target y is None\.$"):
        model.partial_fit(X, None)
