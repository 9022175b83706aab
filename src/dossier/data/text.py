"""What text a file holds: its encoding, and a list of case IDs (``--cases-file``).

Also how a file the user names is read at all (:func:`read_regular`): only a regular
file, and no more of it than a limit, so that a pipe or a device never hangs or floods a run.

Kept apart from :mod:`.csv_file` so that what only needs to read a text file
(a batch checking whether anything changed) does not import pandas.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from pathlib import Path

from ..errors import ParameterError

BOM = codecs.BOM_UTF8
CHUNK = 1 << 20


def detect_encoding(raw: bytes) -> str:
    """``utf-8-sig``, ``utf-8`` or ``cp1252``; raise ValueError for anything else."""
    if raw.startswith(BOM):
        return "utf-8-sig"
    if raw.startswith(_WIDE_BOMS) or _looks_utf16(raw[:4096]):
        # Without this, UTF-16 decodes as Windows-1252 (with a BOM) or as UTF-8 full of NULs.
        raise ValueError(UTF16)
    for encoding in ("utf-8", "cp1252"):
        # Decoding in chunks checks the whole file without holding a copy of it as str.
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            view = memoryview(raw)
            for start in range(0, len(raw), CHUNK):
                decoder.decode(view[start : start + CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ValueError("is neither UTF-8 nor Windows-1252 text (save it as CSV UTF-8)")


#: What a file in UTF-16 (Excel's "Unicode text", Windows' "Unicode") is told.
UTF16 = "is UTF-16 text, which dossier does not read: save it as UTF-8 (in Excel: CSV UTF-8)"
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # UTF-32's begin with these too


def _looks_utf16(sample: bytes) -> bool:
    """True when every other byte is NUL: Latin and Swedish text in UTF-16 without a BOM."""
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return any(
        zeros.count(0) >= 0.9 * len(zeros) and others.count(0) <= 0.1 * len(others)
        for zeros, others in ((odd, even), (even, odd))
    )


def read_regular(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, if it holds at most ``limit`` of them.

    A pipe (which would block for ever), a device (``/dev/zero`` never ends), a folder:
    each is refused before a byte is read, links followed. Raises OSError as ``open`` does,
    and ValueError saying what is wrong with a file that opens but cannot be taken.
    """
    # O_NONBLOCK: opening a pipe with no writer does not wait for one.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(fd, "rb") as file:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a pipe or a device"
            raise ValueError(f"is {kind}, not a file")
        raw = file.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(f"is larger than {size_text(limit)}")
    return raw


def size_text(size: int) -> str:
    """A limit in bytes as a person says it: ``16 MiB``, ``512 KiB``."""
    return f"{size // 2**20} MiB" if size >= 2**20 else f"{size // 2**10} KiB"


# -- characters that make text print as other text -------------------------------------------

#: Unicode categories of characters a reader does not see as such: controls (line breaks
#: among them), format characters (bidi overrides and isolates, zero-width ones) and the line
#: and paragraph separators. In an ID, one makes it print as another ID, or as two lines.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
#: Text of printable ASCII alone, which hides nothing.
PLAIN_ASCII = r"[\x20-\x7e]*"
#: The bidi controls (embeddings, overrides, isolates, marks): they turn the text around them.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def hidden_character(text: str) -> str | None:
    """The first character of ``text`` a reader would not see as such, by code point and name
    (``U+202E RIGHT-TO-LEFT OVERRIDE``); None when there is none."""
    if re.fullmatch(PLAIN_ASCII, text):
        return None
    for char in text:
        if unicodedata.category(char) in HIDDEN_CATEGORIES:
            return code_point(char)
    return None


def code_point(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: a character as a message names it."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


def without_bidi_controls(text: str) -> str:
    """``text`` without the bidi controls, which would make it read as other text."""
    return BIDI_CONTROLS.sub("", text)


# -- a list of cases ---------------------------------------------------------------------------

#: The largest list of case IDs read (``--cases-file``): a million IDs fit well within it.
CASE_LIST_LIMIT = 16 * 1024 * 1024


def read_case_list(path: str | Path) -> list[str]:
    """The case IDs in the text file at ``path`` (``--cases-file``), one per line
    (:func:`read_case_lines`)."""
    return [case_id for _, case_id in read_case_lines(path)]


def read_case_lines(path: str | Path) -> list[tuple[int, str]]:
    """The case IDs in the text file at ``path`` (``--cases-file``), each with its line number.

    Blank lines and lines that begin with ``#`` are skipped. The file is read
    as the data folder's CSV files are (UTF-8 or Windows-1252, detected).
    Raises ParameterError naming the file for one that cannot be read, is
    larger than :data:`CASE_LIST_LIMIT`, is UTF-16 or is not text at all.
    """

    def refuse(problem: str) -> ParameterError:
        return ParameterError(f"--cases-file {path}: {problem}")

    try:
        with open(path, "rb") as file:  # a pipe too: --cases-file <(grep … list.txt)
            raw = file.read(CASE_LIST_LIMIT + 1)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if len(raw) > CASE_LIST_LIMIT:
        raise refuse(f"is larger than {size_text(CASE_LIST_LIMIT)}; a list of case IDs, one per "
                     "line, is far smaller: is it the right file?")  # fmt: skip
    try:
        encoding = detect_encoding(raw)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    text = raw.decode(encoding)
    if "\0" in text:
        raise refuse(
            "is not a text file (it holds NUL bytes): give a text file with one case ID per line"
        )
    lines = ((number, line.strip()) for number, line in enumerate(text.splitlines(), start=1))
    return [(number, line) for number, line in lines if line and not line.startswith("#")]


def slugify(case_id: str) -> str:
    """The case ID as a safe folder and file name: ``RUN/168/2020`` -> ``RUN-168-2020``.

    Only ASCII letters, digits, ``.``, ``_`` and ``-``; å/ä/ö become a/a/o; never
    ``.``/``..`` or a name that starts with a dot, so never a path outside the folder.
    """
    ascii_text = unicodedata.normalize("NFKD", case_id).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text)
    slug = re.sub(r"-{2,}", "-", slug).strip("-.")[:120].strip("-.")
    return slug or "case"
