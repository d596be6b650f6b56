import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from sklearn_mtl import Task, compare, format_comparison
from sklearn_mtl._compare import MostFrequentBaseline
from sklearn_mtl.datasets import make_multitask_classification
from sklearn_mtl.metrics import exact_match_score


class _Oracle(BaseEstimator):
    """Memorises Y by the first feature (an index): a perfect model on any fold."""

    def fit(self, X, Y):
        self.table_ = dict(zip(np.asarray(X)[:, 0].astype(int), Y.to_dict("records")))
        self.fitted_rows_ = set(self.table_)
        return self

    def predict(self, X):
        keys = np.asarray(X)[:, 0].astype(int)
        assert not self.fitted_rows_ & set(keys), "refitted on the test fold"
        return pd.DataFrame([ALL[k] for k in keys])


ALL = {}


@pytest.fixture
def data():
    X, Y = make_multitask_classification(
        60, n_classes={"car": 2, "color": 3}, gates={"color": ("car", 1)}, missing_rate=0.1,
        random_state=0,
    )
    X = np.column_stack([np.arange(60), X])
    ALL.clear()
    ALL.update(dict(enumerate(Y.to_dict("records"))))
    return X, Y


def test_compare_table(data):
    X, Y = data
    before = Y.copy()
    table, details = compare(
        {"oracle": _Oracle(), "prior": MostFrequentBaseline()}, X, Y, cv=3, progress=False,
        return_details=True,
    )
    pd.testing.assert_frame_equal(Y, before)
    assert list(table.index) == ["oracle", "prior"]
    metrics = list(dict.fromkeys(table.columns.get_level_values(0)))
    assert metrics == ["exact_match", "hamming_loss", "mean_task_accuracy", "car accuracy",
                       "car f1_macro", "color accuracy", "color f1_macro", "fit_time",
                       "predict_time"]
    assert table.loc["oracle", ("exact_match", "mean")] == 1.0
    assert table.loc["oracle", ("exact_match", "std")] == 0.0
    assert table.loc["oracle", ("hamming_loss", "mean")] == 0.0
    assert table.loc["prior", ("exact_match", "mean")] < 1.0
    assert (table.xs("fit_time", axis=1, level=0)["mean"] >= 0).all()
    folds = details["folds"]
    assert len(folds) == 6 and set(folds["fold"]) == {0, 1, 2}
    # per-fold values average to the table's
    fold_mean = folds.loc[folds["model"] == "prior", "exact_match"].mean()
    assert table.loc["prior", ("exact_match", "mean")] == pytest.approx(fold_mean)
    assert len(details["estimators"]["prior"]) == 3
    # out-of-fold predictions cover every sample
    oof = details["predictions"]["prior"]
    assert oof.n_samples == 60
    assert exact_match_score(details["Y"], details["predictions"]["oracle"]) == 1.0


def test_compare_uses_given_splitter_and_formats(data):
    X, Y = data
    splits = list(KFold(2).split(X))
    table = compare({"prior": MostFrequentBaseline()}, X, Y, cv=splits, progress=False)
    formatted = format_comparison(table)
    assert formatted.loc["prior", "exact_match"].count("±") == 1
    assert list(formatted.columns)[:2] == ["exact_match", "hamming_loss"]


def test_compare_with_schema_and_array_predictions():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = pd.DataFrame({"a": rng.choice(["x", "y"], 30), "b": rng.choice(["u", "v", "w"], 30)})

    class ArrayPredictor(MostFrequentBaseline):
        def predict(self, X):
            return super().predict(X).to_numpy()

    tasks = [Task("a", classes=["x", "y"]), Task("b", classes=["u", "v", "w"])]
    table = compare({"arr": ArrayPredictor()}, X, Y, cv=3, schema=tasks, progress=False)
    assert 0 <= table.loc["arr", ("exact_match", "mean")] <= 1


def test_compare_scores_regression_tasks_with_rmse_and_r2():
    from sklearn.metrics import mean_squared_error, r2_score

    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 2))
    Y = pd.DataFrame({"a": rng.choice(["x", "y"], 20), "size": rng.normal(10, 3, 20)})
    Y.loc[3, "size"] = np.nan  # a missing value: left out of its fold's scores
    tasks = [Task("a"), Task("size", kind="regression")]
    splits = list(KFold(2).split(X))
    table = compare({"prior": MostFrequentBaseline(tasks=tasks)}, X, Y, cv=splits,
                    progress=False)
    rmse, r2 = [], []
    for train, test in splits:
        mean = Y["size"].iloc[train].mean()  # the prior predicts the training mean
        true = Y["size"].iloc[test].dropna()
        pred = np.full(len(true), mean)
        rmse.append(np.sqrt(mean_squared_error(true, pred)))
        r2.append(r2_score(true, pred))
    assert table.loc["prior", ("size rmse", "mean")] == pytest.approx(np.mean(rmse))
    assert table.loc["prior", ("size r2", "mean")] == pytest.approx(np.mean(r2))
    assert table.loc["prior", ("size r2", "std")] == pytest.approx(np.std(r2))
    metrics = list(dict.fromkeys(table.columns.get_level_values(0)))
    assert metrics.index("size rmse") == metrics.index("a f1_macro") + 1
    assert "size accuracy" not in metrics


def test_compare_errors(data):
    X, Y = data

    class Broken(MostFrequentBaseline):
        def fit(self, X, Y, sample_weight=None):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        compare({"broken": Broken()}, X, Y, cv=2, progress=False)
    with pytest.warns(RuntimeWarning, match="Model .broken. failed on fold"):
        table = compare({"broken": Broken()}, X, Y, cv=2, progress=False, error_score=np.nan)
    assert np.isnan(table.loc["broken", ("exact_match", "mean")])
    with pytest.raises(ValueError, match="non-empty dict"):
        compare([], X, Y)
    with pytest.raises(ValueError, match=r"names \['p'\] are given more than once"):
        compare([("p", MostFrequentBaseline()), ("p", MostFrequentBaseline())], X, Y)
    with pytest.raises(ValueError, match="has no fit/predict"):
        compare({"x": object()}, X, Y)
    with pytest.raises(ValueError, match=r"The .cv. parameter of compare must be an int "
                                         r"in the range \[2, inf\)"):
        compare({"p": MostFrequentBaseline()}, X, Y, cv=1)


class _FailsOnFolds(MostFrequentBaseline):
    """Fails to fit where the training rows hold the sample numbered ``bad`` (column 0)."""

    def __init__(self, decode="independent", bad=-1):
        super().__init__(decode=decode)
        self.bad = bad

    def fit(self, X, Y, sample_weight=None):
        if self.bad in np.asarray(X)[:, 0]:
            raise RuntimeError("boom")
        return super().fit(X, Y)


def test_a_failed_fold_scores_as_cross_validate_scores_it(data):
    # error_score goes to the scores only: a loss (Hamming, RMSE) or a time set to 0
    # would be the best there is. With NaN, the model's means are NaN, as the mean of
    # cross_validate's scores would be, not the mean of the folds that survived.
    X, Y = data
    flaky = {"flaky": _FailsOnFolds(bad=0), "prior": MostFrequentBaseline()}
    cv = KFold(3)  # sample 0 trains in folds 1 and 2: they fail
    with pytest.warns(RuntimeWarning, match="Model 'flaky' failed on fold 1"):
        table, details = compare(flaky, X, Y, cv=cv, progress=False, error_score=np.nan,
                                 return_details=True)
    assert table.loc["flaky"].isna().all() and table.loc["prior"].notna().all()
    assert list(details["folds"]["failed"]) == [False, False, True, False, True, False]
    assert [m is None for m in details["estimators"]["flaky"]] == [False, True, True]
    with pytest.warns(RuntimeWarning):
        table = compare(flaky, X, Y, cv=cv, progress=False, error_score=0)
    ran = details["folds"].iloc[0]  # flaky's fold 0, the one that ran
    assert table.loc["flaky", ("exact_match", "mean")] == pytest.approx(ran["exact_match"] / 3)
    assert table.loc["flaky", ("hamming_loss", "mean")] == ran["hamming_loss"]  # not 0


def test_regression_tasks_alone_are_compared_on_their_rmse_and_r2():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = pd.DataFrame({"size": 2 * X[:, 0] + rng.normal(scale=0.1, size=30)})

    class Mean(BaseEstimator):
        def fit(self, X, Y):
            self.mean_ = float(np.mean(Y["size"]))
            return self

        def predict(self, X):
            return pd.DataFrame({"size": np.full(len(X), self.mean_)})

    table = compare({"mean": Mean()}, X, Y, cv=KFold(3), progress=False,
                    schema=[Task("size", kind="regression")])
    assert list(dict.fromkeys(table.columns.get_level_values(0))) == [
        "size rmse", "size r2", "fit_time", "predict_time"]
    assert table.loc["mean", ("size r2", "mean")] < 0  # the training folds' mean


def test_estimators_as_a_list_or_one_are_named_as_make_pipeline_names_steps():
    X, Y = make_multitask_classification(n_samples=60, n_classes=[2, 3], random_state=0)
    prior, tasks = MostFrequentBaseline(), MostFrequentBaseline(decode="joint")
    named = compare({"mostfrequentbaseline-1": prior, "mostfrequentbaseline-2": tasks},
                    X, Y, cv=3, progress=False)
    listed = compare([prior, tasks], X, Y, cv=3, progress=False)
    pd.testing.assert_frame_equal(listed.drop(columns=["fit_time", "predict_time"], level=0),
                                  named.drop(columns=["fit_time", "predict_time"], level=0))
    assert list(compare(prior, X, Y, cv=3, progress=False).index) == ["mostfrequentbaseline"]
    pairs = compare([("a", prior), ("b", tasks)], X, Y, cv=3, progress=False)
    assert list(pairs.index) == ["a", "b"]


def test_most_frequent_baseline_respects_gates():
    Y = pd.DataFrame({"car": ["no", "no", "yes"], "color": [None, None, "red"]})
    tasks = [Task("car"), Task("color", classes=["red", "blue"], gate=("car", "yes"))]
    with pytest.warns(UserWarning, match="single class 'red'"):
        model = MostFrequentBaseline(tasks=tasks).fit(np.zeros((3, 1)), Y)
    pred = model.predict(np.zeros((2, 1)))
    assert pred["car"].tolist() == ["no", "no"]
    assert pred["color"].isna().all()


def test_most_frequent_baseline_reads_no_feature_value():
    # as DummyClassifier: strings and gaps are fine, the column count still checked
    X = pd.DataFrame({"word": ["a", None, "b"], "x": [1.0, np.nan, 2.0]})
    Y = pd.DataFrame({"t": ["p", "q", "q"]})
    model = MostFrequentBaseline().fit(X, Y)
    assert model.predict(X)["t"].tolist() == ["q", "q", "q"]
    assert model.n_features_in_ == 2 and list(model.feature_names_in_) == ["word", "x"]
    with pytest.raises(ValueError, match="features"):
        model.predict(X[["x"]].to_numpy())


def _subjects(n_subjects=12, rows=4, seed=0):
    """Several rows a subject, labels constant within it and drawn at random across
    subjects; the subject's id is the only feature."""
    rng = np.random.RandomState(seed)
    subject = np.repeat(np.arange(n_subjects), rows)
    labels = rng.randint(0, 2, size=(n_subjects, 2))[subject]
    X = pd.DataFrame({"subject": subject.astype(float)})
    Y = pd.DataFrame({"a": labels[:, 0], "b": labels[:, 1]})
    return X, Y, subject


def _scores(table):
    return table.drop(columns=["fit_time", "predict_time"], level="metric")


def test_compare_groups_keep_each_group_in_one_fold():
    from sklearn.model_selection import GroupKFold
    from sklearn.neighbors import KNeighborsClassifier

    from sklearn_mtl import IndependentTaskClassifier
    from sklearn_mtl.model_selection import MultiTaskStratifiedGroupKFold

    X, Y, subject = _subjects()
    lookup = {"1nn": IndependentTaskClassifier(KNeighborsClassifier(n_neighbors=1))}
    table, details = compare(lookup, X, Y, cv=3, progress=False, return_details=True)
    # a plain split leaves a subject's other rows in training: the lookup nearly always holds
    plain = table.loc["1nn", ("exact_match", "mean")]
    assert plain > 0.9
    grouped, details = compare(lookup, X, Y, cv=3, groups=subject, progress=False,
                               return_details=True)
    for model in details["estimators"]["1nn"]:  # no test subject among the training ones
        seen = set(model.estimators_[0]._fit_X[:, 0])
        assert len(seen) == 8  # 8 of the 12 subjects train each fold
    # the same folds as the stratified group splitter's, shuffled with the same seed
    splits = list(MultiTaskStratifiedGroupKFold(3, shuffle=True, random_state=0).split(
        X, Y, groups=subject))
    for (train, test), model in zip(splits, details["estimators"]["1nn"]):
        assert set(model.estimators_[0]._fit_X[:, 0]) == set(subject[train])
        assert not set(subject[train]) & set(subject[test])
    explicit = compare(lookup, X, Y, cv=splits, progress=False)
    pd.testing.assert_frame_equal(_scores(grouped), _scores(explicit))
    # a subject never seen takes a neighbour's random labels
    assert grouped.loc["1nn", ("exact_match", "mean")] < plain - 0.3
    # groups reach a given group splitter too
    via_splitter = compare(lookup, X, Y, cv=MultiTaskStratifiedGroupKFold(
        3, shuffle=True, random_state=0), groups=subject, progress=False)
    pd.testing.assert_frame_equal(_scores(grouped), _scores(via_splitter))
    plain_groups = compare(lookup, X, Y, cv=GroupKFold(3), groups=subject, progress=False,
                           return_details=True)[1]
    for model, (_, test) in zip(plain_groups["estimators"]["1nn"],
                                GroupKFold(3).split(X, groups=subject)):
        assert not set(model.estimators_[0]._fit_X[:, 0]) & set(subject[test])


def test_compare_groups_errors_and_ignored_warning():
    from sklearn_mtl.model_selection import MultiTaskStratifiedKFold

    X, Y, subject = _subjects()
    model = {"p": MostFrequentBaseline()}
    with pytest.raises(ValueError, match=r"groups must hold one value per sample: "
                       r"expected shape \(48,\), got \(47,\)"):
        compare(model, X, Y, cv=3, groups=subject[:-1], progress=False)
    with_gap = subject.astype(float)
    with_gap[5] = np.nan
    with pytest.raises(ValueError, match=r"groups has 1 missing value\(s\) \(first at "
                       r"position 5\)"):
        compare(model, X, Y, cv=3, groups=with_gap, progress=False)
    original = subject.copy()
    with pytest.warns(UserWarning, match="groups parameter is ignored by "
                      "MultiTaskStratifiedKFold"):
        compare(model, X, Y, cv=MultiTaskStratifiedKFold(3), groups=subject, progress=False)
    np.testing.assert_array_equal(subject, original)  # the user's groups are not touched


class Recording(MostFrequentBaseline):
    """Keeps the groups its ``fit`` got."""

    def fit(self, X, Y, sample_weight=None, groups=None):
        self.groups_ = groups
        return super().fit(X, Y)


def test_compare_passes_groups_to_a_fit_that_takes_them():
    X, Y, subject = _subjects()

    _, details = compare({"r": Recording(), "p": MostFrequentBaseline()}, X, Y, cv=3,
                         groups=subject, progress=False, return_details=True)
    for model in details["estimators"]["r"]:
        # the training samples' groups, in the training samples' order
        np.testing.assert_array_equal(model.groups_, X["subject"].to_numpy()[
            np.isin(X["subject"], model.groups_)].astype(int))
        assert len(set(model.groups_)) == 8
    _, details = compare({"r": Recording()}, X, Y, cv=3, progress=False, return_details=True)
    assert all(model.groups_ is None for model in details["estimators"]["r"])


def test_compare_passes_groups_to_a_search_over_group_folds():
    # GridSearchCV takes groups among its **params, for its cv: a search over GroupKFold
    # inside compare gets its training samples' groups (else "The 'groups' parameter
    # should not be None").
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, GroupKFold

    from sklearn_mtl import IndependentTaskClassifier

    X, Y, subject = _subjects()
    search = GridSearchCV(IndependentTaskClassifier(LogisticRegression()),
                          {"estimator__C": [0.1, 1.0]}, cv=GroupKFold(2))
    _, details = compare({"search": search}, X, Y, cv=3, groups=subject, progress=False,
                         return_details=True)
    for fitted in details["estimators"]["search"]:
        assert fitted.best_params_["estimator__C"] in (0.1, 1.0)
    # a search over a single-output classifier is still refused by name
    with pytest.raises(ValueError, match=r"Model 'plain' \(GridSearchCV\) predicts a single "
                                         r"target"):
        compare({"plain": GridSearchCV(LogisticRegression(), {"C": [1.0]})}, X, Y, cv=3,
                progress=False)


def test_compare_passes_groups_to_a_pipelines_final_step():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, Y, subject = _subjects()

    _, details = compare({"r": make_pipeline(StandardScaler(), Recording())}, X, Y, cv=3,
                         groups=subject, progress=False, return_details=True)
    for pipe in details["estimators"]["r"]:
        assert len(pipe[-1].groups_) == 32 and len(set(pipe[-1].groups_)) == 8


def test_compare_passes_groups_to_a_selector_in_a_pipeline():
    # The selector's probes hold out whole patients, so the identifier that recalls a
    # patient's label on shuffled folds is dropped in every training fold.
    from sklearn.pipeline import make_pipeline

    from sklearn_mtl import TaskFeatureSelector

    # (Neighbouring patients' labels differ, so that a patient's number tells nothing of
    # a patient not seen: random labels may run along the numbers by chance.)
    rng = np.random.default_rng(0)
    patient = np.repeat(np.arange(60), 6)
    X = pd.DataFrame({"patient": patient, "a": rng.normal(size=360)})
    Y = pd.DataFrame({"treated": np.where(patient % 2 == 0, "yes", "no"),
                      "high": np.where(X["a"] > 0, "y", "n")})
    model = make_pipeline(TaskFeatureSelector(threshold=3, random_state=0), Recording())
    _, details = compare({"s": model}, X, Y, cv=3, groups=patient, progress=False,
                         return_details=True)
    for pipe in details["estimators"]["s"]:
        assert pipe[0].get_feature_names_out().tolist() == ["a"]
        assert len(set(pipe[-1].groups_)) == 40


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_compare_raises_the_fits_warnings_in_the_caller_once_each(n_jobs):
    # A fit's warnings reach the caller, also from worker processes (where they would
    # be lost), each distinct one once per comparison, under the caller's filters.
    import warnings

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_mtl import LabelProductClassifier
    from sklearn_mtl.datasets import load_penguins

    X, Y = load_penguins()  # 9 penguins of unknown sex: the label product leaves them out
    model = make_pipeline(StandardScaler(), LabelProductClassifier(LogisticRegression()))
    cv = KFold(3, shuffle=True, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        table = compare({"product": model}, X, Y, cv=cv, progress=False, n_jobs=n_jobs)
    left_out = [str(w.message) for w in caught if "left out" in str(w.message)]
    assert len(left_out) == len(set(left_out)) >= 1  # each distinct message once
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = compare({"product": model}, X, Y, cv=cv, progress=False)
    metrics = [m for m in table.columns.get_level_values(0) if not m.endswith("_time")]
    pd.testing.assert_frame_equal(table[metrics], again[metrics])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")  # the caller's filters decide
        compare({"product": model}, X, Y, cv=cv, progress=False, n_jobs=n_jobs)
    assert not caught


def test_compare_warns_of_a_task_s_labels_left_in_X():
    # A label column left in X (as taken from one table, X = df.drop(columns="id")), or
    # recoded (bools), gives near-perfect folds; compare names it and how to drop it.
    import warnings

    from sklearn_mtl import LeakageWarning

    rng = np.random.default_rng(0)
    Y = pd.DataFrame({"sex": rng.choice(["f", "m"], 40), "grade": rng.choice(["a", "b", "c"], 40)})
    Y.loc[3, "grade"] = None  # a missing label does not hide the copy
    X = pd.DataFrame({"height": rng.normal(size=40), "sex": Y["sex"],
                      "is_a": (Y["grade"] == "a").astype(float), "g": Y["grade"].map(
                          {"a": 2, "b": 0, "c": 1}).astype("Int64")})
    with pytest.warns(LeakageWarning) as caught:
        compare({"prior": MostFrequentBaseline()}, X, Y, cv=2, progress=False)
    messages = sorted(str(w.message) for w in caught if w.category is LeakageWarning)
    assert len(messages) == 2  # 'is_a' holds one class of 'grade', not its labels
    assert messages[0].startswith("The column 'g' of X holds the labels of 'grade': ")
    assert messages[1].startswith("The column 'sex' of X holds the labels of 'sex': ")
    assert messages[1].endswith("Leave the labels out of X: X.drop(columns=['sex']).")
    with pytest.warns(LeakageWarning, match=r"The column 1 of X holds the labels of 'sex'"
                      r".*np\.delete\(X, 1, axis=1\)\.$"):
        compare({"prior": MostFrequentBaseline()}, X[["height", "sex"]].to_numpy(dtype=object),
                Y, cv=2, progress=False)
    with warnings.catch_warnings():  # features that only inform the labels: no warning
        warnings.simplefilter("error", LeakageWarning)
        compare({"prior": MostFrequentBaseline()}, X[["height", "is_a"]], Y, cv=2,
                progress=False)


def test_compare_names_the_task_and_class_too_rare_for_the_folds():
    # scikit-learn's "The least populated class in y" names nothing of a structured Y:
    # the warning then lists the task=class pairs with fewer samples than folds, the
    # rarest first.
    Y = pd.DataFrame({"race": [1] * 20 + [2] * 8 + [7, 4, 4, 1],
                      "town": ["a", "b"] * 15 + ["c", "c"]})
    X = np.arange(32.0).reshape(-1, 1)
    with pytest.warns(UserWarning) as caught:
        compare({"prior": MostFrequentBaseline()}, X, Y, cv=3, progress=False)
    (message,) = [str(w.message) for w in caught if "least populated" in str(w.message)]
    assert message == (
        "The least populated class in y has only 1 members, which is less than n_splits=3. "
        "The labels with fewer members than folds: race=7 (1), race=4 (2), town='c' (2).")


def test_task_report_names_the_task_of_an_ill_defined_precision():
    # scikit-learn's UndefinedMetricWarning says "in labels with no predicted samples";
    # on several tasks it says which task, after scikit-learn's words (filters match them).
    import warnings

    from sklearn.exceptions import UndefinedMetricWarning

    from sklearn_mtl.metrics import task_report

    Y = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": ["p", "q", "q", "p"]})
    P = pd.DataFrame({"a": ["x", "x", "x", "x"], "b": ["p", "q", "q", "q"]})
    with pytest.warns(UndefinedMetricWarning) as caught:
        report = task_report(Y, P)
    messages = {str(w.message) for w in caught if w.category is UndefinedMetricWarning}
    assert messages == {"Precision is ill-defined and being set to 0.0 in labels with no "
                        "predicted samples. Use `zero_division` parameter to control this "
                        "behavior. (task 'a')"}
    assert report.loc["a", "precision_macro"].item() == 0.25
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Precision is ill-defined",
                                category=UndefinedMetricWarning)
        with pytest.raises(UndefinedMetricWarning, match=r"\(task 'a'\)$"):
            task_report(Y, P)


def test_a_missing_date_of_a_regression_task_is_a_missing_label_not_a_value():
    # pandas reads NaT as the int64 minimum (about -9.2e18 of the column's unit): as a
    # value, it made the task's mean, its standardisation and its RMSE meaningless.
    from sklearn.metrics import r2_score, root_mean_squared_error

    from sklearn_mtl import StructuredLabelEncoder

    days = pd.to_timedelta([1, 3, 2, None, 5, 4], unit="D")
    Y = pd.DataFrame({"a": ["x", "y"] * 3, "wait": days,
                      "when": pd.Timestamp("2020-01-01") + days})
    tasks = [Task("a"), Task("wait", kind="regression"), Task("when", kind="regression")]
    encoded = StructuredLabelEncoder(tasks=tasks).fit_transform(Y)
    day = 86400e6  # in microseconds, pandas' unit of these columns
    assert encoded.regression["wait"].tolist() == pytest.approx(
        [day, 3 * day, 2 * day, np.nan, 5 * day, 4 * day], nan_ok=True)
    assert np.isnan(encoded.regression["when"][3])

    class Mean(BaseEstimator):
        def fit(self, X, Y):
            self.mean_ = Y["wait"].mean()  # pandas' mean leaves NaT out
            return self

        def predict(self, X):
            return pd.DataFrame({"a": ["x"] * len(X), "wait": [self.mean_] * len(X),
                                 "when": [pd.Timestamp("2020-01-03")] * len(X)})

    X = np.arange(6.0).reshape(-1, 1)
    table = compare({"mean": Mean()}, X, Y, cv=KFold(2), schema=tasks, progress=False)
    rmse, r2 = [], []
    for train, test in KFold(2).split(X):
        true = Y["wait"].iloc[test].dropna() / pd.Timedelta(microseconds=1)
        pred = np.full(len(true), Y["wait"].iloc[train].mean() / pd.Timedelta(microseconds=1))
        rmse.append(root_mean_squared_error(true, pred))
        r2.append(r2_score(true, pred))
    assert table.loc["mean", ("wait rmse", "mean")] == pytest.approx(np.mean(rmse))
    assert table.loc["mean", ("wait r2", "mean")] == pytest.approx(np.mean(r2))


def test_format_comparison_shows_a_small_rmse_in_its_units_not_as_zero():
    # a target of about 1e-4 (a concentration in mol/L): 3 decimals read "0.000 ± 0.000"
    columns = pd.MultiIndex.from_product(
        [["tiny rmse", "tiny r2", "mass rmse", "fit_time"], ["mean", "std"]])
    table = pd.DataFrame([[0.00012345, 0.0000021, 0.5, 0.25, 451.1234, 20.5, 0.01, 0.002]],
                         index=["m"], columns=columns)
    formatted = format_comparison(table)
    assert formatted.loc["m"].tolist() == [
        "0.000123 ± 0.000002", "0.500 ± 0.250", "451.123 ± 20.500", "0.0100 ± 0.0020"]
    assert format_comparison(table, decimals=2).loc["m", "tiny rmse"] == "0.00012 ± 0.00000"


def test_a_scorer_of_make_scorer_scores_a_regression_task_as_on_a_regressor():
    # scikit-learn's regression metrics beyond the four named ones (median absolute
    # error, MAPE, ...) come through make_scorer; they were refused as classification
    # scorers. Scored over the samples with a value, sample_weight cut to them.
    from sklearn.metrics import (
        make_scorer,
        mean_absolute_percentage_error,
        median_absolute_error,
        roc_auc_score,
    )

    from sklearn_mtl.metrics import make_task_scorer

    Y = pd.DataFrame({"a": ["x", "y", "x", "y", "x"],
                      "size": [10.0, np.nan, 30.0, 40.0, 50.0]})
    tasks = [Task("a"), Task("size", kind="regression")]
    prior = MostFrequentBaseline(tasks=tasks).fit(np.zeros((5, 1)), Y)  # the mean: 32.5
    X = np.zeros((5, 1))
    true = np.array([10.0, 30.0, 40.0, 50.0])
    pred = np.full(4, 32.5)
    w = np.array([1.0, 5.0, 2.0, 1.0, 3.0])
    mape = make_scorer(mean_absolute_percentage_error, greater_is_better=False)
    assert make_task_scorer(mape, task="size")(prior, X, Y) == pytest.approx(
        -mean_absolute_percentage_error(true, pred))
    assert make_task_scorer(mape, task="size")(prior, X, Y, sample_weight=w) == (
        pytest.approx(-mean_absolute_percentage_error(true, pred, sample_weight=w[[0, 2, 3, 4]])))
    medae = make_scorer(median_absolute_error, greater_is_better=False)
    assert make_task_scorer(medae, task="size")(prior, X, Y) == -median_absolute_error(true,
                                                                                       pred)
    auc = make_scorer(roc_auc_score, response_method="predict_proba")
    with pytest.raises(ValueError, match="Task 'size' is a regression task, which has no "
                                         "'predict_proba'"):
        make_task_scorer(auc, task="size")(prior, X, Y)
    with pytest.raises(ValueError, match="'roc_auc' scores a classification task"):
        make_task_scorer("roc_auc", task="size")(prior, X, Y)


def test_a_stream_begun_with_one_quantity_takes_its_scaling_from_the_first_spread():
    # partial_fit kept the first batch's scaling: from one labelled row, a standard
    # deviation of 1, so the network trained on the grams themselves, their squared
    # error swamping the cross-entropies next to them
    import torch

    from sklearn_mtl import MultiTaskClassifier

    torch.set_num_threads(1)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(41, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "p", "q"),
                      "mass": 4000 + 800 * X[:, 1]})
    tasks = [Task("a", classes=["p", "q"]), Task("mass", kind="regression")]
    model = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), ensemble_size=1,
                                max_epochs=1, random_state=0)
    model.partial_fit(X[:1], Y[:1])
    assert model._target_scaling["mass"] == (Y["mass"][0], 1.0)
    model.partial_fit(X[1:21], Y[1:21])  # the first labels that spread: they scale it
    batch = Y["mass"][1:21].to_numpy()
    mean, std = model._target_scaling["mass"]
    assert mean == pytest.approx(batch.mean()) and std == pytest.approx(batch.std())
    model.partial_fit(X[21:], Y[21:])  # then kept, as a warm start keeps it
    assert model._target_scaling["mass"] == (mean, std)
    # the outputs stay in grams across the change of scale
    assert np.abs(model.predict(X)["mass"] - Y["mass"]).mean() < 2 * Y["mass"].std()


def test_a_complex_regression_label_is_refused_not_cut_to_its_real_part():
    from sklearn_mtl import StructuredLabelEncoder

    encoder = StructuredLabelEncoder(tasks=[Task("z", kind="regression")])
    Y = pd.DataFrame({"z": np.array([1.0, 2 + 0.5j, 3.0])})
    with pytest.raises(ValueError, match=r"Regression task 'z' expects numbers; got "
                                         r"\(2\+0\.5j\) in row 1 \(a complex number"):
        encoder.fit(Y)
    real = pd.DataFrame({"z": np.array([1.0, 2.0, 3.0], dtype=complex)})
    assert encoder.fit_transform(real).regression["z"].tolist() == [1.0, 2.0, 3.0]


class _GatesOffOneRow(BaseEstimator):
    """Right on every sample (``price`` 0.5 too high) but for sample 0 (column 1 its
    number), whose gate it predicts off: no price."""

    def fit(self, X, Y):
        return self

    def predict(self, X):
        X = np.asarray(X)
        car = np.where(X[:, 0] > 0, "yes", "no").astype(object)
        price = np.where(car == "yes", 10 + X[:, 0] + 0.5, np.nan)
        car[X[:, 1] == 0], price[X[:, 1] == 0] = "no", np.nan
        return pd.DataFrame({"car": car, "price": price})


def test_a_regression_value_a_fold_leaves_unpredicted_makes_the_mean_undefined():
    # The fold whose RMSE is undefined (a gate predicted off on a sample with a price)
    # was left out of the mean: the table read 0.5 ± 0.0, the other folds' RMSE, as if
    # the model had predicted every price. As the mean of cross_validate's scores, NaN.
    x = [1.0, 0.5, -0.5, 0.3, -0.3, 0.7, -0.7, 0.9, -0.9, 0.2, -0.2, 0.6]  # 2 cars a fold
    X = np.column_stack([x, np.arange(12)])
    car = np.where(X[:, 0] > 0, "yes", "no")
    Y = pd.DataFrame({"car": car, "price": np.where(car == "yes", 10 + X[:, 0], np.nan)})
    tasks = [Task("car"), Task("price", kind="regression", gate=("car", "yes"))]
    with pytest.warns(UserWarning, match=r"'m' predicts no value of regression task 'price'"
                      r".*\(1 in fold 0\)"):
        table, details = compare({"m": _GatesOffOneRow()}, X, Y, cv=KFold(3), schema=tasks,
                                 progress=False, return_details=True)
    rmse = details["folds"]["price rmse"]
    assert np.isnan(rmse[0]) and rmse[1:].tolist() == pytest.approx([0.5, 0.5])
    assert table.loc["m", ["price rmse", "price r2"]].isna().all()
    assert table.loc["m", ("car accuracy", "mean")] == pytest.approx((0.75 + 1 + 1) / 3)


def test_a_failed_fold_warns_with_scikit_learns_fit_failed_warning(data):
    from sklearn.exceptions import FitFailedWarning

    X, Y = data
    with pytest.warns(FitFailedWarning, match="Model 'flaky' failed on fold 1") as caught:
        compare({"flaky": _FailsOnFolds(bad=0)}, X, Y, cv=KFold(3), progress=False,
                error_score=0)
    # named at the caller's line, not in a wrapper around compare
    assert {w.filename for w in caught if w.category is FitFailedWarning} == {__file__}


def test_the_verdict_shows_a_small_lead_with_the_decimals_that_tell_it():
    # one sample in a few thousand: three decimals read "reaches 0.320, 0.000 less"
    from sklearn_mtl.cli import verdict

    def table(scores):
        return pd.DataFrame({("exact_match", "mean"): scores})

    assert verdict(table({"mtl": 0.32, "forest": 0.3203})) == (
        "Best exact match: forest (0.3203). A baseline wins this table: the network (mtl) "
        "reaches 0.3200, 0.0003 less.")
    assert verdict(table({"mtl": 0.3203, "forest": 0.32})).endswith(
        "The network wins; the best baseline, forest, reaches 0.3200.")
    assert verdict(table({"mtl": 0.5, "forest": 0.6})).endswith("reaches 0.500, 0.100 less.")
    assert verdict(table({"forest": 0.3, "mtl": 0.1 + 0.2})) == (
        "Best exact match: mtl (0.300). The network ties with the best baseline, forest: "
        "neither wins.")


def test_single_output_model_on_an_indicator_matrix_names_its_labels():
    # the error said "Y holds 1 task(s) ['labels']" of a 0/1 matrix of three columns
    from sklearn.datasets import make_multilabel_classification
    from sklearn.linear_model import LogisticRegression

    X, Y = make_multilabel_classification(n_samples=30, n_classes=3, random_state=0)
    with pytest.raises(ValueError, match=r"'lr' \(LogisticRegression\) predicts a single "
                       r"target, but Y holds a 0/1 indicator matrix of 3 labels"):
        compare({"lr": LogisticRegression()}, X, Y, cv=3, progress=False)


def test_the_verdict_shows_a_lead_that_rounds_apart_by_less_than_its_last_decimal():
    # 0.32051 and 0.32049 round apart at three decimals (0.321, 0.320), yet their
    # difference there read "0.000 less"
    from sklearn_mtl.cli import verdict

    table = pd.DataFrame({("exact_match", "mean"): {"mtl": 0.32049, "forest": 0.32051}})
    assert verdict(table) == (
        "Best exact match: forest (0.32051). A baseline wins this table: the network "
        "(mtl) reaches 0.32049, 0.00002 less.")


def test_sklearn_model_failing_on_missing_labels_is_told_to_wrap():
    # RandomForestClassifier fits several outputs, but no gap in them: scikit-learn's
    # "Input contains NaN" gets a hint to wrap it in IndependentTaskClassifier
    import warnings

    from sklearn.ensemble import RandomForestClassifier
    from sklearn.multioutput import MultiOutputClassifier
    from sklearn.svm import SVC

    from sklearn_mtl import IndependentTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    Y = pd.DataFrame({"a": rng.choice(["p", "q"], 40), "b": rng.choice(["u", "v", "w"], 40)})
    Y.loc[[3, 30], "a"] = None
    folds = [(np.arange(20), np.arange(20, 40)), (np.arange(20, 40), np.arange(20))]
    forest = RandomForestClassifier(n_estimators=3, random_state=0)
    with pytest.raises(ValueError, match="NaN") as info:
        compare({"f": forest}, X, Y, cv=folds, progress=False)
    assert info.value.__notes__[-1] == (
        "Y has missing or gated-off labels (2 in 'a'), which scikit-learn's "
        "RandomForestClassifier does not take (it reads them as NaN). Wrap it, e.g. "
        "IndependentTaskClassifier(RandomForestClassifier(...)), which fits each task on "
        "the rows where it has a label.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compare({"f": forest}, X, Y, cv=folds, progress=False, error_score=np.nan)
    assert any("Wrap it, e.g. IndependentTaskClassifier(RandomForestClassifier(...))"
               in str(w.message) for w in caught)
    # a 0/1 indicator matrix with a gap: scikit-learn's "Input y contains NaN." alike
    labels = rng.randint(0, 2, size=(40, 3)).astype(float)
    labels[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN") as info:
        compare({"f": forest}, X, labels, cv=folds, progress=False)
    assert "(1 in 'labels')" in info.value.__notes__[-1]
    # NaN in X is another failure: no hint
    X_gap = X.copy()
    X_gap[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN") as info:
        compare({"f": MultiOutputClassifier(SVC())}, X_gap, Y.fillna("p"), cv=folds,
                progress=False)
    assert not any("Wrap it" in n for n in info.value.__notes__)
    # wrapped, it fits each task on its labelled rows
    table = compare({"f": IndependentTaskClassifier(forest)}, X, Y, cv=folds, progress=False)
    assert table.loc["f", ("exact_match", "mean")] >= 0


def test_compare_groups_a_model_s_warnings_that_differ_only_in_numbers():
    # Each fold left out another number of samples: one warning a model, giving the
    # ranges and the fits, not one a fold (the report listed four lines for one model)
    import warnings

    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import LabelProductClassifier

    X = np.arange(24.0).reshape(12, 2)
    Y = pd.DataFrame({"a": ["x", "y"] * 6, "b": ["u", "u", "v"] * 4})
    Y.loc[[0, 1, 4], "a"] = None  # train sets of 8 rows leave out 1, 2 and 3 of them
    folds = [(np.setdiff1d(np.arange(12), test), test) for test in np.split(np.arange(12), 3)]
    product = LabelProductClassifier(LogisticRegression())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compare({"p": product, "q": product}, X, Y, cv=folds, progress=False)
    left_out = [str(w.message) for w in caught if "left out" in str(w.message)]
    text = ("LabelProductClassifier left out 1–3 of 8 samples that have a missing label: "
            "a label combination needs every applicable label. (in 3 fits of model {!r})")
    assert left_out == [text.format("p"), text.format("q")]
    assert all(w.category is UserWarning for w in caught if "left out" in str(w.message))


@pytest.mark.parametrize("estimators, shown", [
    ({"mtl": MostFrequentBaseline}, "Estimator 'mtl'"),
    ([("prior", MostFrequentBaseline)], "Estimator 'prior'"),
    ([MostFrequentBaseline(), MostFrequentBaseline], "Estimator at position 1"),
    (MostFrequentBaseline, "estimators"),
])
def test_an_estimator_class_given_for_an_instance_is_refused_by_name(data, estimators,
                                                                      shown):
    # a class has fit and predict (unbound): it failed with "get_params() missing 1
    # required positional argument: 'self'", naming neither the model nor the fix
    import re

    X, Y = data
    with pytest.raises(ValueError, match=re.escape(
            f"{shown} is the class MostFrequentBaseline, not an estimator; pass an "
            "instance, MostFrequentBaseline(...), with its parameters.")):
        compare(estimators, X, Y, cv=3, progress=False)


def test_a_list_mixing_named_and_unnamed_estimators_is_refused_as_such(data):
    # the pair was taken for an estimator named 'tuple' "with no fit/predict"
    import re

    X, Y = data
    with pytest.raises(ValueError, match=re.escape(
            "estimators holds a 2-tuple at position 1 among estimators that are not "
            "(name, estimator) pairs; give every one as a (name, estimator) pair, or none.")):
        compare([MostFrequentBaseline(), ("prior", MostFrequentBaseline())], X, Y, cv=3,
                progress=False)


@pytest.mark.parametrize("cut", ["X", "Y"])
def test_x_and_y_of_other_lengths_are_refused_before_any_check_reads_them(cut):
    # X shorter than Y raised pandas' IndexError from the leakage check, which reads X's
    # columns at the labels' rows; both ways now say what cross_val_predict says
    X, Y = make_multitask_classification(n_samples=50, n_classes=[2, 3], random_state=0)
    X = pd.DataFrame(X)
    X, Y = (X.iloc[:40], Y) if cut == "X" else (X, Y.iloc[:40])
    n_x, n_y = len(X), len(Y)
    with pytest.raises(ValueError, match=rf"^X has {n_x} samples, but Y has {n_y}; "
                                         "expected one row of labels per sample"):
        compare({"prior": MostFrequentBaseline()}, X, Y, cv=3, progress=False)


@pytest.mark.parametrize("param, value", [
    ("cv", True), ("cv", 1), ("progress", "no"), ("return_details", "yes"),
    ("n_jobs", "x"), ("error_score", "ignore"), ("random_state", "a"),
])
def test_parameters_are_validated_as_scikit_learns_cross_validate_does(param, value):
    # cv=True read as 1 fold ("requires at least ... n_splits=1"), progress="no" drew the
    # bar, n_jobs="x" raised joblib's error
    from sklearn.utils._param_validation import InvalidParameterError

    X, Y = make_multitask_classification(n_samples=30, n_classes=[2, 3], random_state=0)
    with pytest.raises(InvalidParameterError,
                       match=rf"^The '{param}' parameter of compare must be"):
        compare({"prior": MostFrequentBaseline()}, X, Y,
                **{"cv": 3, "progress": False, param: value})


@pytest.mark.parametrize("decimals", [-1, 2.5, "3"])
def test_format_comparison_refuses_decimals_that_are_no_count(decimals):
    # "Format specifier missing precision", "Invalid format specifier '.2.5f'"
    from sklearn.utils._param_validation import InvalidParameterError

    table = pd.DataFrame([[0.9, 0.01]], index=["m"], columns=pd.MultiIndex.from_tuples(
        [("exact_match", "mean"), ("exact_match", "std")]))
    assert format_comparison(table, decimals=0).loc["m", "exact_match"] == "1 ± 0"
    with pytest.raises(InvalidParameterError,
                       match="The 'decimals' parameter of format_comparison must be an int"):
        format_comparison(table, decimals=decimals)
