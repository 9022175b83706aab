"""Errors raised by dossier.

Every error a user can cause derives from :class:`DossierError`; the command
line turns one into a clear message on stderr and an exit status. A traceback
means a bug.

::

    DossierError
    ├── DataError            bad source data (carries every fault at once)
    ├── UnknownCaseError     a case ID that is not in the data
    ├── UnusableCaseError    a case whose own row in cases.csv is faulty (it fails alone)
    ├── ParameterError       a bad option or notebook parameter
    │   └── CaseNotebookError    a case's own notebook cannot be used (a batch goes on)
    ├── RenderError          a notebook or export failed
    ├── OutputLockedError    another batch writes to the same folder
    ├── OutputError          the output (or temporary) folder cannot take the dossiers
    ├── SourceError          a registry to import from refuses, or does not speak its standard
    └── MailError            a message could not be built or sent
        └── HeaderError      a header would say other than what was meant

Beside that tree, :class:`Stopped` is a ``KeyboardInterrupt``: SIGTERM stops a
command as Ctrl-C does. Two more never reach a user as they are; a render turns
them into something else:

    NotebookFailed           a cell failed (the render raises RenderError)
    TemplateFailed           a kernel template could not fork (a kernel starts the ordinary way)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def shown(text: str) -> str:
    """``text`` quoted as a message shows it, so that two texts that print alike read apart.

    As ``repr`` does (a control or bidi character by its escape), and a character that
    Unicode writes otherwise as well (``A`` + U+030A prints as ``Å`` just as U+00C5 does;
    U+212B ANGSTROM SIGN too) by its code point: ``'RUN/A\\u030a/1'``.
    """
    return "".join(
        f"\\u{ord(char):04x}" if unicodedata.combining(char) or unicodedata.normalize("NFC", char) != char
        else char
        for char in repr(text)
    )


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault in the source data: where it is, what was found, what is expected."""

    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str = ""
    #: What kind of fault a row holds (``empty``, ``date``, ``years``, ``int``, ``code``,
    #: ``unique``, ``reference``, ``period``), for a reader's words; empty for a fault of the
    #: folder or its files, which no row holds alone.
    code: str = ""
    #: The contract's table and column of a fault in a row (``file`` and ``column`` name them
    #: as the export does, which a mapping file may translate); empty for a fault of the folder.
    table: str = ""
    contract_column: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        found = f": {shown(self.value)}" if self.value is not None else ""
        return f"{where}{found} {self.expected}".rstrip()


class DossierError(Exception):
    """Raised for anything a user can fix: bad data, bad options, failed renders."""

    exit_status = 2


class DataError(DossierError):
    """Raised when source data breaks the data contract; carries every fault found."""

    def __init__(self, faults: list[Fault], limit: int = 200) -> None:
        self.faults = list(faults)
        lines = [str(fault) for fault in self.faults[:limit]]
        if len(self.faults) > limit:
            lines.append(f"… and {len(self.faults) - limit} more faults")
        count = len(self.faults)
        head = f"{count} fault{'s' if count != 1 else ''} in the source data:"
        super().__init__("\n".join([head, *("  " + line for line in lines)]))


class UnknownCaseError(DossierError):
    """Raised when a case ID is not in the data; the message names the closest IDs."""


class UnusableCaseError(DossierError):
    """Raised when a case's own row in cases.csv is faulty: that case fails, the others render."""

    exit_status = 1


class ParameterError(DossierError):
    """Raised when an option or notebook parameter has a value that cannot be used."""


class CaseNotebookError(ParameterError):
    """Raised when a case's own notebook cannot be used: unreadable, not a notebook, another case's.

    A render stops; a batch counts that case as failed and goes on with the others.
    """


class RenderError(DossierError):
    """Raised when a dossier's notebook or export fails; the executed notebook is kept."""

    exit_status = 1

    def __init__(self, message: str, notebook: str | None = None) -> None:
        self.notebook = notebook
        super().__init__(message)


class OutputLockedError(DossierError):
    """Raised when another run holds the lock on the output folder."""


class OutputError(DossierError):
    """Raised when the output folder cannot take what a run would write into it.

    A folder that would hold two cases' dossiers; an ``--out`` that is a file,
    read-only or on a full disk; a full temporary folder, where a render works.
    Nothing is left half-written.
    """


class SourceError(DossierError):
    """Raised when a source to import from cannot be read as its standard.

    A server that refuses or answers with something that is not OParl; an XML
    file that is not FGS Ärendehantering or ERMS, is broken, or declares
    entities. The message names the URL or file and, where it can, the fix.
    """


class MailError(DossierError):
    """Raised when a message cannot be built or sent."""

    exit_status = 1


class HeaderError(MailError):
    """Raised when a message read back from its bytes has headers or recipients not meant."""

    exit_status = 2


class Stopped(KeyboardInterrupt):
    """Raised in the command's process when SIGTERM comes; it stops as at Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class NotebookFailed(Exception):
    """Raised when a cell of the notebook fails; the message names the cell."""


class TemplateFailed(RuntimeError):
    """Raised when the kernel template cannot fork a kernel; one is started the ordinary way instead."""
