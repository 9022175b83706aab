"""The case extract: one case's data, cut from a checked registry for the notebook that renders it.

A render reads and checks the registry in its own process, and hands the notebook's
kernel a folder of its own (see :mod:`dossier.run.job`): the case's slice of each
table as contract CSV files, the export's description (``sources.json``), the case's
data notes (``notes.json``) and, for a dossier that renders, the case file itself as
the render opened it (``case.json``, :func:`case_record`). The kernel opens the case
from that record (:func:`opened_case`) and so needs neither pandas nor Arrow to start a
dossier, nor reads and checks the tables again. The record names the tables it was
opened from, by their SHA-256: where they are no longer those (an edited extract), or
the record is another version's, the tables are read instead.

The record is JSON: each object of the case file tagged by its kind, read back only
into the model's own kinds, each field checked against its type (never into code: the
record is data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import types
import typing
from functools import cache
from pathlib import Path

from ..errors import ParameterError
from .calendar import LIMITS, Calendar
from .changes import EXTRACT_LIMIT
from .contract import EXTRACT_CASE, EXTRACT_NOTES, EXTRACT_SOURCES
from .dates import PartialDate
from .model import (
    AgendaItem,
    Case,
    CaseFile,
    DataNote,
    Document,
    Event,
    Forum,
    Meeting,
    RelatedCase,
    SourceFile,
)
from .text import read_regular

#: The kinds a case record holds, by name: what it may be read back into, and nothing else.
KINDS: dict[str, type] = {
    kind.__name__: kind
    for kind in (CaseFile, Case, Event, Forum, Meeting, AgendaItem, RelatedCase, Document,
                 DataNote, SourceFile, Calendar)
}  # fmt: skip
#: The version of the record's form; a record of another version is not read (the tables are).
RECORD_VERSION = 1
#: The largest record written and read: a case beyond it opens from its tables.
RECORD_LIMIT = 256 * 2**20


def is_case_extract(data_dir: Path) -> bool:
    """True for a case extract (a data folder cut down to one case by dossier.run.job).

    An extract holds ``sources.json`` and ``notes.json`` beside its contract
    files. An export folder may hold a ``sources.json`` of its own: alone, it is
    just another file there, and takes nothing over.
    """
    return (data_dir / EXTRACT_SOURCES).is_file() and (data_dir / EXTRACT_NOTES).is_file()


def source_files(described: object) -> tuple[SourceFile, ...]:
    """The source files an extract was cut from, from its ``sources.json`` (a list of objects
    with ``file``, ``sha256``, ``rows`` and ``encoding``); raises ValueError for anything else."""
    if not isinstance(described, list):
        raise ValueError("not a list")
    try:
        return tuple(
            SourceFile(
                Path(d["file"]).stem,
                Path(d["file"]),
                str(d["sha256"]),
                int(d["rows"]),
                str(d.get("encoding", "")),
                "",
            )
            for d in described
        )
    except (KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def case_record(case_file: CaseFile, tables: dict[str, str]) -> bytes:
    """The record of ``case_file``, opened from the CSV files ``tables`` (their SHA-256 by name)."""
    record = {"record": RECORD_VERSION, "tables": tables, "case_file": _tagged(case_file)}
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")  # text is data: a lone surrogate too


def opened_case(folder: Path, case_id: str) -> CaseFile | None:
    """The case file of ``case_id`` as the render opened it, from the case extract ``folder``;
    None where there is no record of it for the tables there (then they are read).

    Raises ParameterError, naming the file, for a record that is damaged.
    """
    path = folder / EXTRACT_CASE
    if not (is_case_extract(folder) and path.is_file()):
        return None
    try:
        record = json.loads(read_regular(path, RECORD_LIMIT).decode("utf-8", "surrogatepass"))
        if not isinstance(record, dict) or record.get("record") != RECORD_VERSION:
            return None  # another version's: its tables say the same
        case_file = _case_file(record.get("case_file"))
        tables = record.get("tables")
    except (OSError, ValueError, RecursionError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else exc
        raise ParameterError(f"{path}: damaged ({problem}); render the dossier again") from None
    if case_file.case.case_id != case_id:
        return None
    try:
        same_tables = tables == table_hashes(folder)
    except (OSError, ValueError):  # a table that cannot be read: reading them says why
        return None
    return case_file if same_tables else None


def table_hashes(folder: Path) -> dict[str, str]:
    """The SHA-256 of each CSV file in a case extract, by name."""
    return {path.name: hashlib.sha256(read_regular(path, EXTRACT_LIMIT)).hexdigest()
            for path in sorted(folder.glob("*.csv"))}  # fmt: skip


def _case_file(value: object) -> CaseFile:
    found = _untagged(value)
    if not isinstance(found, CaseFile):
        raise ValueError("not a case file")
    case_id = found.case.case_id
    for part in (found.events, found.documents):
        if any(item.case_id != case_id for item in part):
            raise ValueError(f"an event or a document of another case than {case_id}")
    return found


def _tagged(value: object) -> object:
    if isinstance(value, PartialDate):
        return {"partial": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Path):
        return {"path": str(value)}
    if dataclasses.is_dataclass(value) and type(value).__name__ in KINDS:
        fields = {f.name: _tagged(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"kind": type(value).__name__, "fields": fields}
    if isinstance(value, tuple):
        return [_tagged(item) for item in value]
    if isinstance(value, dict):
        return {"pairs": [[key, _tagged(item)] for key, item in value.items()]}
    if value is None or isinstance(value, str | int):
        return value
    raise TypeError(f"a case record holds no {type(value).__name__}")


def _untagged(value: object) -> object:
    """The value a tagged JSON value stands for: every list a tuple, every object by its tag."""
    if isinstance(value, list):
        return tuple(_untagged(item) for item in value)
    if not isinstance(value, dict):
        return value
    if value.keys() == {"partial"} and isinstance(value["partial"], str):
        return PartialDate.parse(value["partial"])
    if value.keys() == {"date"} and isinstance(value["date"], str):
        return dt.date.fromisoformat(value["date"])
    if value.keys() == {"path"} and isinstance(value["path"], str):
        return Path(value["path"])
    if value.keys() == {"pairs"} and isinstance(value["pairs"], list):
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in value["pairs"]):
            raise ValueError("pairs that are not pairs")
        return {_untagged(key): _untagged(item) for key, item in value["pairs"]}
    if value.keys() == {"kind", "fields"} and value["kind"] in KINDS:
        return _made(KINDS[value["kind"]], value["fields"])
    raise ValueError(f"an unknown object with the keys {sorted(value)}")


def _made(kind: type, given: object) -> object:
    """One of the model's objects, each field checked against its type."""
    hints = _field_types(kind)
    if not isinstance(given, dict) or given.keys() != hints.keys():
        raise ValueError(f"{kind.__name__} without its fields")
    fields = {name: _untagged(item) for name, item in given.items()}
    for name, item in fields.items():
        if not _conforms(item, hints[name]):
            raise ValueError(f"{kind.__name__}.{name} = {item!r} is no {hints[name]}")
        if kind is Calendar and not 0 <= item <= LIMITS[name]:
            raise ValueError(f"Calendar.{name} = {item!r} is not from 0 to {LIMITS[name]}")
    return kind(**fields)


@cache
def _field_types(kind: type) -> dict[str, object]:
    hints = typing.get_type_hints(kind)
    return {f.name: hints[f.name] for f in dataclasses.fields(kind)}


def _conforms(value: object, hint: object) -> bool:
    """Whether ``value`` is of the type ``hint`` (the model's: unions, tuples, dicts, classes)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_conforms(value, arg) for arg in args)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(item, args[0]) for item in value)
        return len(value) == len(args) and all(map(_conforms, value, args))
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(key, args[0]) and _conforms(item, args[1]) for key, item in value.items()
        )
    if hint is type(None):
        return value is None
    # bool is an int to Python, a date a datetime's base: each field takes its very type
    return type(value) is hint if hint in (int, bool, dt.date) else isinstance(value, hint)
