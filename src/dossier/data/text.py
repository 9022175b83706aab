"""What text a file holds: its encoding, and a list of case IDs (``--cases-file``).

Kept apart from :mod:`.csv_file` so that what only needs to read a text file
(a batch checking whether anything changed) does not import pandas.
"""

from __future__ import annotations

import codecs
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
        with open(path, "rb") as file:
            raw = file.read(CASE_LIST_LIMIT + 1)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if len(raw) > CASE_LIST_LIMIT:
        raise refuse(f"is larger than {CASE_LIST_LIMIT // 2**20} MiB; a list of case IDs, one per "
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
