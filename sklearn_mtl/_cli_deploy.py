"""The deployment commands of ``sklearn-mtl``: ``predict``, ``export`` and ``info``.

``sklearn-mtl predict MODEL.mtl DATA.csv --out predictions.csv`` applies a model saved with
:func:`sklearn_mtl.save` (an estimator or a pipeline) to a CSV or Parquet file, batch by
batch, and writes one column per task (``--proba`` adds the probabilities).
``sklearn-mtl export MODEL.mtl --onnx model.onnx`` writes the ONNX graph (see
:func:`sklearn_mtl.export_onnx`), ``sklearn-mtl info MODEL.mtl`` describes the model.
Input errors exit with status 2 and a message naming the file, column or option.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import importlib
import io
import itertools
import json
import os
import re
import shutil
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ._schema import NOT_APPLICABLE, _gate_order, _shown
from ._validation import first_bad_value, value_error_kinds

_PARQUET = (".parquet", ".pq")
_EXCEL = (".xlsx", ".xlsm", ".xls", ".ods")
_SEPARATORS = (",", ";", "\t", "|")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DECIMAL_POINT = re.compile(r"^[+-]?\d*\.\d+$")


#: ``read_csv`` reads every number exactly as the file writes it: the default of pandas 3
#: (where the option is deprecated); pandas 2 rounds about a third of them in their last
#: bit otherwise, so a model fitted from the file differs from one fitted on the frame.
EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {
    "float_precision": "round_trip"}


def csv_format(path, n_lines=200, encoding=None):
    """``read_csv`` options for a delimited text file: its separator, read from the
    header row (a comma, else the most frequent of semicolon, tab and bar outside
    quotes), and, where it is not a comma, a decimal comma where the first rows' numbers
    are written so (``3,5``) and none with a point (as spreadsheets save them in many
    locales); and its encoding: the given one, else the file's where it is not UTF-8
    (see :func:`text_encoding`)."""
    encoding = text_encoding(path) if encoding is None else encoding
    try:
        with open(path, encoding=encoding or "utf-8-sig", newline="") as f:
            lines = list(itertools.islice(f, n_lines + 1))
    except (OSError, UnicodeError):  # read_csv says why, in the encoding given (a
        # UnicodeError too: the utf-16 codec's on a text without a byte-order mark)
        return {} if encoding is None else {"encoding": encoding}
    options = _lines_format(lines)
    return options if encoding is None else {**options, "encoding": encoding}


#: The encodings a text file not in UTF-8 is read in, the first that decodes it whole:
#: what spreadsheets and Windows save a CSV file in across western Europe and the
#: Americas, then ISO-8859-1, which decodes any bytes.
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")


def text_encoding(path, block=1 << 20):
    """None for a file in UTF-8 (a byte-order mark allowed); a file in UTF-16 or UTF-32
    (see :func:`wide_encoding`: Excel's "Unicode text") in that encoding; else the first
    of :data:`_FALLBACK_ENCODINGS` that decodes it, checked over the whole file, a block
    at a time; None also where the file cannot be read (``read_csv`` says why)."""
    wide = wide_encoding(_head(path))  # (an unreadable file: b"", then None below)
    if wide is not None:  # its NUL bytes decode in Windows-1252 too, as garbage
        return wide
    for encoding in ("utf-8", *_FALLBACK_ENCODINGS):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as f:
                while chunk := f.read(block):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        except OSError:
            return None
        return None if encoding == "utf-8" else encoding
    return None


def wide_encoding(head):
    """The encoding of a text whose first bytes are ``head`` where it is UTF-16 or UTF-32
    (as Excel saves "Unicode text", Windows tools a file "in Unicode"): read from its
    byte-order mark, else from its NUL bytes, which a text in UTF-8 or a Windows code
    page does not hold. Without a mark, the places of the zeros tell the byte order: a
    character of a CSV file's punctuation, digits and line breaks (ASCII, even beside
    Cyrillic or Chinese text) is a zero after its byte in ``utf-16-le``, before it in
    ``utf-16-be``; every fourth byte of a UTF-32 text is zero. That order is then
    confirmed: its zeros are 1 in 16 code units or more, and twice those of the other
    place at least; the head (whole code units) decodes in it, with no NUL or other
    control character, with line breaks where its bytes have them, and is mostly ASCII
    or holds a separator or a digit for each line break, four of them in all. 8-bit text
    with stray NUL bytes (one before each line break, as C strings end, too) fails
    there: read so, each NUL byte is one character with the byte beside it, the other
    bytes pairs of letters, so that a NUL byte or two cannot give four, and a NUL before
    each line break gives line breaks alone. None for another text, and where the head
    does not tell (a few bytes): the caller then says that the file holds NUL bytes."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the mark and skips it
    if 0 not in head:  # 8-bit text: UTF-8, a code page
        return None
    candidates = []
    quads = head[:len(head) // 4 * 4]
    if quads:  # a code point is below 0x110000: its highest byte is zero
        candidates += [name for name, k in (("utf-32-le", 3), ("utf-32-be", 0))
                       if quads[k::4].count(0) == len(quads) // 4]
    pairs = head[:len(head) // 2 * 2]
    low, high = pairs[0::2].count(0), pairs[1::2].count(0)
    for name, zeros, other in (("utf-16-le", high, low), ("utf-16-be", low, high)):
        # a zero in the other place is a character U+xx00 (U+3000, U+4E00...): rare;
        # stray NUL bytes fall in both places, and are few beside a CSV file's ASCII
        if zeros and 16 * zeros >= len(pairs) // 2 and 2 * other <= zeros:
            candidates.append(name)
    for name in candidates:
        try:  # a code unit cut at the end is left to the next read
            text = codecs.getincrementaldecoder(name)().decode(head)
        except UnicodeDecodeError:
            continue
        # each line break of the text is a byte 10 of the head: one decoded but from
        # few of them is 8-bit text with a stray NUL after a line break; each line of
        # a CSV file has a separator or a digit, where stray NULs give line breaks
        breaks, marks = text.count("\n"), len(_CSV_MARKS.findall(text))
        if _CONTROL.search(text) is None and text and 2 * breaks >= head.count(b"\n") and (
                marks >= breaks and marks + breaks >= 4
                or sum(c < "\x80" for c in text) >= 0.8 * len(text)):
            return name
    return None


#: The ASCII characters of a CSV file's lines beside text in any script: separators,
#: quotes and digits.
_CSV_MARKS = re.compile('[\t,;|"0-9]')


#: The control characters that a text file does not hold (a tab, line and page breaks
#: aside): a NUL character is NUL bytes read as the wrong encoding.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")


def encoding_hint(path, encoding=None):
    """A sentence saying how to read ``path`` (a file, or standard input's first bytes)
    whose text did not decode in ``encoding`` (None: UTF-8), or whose header read so
    holds NUL characters, where it looks like UTF-16 or UTF-32 (see
    :func:`wide_encoding`) or holds NUL bytes, else ``""``."""
    head = _head(path)
    wide = wide_encoding(head)
    if wide is None:
        if 0 not in head:
            return ""
        return f" {_NUL_BYTES}"
    return _wide_hint(wide, encoding)


#: What a file holding NUL bytes whose encoding :func:`wide_encoding` cannot tell is
#: told, by :func:`encoding_hint` and :func:`nul_header_error`.
_NUL_BYTES = (
    "The file holds NUL bytes: stray ones, which a text in UTF-8 or a Windows code page "
    "does not hold, or those of a text in UTF-16 or UTF-32 (as Excel saves \"Unicode "
    "text\") whose byte order its first bytes do not tell. Remove the stray NUL bytes, "
    "or give the file's own --encoding (utf-16-le, utf-16-be, utf-32-le...), or save it "
    "as \"CSV UTF-8\"."
)


def _wide_hint(wide, encoding):
    """The sentence naming the encoding ``wide`` (see :func:`wide_encoding`) of a file
    read in ``encoding`` (None: UTF-8); ``""`` where the file is read in it, or where
    ``wide`` is None."""
    if wide is None or (encoding is not None
                        and codecs.lookup(encoding).name == codecs.lookup(wide).name):
        return ""
    return (f" The file looks like {wide.upper()} (as Excel saves \"Unicode text\"), not "
            f"{encoding or 'UTF-8'}: give --encoding {wide}, or save it as \"CSV UTF-8\".")


def decode_hint(exc, source, encoding=None):
    """The sentences (each after a space; ``""`` where none helps) saying how to read
    ``source``, a file's path or None (standard input), whose text read in ``encoding``
    (None: UTF-8) raised ``exc``: bytes that do not decode (a UnicodeDecodeError, see
    :func:`encoding_hint`), or the plain UnicodeError that the ``utf-16`` and ``utf-32``
    codecs raise on a text that does not start with the byte-order mark they read its
    byte order from (see :func:`_no_mark_hint`)."""
    if isinstance(exc, UnicodeDecodeError):
        return f" {_STDIN_UTF8}" if source is None else encoding_hint(source, encoding)
    return _no_mark_hint(source, encoding)


def _no_mark_hint(source, encoding):
    """The sentences of :func:`decode_hint` for a text ``source`` (a path, or None for
    standard input, whose bytes are not read again) read in ``encoding``, ``utf-16`` or
    ``utf-32``, which takes the byte order from a byte-order mark that the text does not
    start with: the encodings of either byte order (the one that the file's bytes look
    like where :func:`wide_encoding` tells it), or, for a file without the NUL bytes of
    such a text (UTF-8, a Windows code page), that it is none; its encoding is detected
    where ``--encoding`` is left out. ``""`` for another encoding."""
    name = None if encoding is None else codecs.lookup(encoding).name
    if name not in ("utf-16", "utf-32"):
        return ""
    given = (f" --encoding {encoding} reads a text that starts with a byte-order mark "
             "(BOM), which tells its byte order; this one has none")
    head = None if source is None else _head(source)
    if head is not None and 0 not in head:  # each ASCII character has a zero byte
        return (f"{given}, nor the NUL bytes of {name.upper()} text: it looks like 8-bit "
                "text (UTF-8, Windows-1252...). Leave --encoding out to have the file's "
                "encoding detected, or give that one.")
    wide = None if head is None else wide_encoding(head)
    looks = f" (it looks like {wide.upper()})" if wide not in (None, name) else ""
    otherwise = (" (without --encoding, standard input is read as UTF-8)" if source is None else
                 ", or leave --encoding out to have the file's encoding detected")
    return (f"{given}. Give the byte order: --encoding {name}-le or --encoding "
            f"{name}-be{looks}{otherwise}.")


def _head(source):
    """The first 4096 bytes of ``source``, a path or bytes (standard input's first
    lines); ``b""`` where the file cannot be read."""
    if isinstance(source, bytes):
        return source[:4096]
    try:
        with open(source, "rb") as f:
            return f.read(4096)
    except OSError:
        return b""


def header_text(path, encoding=None, limit=1 << 16):
    """The header row (the first line) of the file ``path`` as read in ``encoding``
    (None: UTF-8, a byte-order mark skipped), of its first ``limit`` bytes at most; None
    where the file cannot be read or its first line does not decode (``read_csv`` then
    says why)."""
    text = ""
    try:
        decoder = codecs.getincrementaldecoder(encoding or "utf-8-sig")()
        with open(path, "rb") as f:
            while len(text) < limit and not re.search("[\r\n]", text):
                chunk = f.read(1024)  # a line at a time, not the bytes after it
                text += decoder.decode(chunk, final=not chunk)
                if not chunk:
                    break
    except (OSError, LookupError, UnicodeError):  # (utf-16 without a byte-order mark)
        return None
    return re.split("[\r\n]", text, maxsplit=1)[0]


def check_nul_header(source, what, encoding=None, error=ValueError, header=None):
    """Raise ``error`` (the command's input error) where the header row of ``what``
    (``--data 'x.csv'``) read in ``encoding`` (None: UTF-8) holds NUL characters: a
    UTF-16 or UTF-32 file read as 8-bit text, which decodes (a NUL byte is valid UTF-8)
    and would otherwise be a column error showing ``'x\\x00'`` (pandas 3), or ``'x'``
    (pandas 2, which drops them from the column names), or an 8-bit file with stray NUL
    bytes. ``source`` is the file's path, whose header row is read (see
    :func:`header_text`), or standard input's first lines as bytes, whose header row
    (as read) is ``header``. The text, not the column names ``read_csv`` gives, is
    looked at, so both pandas versions say so."""
    if header is None and not isinstance(source, bytes):
        header = header_text(source, encoding)
    if header is not None and "\x00" in header:
        raise error(nul_header_error(header, what, source, encoding))


def nul_header_error(header, what, source, encoding=None):
    """The message of :func:`check_nul_header` for the ``header`` row of ``what`` (its
    first bytes ``source``, a path or bytes, read in ``encoding``), which holds NUL
    characters. The encoding to give is named where :func:`wide_encoding` tells it from
    the file's bytes; else the header holds stray NUL bytes or the file is UTF-16 or
    UTF-32 of a byte order that its first bytes do not tell, and the message says both."""
    held = next(f for f in re.split("[,;\t|]", header) if "\x00" in f)[:60]
    start = (f"{what} is not a readable CSV file: its header row, read in "
             f"{encoding or 'UTF-8'}, holds NUL characters (as {held!r})")
    hint = _wide_hint(wide_encoding(_head(source)), encoding)
    if hint:
        return f"{start}, as a file in UTF-16 or UTF-32 read so does.{hint}"
    return f"{start}. {_NUL_BYTES}"


#: The names of the separators that :func:`csv_format` chooses among, for messages.
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}

#: How many rows after the header :func:`_lines_format` splits to choose a separator.
_SNIFFED_ROWS = 5


def _lines_format(lines):
    """:func:`csv_format` of a file's first lines (its header first). The separator is
    the one that splits the header and the first rows alike into more than one field,
    as ``csv.Sniffer`` reasons: the comma where it does so and no other separator splits
    them alike into more fields (a tab-separated header ``price, usd<TAB>kind`` splits
    on its comma too, its rows do not); else the one of semicolon, tab and bar that
    gives the most fields. Where none splits them alike, the one that splits the header
    and the most of the rows alike, the comma first (``read_csv`` then says which row
    does not fit, :func:`separator_hint` which separator was guessed)."""
    if not lines:
        return {}
    splits = {}
    for sep in _SEPARATORS:  # the header and the first rows, blank lines skipped
        rows = (row for row in csv.reader(lines, delimiter=sep) if row)
        splits[sep] = [len(row) for row in itertools.islice(rows, _SNIFFED_ROWS + 1)]
    alike = [sep for sep in _SEPARATORS if splits[sep] and splits[sep][0] > 1
             and len(set(splits[sep])) == 1]
    if alike:  # the comma first, where another gives no more fields
        sep = max(alike, key=lambda sep: splits[sep][0])
    else:  # the one under which the most rows fit the header, the comma first
        split = [sep for sep in _SEPARATORS if splits[sep] and splits[sep][0] > 1]
        if not split:
            return {}
        sep = max(split, key=lambda sep: splits[sep][1:].count(splits[sep][0]))
    if sep == ",":
        return _spaced(lines[0], ",", {})
    fields = [v.strip() for row in csv.reader(lines[1:], delimiter=sep) for v in row]
    comma = any(_DECIMAL_COMMA.match(v) for v in fields)
    point = any(_DECIMAL_POINT.match(v) for v in fields)
    options = {"sep": sep, "decimal": ","} if comma and not point else {"sep": sep}
    return _spaced(lines[0], sep, options)


def separator_hint(exc, options):
    """For ``read_csv``'s error ``exc`` reading a file with ``options`` (see
    :func:`csv_format`): where a row does not have its header's number of fields, the
    separator the file was read with, which :func:`csv_format` guessed; else ``""``."""
    if not isinstance(exc, pd.errors.ParserError) or "Expected " not in str(exc):
        return ""
    sep = options.get("sep", ",")
    name = _SEPARATOR_NAMES.get(sep, repr(sep))
    return (f" (read as {name}-separated, the separator guessed from its header and "
            "first rows; check that row, or quote the cells that hold the separator)")


def _spaced(line, sep, options):
    """``options`` with ``skipinitialspace`` where each name of the header row ``line``
    after the first follows its separator ``sep`` after a space (``x, y, label``, as the
    UCI repository's files and ``np.savetxt(delimiter=", ")`` write them): the space is
    no part of a name nor of a cell (``--targets label`` names ``label``, a class
    `` yes`` is ``yes``), and a quoted cell after it is read as quoted. A space inside
    quotes is part of its name (``"a"," b"``, as R's ``write.csv`` and a writer that
    quotes every name write a name `` b``): it says nothing of the separators, and the
    file's cells are read as written."""
    after = _after_separators(line.rstrip("\r\n"), sep)
    if after and all(after):
        return {**options, "skipinitialspace": True}
    return options


def _after_separators(line, sep):
    """For each separator of the header row ``line`` outside quotes that a name follows
    (not another separator, nor the end of the line: an empty name), whether a space
    comes between them. Spaces after a separator are skipped before a quote is looked
    for, as ``skipinitialspace`` reads them (``a, "b, c"``: two names)."""
    spaced, quoted, start, i = [], False, True, 0
    while i < len(line):
        char = line[i]
        if quoted:
            if char == '"':  # a doubled quote is one quote in the name
                if line[i + 1:i + 2] == '"':
                    i += 1
                else:
                    quoted = False
        elif char == sep:
            j = i + 1
            while line[j:j + 1] == " ":
                j += 1
            if line[j:j + 1] not in ("", sep):
                spaced.append(j > i + 1)
            i, start = j, True
            continue
        elif char == '"' and start:
            quoted = True
        start = False
        i += 1
    return spaced


def number_marks(options, thousands=None, decimal=None, error=ValueError):
    """``options`` (``read_csv``'s, see :func:`csv_format`; ``{}`` for a workbook) with
    the marks of the numbers given by ``--thousands`` and ``--decimal``, as ``read_csv``'s
    ``thousands`` and ``decimal`` read them: ``--thousands ,`` reads ``"1,234"`` as
    1234, ``--thousands . --decimal ,`` reads ``1.234,5`` as 1234.5. The decimal mark
    read from the file (a decimal comma, see :func:`csv_format`) stays where
    ``--decimal`` is not given and ``--thousands`` is not that mark. Each is one
    character (as ``read_csv`` takes it), ASCII (pandas' reader matches no other), not a
    letter, a digit, a sign, a quote nor a line break; a thousands mark that is the
    decimal mark, or a mark that is the file's separator (other than a comma, whose
    cells a CSV writer quotes where they hold one: ``"1,234"``), is ``error``, naming
    both."""
    if thousands is None and decimal is None:
        return options
    for option, mark in (("--thousands", thousands), ("--decimal", decimal)):
        if mark is not None and (len(mark) != 1 or not mark.isascii() or mark.isalnum()
                                 or mark in '+-"\r\n'):
            raise error(
                f"{option} {mark!r} is not a mark of numbers; expected one character "
                "(ASCII, not a letter, a digit, a sign, a quote or a line break), such as "
                + ("',', '.', ' ' or \"'\"." if option == "--thousands" else "'.' or ','.")
            )
    if decimal is None:  # the file's own decimal mark, unless the thousands one
        decimal = options.get("decimal", ".")
        if decimal == thousands:
            decimal = "."
        if decimal == thousands:
            raise error(
                f"--thousands {thousands!r} is also the decimal mark (read_csv's default "
                f"decimal='.'); give the decimal mark of the file's numbers with --decimal "
                "(--thousands . --decimal , reads 1.234,5 as 1234.5)."
            )
    elif decimal == thousands:
        raise error(
            f"--thousands {thousands!r} and --decimal {decimal!r} are the same mark; a "
            "number's thousands and its decimals are marked apart (--thousands , --decimal ."
            " reads 1,234.5, --thousands . --decimal , reads 1.234,5)."
        )
    sep = options.get("sep", ",")
    for option, mark in (("--thousands", thousands), ("--decimal", decimal)):
        if mark == sep and sep != ",":
            raise error(
                f"{option} {mark!r} is also the file's separator ({sep!r}, read from its "
                "header row); the separator splits the cells, so it cannot mark a number's "
                f"{'thousands' if option == '--thousands' else 'decimals'}."
            )
    marks = {"decimal": decimal} if decimal != "." else {}
    if thousands is not None:
        marks["thousands"] = thousands
    return {**{k: v for k, v in options.items() if k != "decimal"}, **marks}


#: The integers from which float64 holds not every one: a class label of 2**53 + 1 read
#: as a float is 2**53.
FLOAT_INTEGERS = 2 ** 53

#: A text that writes an integer (``1.0`` too, as pandas writes a float column).
_INTEGER_TEXT = re.compile(r"[+-]?\d+(?:\.0*)?")


def exact_integers(cells, decimal=".", thousands=None, otherwise=None):
    """The text ``cells`` (a column as a CSV file writes it; a gap, or a cell
    :data:`MISSING_MARK`, missing) as nullable integers (``Int64``) where each cell
    writes an integer (see :func:`_number_text`), one of them beyond 2**53, which floats
    round (``read_csv`` reads a column of integers with a gap as floats: a class
    9007199254740993 read 9007199254740992); else ``otherwise``."""
    values = []
    for cell in cells:
        if pd.isna(cell) or str(cell).strip() == MISSING_MARK:
            values.append(pd.NA)
            continue
        text = _number_text(cell, decimal, thousands)
        if not _INTEGER_TEXT.fullmatch(text):
            return otherwise
        number = int(text.split(".")[0])
        if not -2 ** 63 <= number < 2 ** 63:  # beyond Int64
            return otherwise
        values.append(number)
    if not any(v is not pd.NA and abs(v) >= FLOAT_INTEGERS for v in values):
        return otherwise
    return pd.Series(pd.array(values, dtype="Int64"), index=cells.index, name=cells.name)


def _number_text(cell, decimal=".", thousands=None):
    """The text of ``cell`` (a cell of a text column) as ``read_csv(decimal=...,
    thousands=...)`` reads a number: the thousands marks after its first digit left
    out (``1,234`` is 1234; ``,123`` is no number), its decimal mark a point; ``"x"`` (no
    number) where it holds a point that is neither mark (``3.5`` in a file of decimal
    commas is text)."""
    text = str(cell).strip()
    if thousands is not None:
        first = re.match(r"[+-]?\d", text)
        if first is not None:
            text = text[:first.end()] + text[first.end():].replace(thousands, "")
    if decimal != ".":
        if "." in text:
            return "x"
        text = text.replace(decimal, ".")
    return text


#: A cell that marks a missing value in many public tables (the UCI repository's files),
#: read as missing by the commands, as pandas reads "NA" or an empty cell.
MISSING_MARK = "?"


#: The cells ``read_csv`` reads as bools, in any case (``true``, ``TRUE``, ``True``).
_BOOL_CELLS = ("true", "false")


def read_missing_marks(frame, skip=(), text=(), decimal=".", thousands=None, exact=()):
    """``frame`` with each text cell that is :data:`MISSING_MARK` (spaces around it
    allowed) read as missing, and a text column whose other values are all numbers, or
    all ``true`` or ``false`` in any case, then read as numbers or as bools, as
    ``read_csv`` reads a column with gaps; and how many cells each column had,
    ``{column: count}``. The columns named in ``skip`` are left as they are, those
    named in ``text`` keep their other values as text (codes such as ``"01"``, which a
    model reads as categories), and the caller's frame is left as it is. ``decimal``
    is the decimal mark the file was read with (see :func:`csv_format`): with ``","``
    a cell ``3,5`` is the number 3.5, as ``read_csv(decimal=",")`` reads it;
    ``thousands`` its thousands mark, if any (see :func:`number_marks`): with ``","``
    a cell ``1,234`` is the number 1234. A column named in ``exact`` (a target of class
    labels) whose numbers are all integers, one of them beyond 2**53, is read as
    nullable integers (``Int64``) from its text, not as floats, which would round it
    (see :func:`exact_integers`)."""
    from .neural._preprocessing import is_text

    found, read = {}, {}
    for c in frame.columns:
        values = frame[c]
        if not is_text(values) or str(c) in skip:
            continue
        marked = (values.astype("string").str.strip() == MISSING_MARK).fillna(False)
        marked = marked.to_numpy(dtype=bool)
        if not marked.any():
            continue
        found[c] = int(marked.sum())
        column = values.mask(marked)  # its dtype kept: NaN, or <NA> for a string dtype
        numeric = column
        if decimal != "." or thousands is not None:  # read_csv's reading of the file:
            # 3,5 is a number, 3.5 text (a decimal comma); 1,234 is 1234 (thousands)
            numeric = column.map(lambda v: _number_text(v, decimal, thousands),
                                 na_action="ignore")
        numbers = pd.to_numeric(numeric, errors="coerce")
        if (str(c) not in text and column.notna().any()
                and column.dropna().astype(str).str.lower().isin(_BOOL_CELLS).all()):
            # every other cell true or false (any case; a workbook's bool cells, which
            # to_numeric would read as 1.0 and 0.0): bools, as read_csv reads them beside
            # an empty cell (the others would be categories the model never saw)
            read[c] = column.astype(object).map(lambda v: str(v).lower() == "true",
                                                na_action="ignore")
        elif str(c) not in text and numbers.notna().sum() == column.notna().sum():
            # every other cell a number: read as Python reads them, exactly (pandas 2's
            # to_numeric rounds some)
            read[c] = numeric.map(float, na_action="ignore").astype(float)
            if str(c) in exact:
                read[c] = exact_integers(column, decimal, thousands, read[c])
        else:
            read[c] = column
    if read:
        frame = frame.copy()
        for c, column in read.items():
            frame[c] = column
    return frame, found


def header_cells(source, options=None, excel=False):
    """The header row of a CSV file (a path, or a text stream's first lines as one
    string) read with ``read_csv``'s ``options`` (see :func:`csv_format`), or of a
    workbook's first sheet, as written: ``read_csv`` and ``read_excel`` rename a
    repeated name (``car``, ``car.1``), which :func:`check_unique_names` looks for.
    Empty where it cannot be read (the reader then says why)."""
    try:
        if excel:
            row = pd.read_excel(source, sheet_name=0, header=None, nrows=1, dtype=object)
        else:
            row = pd.read_csv(io.StringIO(source) if isinstance(source, str) else source,
                              header=None, nrows=1, dtype=str, keep_default_na=False,
                              **(options or {}))
    except Exception:  # noqa: BLE001  (the reader of the rows says why)
        return []
    return row.iloc[0].tolist() if len(row) else []


def check_unique_names(cells, what, names=None, error=ValueError):
    """Raise ``error`` where a column name appears more than once in the header row
    ``cells`` of ``what`` (``--data 'x.csv'``), among ``names`` where given (those the
    command reads): pandas reads the second as ``name.1``, so that the first would be
    taken silently, or, as a feature, a copy of a target. Empty cells are left out."""
    cells = [str(c).strip() for c in cells if not pd.isna(c) and str(c).strip()]
    counts = {c: cells.count(c) for c in cells}
    repeated = [c for c, n in counts.items() if n > 1
                and (names is None or c in {str(n) for n in names})]
    if repeated:
        which = ", ".join(f"{c!r} ({counts[c]} times)" for c in repeated)
        raise error(
            f"{what} has several columns of the same name: {which}; which one is meant "
            f"would be a guess (pandas names the second {repeated[0] + '.1'!r}). Give "
            "each column its own name."
        )


def read_workbook(path, what, **options):
    """The first sheet of a spreadsheet file (``.xlsx``...) as a DataFrame, read with
    ``read_excel``'s ``options`` (``na_values``...), or a ValueError that names ``what``
    (``--data 'x.xlsx'``) and what is missing to read it. The column names are text, as
    a CSV file's header row gives them: ``read_excel`` reads a header cell that is a
    number (a year, ``2024``) or a date as one, which no option (``--targets 2024``)
    nor a model's training column ``"2024"`` would name; the options' column names are
    read so too."""
    try:
        keyed = {k: v for k, v in options.items() if isinstance(v, dict)}
        if keyed:  # dtype={"2024": str}: the column that read_excel names 2024
            raw = {str(c): c for c in pd.read_excel(path, sheet_name=0, nrows=0).columns}
            options = {**options, **{k: {raw.get(str(c), c): v for c, v in d.items()}
                                     for k, d in keyed.items()}}
        frame = pd.read_excel(path, sheet_name=0, **options)
    except ImportError as exc:  # pandas names the engine the format needs
        raise ValueError(
            f"{what} is a spreadsheet, which pandas reads with an engine that is not "
            f"installed ({exc}); for .xlsx: pip install \"sklearn-mtl[excel]\". Or save "
            "the sheet as a CSV file."
        ) from None
    except Exception as exc:  # a zip that is no workbook, a damaged file
        raise ValueError(f"{what} is not a readable spreadsheet: {exc}") from None
    frame = _workbook_bools(path, frame, options)
    if not all(isinstance(c, str) for c in frame.columns):
        frame.columns = [str(c) for c in frame.columns]
    return frame


def _workbook_bools(path, frame, options):
    """``frame`` (read by ``read_excel`` with its ``options``) with each column of bool
    cells and empty ones read as ``read_csv`` reads its CSV export, True, False and NaN:
    ``read_excel`` reads it as the floats 1.0, 0.0 and NaN, which a model fitted on the
    CSV file reads as other categories than True and False (and the other way round),
    and a target's classes as 0 and 1."""
    floats = [i for i, (_, column) in enumerate(frame.items())
              if pd.api.types.is_float_dtype(column) and column.isna().any()
              and column.dropna().isin([0, 1]).all()]
    if not floats:
        return frame
    cells = pd.read_excel(path, sheet_name=0, **{**options, "dtype": object,
                                                 "usecols": floats})  # by place
    bools = {i: cells.iloc[:, k] for k, i in enumerate(floats) if cells.iloc[:, k].dropna(
        ).map(lambda v: isinstance(v, (bool, np.bool_))).all()}
    if not bools:
        return frame
    frame = frame.copy()
    for i, column in bools.items():
        frame.isetitem(i, column.astype(object).where(column.notna(), np.nan).to_numpy())
    return frame


class DeployInputError(Exception):
    """An error in a deployment command's input: printed without traceback, exit status 2."""


#: The files the commands read, as their errors name them.
_READ_FORMATS = "a CSV file, a Parquet file (.parquet, .pq) or an Excel workbook (.xlsx)"

#: The suffixes of JSON files, which the commands do not read (read as CSV, a JSON
#: file's text gave a column per key and value, and a message listing them all).
_JSON = (".json", ".jsonl", ".ndjson", ".geojson")


def not_a_file(path, what):
    """The message for ``path`` (given as ``what``: ``"DATA"``, ``"--data"``), which is
    not a file: a folder, nothing, or something that is no regular file (a named pipe,
    bash's ``<(...)``, ``/dev/stdin``: "no such file" of a path that is there)."""
    if Path(path).is_dir():
        return f"{what} {str(path)!r} is a folder; expected a file."
    if os.path.exists(path):
        stdin = " (DATA '-' reads standard input)" if what == "DATA" else ""
        return (f"{what} {str(path)!r} is not a regular file (a pipe or a device), which "
                "the command cannot read more than once, as it reads a file (its format "
                f"first, then its rows); save it to a file first{stdin}.")
    return f"{what} {str(path)!r}: no such file."


def check_not_json(path, what, error=ValueError):
    """Raise ``error`` where ``path`` is a JSON file (by its suffix): the commands read
    CSV, Parquet and Excel files; the message says how to convert it."""
    suffix = Path(path).suffix.lower()
    if suffix in _JSON:
        lines = ", lines=True" if suffix in (".jsonl", ".ndjson") else ""
        raise error(
            f"{what} is a JSON file ({suffix}), which the command does not read; expected "
            f"{_READ_FORMATS}. Convert it first, e.g. "
            f"pd.read_json({str(path)!r}{lines}).to_parquet("
            f"{str(Path(path).with_suffix('.parquet'))!r})."
        )


#: The first bytes of compressed files and archives: (kind, the command that unpacks it);
#: bzip2's with its block's or end's mark, which no header row of a CSV file holds.
_COMPRESSED_MAGIC = (
    (rb"\x1f\x8b", "gzip", "gunzip -k"),
    (rb"BZh[1-9](1AY&SY|\x17rE8P\x90)", "bzip2", "bunzip2 -k"),
    (rb"\xfd7zXZ\x00", "xz", "unxz -k"), (rb"\x28\xb5\x2f\xfd", "zstd", "unzstd"),
    (rb"PK\x03\x04", "zip", "unzip"), (rb"7z\xbc\xaf\x27\x1c", "7z", "7z x"),
)


def check_not_compressed(path, what, error=ValueError):
    """Raise ``error`` where ``path`` (not a workbook, which is a zip archive) is a
    compressed file or an archive, by its first bytes: read as text, it gave an error
    about NUL bytes and UTF-16 (``pd.read_csv`` decompresses it, the commands do not)."""
    if Path(path).suffix.lower() in _EXCEL:
        return
    try:
        with open(path, "rb") as fh:
            head = fh.read(10)
    except OSError:  # the reader says why
        return
    for magic, kind, unpack in _COMPRESSED_MAGIC:
        if re.match(magic, head):
            raise error(
                f"{what} is a {kind}-compressed file, which the command does not read; "
                f"expected {_READ_FORMATS}. Decompress it first ({unpack} {str(path)!r}), "
                "or convert it: "
                f"pd.read_csv({str(path)!r}).to_parquet(...) (a Parquet file is "
                "compressed in itself)."
            )


# ------------------------------------------------------------------------ output files
def same_file(a, b):
    """Whether the paths ``a`` and ``b`` name one file: the same path once resolved
    (relative to the working folder, through symbolic links), or, where both exist, one
    file under two names (a hard link, another case on a disk that ignores it)."""
    a, b = Path(a), Path(b)
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists()
                                              and os.path.samefile(a, b))
    except (OSError, RuntimeError):  # a loop of links: no file to compare
        return False


def names_folder(path):
    """Whether the text of ``path`` names a folder whether or not one is there: it ends
    with a path separator (``new/``) or its last part is ``.`` or ``..``. ``Path``
    drops that separator (``Path("new/")`` is ``new``), so that a file ``new`` would be
    written where ``open`` and ``to_csv`` refuse (IsADirectoryError)."""
    text = os.fspath(path)
    separators = tuple(s for s in (os.sep, os.altsep) if s)
    return text.endswith(separators) or os.path.basename(text) in (".", "..")


def check_output_file(path, option, inputs=(), example="predictions.csv"):
    """Refuse the file that ``option`` is to write (``path``, as given: a string, whose
    trailing separator ``Path`` would drop) where it is a folder or names one (see
    :func:`names_folder`; ``example``: a file name to suggest in it), or one of the files
    the command reads, ``inputs`` (``(name, path)`` pairs such as ``("DATA",
    "new.csv")``; None or ``"-"`` for none), which writing it would destroy: a
    DeployInputError, to raise before anything is read or written. ``"-"`` (standard
    output) is no file."""
    if str(path) == STDIO:
        return
    if Path(path).is_dir():
        raise DeployInputError(
            f"{option} {str(path)!r} is a folder; expected the name of the file to write in "
            f"it (such as {str(Path(path) / example)!r})."
        )
    if names_folder(path):  # no folder there (yet): not a file of its name either
        raise DeployInputError(
            f"{option} {str(path)!r} names a folder; expected a file path such as "
            f"{str(Path(path) / example)!r}."
        )
    for name, source in inputs:
        if source is not None and str(source) != STDIO and same_file(path, source):
            raise DeployInputError(
                f"{option} {str(path)!r} is {name} {str(source)!r} itself; writing there "
                f"would destroy it. Give {option} another file."
            )


def refuse_stdout(path, option, command, why, name, example, error=DeployInputError):
    """Refuse ``"-"`` for ``option`` of ``command``, which writes ``why`` (a binary file,
    a folder) and not predict's CSV: it made a file or folder named ``'-'``. ``name``
    and ``example``: what to give instead; ``error``: the class raised."""
    if str(path) == STDIO:
        raise error(
            f"{option} '-' (standard output) is not supported by {command}: {why}, and "
            f"'-' writes standard output only for predict's CSV. Give {option} the name "
            f"of the {name} to write, such as {example}."
        )


# ------------------------------------------------------------------------------ parsers
def add_deploy_parsers(sub):
    """Add ``predict``, ``export`` and ``info`` to the ``sklearn-mtl`` sub-parsers."""
    pred = sub.add_parser(
        "predict", help="apply a saved model to a CSV, Parquet or Excel file",
        description="Apply a model saved with sklearn_mtl.save (an estimator or a pipeline) "
        "to a CSV, Parquet or Excel file with the training columns; write one column per "
        "task.",
    )
    pred.add_argument("model", help="the saved model (.mtl)")
    pred.add_argument("data", help="a CSV, Parquet (.parquet, .pq) or Excel (.xlsx, its "
                      "first sheet) file with a header; '-' reads a CSV from standard input")
    pred.add_argument("--out", required=True,
                      help="where to write the predictions (.csv, .parquet or .xlsx; "
                      ".tsv: tab-separated; a .gz, .bz2, .xz or .zip after .csv or .tsv: "
                      "compressed); '-' writes a CSV to standard output. A task not "
                      "applicable (its gate off) is an empty cell, a multilabel one '?' (an "
                      "empty cell: none of its labels), as --multilabel-targets reads them")
    pred.add_argument("--proba", action="store_true",
                      help="add the probabilities, one column <task>_proba_<class> per class")
    pred.add_argument("--id-column", help="a column of DATA copied to the output, first")
    pred.add_argument("--encoding", metavar="NAME",
                      help="the encoding of a CSV DATA (default: UTF-8; UTF-16 or UTF-32 "
                      "where the file is, as Excel saves 'Unicode text'; else Windows-1252 "
                      "where the file is not UTF-8)")
    add_number_marks(pred)
    pred.add_argument("--batch-size", type=int, default=10_000,
                      help="rows read and predicted at a time (default: 10000)")
    _add_trust(pred)
    pred.add_argument("--quiet", action="store_true", help="no progress bar")
    pred.set_defaults(handler=predict_command)

    exp = sub.add_parser(
        "export", help="write a saved model as ONNX",
        description="Write a saved model as one ONNX graph with an output per task "
        "(needs the onnx extra: pip install \"sklearn-mtl[onnx]\").",
    )
    exp.add_argument("model", help="the saved model (.mtl)")
    exp.add_argument("--onnx", required=True,
                     help="the ONNX file to write (not '-': no standard output)")
    exp.add_argument("--sample", metavar="DATA",
                     help="a CSV, Parquet or Excel (.xlsx) file of inputs: gives the input "
                     "types and checks that onnxruntime reproduces predict_proba on its "
                     "first rows")
    add_number_marks(exp, "with --sample: ")
    exp.add_argument("--quantize", action="store_true",
                     help="int8 weights (onnxruntime dynamic quantization)")
    exp.add_argument("--no-labels", action="store_true", help="probability outputs only")
    _add_trust(exp)
    exp.set_defaults(handler=export_command)

    info = sub.add_parser(
        "info", help="describe a saved model",
        description="Print a saved model's tasks, classes, gates, inputs and the library "
        "versions it was written with.",
    )
    info.add_argument("model", help="the saved model (.mtl)")
    info.add_argument("--json", action="store_true", help="print JSON")
    _add_trust(info)
    info.set_defaults(handler=info_command)


def add_number_marks(parser, prefix=""):
    """``--thousands`` and ``--decimal``, which fit, compare, predict and export share."""
    parser.add_argument("--thousands", metavar="CHAR",
                        help=f"{prefix}the thousands mark of the numbers of a CSV file (and "
                        "of a workbook's text cells), as read_csv(thousands=...) reads it: "
                        "--thousands , reads \"1,234\" as 1234 (default: none, and such "
                        "cells are text); give predict the marks given to fit")
    parser.add_argument("--decimal", metavar="CHAR",
                        help=f"{prefix}the decimal mark of those numbers, as "
                        "read_csv(decimal=...) reads it: --thousands . --decimal , reads "
                        "1.234,5 as 1234.5 (default: '.', or ',' where a file separated by "
                        "semicolons, tabs or bars writes its numbers so)")


# ------------------------------------------------------------------------------- model
def _add_trust(parser):
    parser.add_argument("--trust", action="append", default=[], metavar="NAME",
                        help="a class the model file may use (passed to "
                        "load(trusted=...)); repeatable")


def load_model(path, trusted=(), predicting=True, unwrap=True):
    """(model, final step with the schema) from a saved file; input errors as exit 2.
    With ``unwrap``, a :class:`~sklearn.frozen.FrozenEstimator` is given as the model it
    wraps (``info`` keeps it, to say what the file holds).
    With ``predicting`` (``predict``, ``export``), a model whose final step predicts
    nothing (a ``StructuredLabelEncoder``, a ``TaskFeatureSelector``, which hold the
    tasks too) is one; ``info`` describes them."""
    from . import InconsistentVersionWarning, UnsafeModelFileError, load

    path = Path(path)
    if not path.is_file():
        raise DeployInputError(not_a_file(path, "MODEL"))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InconsistentVersionWarning)
            model = load(path, trusted=list(trusted) or None)
    except UnsafeModelFileError as exc:
        untrusted = getattr(exc, "untrusted", None)
        if untrusted:  # load()'s trusted=[...] is the command's --trust
            options = " ".join(f"--trust {name}" for name in untrusted)
            raise DeployInputError(
                f"MODEL {str(path)!r} cannot be loaded: it refers to {_shown(untrusted)}, "
                f"which this command does not trust; give {options} if you trust the "
                "file's source."
            ) from None
        raise DeployInputError(f"MODEL {str(path)!r} cannot be loaded: {exc}") from None
    finally:  # the versions a model was saved with, as the command's own lines
        for w in caught:
            if issubclass(w.category, InconsistentVersionWarning):
                print(f"sklearn-mtl: warning: {w.message}", file=sys.stderr)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    # a FrozenEstimator predicts as the model it wraps (a pipeline, whose steps the
    # commands read: it has no len(), and its final step is reached through it)
    from ._export import _unfrozen

    inner = _unfrozen(model)
    model = inner if unwrap else model
    final = inner[-1] if hasattr(inner, "steps") else inner
    if not hasattr(final, "schema_"):
        raise DeployInputError(
            f"MODEL {str(path)!r} holds an unfitted or non-predicting "
            f"{type(final).__name__}; save a fitted estimator or pipeline."
        )
    if predicting and not hasattr(final, "predict_encoded"):
        raise DeployInputError(
            f"MODEL {str(path)!r} holds a fitted {type(final).__name__}, which knows "
            "the tasks but predicts nothing; save a fitted estimator that predicts (a "
            "MultiTaskClassifier, a baseline, or a pipeline ending in one)."
        )
    return model, final


#: The categories of a bool column, as the encoders read them (a gap as its own).
_BOOL_CATEGORIES = {"False", "True", "<missing>"}


def text_columns(model):
    """The names of the columns that ``model`` reads as categories, which a CSV file
    must give as text whatever a batch holds: a code ``"01"`` read as the number 1 is a
    category the model never saw. They are the columns one-hot encoded by the step that
    reads the file: the network's own preprocessing (``preprocessor_``, a
    :class:`~sklearn_mtl.neural.TabularPreprocessor`) or a ``ColumnTransformer`` (the
    command line's baselines; or its ``OrdinalEncoder`` or ``TargetEncoder``), looked
    for in a pipeline's first step and inside a
    wrapper's ``estimator_`` (a ``TaskThresholdTuner``). A bool column is left out:
    ``read_csv`` reads ``true`` and ``TRUE`` as the bools the model learned. So is a
    column that a ``ColumnTransformer``'s ``OneHotEncoder`` learned as numbers (int or
    float codes), which it compares as numbers: ``read_csv`` reads it as such (the
    network's preprocessing compares ``str()`` spellings, so its columns are all read as
    text). A model fitted without column names (on a frame whose names are integers,
    or on an array) gives its columns' positions (integers), which :func:`read_batches`
    reads as the file's columns in order. Empty where no such step is found (the file
    is then read as ``read_csv`` guesses)."""
    return list(_text_categories_of(model))


def literal_cells(model):
    """``{column: cells}``: for each column that ``model`` reads as text (see
    :func:`text_columns`), the cells that ``read_csv`` and ``read_excel`` read as
    missing by default (``NA``, ``None``, ``null``, ``N/A``...) but that the model
    learned as categories of that column: a region ``NA``, a kind ``None``, which a
    frame fitted in Python held as text. They are read as that text, not as gaps (an
    empty cell stays a gap)."""
    cells = {}
    for column, categories in _text_categories_of(model).items():
        learned = {v for v in categories if isinstance(v, str)} & (set(_NA_CELLS) - {""})
        if learned:
            cells[column] = sorted(learned)
    return cells


def _text_categories_of(model):
    """``{column: categories}`` of the columns that :func:`text_columns` names, each
    with the categories its one-hot encoder learned."""
    step = model
    while True:  # down to the step that reads the file's columns
        if hasattr(step, "steps"):
            step = step.steps[0][1]
        elif getattr(step, "preprocessor_", None) is not None:
            step = step.preprocessor_
        elif hasattr(step, "estimator_"):
            step = step.estimator_
        else:
            break
    names = getattr(step, "feature_names_in_", None)
    named = names is not None
    if not named:  # fitted without column names (a frame of integer names, an array):
        # the columns by position, as the file's columns are read (see read_batches)
        n_features = getattr(step, "n_features_in_", None)
        if n_features is None:
            return {}
        names = np.arange(n_features)
    if hasattr(step, "categorical_columns_"):  # the network's TabularPreprocessor
        encoded = [(step.one_hot_, names[step.categorical_columns_])]
        spelled = True  # it compares the str() spellings of the values
    elif hasattr(step, "transformers_"):  # a ColumnTransformer
        encoded = [(_one_hot(transformer), _selected(columns, names))
                   for _, transformer, columns in step.transformers_]
        spelled = False  # a OneHotEncoder compares the values themselves
    else:
        return {}
    return {str(c) if named else int(c): list(categories)
            for encoder, columns in encoded if encoder is not None
            for c, categories in zip(columns, encoder.categories_)
            if not {str(v) for v in categories} <= _BOOL_CATEGORIES
            and (spelled or _text_categories(categories))}


def _text_categories(categories):
    """Whether a ``OneHotEncoder``'s categories of a column are text (its gap, None or
    NaN, aside): the column is then read as text; int or float codes are read as the
    numbers the encoder compares them with (the text ``"2"`` is not the category 2)."""
    categories = np.asarray(categories)
    if categories.dtype.kind in "US":
        return True
    if categories.dtype.kind != "O":
        return False
    values = [v for v in categories if isinstance(v, str) or not pd.isna(v)]
    return bool(values) and all(isinstance(v, str) for v in values)


def _one_hot(transformer):
    """The fitted encoder of categories (``OneHotEncoder``, ``OrdinalEncoder``,
    ``TargetEncoder``: each compares the values with the categories it learned) that is
    ``transformer`` or one of its pipeline's steps, or None (a ``ColumnTransformer``
    leaves a transformer of no column unfitted). An ordinal encoder's codes "01", "10"
    were read as the numbers 1 and 10, which it refused in NumPy's words ("ufunc
    'isnan' not supported"), naming no column."""
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder

    steps = [s for _, s in transformer.steps] if hasattr(transformer, "steps") else [
        transformer]
    return next((s for s in steps if isinstance(s, (OneHotEncoder, OrdinalEncoder,
                                                    TargetEncoder))
                 and hasattr(s, "categories_")), None)


def _selected(columns, names):
    """The names of the columns a ``ColumnTransformer``'s transformer reads: given by
    name, position or boolean mask (none for another selection)."""
    columns = np.atleast_1d(np.asarray(columns, dtype=object))
    if len(columns) and all(isinstance(c, (bool, np.bool_)) for c in columns):
        return list(names[columns.astype(bool)])
    return [names[c] if isinstance(c, (int, np.integer)) else c for c in columns
            if isinstance(c, (str, int, np.integer))]


def _manifest(path):
    try:
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read("manifest.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}


# -------------------------------------------------------------------------------- data
STDIO = "-"  # DATA or --out: standard input or output, as a CSV


class _Rejoined(io.TextIOBase):
    """A text stream read again from its start after its first lines were taken from
    it (to read the CSV format of standard input, which cannot be reopened)."""

    def __init__(self, head, rest):
        self._head, self._rest = "".join(head), rest

    def readable(self):
        return True

    def read(self, size=-1):
        if size is None or size < 0:
            text, self._head = self._head + self._rest.read(), ""
            return text
        if self._head:
            text, self._head = self._head[:size], self._head[size:]
            return text
        return self._rest.read(size)

    def readline(self, size=-1):
        if self._head:
            end = self._head.find("\n") + 1 or len(self._head)
            line, self._head = self._head[:end], self._head[end:]
            return line
        return self._rest.readline(size)


def _stdin_text(encoding=None):
    """Standard input as text (UTF-8, a byte-order mark skipped, unless ``encoding``
    names another; newlines as written)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # replaced by a text stream (an embedding program, a test)
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding=encoding or "utf-8-sig", newline="")


def check_encoding(encoding, option="--encoding"):
    """``encoding`` (None: detected), or a ValueError where Python knows no such codec."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(
                f"{option} {encoding!r} is not an encoding Python knows (e.g. utf-8, "
                "cp1252, latin-1, shift_jis, gbk)."
            ) from None
    return encoding


def read_batches(path, batch_size, encoding=None, text=(), verbatim=(), unique=(),
                 literal=None, what="DATA", thousands=None, decimal=None):
    """(total rows or None, iterator of DataFrames) of a CSV or Parquet file, or of a
    CSV on standard input where ``path`` is ``"-"``; a CSV in ``encoding`` where given.
    The columns named in ``text`` (see :func:`text_columns`) are read from a CSV as
    text whatever a batch holds, and keep their text where a cell marks a gap (see
    :func:`read_missing_marks`); those named in ``verbatim`` (an ``--id-column`` that
    the model does not read) are read from a CSV as the file writes them, as text, an
    empty cell ``""``, ``NA`` and ``?`` as they are. A Parquet or Excel file's columns
    keep their types (a ``?`` in a ``verbatim`` column too); a workbook's ``text``
    columns are read as text, its ``verbatim`` ones cell by cell as typed, so that a text
    cell ``"007"`` stays ``"007"`` (``read_excel`` reads it as the number 7 otherwise)
    and a number or a date stays one. A name of ``unique``
    (the columns the command reads) that the header row of a CSV file or a workbook
    holds twice is an error (see :func:`check_unique_names`). ``literal`` (see
    :func:`literal_cells`), ``{column: cells}``: cells of a CSV file or a workbook that
    are read as that text in that column, not as the gaps ``read_csv`` and
    ``read_excel`` read them as by default. An integer among the columns of ``text``
    and ``literal`` is a position among the file's columns other than ``verbatim`` (a
    model fitted without column names reads them in the file's order).
    ``thousands`` and ``decimal`` (``--thousands``, ``--decimal``) mark the numbers of
    a CSV file or of a workbook's text cells, as ``read_csv`` reads them (see
    :func:`number_marks`); a Parquet file's numbers are numbers already, and refuse
    them."""
    literal = literal or {}
    given = [f"--{name} {mark!r}" for name, mark in (("thousands", thousands),
                                                     ("decimal", decimal))
             if mark is not None]
    if str(path) == STDIO:
        stream = _stdin_text(encoding)
        try:
            head = list(itertools.islice(iter(stream.readline, ""), 201))
        except UnicodeError as exc:  # before the reader exists
            hint = ((encoding_hint(exc.object) or f" {_STDIN_UTF8}")
                    if isinstance(exc, UnicodeDecodeError) else _no_mark_hint(None, encoding))
            raise DeployInputError(f"{what} '-' is not a readable CSV file: {exc}.{hint}") \
                from None
        check_nul_header(  # UTF-16 decodes as UTF-8: its ASCII and NULs
            "".join(head).encode(encoding or "utf-8", "replace"), f"{what} '-'", encoding,
            DeployInputError, head[0].rstrip("\r\n") if head else None)
        options = number_marks(_lines_format(head), thousands, decimal, DeployInputError)
        if unique:
            check_unique_names(header_cells("".join(head), options),
                               f"{what} '-'", unique, DeployInputError)
        return _csv_batches(_Rejoined(head, stream), "-", batch_size, options,
                            text, verbatim, head="".join(head), literal=literal, what=what)
    path = Path(path)
    if not path.is_file():
        raise DeployInputError(not_a_file(path, what))
    check_not_json(path, f"{what} {str(path)!r}", DeployInputError)
    if path.suffix.lower() not in _PARQUET:
        check_not_compressed(path, f"{what} {str(path)!r}", DeployInputError)
    if path.suffix.lower() in _EXCEL:
        if unique:
            check_unique_names(header_cells(path, excel=True), f"{what} {str(path)!r}",
                               unique, DeployInputError)
        marks = number_marks({}, thousands, decimal, DeployInputError)
        try:  # read_excel turns a text cell "007" into 7, as read_csv would: the
            # model's categories are read as text, as from a CSV file; the id column's
            # cells as the workbook types them (as str, its numbers and dates were text)
            gaps = {}
            if literal or _positions(text, literal):  # the header: names, positions
                header = read_workbook(path, f"{what} {str(path)!r}", nrows=0).columns
                text, literal = _named_columns(header, verbatim, text, literal)
            if literal:  # the default gaps, less the model's categories
                gaps = _default_gaps(header, literal)
            workbook = read_workbook(path, f"{what} {str(path)!r}", dtype={
                **dict.fromkeys(verbatim, object), **dict.fromkeys(text, str)} or None,
                **gaps, **marks)
            frame = read_missing_marks(workbook, skip=verbatim, text=text,
                                       decimal=marks.get("decimal", "."),
                                       thousands=marks.get("thousands"))[0]
        except ValueError as exc:
            raise DeployInputError(str(exc)) from None
        if not len(frame):
            return 0, iter(())
        return len(frame), (frame.iloc[i:i + batch_size]
                            for i in range(0, len(frame), batch_size))
    if path.suffix.lower() in _PARQUET:
        if given:
            raise DeployInputError(
                f"{' and '.join(given)} read the numbers of a CSV file or a workbook's text "
                f"cells; {what} {str(path)!r} is a Parquet file, whose numbers are numbers "
                "already. Leave them out."
            )
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DeployInputError(
                f"{what} {str(path)!r} is a Parquet file, which needs pyarrow (pip install "
                "pyarrow); or give a CSV file."
            ) from None
        try:
            parquet = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow's errors: ArrowInvalid, OSError...
            raise DeployInputError(
                f"{what} {str(path)!r} is not a readable Parquet file: {exc}"
            ) from None
        if _positions(text, literal):
            header = _index_columns(next(_parquet_frames(parquet, 1), pd.DataFrame()),
                                    unique).columns
            text = _named_columns(header, verbatim, text, literal)[0]
        batches = (read_missing_marks(_index_columns(frame, unique), skip=verbatim,
                                      text=text)[0]
                   for frame in _parquet_frames(parquet, batch_size))
        return parquet.metadata.num_rows, batches
    options = number_marks(csv_format(path, encoding=encoding), thousands, decimal,
                           DeployInputError)
    if unique:
        check_unique_names(header_cells(path, options), f"{what} {str(path)!r}", unique,
                           DeployInputError)
    return _csv_batches(path, str(path), batch_size, options, text, verbatim,
                        literal=literal, what=what)


def _positions(text, literal):
    """Whether ``text`` or ``literal`` (see :func:`read_batches`) name a column by its
    position (a model fitted without column names)."""
    return any(isinstance(c, (int, np.integer)) for c in [*text, *literal])


def _named_columns(header, verbatim, text, literal):
    """``(text, literal)`` (see :func:`read_batches`) with each position (an integer)
    replaced by the name in ``header`` of the column at that place among those other
    than ``verbatim``: the columns a model fitted without names reads, in the file's
    order (see :func:`feature_columns`). A position past them is left out (the file
    lacks the column, which :func:`feature_columns` says)."""
    if not _positions(text, literal):
        return list(text), dict(literal)
    inputs = [c for c in header if str(c) not in {str(v) for v in verbatim}]

    def name(c):
        if isinstance(c, (int, np.integer)):
            return inputs[int(c)] if int(c) < len(inputs) else None
        return c

    return ([name(c) for c in text if name(c) is not None],
            {name(c): cells for c, cells in literal.items() if name(c) is not None})


def _parquet_frames(parquet, batch_size):
    """The rows of ``parquet`` (a ``pyarrow.parquet.ParquetFile``) as DataFrames of at
    most ``batch_size`` rows. pandas writes a RangeIndex (ids that run on by a step) as
    the file's metadata alone, which pyarrow gives only to a batch holding every row;
    each batch gets its part of that range, so that a named one reaches
    :func:`_index_columns` as a column in every batch, not the first alone."""
    index = (parquet.schema_arrow.pandas_metadata or {}).get("index_columns", [])
    whole = (index[0] if len(index) == 1 and isinstance(index[0], dict)
             and index[0].get("kind") == "range" else None)
    done = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        frame = batch.to_pandas()
        if whole is not None:
            step = whole["step"]
            start = whole["start"] + done * step
            frame.index = pd.RangeIndex(start, start + len(frame) * step, step,
                                        name=whole.get("name"))
        done += len(frame)
        yield frame


def _index_columns(frame, names):
    """``frame`` (a batch of a Parquet file) with the levels of its index that ``names``
    (the columns the command reads) names as columns: pandas writes a frame's named
    index (``df.set_index("id").to_parquet(...)``) as a column of the file, which pyarrow
    reads back as the index (``to_csv`` writes it as a column, which a CSV file holds).
    The other levels (pandas' row numbers) stay the index, left out as before."""
    names = {str(name) for name in names}
    levels = [level for level in frame.index.names
              if level is not None and str(level) in names and level not in frame.columns]
    return frame.reset_index(level=levels) if levels else frame


try:  # the cells read_csv reads as missing by default ("", "NA", "null"...)
    from pandas._libs.parsers import STR_NA_VALUES as _NA_CELLS
except ImportError:  # pragma: no cover  (pandas 2 and 3 have it there)
    _NA_CELLS = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                 "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                 "nan", "null"}


def _default_gaps(columns, literal):
    """``read_csv`` / ``read_excel`` options reading the cells they read as missing by
    default as gaps in ``columns`` only, less the cells ``literal`` (``{column: cells}``,
    see :func:`literal_cells`) keeps as text in its column."""
    return {"keep_default_na": False, "na_values": {
        c: sorted(set(_NA_CELLS) - set(literal.get(str(c), ()))) for c in columns}}


#: Why standard input must be UTF-8, and the ways around it.
_STDIN_UTF8 = ("Standard input is read as UTF-8: give its encoding (--encoding cp1252), "
               "or the file's path instead (read in its own encoding).")


def _csv_batches(source, name, batch_size, options, text=(), verbatim=(), head=None,
                 literal=None, what="DATA"):
    """(None, iterator of DataFrames) of the CSV ``source`` (a path or a text stream,
    whose first lines are ``head``), named ``name`` in errors; the columns named in
    ``text`` read as text (``str``), not as the numbers a batch of codes such as
    ``"01"`` would otherwise give, those named in ``verbatim`` as text with no gap (no
    cell read as missing: ``""`` and ``NA`` as written), the cells of ``literal``
    (``{column: cells}``) as text in their column, the others as ``read_csv`` reads
    them. Errors name the file as ``what`` (see :func:`read_batches`)."""
    literal = literal or {}
    def unreadable(exc):
        hint = separator_hint(exc, options)
        if isinstance(exc, UnicodeError):  # a UTF-16 file read as UTF-8, say, or read
            # as utf-16 without a byte-order mark
            hint = "." + decode_hint(exc, None if name == STDIO else source,
                                     options.get("encoding"))
        return DeployInputError(
            f"{what} {name!r} is not a readable CSV file: {str(exc).rstrip()}{hint}")

    if name != STDIO:  # standard input: checked on its head, by the caller
        check_nul_header(source, f"{what} {name!r}", options.get("encoding"),
                         DeployInputError)
    reader, gaps = None, {}
    try:
        if verbatim or literal or _positions(text, literal):  # the gaps read_csv reads
            # by default, in every other column, less the cells a column's categories
            # hold; the names of the columns a model fitted without names reads
            header = pd.read_csv(source if head is None else io.StringIO(head), nrows=0,
                                 **options).columns
            text, literal = _named_columns(header, verbatim, text, literal)
            if verbatim or literal:
                gaps = _default_gaps([c for c in header if c not in verbatim], literal)
        reader = pd.read_csv(source, chunksize=batch_size,
                             dtype={**dict.fromkeys(text, str), **dict.fromkeys(verbatim, str)},
                             **gaps, **options, **EXACT_FLOATS)
        first = next(reader)
    except StopIteration:
        raise DeployInputError(f"{what} {name!r} has a header but no data row.") from None
    except pd.errors.EmptyDataError:
        raise DeployInputError(f"{what} {name!r} is empty; expected a CSV with a header.") \
            from None
    except (pd.errors.ParserError, UnicodeError) as exc:
        raise unreadable(exc) from None
    finally:
        if reader is not None and sys.exc_info()[0] is not None:
            reader.close()  # the file pandas opened
    return None, _CsvChunks(first, reader, unreadable, text, verbatim,
                            options.get("decimal", "."), options.get("thousands"))


class _CsvChunks:
    """The chunks of a CSV file as DataFrames (``?`` cells read as missing, the columns
    named in ``text`` kept as text, those named in ``verbatim`` as they are; the file's
    ``decimal`` and ``thousands`` marks); the file is closed at its end, on a read
    error, or by :meth:`close` (also before the first chunk is taken)."""

    def __init__(self, first, reader, unreadable, text=(), verbatim=(), decimal=".",
                 thousands=None):
        self._first, self._reader, self._unreadable = first, reader, unreadable
        self._text, self._verbatim, self._decimal = text, verbatim, decimal
        self._thousands = thousands

    def __iter__(self):
        return self

    def __next__(self):
        chunk, self._first = self._first, None
        if chunk is None:
            try:
                chunk = next(self._reader)
            except StopIteration:
                self.close()
                raise
            except (pd.errors.ParserError, UnicodeError) as exc:
                self.close()
                raise self._unreadable(exc) from None
        return read_missing_marks(chunk, skip=self._verbatim, text=self._text,
                                  decimal=self._decimal, thousands=self._thousands)[0]

    def close(self):
        self._reader.close()


def feature_columns(model, final, columns, id_column, data_name, what="DATA"):
    """The columns of the data to feed the model, in the training order; errors name the
    file ``data_name`` as ``what`` (``"DATA"``, ``"--sample"``)."""
    columns = [str(c) for c in columns]
    if id_column is not None and id_column not in columns:
        raise DeployInputError(
            f"--id-column {id_column!r} is not a column of {what} {data_name!r}; its columns "
            f"are {_shown(columns)}."
        )
    expected = getattr(model, "feature_names_in_", None)
    if expected is not None:
        expected = [str(c) for c in expected]
        missing = [c for c in expected if c not in columns]
        if missing:
            extra = [c for c in columns if c not in expected and c != id_column]
            hint = (f" Columns the model does not know: {_shown(extra)} (renamed?)."
                    if extra else "")
            raise DeployInputError(  # each list shortened: a model of 5,000 columns
                f"{what} {data_name!r} lacks the column(s) {_shown(missing)} that the model "
                f"was trained on (it expects {_shown(expected)}).{hint}"
            )
        return expected
    shape = getattr(final, "_sample_shape", None)
    if shape is not None and len(shape) > 1:
        raise DeployInputError(
            f"The model takes images or clips of shape {tuple(shape)}; predict from the "
            "command line takes tabular data only."
        )
    n = getattr(model, "n_features_in_", None)
    candidates = [c for c in columns if c != id_column]
    reader = document_reader(model)
    if reader is not None:
        if len(candidates) != 1:
            raise DeployInputError(
                f"The model reads one text a row (its first step, {type(reader).__name__}, "
                f"takes documents); {what} {data_name!r} has {len(candidates)} columns "
                f"{_shown(candidates)} besides the id column. Give it the text column alone, or "
                "with one more column named by --id-column."
            )
        return candidates
    if n is not None and len(candidates) != n:
        raise DeployInputError(
            f"The model was trained on {n} unnamed feature columns; {what} {data_name!r} has "
            f"{len(candidates)} ({_shown(candidates)}) besides the id column."
        )
    return candidates


def document_reader(model):
    """The text vectorizer ``model`` reads one document a sample with (scikit-learn's
    ``CountVectorizer``, ``TfidfVectorizer``, ``HashingVectorizer``), as the baselines
    find it: the model, a Pipeline's first step, a part of a FeatureUnion; else None."""
    from ._baselines import _document_reader

    return _document_reader(model)


def model_input(model, X):
    """The rows of ``X`` (a DataFrame of the feature columns) as ``model`` reads them:
    the DataFrame for a model that knows its column names, the text column (an empty
    cell an empty text) for one that reads documents, else the DataFrame with its
    columns named by position (0, 1, ...), as a frame of integer names that the model
    was fitted on holds them (``pd.DataFrame(array)``): a CSV file's header gives the
    names as text (``"0"``), which no such model knows, and an array of its values
    loses their types (a column of text beside numbers: the network's input per
    column, which ``export`` types from these rows)."""
    if getattr(model, "feature_names_in_", None) is not None:
        return X
    if document_reader(model) is not None:
        return X.iloc[:, 0].fillna("").astype(str)
    return X.set_axis(range(X.shape[1]), axis=1)  # no column names to check


# ------------------------------------------------------------------------------ output
def prediction_frame(model, final, X, *, proba):
    """One column per task (labels; gated-off as missing), plus probabilities if asked."""
    index = X.index
    X = model_input(model, X)
    Xt = model[:-1].transform(X) if hasattr(model, "steps") and len(model) > 1 else X
    # the labels as predict gives them (the network's combination probe included)
    encoded = final.predict_encoded(Xt)
    outputs = final._outputs(Xt) if proba else None
    columns = {}
    for j, task in enumerate(final.schema_):
        codes = encoded.codes[:, j]
        off = codes == NOT_APPLICABLE
        if task.kind == "regression":
            columns[task.name] = encoded.regression[task.name]
        elif task.kind == "multilabel":
            block = encoded.multilabel[task.name]
            labels = [str(c) for c in task.classes]
            columns[task.name] = pd.array([
                None if o else "|".join(lab for lab, on in zip(labels, row) if on == 1)
                for o, row in zip(off, block)
            ], dtype="string")
        else:
            classes = np.asarray(task.classes, dtype=object)
            values = classes[np.maximum(codes, 0)]
            values[off] = None
            columns[task.name] = pd.array(values.tolist(), dtype=_label_dtype(task.classes))
        if proba and task.kind != "regression":
            for k, label in enumerate(task.classes):
                columns[_proba_column(task, label)] = outputs[j][:, k]
    return pd.DataFrame(columns, index=index)


#: How a CSV file or a workbook of predictions spells a multilabel task that is not
#: applicable (its gate off), where an empty cell is a prediction of none of its labels;
#: ``--multilabel-targets`` reads it back as a missing label, an empty cell as none.
MULTILABEL_NOT_APPLICABLE = MISSING_MARK


def spell_not_applicable(predictions, final):
    """``predictions`` (see :func:`prediction_frame`) as a text file writes them: a
    multilabel task's not-applicable rows spelled :data:`MULTILABEL_NOT_APPLICABLE`,
    which an empty cell (no label predicted) would not tell apart. A Parquet file keeps
    them as nulls."""
    names = [task.name for task in final.schema_ if task.kind == "multilabel"]
    if not names:
        return predictions
    predictions = predictions.copy()
    for name in names:
        predictions[name] = predictions[name].fillna(MULTILABEL_NOT_APPLICABLE)
    return predictions


#: The way out of a multilabel label that predict cannot write apart.
_RENAME_OR_API = ("Refit the model with the label renamed, or predict through the Python API "
                  "(sklearn_mtl.load(MODEL).predict(X) gives label sets).")


def _out_and_parquet(out):
    """``(where, parquet)``: the output ``out`` in words, and the Parquet file to write
    instead (which holds a null where a text cell would be empty)."""
    if str(out) == STDIO:
        return "standard output", "predictions.parquet"
    return repr(str(out)), str(Path(out).with_suffix(".parquet"))


def check_spelled_apart(final, out, model_name):
    """Refuse to write predictions to ``out`` (``--out``) as a CSV file or a workbook,
    where :func:`spell_not_applicable` writes a multilabel task that is not applicable
    as :data:`MULTILABEL_NOT_APPLICABLE`, for a model whose multilabel task has a label
    spelled so (fitted through the Python API): a prediction of that label alone would
    be the same cell. A Parquet file writes a null there, apart. A label holding ``|``,
    which separates a row's labels in every output, and an empty label, which alone is
    written as a row of none of the labels, are refused whatever ``out`` is; an empty
    class of a task that a gate can switch off is refused where the task's missing
    value is an empty cell (``out`` not Parquet)."""
    text = str(out) == STDIO or Path(out).suffix.lower() not in _PARQUET
    for task in final.schema_:
        empty = task.kind != "regression" and any(
            isinstance(label, str) and label == "" for label in task.classes)
        if empty and task.kind == "multilabel":
            raise DeployInputError(
                f"Task {task.name!r} of MODEL {str(model_name)!r} is a multilabel task with "
                "the label '' (an empty string): predict writes a row's labels as one cell, "
                "which for a prediction of that label alone is empty, the cell of a row "
                f"with none of its labels. {_RENAME_OR_API}"
            )
        if empty and text and task.gate is not None:
            where, parquet = _out_and_parquet(out)
            raise DeployInputError(
                f"Task {task.name!r} of MODEL {str(model_name)!r} has the class '' (an "
                f"empty string) and a gate on task {task.gate[0]!r}: in --out {where} a "
                "prediction of that class is an empty cell, the cell of a row where the "
                f"gate switches the task off. Write a Parquet file (--out {parquet}), which "
                "holds a null there, or refit the model with the class renamed."
            )
        if task.kind != "multilabel":
            continue
        joined = [label for label in task.classes if "|" in str(label)]
        if joined:
            raise DeployInputError(
                f"Task {task.name!r} of MODEL {str(model_name)!r} is a multilabel task with "
                f"the label {str(joined[0])!r}: predict writes a row's labels separated by "
                f"'|', so a prediction of it would read as several labels. {_RENAME_OR_API}"
            )
        if text and any(str(label).strip() == MULTILABEL_NOT_APPLICABLE
                        for label in task.classes):
            where, parquet = _out_and_parquet(out)
            raise DeployInputError(
                f"Task {task.name!r} of MODEL {str(model_name)!r} is a multilabel task with "
                f"a label {MULTILABEL_NOT_APPLICABLE!r}, the cell in which a CSV file or a "
                "workbook of predictions writes the task where it is not applicable: in "
                f"--out {where} a prediction of that label alone would be the same cell. "
                f"Write a Parquet file (--out {parquet}), which holds a null there, or "
                "refit the model with the label renamed."
            )


def _proba_column(task, label):
    """The name of the column of ``task``'s probability of ``label`` (``--proba``)."""
    return f"{task.name}_proba_{label}"


def check_id_column(id_column, final, proba, data_name):
    """Refuse an ``--id-column`` that has the name of a column of the predictions (a
    task's, or with ``proba`` one of its probabilities'): the output cannot hold both."""
    if id_column is None:
        return
    for task in final.schema_:
        if id_column == str(task.name):
            what = f"task {task.name!r}, whose predicted labels fill a column of that name"
        elif proba and task.kind != "regression" and id_column in [
                _proba_column(task, label) for label in task.classes]:
            what = f"a column of task {task.name!r}'s probabilities (--proba)"
        else:
            continue
        raise DeployInputError(
            f"--id-column {id_column!r} is also the name of {what} in the predictions; "
            f"the output cannot hold both. Give the id column of DATA {data_name!r} "
            "another name, or leave out --id-column."
        )


def _label_dtype(classes):
    values = list(classes)
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return "boolean"
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return "Int64"
    return "string" if all(isinstance(v, str) for v in values) else object


#: The compressions a CSV file of predictions is written in, by the suffix after its own
#: (``predictions.csv.gz``), as ``DataFrame.to_csv`` infers them.
_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
#: Suffixes of other compressions and archives, and of files in formats other than text
#: (pandas writes each with its own method), that --out refuses: a CSV file under their
#: name would not open as one.
_NOT_CSV = (".zst", ".tar", ".tgz", ".7z", ".rar", ".feather", ".arrow", ".ipc", ".orc",
            ".avro", ".pkl", ".pickle", ".h5", ".hdf", ".hdf5", ".npy", ".npz", ".dta",
            ".sav", ".sas7bdat", ".xml", ".html", ".db", ".sqlite")
#: Suffixes of a tab-separated file of predictions.
_TSV = (".tsv", ".tab")


class _Writer:
    """Appends predictions to a CSV file (tab-separated for ``.tsv``; compressed for
    ``.gz``, ``.bz2``, ``.xz``, ``.zip`` after it) batch by batch, or collects them for
    a Parquet file or an Excel workbook (``.xlsx``), written whole at the end."""

    def __init__(self, path):
        self.stdout = str(path) == STDIO  # written as it comes; nothing to remove
        self.path = Path(path)
        suffix = "" if self.stdout else self.path.suffix.lower()
        self.compression = _COMPRESSIONS.get(suffix)
        if self.compression is not None:  # the file's own format: the suffix before
            suffix = Path(self.path.stem).suffix.lower()
            if suffix in (*_PARQUET, *_EXCEL, *_JSON, *_NOT_CSV):
                raise DeployInputError(
                    f"--out {str(self.path)!r}: a {self.path.suffix} file of predictions is "
                    f"a compressed CSV file, not {suffix}; write a .csv.gz (or .tsv.gz) "
                    "file, or a .parquet file (compressed in itself)."
                )
        self.sep = "\t" if suffix in _TSV else ","
        self.parquet = suffix in _PARQUET
        self.excel = suffix in _EXCEL
        self.parts, self.first = [], True
        if suffix in (*_JSON, *_NOT_CSV):  # else a CSV file under another format's name
            raise DeployInputError(
                f"--out {str(self.path)!r}: predictions are written as .csv, .parquet or "
                ".xlsx files (a .csv file tab-separated as .tsv, compressed as .csv.gz, "
                f".bz2, .xz or .zip), not as {suffix}; write one of these and convert it "
                "(pd.read_csv(...).to_json(...), .to_feather(...))."
            )
        if suffix in _EXCEL and suffix != ".xlsx":
            raise DeployInputError(
                f"--out {str(self.path)!r}: predictions are written as .xlsx workbooks, "
                "not as " + suffix + "; or write a .csv or .parquet file."
            )
        needs = "pyarrow" if self.parquet else "openpyxl" if self.excel else None
        if needs is not None:
            try:
                importlib.import_module(needs)
            except ImportError:
                kind = "a Parquet file" if self.parquet else "an Excel workbook"
                extra = "pip install pyarrow" if self.parquet else \
                    'pip install "sklearn-mtl[excel]"'
                raise DeployInputError(
                    f"--out {str(self.path)!r} is {kind}, which needs {needs} ({extra}); or "
                    "write a .csv file."
                ) from None
        self.handle = self.part = None

    def write(self, frame):
        if self.parquet or self.excel:
            self.parts.append(frame)
        else:
            if self.handle is None and self.stdout:
                self.handle = sys.stdout
            if self.handle is None:  # opened on the first batch: no file if nothing runs
                try:
                    target = self._part()
                    self.handle = self._open(target, "w" if self.part is None else "x")
                except OSError as exc:
                    raise DeployInputError(
                        f"--out {str(self.path)!r} cannot be written: {exc}"
                    ) from None
            frame.to_csv(self.handle, header=self.first, index=False, sep=self.sep)
        self.first = False

    def _open(self, target, mode):
        """The text stream the CSV file is written to, in UTF-8, compressed as its suffix
        says (a zip archive holding one file named as ``--out`` less ``.zip``, as
        pandas writes it)."""
        if self.compression is None:
            return open(target, mode, newline="", encoding="utf-8")
        if self.compression in ("bz2", "xz"):
            module = importlib.import_module("bz2" if self.compression == "bz2" else "lzma")
            return module.open(target, mode + "t", newline="", encoding="utf-8")
        outer = open(target, mode + "b")  # closed with the stream returned
        try:
            if self.compression == "gzip":  # the name that gunzip -N gives it back,
                # not that of the file written first
                import gzip

                return _Compressed(gzip.GzipFile(self.path.name, "wb", fileobj=outer),
                                   outer)
            archive = zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED)
            return _Compressed(archive.open(self.path.stem, "w", force_zip64=True),
                               archive, outer)
        except BaseException:
            outer.close()
            raise

    def _part(self):
        """The file written before it takes the name of ``--out``, in its folder (made
        where missing): a file of that name is replaced only once the predictions are
        all written, and kept as it was where the command fails. A link is written
        through, to the file it names; a device or a pipe (``/dev/null``, a FIFO) is
        written as it is, with no file beside it (replacing it would put a plain file in
        its place)."""
        target = Path(os.path.realpath(self.path))
        if target.exists() and not target.is_file():
            self.part, self.target = None, target
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.target = target
        # the suffix kept last: pandas picks the workbook's writer by it
        self.part = target.with_name(f".{target.stem}.{os.getpid()}.part{target.suffix}")
        return self.part

    def close(self, failed=False):
        """Finish the file and give it its name; after a failure, remove what was
        written (a file that ``--out`` named before the command is left as it was)."""
        if self.stdout:
            if self.handle is not None:
                self.handle.flush()
            return
        if self.handle is not None:
            self.handle.close()
        if failed:
            if self.part is not None:
                self.part.unlink(missing_ok=True)
            return
        try:
            if (self.parquet or self.excel) and self.parts:
                frame = pd.concat(self.parts, ignore_index=True)
                if self.parquet:
                    self._to_parquet(frame, self._part())
                else:
                    self._to_excel(frame, self._part())
            if self.part is not None:
                if self.target.is_file():  # the file it replaces keeps its permissions,
                    # as a file written in place does (the new one has the umask's)
                    shutil.copymode(self.target, self.part)
                os.replace(self.part, self.target)
        except BaseException as exc:
            if self.part is not None:
                self.part.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise DeployInputError(
                    f"--out {str(self.path)!r} cannot be written: {exc}"
                ) from None
            raise

    def _to_excel(self, frame, path):
        """Write ``frame`` to ``path``, every text cell as text: openpyxl takes a string
        starting with ``=`` (an id ``=1+2``, a label ``=HYPERLINK(...)``) for a formula,
        which a spreadsheet would run, so such cells are set back to text (``data_type``
        ``'s'``) before the workbook is saved. A text cell holding a control character,
        which a workbook cannot hold (openpyxl refuses it), is an error naming its column
        and row (counted from 0)."""
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.utils.exceptions import IllegalCharacterError

        try:
            with pd.ExcelWriter(path, engine="openpyxl") as book:
                frame.to_excel(book, index=False)
                for sheet in book.sheets.values():
                    for row in sheet.iter_rows():
                        for cell in row:
                            if cell.data_type == "f":  # text read as a formula
                                cell.data_type = "s"
            return
        except IllegalCharacterError as exc:
            error = exc
        for name in frame.columns:
            for row, value in enumerate(frame[name].tolist()):
                if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
                    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
                    raise DeployInputError(
                        f"--out {str(self.path)!r}: column {str(name)!r} holds {shown} in "
                        f"row {row}, a control character that a workbook cannot hold; "
                        "write a .csv or .parquet file, or remove it from DATA."
                    )
        raise DeployInputError(f"--out {str(self.path)!r} cannot be written: {error}")

    def _to_parquet(self, frame, path):
        """Write ``frame`` to ``path``; a column that a Parquet file cannot hold (values of several
        types: a workbook's ids, numbers in some rows and text in others) is an error
        that names it. pandas converts the frame before it opens the file: no file is
        written then."""
        import pyarrow as pa

        try:
            frame.to_parquet(path, index=False)
            return
        except pa.ArrowException as exc:
            error = exc
        for name in frame.columns:
            try:
                pa.array(frame[name], from_pandas=True)
            except pa.ArrowException as exc:
                kinds = sorted({type(v).__name__ for v in frame[name].dropna()})
                what = (f"holds values of several types ({', '.join(kinds)})"
                        if len(kinds) > 1 else f"holds values pyarrow cannot convert ({exc})")
                break
        else:
            name, what = None, None
        where = (f"column {str(name)!r} {what}, which a Parquet column cannot hold; give "
                 "the column one type in DATA" if name is not None else
                 f"the predictions cannot be written as Parquet ({error})")
        raise DeployInputError(f"--out {str(self.path)!r}: {where}, or write a .csv file.")


class _Compressed(io.TextIOWrapper):
    """A compressed binary stream (a gzip stream, a zip archive's member) as UTF-8 text;
    closing it closes the stream, then each of ``holders`` (the archive, the file)."""

    def __init__(self, stream, *holders):
        super().__init__(stream, encoding="utf-8", newline="")
        self._holders = holders

    def close(self):
        try:
            super().close()
        finally:
            for holder in self._holders:
                holder.close()


# ----------------------------------------------------------------------------- commands
def predict_command(args):
    if args.batch_size < 1:
        raise DeployInputError(f"--batch-size must be at least 1; got {args.batch_size}.")
    # before DATA is opened: a CSV file is read in batches while the first is written
    check_output_file(args.out, "--out", [("DATA", args.data), ("MODEL", args.model)])
    model, final = load_model(args.model, args.trust)
    check_spelled_apart(final, args.out, args.model)
    try:
        encoding = check_encoding(args.encoding)
    except ValueError as exc:
        raise DeployInputError(str(exc)) from None
    # the id column, copied to the output, is read as written, unless the model reads it
    names = getattr(model, "feature_names_in_", None)
    features = [] if names is None else [str(c) for c in names]
    verbatim = [args.id_column] if args.id_column not in (None, *features) else []
    total, batches = read_batches(args.data, args.batch_size, encoding,
                                  text=text_columns(model), verbatim=verbatim,
                                  literal=literal_cells(model),
                                  unique=[*features, *([args.id_column] if args.id_column
                                                       else [])],
                                  thousands=args.thousands, decimal=args.decimal)
    with _closed_after(batches):  # the data file, read to its end or not
        return _predict_batches(args, model, final, total, batches)


@contextlib.contextmanager
def _closed_after(batches):
    """Close ``batches`` (a file's chunks) when the block ends, where it can be closed."""
    try:
        yield batches
    finally:
        if hasattr(batches, "close"):
            batches.close()


def _predict_batches(args, model, final, total, batches):
    writer = _Writer(args.out)
    from tqdm.auto import tqdm

    n_rows = 0
    batches = iter(batches)
    try:
        first = next(batches, None)
        if first is None:
            batches = iter(())
        else:  # the columns are checked before a progress bar is drawn
            columns = feature_columns(model, final, first.columns, args.id_column,
                                      str(args.data))
            check_id_column(args.id_column, final, args.proba, str(args.data))
            batches = itertools.chain([first], batches)
        with tqdm(total=total, unit="rows", desc="predict", file=sys.stderr,
                  disable=args.quiet) as bar:
            for chunk in batches:
                if not len(chunk):
                    continue
                predictions = checked_predictions(model, final, chunk[columns], args.proba,
                                                  n_rows, str(args.data))
                if not writer.parquet:
                    predictions = spell_not_applicable(predictions, final)
                if args.id_column is not None:
                    # its values and dtype: to_numpy() turns nullable integers with a
                    # gap into floats (id 7 as 7.0, a 64-bit id rounded)
                    predictions.insert(0, args.id_column, chunk[args.id_column].array)
                writer.write(predictions)
                n_rows += len(chunk)
                bar.update(len(chunk))
        if not n_rows:
            raise DeployInputError(f"DATA {str(args.data)!r} has no rows to predict.")
    except BaseException:
        writer.close(failed=True)
        raise
    writer.close()
    if not args.quiet:
        where = "standard output" if writer.stdout else args.out
        print(f"Wrote {n_rows} prediction{'s' * (n_rows != 1)} to {where}.", file=sys.stderr)
    return 0


def checked_predictions(model, final, X, proba, first_row, data_name, what="DATA"):
    """:func:`prediction_frame` of ``X`` (the feature columns of rows ``first_row``, ...
    of the file ``data_name``, given as ``what``), where a value the model cannot read
    (text in a numeric column, an infinite number, a list, a date where numbers were
    read) is a :class:`DeployInputError` naming its row, as a row of the file, and its
    column."""
    from .neural._preprocessing import RowError

    try:
        return prediction_frame(model, final, X, proba=proba)
    except (TypeError, ValueError) as exc:  # values the model cannot read
        if isinstance(exc, RowError):  # its row numbered in the batch
            exc = exc.at(first_row)
        message, where = str(exc).rstrip(), None
        kinds = () if isinstance(exc, RowError) else value_error_kinds(message)
        if kinds:  # the entry, numbered as a row of the file
            where = first_bad_value(X, kinds, first_row=first_row, message=message)
        if where is not None:
            message = "\n".join(line for line in message.splitlines()
                                  if not line.startswith("The first bad entry"))
        raise DeployInputError(
            f"The model cannot predict rows {first_row}-{first_row + len(X) - 1} of "
            f"{what} {data_name!r}: {message}"
            + ("" if where is None else f"\n{where}")
        ) from None


def export_command(args):
    refuse_stdout(args.onnx, "--onnx", "export", "the ONNX model is a binary file", "file",
                  "model.onnx")
    check_output_file(args.onnx, "--onnx", [("MODEL", args.model), ("--sample", args.sample)],
                      example="model.onnx")
    marks = [f"--{name}" for name in ("thousands", "decimal")
             if getattr(args, name) is not None]
    if marks and args.sample is None:
        raise DeployInputError(
            f"{' and '.join(marks)} read the numbers of --sample, which is not given; give "
            "--sample DATA, or leave them out."
        )
    model, final = load_model(args.model, args.trust)
    sample = None
    if args.sample is not None:
        names = getattr(model, "feature_names_in_", None)
        _, batches = read_batches(args.sample, 256, text=text_columns(model),
                                  literal=literal_cells(model), what="--sample",
                                  unique=[] if names is None else [str(c) for c in names],
                                  thousands=args.thousands, decimal=args.decimal)
        with _closed_after(batches):  # one chunk is enough
            chunk = next(iter(batches), None)
        if chunk is None or not len(chunk):
            raise DeployInputError(
                f"--sample {str(args.sample)!r} has a header but no data row; expected "
                "rows of inputs to check the exported graph on."
            )
        columns = feature_columns(model, final, chunk.columns, None, str(args.sample),
                                  what="--sample")
        # its cells checked as predict checks DATA's: a cell the model cannot read is
        # named by row and column, before the graph is built and run on the sample
        checked_predictions(model, final, chunk[columns], False, 0, str(args.sample),
                            what="--sample")
        sample = model_input(model, chunk[columns])
    try:
        from ._export import OnnxExportError, export_onnx

        onx = export_onnx(model, args.onnx, X_sample=sample, quantize=args.quantize,
                          labels=not args.no_labels)
    except ImportError as exc:
        raise DeployInputError(str(exc)) from None
    except OnnxExportError as exc:
        hint = ""
        if "(lookup_tasks_)" in str(exc):
            # `sklearn-mtl fit` has no lookup option: say how to get the exportable model
            hint = (" `sklearn-mtl fit` keeps the default lookup='auto': fit "
                    "MultiTaskClassifier(lookup=None) in Python and save it with "
                    "sklearn_mtl.save, or fit on numeric columns alone (--features).")
        raise DeployInputError(
            f"MODEL {args.model!r} cannot be exported: {exc}{hint}") from None
    except OSError as exc:
        raise DeployInputError(f"--onnx {args.onnx!r} cannot be written: {exc}") from None
    meta = {p.key: p.value for p in onx.metadata_props}
    inputs = ", ".join(i.name for i in onx.graph.input)
    names = getattr(model, "feature_names_in_", None)
    if len(onx.graph.input) == 1 and names is not None and len(names) > 1:
        inputs += f" (one row of the columns {', '.join(map(str, names))}, in this order)"
    print(f"Wrote {args.onnx}.\n"
          f"Inputs: {inputs}\n"
          f"Outputs: {', '.join(o.name for o in onx.graph.output)}\n"
          f"Labels: {meta.get('sklearn_mtl_labels', 'none')}")
    return 0


def model_info(model, final, manifest):
    """A JSON-able description of a loaded model."""
    tasks = []
    for task in final.schema_:
        gate = None
        if task.gate is not None:
            # the values as the parent's classes hold them (True, 2: not 'True', '2'),
            # in the schema's order
            gate = {"task": task.gate[0], "values": [
                _plain(v) for v in sorted(task.gate[1], key=_gate_order)]}
        tasks.append({
            "name": task.name, "kind": task.kind,
            "classes": None if task.classes is None else [_plain(c) for c in task.classes],
            "gate": gate,
        })
    from ._export import _unfrozen

    # what the file holds: a frozen model is named so, around the model it wraps
    shown = _unfrozen(model)
    steps = [type(s).__name__ for _, s in shown.steps] if hasattr(shown, "steps") else [
        type(shown).__name__]
    estimator = " -> ".join(steps)
    if shown is not model and type(model).__name__ == "FrozenEstimator":
        estimator = f"FrozenEstimator({estimator})"
    model = shown
    names = getattr(model, "feature_names_in_", None)
    n_features = getattr(model, "n_features_in_", None)
    inner = getattr(final, "estimator_", final)
    shape = getattr(inner, "_sample_shape", None)
    if getattr(inner, "preprocessor_", None) is not None:
        shape = None  # the network's input width, after the estimator's own preprocessing
    n_samples = _training_samples(final)
    # a text pipeline (TfidfVectorizer -> ...) has no feature count: it reads one document
    # a row, which is what predict needs to be given
    reader = document_reader(model)
    return {
        "estimator": estimator,
        "tasks": tasks,
        "input": {
            "n_features": None if n_features is None else int(n_features),
            "feature_names": None if names is None else [str(c) for c in names],
            "sample_shape": None if shape is None else [int(s) for s in shape],
            "n_training_samples": n_samples,
            "documents": None if reader is None else type(reader).__name__,
        },
        "written_by": manifest.get("sklearn_mtl_version"),
        "library_versions": manifest.get("written_with", {}),
    }


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _training_samples(final):
    """Training rows seen in the first epoch (a network's history), else None."""
    est = getattr(final, "estimator_", final)
    net = getattr(est, "net_", None)
    try:
        batches = net.history[0]["batches"]
        return int(sum(b.get("train_batch_size", 0) for b in batches)) or None
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def info_command(args):
    model, final = load_model(args.model, args.trust, predicting=False, unwrap=False)
    info = model_info(model, final, _manifest(args.model))
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return 0
    lines = [f"Model: {info['estimator']} (written by sklearn-mtl {info['written_by']})",
             f"Tasks ({len(info['tasks'])}):"]
    for t in info["tasks"]:
        text = f"  {t['name']}: {t['kind']}"
        if t["classes"] is not None:
            text += f", classes {t['classes']}"
        if t["gate"] is not None:
            text += f", applies when {t['gate']['task']} in {t['gate']['values']}"
        lines.append(text)
    inp = info["input"]
    shape = inp["sample_shape"] or ([inp["n_features"]] if inp["n_features"] else [])
    rows = inp["n_training_samples"] if inp["n_training_samples"] else "?"
    if inp.get("documents"):  # no width to show: one text a row
        lines.append(f"Input: one text document a row, read by {inp['documents']} (predict "
                     "takes a file with the text column alone, or with --id-column)")
    elif rows != "?":
        lines.append(f"Training data: ({rows}, {', '.join(map(str, shape)) or '?'}) "
                     "(rows: those the network trained on in its first epoch, a "
                     "validation split left out)")
    elif shape:
        # the baselines keep no row count (only a network's history has one): the width
        # alone, not a shape "(?, 6)" with a hole in it
        what = (f"{shape[0]} features" if len(shape) == 1 else
                f"samples of shape ({', '.join(map(str, shape))})")
        lines.append(f"Training data: {what} (the model does not record its number of "
                     "training rows)")
    else:
        lines.append("Training data: not recorded (the model keeps no feature count)")
    if inp["feature_names"]:
        lines.append(f"Input columns: {inp['feature_names']}")
    versions = ", ".join(f"{k} {v}" for k, v in info["library_versions"].items())
    lines.append(f"Written with: {versions or 'unknown'}")
    print("\n".join(lines))
    return 0


__all__ = ["DeployInputError", "add_deploy_parsers", "check_id_column", "feature_columns",
           "literal_cells", "load_model", "model_info", "prediction_frame", "read_batches",
           "text_columns"]
