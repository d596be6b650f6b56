import subprocess
import sys

import pandas as pd
import pytest

from sklearn_mtl import cli


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "sklearn_mtl.cli", *args], capture_output=True, text=True,
        cwd=cwd, timeout=300,
    )


def test_compare_penguins_subprocess(tmp_path):
    out = tmp_path / "reports"
    result = _run("compare", "--dataset", "penguins", "--models", "dummy,independent",
                  "--cv", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    stdout = result.stdout
    assert "342 samples, 4 features, tasks ['species', 'island', 'sex']" in stdout
    for metric in ("exact_match", "hamming_loss", "species accuracy", "sex f1_macro",
                   "fit_time"):
        assert metric in stdout
    header = next(line for line in stdout.splitlines() if line.startswith("model"))
    assert header.split()[1:] == ["dummy", "independent"]
    report = (out / "report.md").read_text()
    assert "| metric | dummy | independent |" in report
    assert "### independent" in report and "![" in report
    for name in ("task_accuracy.png", "task_f1_macro.png", "cooccurrence_dummy.png",
                 "cooccurrence_independent.png"):
        assert (out / name).stat().st_size > 1000, name
        assert f"({name})" in report


@pytest.fixture
def csv(tmp_path):
    frame = pd.DataFrame({
        "x1": [0.1, 0.5, 0.9, 1.3, 0.2, 0.8, 1.1, 0.4] * 3,
        "x2": [1, 0, 1, 0, 1, 0, 1, None] * 3,
        "word": list("abababab") * 3,
        "species": list("ppqqppqq") * 3,
        "sex": ["m", "f", "m", None, "f", "m", "f", "m"] * 3,
    })
    path = tmp_path / "my.csv"
    frame.to_csv(path, index=False)
    return path


def test_compare_user_csv(csv, tmp_path, capsys):
    code = cli.main(["compare", "--data", str(csv), "--targets", "species,sex",
                     "--features", "x1,x2", "--models", "dummy", "--cv", "2",
                     "--out", str(tmp_path / "out"), "--no-plots", "--quiet"])
    assert code == 0
    assert "species accuracy" in capsys.readouterr().out
    report = (tmp_path / "out" / "report.md").read_text()
    assert "my.csv: 24 rows, 3 dropped for missing feature values" in report


@pytest.mark.parametrize(
    "args, message",
    [
        (["--targets", "species,colour"], "--targets names unknown column(s) ['colour']"),
        (["--targets", "species", "--features", "x1,word"], "Feature column 'word' is not "
         "numeric"),
        (["--targets", "species", "--features", "x1,nope"], "--features names unknown"),
        (["--targets", "species", "--models", "dummy,forest"], "Unknown model(s) ['forest']"),
        ([], "--targets is required with --data"),
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


@pytest.mark.parametrize("name", ["mtl", "independent", "chain", "product"])
def test_model_mapping(name):
    from sklearn.pipeline import Pipeline

    import sklearn_mtl

    model = cli.build_model(name, random_state=3, max_epochs=7)
    assert isinstance(model, Pipeline)
    expected = getattr(sklearn_mtl, cli.MODELS[name][0])
    assert isinstance(model[-1], expected)
    if name == "mtl":
        assert model[-1].max_epochs == 7 and model[-1].random_state == 3
    else:
        assert type(model[-1].estimator).__name__ == "LogisticRegression"


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
