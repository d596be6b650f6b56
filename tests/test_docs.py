"""The documentation runs: every ```python block of the guide and README, every docstring example.

- Each Markdown page under ``docs/`` (and ``README.md``) is one test. Its ```python blocks
  run in order in one namespace, in a temporary working directory, with matplotlib's Agg
  backend. A block fenced as ```pycon, ```text or ```bash is shown, not run.
- Each module of the package is one doctest run (the ``Examples`` sections).
- A page or module whose code needs an optional package (an extra: matplotlib, dask,
  pyarrow, onnx...) that is not installed is skipped, naming the package: the suite runs
  on a core-only install.

Tracebacks point at the page and line of the failing statement.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import os
import pkgutil
import re
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_mtl  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]

# An opening fence "```python" (nothing else on the line), its body, the closing fence.
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# Pages whose ```python blocks are known not to run, with the reason: the page's owner fixes
# the page (define what the block uses, or fence an illustration as ```pycon / ```text), then
# removes the entry. Not strict, so fixing the page does not break the suite.
KNOWN_BROKEN = {}


# The packages behind the extras (and polars, tested, never required).
OPTIONAL = (
    "matplotlib", "dask", "distributed", "pyarrow", "onnx", "onnxruntime", "onnxscript",
    "skl2onnx", "openpyxl", "polars",
)


def _missing_optional(text):
    """The optional package, not installed, that an ImportError in ``text`` (a traceback or
    a doctest report) names; None when no such error names one (a real failure)."""
    missing = [name for name in OPTIONAL if importlib.util.find_spec(name) is None]
    for line in text.splitlines():
        if "ImportError" in line or "ModuleNotFoundError" in line:
            for name in missing:
                if re.search(rf"\b{name}\b", line):
                    return name
    return None


def python_blocks(text):
    """(first line number, source) of each ```python block of a Markdown text."""
    return [
        (text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in _BLOCK.finditer(text)
    ]


def test_python_blocks_extraction():
    text = "intro\n```python\na = 1\n```\n\n```text\nnot code\n```\n```python\nb = a\n```\n"
    assert python_blocks(text) == [(3, "a = 1\n"), (10, "b = a\n")]


def _page_id(path):
    return path.relative_to(ROOT).as_posix()


def _page_params():
    params = []
    for page in PAGES:
        reason = KNOWN_BROKEN.get(_page_id(page))
        marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
        params.append(pytest.param(page, id=_page_id(page), marks=marks))
    return params


@pytest.fixture
def fits_shared_between_pages(monkeypatch, session_folder):
    """``MultiTaskClassifier.fit`` run once per session for a given estimator and data.

    The README, the index and the guide's first page fit the same seeded default on the
    same penguins split, some 12 s each here. The first fit of an estimator (its class and
    parameters) on given data, seeded by an int ``random_state`` and without ``warm_start``
    or fit parameters, is pickled into the session's base folder, shared by the xdist
    workers; a later fit of an equal estimator on equal data loads it: the same fitted
    state, as fitting is deterministic there. Any other fit runs as it is.
    """
    import functools
    import pickle

    import joblib

    from sklearn_mtl import MultiTaskClassifier

    folder = session_folder / "docs-fits"
    folder.mkdir(exist_ok=True)
    fit = MultiTaskClassifier.fit

    @functools.wraps(fit)  # the signature that metadata routing reads
    def shared_fit(self, X, y=None, **fit_params):
        params = self.get_params(deep=False)
        seeded = isinstance(params["random_state"], int) and not params["warm_start"]
        if fit_params or not seeded:
            return fit(self, X, y, **fit_params)
        unpicklable = (pickle.PicklingError, AttributeError, TypeError)
        try:  # a trunk class defined on the page does not pickle: it is fitted
            key = joblib.hash((type(self).__qualname__, params, X, y))
        except unpicklable:
            return fit(self, X, y)
        path = folder / f"{key}.pkl"
        if path.exists():
            with path.open("rb") as fh:
                self.__dict__.update(pickle.load(fh).__dict__)
            return self
        fit(self, X, y)
        part = path.with_suffix(f".{os.getpid()}")
        try:
            with part.open("wb") as fh:
                pickle.dump(self, fh)
        except unpicklable:  # not kept, as above
            part.unlink()
            return self
        part.replace(path)  # whole, for a worker that reads it at once
        return self

    monkeypatch.setattr(MultiTaskClassifier, "fit", shared_fit)


@pytest.mark.parametrize("page", _page_params())
def test_page_code_runs(page, tmp_path, monkeypatch, fits_shared_between_pages):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # a page that plots is skipped below
        plt = None

    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    namespace = {"__name__": "__docs__"}
    try:
        for line, source in blocks:
            # Pad so that a traceback's line number is the line in the Markdown file.
            code = compile("\n" * (line - 1) + source, _page_id(page), "exec")
            exec(code, namespace)  # noqa: S102 - the docs are the code under test
    except ImportError as exc:
        name = _missing_optional(f"{type(exc).__name__}: {exc}")
        if name is None:
            raise
        pytest.skip(f"{_page_id(page)} needs {name}, which is not installed")
    finally:
        if plt is not None:
            plt.close("all")


def _modules():
    names = [sklearn_mtl.__name__]
    for info in pkgutil.walk_packages(sklearn_mtl.__path__, prefix="sklearn_mtl."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append)
    failed, attempted = runner.summarize(verbose=False)
    text = "".join(report)
    missing = _missing_optional(text) if failed else None
    if missing is not None:
        pytest.skip(f"the examples of {name} need {missing}, which is not installed")
    assert failed == 0, text


# -- Promises of the guide's prose, checked on tiny data ---------------------------------


def _logistic():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression()


@pytest.mark.parametrize("make", [
    lambda: sklearn_mtl.IndependentTaskClassifier(_logistic()),
    lambda: sklearn_mtl.TaskChainClassifier(_logistic()),
    lambda: sklearn_mtl.LabelProductClassifier(_logistic()),
    lambda: sklearn_mtl.TaskThresholdTuner(sklearn_mtl.IndependentTaskClassifier(_logistic()),
                                           cv=2),
], ids=["independent", "chain", "product", "tuner"])
def test_labels_md_a_polars_lazyframe_is_refused_with_a_message(make):
    # docs/labels.md: "A LazyFrame is refused with a message: call .collect() first".
    # The baselines and the tuner passed it on to scikit-learn, which read the query
    # plan as one scalar: "Expected 2D array, got scalar array instead".
    pl = pytest.importorskip("polars")
    X = pl.DataFrame({"a": [0.0, 1.0, 2.0, 3.0] * 5, "b": [1.0, 0.0, 1.0, 0.5] * 5})
    Y = pl.DataFrame({"t": ["x", "y"] * 10, "u": ["p", "q", "q", "p"] * 5})
    with pytest.raises(TypeError, match=r"X is a polars LazyFrame.*X\.collect\(\)"):
        make().fit(X.lazy(), Y)
    model = make().fit(X, Y)
    for method in ("predict", "predict_proba"):
        with pytest.raises(TypeError, match=r"X is a polars LazyFrame.*X\.collect\(\)"):
            getattr(model, method)(X.lazy())
