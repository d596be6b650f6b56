"""Recording the warnings of one thread while others run: ``warnings.catch_warnings``
swaps state the whole process shares (its filters and ``showwarning``), so two threads
recording at once with it restore each other's."""

from __future__ import annotations

import contextlib
import os
import threading
import warnings

#: Guards the three below: how many recording blocks are open in the process, the
#: ``catch_warnings`` that the first opened with the ``showwarning`` it found (kept
#: after: another thread's ``catch_warnings`` may restore ours late), and each
#: recording thread's list.
_RECORDING_LOCK = threading.Lock()
_recording_state = {"open": 0, "catcher": None, "shown_by": None}
_recorders = {}


def _new_recording_lock():
    # a process forked while another thread held it would wait for it for ever
    global _RECORDING_LOCK
    _RECORDING_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_new_recording_lock)


@contextlib.contextmanager
def recording():
    """Record the warnings this thread raises as (text, category, filename, lineno)
    tuples, each occurrence (portable to another process), as
    ``warnings.catch_warnings(record=True)`` with ``simplefilter("always")`` would.

    ``catch_warnings`` swaps the process's filters and ``showwarning``, so fits recording
    in two threads at once (the threading backend, a Dask worker's threads) restored
    each other's: the process was left showing no warning at all. Here the first block
    opened installs one ``catch_warnings`` for the whole process, whose ``showwarning``
    hands a warning to the list of the thread that raised it (to the previous
    ``showwarning`` in any other thread), and the last block closed restores it."""
    caught = []
    ident = threading.get_ident()
    with _RECORDING_LOCK:
        if not _recording_state["open"]:
            catcher = warnings.catch_warnings()
            if warnings.showwarning is not _show_or_record:  # not ours, restored late
                _recording_state["shown_by"] = warnings.showwarning
            catcher.__enter__()
            warnings.simplefilter("always")
            warnings.showwarning = _show_or_record
            _recording_state["catcher"] = catcher
        _recording_state["open"] += 1
        outer = _recorders.get(ident)  # a comparison inside a fit: restored below
        _recorders[ident] = caught
    try:
        yield caught
    finally:
        with _RECORDING_LOCK:
            if outer is None:
                del _recorders[ident]
            else:
                _recorders[ident] = outer
            _recording_state["open"] -= 1
            if not _recording_state["open"]:
                _recording_state["catcher"].__exit__(None, None, None)
                _recording_state["catcher"] = None


def _show_or_record(message, category, filename, lineno, file=None, line=None):
    """``warnings.showwarning`` while a :func:`recording` block is open."""
    caught = _recorders.get(threading.get_ident())
    if caught is None:  # a thread that records nothing: shown as before
        _recording_state["shown_by"](message, category, filename, lineno, file, line)
    else:
        caught.append((str(message), category, filename, lineno))
