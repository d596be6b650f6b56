import importlib.util
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl import cli


def test_compare_penguins_prints_the_table_and_writes_the_report_and_figures(tmp_path,
                                                                             capsys):
    # run in this process (a new one costs seconds of imports): python -m sklearn_mtl.cli's
    # start, pipes and exit status are checked below, where predict reads standard input
    # and where the reader closes the pipe
    out = tmp_path / "reports"
    returncode = cli.main(["compare", "--dataset", "penguins", "--models",
                           "dummy,independent", "--cv", "2", "--out", str(out)])
    result = capsys.readouterr()
    assert returncode == 0, result.err
    stdout = result.out
    assert "342 samples, 4 features, tasks ['species', 'island', 'sex']" in stdout
    for metric in ("exact_match", "hamming_loss", "species accuracy", "sex f1_macro",
                   "fit_time"):
        assert metric in stdout
    header = next(line for line in stdout.splitlines() if line.startswith("model"))
    assert header.split()[1:] == ["dummy", "independent"]
    report = (out / "report.md").read_text()
    assert "| metric | dummy | independent |" in report
    if importlib.util.find_spec("matplotlib") is None:  # the demo runs without the plot extra
        assert 'no figure written (pip install "sklearn-mtl[plot]")' in result.err
        assert "![" not in report and not list(out.glob("*.png"))
        return
    assert "### independent" in report and "![" in report
    for name in ("task_accuracy.png", "task_f1_macro.png", "cooccurrence_dummy.png",
                 "cooccurrence_independent.png"):
        assert (out / name).stat().st_size > 1000, name
        assert f"({name})" in report


def _write_csv(folder):
    frame = pd.DataFrame({
        "x1": [0.1, 0.5, 0.9, 1.3, 0.2, 0.8, 1.1, 0.4] * 3,
        "x2": [1, 0, 1, 0, 1, 0, 1, None] * 3,
        "word": list("abababab") * 3,
        "species": list("ppqqppqq") * 3,
        "sex": ["m", "f", "m", None, "f", "m", "f", "m"] * 3,
    })
    path = folder / "my.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def csv(tmp_path):
    return _write_csv(tmp_path)


def _compare_once(folder, data, *args):
    """``(status, stdout, stderr, report.md's text, the --out folder)`` of ``sklearn-mtl
    compare --data DATA ARGS --out folder/out``, run once for the module fixtures below
    (no capsys there: the streams are caught here)."""
    import contextlib
    import io

    out, err, folder = io.StringIO(), io.StringIO(), folder / "out"
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["compare", "--data", str(data), *args, "--out", str(folder)])
    report = folder / "report.md"
    return (code, out.getvalue(), err.getvalue(),
            report.read_text() if report.exists() else "", folder)


@pytest.fixture(scope="module")
def dummy_on_numbers(tmp_path_factory):
    """compare of the csv fixture's two numeric columns (a gap in x2) with the dummy
    reference, the run two tests read (module-scoped: run once)."""
    folder = tmp_path_factory.mktemp("dummy_on_numbers")
    return _compare_once(folder, _write_csv(folder), "--targets", "species,sex",
                         "--features", "x1,x2", "--models", "dummy", "--cv", "2",
                         "--no-plots", "--quiet")


@pytest.fixture(scope="module")
def raw_table_compare(tmp_path_factory):
    """compare of the csv fixture's whole table, as users have it (a string column and
    gaps, every row kept), with the network, two baselines that read it through a
    ColumnTransformer and the dummy reference: the run two tests read (module-scoped:
    run once)."""
    folder = tmp_path_factory.mktemp("raw_table_compare")
    return _compare_once(folder, _write_csv(folder), "--targets", "species,sex",
                         "--models", "mtl,independent,chain-hgb,dummy", "--max-epochs", "2",
                         "--cv", "2", "--no-plots", "--quiet")


def test_compare_user_csv(dummy_on_numbers):
    code, out, _, report, _ = dummy_on_numbers
    assert code == 0
    assert "species accuracy" in out
    assert "my.csv: 24 rows, 3 missing feature value(s) in 3 row(s), kept" in report
    assert "- Samples: 24; features: 2 (x1, x2)" in report


def test_compare_n_jobs_gives_the_same_table_and_keeps_the_warnings(csv, tmp_path, capsys):
    base = ["compare", "--data", str(csv), "--targets", "species,sex", "--models",
            "independent,product", "--cv", "2", "--no-plots", "--quiet"]
    reports = {}
    for n_jobs in ("1", "2"):
        out = tmp_path / f"out{n_jobs}"
        assert cli.main([*base, "--n-jobs", n_jobs, "--out", str(out)]) == 0
        reports[n_jobs] = (out / "report.md").read_text()
    capsys.readouterr()
    for report in reports.values():  # the label product's warning, from the workers too
        assert "## Warnings" in report and "left out" in report

    def scores(report):
        return [line for line in report.splitlines()
                if line.startswith("| ") and "_time" not in line]

    assert scores(reports["1"]) == scores(reports["2"])
    assert cli.main([*base, "--n-jobs", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--n-jobs must be a positive number of processes or -1; got 0" in \
        capsys.readouterr().err


def test_compare_raw_csv_strings_and_gaps(raw_table_compare):
    # a table as users have it: a string column and gaps, every row kept (the network
    # and the baselines, mtl,independent,chain-hgb, and dummy: no score of any is NaN)
    code, _, err, report, _ = raw_table_compare
    assert code == 0, err
    assert "- Samples: 24; features: 3 (x1, x2, word)" in report
    assert "The baselines read the table through a `ColumnTransformer`: for the" in report
    assert "| exact_match |" in report and "nan" not in report.split("## Per-task")[0]


def test_baseline_preprocessing_exact_values():
    X = pd.DataFrame({"n": [1.0, None, 3.0, 5.0], "s": ["a", "b", None, "a"],
                      "b": [True, False, True, True]})
    before = X.copy()
    trees = cli.baseline_preprocessing(X, model="trees")
    out = trees.fit_transform(X)
    pd.testing.assert_frame_equal(X, before)  # never mutated
    expected = [
        # n (its gap left to the trees); s: <missing>, a, b; b: False, True
        [1.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        [np.nan, 0.0, 0.0, 1.0, 1.0, 0.0],
        [3.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        [5.0, 0.0, 1.0, 0.0, 0.0, 1.0],
    ]
    np.testing.assert_array_equal(out, expected)
    # an unseen category reads as zeros
    unseen = pd.DataFrame({"n": [2.0], "s": ["z"], "b": [False]})
    np.testing.assert_array_equal(trees.transform(unseen), [[2.0, 0, 0, 0, 1, 0]])
    # the linear models: the gap filled with the median 3, its indicator, all scaled
    linear = cli.baseline_preprocessing(X).fit_transform(X)
    filled, gap = np.array([1.0, 3, 3, 5]), np.array([0.0, 1, 0, 0])
    np.testing.assert_allclose(linear[:, 0], (filled - filled.mean()) / filled.std())
    np.testing.assert_allclose(linear[:, 1], (gap - gap.mean()) / gap.std())
    np.testing.assert_array_equal(linear[:, 2:], out[:, 1:])
    # numbers only: nothing for the trees, gaps included; the linear models keep their
    # StandardScaler where there is no gap
    assert cli.baseline_preprocessing(X[["n"]], model="trees") is None
    assert cli.baseline_preprocessing(X[["n"]].fillna(0)) is None
    assert cli.baseline_preprocessing(X.to_numpy()) is None
    with pytest.raises(ValueError, match="model must be 'linear' or 'trees'"):
        cli.baseline_preprocessing(X, model="forest")


def test_the_trees_drop_a_column_of_gaps_alone():
    # A spreadsheet's empty column: gradient boosting refuses it ("window shape cannot be
    # larger than input array shape"); the trees' preprocessing leaves it out.
    from sklearn.ensemble import HistGradientBoostingClassifier

    X = pd.DataFrame({"n": [1.0, 2.0, 3.0, 5.0], "notes": [np.nan] * 4})
    trees = cli.baseline_preprocessing(X, model="trees")
    np.testing.assert_array_equal(trees.fit_transform(X), [[1.0], [2.0], [3.0], [5.0]])
    HistGradientBoostingClassifier(max_iter=2).fit(trees.transform(X), [0, 1, 0, 1])
    # the linear models' imputer keeps it as zeros, with its gap indicator
    np.testing.assert_array_equal(cli.baseline_preprocessing(X).fit_transform(X)[:, 1:],
                                  [[0.0, 0.0]] * 4)


def test_markdown_escapes_a_bar_in_names_and_cells():
    frame = pd.DataFrame({"pass|fail": [1, 2]}, index=pd.Index(["a|b", "c"], name="t|k"))
    assert cli._markdown(frame).splitlines() == [
        "| t\\|k | pass\\|fail |", "|---|---|", "| a\\|b | 1 |", "| c | 2 |"]


def test_baseline_preprocessing_pools_rare_categories():
    X = pd.DataFrame({"id": [f"row{i}" for i in range(100)]})
    out = cli.baseline_preprocessing(X).fit_transform(X)
    assert out.shape == (100, 32)  # not 100 columns: an identifier pooled


@pytest.mark.parametrize(
    "args, message",
    [
        (["--targets", "species,colour"], "--targets names unknown column(s) ['colour']"),
        (["--targets", "Species, species2,colr"], "Did you mean 'species' for 'Species'"),
        (["--targets", "species", "--features", "x1,nope"], "--features names unknown"),
        (["--targets", "species", "--models", "dummy,forest"], "Unknown model(s) ['forest']"),
        ([], "--targets is required with --data"),
        (["--targets", "species,x1"],
         "--targets column 'x1' holds non-integral numbers (e.g. [0.1, 0.5, 0.9])"),
    ],
)
def test_csv_errors_exit_2(csv, tmp_path, capsys, args, message):
    code = cli.main(["compare", "--data", str(csv), "--models", "dummy", "--cv", "2",
                     "--out", str(tmp_path / "o"), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_empty_and_missing_files_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert cli.main(["compare", "--data", str(empty), "--targets", "a"]) == 2
    assert "is empty" in capsys.readouterr().err
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b\n")
    assert cli.main(["compare", "--data", str(header_only), "--targets", "a"]) == 2
    assert "no data row" in capsys.readouterr().err
    assert cli.main(["compare", "--data", str(tmp_path / "nope.csv"), "--targets", "a"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_version(capsys):
    import sklearn_mtl

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"sklearn-mtl {sklearn_mtl.__version__}\n"


def test_python_dash_m_runs_the_command(tmp_path):
    # where the sklearn-mtl script is not on the PATH: python -m sklearn_mtl
    import sklearn_mtl

    run = subprocess.run([sys.executable, "-m", "sklearn_mtl", "--version"],
                         capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout) == (0, f"sklearn-mtl {sklearn_mtl.__version__}\n")
    run = subprocess.run([sys.executable, "-m", "sklearn_mtl", "info", str(tmp_path / "no")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "sklearn-mtl info: error:" in run.stderr


def test_unavailable_model_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(cli.MODELS, "future", ("NotYetWrittenClassifier", "later"))
    assert cli.main(["compare", "--models", "future", "--cv", "2"]) == 2
    err = capsys.readouterr().err
    assert "Model 'future' needs sklearn_mtl.NotYetWrittenClassifier" in err
    assert "not available" in err


def test_argparse_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["compare", "--cv", "two"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["compare", "--dataset", "penguins", "--data", "x.csv"])
    assert exc.value.code == 2


@pytest.mark.parametrize("name", list(cli.MODELS))
def test_model_mapping(name):
    from sklearn.pipeline import Pipeline

    import sklearn_mtl
    from sklearn_mtl._compare import MostFrequentBaseline

    model = cli.build_model(name, random_state=3, max_epochs=7)
    final = model[-1] if isinstance(model, Pipeline) else model
    expected = MostFrequentBaseline if name == "dummy" else getattr(sklearn_mtl,
                                                                    cli.MODELS[name][0])
    assert isinstance(final, expected)
    if name == "mtl":  # the network with its defaults, on the raw features
        assert not isinstance(model, Pipeline)
        assert final.max_epochs == 7 and final.random_state == 3
        assert final.get_params()["hidden_layer_sizes"] == (192, 192, 192)
    elif name.endswith("-hgb"):
        assert type(final.estimator).__name__ == "HistGradientBoostingClassifier"
        assert final.estimator.random_state == 3
    elif name != "dummy":
        assert isinstance(model, Pipeline)  # scaled, for the linear model
        assert type(final.estimator).__name__ == "LogisticRegression"


def test_default_models_and_verdict():
    import pandas as pd

    assert cli.DEFAULT_MODELS[0] == "mtl"
    assert {"independent", "independent-hgb", "chain-hgb", "product-hgb"} <= set(
        cli.DEFAULT_MODELS)
    columns = pd.MultiIndex.from_tuples([("exact_match", "mean")])
    table = pd.DataFrame([[0.5], [0.7]], index=["mtl", "chain-hgb"], columns=columns)
    assert cli.verdict(table) == (
        "Best exact match: chain-hgb (0.700). A baseline wins this table: the network "
        "(mtl) reaches 0.500, 0.200 less."
    )
    table.loc["mtl"] = 0.8
    assert cli.verdict(table) == (
        "Best exact match: mtl (0.800). The network wins; the best baseline, chain-hgb, "
        "reaches 0.700."
    )
    # a tie is a tie, whichever model comes first
    for order in (["mtl", "chain-hgb"], ["chain-hgb", "mtl"]):
        tied = pd.DataFrame([[0.31], [0.31]], index=order, columns=columns)
        assert cli.verdict(tied) == (
            "Best exact match: mtl (0.310). The network ties with the best baseline, "
            "chain-hgb: neither wins."
        )


def _wrong_on_rows():
    """A function of rows: the encoded labels of 60 samples of two tasks with task a
    wrong on those rows (a model's out-of-fold predictions, for the verdict; none wrong:
    the truth)."""
    import pandas as pd

    from sklearn_mtl import StructuredLabelEncoder

    Y = pd.DataFrame({"a": ["x", "y"] * 30, "b": ["u", "v", "v"] * 20})
    encoder = StructuredLabelEncoder().fit(Y)

    def wrong_on(rows):
        pred = Y.copy()
        pred.loc[rows, "a"] = pred.loc[rows, "a"].map({"x": "y", "y": "x"})
        return encoder.transform(pred)

    return wrong_on


def test_verdict_says_whether_the_folds_tell_the_models_apart():
    """With compare's details, the network against the model the verdict names, row by
    row: McNemar's exact test of the samples where one alone has every label right."""
    import pandas as pd

    wrong_on = _wrong_on_rows()

    columns = pd.MultiIndex.from_tuples([("exact_match", "mean")])
    table = pd.DataFrame([[56 / 60], [58 / 60]], index=["mtl", "chain-hgb"], columns=columns)
    details = {"Y": wrong_on([]),
               "predictions": {"mtl": wrong_on([0, 1, 2, 3]), "chain-hgb": wrong_on([0, 5])}}
    # the network alone right on row 5, the chain alone on rows 1, 2 and 3:
    # p = P(a split of 4 at least as uneven as 1 / 3) = 0.625
    assert cli.verdict(table, details).endswith(
        "A baseline wins this table: the network (mtl) reaches 0.933, 0.033 less. Row by "
        "row, the network alone has every label right on 1 sample and chain-hgb alone on "
        "3 (McNemar p = 0.62): a difference these folds cannot tell from chance."
    )
    table.loc["mtl"] = 1.0
    details["predictions"]["mtl"] = wrong_on([])
    details["predictions"]["chain-hgb"] = wrong_on(list(range(0, 40, 2)))
    assert cli.verdict(table, details).endswith(
        "Row by row, the network alone has every label right on 20 samples and chain-hgb "
        "alone on 0 (McNemar p < 0.001): a split unlikely by chance."
    )
    details["predictions"]["chain-hgb"] = None  # a model that failed: no second sentence
    assert cli.verdict(table, details) == cli.verdict(table)


# ------------------------------------------------------------------------------ fit
@pytest.fixture
def dated_csv(tmp_path):
    """A raw CSV: numbers with a gap, a string column, ISO dates; a new file without the
    targets for prediction."""
    import numpy as np

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({
        "x": rng.normal(size=60),
        "shop": rng.choice(["north", "south"], 60),
        "day": pd.date_range("2022-01-01", periods=60, freq="D").strftime("%Y-%m-%d"),
    })
    frame.loc[3, "x"] = None
    frame["kind"] = np.where(frame["x"].fillna(0) > 0, "p", "q")
    frame["size"] = rng.choice(["s", "m"], 60)
    frame.loc[5, "size"] = None
    train, new = tmp_path / "train.csv", tmp_path / "new.csv"
    frame.to_csv(train, index=False)
    frame.drop(columns=["kind", "size"]).to_csv(new, index=False)
    return train, new, frame


@pytest.mark.parametrize("model", ["mtl", "independent", "chain-hgb", "product"])
def test_fit_saves_a_model_that_predict_reads(dated_csv, tmp_path, capsys, model):
    import sklearn_mtl

    train, new, frame = dated_csv
    out = tmp_path / "model.mtl"
    args = ["fit", "--data", str(train), "--targets", "kind,size", "--model", model,
            "--out", str(out), "--random-state", "1"]
    if model == "mtl":
        args += ["--max-epochs", "3"]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert f"Fitted {model} on 60 rows, 3 features, tasks ['kind', 'size']" in printed
    # the saved model is the one the comparison would fit, on every row
    X, Y = cli._read_dates(frame.drop(columns=["kind", "size"]))[0], frame[["kind", "size"]]
    expected = cli.build_model(model, random_state=1, max_epochs=3, X=X).fit(X, Y)
    loaded = sklearn_mtl.load(out)
    pd.testing.assert_frame_equal(loaded.predict(X), expected.predict(X))
    # fitted on every row, the model declares no tasks: refitted, it infers them again
    assert (loaded[-1] if hasattr(loaded, "steps") else loaded).tasks is None
    # and predict reads the raw CSV (its dates as text) with it
    pred = tmp_path / "pred.csv"
    assert cli.main(["predict", str(out), str(new), "--out", str(pred), "--quiet"]) == 0
    got = pd.read_csv(pred)
    assert got["kind"].tolist() == expected.predict(X)["kind"].tolist()


def test_fit_errors_exit_2(dated_csv, tmp_path, capsys):
    train, _, _ = dated_csv
    base = ["fit", "--data", str(train), "--targets", "kind"]
    assert cli.main([*base, "--model", "forest", "--out", str(tmp_path / "m.mtl")]) == 2
    assert "Unknown model 'forest'" in capsys.readouterr().err
    assert cli.main([*base, "--out", str(tmp_path / "nope" / "m.mtl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli.main([*base, "--out", str(tmp_path / "m.mtl"), "--max-epochs", "0"]) == 2
    assert "--max-epochs must be at least 1" in capsys.readouterr().err
    assert cli.main(["fit", "--data", str(train), "--targets", "kind,x",
                     "--out", str(tmp_path / "m.mtl")]) == 2
    assert "--targets column 'x' holds non-integral numbers" in capsys.readouterr().err
    # an empty --features (a shell variable left unset) read as every column, the ids too
    assert cli.main([*base, "--features", "", "--out", str(tmp_path / "m.mtl")]) == 2
    assert "--features is empty; expected a comma-separated list" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["mtl", "independent-hgb"])
def test_fit_compare_and_predict_read_a_parquet_file(dated_csv, tmp_path, capsys, model):
    # Parquet keeps the columns' types: dates (time-zone aware), categories, bools
    import sklearn_mtl

    pytest.importorskip("pyarrow")
    _, _, frame = dated_csv
    frame = frame.assign(day=pd.to_datetime(frame["day"]).dt.tz_localize("Europe/Paris"),
                         shop=frame["shop"].astype("category"), open=frame["x"].fillna(0) > 1)
    train, new = tmp_path / "train.parquet", tmp_path / "new.pq"
    frame.to_parquet(train)
    frame.drop(columns=["kind", "size"]).to_parquet(new)
    X, Y, note, _ = cli._load_table(train, "kind,size", None)
    assert isinstance(X["shop"].dtype, pd.CategoricalDtype) and X["open"].dtype == bool
    assert "train.parquet: 60 rows, column(s) ['day'] of dates or durations" in note
    out = tmp_path / "model.mtl"
    assert cli.main(["fit", "--data", str(train), "--targets", "kind,size", "--model", model,
                     "--out", str(out), "--max-epochs", "3", "--quiet"]) == 0
    expected = cli.build_model(model, random_state=0, max_epochs=3, X=X).fit(X, Y)
    pd.testing.assert_frame_equal(sklearn_mtl.load(out).predict(X), expected.predict(X))
    pred = tmp_path / "pred.csv"
    assert cli.main(["predict", str(out), str(new), "--out", str(pred), "--quiet"]) == 0
    assert pd.read_csv(pred)["kind"].tolist() == expected.predict(X)["kind"].tolist()
    assert cli.main(["compare", "--data", str(train), "--targets", "kind,size", "--models",
                     model, "--max-epochs", "2", "--cv", "2", "--out", str(tmp_path / "r"),
                     "--no-plots", "--quiet"]) == 0
    report = (tmp_path / "r" / "report.md").read_text()
    assert "- Samples: 60; features: 4 (x, shop, day, open)" in report


def test_unreadable_and_empty_parquet_files_exit_2(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    broken = tmp_path / "broken.parquet"
    broken.write_text("a,b\n1,2\n")
    assert cli.main(["compare", "--data", str(broken), "--targets", "a"]) == 2
    assert f"--data {str(broken)!r} is not a readable Parquet file" in capsys.readouterr().err
    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}).to_parquet(
        empty)
    assert cli.main(["fit", "--data", str(empty), "--targets", "a", "--out",
                     str(tmp_path / "m.mtl")]) == 2
    assert f"--data {str(empty)!r} has columns but no data row." in capsys.readouterr().err


def test_baselines_read_text_dates_at_prediction():
    X = pd.DataFrame({"d": pd.to_datetime(["1970-01-03", None], utc=True)})
    as_text = pd.DataFrame({"d": ["1970-01-03", None]})
    np.testing.assert_array_equal(cli._as_days(X), [[2.0], [np.nan]])
    np.testing.assert_array_equal(cli._as_days(as_text), [[2.0], [np.nan]])
    assert cli._as_days(pd.DataFrame({"w": ["36h"]}))[0, 0] == 1.5
    with pytest.raises(ValueError, match="column 'd' held dates or durations"):
        cli._as_days(pd.DataFrame({"d": ["soon"]}))


# ------------------------------------------------------------- predict, export, info
def _deploy_data():
    """Three columns of numbers, and a task, a task gated on it and a multilabel task."""
    from sklearn_mtl import Task

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    car = np.where(X["a"] > 0, "yes", "no")
    Y = pd.DataFrame({
        "car": car,
        "color": np.where(car == "yes", np.where(X["b"] > 0, "red", "blue"), None),
        "tags": [{"x"} if v > 0 else {"x", "y"} for v in X["c"]],
    })
    tasks = [Task("car"), Task("color", gate=("car", "yes")), Task("tags", kind="multilabel")]
    return X, Y, tasks


@pytest.fixture(scope="module")
def saved_pipeline(tmp_path_factory):
    """A saved StandardScaler + MultiTaskClassifier pipeline with a gate and a multilabel
    task, and its data (module-scoped: fitted once)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_mtl import MultiTaskClassifier, save

    X, Y, tasks = _deploy_data()
    model = make_pipeline(StandardScaler(), MultiTaskClassifier(
        tasks=tasks, hidden_layer_sizes=(8,), lr=1e-2, max_epochs=15, decode="independent",
        random_state=0,
    )).fit(X, Y)
    folder = tmp_path_factory.mktemp("deploy")
    path = save(model, folder / "model.mtl")
    data = folder / "data.csv"
    X.assign(row_id=np.arange(100, 160)).to_csv(data, index=False)
    return model, path, X, data


@pytest.fixture(scope="module")
def saved_baseline(tmp_path_factory):
    """saved_pipeline's tasks and data, with a logistic regression for the network: for
    the tests that start a process of their own, which then reads a model without
    importing torch, about half of each start (module-scoped: fitted once)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_mtl import IndependentTaskClassifier, save

    X, Y, tasks = _deploy_data()
    model = make_pipeline(StandardScaler(), IndependentTaskClassifier(
        LogisticRegression(), tasks=tasks)).fit(X, Y)
    folder = tmp_path_factory.mktemp("deploy_baseline")
    path = save(model, folder / "model.mtl")
    data = folder / "data.csv"
    X.assign(row_id=np.arange(100, 160)).to_csv(data, index=False)
    return model, path, X, data


def test_predict_writes_one_column_per_task(saved_pipeline, tmp_path, capsys):
    model, path, X, data = saved_pipeline
    out = tmp_path / "pred.csv"
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--proba",
                     "--id-column", "row_id", "--batch-size", "16"]) == 0
    assert "Wrote 60 predictions" in capsys.readouterr().err
    got = pd.read_csv(out, keep_default_na=False)
    assert list(got.columns) == [
        "row_id", "car", "car_proba_no", "car_proba_yes", "color", "color_proba_blue",
        "color_proba_red", "tags", "tags_proba_x", "tags_proba_y",
    ]
    assert got["row_id"].tolist() == list(range(100, 160))
    expected = model.predict(X)
    assert got["car"].tolist() == expected["car"].tolist()
    # Gated off: an empty cell where the model predicts car = "no".
    assert got["color"].tolist() == ["" if pd.isna(v) else v for v in expected["color"]]
    assert (got["color"] == "").tolist() == (got["car"] == "no").tolist()
    tags = ["|".join(sorted(s)) for s in expected["tags"]]
    assert got["tags"].tolist() == tags
    proba = model.predict_proba(X)
    import numpy as np

    np.testing.assert_allclose(got[["car_proba_no", "car_proba_yes"]], proba[0], atol=1e-6)
    np.testing.assert_allclose(got[["tags_proba_x", "tags_proba_y"]], proba[2], atol=1e-6)


def test_predict_writes_text_starting_with_equals_to_a_workbook_as_text(tmp_path, capsys):
    # openpyxl takes a string starting with '=' for a formula: an id '=1+2' or a label
    # '=1+1' was written as a live formula (a spreadsheet would run untrusted data);
    # every text cell is written as text and reads back as the same string
    openpyxl = pytest.importorskip("openpyxl")
    rng = np.random.RandomState(0)
    x = rng.normal(size=40)
    train = tmp_path / "train.csv"
    pd.DataFrame({"x": x, "kind": np.where(x > 0, "=1+1", "plain")}).to_csv(train,
                                                                             index=False)
    model = tmp_path / "model.mtl"
    assert cli.main(["fit", "--data", str(train), "--targets", "kind", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0
    ids = ["=1+2", '=HYPERLINK("http://x","y")', "=A1", "row"]
    data = tmp_path / "data.csv"
    pd.DataFrame({"id": ids, "x": [2.0, 3.0, -2.0, -3.0]}).to_csv(data, index=False)
    out = tmp_path / "pred.xlsx"
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--id-column",
                     "id", "--proba", "--quiet"]) == 0, capsys.readouterr().err
    sheet = openpyxl.load_workbook(out).active
    rows = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    assert [v for v, _ in rows[0]] == ["id", "kind", "kind_proba_=1+1", "kind_proba_plain"]
    assert all(t == "s" for row in rows for _, t in row[:2]), rows
    assert [row[0][0] for row in rows[1:]] == ids
    assert [row[1][0] for row in rows[1:]] == ["=1+1", "=1+1", "plain", "plain"]
    assert all(t == "n" for row in rows[1:] for _, t in row[2:])  # numbers stay numbers


def test_predict_with_a_model_that_reads_documents(tmp_path, capsys):
    # A pipeline whose first step takes one text a sample (TfidfVectorizer): the file's
    # text column goes to it as documents (before: a traceback, the rows given as 2-D).
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from sklearn_mtl import IndependentTaskClassifier, save

    docs = pd.Series(["cheap flights to paris", "paris hotel deals", "python code tutorial",
                      "learn python fast", "hotel in rome", "code review tips"] * 5)
    Y = pd.DataFrame({"topic": ["travel", "travel", "tech", "tech", "travel", "tech"] * 5,
                      "long": np.where(docs.str.len() > 16, "yes", "no")})
    model = make_pipeline(TfidfVectorizer(), IndependentTaskClassifier(LogisticRegression()))
    path = save(model.fit(docs, Y), tmp_path / "text.mtl")
    new = pd.DataFrame({"doc_id": [7, 8, 9], "text": ["hotel near paris", None, "python"]})
    new.to_csv(tmp_path / "new.csv", index=False)  # row 8: an empty cell, an empty text
    out = tmp_path / "pred.csv"
    assert cli.main(["predict", str(path), str(tmp_path / "new.csv"), "--out", str(out),
                     "--id-column", "doc_id", "--quiet"]) == 0
    got = pd.read_csv(out)
    expected = model.predict(["hotel near paris", "", "python"])
    assert got["doc_id"].tolist() == [7, 8, 9]
    assert got[["topic", "long"]].to_numpy().tolist() == expected.to_numpy().tolist()
    assert cli.main(["predict", str(path), str(tmp_path / "new.csv"), "--out", str(out),
                     "--quiet"]) == 2
    assert ("reads one text a row (its first step, TfidfVectorizer, takes documents); "
            "DATA") in capsys.readouterr().err


def test_predict_closes_the_data_file_whatever_happens(saved_pipeline, tmp_path, capsys):
    # The file pandas opens for a CSV is closed at the end, after an error in the
    # columns, and after an --out that cannot be written (before: left open until the
    # garbage collector warned "unclosed file").
    import gc

    _, path, X, data = saved_pipeline
    bad = tmp_path / "bad.csv"
    X.rename(columns={"a": "A"}).to_csv(bad, index=False)
    runs = [
        (["predict", str(path), str(data), "--out", str(tmp_path / "p.csv"), "--quiet"], 0),
        (["predict", str(path), str(bad), "--out", str(tmp_path / "p.csv"), "--quiet"], 2),
        (["predict", str(path), str(data), "--out", str(tmp_path / "p.ods"), "--quiet"], 2),
        (["predict", str(path), str(data), "--out", str(tmp_path / "p.csv"), "--quiet",
          "--batch-size", "7", "--id-column", "nope"], 2),
    ]
    for argv, status in runs:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert cli.main(argv) == status
            gc.collect()
        unclosed = [w for w in caught if issubclass(w.category, ResourceWarning)]
        assert not unclosed, (argv, [str(w.message) for w in unclosed])
    capsys.readouterr()


def test_the_commands_read_every_number_as_the_file_writes_it(tmp_path):
    # pandas 2 (in the supported range) rounds about a third of a CSV's floats in the
    # last bit unless asked not to; pandas 3 reads them exactly. Both commands' readers
    # give back the very floats written.
    from sklearn_mtl._cli_deploy import read_batches

    values = np.random.RandomState(0).normal(size=(2000, 2))
    frame = pd.DataFrame(values, columns=["a", "b"])
    frame.to_csv(tmp_path / "x.csv", index=False)
    np.testing.assert_array_equal(cli._read_table(tmp_path / "x.csv")[0].to_numpy(), values)
    _, batches = read_batches(tmp_path / "x.csv", 700)
    np.testing.assert_array_equal(pd.concat(list(batches)).to_numpy(), values)


def test_predict_parquet_in_and_out(saved_pipeline, tmp_path):
    pytest.importorskip("pyarrow")
    model, path, X, _ = saved_pipeline
    data = tmp_path / "data.parquet"
    X.to_parquet(data)
    out = tmp_path / "pred.parquet"
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet"]) == 0
    got = pd.read_parquet(out)
    assert list(got.columns) == ["car", "color", "tags"]
    assert got["car"].tolist() == model.predict(X)["car"].tolist()


@pytest.mark.parametrize("change, message", [
    (lambda X: X.rename(columns={"b": "B"}),
     "lacks the column(s) ['b'] that the model was trained on (it expects ['a', 'b', 'c']). "
     "Columns the model does not know: ['B'] (renamed?)"),
    (lambda X: X.drop(columns=["c"]), "lacks the column(s) ['c']"),
    (lambda X: X.assign(a="text"), "cannot predict rows 0-59"),
])
def test_predict_column_errors_exit_2(saved_pipeline, tmp_path, capsys, change, message):
    _, path, X, _ = saved_pipeline
    data = tmp_path / "bad.csv"
    change(X).to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_predict_checks_columns_before_drawing_progress(saved_pipeline, tmp_path, capsys):
    _, path, X, _ = saved_pipeline
    data = tmp_path / "bad.csv"
    X.drop(columns=["c"]).to_csv(data, index=False)
    assert cli.main(["predict", str(path), str(data), "--out", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert "lacks the column(s) ['c']" in err and "rows/s" not in err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_data_without_rows_exits_2(saved_pipeline, tmp_path, capsys, suffix):
    _, path, X, _ = saved_pipeline
    data = tmp_path / f"empty{suffix}"
    if suffix == ".csv":
        X.iloc[:0].to_csv(data, index=False)
    else:
        pytest.importorskip("pyarrow")
        X.iloc[:0].to_parquet(data, index=False)
    out = tmp_path / f"pred{suffix}"
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet"]) == 2
    assert f"DATA {str(data)!r} has no rows to predict." in capsys.readouterr().err
    assert not out.exists()


def test_a_folder_where_a_file_is_expected_and_a_file_where_a_folder_is(saved_pipeline,
                                                                         csv, tmp_path,
                                                                         capsys):
    # a folder given as DATA (or MODEL, --data) was "no such file"; compare --out naming
    # a file was "cannot be created: [Errno 17] File exists"
    _, path, _, data = saved_pipeline
    folder = tmp_path / "inputs"
    folder.mkdir()
    out = str(tmp_path / "p.csv")
    for argv, what in (
            (["predict", str(path), str(folder), "--out", out], "DATA"),
            (["predict", str(folder), str(data), "--out", out], "MODEL"),
            (["export", str(path), "--onnx", str(tmp_path / "m.onnx"), "--sample",
              str(folder)], "--sample"),
            (["compare", "--data", str(folder), "--targets", "a"], "--data"),
            (["fit", "--data", str(folder), "--targets", "a", "--out",
              str(tmp_path / "m.mtl")], "--data")):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert f"{what} {str(folder)!r} is a folder; expected a file." in err, err
    if hasattr(os, "mkfifo"):  # a named pipe (bash's <(...)) was "no such file"
        pipe = tmp_path / "rows.csv"
        os.mkfifo(pipe)
        for argv, what in ((["predict", str(path), str(pipe), "--out", out], "DATA"),
                           (["fit", "--data", str(pipe), "--targets", "a", "--out",
                             str(tmp_path / "m.mtl")], "--data")):
            assert cli.main(argv) == 2
            err = capsys.readouterr().err
            assert (f"{what} {str(pipe)!r} is not a regular file (a pipe or a device), "
                    "which the command cannot read more than once") in err, err
            assert ("DATA '-' reads standard input" in err) == (what == "DATA")
    report = tmp_path / "report.md"
    report.write_text("an earlier report\n")
    assert cli.main(["compare", "--data", str(csv), "--targets", "species", "--out",
                     str(report), "--models", "dummy", "--cv", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--out {str(report)!r} is a file; expected a folder" in err and "Errno" not in err
    assert report.read_text() == "an earlier report\n"


def test_predict_file_errors_exit_2(saved_pipeline, tmp_path, capsys):
    _, path, _, data = saved_pipeline
    out = str(tmp_path / "p.csv")
    assert cli.main(["predict", str(tmp_path / "none.mtl"), str(data), "--out", out]) == 2
    assert "no such file" in capsys.readouterr().err
    assert cli.main(["predict", str(path), str(tmp_path / "none.csv"), "--out", out]) == 2
    assert "DATA" in capsys.readouterr().err
    not_a_model = tmp_path / "model.mtl"
    not_a_model.write_text("hello")
    assert cli.main(["predict", str(not_a_model), str(data), "--out", out]) == 2
    assert "cannot be loaded" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert cli.main(["predict", str(path), str(empty), "--out", out]) == 2
    assert "is empty" in capsys.readouterr().err
    bad_parquet = tmp_path / "x.parquet"
    bad_parquet.write_text("not parquet")
    assert cli.main(["predict", str(path), str(bad_parquet), "--out", out]) == 2
    assert "Parquet" in capsys.readouterr().err
    assert cli.main(["predict", str(path), str(data), "--out", out, "--id-column", "nope"]) == 2
    assert "--id-column 'nope' is not a column" in capsys.readouterr().err


def test_predict_reads_standard_input_and_writes_standard_output(saved_pipeline, tmp_path):
    # A pipe: "-" for DATA and --out, as Unix tools read them; the messages stay on
    # standard error, standard output holds the CSV alone. (The network, the one launch
    # that loads it: a new process that imports torch predicts as this one does, and
    # neither torch nor the model writes to either stream; the closed-pipe launches
    # below read a baseline.)
    _, path, _, data = saved_pipeline
    out = tmp_path / "pred.csv"
    args = ["--proba", "--id-column", "row_id", "--batch-size", "16"]
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet", *args]) == 0
    run = subprocess.run(
        [sys.executable, "-m", "sklearn_mtl.cli", "predict", str(path), "-", "--out", "-",
         *args], input=data.read_text(), capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == out.read_text()
    assert "Wrote 60 predictions to standard output." in run.stderr
    assert "Warning" not in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_predict_standard_input_is_read_as_a_csv_file_is(saved_pipeline, tmp_path,
                                                          monkeypatch, capsys):
    import io

    model, path, X, _ = saved_pipeline
    # semicolons and decimal commas, read from the first lines as from a file
    text = X.to_csv(sep=";", decimal=",", index=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert cli.main(["predict", str(path), "-", "--out", "-", "--batch-size", "7",
                     "--quiet"]) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert got["car"].tolist() == model.predict(X)["car"].tolist()
    # a value that is no number: exit 2, the column named, nothing written out
    bad = X.astype({"b": object})
    bad.iloc[9, 1] = "n/a?"
    monkeypatch.setattr(sys, "stdin", io.StringIO(bad.to_csv(index=False)))
    assert cli.main(["predict", str(path), "-", "--out", "-", "--batch-size", "7",
                     "--quiet"]) == 2
    captured = capsys.readouterr()
    assert "cannot predict rows 7-13 of DATA '-'" in captured.err
    assert "row 9, column 'b' holds 'n/a?'" in captured.err
    assert captured.out.count("\n") == 8  # the header and the first batch


def test_info_describes_the_model(saved_pipeline, capsys):
    _, path, _, _ = saved_pipeline
    assert cli.main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Model: StandardScaler -> MultiTaskClassifier" in text
    assert "color: binary, classes ['blue', 'red'], applies when car in ['yes']" in text
    assert "tags: multilabel, classes ['x', 'y']" in text
    assert "Training data: (60, 3) (rows: those the network trained on in its first " \
        "epoch, a validation split left out)" in text
    assert "Input columns: ['a', 'b', 'c']" in text
    assert "torch " in text and "scikit-learn " in text
    assert cli.main(["info", str(path), "--json"]) == 0
    import json

    info = json.loads(capsys.readouterr().out)
    assert info["tasks"][1]["gate"] == {"task": "car", "values": ["yes"]}
    assert info["input"]["n_features"] == 3


def test_export_command(saved_pipeline, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from sklearn_mtl._export import run_onnx

    model, path, X, data = saved_pipeline
    out = tmp_path / "model.onnx"
    assert cli.main(["export", str(path), "--onnx", str(out), "--sample", str(data)]) == 0
    import numpy as np
    import onnx

    got = run_onnx(onnx.load(str(out)), X)
    np.testing.assert_allclose(got["car_probability"], model.predict_proba(X)[0], atol=1e-5)
    assert got["tags_label"].shape == (60, 2)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"Wrote {out}."
    assert printed[2].startswith("Outputs: car_probability, ") and "tags_label" in printed[2]
    assert printed[3].startswith("Labels: <task>_label: index in the task's classes")


def _bad_sample(X, kind, folder):
    """X's rows as a --sample file with one cell the model cannot read (``kind``)."""
    frame = X.copy()
    if kind == "text":
        frame["b"] = frame["b"].astype(object)
        frame.loc[3, "b"] = "abc"
    elif kind == "inf":
        frame.loc[1, "a"] = np.inf
    elif kind == "list":
        frame["c"] = [[v, v] for v in frame["c"]]
    elif kind == "date":
        frame["a"] = pd.date_range("2024-01-01", periods=len(frame))
    else:  # amounts written with a thousands mark, read without --thousands
        frame["a"] = [f"{1000 + v:,.2f}" for v in frame["a"]]
    path = folder / ("sample.parquet" if kind in ("list", "date") else "sample.csv")
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("kind, message", [
    ("text", "row 3, column 'b' holds 'abc'"),
    ("inf", "row 1, column 'a' holds inf"),
    ("list", "--sample '.*sample.parquet'"),
    ("date", "row 0, column 'a' holds Timestamp"),
    ("thousands", "row 0, column 'a' holds '1,"),
])
def test_export_sample_cells_the_model_cannot_read_exit_2(saved_pipeline, tmp_path, capsys,
                                                          kind, message):
    # export --sample crashed with a traceback (check_parity's conversion, a RowError, an
    # unhashable list) where predict on the same file exits 2 naming the row and column:
    # the sample is checked as predict checks DATA
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    _, path, X, _ = saved_pipeline
    sample = _bad_sample(X, kind, tmp_path)
    out = tmp_path / "model.onnx"
    assert cli.main(["predict", str(path), str(sample), "--out", str(tmp_path / "p.csv"),
                     "--quiet"]) == 2
    predicted = capsys.readouterr().err
    assert cli.main(["export", str(path), "--onnx", str(out), "--sample", str(sample)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sklearn-mtl export: error: The model cannot predict rows ")
    assert re.search(message, err), err
    assert "Traceback" not in err
    # the same message as predict's, the file named as --sample
    assert err.split(": ", 3)[3] == predicted.split(": ", 3)[3].replace("DATA", "--sample")
    assert not out.exists()


def test_export_of_a_baseline_fitted_on_text_columns_says_why_not(dated_csv, tmp_path,
                                                                   capsys):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    train, new, _ = dated_csv
    out = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(train), "--targets", "kind,size", "--model",
                     "independent", "--out", str(out), "--quiet"]) == 0
    assert cli.main(["export", str(out), "--onnx", str(tmp_path / "m.onnx"), "--sample",
                     str(new)]) == 2
    err = capsys.readouterr().err
    assert ("reads the columns ['shop'] as categories and the columns ['day'] as days "
            "the way `sklearn-mtl fit` builds it") in err
    assert "The mtl model of the same file exports" in err
    assert not (tmp_path / "m.onnx").exists()


def test_predict_model_fitted_on_an_array(tmp_path, capsys):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier, save

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, np.c_[X[:, 0] > 0, X[:, 1] > 0])
    path = save(model, tmp_path / "m.mtl")
    data, out = tmp_path / "d.csv", tmp_path / "p.csv"
    pd.DataFrame(X, columns=["u", "v", "w"]).assign(key=range(30)).to_csv(data, index=False)
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet",
                     "--id-column", "key"]) == 0
    got = pd.read_csv(out)
    assert list(got.columns) == ["key", "task0", "task1"]
    np.testing.assert_array_equal(got[["task0", "task1"]], model.predict(X))
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet"]) == 2
    assert "trained on 3 unnamed feature columns" in capsys.readouterr().err
    assert cli.main(["info", str(path)]) == 0
    assert ("Training data: 3 features (the model does not record its number of training "
            "rows)") in capsys.readouterr().out


@pytest.mark.parametrize("handle_unknown", ["ignore", "error"])
def test_predict_and_export_read_int_coded_categories_as_numbers(tmp_path, capsys,
                                                                  handle_unknown):
    # A OneHotEncoder fitted on int codes compares numbers: the text "2" would be an
    # unknown category (every row the all-zeros one-hot, or an error), not the code 2.
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sklearn_mtl import IndependentTaskClassifier, save
    from sklearn_mtl._cli_deploy import text_columns

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "k": rng.randint(0, 4, 120),
                      "shop": rng.choice(["01", "02"], 120)})
    Y = pd.DataFrame({"t": np.where(X["k"] >= 2, "y", "n"),
                      "u": np.where(X["a"] > 0, "p", "q")})
    model = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["a"]),
                           ("cat", OneHotEncoder(handle_unknown=handle_unknown),
                            ["k", "shop"])]),
        IndependentTaskClassifier(LogisticRegression()),
    ).fit(X, Y)
    path = save(model, tmp_path / "m.mtl")
    data, out = tmp_path / "d.csv", tmp_path / "p.csv"
    X.to_csv(data, index=False)
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet"]) == 0, \
        capsys.readouterr().err
    got = pd.read_csv(out, dtype=str)
    np.testing.assert_array_equal(got[["t", "u"]].to_numpy(),
                                  np.asarray(model.predict(X), dtype=str))
    assert text_columns(model) == ["shop"]  # the codes "01" stay text
    if handle_unknown == "ignore":
        pytest.importorskip("onnxruntime")
        pytest.importorskip("skl2onnx")
        onx = tmp_path / "m.onnx"
        assert cli.main(["export", str(path), "--onnx", str(onx), "--sample", str(data)]) == 0, \
            capsys.readouterr().err
        assert "Inputs: a, k, shop" in capsys.readouterr().out


def test_predict_and_export_sample_read_a_model_fitted_on_integer_column_names(tmp_path,
                                                                             capsys):
    # A frame of integer column names (pd.DataFrame(array), read_csv(header=None)) gives
    # a model no feature names: its CSV file's header is "0,1,2". export --sample fed the
    # network an array, which its inputs (one per column) could not take, and the codes
    # "01", "02" of a text column were read as the numbers 1 and 2, categories the model
    # never saw
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sklearn_mtl import IndependentTaskClassifier, MultiTaskClassifier, save
    from sklearn_mtl._cli_deploy import text_columns

    rng = np.random.RandomState(0)
    X = pd.DataFrame({0: rng.normal(size=60), 1: rng.choice(["01", "02", "10"], 60),
                      2: rng.normal(size=60)})
    Y = pd.DataFrame({"t": np.where(X[1] == "02", "y", "n")})
    data = tmp_path / "d.csv"
    X.to_csv(data, index=False)
    assert data.read_text().splitlines()[:2] == ["0,1,2", f"{X[0][0]},{X[1][0]},{X[2][0]}"]
    baseline = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), [0, 2]),
                           ("cat", OneHotEncoder(handle_unknown="ignore"), [1])]),
        IndependentTaskClassifier(LogisticRegression()),
    ).fit(X, Y)
    assert text_columns(baseline) == [1]  # by position
    network = MultiTaskClassifier(max_epochs=2, random_state=0, lookup=None).fit(X, Y)
    for name, model in (("baseline", baseline), ("network", network)):
        path = save(model, tmp_path / f"{name}.mtl")
        out = tmp_path / f"{name}.csv"
        # an id column before the model's columns: positions count the others
        X.assign(id=[f"r{i}" for i in range(60)])[["id", 0, 1, 2]].to_csv(
            tmp_path / "ids.csv", index=False)
        for source in (data, tmp_path / "ids.csv"):
            ids = ["--id-column", "id"] if source.stem == "ids" else []
            assert cli.main(["predict", str(path), str(source), "--out", str(out), "--quiet",
                             *ids]) == 0, capsys.readouterr().err
            got = pd.read_csv(out, dtype=str)
            assert got["t"].tolist() == model.predict(X)["t"].tolist(), name
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    onx = tmp_path / "m.onnx"
    assert cli.main(["export", str(tmp_path / "network.mtl"), "--onnx", str(onx),
                     "--sample", str(data)]) == 0, capsys.readouterr().err
    assert "Inputs: 0, 1, 2" in capsys.readouterr().out


def test_report_shows_warnings_task_rows_and_integer_counts(csv, tmp_path, capsys):
    """Warnings that matter reach the screen and report.md; per-task rows read "species"
    and counts are integers."""
    code = cli.main(["compare", "--data", str(csv), "--targets", "species,sex",
                     "--features", "x1", "--models", "product,dummy", "--cv", "2",
                     "--out", str(tmp_path / "out"), "--no-plots", "--quiet"])
    assert code == 0
    err = capsys.readouterr().err
    assert "Warnings (also in report.md)" in err
    assert "LabelProductClassifier left out" in err
    report = (tmp_path / "out" / "report.md").read_text()
    warnings_part = report.split("## Warnings", 1)[1].split("##", 1)[0]
    assert "LabelProductClassifier left out" in warnings_part
    assert "| task / label | n_labelled | n_missing |" in report
    assert "| species | 24 | 0 |" in report
    assert "| sex | 21 | 3 |" in report
    assert "species / " not in report and "24.000" not in report


@pytest.fixture
def subjects_csv(tmp_path):
    # three rows a patient, the patient's labels the same in each
    frame = pd.DataFrame({
        "patient": [f"p{i // 3}" for i in range(24)],
        "age": [30 + (i // 3) * 5 for i in range(24)],
        "dose": [0.5 * (i % 3) for i in range(24)],
        "smoker": ["yes" if (i // 3) % 2 else "no" for i in range(24)],
        "race": [["a", "b", "c", "a", "b", "a", "c", "b"][i // 3] for i in range(24)],
    })
    path = tmp_path / "patients.csv"
    frame.to_csv(path, index=False)
    return path


def test_compare_groups_column(subjects_csv, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["compare", "--data", str(subjects_csv), "--targets", "smoker,race",
                     "--groups", "patient", "--models", "dummy", "--cv", "4",
                     "--out", str(out), "--no-plots"])
    assert code == 0
    printed = capsys.readouterr().out
    # the group column is not a feature
    assert "24 samples, 2 features, tasks ['smoker', 'race']; 4-fold CV grouped by " \
        "'patient' of dummy." in printed
    report = (out / "report.md").read_text()
    assert "(age, dose)" in report
    assert ("4-fold shuffled MultiTaskStratifiedGroupKFold over the column 'patient' (no "
            "group in two folds, every task's classes balanced across folds as the groups "
            "allow; random_state=0)") in report


@pytest.mark.parametrize(
    "args, message",
    [
        (["--groups", "nurse"], "--groups names unknown column(s) ['nurse']"),
        (["--groups", "race"], "--groups column 'race' is also a target"),
        (["--groups", "patient", "--cv", "9"], "--cv 9 needs at least 9 groups; --groups "
         "'patient' has 8."),
    ],
)
def test_groups_errors_exit_2(subjects_csv, tmp_path, capsys, args, message):
    code = cli.main(["compare", "--data", str(subjects_csv), "--targets", "smoker,race",
                     "--models", "dummy", "--cv", "2", "--out", str(tmp_path / "o"), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_groups_need_data(capsys):
    assert cli.main(["compare", "--dataset", "penguins", "--groups", "island"]) == 2
    assert "--groups goes with --data (a CSV, Parquet or Excel file), not --dataset" in \
        capsys.readouterr().err
    assert cli.main(["fit", "--groups", "island", "--targets", "sex", "--out", "m.mtl"]) == 2
    assert "--targets, --groups go with --data" in capsys.readouterr().err


def test_groups_column_with_a_gap(subjects_csv, tmp_path, capsys):
    frame = pd.read_csv(subjects_csv)
    frame.loc[4, "patient"] = None
    frame.to_csv(subjects_csv, index=False)
    code = cli.main(["compare", "--data", str(subjects_csv), "--targets", "smoker,race",
                     "--groups", "patient", "--models", "dummy", "--cv", "2",
                     "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--groups column 'patient' has 1 missing value(s)" in capsys.readouterr().err


def test_csv_dates_read_as_dates(tmp_path):
    path = tmp_path / "visits.csv"
    pd.DataFrame({
        "day": ["2024-03-01", "2024-03-03T12:00:00Z", None, "2024-02-28 06:00"],
        "code": ["2024-13-45", "2024-01-01", "2024-01-02", "2024-01-03"],  # not a date
        "note": ["a", "b", "c", "d"],
        "t": ["x", "y", "x", "y"],
    }).to_csv(path, index=False)
    X, Y, note, _ = cli._load_table(path, "t", None)
    assert pd.api.types.is_datetime64_any_dtype(X["day"]) and str(X["day"].dt.tz) == "UTC"
    assert X["day"].isna().tolist() == [False, False, True, False]
    assert X["day"][1] == pd.Timestamp("2024-03-03 12:00", tz="UTC")
    assert not pd.api.types.is_datetime64_any_dtype(X["code"])  # kept as text
    assert "column(s) ['day'] read as dates (ISO 8601, in UTC)" in note
    # the baselines read the dates as days since 1970-01-01, as the network does
    out = cli.baseline_preprocessing(X, model="trees").fit_transform(X)
    days = pd.Timestamp("2024-03-01") - pd.Timestamp("1970-01-01")
    assert out[0, 0] == days.days and out[1, 0] == days.days + 2.5
    assert np.isnan(out[2, 0])  # the gap, for the trees to place


# ------------------------------------------------------------- separators and decimals
@pytest.mark.parametrize("text, expected", [
    ("a,b\n1.5,x\n", {}),
    ('"a;b",c\n1,2\n', {}),  # a comma outside quotes: a comma-separated file
    ("a;b\n1.5;x\n", {"sep": ";"}),
    ("a;b\n1,5;x\n-2,25;y\n", {"sep": ";", "decimal": ","}),
    ("a;b;c\n1,5;2.5;x\n", {"sep": ";"}),  # a point too: commas are not decimals
    ("a\tb\n1,5\tx\n", {"sep": "\t", "decimal": ","}),
    ("a|b|c\n1|2|3\n", {"sep": "|"}),
    ("a\n1\n", {}),  # one column
    ("", {}),
    # a name holding a comma in a header of tabs or semicolons, as to_csv(sep=...)
    # writes it: the separator that splits the header and the rows alike
    ("price, usd\tkind\tlabel\n1.5\ta\tx\n2.5\tb\ty\n", {"sep": "\t"}),
    ("Preis, EUR;Art;label\n1,5;a;x\n2,5;b;y\n", {"sep": ";", "decimal": ","}),
    ("a,b\n1,2\n3,4,5\n", {}),  # no separator splits them alike: the comma as before
    ("price, usd\tkind\n1\tx\n2\ty\tz\n", {"sep": "\t"}),  # the most rows fit tabs
])
def test_csv_format_reads_the_separator_and_decimal_comma(tmp_path, text, expected):
    from sklearn_mtl._cli_deploy import csv_format

    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    assert csv_format(path) == expected


def test_a_name_holding_a_comma_in_a_tab_separated_header(tmp_path, capsys):
    # pandas' to_csv(sep='\t') leaves a name "price, usd" unquoted: the header was read
    # as comma-separated ("price" and " usd\tkind\tlabel"), and the rows did not fit
    rng = np.random.RandomState(0)
    price = np.round(rng.uniform(1, 9, size=40), 2)
    frame = pd.DataFrame({"price, usd": price, "kind": np.where(price > 5, "a", "b"),
                          "label": np.where(price > 4, "x", "y")})
    data = tmp_path / "data.tsv"
    frame.to_csv(data, sep="\t", index=False)
    assert data.read_text().startswith("price, usd\tkind\tlabel\n")
    model, out = tmp_path / "model.mtl", tmp_path / "pred.csv"
    assert cli.main(["fit", "--data", str(data), "--targets", "label", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0, \
        capsys.readouterr().err
    import sklearn_mtl

    assert list(sklearn_mtl.load(model).feature_names_in_) == ["price, usd", "kind"]
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--quiet"]) == 0
    assert len(pd.read_csv(out)) == 40
    # a row that fits no separator: the error names the one guessed
    ragged = tmp_path / "ragged.tsv"
    ragged.write_text("price, usd\tkind\n1.5\ta\n2.5\tb\tc\n", encoding="utf-8")
    assert cli.main(["predict", str(model), str(ragged), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Expected 2 fields in line 3, saw 3 (read as tab-separated, the separator " \
           "guessed from its header and first rows" in err, err
    assert cli.main(["fit", "--data", str(ragged), "--targets", "kind", "--out",
                     str(tmp_path / "m2.mtl"), "--quiet"]) == 2
    assert "saw 3 (read as tab-separated" in capsys.readouterr().err


def test_fit_and_predict_read_semicolons_and_decimal_commas(dated_csv, tmp_path, capsys):
    # As spreadsheets save a CSV in many locales: the same model, the same predictions.
    import sklearn_mtl

    train, new, frame = dated_csv
    semi, tab = tmp_path / "train_semi.csv", tmp_path / "new.tsv"
    frame.to_csv(semi, index=False, sep=";", decimal=",")
    frame.drop(columns=["kind", "size"]).to_csv(tab, index=False, sep="\t", decimal=",")
    outs = []
    for data in (train, semi):
        out = tmp_path / f"{data.stem}.mtl"
        assert cli.main(["fit", "--data", str(data), "--targets", "kind,size", "--model",
                         "independent", "--out", str(out), "--quiet"]) == 0
        outs.append(sklearn_mtl.load(out))
    assert outs[1].feature_names_in_.tolist() == ["x", "shop", "day"]
    X = cli._read_dates(frame.drop(columns=["kind", "size"]))[0]
    for a, b in zip(outs[0].predict_proba(X), outs[1].predict_proba(X), strict=True):
        np.testing.assert_array_equal(a, b)
    preds = []
    for data in (new, tab):
        pred = tmp_path / f"pred_{data.suffix[1:]}.csv"
        assert cli.main(["predict", str(tmp_path / "train_semi.mtl"), str(data), "--out",
                         str(pred), "--quiet"]) == 0
        preds.append(pd.read_csv(pred))
    pd.testing.assert_frame_equal(preds[0], preds[1])


def _amounts(n=40):
    """Amounts in the thousands and the class they set, as a frame of numbers."""
    rng = np.random.RandomState(0)
    amount = np.round(rng.uniform(500, 5000, size=n), 1)
    return pd.DataFrame({"amount": amount, "kind": np.where(amount > 2500, "big", "small")})


def test_thousands_and_decimal_marks_read_amounts_as_numbers(tmp_path, capsys):
    # Amounts written "1,234.5" (as spreadsheets export them) were read as text, one
    # category a value; --thousands and --decimal read them as read_csv(thousands=...,
    # decimal=...) does, in fit and in predict alike
    frame = _amounts()
    us, eu = tmp_path / "us.csv", tmp_path / "eu.csv"
    frame.assign(amount=[f"{a:,.1f}" for a in frame["amount"]]).to_csv(us, index=False)
    european = [f"{a:,.1f}".translate(str.maketrans(",.", ".,")) for a in frame["amount"]]
    frame.assign(amount=european).to_csv(eu, index=False, sep=";")
    assert re.search(r'\n"\d,\d{3}\.\d",', us.read_text())  # "1,234.5"
    assert re.search(r"\n\d\.\d{3},\d;", eu.read_text())  # 1.234,5
    for path, marks in ((us, {"thousands": ","}), (eu, {"thousands": ".", "decimal": ","})):
        X, Y, _, _ = cli._load_table(path, "kind", None, **marks)
        np.testing.assert_array_equal(X["amount"].to_numpy(), frame["amount"].to_numpy())
    assert cli._load_table(us, "kind", None)[0]["amount"].dtype != float  # as before
    models = {}
    for path, options in ((us, ["--thousands", ","]),
                          (eu, ["--thousands", ".", "--decimal", ","])):
        model = tmp_path / f"{path.stem}.mtl"
        assert cli.main(["fit", "--data", str(path), "--targets", "kind", "--model",
                         "independent", "--out", str(model), "--quiet", *options]) == 0, \
            capsys.readouterr().err
        import sklearn_mtl

        models[path.stem] = sklearn_mtl.load(model)
        out = tmp_path / f"{path.stem}_pred.csv"
        assert cli.main(["predict", str(model), str(path), "--out", str(out), "--quiet",
                         *options]) == 0, capsys.readouterr().err
        expected = models[path.stem].predict(frame[["amount"]])
        assert pd.read_csv(out)["kind"].tolist() == list(expected["kind"])
        # without the marks, the model is not given the numbers it learned
        assert cli.main(["predict", str(model), str(path), "--out", str(out),
                         "--quiet"]) == 2
        assert "amount" in capsys.readouterr().err
    # one model whatever the file's spelling: a baseline of numbers, no one-hot columns
    for a, b in zip(models["us"].predict_proba(frame[["amount"]]),
                    models["eu"].predict_proba(frame[["amount"]]), strict=True):
        np.testing.assert_array_equal(a, b)
    assert type(models["us"][0]).__name__ == "StandardScaler"


def test_thousands_marks_read_with_gaps_workbooks_and_samples(tmp_path, capsys):
    # a '?' gap leaves read_csv a column of text, which the commands read as numbers
    # with the same marks; a workbook's text cells are read with them, as read_excel's
    # thousands= reads them; export --sample takes them too
    from sklearn_mtl._cli_deploy import read_missing_marks

    read, found = read_missing_marks(pd.DataFrame({"a": ["1.234,5", "?", "12"]}),
                                     decimal=",", thousands=".")
    assert found == {"a": 1} and read["a"].tolist()[::2] == [1234.5, 12.0]
    read, _ = read_missing_marks(pd.DataFrame({"a": ["1,234", "?", ",5"]}), thousands=",")
    assert read["a"].tolist()[0] == "1,234"  # ',5' is no number: the column stays text
    frame = _amounts()
    text = frame.assign(amount=[f"{a:,.1f}" for a in frame["amount"]])
    text.loc[3, "amount"] = "?"
    path = tmp_path / "gaps.csv"
    text.to_csv(path, index=False)
    X = cli._load_table(path, "kind", None, thousands=",")[0]
    assert X["amount"].dtype == float and X["amount"].isna().sum() == 1
    np.testing.assert_array_equal(X["amount"].drop(index=3), frame["amount"].drop(index=3))
    pytest.importorskip("openpyxl")
    book = tmp_path / "amounts.xlsx"
    text.to_excel(book, index=False)  # text cells, as a CSV file pasted into a sheet
    X = cli._load_table(book, "kind", None, thousands=",")[0]
    np.testing.assert_array_equal(X["amount"].drop(index=3), frame["amount"].drop(index=3))
    model = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(path), "--targets", "kind", "--model",
                     "independent", "--out", str(model), "--quiet", "--thousands", ","]) == 0
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(model), str(book), "--out", str(out), "--quiet",
                     "--thousands", ","]) == 0, capsys.readouterr().err
    assert len(pd.read_csv(out)) == len(frame)
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    onx = tmp_path / "m.onnx"
    assert cli.main(["export", str(model), "--onnx", str(onx), "--sample", str(path),
                     "--thousands", ","]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("sep, options, message", [
    (",", ["--thousands", "."], "--thousands '.' is also the decimal mark"),
    (",", ["--thousands", ",", "--decimal", ","],
     "--thousands ',' and --decimal ',' are the same mark"),
    (";", ["--thousands", ";"], "--thousands ';' is also the file's separator (';'"),
    (";", ["--decimal", ";"], "--decimal ';' is also the file's separator (';'"),
    (",", ["--thousands", "ab"], "--thousands 'ab' is not a mark of numbers"),
    (",", ["--decimal", "1"], "--decimal '1' is not a mark of numbers"),
    (",", ["--thousands", "\u00a0"], "is not a mark of numbers; expected one character"),
])
def test_marks_of_numbers_that_cannot_be_read_exit_2(tmp_path, capsys, sep, options,
                                                     message):
    path = tmp_path / "d.csv"
    _amounts().to_csv(path, index=False, sep=sep)
    assert cli.main(["fit", "--data", str(path), "--targets", "kind", "--model",
                     "independent", "--out", str(tmp_path / "m.mtl"), *options]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.mtl").exists()


def test_marks_of_numbers_are_refused_where_nothing_reads_them(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    data, model = _fit_sign_of_x(tmp_path, np.array([0.5, -0.5, 1.5, -1.5]), "--model",
                                 "independent")
    parquet = tmp_path / "d.parquet"
    pd.read_csv(data).to_parquet(parquet)
    assert cli.main(["fit", "--data", str(parquet), "--targets", "y", "--out",
                     str(tmp_path / "p.mtl"), "--thousands", ","]) == 2
    assert "--thousands ',' read the cells of a CSV file or a workbook" in \
        capsys.readouterr().err
    assert cli.main(["predict", str(model), str(parquet), "--out", str(tmp_path / "p.csv"),
                     "--decimal", ","]) == 2
    assert "is a Parquet file, whose numbers are numbers already" in capsys.readouterr().err
    assert cli.main(["export", str(model), "--onnx", str(tmp_path / "m.onnx"),
                     "--thousands", ","]) == 2
    assert "read the numbers of --sample, which is not given" in capsys.readouterr().err
    assert cli.main(["compare", "--dataset", "penguins", "--decimal", ","]) == 2
    assert "--decimal goes with --data" in capsys.readouterr().err


# ------------------------------------------------------------------ regression targets
def _write_quantity_csv(folder):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80),
                          "shop": rng.choice(["x", "y"], 80)})
    frame["kind"] = np.where(frame["a"] > 0, "p", "q")
    frame["mass"] = 4000 + 500 * frame["b"] + rng.normal(scale=50, size=80)
    frame.loc[7, "mass"] = None  # a missing quantity: masked, as a missing label is
    path = folder / "quantity.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.fixture
def quantity_csv(tmp_path):
    """Two class labels and a quantity in grams among the targets."""
    return _write_quantity_csv(tmp_path)


@pytest.fixture(scope="module")
def quantity_compare(tmp_path_factory):
    """compare of quantity_csv's class label and quantity (--targets kind,mass
    --regression-targets mass) with the network, its figures drawn: the run three tests
    read (module-scoped: run once)."""
    folder = tmp_path_factory.mktemp("quantity_compare")
    path, _ = _write_quantity_csv(folder)
    return _compare_once(folder, path, "--targets", "kind,mass", "--regression-targets",
                         "mass", "--models", "mtl", "--cv", "2", "--max-epochs", "1",
                         "--quiet")


def test_regression_targets_fit_predict_and_compare(quantity_csv, quantity_compare,
                                                    tmp_path, capsys):
    import sklearn_mtl
    from sklearn_mtl import Task

    path, frame = quantity_csv
    data = ["--data", str(path), "--targets", "kind,mass", "--regression-targets", "mass"]
    out = tmp_path / "model.mtl"
    assert cli.main(["fit", *data, "--out", str(out), "--max-epochs", "3",
                     "--random-state", "1", "--quiet"]) == 0
    X, Y = frame[["a", "b", "shop"]], frame[["kind", "mass"]]
    expected = cli.build_model("mtl", random_state=1, max_epochs=3, X=X, tasks=[
        Task("kind"), Task("mass", kind="regression")]).fit(X, Y)
    loaded = sklearn_mtl.load(out)
    assert [t.kind for t in loaded.schema_] == ["binary", "regression"]
    pd.testing.assert_frame_equal(loaded.predict(X), expected.predict(X))
    new, pred = tmp_path / "new.csv", tmp_path / "pred.csv"
    X.to_csv(new, index=False)
    assert cli.main(["predict", str(out), str(new), "--out", str(pred), "--quiet"]) == 0
    np.testing.assert_allclose(pd.read_csv(pred)["mass"], expected.predict(X)["mass"],
                               rtol=1e-5)
    # and compare scores both (the module's run of the same data and options)
    code, _, err, report, _ = quantity_compare
    assert code == 0, err
    assert "mass rmse" in report and "mass r2" in report and "kind accuracy" in report


@pytest.mark.parametrize("args, message", [
    (["--models", "mtl,dummy,independent"], r"only the mtl model \(and the dummy reference, "
                                            r"the training mean\) predicts quantities; "
                                            r"\['independent'\] fit classifiers"),
    (["--regression-targets", "a"], r"--regression-targets names \['a'\], which --targets "
                                    r"does not"),
    (["--targets", "kind,shop", "--regression-targets", "shop"],
     r"column 'shop' holds '[xy]' in data row 1, which is not a number; a regression "
     r"target holds numbers. Leave a column of class labels out of --regression-targets"),
    (["--targets", "kind,mass", "--regression-targets", ""], r"non-integral numbers .* "
                                                           r"unless --regression-targets"),
])
def test_regression_target_errors_exit_2(quantity_csv, tmp_path, capsys, args, message):
    path, _ = quantity_csv
    base = {"--targets": "kind,mass", "--regression-targets": "mass", "--models": "mtl"}
    it = iter(args)
    base.update(dict(zip(it, it)))
    argv = ["compare", "--data", str(path), "--out", str(tmp_path / "r"), "--no-plots"]
    for key, value in base.items():
        if value:
            argv += [key, value]
    assert cli.main(argv) == 2
    assert re.search(message, capsys.readouterr().err)
    assert cli.main(["fit", "--dataset", "penguins", "--regression-targets", "x",
                     "--out", str(tmp_path / "m.mtl")]) == 2
    assert "--regression-targets goes with --data" in capsys.readouterr().err


# ------------------------------------------------------------------ multilabel targets
@pytest.fixture
def tags_csv(tmp_path):
    """A class label and a column of tags: labels separated by |, empty where none."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.normal(size=90), "b": rng.normal(size=90)})
    frame["kind"] = np.where(frame["a"] > 0, "p", "q")
    tags = [[t for t, on in (("red", a > 0.3), ("big", b > 0)) if on]
            for a, b in zip(frame["a"], frame["b"], strict=True)]
    frame["tags"] = ["|".join(t) for t in tags]
    assert (frame["tags"] == "").any() and frame["tags"].str.contains("|", regex=False).any()
    path = tmp_path / "tags.csv"
    frame.to_csv(path, index=False)
    return path, frame, [set(t) for t in tags]


@pytest.mark.parametrize("model", ["mtl", "independent", "product-hgb"])
def test_multilabel_targets_fit_predict_and_read_back(tags_csv, tmp_path, capsys, model):
    import sklearn_mtl
    from sklearn_mtl import Task

    path, frame, tags = tags_csv
    out = tmp_path / "model.mtl"
    args = ["fit", "--data", str(path), "--targets", "kind,tags", "--multilabel-targets",
            "tags", "--model", model, "--out", str(out), "--quiet"]
    assert cli.main([*args, "--max-epochs", "3"] if model == "mtl" else args) == 0
    loaded = sklearn_mtl.load(out)
    final = loaded[-1] if hasattr(loaded, "steps") else loaded
    assert final.schema_["tags"] == Task("tags", kind="multilabel", classes=["big", "red"])
    # the model the comparison fits, on the label sets (an empty cell: no label)
    X, Y = frame[["a", "b"]], frame[["kind"]].assign(tags=tags)
    expected = cli.build_model(model, max_epochs=3, X=X,
                               tasks=[Task("kind"), Task("tags", kind="multilabel")]).fit(X, Y)
    for got, want in zip(loaded.predict_proba(X), expected.predict_proba(X), strict=True):
        np.testing.assert_array_equal(got, want)
    # predict writes the labels as the file gave them, and the file reads back the same
    pred = tmp_path / "pred.csv"
    assert cli.main(["predict", str(out), str(path), "--out", str(pred), "--quiet"]) == 0
    written = pd.read_csv(pred, keep_default_na=False)["tags"]
    assert [set(filter(None, t.split("|"))) for t in written] == list(
        expected.predict(X)["tags"])
    back = frame[["a", "b"]].assign(kind=frame["kind"], tags=written.to_numpy())
    back.to_csv(tmp_path / "back.csv", index=False)
    assert cli.main([*args[:2], str(tmp_path / "back.csv"), *args[3:7], "--model", "mtl",
                     "--max-epochs", "1", "--out", str(tmp_path / "b.mtl"), "--quiet"]) == 0
    assert sklearn_mtl.load(tmp_path / "b.mtl").schema_["tags"].kind == "multilabel"


def test_multilabel_target_cells_empty_missing_and_numeric():
    # an empty cell: none of the labels; "?": not annotated (missing); numbers as labels
    column = pd.Series(["red|big", np.nan, " ? ", "big", 3, "1|2"])
    assert cli._label_sets(column).tolist() == [
        {"red", "big"}, set(), None, {"big"}, {"3"}, {"1", "2"}]
    # a Parquet list column: lists, an empty one, and a null (not annotated)
    lists = pd.Series([np.array(["a", "b"], dtype=object), np.array([], dtype=object), None])
    assert cli._label_sets(lists).tolist() == [{"a", "b"}, set(), None]


def test_a_question_mark_in_a_multilabel_target_is_a_missing_label(tags_csv, tmp_path):
    path, frame, _ = tags_csv
    frame = frame.assign(note=["?"] + ["x"] * (len(frame) - 1))
    frame.loc[0, "tags"] = "?"
    frame.to_csv(path, index=False)
    X, Y, note, _ = cli._load_table(path, "kind,tags", None, label_sets="tags")
    assert Y.loc[0, "tags"] == "?" and pd.isna(X.loc[0, "note"])  # a feature's: a gap
    assert "1 in 'note'" in note and "in 'tags'" not in note


def test_numbers_as_multilabel_labels_read_back_as_written(tmp_path):
    """A cell '1' of a label column with gaps is the label '1', as predict writes it (it
    was read as the number 1.0 and became the label '1.0')."""
    path = tmp_path / "tags.csv"
    pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4], "tags": ["1", None, "2", "1"]}).to_csv(
        path, index=False)  # every cell a number or a gap: pandas would read floats
    X, Y, note, _ = cli._load_table(path, "tags", None, label_sets="tags")
    assert cli._label_sets(Y["tags"]).tolist() == [{"1"}, set(), {"2"}, {"1"}]


def test_whole_number_classes_with_a_gap_come_back_as_written(tmp_path):
    """Classes 1, 2, 3 in a column with a gap: pandas reads floats, and predict wrote
    1.0, 3.0; they are read as whole numbers, and come back as the file has them."""
    rng = np.random.RandomState(0)
    x = rng.normal(size=60)
    cls = np.where(x > 0.5, 3, np.where(x < -0.5, 1, 2)).astype(float)
    cls[5] = np.nan
    train, pred = tmp_path / "train.csv", tmp_path / "pred.csv"
    pd.DataFrame({"x": x, "cls": cls}).to_csv(train, index=False)
    X, Y, _, _ = cli._load_table(train, "cls", None)
    assert str(Y["cls"].dtype) == "Int64" and Y["cls"].isna().sum() == 1
    model = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(train), "--targets", "cls", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0
    assert cli.main(["predict", str(model), str(train), "--out", str(pred), "--quiet"]) == 0
    assert set(pred.read_text().splitlines()[1:]) <= {"1", "2", "3"}


def test_integer_classes_beyond_2_53_with_a_gap_are_read_as_written(tmp_path, capsys):
    # pandas reads a column of integers with a gap as floats: 9007199254740993 read
    # 9007199254740992, and the classes 2**53 + 1 and 2**53 became one
    big = 2 ** 53
    rng = np.random.RandomState(0)
    x = rng.normal(size=40)
    classes = np.where(x > 0, big + 1, big).astype(object)
    classes[[3, 7]] = ["", "?"]
    train = tmp_path / "train.csv"
    pd.DataFrame({"x": x, "cls": classes}).to_csv(train, index=False)
    assert str(big + 1) in train.read_text()
    X, Y, note, _ = cli._load_table(train, "cls", None)
    assert str(Y["cls"].dtype) == "Int64" and Y["cls"].isna().sum() == 2
    assert Y["cls"].dropna().tolist() == [c for c in classes if c not in ("", "?")]
    assert "cells '?' read as missing (1 in 'cls')" in note
    gaps = tmp_path / "gaps.csv"  # an empty cell alone: read_csv's floats
    filled = np.where(np.arange(40) == 7, big, classes)
    pd.DataFrame({"x": x, "cls": filled}).to_csv(gaps, index=False)
    Y = cli._load_table(gaps, "cls", None)[1]
    assert Y["cls"].dropna().tolist() == [c for c in filled if c != ""]
    # with --na-values, the cells read as read_csv(na_values=...) reads them
    marked = tmp_path / "marked.csv"
    pd.DataFrame({"x": x, "cls": np.where(np.arange(40) == 5, -1, classes)}).to_csv(
        marked, index=False)
    X, Y, _, _ = cli._load_table(marked, "cls", None, labels=cli._LabelReading(["-1"]))
    assert Y["cls"].isna().sum() == 3
    assert Y["cls"].dropna().tolist() == [c for i, c in enumerate(classes)
                                          if c not in ("", "?") and i != 5]
    model, out = tmp_path / "m.mtl", tmp_path / "p.csv"
    assert cli.main(["fit", "--data", str(train), "--targets", "cls", "--features", "x",
                     "--model", "independent", "--out", str(model), "--quiet"]) == 0, \
        capsys.readouterr().err
    import sklearn_mtl

    assert sklearn_mtl.load(model)[-1].schema_[0].classes == [big, big + 1]
    assert cli.main(["predict", str(model), str(train), "--out", str(out), "--quiet"]) == 0
    assert set(out.read_text().splitlines()[1:]) == {str(big), str(big + 1)}


def test_multilabel_targets_compare_and_errors(tags_csv, tmp_path, capsys):
    path, _, _ = tags_csv
    base = ["compare", "--data", str(path), "--targets", "kind,tags", "--models",
            "independent,product", "--cv", "3", "--no-plots", "--out", str(tmp_path / "r")]
    assert cli.main([*base, "--multilabel-targets", "tags", "--quiet"]) == 0
    assert "tags f1_macro" in capsys.readouterr().out
    assert cli.main([*base, "--multilabel-targets", "a"]) == 2
    assert "--multilabel-targets names ['a'], which --targets does not" in \
        capsys.readouterr().err
    assert cli.main([*base[:4], "kind,tags,a", *base[5:], "--multilabel-targets", "tags,a",
                     "--regression-targets", "a"]) == 2
    assert "['a'] are named by both" in capsys.readouterr().err
    assert cli.main(["fit", "--dataset", "penguins", "--multilabel-targets", "x",
                     "--out", str(tmp_path / "m.mtl")]) == 2
    assert "--multilabel-targets goes with --data" in capsys.readouterr().err


def test_question_marks_read_as_missing_values(dated_csv, tmp_path, capsys):
    # Public tables (the UCI repository's) mark a missing value with "?": fit, compare
    # and predict read it as missing, as an empty cell; the report says where.
    import sklearn_mtl

    train, new, frame = dated_csv
    marked, gaps = frame.astype({"x": object, "size": object}), frame.copy()
    marked.loc[[2, 9], "x"], gaps.loc[[2, 9], "x"] = "?", np.nan
    marked.loc[4, "size"], gaps.loc[4, "size"] = " ? ", np.nan
    paths = {"marked": tmp_path / "marked.csv", "gaps": tmp_path / "gaps.csv"}
    marked.to_csv(paths["marked"], index=False)
    gaps.to_csv(paths["gaps"], index=False)
    models = {}
    for name, path in paths.items():
        out = tmp_path / f"{name}.mtl"
        assert cli.main(["fit", "--data", str(path), "--targets", "kind,size", "--model",
                         "independent", "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert ("cells '?' read as missing (2 in 'x', 1 in 'size')" in printed) == (
            name == "marked")
        models[name] = sklearn_mtl.load(out)
    X = cli._read_dates(gaps.drop(columns=["kind", "size"]))[0]
    for a, b in zip(models["marked"].predict_proba(X), models["gaps"].predict_proba(X),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    # predict: a "?" cell is a gap there too
    rows = marked.drop(columns=["kind", "size"])
    rows.to_csv(tmp_path / "new.csv", index=False)
    gaps.drop(columns=["kind", "size"]).to_csv(tmp_path / "new_gaps.csv", index=False)
    preds = []
    for data in ("new.csv", "new_gaps.csv"):
        assert cli.main(["predict", str(tmp_path / "marked.mtl"), str(tmp_path / data),
                         "--out", str(tmp_path / f"p_{data}"), "--proba", "--quiet"]) == 0
        preds.append(pd.read_csv(tmp_path / f"p_{data}"))
    pd.testing.assert_frame_equal(preds[0], preds[1])
    # a text column keeps its other values as text
    from sklearn_mtl._cli_deploy import read_missing_marks

    read, found = read_missing_marks(pd.DataFrame({"a": ["u", "?", "v"], "b": [1, 2, 3]}))
    assert found == {"a": 1} and read["a"].tolist()[::2] == ["u", "v"]
    assert pd.isna(read["a"][1])


def test_rows_sorted_by_a_label_along_an_identifier_are_pointed_out(tmp_path, capsys):
    # A file sorted by a label, with a row number: a model can read the label from the
    # number, which a new row does not have. The note says which labels follow it.
    rng = np.random.RandomState(0)
    kind = np.repeat(["a", "b", "c"], 20)
    frame = pd.DataFrame({"row": np.arange(1, 61), "x": rng.normal(size=60), "kind": kind,
                          "coin": rng.choice(["h", "t"], 60)})
    path = tmp_path / "sorted.csv"
    frame.to_csv(path, index=False)
    base = ["fit", "--data", str(path), "--targets", "kind,coin", "--model", "independent",
            "--out", str(tmp_path / "m.mtl")]
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    assert ("Along 'row' the rows follow the labels of 'kind' (they change 2 time(s) from "
            "row to row, where a shuffled file's would change about 39 times): a model can "
            "read these labels from a row's place in the file") in out
    assert "'coin' (" not in out  # a label in no order along the rows
    frame.sample(frac=1, random_state=0).assign(row=np.arange(1, 61)).to_csv(path, index=False)
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    assert "as an identifier does" in out and "follow the labels" not in out


def test_a_subjects_identifier_is_pointed_out(tmp_path, capsys):
    # Several rows of each subject, a label constant within the subject: under shuffled
    # folds a model recognises the subject by its column; the note says to give --groups.
    rng = np.random.RandomState(0)
    subject = np.repeat(np.arange(1, 21), 3)
    frame = pd.DataFrame({"patient": subject, "visit": np.tile([1, 2, 3], 20),
                          "x": rng.normal(size=60)})
    frame["treated"] = np.where(subject % 2 == 0, "yes", "no")
    frame["better"] = rng.choice(["y", "n"], 60)
    path = tmp_path / "visits.csv"
    frame.to_csv(path, index=False)
    base = ["fit", "--data", str(path), "--targets", "treated,better", "--model",
            "independent", "--out", str(tmp_path / "m.mtl")]
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    assert ("Column 'patient' holds 20 values, most of them on several rows, and within a "
            "value the labels of 'treated' (100%) agree: the rows come in groups") in out
    assert "give --groups patient." in out
    assert "'visit' holds" not in out and "'better' (" not in out
    assert cli.main([*base, "--groups", "patient"]) == 0
    assert "holds 20 values" not in capsys.readouterr().out
    # a label that is constant within too few values, or the same almost everywhere
    frame["treated"] = np.where(subject == 1, "yes", "no")
    frame.to_csv(path, index=False)
    assert cli.main(base) == 0
    assert "holds 20 values" not in capsys.readouterr().out


def test_patients_numbered_anew_in_each_centre_are_pointed_out(tmp_path, capsys):
    # The number alone names two patients, one per centre; the centre and the number
    # together name one, and --groups takes both columns: a group is a pair of values.
    rng = np.random.RandomState(0)
    centre = np.repeat([1, 2], 120)
    number = np.tile(np.repeat(np.arange(1, 31), 4), 2)
    patient = (centre - 1) * 30 + number - 1
    frame = pd.DataFrame({"centre": centre, "id": number, "x": rng.normal(size=240),
                          "treat": rng.choice(["A", "P"], 60)[patient],
                          "outcome": rng.choice(["good", "poor"], 240)})
    path = tmp_path / "trial.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    base = ["compare", "--data", str(path), "--targets", "treat,outcome", "--models",
            "dummy", "--cv", "3", "--out", str(out), "--no-plots"]
    assert cli.main(base) == 0
    printed = capsys.readouterr()
    assert ("Column 'id', within the values of 'centre', holds 60 values, most of them on "
            "several rows, and within a value the labels of 'treat' (100%) agree") in (
        printed.out)
    assert "give --groups centre,id." in printed.out
    assert "LeakageWarning" not in printed.err + (out / "report.md").read_text()
    assert cli.main([*base, "--groups", "centre,id"]) == 0
    printed = capsys.readouterr().out
    assert "holds 60 values" not in printed
    assert "240 samples, 1 features, tasks ['treat', 'outcome']; 3-fold CV grouped by " \
        "'centre' and 'id' of dummy." in printed
    assert ("3-fold shuffled MultiTaskStratifiedGroupKFold over the columns 'centre' and "
            "'id' (no group in two folds") in (out / "report.md").read_text()


def test_an_identifier_column_is_pointed_out(tmp_path, capsys):
    # A column with a different value in every row (an id, a row number) is read as a
    # feature, as every other column is; the note says so, unless --features chose it.
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"id": [f"p{i:03d}" for i in range(40)],
                          "row": rng.permutation(40) + 1, "x": rng.normal(size=40),
                          "count": rng.permutation(40) * 2,
                          "code": rng.permutation(40) + 1001,
                          "kept": rng.choice(np.arange(1, 49), 40, replace=False)})
    frame["kind"] = np.where(frame["x"] > 0, "a", "b")
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    base = ["fit", "--data", str(path), "--targets", "kind", "--model", "independent",
            "--out", str(tmp_path / "m.mtl")]
    assert cli.main(base) == 0
    # row numbers from any start, some of them left out, read as identifiers too; not
    # distinct numbers spread wider than the rows ('count': 0, 2, ..., 78)
    assert ("Column(s) ['id', 'row', 'code', 'kept'] hold a different value in every row, as "
            "an identifier does, and are read as features; name the features with "
            "--features") in capsys.readouterr().out
    assert cli.main([*base, "--features", "id,row,x"]) == 0
    assert "as an identifier does" not in capsys.readouterr().out
    assert cli.main([*base[:3], "--targets", "kind,id", *base[5:]]) == 0
    assert "['row', 'code', 'kept'] hold" in capsys.readouterr().out  # a target is no feature


def test_excel_workbooks_in_and_out(dated_csv, tmp_path, capsys):
    # A spreadsheet's first sheet, read as its CSV export is: the same model, the same
    # predictions; predictions written to a workbook too.
    pytest.importorskip("openpyxl")
    import sklearn_mtl

    train, new, frame = dated_csv
    book = tmp_path / "train.xlsx"
    frame.to_excel(book, index=False)
    models = {}
    for data in (train, book):
        out = tmp_path / f"{data.suffix[1:]}.mtl"
        assert cli.main(["fit", "--data", str(data), "--targets", "kind,size", "--model",
                         "independent", "--out", str(out), "--quiet"]) == 0
        models[data.suffix] = sklearn_mtl.load(out)
    X = cli._read_dates(frame.drop(columns=["kind", "size"]))[0]
    for a, b in zip(models[".csv"].predict_proba(X), models[".xlsx"].predict_proba(X),
                    strict=True):
        np.testing.assert_allclose(a, b)
    rows = tmp_path / "new.xlsx"
    pd.read_csv(new).to_excel(rows, index=False)
    for data, out in ((new, "p.csv"), (rows, "p.xlsx")):
        assert cli.main(["predict", str(tmp_path / "csv.mtl"), str(data), "--out",
                         str(tmp_path / out), "--proba", "--batch-size", "7", "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "p.csv"),
                                  pd.read_excel(tmp_path / "p.xlsx"), check_dtype=False)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    assert cli.main(["predict", str(tmp_path / "csv.mtl"), str(broken), "--out",
                     str(tmp_path / "q.csv")]) == 2
    assert "is not a readable spreadsheet" in capsys.readouterr().err
    assert cli.main(["compare", "--data", str(broken), "--targets", "kind"]) == 2
    assert "--data" in capsys.readouterr().err
    assert cli.main(["predict", str(tmp_path / "csv.mtl"), str(new), "--out",
                     str(tmp_path / "q.ods")]) == 2
    assert "written as .xlsx workbooks, not as .ods" in capsys.readouterr().err


def test_a_target_of_one_class_is_refused_before_any_fit(dated_csv, tmp_path, capsys):
    train, _, frame = dated_csv
    path = tmp_path / "one.csv"
    frame.assign(kind="p", empty=np.nan).to_csv(path, index=False)
    base = ["compare", "--data", str(path), "--models", "independent", "--no-plots",
            "--out", str(tmp_path / "r")]
    assert cli.main([*base, "--targets", "kind,size"]) == 2
    err = capsys.readouterr().err
    assert ("--targets column 'kind' holds one value, 'p', in every row that has one; a "
            "target needs two classes or more") in err and "fit/s" not in err
    assert cli.main([*base, "--targets", "size,empty"]) == 2
    assert "--targets column 'empty' is empty in every row" in capsys.readouterr().err


def test_a_class_that_a_training_fold_lacks_is_still_learned(dated_csv, tmp_path, capsys):
    # One row of a rare class: the fold that tests it trains without it. Every model is
    # given the whole file's classes, so no task is left with one class there (before:
    # "Task 'kind' has one class" ended the comparison).
    _, _, frame = dated_csv
    frame = frame.assign(kind="p")
    frame.loc[5, "kind"] = "q"
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    assert cli.main(["compare", "--data", str(path), "--targets", "kind,size", "--models",
                     "mtl,independent,product", "--max-epochs", "2", "--cv", "3",
                     "--no-plots", "--out", str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    assert "kind accuracy" in captured.out and "Best exact match" in captured.out
    # the fold without it says so, on stderr and in the report
    said = "Task 'kind' has a single class 'p' among its"
    assert said in captured.err and said in (tmp_path / "r" / "report.md").read_text()


def test_unknown_columns_suggest_the_one_meant():
    columns = ["species", " island", "body_mass_g"]
    text = cli._unknown_columns("--targets", ["Species", "island", "body_mas_g", "zz"],
                                columns)
    assert text.startswith("--targets names unknown column(s) ['Species', 'island', "
                           "'body_mas_g', 'zz']; the columns are")
    assert text.endswith("Did you mean 'species' for 'Species', ' island' for 'island', "
                         "'body_mass_g' for 'body_mas_g'?")
    assert "Did you mean" not in cli._unknown_columns("--features", ["zz"], columns)


def test_column_names_holding_a_comma_are_given_quoted_or_whole(tmp_path, capsys):
    # --targets "price, usd" split into 'price' and 'usd', which no column is: a name
    # holding a comma is given in double quotes, as a CSV row writes it, or alone
    import sklearn_mtl

    assert cli._parse_columns('"price, usd", type', "--targets") == ["price, usd", "type"]
    assert cli._parse_columns('a, " b",  "c ""d"""', "--targets") == ["a", " b", 'c "d"']
    assert cli._parse_columns("a,b", "--targets", ["a", "b"]) == ["a", "b"]
    assert cli._parse_columns(" price, usd ", "--targets", ["price, usd"]) == ["price, usd"]
    rng = np.random.RandomState(0)
    x = rng.normal(size=40)
    frame = pd.DataFrame({"x": x, "price, usd": rng.normal(size=40),
                          "kind, main": np.where(x > 0, "hi", "lo"),
                          "type": np.where(x > 0.5, "a", "b"),
                          "tags, all": np.where(x > 0, "u|v", "v"),
                          "site, id": np.arange(40) % 8})
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "m.mtl"
    for targets, features, expected in (
            ('"kind, main",type', '"price, usd", x', ["kind, main", "type"]),
            ("kind, main", "x", ["kind, main"])):
        assert cli.main(["fit", "--data", str(data), "--targets", targets, "--features",
                         features, "--model", "independent", "--out", str(model),
                         "--quiet"]) == 0, capsys.readouterr().err
        fitted = sklearn_mtl.load(model)
        assert [t.name for t in fitted[-1].schema_] == expected
    assert list(fitted.feature_names_in_) == ["x"]
    assert cli.main(["fit", "--data", str(data), "--targets",
                     '"kind, main","price, usd","tags, all"', "--features", "x",
                     "--regression-targets", "price, usd", "--multilabel-targets",
                     '"tags, all"', "--max-epochs", "1", "--out", str(model), "--quiet"]) == 0, \
        capsys.readouterr().err
    kinds = {t.name: t.kind for t in sklearn_mtl.load(model).schema_}
    assert kinds == {"kind, main": "binary", "price, usd": "regression",
                     "tags, all": "multilabel"}
    out = tmp_path / "r"
    assert cli.main(["compare", "--data", str(data), "--targets", "type", "--features", "x",
                     "--groups", "site, id", "--models", "dummy", "--cv", "2", "--no-plots",
                     "--quiet", "--out", str(out)]) == 0, capsys.readouterr().err
    assert "over the column 'site, id' (no group" in (out / "report.md").read_text()
    # an unknown name is still named; a name split at its comma says how to give it
    assert cli.main(["fit", "--data", str(data), "--targets", "kind, main,type", "--out",
                     str(model)]) == 2
    err = capsys.readouterr().err
    assert "--targets names unknown column(s) ['kind', 'main']" in err
    assert "The column 'kind, main' holds a comma: give its name in double quotes" in err
    assert cli.main(["fit", "--data", str(data), "--targets", '"kind, man"', "--out",
                     str(model)]) == 2
    assert "unknown column(s) ['kind, man']" in capsys.readouterr().err


def test_a_value_naming_a_column_and_a_list_of_columns_is_refused(tmp_path, capsys):
    # columns a, b and 'a,b': --targets a,b is either; quoted, each is one
    import sklearn_mtl

    data, model = tmp_path / "d.csv", tmp_path / "m.mtl"
    pd.DataFrame({"a": ["p", "q"] * 5, "b": ["u", "v", "v", "u", "u"] * 2,
                  "a,b": ["s", "t"] * 5, "x": np.arange(10.0)}).to_csv(data, index=False)
    assert cli.main(["fit", "--data", str(data), "--targets", "a,b", "--out",
                     str(model)]) == 2
    err = capsys.readouterr().err
    assert ("--targets 'a,b' is the name of the column 'a,b' and a list of the columns "
            "['a', 'b'] alike") in err
    assert "--targets '\"a,b\"' for the one column, --targets '\"a\",\"b\"' for the 2" in err
    for given, expected in (('"a,b"', ["a,b"]), ('"a","b"', ["a", "b"])):
        assert cli.main(["fit", "--data", str(data), "--targets", given, "--features", "x",
                         "--model", "independent", "--out", str(model), "--quiet"]) == 0
        assert [t.name for t in sklearn_mtl.load(model)[-1].schema_] == expected



def test_a_csv_file_in_windows_1252_is_read_as_its_utf8_twin(dated_csv, tmp_path, capsys):
    # Excel's "CSV" on a western Windows is cp1252, not UTF-8: read in it, and said so.
    import sklearn_mtl
    from sklearn_mtl._cli_deploy import csv_format, text_encoding

    _, _, frame = dated_csv
    frame = frame.assign(shop=frame["shop"].map({"north": "Nörd", "south": "Süd"}))
    paths = {enc: tmp_path / f"{enc}.csv" for enc in ("utf-8", "cp1252")}
    for enc, path in paths.items():
        frame.to_csv(path, index=False, sep=";", decimal=",", encoding=enc)
    assert text_encoding(paths["utf-8"]) is None
    assert csv_format(paths["cp1252"]) == {"sep": ";", "decimal": ",", "encoding": "cp1252"}
    models = {}
    for enc, path in paths.items():
        out = tmp_path / f"{enc}.mtl"
        assert cli.main(["fit", "--data", str(path), "--targets", "kind,size", "--model",
                         "independent", "--out", str(out)]) == 0
        assert ("read in cp1252 (it is not UTF-8; where its text reads wrong, give its "
                "--encoding)" in capsys.readouterr().out) == (enc == "cp1252")
        models[enc] = sklearn_mtl.load(out)
    one_hot = models["cp1252"][0].named_transformers_["other"][-1]
    assert list(one_hot.categories_[0]) == ["Nörd", "Süd"]
    preds = []
    for enc, path in paths.items():
        pred = tmp_path / f"pred_{enc}.csv"
        assert cli.main(["predict", str(tmp_path / "utf-8.mtl"), str(path), "--out",
                         str(pred), "--proba", "--quiet"]) == 0
        preds.append(pd.read_csv(pred))
    pd.testing.assert_frame_equal(preds[0], preds[1])
    # standard input cannot be read twice to find its encoding: UTF-8, or a clear error
    import io

    data = paths["cp1252"].read_bytes()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        assert cli.main(["predict", str(tmp_path / "utf-8.mtl"), "-", "--out", "-",
                         "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Standard input is read as UTF-8: give its encoding (--encoding cp1252)" in err
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        assert cli.main(["predict", str(tmp_path / "utf-8.mtl"), "-", "--out", "-",
                         "--encoding", "cp1252", "--quiet"]) == 0
    assert pd.read_csv(io.StringIO(capsys.readouterr().out)).equals(
        preds[1][["kind", "size"]])


def test_an_encoding_given_by_name(tmp_path, capsys):
    # A file in an encoding of another script (Shift JIS): detected, it reads as
    # ISO-8859-1, and the note says to name it; named, it reads right.
    import sklearn_mtl

    frame = pd.DataFrame({"x": np.arange(30.0) % 4, "island": ["夢", "島", "ビスコー"] * 10,
                          "kind": ["a", "b"] * 15})
    path = tmp_path / "sjis.csv"
    frame.to_csv(path, index=False, encoding="shift_jis")
    base = ["fit", "--data", str(path), "--targets", "kind", "--model", "independent",
            "--out", str(tmp_path / "m.mtl")]
    assert cli.main(base) == 0
    # (its "ー" holds a byte that Windows-1252 leaves undefined: the last resort)
    assert "read in latin-1 (it is not UTF-8; where its text reads wrong, give its " \
           "--encoding)" in capsys.readouterr().out
    assert cli.main([*base, "--encoding", "shift_jis"]) == 0
    assert "read in shift_jis." in capsys.readouterr().out
    encoder = sklearn_mtl.load(tmp_path / "m.mtl")[0].named_transformers_["other"][-1]
    assert sorted(encoder.categories_[0]) == sorted(["夢", "島", "ビスコー"])
    assert cli.main([*base, "--encoding", "klingon"]) == 2
    assert "--encoding 'klingon' is not an encoding Python knows" in capsys.readouterr().err
    assert cli.main(["predict", str(tmp_path / "m.mtl"), str(path), "--out", "-",
                     "--encoding", "klingon"]) == 2
    assert "--encoding 'klingon'" in capsys.readouterr().err


def test_dates_in_a_local_order_are_pointed_out(tmp_path, capsys):
    # 03/01/2024 is the 3rd of January or the 1st of March: read as text, and said so.
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=30).strftime("%d/%m/%Y"),
                          "x": np.arange(30.0) % 7, "kind": ["a", "b", "c"] * 10})
    path = tmp_path / "local.csv"
    frame.to_csv(path, index=False)
    assert cli.main(["fit", "--data", str(path), "--targets", "kind", "--model", "independent",
                     "--out", str(tmp_path / "m.mtl")]) == 0
    out = capsys.readouterr().out
    assert "Column(s) ['when'] hold dates written day and month in some order" in out
    assert "as an identifier does" not in out  # a date column, though every value differs
    assert cli._local_dates(pd.Series(["3.1.24", "12-11-2023", None]))
    assert not cli._local_dates(pd.Series(["2024-01-03", "3.1.24"]))
    assert not cli._local_dates(pd.Series([1.5, 2.5]))


@pytest.mark.parametrize("model", ["mtl", "independent"])
def test_a_cell_that_is_no_date_is_named_by_its_column_and_row(dated_csv, tmp_path,
                                                               capsys, model):
    # the error named a text column ('shop' holds 'north', not a finite number) as "the
    # first bad entry", or the column's first (valid) date as the example
    train, new, _ = dated_csv
    fitted = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(train), "--targets", "kind", "--features",
                     "x,shop,day", "--model", model, "--max-epochs", "1", "--out",
                     str(fitted), "--quiet"]) == 0
    frame = pd.read_csv(new)
    frame.loc[6, "day"] = "not a date"
    frame.to_csv(new, index=False)
    assert cli.main(["predict", str(fitted), str(new), "--out", str(tmp_path / "p.csv"),
                     "--quiet", "--batch-size", "4"]) == 2
    err = capsys.readouterr().err
    assert "The model cannot predict rows 4-7" in err
    assert "column 'day'" in err and "'not a date' in row 6" in err
    assert "first bad entry" not in err and "'shop'" not in err



# ------------------------------------------------------- reading columns at prediction
@pytest.fixture
def codes_csv(tmp_path):
    """Codes that look like numbers ("01") next to one that does not ("A7"), a bool
    column written in lower case; a new file whose batches of 3 rows hold codes that
    all look like numbers, and a "?" (a gap)."""
    rng = np.random.RandomState(1)
    n = 200
    code, x = rng.choice(["01", "02", "03", "A7"], n), rng.normal(size=n).round(3)
    flag = rng.choice(["true", "false"], n)
    pd.DataFrame({"code": code, "flag": flag, "x": x,
                  "y": np.where(np.isin(code, ["01", "A7"]), "pos", "neg"),
                  "z": np.where(flag == "true", "hi", "lo")}).to_csv(tmp_path / "train.csv",
                                                                     index=False)
    new = pd.DataFrame({"code": ["A7", "02", "03", "01", "02", "01", "?", "03"],
                        "flag": ["true", "false"] * 4,
                        "x": [0.1, -0.1, 0.2, -0.3, 0.5, 1.0, 0.0, -1.0]})
    new.to_csv(tmp_path / "new.csv", index=False)
    # as the model reads them: codes as text, "?" as a gap, the bools as bools
    typed = new.assign(code=new["code"].replace("?", None), flag=new["flag"] == "true")
    return tmp_path / "train.csv", tmp_path / "new.csv", typed


@pytest.mark.parametrize("model", ["mtl", "independent", "independent-hgb"])
def test_predict_reads_the_columns_of_categories_as_text(codes_csv, tmp_path, model):
    # A file or a batch of codes that all look like numbers ("01", "02") was read as
    # integers: 1 is a category the model never saw, so the predictions changed
    # silently, and with the batch size. (The network, the linear and the trees'
    # preprocessing: every -hgb baseline reads the table through the same trees'
    # ColumnTransformer, whichever way it combines the tasks.)
    import sklearn_mtl

    train, new, typed = codes_csv
    path = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(train), "--targets", "y,z", "--model", model,
                     "--max-epochs", "5", "--out", str(path), "--quiet"]) == 0
    expected = sklearn_mtl.load(path).predict(typed).to_numpy().tolist()
    out, numbers = tmp_path / "pred.csv", tmp_path / "numbers.csv"
    pd.read_csv(new, dtype=str).iloc[1:6].to_csv(numbers, index=False)  # no "A7", no "?"
    for data, batch_size, rows in [(new, "3", slice(None)), (new, "100", slice(None)),
                                   (numbers, "100", slice(1, 6))]:
        assert cli.main(["predict", str(path), str(data), "--out", str(out), "--batch-size",
                         batch_size, "--quiet"]) == 0
        assert pd.read_csv(out).to_numpy().tolist() == expected[rows], (data, batch_size)


def test_text_columns_are_found_inside_pipelines_and_wrappers(codes_csv):
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    import sklearn_mtl
    from sklearn_mtl import IndependentTaskClassifier, MultiTaskClassifier, TaskThresholdTuner
    from sklearn_mtl._cli_deploy import text_columns

    train, _, _ = codes_csv
    # the baselines that fit builds: their ColumnTransformer's encoded columns, the bools
    # left to read_csv, which reads "true" and "TRUE" as the bools the model learned
    assert cli.main(["fit", "--data", str(train), "--targets", "y,z", "--model",
                     "independent", "--out", str(train.with_suffix(".mtl")), "--quiet"]) == 0
    assert text_columns(sklearn_mtl.load(train.with_suffix(".mtl"))) == ["code"]
    frame = pd.read_csv(train, dtype={"code": str})
    X, Y = frame[["code", "flag", "x"]], frame[["y", "z"]]
    encode = make_column_transformer((OneHotEncoder(), [0]), ("passthrough", ["x"]))
    baseline = make_pipeline(encode, IndependentTaskClassifier(LogisticRegression()))
    assert text_columns(baseline.fit(X, Y)) == ["code"]
    tuned = TaskThresholdTuner(baseline, cv=2).fit(X, Y)
    assert text_columns(tuned) == ["code"]
    # an ordinal or a target encoder compares the text it learned too: "01" was read as
    # the number 1, refused in NumPy's words ("ufunc 'isnan' not supported")
    from sklearn.preprocessing import OrdinalEncoder, TargetEncoder

    for step in (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                 TargetEncoder()):
        other = make_pipeline(make_column_transformer((step, ["code"]), ("passthrough", ["x"])),
                              IndependentTaskClassifier(LogisticRegression()))
        assert text_columns(other.fit(X, Y if isinstance(step, OrdinalEncoder)
                                      else Y["y"])) == ["code"]
    network = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    assert text_columns(network.fit(X, Y)) == ["code"]
    # the first step reads the file: a network after a scaler reads no categories of it
    scaled = make_pipeline(StandardScaler(), IndependentTaskClassifier(LogisticRegression()))
    assert text_columns(scaled.fit(X[["x"]], Y)) == []
    assert text_columns(IndependentTaskClassifier(LogisticRegression()).fit(
        X[["x"]].to_numpy(), Y)) == []


@pytest.mark.parametrize("model", ["mtl", "independent"])
def test_a_batch_without_dates_predicts_them_as_gaps(tmp_path, capsys, model):
    # A date column whose cells are all empty in a file or a batch is read by pandas as
    # numbers (NaN): a model fitted on dates refused it ("holds float64 values", or
    # numpy's ufunc 'divide' error for the baselines).
    import sklearn_mtl

    rng = np.random.RandomState(0)
    n = 80
    frame = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
                          "x": rng.normal(size=n).round(3)})
    frame.loc[::10, "when"] = None  # gaps in training
    frame["y"], frame["z"] = np.where(frame.x > 0, "a", "b"), np.where(np.arange(n) % 2, "p", "q")
    frame.to_csv(tmp_path / "train.csv", index=False)
    path = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(tmp_path / "train.csv"), "--targets", "y,z",
                     "--model", model, "--max-epochs", "3", "--out", str(path),
                     "--quiet"]) == 0
    loaded = sklearn_mtl.load(path)
    new = pd.DataFrame({"when": ["2020-02-01", None, None], "x": [0.1, 0.2, -0.3]})
    new.to_csv(tmp_path / "new.csv", index=False)
    expected = loaded.predict(new.assign(when=pd.to_datetime(new["when"], utc=True)))
    out = tmp_path / "pred.csv"
    for data, batch_size in [(new, "1"), (new, "100"), (new.iloc[1:], "100")]:
        data.to_csv(tmp_path / "new.csv", index=False)
        assert cli.main(["predict", str(path), str(tmp_path / "new.csv"), "--out", str(out),
                         "--batch-size", batch_size, "--quiet"]) == 0, capsys.readouterr().err
        got = pd.read_csv(out)
        assert got.to_numpy().tolist() == expected.iloc[-len(data):].to_numpy().tolist()
    # numbers where dates were fitted are still refused
    new.assign(when=[1.5, 2.5, None]).to_csv(tmp_path / "new.csv", index=False)
    assert cli.main(["predict", str(path), str(tmp_path / "new.csv"), "--out", str(out),
                     "--quiet"]) == 2
    assert "cannot predict rows 0-2" in capsys.readouterr().err


def test_baselines_read_a_column_of_gaps_alone_as_gaps():
    for gaps in ([np.nan, np.nan], [None, None]):
        np.testing.assert_array_equal(cli._as_days(pd.DataFrame({"d": gaps})), [[np.nan]] * 2)


@pytest.mark.parametrize("command", ["predict", "info"])
def test_a_reader_that_closes_the_pipe_ends_the_command_quietly(saved_baseline, tmp_path,
                                                                command):
    # `sklearn-mtl predict model.mtl - --out - | head`: once head has what it wants and
    # closes the pipe, the command ends (status 141, as cat's), without a traceback.
    # (A baseline: the process imports no torch; main() handles the pipe for any model.)
    _, path, X, _ = saved_baseline
    data = tmp_path / "many.csv"  # predictions enough to fill the pipe; info reads none
    pd.concat([X] * (500 if command == "predict" else 1), ignore_index=True).to_csv(
        data, index=False)
    args = {"predict": ["predict", str(path), "-", "--out", "-", "--quiet"],
            "info": ["info", str(path), "--json"]}[command]
    with open(data) as stdin:
        run = subprocess.Popen([sys.executable, "-m", "sklearn_mtl.cli", *args], stdin=stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if command == "predict":
            assert run.stdout.readline() == "car,color,tags\n"
        run.stdout.close()  # before info writes a line: its output finds no reader
        stderr = run.stderr.read()
        assert run.wait(timeout=300) == 141, stderr  # 128 + SIGPIPE
    assert stderr == ""


@pytest.mark.parametrize("id_column, proba, message", [
    ("car", False, "--id-column 'car' is also the name of task 'car', whose predicted "
     "labels fill a column of that name in the predictions; the output cannot hold both. "
     "Give the id column of DATA"),
    ("color_proba_red", True, "--id-column 'color_proba_red' is also the name of a column "
     "of task 'color''s probabilities (--proba) in the predictions"),
])
def test_an_id_column_named_as_a_column_of_the_predictions_exits_2(
        saved_pipeline, tmp_path, capsys, id_column, proba, message):
    _, path, X, _ = saved_pipeline
    data, out = tmp_path / "labelled.csv", tmp_path / "pred.csv"
    X.assign(**{id_column: range(len(X))}).to_csv(data, index=False)
    argv = ["predict", str(path), str(data), "--out", str(out), "--id-column", id_column]
    assert cli.main(argv + ["--proba"] * proba) == 2
    err = capsys.readouterr().err
    assert message in err and "rows/s" not in err  # before the progress bar
    assert not out.exists()
    if proba:  # without --proba, no such column: the id column is written
        assert cli.main([*argv, "--quiet"]) == 0
        assert pd.read_csv(out)[id_column].tolist() == list(range(len(X)))


def test_export_sample_without_rows_exits_2(saved_pipeline, tmp_path, capsys):
    _, path, X, _ = saved_pipeline
    sample, onnx_path = tmp_path / "header.csv", tmp_path / "m.onnx"
    X.head(0).to_csv(sample, index=False)
    assert cli.main(["export", str(path), "--onnx", str(onnx_path), "--sample",
                     str(sample)]) == 2
    assert (f"--sample {str(sample)!r} has a header but no data row; expected rows of "
            "inputs to check the exported graph on.") in capsys.readouterr().err
    assert not onnx_path.exists()


# ------------------------------------------------------------ files the commands write
@pytest.mark.parametrize("how", ["as given", "relative", "symbolic link", "hard link"])
def test_predict_refuses_an_out_that_is_the_data_file(saved_pipeline, tmp_path, monkeypatch,
                                                      capsys, how):
    # `--out data.csv` opened and emptied the data file that pandas was still reading in
    # batches: the data were lost and rows silently dropped, with exit status 0.
    import os

    _, path, X, _ = saved_pipeline
    data = tmp_path / "data.csv"
    X.to_csv(data, index=False)
    before = data.read_bytes()
    monkeypatch.chdir(tmp_path)
    out = {"as given": str(data), "relative": "data.csv",
           "symbolic link": "link.csv", "hard link": "hard.csv"}[how]
    if how == "symbolic link":
        (tmp_path / out).symlink_to(data)
    elif how == "hard link":
        os.link(data, tmp_path / out)
    assert cli.main(["predict", str(path), str(data), "--out", out, "--batch-size", "16",
                     "--quiet"]) == 2
    assert (f"--out {out!r} is DATA {str(data)!r} itself; writing there would destroy "
            "it. Give --out another file.") in capsys.readouterr().err
    assert data.read_bytes() == before
    # nor the model file
    model = tmp_path / "model.mtl"
    model.write_bytes(Path(path).read_bytes())
    assert cli.main(["predict", "model.mtl", str(data), "--out", str(model), "--quiet"]) == 2
    assert f"--out {str(model)!r} is MODEL 'model.mtl' itself" in capsys.readouterr().err
    assert model.read_bytes() == Path(path).read_bytes()


def test_fit_and_export_refuse_to_write_over_their_input(dated_csv, saved_pipeline,
                                                         tmp_path, capsys):
    # fit read --data whole, then saved the model over it; export wrote the graph over
    # the model file or the --sample file it had read
    train, new, _ = dated_csv
    before = train.read_bytes()
    assert cli.main(["fit", "--data", str(train), "--targets", "kind", "--model",
                     "independent", "--out", str(train), "--quiet"]) == 2
    assert (f"--out {str(train)!r} is --data {str(train)!r} itself; writing there would "
            "destroy it.") in capsys.readouterr().err
    assert train.read_bytes() == before
    _, path, X, _ = saved_pipeline
    model, sample = tmp_path / "model.mtl", tmp_path / "sample.csv"
    model.write_bytes(Path(path).read_bytes())
    X.head(5).to_csv(sample, index=False)
    saved = sample.read_bytes()
    for target, what in [(model, f"MODEL {str(model)!r}"), (sample, f"--sample {str(sample)!r}")]:
        assert cli.main(["export", str(model), "--onnx", str(target), "--sample",
                         str(sample)]) == 2
        assert f"--onnx {str(target)!r} is {what} itself" in capsys.readouterr().err
    assert model.read_bytes() == Path(path).read_bytes() and sample.read_bytes() == saved


def test_an_out_that_is_a_folder_exits_2_before_any_fit(dated_csv, saved_pipeline, tmp_path,
                                                       monkeypatch, capsys):
    # fit --out <folder> fitted the whole model, then failed in save with a traceback
    train, _, _ = dated_csv
    folder = tmp_path / "models"
    folder.mkdir()
    fitted = []
    monkeypatch.setattr(cli, "build_model", lambda *a, **k: fitted.append(1))
    assert cli.main(["fit", "--data", str(train), "--targets", "kind", "--out",
                     str(folder), "--quiet"]) == 2
    assert (f"--out {str(folder)!r} is a folder; expected the name of the file to write "
            "in it") in capsys.readouterr().err
    assert not fitted
    _, path, _, data = saved_pipeline  # predict says the same, before predicting
    assert cli.main(["predict", str(path), str(data), "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"--out {str(folder)!r} is a folder" in err and "rows/s" not in err


def test_an_out_path_ending_with_a_separator_names_a_folder(dated_csv, saved_pipeline,
                                                           tmp_path, monkeypatch, capsys):
    # Path("new/") is Path("new"): predict --out new/ and fit --out models/ wrote a FILE
    # named new / models where no such folder was, which open() and to_csv refuse
    train, _, _ = dated_csv
    _, path, _, data = saved_pipeline
    reports = str(tmp_path / "reports") + os.sep  # compare writes a folder: made
    assert cli.main(["compare", "--data", str(train), "--targets", "kind", "--models",
                     "dummy", "--cv", "2", "--out", reports, "--quiet"]) == 0
    assert (tmp_path / "reports" / "report.md").is_file()
    capsys.readouterr()
    fitted = []
    monkeypatch.setattr(cli, "build_model", lambda *a, **k: fitted.append(1))
    new, models = str(tmp_path / "new") + os.sep, str(tmp_path / "models") + os.sep
    assert cli.main(["predict", str(path), str(data), "--out", new, "--quiet"]) == 2
    assert (f"--out {new!r} names a folder; expected a file path such as "
            f"{str(tmp_path / 'new' / 'predictions.csv')!r}.") in capsys.readouterr().err
    assert cli.main(["predict", str(path), str(data), "--out",
                     os.path.join(str(tmp_path / "new"), "."), "--quiet"]) == 2
    assert "names a folder" in capsys.readouterr().err
    assert cli.main(["fit", "--data", str(train), "--targets", "kind", "--out", models,
                     "--quiet"]) == 2
    assert (f"--out {models!r} names a folder; expected a file path such as "
            f"{str(tmp_path / 'models' / 'model.mtl')!r}.") in capsys.readouterr().err
    deeper = str(tmp_path / "none" / "models") + os.sep  # not "the folder 'none'"
    assert cli.main(["fit", "--data", str(train), "--targets", "kind", "--out", deeper,
                     "--quiet"]) == 2
    assert f"--out {deeper!r} names a folder" in capsys.readouterr().err
    assert cli.main(["export", str(path), "--onnx", new]) == 2
    assert f"--onnx {new!r} names a folder" in capsys.readouterr().err
    assert not fitted
    assert not any((tmp_path / name).exists() for name in ("new", "models", "none"))
    # an existing folder with the separator: a folder, as without it
    (tmp_path / "there").mkdir()
    there = str(tmp_path / "there") + os.sep
    assert cli.main(["predict", str(path), str(data), "--out", there, "--quiet"]) == 2
    assert f"--out {there!r} is a folder; expected the name" in capsys.readouterr().err
    assert not list((tmp_path / "there").iterdir())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_copies_the_id_column_as_written(tmp_path, monkeypatch, capsys, suffix):
    # ids 000, 001 were written 0, 1; with an empty id, 0.0, 2.0; ids that looked like
    # numbers in one batch and like text in the next crashed the Parquet writer
    import io

    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    x = rng.normal(size=24).round(3)
    ids = ["000", "", "NA", "007", " 8", "?"] + [str(1000 + i) for i in range(12)] + [
        f"B{i}" for i in range(6)]
    data = tmp_path / "d.csv"
    pd.DataFrame({"car_id": ids, "x": x, "y": np.where(x > 0, "a", "b")}).to_csv(
        data, index=False)
    model = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(data), "--targets", "y", "--features", "x",
                     "--model", "independent", "--out", str(model), "--quiet"]) == 0
    out = tmp_path / f"p{suffix}"
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--id-column",
                     "car_id", "--batch-size", "6", "--quiet"]) == 0, capsys.readouterr().err
    got = (pd.read_csv(out, dtype=str, keep_default_na=False) if suffix == ".csv"
           else pd.read_parquet(out))
    assert got["car_id"].tolist() == ids
    # from standard input too
    monkeypatch.setattr(sys, "stdin", io.StringIO(data.read_text()))
    assert cli.main(["predict", str(model), "-", "--out", str(out), "--id-column", "car_id",
                     "--batch-size", "6", "--quiet"]) == 0, capsys.readouterr().err
    got = (pd.read_csv(out, dtype=str, keep_default_na=False) if suffix == ".csv"
           else pd.read_parquet(out))
    assert got["car_id"].tolist() == ids


def test_a_parquet_column_of_mixed_types_exits_2(tmp_path):
    # a workbook's column of numbers and text: a traceback of pyarrow's, exit status 1
    pytest.importorskip("pyarrow")
    from sklearn_mtl._cli_deploy import DeployInputError, _Writer

    out = tmp_path / "p.parquet"
    writer = _Writer(out)
    writer.write(pd.DataFrame({"car_id": [1000, 1001], "car": ["a", "b"]}))
    writer.write(pd.DataFrame({"car_id": ["B0", "B1"], "car": ["b", "a"]}))
    with pytest.raises(DeployInputError, match=re.escape(
            f"--out {str(out)!r}: column 'car_id' holds values of several types (int, "
            "str), which a Parquet column cannot hold; give the column one type in DATA, "
            "or write a .csv file.")):
        writer.close()
    assert not out.exists()


def test_a_question_mark_in_a_bool_column_leaves_the_other_cells_bools(tmp_path, capsys):
    # One "?" in a column of true/false left its other cells as the text 'true' and
    # 'false', categories the model never saw: every row of the batch changed.
    from sklearn_mtl._cli_deploy import read_missing_marks

    text = "flag,x\ntrue,1\n?,2\nFALSE,3\nTrue,4\n"
    (tmp_path / "marked.csv").write_text(text)
    (tmp_path / "empty.csv").write_text(text.replace("?", ""))
    read, found = read_missing_marks(pd.read_csv(tmp_path / "marked.csv"))
    assert found == {"flag": 1}
    pd.testing.assert_frame_equal(read, pd.read_csv(tmp_path / "empty.csv"))
    # and at prediction, the rows without a gap predict as in a batch without one
    rng = np.random.RandomState(0)
    flag = rng.rand(80) > 0.5
    pd.DataFrame({"x": rng.normal(size=80).round(3), "flag": np.where(flag, "true", "false"),
                  "y": np.where(flag, "a", "b")}).to_csv(tmp_path / "train.csv", index=False)
    new = pd.read_csv(tmp_path / "train.csv", dtype=str).drop(columns="y").head(8)
    new.to_csv(tmp_path / "new.csv", index=False)
    new.assign(flag=["?", *new["flag"][1:]]).to_csv(tmp_path / "new_mark.csv", index=False)
    model = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(tmp_path / "train.csv"), "--targets", "y",
                     "--model", "independent", "--out", str(model), "--quiet"]) == 0
    got = {}
    for name in ("new", "new_mark"):
        out = tmp_path / f"{name}_pred.csv"
        assert cli.main(["predict", str(model), str(tmp_path / f"{name}.csv"), "--out",
                         str(out), "--proba", "--quiet"]) == 0, capsys.readouterr().err
        got[name] = pd.read_csv(out)
    pd.testing.assert_frame_equal(got["new_mark"].iloc[1:], got["new"].iloc[1:])


# ------------------------------------------------ label cells: NA, None, codes (pandas)
@pytest.fixture
def spelled_csv(tmp_path):
    """Classes spelled as pandas' gaps (None, NA, null), codes 01/02, a quantity, tags."""
    rng = np.random.RandomState(0)
    n = 40
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    frame["word"] = (["None", "NA", "null", "yes"] * 10)
    frame["code"] = ["01", "02"] * 20
    frame["mass"] = np.round(rng.normal(size=n), 2)
    frame["tags"] = (["a|b", "", "NA", "a"] * 10)
    frame.loc[1, "word"] = ""  # an empty cell: a missing label, whatever the options
    frame.loc[2, "word"] = "?"
    return frame


def _read_targets(path, **options):
    reading = cli._LabelReading(**options)
    _, Y, _, _ = cli._load_table(path, "word,code,mass,tags", None, label_sets="tags",
                                 labels=reading)
    return Y, cli._label_sets(Y["tags"], reading.missing()).tolist()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_label_cells_read_as_pandas_options_say(spelled_csv, tmp_path, suffix):
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    path = tmp_path / f"labels{suffix}"
    if suffix == ".csv":
        spelled_csv.to_csv(path, index=False)
    else:
        spelled_csv.to_excel(path, index=False)
    # by default, as read_csv: NA, None, null are missing labels, 01 the number 1; a tag
    # cell NA is a missing label too (it read as an empty set: none of the labels)
    Y, tags = _read_targets(path)
    assert Y["word"].isna().tolist()[:8] == [True, True, True, False] * 2
    assert Y["code"].tolist()[:2] == [1, 2]
    assert tags[:4] == [{"a", "b"}, set(), None, {"a"}]
    # --no-keep-default-na: the spellings are classes; an empty cell and ? still missing
    Y, tags = _read_targets(path, keep_default_na=False)
    assert Y["word"].fillna("<gap>").tolist()[:6] == ["None", "<gap>", "<gap>", "yes",
                                                      "None", "NA"]
    assert sorted(Y["word"].dropna().unique()) == ["NA", "None", "null", "yes"]
    assert tags[:4] == [{"a", "b"}, set(), {"NA"}, {"a"}]
    # --targets-as-text: 01 stays '01'; the regression target stays numbers
    Y, _ = _read_targets(path, as_text=True, numbers=["mass"])
    assert Y["code"].tolist()[:2] == ["01", "02"]
    assert Y["mass"].tolist() == spelled_csv["mass"].tolist()
    # --na-values NA beside --no-keep-default-na: R's gaps missing, None a class
    Y, tags = _read_targets(path, keep_default_na=False, na_values=["NA"])
    assert sorted(Y["word"].dropna().unique()) == ["None", "null", "yes"]
    assert tags[2] is None
    # the features are read as predict reads them, whatever the options
    X, _, _, _ = cli._load_table(path, "word", None, labels=cli._LabelReading(
        keep_default_na=False, as_text=True))
    assert X["tags"].isna().sum() == 20  # '' and NA: gaps of a feature


def test_fit_takes_label_spellings_and_codes_as_classes(spelled_csv, tmp_path, capsys):
    import sklearn_mtl

    path, out = tmp_path / "labels.csv", tmp_path / "m.mtl"
    spelled_csv.to_csv(path, index=False)
    base = ["fit", "--data", str(path), "--targets", "word,code", "--model", "independent",
            "--out", str(out), "--quiet"]
    assert cli.main(base) == 2  # NA, None, null read as gaps: one class left
    assert "--targets column 'word' holds one value, 'yes'" in capsys.readouterr().err
    assert cli.main([*base, "--no-keep-default-na", "--targets-as-text"]) == 0
    schema = sklearn_mtl.load(out)[-1].schema_
    assert schema["word"].classes == ["NA", "None", "null", "yes"]
    assert schema["code"].classes == ["01", "02"]
    assert cli.main([*base, "--no-keep-default-na", "--na-values", "NA,null"]) == 0
    schema = sklearn_mtl.load(out)[-1].schema_
    assert schema["word"].classes == ["None", "yes"] and schema["code"].classes == [1, 2]
    # with --dataset, or a Parquet file (whose columns keep their types): refused
    for flag in (["--na-values", "NA"], ["--no-keep-default-na"], ["--targets-as-text"]):
        assert cli.main(["fit", "--dataset", "penguins", *flag, "--out", str(out)]) == 2
        assert f"{flag[0]} goes with --data" in capsys.readouterr().err
    pytest.importorskip("pyarrow")
    spelled_csv.to_parquet(tmp_path / "labels.parquet")
    assert cli.main([*base[:2], str(tmp_path / "labels.parquet"), *base[3:],
                     "--targets-as-text"]) == 2
    assert "--targets-as-text read the cells of a CSV file or a workbook; --data" in \
        capsys.readouterr().err
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["fit"].format_help()
    for flag in ("--na-values", "--no-keep-default-na", "--targets-as-text"):
        assert flag in help_text


def test_na_values_name_a_cell_holding_a_comma_in_quotes(tmp_path, capsys):
    # as --targets names a column: '"n, a",-' is the two cells 'n, a' and '-'
    import sklearn_mtl

    rng = np.random.default_rng(0)
    cls = rng.choice(["a", "b"], size=30).astype(object)
    cls[[2, 9]], cls[4] = "n, a", "-"
    path, out = tmp_path / "t.csv", tmp_path / "m.mtl"
    pd.DataFrame({"x": rng.normal(size=30), "cls": cls}).to_csv(path, index=False)
    base = ["fit", "--data", str(path), "--targets", "cls", "--model", "independent",
            "--out", str(out), "--quiet"]
    assert cli.main([*base, "--na-values", '"n, a",-']) == 0, capsys.readouterr().err
    assert sklearn_mtl.load(out)[-1].schema_["cls"].classes == ["a", "b"]
    assert cli.main([*base, '--na-values=-,"-"']) == 2
    assert "--na-values lists ['-'] more than once" in capsys.readouterr().err


def _gated_tags_model(tmp_path, labels):
    """X and a saved model (``m.mtl``, X in ``x.csv``) of a gate ``g`` and a multilabel
    task ``tags`` applicable where ``g == "on"``, whose label sets ``labels(y)`` draws."""
    from sklearn.linear_model import LogisticRegression

    import sklearn_mtl
    from sklearn_mtl import IndependentTaskClassifier, Task

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    gate = np.where(X["x"] > 0, "on", "off")
    tags = [None if g == "off" else labels(y) for g, y in zip(gate, X["y"], strict=True)]
    Y = pd.DataFrame({"g": gate, "tags": pd.Series(tags, dtype=object)})
    model = IndependentTaskClassifier(LogisticRegression(), tasks=[
        Task("g"), Task("tags", kind="multilabel", gate=("g", "on"))]).fit(X, Y)
    sklearn_mtl.save(model, tmp_path / "m.mtl")
    X.to_csv(tmp_path / "x.csv", index=False)
    return X, model


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_predict_tells_no_label_from_not_applicable(tmp_path, suffix):
    # a multilabel task predicted with none of its labels (an empty cell) and one whose
    # gate is off (?, as --multilabel-targets reads a missing label) differ in the file
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    X, model = _gated_tags_model(tmp_path, lambda y: set() if y > 0.5 else {"a"} if y > -0.5
                                 else {"a", "b"})
    out = tmp_path / f"pred{suffix}"
    assert cli.main(["predict", str(tmp_path / "m.mtl"), str(tmp_path / "x.csv"), "--out",
                     str(out), "--quiet"]) == 0
    expected = [t if isinstance(t, set) else None for t in model.predict(X)["tags"]]
    assert None in expected and set() in expected
    written = (pd.read_csv(out, keep_default_na=False) if suffix == ".csv" else
               pd.read_excel(out, keep_default_na=False))
    assert written["tags"].tolist() == [
        "?" if t is None else "|".join(sorted(t)) for t in expected]
    # the command line reads them back as they were predicted
    back = tmp_path / f"back{suffix}"
    frame = X.assign(g=written["g"], tags=written["tags"])
    frame.to_csv(back, index=False) if suffix == ".csv" else frame.to_excel(back, index=False)
    _, Yb, _, _ = cli._load_table(back, "g,tags", None, label_sets="tags")
    assert cli._label_sets(Yb["tags"]).tolist() == expected


def test_a_utf16_csv_file_is_read_or_named(tmp_path, capsys):
    # Excel's "Unicode text" is UTF-16 with a byte-order mark, tab-separated; read as
    # such (it read as Windows-1252, the columns 'ÿþx\x00'...), without a mark too
    import io

    from sklearn_mtl._cli_deploy import text_encoding

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "y": rng.normal(size=40),
                          "kind": ["pé", "q"] * 20})
    paths = {"utf-16": tmp_path / "unicode.txt", "utf-16-le": tmp_path / "le.csv",
             "utf-16-be": tmp_path / "be.csv"}
    for encoding, path in paths.items():
        frame.to_csv(path, index=False, encoding=encoding,
                     sep="\t" if encoding == "utf-16" else ",")
        assert text_encoding(path) == encoding
    model, pred = tmp_path / "m.mtl", tmp_path / "p.csv"
    for encoding, path in paths.items():
        assert cli.main(["fit", "--data", str(path), "--targets", "kind", "--model",
                         "independent", "--out", str(model)]) == 0
        assert f"read in {encoding}." in capsys.readouterr().out
        assert cli.main(["predict", str(model), str(path), "--out", str(pred),
                         "--quiet"]) == 0
        assert set(pd.read_csv(pred)["kind"]) == {"pé", "q"}
    # read as UTF-8 where --encoding says so, or from standard input: the error says why
    path = paths["utf-16"]
    assert cli.main(["fit", "--data", str(path), "--targets", "kind", "--out", str(model),
                     "--encoding", "utf-8"]) == 2
    err = capsys.readouterr().err
    assert f"--data {str(path)!r} is not a readable CSV file" in err
    assert "looks like UTF-16" in err and "give --encoding utf-16" in err
    assert cli.main(["predict", str(model), str(path), "--out", str(pred),
                     "--encoding", "utf-8"]) == 2
    err = capsys.readouterr().err
    assert f"DATA {str(path)!r}" in err and "give --encoding utf-16" in err
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
        assert cli.main(["predict", str(model), "-", "--out", str(pred), "--quiet"]) == 2
    assert "looks like UTF-16" in capsys.readouterr().err


# ------------------------------------------ '?' as a multilabel label; workbook numbers
def test_a_question_mark_among_multilabel_labels_is_refused(tags_csv, tmp_path, capsys):
    # '?|a' read as the labels {'?', 'a'}: a model with a label '?', whose prediction
    # predict writes as the '?' of a task not applicable. A whole cell '?' stays missing.
    column = pd.Series(["a", " ? ", "b|?"], name="tags")
    with pytest.raises(cli.CLIError, match=r"--multilabel-targets column 'tags' lists "
                       r"the label '\?' in data row 3 \('b\|\?'\)"):
        cli._label_sets(column)
    assert cli._label_sets(column.iloc[:2]).tolist() == [{"a"}, None]
    with pytest.raises(cli.CLIError, match=r"in data row 1 \(\['\?', 'a'\]\)"):
        cli._label_sets(pd.Series([np.array(["?", "a"], dtype=object)], name="tags"))
    path, frame, _ = tags_csv
    frame.loc[4, "tags"] = "?|red"
    frame.to_csv(path, index=False)
    for command in (["fit", "--model", "independent", "--out", str(tmp_path / "m.mtl")],
                    ["compare", "--models", "dummy", "--cv", "2", "--out",
                     str(tmp_path / "reports")]):
        assert cli.main([*command, "--data", str(path), "--targets", "kind,tags",
                         "--multilabel-targets", "tags", "--quiet"]) == 2
        assert ("--multilabel-targets column 'tags' lists the label '?' in data row 5 "
                "('?|red')") in capsys.readouterr().err
    assert not (tmp_path / "m.mtl").exists()


def test_a_multilabel_label_holding_the_separator_is_refused(tmp_path, capsys):
    # predict writes a row's labels joined by '|': a label 'a|b' (a Parquet list cell
    # read by fit, or a model fitted through the Python API) came back as two labels
    with pytest.raises(cli.CLIError, match=r"--multilabel-targets column 'tags' has the "
                       r"label 'a\|b' in data row 2; predict writes a row's labels "
                       r"separated by '\|'"):
        cli._label_sets(pd.Series([["c"], np.array(["a|b", "c"], dtype=object)],
                                  name="tags"))
    X, model = _gated_tags_model(tmp_path, lambda y: {"a|b"} if y > 0 else {"c"})
    for out in ("pred.csv", "pred.parquet"):
        assert cli.main(["predict", str(tmp_path / "m.mtl"), str(tmp_path / "x.csv"),
                         "--out", str(tmp_path / out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert ("Task 'tags' of MODEL" in err and "with the label 'a|b': predict writes "
                "a row's labels separated by '|'" in err)
        assert not (tmp_path / out).exists()
    # the Python API gives the label whole
    assert {"a|b"} in [set(p) for p in model.predict(X)["tags"].dropna()]


def test_predict_refuses_an_empty_label_written_as_an_empty_cell(tmp_path, capsys):
    # a model fitted through the Python API with the multilabel label '': its prediction
    # {''} was written as an empty cell, the cell of none of the labels, in every output
    X, model = _gated_tags_model(tmp_path, lambda y: {""} if y > 0 else {"a"})
    assert {""} in [set(p) for p in model.predict(X)["tags"].dropna()]
    for out in ("pred.csv", "pred.parquet", "pred.xlsx", "-"):
        target = out if out == "-" else str(tmp_path / out)
        assert cli.main(["predict", str(tmp_path / "m.mtl"), str(tmp_path / "x.csv"),
                         "--out", target, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert ("Task 'tags' of MODEL" in err and "is a multilabel task with the label '' "
                "(an empty string)" in err), err
        assert out == "-" or not (tmp_path / out).exists()
    # a gated task's class '': an empty cell, as the task where its gate is off
    from sklearn.linear_model import LogisticRegression

    import sklearn_mtl
    from sklearn_mtl import IndependentTaskClassifier, Task

    gate = np.where(X["x"] > 0, "on", "off")
    Y = pd.DataFrame({"g": gate, "kind": np.where(gate == "on", np.where(
        X["y"] > 0, "", "b"), None)})
    model = IndependentTaskClassifier(LogisticRegression(), tasks=[
        Task("g"), Task("kind", gate=("g", "on"))]).fit(X, Y)
    sklearn_mtl.save(model, tmp_path / "k.mtl")
    for out in ("pred.csv", "pred.xlsx"):
        assert cli.main(["predict", str(tmp_path / "k.mtl"), str(tmp_path / "x.csv"),
                         "--out", str(tmp_path / out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert ("Task 'kind' of MODEL" in err and "has the class '' (an empty string) and "
                "a gate on task 'g'" in err and str(tmp_path / "pred.parquet") in err), err
        assert not (tmp_path / out).exists()
    pytest.importorskip("pyarrow")
    out = tmp_path / "pred.parquet"  # a null apart from ''
    assert cli.main(["predict", str(tmp_path / "k.mtl"), str(tmp_path / "x.csv"), "--out",
                     str(out), "--quiet"]) == 0
    written = pd.read_parquet(out)["kind"]
    assert written.isna().tolist() == (gate == "off").tolist()
    assert "" in written.dropna().tolist()


def test_predict_refuses_a_question_mark_label_in_a_text_file(tmp_path, capsys):
    # a model fitted through the Python API with the label '?': its prediction {'?'}
    # and a task not applicable would both be the cell '?' of a CSV file or a workbook
    X, model = _gated_tags_model(tmp_path, lambda y: {"?"} if y > 0 else {"a"})
    for out in ("pred.csv", "pred.xlsx", "-"):
        target = out if out == "-" else str(tmp_path / out)
        assert cli.main(["predict", str(tmp_path / "m.mtl"), str(tmp_path / "x.csv"),
                         "--out", target, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "Task 'tags' of MODEL" in err and "a label '?'" in err
        suggested = "predictions.parquet" if out == "-" else str(tmp_path / "pred.parquet")
        assert f"(--out {suggested})" in err
        assert out == "-" or not (tmp_path / out).exists()
    pytest.importorskip("pyarrow")
    out = tmp_path / "pred.parquet"
    assert cli.main(["predict", str(tmp_path / "m.mtl"), str(tmp_path / "x.csv"), "--out",
                     str(out), "--quiet"]) == 0
    written = pd.read_parquet(out)["tags"]
    expected = model.predict(X)["tags"]
    assert written.isna().tolist() == [not isinstance(t, set) for t in expected]
    assert {"?"} in list(expected) and "?" in written.dropna().tolist()


def test_na_values_match_a_workbooks_number_cells_as_a_csv_files(tmp_path):
    # --na-values -999 reads a workbook's integer cell -999 as a missing label, as in a
    # CSV file (read_excel matched a float cell -999.5, but kept the integer one a class)
    pytest.importorskip("openpyxl")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=12), "cls": [1, 2, -999, 3] * 3,
                          "r": [1.5, -999.5, 2.5, -999.0] * 3, "word": ["a", "b", -999, "c"] * 3,
                          "code": ["01", "02", "-999", "NA"] * 3})
    frame.to_csv(tmp_path / "na.csv", index=False)
    frame.to_excel(tmp_path / "na.xlsx", index=False)
    for options in ({"na_values": ["-999", "-999.5"]},
                    {"na_values": ["-999.0", "-999.5"], "keep_default_na": False},
                    {"na_values": ["-999", "-999.5"], "as_text": True, "numbers": ["r"]}):
        reading = cli._LabelReading(**options)
        read = [cli._load_table(tmp_path / name, "cls,r,word,code", None,
                                labels=reading)[1] for name in ("na.csv", "na.xlsx")]
        gap = "<gap>"
        assert read[0]["cls"].astype(object).fillna(gap).tolist()[:4] == (
            ["1", "2", gap, "3"] if options.get("as_text") else [1, 2, gap, 3])
        assert read[0]["r"].fillna(0).tolist()[:4] == [1.5, 0, 2.5, 0]
        assert read[0]["word"].fillna(gap).tolist()[:4] == ["a", "b", gap, "c"]
        for column in read[0].columns:
            pd.testing.assert_series_equal(read[1][column], read[0][column],
                                           check_dtype=column != "word")


# ------------------------------------------------- UTF-16 and UTF-32 without a mark
_WIDE_TEXTS = {
    "cyrillic": "имя,цвет\nиван,красный\n",
    "japanese": "名前,色\n太郎,赤\n",
    "u3000": "a,b\n" * 5 + "x\u3000y,1\n",  # a zero byte in the other place too
    "accents": "nom,été\nà,ü\n",
    "ascii": "a\n",
}


@pytest.mark.parametrize("text", list(_WIDE_TEXTS))
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_text_without_a_byte_order_mark_is_detected(text, encoding):
    # UTF-16 of Cyrillic or Chinese text has few NUL bytes (its punctuation, digits and
    # line breaks), and read as Windows-1252 garbage; UTF-32 was not detected at all
    from sklearn_mtl._cli_deploy import wide_encoding

    head = _WIDE_TEXTS[text].encode(encoding)
    assert wide_encoding(head) == encoding
    for cut in (1, 2, 3):  # a head that ends inside a character
        assert wide_encoding((_WIDE_TEXTS[text] * 200).encode(encoding)[:4096 - cut]) \
            == encoding


def test_text_with_stray_nul_bytes_is_not_taken_for_wide_text():
    from sklearn_mtl._cli_deploy import wide_encoding

    for head in (b"a,b\n1,\x00\n2,x\x00\n", b"a,b\n" + b"x" + b"\x00" * 7 * 20,
                 bytes(range(256)) * 4,
                 "nom,été\nà,ü\n".encode(), "nom,été\nà,ü\n".encode("cp1252"),
                 "名前,色\n太郎,赤\n".encode()):
        assert wide_encoding(head) is None, head
    rng = np.random.RandomState(0)
    text = bytearray(("nom,été,x\n" + "".join(f"ligne {i},à côté,{i * 3.1}\n"
                                              for i in range(300))).encode("utf-8")[:4096])
    for _ in range(200):  # UTF-8 with NUL bytes here and there: still 8-bit text
        head = text.copy()
        for k in rng.randint(len(head), size=rng.randint(1, 8)):
            head[k] = 0
        assert wide_encoding(bytes(head)) is None


def test_short_text_or_c_strings_with_nul_bytes_are_not_taken_for_wide_text():
    # a NUL byte or two in a file of a header and a row or so, in UTF-8 (a mark too),
    # Latin-1 or Windows-1252, and a NUL before each line break (C strings): any
    # majority of zeros in one place of the byte pairs was taken for UTF-16
    from sklearn_mtl._cli_deploy import wide_encoding

    for head in (b"id,name,\x00label\x00\n", b"\x00id,name,label\x00\n",
                 b"id,name,lab\x00el\n\x000,M\xfcller,c\n",
                 b"id\x00,name,label\n0\x00,M\xfcller,c\x00\n",
                 b"id,\x00name,label\n0,M\xc3\xbcller,b\n\x00",
                 b"\xef\xbb\xbfid,\x00nam\x00e,label\x00\n0,\xc2\xbd,a\n",
                 b"id,x\x00\n10,a\x00\n11,b\x00\n",
                 "id,name,label\x00\n0,Müller,a\x00\n1,ab,b\x00\n".encode()):
        assert wide_encoding(head) is None, head
    rng = np.random.RandomState(1)
    words = ["ab", "abc", "x", "Müller", "2.5", "10"]
    for encoding in ("utf-8", "utf-8-sig", "latin-1", "cp1252"):
        for rows in (0, 1, 2, 3, 5, 20, 100):
            lines = ["id,name,label"] + [f"{i},{rng.choice(words)},{rng.choice(['a', 'b'])}"
                                         for i in range(rows)]
            text = "\n".join(lines).encode(encoding) + b"\n"
            c_strings = "".join(f"{line}\x00\n" for line in lines).encode(encoding)
            assert wide_encoding(c_strings[:4096]) is None, c_strings
            for _ in range(50):
                head = bytearray(text)
                for _ in range(rng.randint(1, 4)):
                    head.insert(rng.randint(len(head) + 1), 0)
                assert wide_encoding(bytes(head[:4096])) is None, bytes(head)
    # real UTF-16 and UTF-32 as short: still told
    for text in ("名,色\n太,赤\n", "a\n", "id,x\n1,2\n"):
        for encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            assert wide_encoding(text.encode(encoding)) == encoding


def test_stray_nul_bytes_in_a_header_are_named_not_an_encoding(tmp_path, capsys):
    # a UTF-8 file with a NUL byte in its header (one ending each line, as C strings
    # do): the error says it holds NUL bytes, stray or of UTF-16, not "give --encoding
    # utf-16-le" (nor utf-16-be, which such a file was read in: garbage columns), at
    # each place that reads a header (fit's --data, predict's file and standard input)
    import io

    frame = pd.DataFrame({"x": np.arange(30.0) % 4, "name": ["Müller", "ab", "c"] * 10,
                          "cls": ["a", "b"] * 15})
    good, model = tmp_path / "good.csv", tmp_path / "m.mtl"
    frame.to_csv(good, index=False)
    assert cli.main(["fit", "--data", str(good), "--targets", "cls", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0
    capsys.readouterr()
    lines = good.read_text(encoding="utf-8").splitlines()
    c_strings = tmp_path / "c.csv"
    c_strings.write_bytes("".join(f"{line}\x00\n" for line in lines).encode())
    stray = tmp_path / "stray.csv"
    stray.write_bytes(("x,na\x00me,cls\n" + "\n".join(lines[1:4]) + "\n").encode())
    for path in (c_strings, stray):
        assert cli.main(["fit", "--data", str(path), "--targets", "cls", "--model",
                         "independent", "--out", str(tmp_path / "m2.mtl")]) == 2
        errors = [capsys.readouterr().err]
        assert cli.main(["predict", str(model), str(path), "--out",
                         str(tmp_path / "p.csv")]) == 2
        errors.append(capsys.readouterr().err)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
            assert cli.main(["predict", str(model), "-", "--out",
                             str(tmp_path / "p.csv")]) == 2
        errors.append(capsys.readouterr().err)
        for err, what in zip(errors, (f"--data {str(path)!r}", f"DATA {str(path)!r}",
                                      "DATA '-'")):
            assert f"{what} is not a readable CSV file: its header row, read in UTF-8, " \
                   "holds NUL characters" in err, err
            assert "The file holds NUL bytes: stray ones" in err
            assert "looks like" not in err and "give --encoding" not in err


def test_wide_text_without_a_mark_is_read_or_named(tmp_path, capsys):
    # a UTF-16 file without a byte-order mark read as UTF-8 (--encoding utf-8, standard
    # input) decodes (a NUL byte is valid UTF-8): the error names the header's NUL
    # characters and the encoding to give, not columns 'x\x00' that are not there
    import io

    frame = pd.DataFrame({"имя": ["иван", "пётр"] * 15, "x": np.arange(30.0) % 4,
                          "цвет": ["красный", "синий", "белый"] * 10})
    model, pred = tmp_path / "m.mtl", tmp_path / "p.csv"
    for encoding in ("utf-16-le", "utf-32-be"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(frame.to_csv(index=False).encode(encoding))
        assert cli.main(["fit", "--data", str(path), "--targets", "цвет", "--model",
                         "independent", "--out", str(model)]) == 0
        assert f"read in {encoding}." in capsys.readouterr().out
        assert cli.main(["predict", str(model), str(path), "--out", str(pred),
                         "--quiet"]) == 0
        assert set(pd.read_csv(pred)["цвет"]) <= {"красный", "синий", "белый"}
    path = tmp_path / "utf-16-le.csv"
    assert cli.main(["fit", "--data", str(path), "--targets", "цвет", "--out", str(model),
                     "--encoding", "utf-8"]) == 2
    err = capsys.readouterr().err
    assert f"--data {str(path)!r} is not a readable CSV file: its header row, read in " \
           "utf-8, holds NUL characters" in err
    assert "give --encoding utf-16-le" in err
    assert cli.main(["predict", str(model), str(path), "--out", str(pred),
                     "--encoding", "utf-8"]) == 2
    err = capsys.readouterr().err
    assert f"DATA {str(path)!r} is not a readable CSV file" in err
    assert "give --encoding utf-16-le" in err
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
        assert cli.main(["predict", str(model), "-", "--out", str(pred), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "DATA '-' is not a readable CSV file" in err and "--encoding utf-16-le" in err
    # NUL bytes whose encoding is not told: the hint still names them
    odd = tmp_path / "odd.csv"
    odd.write_bytes(b"x\x00\x00,cls\n1,a\n2,b\n")
    assert cli.main(["fit", "--data", str(odd), "--targets", "cls", "--out",
                     str(model)]) == 2
    assert "The file holds NUL bytes" in capsys.readouterr().err


def test_utf16_or_utf32_given_for_a_text_without_a_byte_order_mark_is_named(
        saved_pipeline, tmp_path, capsys):
    # --encoding utf-16 (or utf-32) reads the byte order from a byte-order mark: on a text
    # without one, the codec raises a plain UnicodeError, not a UnicodeDecodeError.
    # predict printed a traceback (from standard input too), fit and compare its bare
    # "UTF-16 stream does not start with BOM", naming neither the file nor the option
    import io

    _, model, X, _ = saved_pipeline
    pred = tmp_path / "p.csv"
    plain, le16, le32 = (tmp_path / "plain.csv", tmp_path / "le16.csv",
                         tmp_path / "le32.csv")
    text = X.assign(kind=["a", "b", "c"] * 20).to_csv(index=False)
    plain.write_text(text, encoding="utf-8")
    le16.write_bytes(text.encode("utf-16-le"))
    le32.write_bytes(text.encode("utf-32-le"))
    mark = "reads a text that starts with a byte-order mark (BOM)"
    for path, given, looks in [(plain, "utf-16", None), (le16, "utf-16", "utf-16-le"),
                               (le32, "utf-32", "utf-32-le")]:
        assert cli.main(["predict", str(model), str(path), "--out", str(pred), "--quiet",
                         "--encoding", given]) == 2
        err = capsys.readouterr().err
        assert f"DATA {str(path)!r} is not a readable CSV file" in err, err
        assert f"--encoding {given} {mark}" in err and "Traceback" not in err
        if looks is None:  # a UTF-8 file: no NUL byte, no byte order to give
            assert "it looks like 8-bit text" in err
            assert "Leave --encoding out to have the file's encoding detected" in err
        else:
            assert f"--encoding {given}-le or --encoding {given}-be (it looks like " \
                   f"{looks.upper()}), or leave --encoding out" in err
        assert not pred.exists()
        for command in ("fit", "compare"):
            assert cli.main([command, "--data", str(path), "--targets", "kind", "--out",
                             str(tmp_path / ("m.mtl" if command == "fit" else "rep")),
                             "--encoding", given.upper()]) == 2
            err = capsys.readouterr().err
            assert f"--data {str(path)!r} is not a readable CSV file" in err, err
            assert f"--encoding {given.upper()} {mark}" in err
            assert (looks is None) == ("it looks like 8-bit text" in err)
    for path in (plain, le16):  # standard input: its bytes are not read again
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
            assert cli.main(["predict", str(model), "-", "--out", str(pred), "--quiet",
                             "--encoding", "utf-16"]) == 2
        err = capsys.readouterr().err
        assert "DATA '-' is not a readable CSV file" in err, err
        assert f"--encoding utf-16 {mark}" in err
        assert "--encoding utf-16-le or --encoding utf-16-be" in err
    # with its mark, utf-16 reads the file, as before
    path = tmp_path / "marked.csv"
    path.write_bytes(X.to_csv(index=False).encode("utf-16"))
    assert cli.main(["predict", str(model), str(path), "--out", str(pred), "--quiet",
                     "--encoding", "utf-16"]) == 0
    assert len(pd.read_csv(pred)) == len(X)


def test_na_values_name_a_numbers_other_spelling_on_every_pandas(tmp_path):
    # --na-values -999 is also the cell -999.0, and -999.0 the cell -999, in a column of
    # integers and one read as text (--targets-as-text), as pandas 3's read_csv matches
    # them; pandas 2 matched a column's na_values only as written
    path = tmp_path / "t.csv"
    path.write_text("x,a,b\n1,-999,-999.0\n2,01,-999.00\n3,02,5\n")
    gap = "<gap>"
    for marker in ("-999", "-999.0"):
        numbers = cli._load_table(path, "a,b", None,
                                  labels=cli._LabelReading([marker]))[1]
        assert numbers["a"].astype(object).fillna(gap).tolist() == [gap, 1, 2]
        # -999.00 is a number, which matches too
        assert numbers["b"].astype(object).fillna(gap).tolist() == [gap, gap, 5]
        text = cli._load_table(path, "a,b", None,
                               labels=cli._LabelReading([marker], as_text=True))[1]
        assert text["a"].fillna(gap).tolist() == [gap, "01", "02"]
        assert text["b"].fillna(gap).tolist() == [gap, "-999.00", "5"]  # as written
    assert cli._na_spellings(["-999", "NA", "2.5", "1e3", "nan", "1e400"]) == [
        "-999", "-999.0", "1000", "1000.0", "1e3", "1e400", "2.5", "NA", "nan"]
    assert cli._na_numbers(["-999", "NA", "2.5", "1e3", "nan", "inf"]) == {
        -999.0, 2.5, 1000.0, np.inf}


def test_export_of_a_linear_baseline_fitted_on_numbers_with_gaps(tmp_path, capsys):
    # The command line's linear baselines fill a numeric gap and add a 0/1 column of it
    # (SimpleImputer(add_indicator=True)); skl2onnx's converter left that column out.
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    import onnx

    from sklearn_mtl import load
    from sklearn_mtl._export import run_onnx

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40),
                      "c": rng.randint(0, 5, 40)})
    X.loc[::7, "a"] = np.nan
    data = tmp_path / "gaps.csv"
    X.assign(t1=np.where(X["b"] > 0, "y", "n"),
             t2=np.where(X["c"] > 2, "p", "q")).to_csv(data, index=False)
    for name in ("independent", "product"):
        model, graph = tmp_path / f"{name}.mtl", tmp_path / f"{name}.onnx"
        assert cli.main(["fit", "--data", str(data), "--targets", "t1,t2", "--model", name,
                         "--out", str(model), "--quiet"]) == 0
        assert cli.main(["export", str(model), "--onnx", str(graph), "--sample",
                         str(data)]) == 0, capsys.readouterr().err
        fitted = load(model)
        got = run_onnx(onnx.load(str(graph)), X)
        for i, task in enumerate(("t1", "t2")):
            np.testing.assert_allclose(got[f"{task}_probability"],
                                       fitted.predict_proba(X)[i], atol=1e-5)


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_a_seed_out_of_numpys_range_is_named_before_any_fit(csv, tmp_path, capsys, seed):
    # compare failed with numpy's "Seed must be between 0 and 2**32 - 1", naming no
    # option; fit took it for some models and refused it for others
    out = tmp_path / "m.mtl"
    assert cli.main(["compare", "--data", str(csv), "--targets", "species,sex", "--models",
                     "dummy,independent", "--cv", "2", "--no-plots", "--quiet", "--out",
                     str(tmp_path / "r"), "--random-state", seed]) == 2
    expected = f"--random-state must be between 0 and 4294967295; got {seed}."
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    assert cli.main(["fit", "--data", str(csv), "--targets", "species,sex", "--model",
                     "independent", "--out", str(out), "--random-state", seed]) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_report_lists_a_regression_task_without_an_empty_list_of_classes(quantity_compare):
    code, _, err, report, _ = quantity_compare
    assert code == 0, err
    lines = report.splitlines()
    assert "- Tasks: kind (binary: p, q); mass (regression)" in lines


def test_predict_and_export_help_name_the_excel_workbooks_they_read(capsys):
    parser = cli.build_parser()
    assert "apply a saved model to a CSV, Parquet or Excel file" in parser.format_help()
    for command in ("predict", "export"):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        assert "Excel" in " ".join(capsys.readouterr().out.split())


def test_report_scores_the_regression_tasks_out_of_fold(quantity_csv, quantity_compare,
                                                        tmp_path, monkeypatch):
    # the per-task report was task_report's, which has the classification tasks only:
    # the quantity was left out, and with quantities alone its table was empty
    from sklearn.metrics import r2_score, root_mean_squared_error

    from sklearn_mtl._compare import quantity_decimals

    path, frame = quantity_csv
    captured = {}
    real = cli._regression_report

    def spy(true, pred):  # the out-of-fold predictions the report scores
        captured["true"], captured["pred"] = true, pred
        return real(true, pred)

    monkeypatch.setattr(cli, "_regression_report", spy)
    # kind,mass: the module's run of the same options; the quantity alone: run here
    for targets in ("kind,mass", "mass"):
        if targets == "kind,mass":
            code, _, err, report, out = quantity_compare
            assert code == 0, err
        else:
            out = tmp_path / "alone"
            assert cli.main(["compare", "--data", str(path), "--targets", targets,
                             "--regression-targets", "mass", "--models", "mtl", "--cv",
                             "2", "--max-epochs", "1", "--out", str(out), "--quiet"]) == 0
            report = (out / "report.md").read_text()
        part = report.split("## Per-task report", 1)[1].split("## Figures", 1)[0]
        assert ("| kind |" in part) == (targets == "kind,mass")
        assert ("| task / label |" in part) == (targets == "kind,mass")
        assert "| task | n_labelled | n_missing | rmse | r2 |" in part
        (row,) = [line for line in part.splitlines() if line.startswith("| mass |")]
        cells = row.strip("|").split("|")
        assert [c.strip() for c in cells[:3]] == ["mass", "79", "1"]
        assert (out / "task_r2.png").exists() and "Per-task R²" in report
    # the quantity alone (the last run): its out-of-fold predictions' scores, as
    # scikit-learn's metrics give them
    true, pred = captured["true"].regression["mass"], captured["pred"].regression["mass"]
    keep = ~np.isnan(true)
    rmse = root_mean_squared_error(true[keep], pred[keep])
    assert (f"| mass | 79 | 1 | {rmse:.{quantity_decimals(rmse)}f} | "
            f"{r2_score(true[keep], pred[keep]):.3f} |") in report


def test_dummy_reference_predicts_a_regression_target_as_its_training_mean(quantity_csv,
                                                                          tmp_path):
    # MostFrequentBaseline predicts a regression task's training mean (compare() scores
    # it so); the command refused it beside --regression-targets as a classifier
    path, _ = quantity_csv
    out = tmp_path / "report"
    assert cli.main(["compare", "--data", str(path), "--targets", "kind,mass",
                     "--regression-targets", "mass", "--models", "mtl,dummy", "--cv", "2",
                     "--max-epochs", "1", "--out", str(out), "--no-plots", "--quiet"]) == 0
    report = (out / "report.md").read_text()
    assert "- **dummy**: each task's most frequent class, a regression task's mean" in report
    (row,) = [line for line in report.splitlines() if line.startswith("| mass r2 |")]
    dummy_r2 = float(row.strip("|").split("|")[2].split("±")[0])
    # a constant prediction scores at most 0 on any fold: R² = 1 - SSE / SST, SSE >= SST
    assert dummy_r2 <= 0


@pytest.mark.parametrize("model", ["mtl", "independent"])
def test_a_workbooks_text_cells_of_codes_and_ids_stay_text(codes_csv, tmp_path, capsys,
                                                           model):
    # read_excel read the text cells "01" and "007" as the numbers 1 and 7: the codes
    # were categories the model never saw (the predictions changed silently), the ids
    # were written 7
    pytest.importorskip("openpyxl")
    import sklearn_mtl

    train, _, typed = codes_csv
    path = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(train), "--targets", "y,z", "--model", model,
                     "--max-epochs", "5", "--out", str(path), "--quiet"]) == 0
    rows = typed.iloc[1:6]  # codes that all look like numbers
    ids = ["007", "010", "0", "1e3", "42"]
    book = tmp_path / "new.xlsx"
    rows.assign(rid=ids).to_excel(book, index=False)  # text cells, as typed
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(path), str(book), "--out", str(out), "--id-column", "rid",
                     "--proba", "--quiet"]) == 0, capsys.readouterr().err
    got = pd.read_csv(out, dtype={"rid": str})
    assert got["rid"].tolist() == ids
    model_ = sklearn_mtl.load(path)
    assert got[["y", "z"]].to_numpy().tolist() == model_.predict(rows).to_numpy().tolist()
    np.testing.assert_allclose(got[["y_proba_neg", "y_proba_pos"]].to_numpy(),
                               model_.predict_proba(rows)[0], atol=1e-6)


def _fit_sign_of_x(tmp_path, x, *options):
    """``(data, model)``: ``d.csv`` of a column ``x`` and its sign ``y`` ("a" / "b"), and
    the model ``m.mtl`` that ``sklearn-mtl fit`` with ``options`` saves of it."""
    data, model = tmp_path / "d.csv", tmp_path / "m.mtl"
    pd.DataFrame({"x": x, "y": np.where(x > 0, "a", "b")}).to_csv(data, index=False)
    assert cli.main(["fit", "--data", str(data), "--targets", "y", *options,
                     "--out", str(model), "--quiet"]) == 0
    return data, model


def test_a_failed_predict_leaves_an_existing_out_file_as_it_was(tmp_path, capsys):
    # a bad value in a later batch removed the file --out named, which the first batch
    # had already overwritten: the predictions of an earlier run were lost
    import sklearn_mtl

    rng = np.random.RandomState(0)
    x = rng.normal(size=20).round(3)
    data, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    expected = sklearn_mtl.load(model).predict(pd.read_csv(data)[["x"]])["y"].tolist()
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n" + "0.5\n" * 12 + "abc\n")
    for name in ("p.csv", "p.parquet", "p.xlsx"):
        if name != "p.csv":
            pytest.importorskip("pyarrow" if name.endswith("parquet") else "openpyxl")
        out = tmp_path / name
        out.write_bytes(b"earlier predictions")
        assert cli.main(["predict", str(model), str(bad), "--out", str(out),
                         "--batch-size", "5", "--quiet"]) == 2
        assert "row 12" in capsys.readouterr().err
        assert out.read_bytes() == b"earlier predictions"
        # replaced whole on success, nothing else left in the folder
        assert cli.main(["predict", str(model), str(data), "--out", str(out),
                         "--batch-size", "5", "--quiet"]) == 0
        got = pd.read_csv(out) if name == "p.csv" else (
            pd.read_parquet(out) if name == "p.parquet" else pd.read_excel(out))
        assert got["y"].tolist() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad.csv", "d.csv", "m.mtl", "p.csv", "p.parquet", "p.xlsx"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links and pipes of POSIX")
def test_predict_out_writes_through_a_link_and_to_a_pipe(tmp_path):
    # the file written beside --out then renamed onto it replaced a link by a plain file,
    # and a pipe (or the null device) too
    x = np.linspace(-1, 1, 12).round(3)
    data, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    real = tmp_path / "store" / "p.csv"
    real.parent.mkdir()
    real.write_text("earlier")
    link = tmp_path / "p.csv"
    link.symlink_to(real)
    assert cli.main(["predict", str(model), str(data), "--out", str(link), "--quiet"]) == 0
    assert link.is_symlink()
    assert pd.read_csv(real)["y"].tolist() == ["b"] * 6 + ["a"] * 6
    assert sorted(p.name for p in real.parent.iterdir()) == ["p.csv"]
    import threading

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    read = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_text()), daemon=True)
    reader.start()
    try:
        assert cli.main(["predict", str(model), str(data), "--out", str(pipe),
                         "--quiet"]) == 0
    finally:
        reader.join(timeout=30)
        if reader.is_alive():  # never written: release the reader
            with open(pipe, "w"):
                pass
            reader.join()
    assert not pipe.is_file() and pipe.exists()
    assert read and read[0].splitlines()[0] == "y" and len(read[0].splitlines()) == 13


def test_a_bad_value_is_named_by_its_row_in_the_file_whatever_the_batch(tmp_path, capsys):
    # the network's preprocessing numbered the row in its batch: "row 3" for row 13 of
    # the file, beside the command's own "row 13"
    rng = np.random.RandomState(0)
    x = rng.normal(size=30).round(3)
    data = tmp_path / "d.csv"
    pd.DataFrame({"x": x, "c": rng.choice(["p", "q"], 30), "y": np.where(x > 0, "a", "b")}
                 ).to_csv(data, index=False)
    model = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(data), "--targets", "y", "--max-epochs", "2",
                     "--out", str(model), "--quiet"]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("x,c\n" + "0.5,p\n" * 13 + "abc,q\n" + "0.1,p\n" * 3)
    capsys.readouterr()
    assert cli.main(["predict", str(model), str(bad), "--out", str(tmp_path / "p.csv"),
                     "--batch-size", "5", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "rows 10-14" in err and "row 13, column 'x' holds 'abc'" in err
    assert not re.search(r"\brow [0-9]\b", err), err


def test_a_column_name_written_twice_is_refused(tmp_path, monkeypatch, capsys):
    # read_csv and read_excel name the second column 'car.1': fit trained on a copy of
    # the target under that name, predict read the first 'x' whatever the second held
    import io

    rng = np.random.RandomState(0)
    x = rng.normal(size=20).round(3)
    y = np.where(x > 0, "a", "b")
    twice = tmp_path / "twice.csv"
    twice.write_text("x,y,y\n" + "".join(f"{v},{c},{c}\n" for v, c in zip(x, y)))
    model = tmp_path / "m.mtl"
    for command in ("fit", "compare"):
        args = ["--out", str(model) if command == "fit" else str(tmp_path / "r")]
        assert cli.main([command, "--data", str(twice), "--targets", "y", "--model"
                         if command == "fit" else "--models", "dummy" if command == "compare"
                         else "independent", *args, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "several columns of the same name: 'y' (2 times)" in err, err
    assert not model.exists()
    data = tmp_path / "d.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(data, index=False)
    assert cli.main(["fit", "--data", str(data), "--targets", "y", "--model", "independent",
                     "--out", str(model), "--quiet"]) == 0
    new = "x;note;x;note\n" + "".join(f"{v};n;{-v};n\n" for v in x)
    (tmp_path / "new.csv").write_text(new)
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(model), str(tmp_path / "new.csv"), "--out", str(out),
                     "--quiet"]) == 2
    assert "DATA" in (err := capsys.readouterr().err) and "'x' (2 times)" in err
    assert "'note'" not in err  # a column the model does not read may repeat
    monkeypatch.setattr(sys, "stdin", io.StringIO(new))
    assert cli.main(["predict", str(model), "-", "--out", str(out), "--quiet"]) == 2
    assert "DATA '-' has several columns of the same name: 'x'" in capsys.readouterr().err
    assert not out.exists()
    if importlib.util.find_spec("openpyxl") is not None:
        book = tmp_path / "new.xlsx"
        pd.DataFrame([[1.0, 2.0]], columns=["x", "x_"]).to_excel(book, index=False)
        import openpyxl

        workbook = openpyxl.load_workbook(book)
        workbook.active.cell(1, 2).value = "x"
        workbook.save(book)
        assert cli.main(["predict", str(model), str(book), "--out", str(out),
                         "--quiet"]) == 2
        assert "'x' (2 times)" in capsys.readouterr().err
    # one name each: read as before
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--quiet"]) == 0


def test_a_control_character_in_a_workbook_of_predictions_exits_2(tmp_path, capsys):
    # openpyxl refuses a text cell with a control character: a traceback, exit 1
    pytest.importorskip("openpyxl")
    rng = np.random.RandomState(0)
    x = rng.normal(size=12).round(3)
    data = tmp_path / "d.csv"
    pd.DataFrame({"rid": ["r0", "r\x01", *map(str, range(10))], "x": x,
                  "y": np.where(x > 0, "a", "b")}).to_csv(data, index=False)
    model = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(data), "--targets", "y", "--features", "x",
                     "--model", "independent", "--out", str(model), "--quiet"]) == 0
    out = tmp_path / "p.xlsx"
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--id-column",
                     "rid", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "column 'rid' holds 'r\\x01' in row 1, a control character" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "m.mtl"]


def test_text_in_a_number_column_is_not_said_to_be_an_array(tmp_path, capsys):
    # a network fitted on numbers alone told the command line's user that "X is an array
    # holding text" and to "pass X as a DataFrame", which it was
    rng = np.random.RandomState(0)
    x = rng.normal(size=30).round(3)
    data, model = _fit_sign_of_x(tmp_path, x, "--max-epochs", "2")
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n" + "0.5\n" * 13 + "abc\n")
    capsys.readouterr()
    assert cli.main(["predict", str(model), str(bad), "--out", str(tmp_path / "p.csv"),
                     "--batch-size", "5", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "row 13, column 'x' holds 'abc'" in err
    assert "array" not in err and "DataFrame" not in err.replace("entry of X", ""), err


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("name", ["p.csv", "p.parquet", "p.xlsx"])
def test_predict_out_replacing_a_file_keeps_its_permissions(tmp_path, name):
    # the predictions are written beside --out, then take its name: the file it replaced
    # lost its permissions (a group-writable file became the umask's 0600 or 0644)
    engine = {".parquet": "pyarrow", ".xlsx": "openpyxl"}.get(Path(name).suffix)
    if engine is not None:
        pytest.importorskip(engine)
    rng = np.random.RandomState(0)
    x = rng.normal(size=20).round(3)
    data, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    out = tmp_path / name
    out.write_text("old")
    out.chmod(0o664)
    old_umask = os.umask(0o077)
    try:
        assert cli.main(["predict", str(model), str(data), "--out", str(out), "--quiet"]) == 0
    finally:
        os.umask(old_umask)
    assert out.stat().st_mode & 0o777 == 0o664
    assert out.read_bytes() != b"old"


def test_a_workbooks_number_and_date_ids_keep_their_types(tmp_path):
    # the id column of a workbook was read as text (to keep "007"): its numbers and
    # dates were written to a Parquet file as the strings "10" and "2024-01-01 00:00:00"
    pytest.importorskip("openpyxl")
    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    x = rng.normal(size=20).round(3)
    data, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    book = tmp_path / "new.xlsx"
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(20), "D")
    pd.DataFrame({"x": x, "rid": np.arange(20) * 10, "day": days,
                  "code": ["007"] * 20}).to_excel(book, index=False)
    for column, expected in [("rid", list(range(0, 200, 10))), ("day", list(days)),
                             ("code", ["007"] * 20)]:
        out = tmp_path / f"{column}.parquet"
        assert cli.main(["predict", str(model), str(book), "--out", str(out), "--id-column",
                         column, "--quiet"]) == 0
        assert pd.read_parquet(out)[column].tolist() == expected


def test_decimal_comma_numbers_with_question_mark_gaps_stay_numbers(tmp_path):
    # A ';'-separated file with decimal commas and a '?' gap: the column was kept as the
    # text '1,25', '-0,5', ... and one-hot encoded as categories, by fit as by predict.
    from sklearn_mtl._cli_deploy import read_batches

    path = tmp_path / "semi.csv"
    path.write_text("x;kind\n1,25;a\n?;b\n-0,5;a\n3,75;b\n", encoding="utf-8")
    X = cli._load_table(path, "kind", None)[0]
    assert X["x"].dtype == np.float64
    np.testing.assert_array_equal(X["x"].to_numpy(), [1.25, np.nan, -0.5, 3.75])
    batch = next(read_batches(path, 10)[1])
    assert batch["x"].dtype == np.float64
    np.testing.assert_array_equal(batch["x"].to_numpy(), [1.25, np.nan, -0.5, 3.75])
    # a number written with a point is text in such a file, as read_csv reads it there
    path.write_text("x;kind\n1,25;a\n?;b\n-0.5;a\n3,75;b\n", encoding="utf-8")
    assert cli._load_table(path, "kind", None)[0]["x"].tolist()[2] == "-0.5"


def test_info_of_a_text_pipeline_says_it_reads_documents(tmp_path, capsys):
    # a TfidfVectorizer pipeline has no feature count: info said "Training data: (?, )"
    import json

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from sklearn_mtl import IndependentTaskClassifier, save

    X = pd.Series(["good cheap", "bad pricey", "good", "bad"] * 3, name="review")
    Y = pd.DataFrame({"sent": ["p", "n", "p", "n"] * 3, "price": ["c", "e", "c", "e"] * 3})
    model = make_pipeline(TfidfVectorizer(), IndependentTaskClassifier(LogisticRegression()))
    path = tmp_path / "text.mtl"
    save(model.fit(X, Y), path)
    assert cli.main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "(?, )" not in text
    assert "Input: one text document a row, read by TfidfVectorizer" in text
    assert cli.main(["info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["input"]["documents"] == "TfidfVectorizer"


def test_compare_report_names_the_baselines_column_transformer(raw_table_compare, csv,
                                                               tmp_path, capsys):
    # with a string column the baselines are ColumnTransformer pipelines: the report's
    # model lines said "StandardScaler + ..." all the same (the whole table's run, that
    # of test_compare_raw_csv_strings_and_gaps: independent, chain-hgb, the dummy and
    # the network)
    code, _, err, report, _ = raw_table_compare
    assert code == 0, err
    assert ("- **independent**: ColumnTransformer (below) + "
            "IndependentTaskClassifier(LogisticRegression)") in report
    assert ("- **chain-hgb**: ColumnTransformer (below) + "
            "TaskChainClassifier(HistGradientBoostingClassifier)") in report
    assert "StandardScaler +" not in report
    # numbers alone, no gap: the linear baselines are StandardScaler pipelines, as said
    code = cli.main(["compare", "--data", str(csv), "--targets", "species,sex",
                     "--features", "x1", "--models", "independent,chain-hgb", "--cv", "2",
                     "--out", str(tmp_path / "num"), "--no-plots", "--quiet"])
    assert code == 0, capsys.readouterr().err
    report = (tmp_path / "num" / "report.md").read_text()
    assert "- **independent**: StandardScaler + IndependentTaskClassifier(" in report
    assert "- **chain-hgb**: TaskChainClassifier(HistGradientBoostingClassifier)" in report


def test_missing_value_note_says_what_each_model_does_with_a_gap(dummy_on_numbers):
    # The note said "the baselines through imputation", false for gradient boosting (it
    # reads a numeric gap as it is) and for a text gap (a category of its own). (The
    # run of test_compare_user_csv: x1 and x2, a gap in x2.)
    code, _, _, report, _ = dummy_on_numbers
    assert code == 0
    assert "through imputation" not in report
    assert ("3 missing feature value(s) in 3 row(s), kept (the network reads them as they "
            "are; the baselines read a gap in a text column as a category of its own, "
            "gradient boosting a numeric gap as it is, and the linear models fill it with "
            "the column's median and mark it in a 0/1 column)") in report


def test_export_of_a_model_with_a_text_column_lookup_says_how_to_get_one(tmp_path, capsys):
    # `sklearn-mtl fit` has no lookup option, so the refusal's "fit it with lookup=None"
    # left a command-line user without a way to an exportable model.
    pytest.importorskip("onnx")
    from sklearn_mtl import MultiTaskClassifier, save

    rng = np.random.RandomState(0)
    base = pd.DataFrame({"a": rng.randint(0, 3, 120).astype(float),
                         "kind": np.where(rng.rand(120) > 0.5, "x", "z")})
    X = pd.concat([base, base], ignore_index=True)
    Y = pd.DataFrame({"t": np.tile(np.where(rng.rand(120) > 0.5, "y", "n"), 2),
                      "u": np.where(X["a"] > 0, "p", "q")})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=4, random_state=0).fit(X, Y)
    assert clf.lookup_tasks_.any()
    save(clf, tmp_path / "m.mtl")
    X.to_csv(tmp_path / "sample.csv", index=False)
    code = cli.main(["export", str(tmp_path / "m.mtl"), "--onnx", str(tmp_path / "m.onnx"),
                     "--sample", str(tmp_path / "sample.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert "(lookup_tasks_)" in err
    assert ("`sklearn-mtl fit` keeps the default lookup='auto': fit "
            "MultiTaskClassifier(lookup=None) in Python and save it") in err
    assert not (tmp_path / "m.onnx").exists()


def test_info_on_a_baseline_gives_its_width_without_a_shape_of_unknown_rows(
        dated_csv, tmp_path, capsys):
    # a baseline keeps no row count: info said "Training data: (?, 3) (the number of rows
    # is not recorded)", a shape with a hole in it
    train, _, _ = dated_csv
    out = tmp_path / "model.mtl"
    assert cli.main(["fit", "--data", str(train), "--targets", "kind,size", "--model",
                     "chain", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert cli.main(["info", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert ("Training data: 3 features (the model does not record its number of training "
            "rows)") in lines
    assert not any("(?," in line for line in lines)


def test_categories_spelled_like_pandas_gaps_are_read_as_the_model_learned_them(
        tmp_path, monkeypatch, capsys):
    # a model fitted in Python on a text column holding "NA" (a region) and "None" (a
    # kind), saved and applied to X.to_csv(): predict read those cells as gaps, a
    # category the model never saw, and silently predicted other labels
    import io

    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from sklearn_mtl import IndependentTaskClassifier, save

    X = pd.DataFrame({"a": [0.1, -0.2, 0.3, -0.4, 0.5, -0.6] * 4,
                      "region": ["NA", "EU", "None", "NA", "EU", "None"] * 4})
    Y = pd.DataFrame({"t": X["region"].map({"NA": "x", "EU": "y", "None": "z"}),
                      "u": np.where(X["a"] > 0, "p", "q")})
    encode = ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), ["region"])],
                               remainder="passthrough")
    model = make_pipeline(encode, IndependentTaskClassifier(LogisticRegression()))
    model.fit(X, Y)
    expected = model.predict(X)["t"].tolist()
    assert expected == Y["t"].tolist()
    save(model, tmp_path / "m.mtl")
    data = tmp_path / "new.csv"
    X.to_csv(data, index=False)
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(tmp_path / "m.mtl"), str(data), "--out", str(out),
                     "--quiet"]) == 0
    assert pd.read_csv(out)["t"].tolist() == expected
    monkeypatch.setattr("sys.stdin", io.StringIO(data.read_text()))
    assert cli.main(["predict", str(tmp_path / "m.mtl"), "-", "--out", "-", "--quiet"]) == 0
    assert pd.read_csv(io.StringIO(capsys.readouterr().out))["t"].tolist() == expected
    # an empty cell is still a gap: the category the encoder never saw
    data.write_text("a,region\n0.1,\n0.2,NA\n")
    assert cli.main(["predict", str(tmp_path / "m.mtl"), str(data), "--out", str(out),
                     "--quiet", "--proba"]) == 0
    got = pd.read_csv(out)
    assert got["t"].iloc[1] == "x"
    assert got["t_proba_x"].iloc[0] < got["t_proba_x"].iloc[1]


def test_a_parquet_id_column_of_nullable_integers_keeps_its_ids(tmp_path, capsys):
    # --id-column copied with to_numpy(): a Parquet column of nullable integers with a
    # gap came out as floats, id 7 as "7.0" and a 64-bit id rounded to another id
    pytest.importorskip("pyarrow")
    x = np.array([0.5, -0.5, 1.5, -1.5, 0.25, -0.25])
    _, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    ids = pd.array([7, None, 2 ** 62 + 1, 3, 4, 5], dtype="Int64")
    data = tmp_path / "new.parquet"
    pd.DataFrame({"x": x, "id": ids}).to_parquet(data, index=False)
    out = tmp_path / "p.parquet"
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--id-column", "id",
                     "--batch-size", "4", "--quiet"]) == 0
    got = pd.read_parquet(out)["id"]
    assert str(got.dtype) == "Int64" and got.isna().tolist() == [False, True] + [False] * 4
    assert got.dropna().tolist() == [7, 2 ** 62 + 1, 3, 4, 5]
    assert cli.main(["predict", str(model), str(data), "--out", "-", "--id-column", "id",
                     "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "id", "7", "", str(2 ** 62 + 1), "3", "4", "5"]


def test_predict_and_export_refuse_a_saved_step_that_predicts_nothing(tmp_path, capsys):
    # a StructuredLabelEncoder or a TaskFeatureSelector (which save() stores and which hold
    # the tasks) given as MODEL: predict and export ended in an AttributeError traceback
    import sklearn_mtl
    from sklearn_mtl import StructuredLabelEncoder, TaskFeatureSelector

    X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "b": [1.0, 0, 1, 0, 1, 0]})
    Y = pd.DataFrame({"t": list("xxyyxy"), "u": list("pqpqpq")})
    data = tmp_path / "x.csv"
    X.to_csv(data, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = [StructuredLabelEncoder().fit(Y), TaskFeatureSelector().fit(X, Y)]
    for step in fitted:
        name = type(step).__name__
        model = sklearn_mtl.save(step, tmp_path / f"{name}.mtl")
        assert cli.main(["predict", str(model), str(data), "--out", "-", "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"holds a fitted {name}, which knows the tasks but predicts nothing" in err
        assert cli.main(["export", str(model), "--onnx", str(tmp_path / "m.onnx")]) == 2
        assert "predicts nothing" in capsys.readouterr().err
        assert not (tmp_path / "m.onnx").exists()
        assert cli.main(["info", str(model)]) == 0  # its tasks are worth describing
        assert "Tasks (2):" in capsys.readouterr().out


def test_a_json_file_is_named_as_one_not_read_as_csv(tmp_path, capsys):
    # a JSON (lines) file was read as a CSV: its keys and values became columns, and the
    # error listed them all as columns the model did not know (or as repeated names);
    # --out predictions.json got a CSV file under a JSON file's name
    x = np.array([0.5, -0.5, 1.5, -1.5])
    data, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    rows = pd.read_csv(data)
    for name, lines in (("new.json", False), ("new.jsonl", True)):
        path = tmp_path / name
        rows.to_json(path, orient="records", lines=lines)
        assert cli.main(["predict", str(model), str(path), "--out", "-", "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"DATA {str(path)!r} is a JSON file" in err and "lacks" not in err
        assert ("lines=True" in err) is lines
        assert cli.main(["fit", "--data", str(path), "--targets", "y", "--out",
                         str(tmp_path / "j.mtl"), "--quiet"]) == 2
        assert f"--data {str(path)!r} is a JSON file" in capsys.readouterr().err
    out = tmp_path / "p.json"
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--quiet"]) == 2
    assert "predictions are written as .csv, .parquet or .xlsx" in capsys.readouterr().err
    assert not out.exists()


def test_predict_out_suffix_chooses_tabs_compression_or_an_error(tmp_path, capsys):
    # --out p.tsv got a comma-separated file, p.csv.gz (which pandas' to_csv compresses)
    # plain text under a gzip name, and p.feather a CSV file that read_feather refuses
    import gzip

    x = np.array([0.5, -0.5, 1.5, -1.5])
    data, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    expected = pd.DataFrame({"x": x, "y": ["a", "b", "a", "b"]})
    for name, sep in (("p.tsv", "\t"), ("p.tab", "\t"), ("p.csv.gz", ","),
                      ("p.tsv.gz", "\t"), ("p.csv.bz2", ","), ("p.csv.xz", ","),
                      ("p.csv.zip", ","), ("p.txt", ",")):
        out = tmp_path / name
        assert cli.main(["predict", str(model), str(data), "--out", str(out),
                         "--id-column", "x", "--quiet"]) == 0, name
        pd.testing.assert_frame_equal(pd.read_csv(out, sep=sep), expected, obj=name)
    assert (tmp_path / "p.tsv").read_text().splitlines()[:2] == ["x\ty", "0.5\ta"]
    with gzip.open(tmp_path / "p.csv.gz") as fh:  # the name gunzip -N restores
        assert fh.read().decode().splitlines()[0] == "x,y"
    assert (tmp_path / "p.csv.gz").read_bytes()[10:16] == b"p.csv\0"
    capsys.readouterr()
    for name in ("p.feather", "p.pkl", "p.zst", "p.parquet.gz", "p.json.zip"):
        out = tmp_path / name
        assert cli.main(["predict", str(model), str(data), "--out", str(out),
                         "--quiet"]) == 2, name
        err = capsys.readouterr().err
        assert f"--out {str(out)!r}" in err and "csv.gz" in err
        assert not out.exists()
    assert not [p.name for p in tmp_path.iterdir() if ".part" in p.name]


def test_export_sample_errors_name_the_sample_option_not_data(tmp_path, capsys):
    # export --sample read its file as predict reads DATA, and every error said "DATA":
    # an option export does not have
    x = np.array([0.5, -0.5, 1.5, -1.5])
    _, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    samples = {"renamed.csv": "w\n1\n", "empty.csv": "", "header.csv": "x\n"}
    for name, text in samples.items():
        (tmp_path / name).write_text(text)
    expected = {
        "renamed.csv": "lacks the column(s) ['x'] that the model was trained on",
        "empty.csv": "is empty; expected a CSV with a header",
        "header.csv": "has a header but no data row",
        "absent.csv": ": no such file.",
    }
    for name, message in expected.items():
        sample = tmp_path / name
        assert cli.main(["export", str(model), "--onnx", str(tmp_path / "m.onnx"),
                         "--sample", str(sample)]) == 2, name
        err = capsys.readouterr().err
        assert f"--sample {str(sample)!r}" in err and message in err, err
        assert "DATA" not in err
    assert not (tmp_path / "m.onnx").exists()


def test_column_lists_in_errors_are_shortened(tmp_path, capsys):
    # a file of 300 renamed columns gave an error of three lists of 300 names each: the
    # columns it lacks, those the model expects and those it does not know
    rng = np.random.RandomState(0)
    names = [f"f{i}" for i in range(300)]
    X = pd.DataFrame(rng.normal(size=(8, 300)).round(2), columns=names)
    data = tmp_path / "d.csv"
    X.assign(y=list("abababab")).to_csv(data, index=False)
    model = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(data), "--targets", "y", "--model", "independent",
                     "--out", str(model), "--quiet"]) == 0
    renamed = tmp_path / "r.csv"
    X.rename(columns=str.upper).to_csv(renamed, index=False)
    assert cli.main(["predict", str(model), str(renamed), "--out", "-", "--quiet"]) == 2
    err = capsys.readouterr().err
    shown = ", ".join(repr(c) for c in names[:15]) + ", ..., " + ", ".join(
        repr(c) for c in names[-4:])
    upper = shown.replace("'f", "'F")
    assert err.strip() == (
        f"sklearn-mtl predict: error: DATA {str(renamed)!r} lacks the column(s) [{shown}] "
        f"(300 in all) that the model was trained on (it expects [{shown}] (300 in all)). "
        f"Columns the model does not know: [{upper}] (300 in all) (renamed?).")
    assert cli.main(["predict", str(model), str(renamed), "--out", "-", "--quiet",
                     "--id-column", "id"]) == 2
    assert f"its columns are [{upper}] (300 in all)." in capsys.readouterr().err
    assert cli.main(["fit", "--data", str(data), "--targets", "z", "--out",
                     str(tmp_path / "z.mtl"), "--quiet"]) == 2
    columns = ", ".join(repr(c) for c in names[:15]) + ", ..., 'f297', 'f298', 'f299', 'y'"
    assert f"unknown column(s) ['z']; the columns are [{columns}] (301 in all)." in \
        capsys.readouterr().err


def test_info_and_predict_warn_of_a_model_saved_with_another_scikit_learn(tmp_path, capsys):
    # the manifest's versions differing from the running ones went unsaid
    import hashlib
    import json
    import zipfile

    import sklearn

    x = np.array([0.5, -0.5, 1.5, -1.5])
    data, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    with zipfile.ZipFile(model) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["written_with"]["scikit-learn"] = "0.0.1"
    members["manifest.json"] = json.dumps(manifest).encode()
    assert hashlib.sha256(members["estimator.json"]).hexdigest() == \
        manifest["sha256"]["estimator.json"]
    with zipfile.ZipFile(model, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    warning = (f"sklearn-mtl: warning: Loading Pipeline from {str(model)!r}, written by "
               f"sklearn-mtl with scikit-learn 0.0.1, while scikit-learn "
               f"{sklearn.__version__} is running.")
    assert cli.main(["info", str(model)]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(warning) and err.count("warning:") == 1
    assert "scikit-learn 0.0.1" in out  # "Written with: ..."
    assert cli.main(["predict", str(model), str(data), "--out", "-", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(warning) and out.splitlines() == ["y", "a", "b", "a", "b"]


def test_a_compressed_data_file_is_named_as_one(tmp_path, capsys):
    # a .csv.gz file (which pd.read_csv reads, and which predict --out now writes) was
    # read as text: an error about NUL characters, UTF-16 and a --encoding to give
    import bz2
    import gzip
    import lzma
    import zipfile

    x = np.array([0.5, -0.5, 1.5, -1.5])
    data, model = _fit_sign_of_x(tmp_path, x, "--model", "independent")
    text = data.read_bytes()
    files = {"d.csv.gz": ("gzip", gzip.compress(text), "gunzip -k"),
             "d.csv.bz2": ("bzip2", bz2.compress(text), "bunzip2 -k"),
             "d.csv.xz": ("xz", lzma.compress(text), "unxz -k")}
    with zipfile.ZipFile(tmp_path / "d.csv.zip", "w") as zf:
        zf.writestr("d.csv", text)
    files["d.csv.zip"] = ("zip", (tmp_path / "d.csv.zip").read_bytes(), "unzip")
    for name, (kind, blob, unpack) in files.items():
        path = tmp_path / name
        path.write_bytes(blob)
        for argv, what in (
                (["predict", str(model), str(path), "--out", "-", "--quiet"], "DATA"),
                (["fit", "--data", str(path), "--targets", "y", "--out",
                  str(tmp_path / "f.mtl"), "--quiet"], "--data")):
            assert cli.main(argv) == 2, name
            err = capsys.readouterr().err
            assert f"{what} {str(path)!r} is a {kind}-compressed file" in err, err
            assert f"({unpack} {str(path)!r})" in err and "NUL" not in err
    # a header that starts as bzip2's mark does is no compressed file
    (tmp_path / "b.csv").write_text("BZh9,x\n1,0.5\n2,-0.5\n")
    assert cli.main(["predict", str(model), str(tmp_path / "b.csv"), "--out", "-",
                     "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines() == ["y", "a", "b"]


def test_the_verdict_calls_a_tie_between_any_models_one():
    # without the network, and among the baselines, the first model listed was named
    # the best ("Best exact match: dummy (0.951).") where another reached as much
    import pandas as pd

    def table(scores):
        return pd.DataFrame({("exact_match", "mean"): scores})

    assert cli.verdict(table({"dummy": 0.951, "independent": 0.951})) == (
        "Best exact match: dummy and independent tie (0.951): neither wins.")
    assert cli.verdict(table({"a": 0.5, "b": 0.5, "c": 0.5})) == (
        "Best exact match: a, b and c tie (0.500): none wins.")
    assert cli.verdict(table({"a": 0.6, "b": 0.5})) == "Best exact match: a (0.600)."
    assert cli.verdict(table({"mtl": 0.5, "chain": 0.7, "product": 0.7})) == (
        "Best exact match: chain and product, tied (0.700). A baseline wins this table: "
        "the network (mtl) reaches 0.500, 0.200 less.")
    assert cli.verdict(table({"mtl": 0.7, "chain": 0.7, "product": 0.7})) == (
        "Best exact match: mtl (0.700). The network ties with the best baselines, chain "
        "and product: none wins.")
    assert cli.verdict(table({"mtl": 0.8, "chain": 0.7, "product": 0.7})) == (
        "Best exact match: mtl (0.800). The network wins; the best baselines, chain and "
        "product, reach 0.700.")


def test_the_verdict_shows_a_small_mcnemar_p_value_apart_from_zero_and_from_0_05():
    # p = 0.002 read "McNemar p = 0.00", and p = 0.049 "p = 0.05 ... unlikely by chance"
    import pandas as pd
    from scipy.stats import binomtest

    wrong_on = _wrong_on_rows()

    columns = pd.MultiIndex.from_tuples([("exact_match", "mean")])
    table = pd.DataFrame([[0.9], [0.7]], index=["mtl", "chain"], columns=columns)
    for theirs, mine, shown in ((10, 0, "0.002"), (13, 4, "0.049"), (22, 10, "0.05")):
        assert f"{binomtest(mine, mine + theirs).pvalue:.4f}".startswith(shown[:4])
        details = {"Y": wrong_on([]),
                   "predictions": {"mtl": wrong_on(list(range(40, 40 + mine))),
                                   "chain": wrong_on(list(range(theirs)))}}
        meaning = ("a difference these folds cannot tell from chance" if shown == "0.05"
                   else "a split unlikely by chance")
        assert cli.verdict(table, details).endswith(
            f"the network alone has every label right on {theirs} samples and chain alone "
            f"on {mine} (McNemar p = {shown}): {meaning}.")


def test_regression_target_cell_not_a_number_is_named(quantity_csv, tmp_path, capsys):
    # a marker of a missing quantity ("n.a.") made pandas read the column as text: the
    # error named only the column's dtype, not the cell, its row, nor --na-values
    path, frame = quantity_csv
    frame = frame.astype({"mass": object})
    frame.loc[3, "mass"] = "n.a."
    frame.to_csv(path, index=False)
    argv = ["compare", "--data", str(path), "--targets", "kind,mass",
            "--regression-targets", "mass", "--models", "dummy", "--cv", "2",
            "--out", str(tmp_path / "r"), "--no-plots", "--quiet"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(r"--regression-targets column 'mass' holds 'n\.a\.' in data row 4, "
                     r"which is not a number.*name it with --na-values n\.a\.", err)
    # named as the message says, the cell is a missing quantity
    assert cli.main([*argv, "--na-values", "n.a."]) == 0


def test_predict_a_saved_frozen_pipeline(saved_pipeline, tmp_path, capsys):
    # a FrozenEstimator around a pipeline (saved as such) predicts as the pipeline; the
    # command failed with "object of type 'FrozenEstimator' has no len()"
    import json

    from sklearn.frozen import FrozenEstimator

    from sklearn_mtl import save

    model, _, X, data = saved_pipeline
    path = save(FrozenEstimator(model), tmp_path / "frozen.mtl")
    out = tmp_path / "pred.csv"
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet"]) == 0
    got = pd.read_csv(out, keep_default_na=False)
    assert got["car"].tolist() == model.predict(X)["car"].tolist()
    # info says what the file holds: the frozen model, around the pipeline's steps
    capsys.readouterr()
    assert cli.main(["info", str(path), "--json"]) == 0
    steps = " -> ".join(type(step).__name__ for _, step in model.steps)
    assert json.loads(capsys.readouterr().out)["estimator"] == f"FrozenEstimator({steps})"


def test_info_gives_a_gate_s_values_as_its_parent_s_classes(tmp_path, capsys):
    # a gate on a bool or int class was printed as text ("car in ['True']"), and so
    # given in JSON, where the parent's classes are [false, true]
    import json

    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier, Task, save

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    Y = pd.DataFrame({"car": [False, False, True, True, True, True],
                      "size": [1, 2, 3, 3, 1, 2],
                      "lvl": pd.array([None, None, 1, 2, 1, 2], dtype="Int64")})
    tasks = [Task("car"), Task("size"), Task("lvl", gate=("car", True)),
             Task("big", gate=("size", {3, 2}))]
    Y["big"] = [None, "x", "y", "x", None, "y"]
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X, Y)
    path = save(model, tmp_path / "model.mtl")
    assert cli.main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "lvl: binary, classes [1, 2], applies when car in [True]" in text
    assert "applies when size in [2, 3]" in text
    assert cli.main(["info", str(path), "--json"]) == 0
    tasks = json.loads(capsys.readouterr().out)["tasks"]
    assert tasks[0]["classes"] == [False, True]
    assert tasks[2]["gate"] == {"task": "car", "values": [True]}
    assert tasks[3]["gate"] == {"task": "size", "values": [2, 3]}


def test_predict_reads_a_parquet_file_s_named_index_as_its_column(saved_pipeline, tmp_path,
                                                                  capsys):
    # pandas writes a frame's named index as a column of the Parquet file, which pyarrow
    # reads back as the index: --id-column row_id was "not a column of DATA", and a
    # column the model reads, written as the index, was missing
    pytest.importorskip("pyarrow")
    model, path, X, _ = saved_pipeline
    data = tmp_path / "data.parquet"
    X.assign(row_id=[f"r{i}" for i in range(60)]).set_index(["row_id", "a"]).to_parquet(data)
    out = tmp_path / "pred.csv"
    assert cli.main(["predict", str(path), str(data), "--out", str(out), "--quiet",
                     "--id-column", "row_id", "--batch-size", "25"]) == 0
    got = pd.read_csv(out, keep_default_na=False)
    assert got["row_id"].tolist() == [f"r{i}" for i in range(60)]
    assert got["car"].tolist() == model.predict(X)["car"].tolist()


def _doubled(X):
    """A function that no model file is trusted with (for the test below)."""
    return np.asarray(X) * 2


def test_a_model_of_an_untrusted_function_names_the_trust_option(tmp_path, capsys):
    # the refusal said "pass them in trusted=[...] to load()", the Python call, not the
    # command's --trust NAME
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from sklearn_mtl import IndependentTaskClassifier, save

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = make_pipeline(FunctionTransformer(_doubled),
                          IndependentTaskClassifier(LogisticRegression())).fit(
        X, np.array(["a", "a", "b", "b"]))
    path = save(model, tmp_path / "model.mtl")
    name = f"{_doubled.__module__}._doubled"
    for command in (["info", str(path)],
                    ["export", str(path), "--onnx", str(tmp_path / "m.onnx")]):
        assert cli.main(command) == 2
        err = capsys.readouterr().err
        assert f"it refers to [{name!r}], which this command does not trust; give " \
               f"--trust {name} if you trust the file's source." in err
        assert "trusted=" not in err


def test_a_model_of_a_function_of_a_trusted_module_names_the_trust_option(tmp_path, capsys):
    # a function of a module whose classes load (torch.nn.functional) loads only when
    # trusted too: its refusal named load()'s trusted=[...], not the command's --trust
    import torch
    from skorch.callbacks import EpochScoring

    from sklearn_mtl import MultiTaskClassifier, save

    model = MultiTaskClassifier(
        callbacks=[("s", EpochScoring(scoring=torch.nn.functional.mse_loss))])
    path = save(model, tmp_path / "model.mtl")
    assert cli.main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "give --trust torch.nn.functional.mse_loss if you trust the file's source." in err
    assert "trusted" not in err.replace("does not trust", "")


def test_export_sample_reads_a_parquet_file_s_named_index_as_a_model_column(tmp_path,
                                                                            capsys):
    # --sample is read as predict reads DATA: a column the model reads, written as the
    # frame's index, was "lacks the column(s) ['a']"
    pytest.importorskip("pyarrow")
    pytest.importorskip("onnx")
    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier, save

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    model = IndependentTaskClassifier(LogisticRegression()).fit(
        X, (X["a"] > 0).astype(int).to_numpy())
    path = save(model, tmp_path / "model.mtl")
    sample = tmp_path / "sample.parquet"
    X.set_index("a").to_parquet(sample)
    assert cli.main(["export", str(path), "--onnx", str(tmp_path / "m.onnx"),
                     "--sample", str(sample)]) == 0
    # an index the model does not read stays out of the sample, as before
    X.assign(row_id=range(40)).set_index("row_id").to_parquet(sample)
    assert cli.main(["export", str(path), "--onnx", str(tmp_path / "m.onnx"),
                     "--sample", str(sample)]) == 0


def test_a_workbooks_number_header_cells_name_columns_as_in_a_csv_file(tmp_path, capsys):
    # read_excel reads a header cell 2024 (a year) as the number: --targets 2024 and a
    # model's training column "2024" named no column of the frame (a KeyError traceback)
    pytest.importorskip("openpyxl")
    import sklearn_mtl

    frame = pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3, 0.2, 0.8] * 2, 2023: [1, 0] * 6,
                          "kind": list("ppqqpq") * 2, 2024: [1, 2, 1, 2, 9, 1] * 2})
    book, model = tmp_path / "years.xlsx", tmp_path / "model.mtl"
    frame.to_excel(book, index=False)
    assert cli.main(["fit", "--data", str(book), "--targets", "kind,2024", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0
    fitted = sklearn_mtl.load(model)
    assert list(fitted.feature_names_in_) == ["x", "2023"]
    assert [t.name for t in fitted[-1].schema_] == ["kind", "2024"]
    # the options keyed by a column name reach the number's column: 9 a missing label
    assert cli.main(["fit", "--data", str(book), "--targets", "kind,2024", "--model",
                     "independent", "--na-values", "9", "--out", str(model), "--quiet"]) == 0
    assert sklearn_mtl.load(model)[-1].schema_[1].classes == [1, 2]
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(model), str(book), "--out", str(out), "--id-column",
                     "2023", "--quiet"]) == 0
    assert list(pd.read_csv(out).columns) == ["2023", "kind", "2024"]


def test_baselines_of_trees_read_a_parquet_files_nullable_numbers_with_gaps(tmp_path,
                                                                              capsys):
    # a nullable Int64 or Float64 column with a gap (pd.NA): the ColumnTransformer passed
    # it through and refused to stack it ("... uses pandas.NA to represent null values")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({
        "n": pd.array([1, 2, None, 4, 5, 6] * 4, dtype="Int64"),
        "f": pd.array([0.5, None, 1.5, 2.5, 3.5, 4.5] * 4, dtype="Float64"),
        "word": list("abcabc") * 4, "kind": list("ppqqpq") * 4})
    X = frame.drop(columns="kind")
    out = cli.baseline_preprocessing(X, model="trees").fit_transform(X)
    np.testing.assert_array_equal(out[:3, :2], [[1.0, 0.5], [2.0, np.nan], [np.nan, 1.5]])
    data, model = tmp_path / "d.parquet", tmp_path / "model.mtl"
    frame.to_parquet(data)
    assert cli.main(["fit", "--data", str(data), "--targets", "kind", "--model",
                     "chain-hgb", "--out", str(model), "--quiet"]) == 0, \
        capsys.readouterr().err
    assert cli.main(["predict", str(model), str(data), "--out", str(tmp_path / "p.csv"),
                     "--quiet"]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == 24


def test_a_space_after_each_separator_is_no_part_of_names_or_cells(tmp_path, capsys):
    # "x, y, label" (the UCI repository's files, np.savetxt(delimiter=", ")): the
    # columns were ' y' and ' label', which --targets label could not name (its names
    # are stripped), and a class ' yes'
    from sklearn_mtl._cli_deploy import _lines_format

    assert _lines_format(["a, b, c\n"]) == {"skipinitialspace": True}
    assert _lines_format(["a; b\n", "1,5; x\n"]) == {
        "sep": ";", "decimal": ",", "skipinitialspace": True}
    assert _lines_format(["a,b, c\n"]) == {}  # not every name: left as written
    rows = [f"{x}, {w}, {'yes' if x > 0.5 else 'no'}, \"{w}, {w}\""
            for x, w in zip([0.1, 0.9, 0.3, 0.7] * 4, "abab" * 4, strict=True)]
    data, model = tmp_path / "d.csv", tmp_path / "model.mtl"
    data.write_text("x, word, label, pair\n" + "\n".join(rows) + "\n")
    assert cli.main(["fit", "--data", str(data), "--targets", "label", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0, \
        capsys.readouterr().err
    import sklearn_mtl

    fitted = sklearn_mtl.load(model)
    assert list(fitted.feature_names_in_) == ["x", "word", "pair"]
    assert fitted[-1].schema_[0].classes == ["no", "yes"]
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--id-column",
                     "pair", "--quiet"]) == 0
    written = pd.read_csv(out)
    assert written["pair"].tolist()[:2] == ["a, a", "b, b"]
    assert written["label"].tolist() == ["no", "yes"] * 8


def test_a_quoted_name_beginning_with_a_space_reads_the_file_as_written(tmp_path, capsys):
    # "a"," b" (R's write.csv, a writer that quotes every name): the space is inside the
    # quotes, part of the name, not after the separator; it turned skipinitialspace on
    # for the whole file, and the cells lost their own spaces
    from sklearn_mtl._cli_deploy import _lines_format, csv_format

    assert _lines_format(['"a"," b"\n']) == {}
    assert _lines_format(['"a"," b"," c"\n']) == {}
    assert _lines_format(['"a;b";" c"\n', "1; x\n"]) == {"sep": ";"}
    # a space before the quote is after the separator: UCI's files, quoted
    assert _lines_format(['"a", "b"\n']) == {"skipinitialspace": True}
    assert _lines_format(['a, "b, c", d\n']) == {"skipinitialspace": True}
    assert _lines_format(['a, " b"\n']) == {"skipinitialspace": True}
    data = tmp_path / "d.csv"
    rows = [f'{x}," {w}", {"yes" if x > 0.5 else "no"}'
            for x, w in zip([0.1, 0.9, 0.3, 0.7] * 4, "abab" * 4, strict=True)]
    data.write_text('"x"," word"," label"\n' + "\n".join(rows) + "\n")
    assert csv_format(data) == {}
    X, Y, _, _ = cli._load_table(data, " label", None)
    expected = pd.read_csv(data)  # as pandas reads the file
    assert list(X.columns) == ["x", " word"]
    assert Y[" label"].tolist() == expected[" label"].tolist()
    assert set(Y[" label"]) == {" yes", " no"}
    model = tmp_path / "m.mtl"
    assert cli.main(["fit", "--data", str(data), "--targets", " label", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0, \
        capsys.readouterr().err
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(model), str(data), "--out", str(out), "--quiet"]) == 0
    assert pd.read_csv(out)[" label"].tolist() == expected[" label"].tolist()


def test_a_workbooks_bool_column_with_a_gap_is_read_as_its_csv_export(tmp_path, capsys):
    # read_excel reads TRUE, FALSE and an empty cell as 1.0, 0.0 and NaN (and beside a
    # '?' cell, the marks read them so): a model fitted on the CSV export read the
    # workbook's flags as categories it never saw, and predicted otherwise; a target's
    # classes were 0 and 1
    pytest.importorskip("openpyxl")
    import sklearn_mtl

    flag = pd.Series([True, False, None, True, False, True] * 4, dtype=object)
    frame = pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3, 0.2, 0.8] * 4, "flag": flag,
                          "mark": flag.where(flag.notna(), "?"),
                          "kind": pd.Series([True, None, False, True, False, False] * 4,
                                            dtype=object)})
    book, csv = tmp_path / "d.xlsx", tmp_path / "d.csv"
    frame.to_excel(book, index=False)
    frame.to_csv(csv, index=False)
    read = {path.suffix: cli._load_table(path, "kind", None)[:2] for path in (book, csv)}
    for a, b in zip(read[".xlsx"], read[".csv"], strict=True):
        pd.testing.assert_frame_equal(a, b)
    X, Y = read[".xlsx"]
    for values in (X["flag"], X["mark"], Y["kind"]):
        assert values.dtype == object and values.dropna().tolist()[:2] == [True, False]
    model = tmp_path / "model.mtl"
    assert cli.main(["fit", "--data", str(csv), "--targets", "kind", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0
    assert sklearn_mtl.load(model)[-1].schema_[0].classes == [False, True]
    for data in (csv, book):
        assert cli.main(["predict", str(model), str(data), "--out",
                         str(tmp_path / f"p{data.suffix}.csv"), "--proba", "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "p.xlsx.csv"),
                                  pd.read_csv(tmp_path / "p.csv.csv"))


def test_fit_and_compare_read_a_parquet_files_named_index_as_a_column(tmp_path, capsys):
    # df.set_index("patient").to_parquet(...): pyarrow reads the column back as the
    # index, which --groups, --targets or --features could not name ("unknown column"),
    # where predict reads it as a column and the frame's CSV export holds it
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3, 0.2, 0.8] * 4,
                          "kind": list("pqpqqp") * 4, "patient": np.arange(24) // 2})
    data, csv = tmp_path / "d.parquet", tmp_path / "d.csv"
    frame.set_index("patient").to_parquet(data)
    frame.to_csv(csv, index=False)
    read = [cli._load_table(path, "kind", None, groups="patient") for path in (data, csv)]
    pd.testing.assert_frame_equal(read[0][0], read[1][0])
    np.testing.assert_array_equal(read[0][3], read[1][3])
    assert cli.main(["compare", "--data", str(data), "--targets", "kind", "--groups",
                     "patient", "--models", "dummy", "--cv", "2", "--out",
                     str(tmp_path / "out"), "--no-plots", "--quiet"]) == 0, \
        capsys.readouterr().err
    frame.set_index("kind").to_parquet(data)
    assert cli.main(["fit", "--data", str(data), "--targets", "kind", "--features", "x",
                     "--model", "independent", "--out", str(tmp_path / "m.mtl"),
                     "--quiet"]) == 0, capsys.readouterr().err


def test_fit_refuses_out_dash_naming_out(dated_csv, tmp_path, capsys, monkeypatch):
    # fit --out - wrote the model to a file named '-' (and said "wrote -."), where
    # predict's --out - writes a CSV to standard output
    train, _, _ = dated_csv
    monkeypatch.chdir(tmp_path)
    assert cli.main(["fit", "--data", str(train), "--targets", "kind", "--model",
                     "independent", "--out", "-", "--quiet"]) == 2
    assert ("--out '-' (standard output) is not supported by fit: the model is a binary "
            "file" in capsys.readouterr().err)
    assert not (tmp_path / "-").exists()


def test_fit_reads_a_parquet_files_range_index_as_no_column_as_predict_does(tmp_path,
                                                                            capsys):
    # pandas keeps a RangeIndex (rename_axis("row"), or ids that run on by one, which
    # set_index makes a range) in the file's metadata alone: fit read it as a feature,
    # which predict's batches lack ("lacks the column(s) ['id']")
    pytest.importorskip("pyarrow")
    import sklearn_mtl

    frame = pd.DataFrame({"id": np.arange(100, 124), "x": [0.1, 0.5, 0.9, 1.3, 0.2, 0.8] * 4,
                          "kind": list("pqpqqp") * 4})
    data, model = tmp_path / "d.parquet", tmp_path / "model.mtl"
    for written in (frame.set_index("id"), frame.drop(columns="id").rename_axis("row")):
        written.to_parquet(data)
        assert cli.main(["fit", "--data", str(data), "--targets", "kind", "--model",
                         "independent", "--out", str(model), "--quiet"]) == 0
        assert list(sklearn_mtl.load(model).feature_names_in_) == ["x"]
        assert cli.main(["predict", str(model), str(data), "--out", str(tmp_path / "p.csv"),
                         "--batch-size", "5", "--quiet"]) == 0, capsys.readouterr().err
        assert len(pd.read_csv(tmp_path / "p.csv")) == 24


def test_predict_copies_a_parquet_files_range_index_as_id_column_in_every_batch(
        tmp_path, capsys):
    # A RangeIndex named "id" is in the file's metadata alone, which pyarrow gave only to
    # a batch holding every row: --id-column id worked where the file fit in one batch,
    # and beyond it the second batch had no column 'id'
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3, 0.2, 0.8] * 4,
                          "kind": list("pqpqqp") * 4},
                         index=pd.RangeIndex(100, 148, 2, name="id"))
    data, model, out = tmp_path / "d.parquet", tmp_path / "model.mtl", tmp_path / "p.csv"
    frame.to_parquet(data)
    assert cli.main(["fit", "--data", str(data), "--targets", "kind", "--model",
                     "independent", "--out", str(model), "--quiet"]) == 0
    for batch_size in ("100", "5"):
        assert cli.main(["predict", str(model), str(data), "--id-column", "id", "--out",
                         str(out), "--batch-size", batch_size, "--quiet"]) == 0, \
            capsys.readouterr().err
        written = pd.read_csv(out)
        assert list(written.columns) == ["id", "kind"]
        assert written["id"].tolist() == list(range(100, 148, 2))


def test_export_and_compare_refuse_out_dash_naming_it(dated_csv, tmp_path, capsys,
                                                      monkeypatch):
    # export --onnx - wrote a file named '-', compare --out - a folder named '-', as fit
    # --out - did
    train, _, _ = dated_csv
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", str(tmp_path / "model.mtl"), "--onnx", "-"]) == 2
    assert "--onnx '-' (standard output) is not supported by export" in \
        capsys.readouterr().err
    assert cli.main(["compare", "--data", str(train), "--targets", "kind", "--models",
                     "dummy", "--cv", "2", "--out", "-", "--no-plots", "--quiet"]) == 2
    assert "--out '-' (standard output) is not supported by compare" in \
        capsys.readouterr().err
    assert not (tmp_path / "-").exists()
