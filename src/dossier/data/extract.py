"""The case extract: one case's data, cut from a checked registry for the notebook that renders it.

A render reads and checks the registry in its own process, and hands the notebook's
kernel a folder of its own (see :mod:`dossier.run.job`): the case's slice of each
table as contract CSV files, the export's description (``sources.json``), the case's
data notes (``notes.json``) and the case file itself, as the render opened it
(``case.json``, :func:`case_record`). The kernel opens the case from that record
(:func:`read_case_record`) and so needs neither pandas nor Arrow to start a dossier, nor
reads and checks the tables again; the CSV files stay for an analyst's own cells.

The record is JSON: each object of the case file tagged by its kind, read back
only into the model's own kinds (never into code: the record is data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from .calendar import Calendar
from .contract import EXTRACT_NOTES, EXTRACT_SOURCES
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

#: The kinds a case record holds, by name: what it may be read back into, and nothing else.
KINDS: dict[str, type] = {
    kind.__name__: kind
    for kind in (CaseFile, Case, Event, Forum, Meeting, AgendaItem, RelatedCase, Document,
                 DataNote, SourceFile, Calendar)
}  # fmt: skip
#: A field of these types holds the value as it is in JSON; any other is tagged.
_PLAIN = {"str": str, "int": int, "bool": bool}


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
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def case_record(case_file: CaseFile) -> bytes:
    """``case_file`` as a case record, which :func:`read_case_record` reads back equal."""
    return json.dumps(_tagged(case_file), separators=(",", ":")).encode("utf-8")


def read_case_record(data: bytes) -> CaseFile:
    """The case file of a case record; raises ValueError for a record that is damaged."""
    try:
        found = _untagged(json.loads(data))
    except (TypeError, AttributeError, RecursionError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(found, CaseFile):
        raise ValueError("not a case file")
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
    if value.keys() == {"partial"}:
        return PartialDate.parse(value["partial"])
    if value.keys() == {"date"}:
        return dt.date.fromisoformat(value["date"])
    if value.keys() == {"path"}:
        return Path(value["path"])
    if value.keys() == {"pairs"}:
        return {key: _untagged(item) for key, item in value["pairs"]}
    if value.keys() == {"kind", "fields"} and value["kind"] in KINDS:
        kind = KINDS[value["kind"]]
        given = value["fields"]
        expected = {f.name: f.type for f in dataclasses.fields(kind)}
        if given.keys() != expected.keys():
            raise ValueError(f"{kind.__name__} with the fields {sorted(given)}")
        fields = {name: _untagged(item) for name, item in given.items()}
        for name, item in fields.items():
            plain = _PLAIN.get(expected[name])
            if plain is not None and type(item) is not plain:
                raise ValueError(f"{kind.__name__}.{name} = {item!r} is no {expected[name]}")
        return kind(**fields)
    raise ValueError(f"an unknown object with the keys {sorted(value)}")
