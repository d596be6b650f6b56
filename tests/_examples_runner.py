"""Run by tests/test_examples.py: ``_examples_runner.py FOLDER EXAMPLE...``.

Each example runs in turn in this one interpreter, as ``python EXAMPLE`` would run it
(``__main__``, ``sys.argv`` holding its path alone, in a working folder of its own that
is also its ``SKLEARN_MTL_EXAMPLES_OUTPUT``): the imports of torch, scikit-learn and
matplotlib are paid once rather than once per example. What an example printed, and
its traceback if it raised, go to ``FOLDER/NAME/result.json``; an example that raises
does not stop the next.
"""

import contextlib
import io
import json
import os
import runpy
import sys
import traceback
from pathlib import Path


def run_example(path, folder):
    folder.mkdir()
    out, err = io.StringIO(), io.StringIO()
    error = None
    argv, cwd = sys.argv, os.getcwd()
    os.environ["SKLEARN_MTL_EXAMPLES_OUTPUT"] = str(folder)
    sys.argv = [str(path)]
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exc:  # an example may end with sys.exit(0)
        if exc.code not in (None, 0):
            error = f"SystemExit({exc.code!r})"
    except BaseException:
        error = traceback.format_exc()
    finally:
        sys.argv = argv
        os.chdir(cwd)
        if "matplotlib.pyplot" in sys.modules:  # the next example starts without its figures
            sys.modules["matplotlib.pyplot"].close("all")
    result = {"stdout": out.getvalue(), "stderr": err.getvalue(), "error": error}
    (folder / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    root = Path(sys.argv[1])
    for name in sys.argv[2:]:
        path = Path(name)
        run_example(path, root / path.stem)
