"""``python -m sklearn_mtl``: the ``sklearn-mtl`` command, where the script is not on the
``PATH`` (an environment that is not activated)."""

import sys

from .cli import main

if __name__ == "__main__":  # not when a tool imports the module to document it
    sys.exit(main())
