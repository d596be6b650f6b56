"""scipy.sparse X (TF-IDF, one-hot): every estimator and the tuner take it, as
MultiOutputClassifier and ClassifierChain do; the network never densifies the whole
matrix."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier
from sklearn.pipeline import make_pipeline

from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    TaskChainClassifier,
    TaskThresholdTuner,
)


def lr():
    return LogisticRegression(solver="liblinear")


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(
        n_samples=60, n_features=20, n_classes=4, random_state=0
    )
    X[X < 2] = 0  # mostly zeros, as word counts
    return X, sp.csr_matrix(X), Y


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_independent_equals_multioutput_classifier_on_sparse(data, fmt):
    _, Xs, Y = data
    Xs = Xs.asformat(fmt)
    ours = IndependentTaskClassifier(lr()).fit(Xs, Y)
    ref = MultiOutputClassifier(lr()).fit(Xs, Y)
    np.testing.assert_array_equal(ours.predict(Xs), ref.predict(Xs))
    for p, q in zip(ours.predict_proba(Xs), ref.predict_proba(Xs), strict=True):
        np.testing.assert_allclose(p, q)
    assert sp.issparse(Xs)  # the input is left as it was


@pytest.mark.parametrize("chain_method", ["predict", "predict_proba"])
@pytest.mark.parametrize("cv", [None, 3])
def test_chain_equals_classifier_chain_on_sparse_with_array_order(data, chain_method, cv):
    _, Xs, Y = data
    order = np.random.RandomState(1).permutation(Y.shape[1])
    ours = TaskChainClassifier(lr(), order=order, chain_method=chain_method, cv=cv).fit(Xs, Y)
    ref = ClassifierChain(lr(), order=order, chain_method=chain_method, cv=cv).fit(Xs, Y)
    np.testing.assert_array_equal(ours.predict(Xs), ref.predict(Xs))
    proba = np.column_stack([p[:, 1] for p in ours.predict_proba(Xs)])
    np.testing.assert_allclose(proba, ref.predict_proba(Xs))
    np.testing.assert_allclose(ours.decision_function(Xs), ref.decision_function(Xs))
    # every link after the first saw a sparse X stacked with the chain's columns
    assert ours.estimators_[0][-1].n_features_in_ == Xs.shape[1] + Y.shape[1] - 1


def test_label_product_on_sparse_equals_its_base_on_combinations(data):
    _, Xs, Y = data
    base = LogisticRegression(max_iter=1000)
    ours = LabelProductClassifier(base, decode="joint").fit(Xs, Y)
    combos, inverse = np.unique(Y, axis=0, return_inverse=True)
    ref = LogisticRegression(max_iter=1000).fit(Xs, inverse.reshape(-1))
    np.testing.assert_array_equal(ours.predict(Xs), combos[ref.predict(Xs)])
    assert sp.issparse(Xs)


def test_network_trains_on_sparse_batches_identically(data, monkeypatch):
    X, Xs, Y = data
    params = dict(hidden_layer_sizes=(8,), max_epochs=2, batch_size=16, random_state=0,
                  preprocessing=None)  # sparse input is never preprocessed
    dense = MultiTaskClassifier(**params).fit(X.astype(np.float32), Y)
    rows_densified = []
    toarray = sp.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        rows_densified.append(self.shape[0])
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording_toarray)
    sparse = MultiTaskClassifier(**params).fit(Xs, Y)
    for p, q in zip(dense.predict_proba(X), sparse.predict_proba(Xs), strict=True):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(dense.predict(X), sparse.predict(Xs))
    assert rows_densified and max(rows_densified) <= 16  # batch by batch, never all 60


def test_network_sparse_with_early_stopping_and_partial_fit(data):
    _, Xs, Y = data
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2, early_stopping=True,
                              random_state=0).fit(Xs, Y)
    assert "valid_loss" in clf.history_[-1]
    clf.partial_fit(Xs[:30], Y[:30])
    assert clf.predict(Xs[:5]).shape == (5, 4)


def test_tuner_on_sparse_equals_dense(data):
    X, Xs, Y = data
    tuned = [
        TaskThresholdTuner(IndependentTaskClassifier(lr()), cv=2).fit(A, Y) for A in (X, Xs)
    ]
    for name, value in tuned[0].thresholds_.items():
        assert tuned[1].thresholds_[name] == pytest.approx(value, abs=1e-6)
    np.testing.assert_array_equal(tuned[0].predict(X), tuned[1].predict(Xs))


def test_tfidf_pipeline_with_label_sets():
    texts = ["cheap flights to rome", "rome hotel deals", "python code review",
             "review of python books", "cheap python books", "hotel in rome with code camp"]
    tags = [["travel"], ["travel"], ["tech"], ["tech", "books"], ["tech", "books"],
            ["travel", "tech"]]
    Y = np.array([[int(t in row) for t in ("travel", "tech", "books")] for row in tags])
    pipe = make_pipeline(TfidfVectorizer(), IndependentTaskClassifier(lr()))
    pipe.fit(texts * 3, np.vstack([Y] * 3))
    ref = make_pipeline(TfidfVectorizer(), MultiOutputClassifier(lr()))
    ref.fit(texts * 3, np.vstack([Y] * 3))
    np.testing.assert_array_equal(pipe.predict(texts), ref.predict(texts))


@pytest.mark.parametrize("make", [
    lambda: IndependentTaskClassifier(lr()),
    lambda: MultiTaskClassifier(max_epochs=1),
])
def test_sparse_x_with_nan_is_refused_clearly(data, make):
    _, Xs, Y = data
    bad = Xs.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        make().fit(bad, Y)
    assert np.isnan(bad[0, 0])  # the input is left as it was


def test_network_fitted_on_one_form_reads_the_other_as_its_fit_did(data):
    # A model fitted on a dense table reads rows through its preprocessing, which a
    # sparse matrix would skip (its values reached the network unscaled): refused. One
    # fitted on a sparse matrix has none: dense rows of any dtype are read as it read its
    # rows (float64 ones crashed in the network), and so is a pandas sparse frame.
    import pandas as pd

    X, Xs, Y = data
    dense = MultiTaskClassifier(max_epochs=2, ensemble_size=2, random_state=0).fit(X, Y)
    for call in (dense.predict, dense.predict_proba,
                 lambda Z: dense.set_params(warm_start=True).fit(Z, Y)):
        with pytest.raises(ValueError, match="X is a sparse matrix, but this "
                                             "MultiTaskClassifier was fitted on a table"):
            call(Xs)
    with pytest.raises(ValueError, match="X_val is a sparse matrix"):
        MultiTaskClassifier(max_epochs=2, ensemble_size=1, early_stopping=True).fit(
            X, Y, X_val=Xs, y_val=Y)
    sparse = MultiTaskClassifier(max_epochs=2, ensemble_size=2, random_state=0).fit(Xs, Y)
    expected = sparse.predict_proba(Xs)
    for Z in (X.astype(np.float64), X.astype(np.float32),
              pd.DataFrame.sparse.from_spmatrix(Xs)):
        for got, want in zip(sparse.predict_proba(Z), expected, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-6)
    framed = MultiTaskClassifier(max_epochs=2, ensemble_size=2, random_state=0)
    framed.fit(pd.DataFrame.sparse.from_spmatrix(Xs), Y)
    for got, want in zip(framed.predict_proba(Xs), expected, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_a_users_preprocessing_step_on_sparse_x_warns_that_it_is_not_used(data):
    # Sparse input is never preprocessed: a step the user chose went unused unsaid.
    import warnings

    from sklearn.preprocessing import MaxAbsScaler

    _, Xs, Y = data
    params = dict(hidden_layer_sizes=(4,), max_epochs=1, ensemble_size=1, random_state=0)
    with pytest.warns(UserWarning, match=r"preprocessing=MaxAbsScaler\(\.\.\.\) is not used: "
                                         r"X is a sparse matrix.*put it in a Pipeline"):
        clf = MultiTaskClassifier(preprocessing=MaxAbsScaler(), **params).fit(Xs, Y)
    assert clf.preprocessor_ is None
    with warnings.catch_warnings():  # the default and None say nothing
        warnings.filterwarnings("error", message=".*preprocessing=")
        for preprocessing in ("auto", None):
            MultiTaskClassifier(preprocessing=preprocessing, **params).fit(Xs, Y)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil"])
def test_first_bad_value_of_a_sparse_matrix_is_the_dense_ones_without_densifying(
        fmt, monkeypatch):
    from sklearn_mtl._validation import first_bad_value

    dense = np.zeros((6, 4))
    dense[5, 0], dense[3, 2], dense[4, 1] = np.inf, -np.inf, np.nan  # (3, 2) first by row
    Xs = sp.csr_matrix(dense).asformat(fmt)
    for kind in ("toarray", "todense"):
        monkeypatch.setattr(type(Xs), kind, lambda *a, **k: pytest.fail("densified"))
    assert first_bad_value(Xs) == first_bad_value(dense) == (
        "The first bad entry: row 3, column 2 holds -inf, not a finite number; expected "
        "finite numbers in every entry of X.")
    assert first_bad_value(Xs, kinds=("nan",)) == first_bad_value(dense, kinds=("nan",))
    assert "row 4, column 1 is missing (NaN)" in first_bad_value(Xs, kinds=("nan",))
    assert first_bad_value(sp.csr_matrix(np.eye(3)).asformat(fmt)) is None


_NON_FINITE = [(np.inf, "holds inf, not a finite number"), (np.nan, "is missing (NaN)")]
_TOO_LARGE = [(1e300, "holds 1e+300, too large for float32")]  # the network reads float32


@pytest.mark.parametrize("name, make, value, said", [
    (name, make, value, said)
    for name, make, values in [
        ("independent", lambda: IndependentTaskClassifier(lr()), _NON_FINITE),
        ("chain", lambda: TaskChainClassifier(lr()), _NON_FINITE),
        ("network", lambda: MultiTaskClassifier(max_epochs=1), _NON_FINITE + _TOO_LARGE),
        ("network-none", lambda: MultiTaskClassifier(max_epochs=1, preprocessing=None),
         _NON_FINITE + _TOO_LARGE),
    ]
    for value, said in values
])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # 1e300
def test_a_non_finite_entry_of_sparse_x_is_named_by_row_and_column(data, name, make, value,
                                                                     said, fmt):
    # scikit-learn's "Input X contains infinity" said neither; dense X's errors say both
    X, _, Y = data
    bad = X.copy()
    bad[5, 0], bad[3, 2] = value, value  # the first by row is (3, 2), by column (5, 0)
    Xs = sp.csr_matrix(bad).asformat(fmt)
    with pytest.raises(ValueError, match=rf"Input X contains (.|\n)*The first bad entry: row "
                                         rf"3, column 2 {re.escape(said)}"):
        make().fit(Xs, Y)


def test_a_gap_in_a_pandas_sparse_frame_is_named_by_its_column():
    # a pandas sparse frame is read as a sparse matrix: its error named the column's
    # position, and with preprocessing=None it also said the default reads gaps, which
    # it does not for sparse input
    import pandas as pd

    dense = np.zeros((20, 3))
    dense[::3, 0], dense[5, 2] = 1.0, np.nan
    X = pd.DataFrame.sparse.from_spmatrix(sp.csr_matrix(dense), columns=["a", "b", "c"])
    y = np.array(["u", "v"] * 10)
    for preprocessing in ("auto", None):
        model = MultiTaskClassifier(preprocessing=preprocessing, hidden_layer_sizes=(4,),
                                    max_epochs=1, ensemble_size=1)
        with pytest.raises(ValueError, match=r"row 5, column 'c' is missing \(NaN\)") as info:
            model.fit(X, y)
        assert "reads gaps" not in str(info.value)


def test_chain_keeps_a_pandas_sparse_frame_sparse_as_classifier_chain(data):
    import warnings

    import pandas as pd

    _, Xs, Y = data
    frame = pd.DataFrame.sparse.from_spmatrix(Xs, columns=[f"w{j}" for j in range(20)])
    seen = []

    class Recording(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen.append(isinstance(X, pd.DataFrame)
                        and all(isinstance(t, pd.SparseDtype) for t in X.dtypes))
            return super().fit(X, y, sample_weight=sample_weight)

    with warnings.catch_warnings():
        # scikit-learn's "pandas.DataFrame with sparse columns found. It will be converted
        # to a dense numpy array": the chain's dense columns made every later link dense
        warnings.simplefilter("error", UserWarning)
        ours = TaskChainClassifier(Recording(solver="liblinear")).fit(frame, Y)
        proba = np.column_stack([p[:, 1] for p in ours.predict_proba(frame)])
    assert seen == [True] * Y.shape[1]  # every link read a frame of sparse columns
    ref = ClassifierChain(lr(), order=range(Y.shape[1]), chain_method="predict_proba")
    ref.fit(Xs, Y)
    np.testing.assert_allclose(proba, ref.predict_proba(Xs))
    np.testing.assert_array_equal(ours.predict(frame), ref.predict(Xs))


def test_network_reads_a_frame_of_sparse_booleans_as_the_sparse_matrix_it_stores():
    import pandas as pd

    rng = np.random.RandomState(0)
    raw = pd.DataFrame({"city": rng.choice(list("abcdefgh"), 60),
                        "shop": rng.choice(list("xyz"), 60)})
    y = np.where(np.isin(raw["city"], ["a", "b", "c"]), "near", "far")
    dummies = pd.get_dummies(raw, sparse=True)  # Sparse[bool, False] columns
    params = dict(hidden_layer_sizes=(8,), max_epochs=3, ensemble_size=1, random_state=0)
    ours = MultiTaskClassifier(**params).fit(dummies, y)
    # read as a sparse matrix, as the same dummies of numbers are: the recipe's dense
    # preprocessing (each boolean one-hot encoded, the whole table made dense) is not fitted
    assert ours.preprocessor_ is None
    ref = MultiTaskClassifier(**params).fit(sp.csr_matrix(dummies.to_numpy(float)), y)
    np.testing.assert_allclose(ours.predict_proba(dummies),
                               ref.predict_proba(sp.csr_matrix(dummies.to_numpy(float))),
                               atol=1e-6)
    np.testing.assert_array_equal(ours.predict(dummies.sparse.to_dense()), ours.predict(dummies))


@pytest.mark.parametrize("preprocessing", ["auto", None])
def test_a_sparse_frame_filled_with_nan_is_refused_naming_its_column(data, preprocessing):
    import pandas as pd

    X, _, Y = data
    # pd.SparseDtype(float) fills with NaN: pandas said "fill value must be 0 when
    # converting to COO matrix", naming neither the column nor the way to store it
    frame = pd.DataFrame(X, columns=[f"w{j}" for j in range(20)]).astype(
        pd.SparseDtype(float))
    model = MultiTaskClassifier(preprocessing=preprocessing, hidden_layer_sizes=(4,),
                                max_epochs=1, ensemble_size=1, random_state=0)
    with pytest.raises(ValueError, match=r"X's column 'w0' is Sparse\[float64, nan\].*fill "
                                         r"value must be 0.*X.astype\(pd.SparseDtype\("
                                         r"'float64', 0\)\)"):
        model.fit(frame, Y)
    model.fit(frame.astype(pd.SparseDtype("float64", 0)), Y)  # as the message says
    assert model.preprocessor_ is None  # read as the sparse matrix it stores


def test_a_sparse_frame_for_a_model_fitted_on_a_dense_table_is_named_as_a_frame(data):
    import pandas as pd

    X, _, Y = data
    frame = pd.DataFrame(X, columns=[f"w{j}" for j in range(20)])
    model = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, ensemble_size=1,
                                random_state=0).fit(frame, Y)
    sparse = frame.astype(pd.SparseDtype("float64", 0))
    # the message spoke of a sparse matrix only, to a user who passed a DataFrame
    with pytest.raises(ValueError, match=r"DataFrame of sparse columns; "
                                         r"X\.sparse\.to_dense\(\) makes it the table"):
        model.predict(sparse)
    np.testing.assert_array_equal(model.predict(sparse.sparse.to_dense()), model.predict(frame))
