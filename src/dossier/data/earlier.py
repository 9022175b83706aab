"""The earlier dossier a dossier is compared with: found, compared once, handed on as data.

``--compare-with DIR`` (or a notebook's ``compare_with``) names an earlier output
folder. The dossier of the case there is found by its slug and its case extract's
case ID (:func:`earlier_dossier`), compared once with the case as of the new
dossier's day (:meth:`Baseline.of`, through :func:`~dossier.data.changes.comparison`)
where that extract is read, and the result goes on as data: to the notebook as
``baseline.json`` in the case extract it reads (:meth:`Baseline.to_bytes`), to the
pack and the mail as the case's view.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ParameterError
from .changes import (
    CASE_FIELDS,
    CHANGE_KINDS,
    DOCUMENT_FIELDS,
    EVENT_FIELDS,
    EXTRACT_FILE,
    CaseExtract,
    Change,
    Comparison,
    comparison,
    json_document,
    read_extract_file,
)
from .contract import MANIFEST_FILE
from .dates import PartialDate
from .text import slugify

if TYPE_CHECKING:
    from .model import CaseFile

#: The layout of a baseline file (:meth:`Baseline.to_bytes`); a reader refuses another.
BASELINE_FORMAT = 1


@dataclass(frozen=True)
class Baseline:
    """The earlier dossier a dossier is compared with, and what differs: made once per dossier,
    where the earlier dossier's extract is read (:meth:`of`), and handed on as data.

    ``key`` and ``as_of`` are None when the earlier output folder has no dossier of the case:
    the case is new in the comparison.
    """

    key: str | None = None
    as_of: str | None = None
    comparison: Comparison = field(default_factory=Comparison)

    @classmethod
    def of(cls, extract: CaseExtract | None, now: CaseFile, day: dt.date) -> Baseline:
        """The earlier dossier's ``extract`` (None: there is none) set beside ``now`` as of ``day``."""
        if extract is None:
            return cls()
        return cls(extract.key, extract.as_of, comparison(extract.case_file(), extract.day, now, day))

    @property
    def found(self) -> bool:
        """Whether the earlier folder had a dossier of the case."""
        return self.key is not None

    @property
    def day(self) -> dt.date:
        """The earlier dossier's day (only when :attr:`found`)."""
        return dt.date.fromisoformat(self.as_of)

    def to_bytes(self) -> bytes:
        """The baseline as JSON, for the notebook that renders the dossier to read."""
        compared = self.comparison
        data = {
            "format": BASELINE_FORMAT, "key": self.key, "as_of": self.as_of,
            "changes": [{"kind": c.kind, "record": dict(c.record), "fields": c.fields} for c in compared.changes],
            "new_events": compared.new_events, "other_news": compared.other_news,
            "corrections": compared.corrections,
        }  # fmt: skip
        return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Baseline:
        """Read :meth:`to_bytes`; ValueError saying what is wrong if it is not a baseline file.

        Every field is checked as the view reads it: a file that was not written by
        :meth:`to_bytes` never reaches a page.
        """
        loaded = json_document(data, "baseline", BASELINE_FORMAT)
        key, as_of = loaded.get("key"), loaded.get("as_of")
        if not (key is None and as_of is None) and not (isinstance(key, str) and isinstance(as_of, str)):
            raise ValueError("its key and as_of are not both text, nor both null")
        counts = [_whole(loaded.get(n)) for n in ("new_events", "other_news", "corrections")]
        if any(n is None or n < 0 for n in counts):
            raise ValueError("its counts are not whole numbers, 0 or more")
        changes = loaded.get("changes")
        if not isinstance(changes, list):
            raise ValueError("its changes are not a list")
        baseline = cls(key, as_of, Comparison(tuple(_change(c) for c in changes), *counts))
        if baseline.found:
            try:
                baseline.day  # noqa: B018 (read to be checked)
            except ValueError:
                raise ValueError(f"its as_of {as_of!r} is not a day (YYYY-MM-DD)") from None
        return baseline


#: The fields a change's record holds, by the kind of change.
RECORD_FIELDS = {"case": CASE_FIELDS, "event": EVENT_FIELDS, "related": ("case_id", "relation", "inverse"),
                 "document": DOCUMENT_FIELDS}  # fmt: skip


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _change(item: object) -> Change:
    """One change as :meth:`Baseline.to_bytes` writes it; ValueError if it is not one."""
    if not isinstance(item, dict) or item.get("kind") not in CHANGE_KINDS:
        raise ValueError("a change in it is of no known kind")
    names = RECORD_FIELDS[item["kind"].split("_")[0]]
    record, fields = item.get("record"), item.get("fields")
    if not (isinstance(record, dict) and all(isinstance(record.get(n), str) for n in names)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in record.items())):  # fmt: skip
        raise ValueError(f"a change in it ({item['kind']}) lacks a field of its record")
    if not isinstance(fields, list) or not all(
        isinstance(f, list) and len(f) == 3 and f[0] in names and all(isinstance(v, str) for v in f)
        for f in fields
    ):
        raise ValueError(f"a change in it ({item['kind']}) names its changed fields wrongly")
    try:
        if record.get("date"):
            PartialDate.parse(record["date"])
    except ValueError:
        raise ValueError(f"a change in it ({item['kind']}) has a date that is none") from None
    return Change(item["kind"], record, tuple(tuple(f) for f in fields))


class EarlierDossier(NamedTuple):
    """The dossier of a case in an earlier output folder: its case extract as bytes (which go
    into the new dossier's key) and as read (which the comparison reads)."""

    data: bytes
    extract: CaseExtract


#: What to give instead of a folder that is no earlier output folder.
EARLIER_FOLDER = "give an earlier output folder (the --out of an earlier render or batch)"


def check_earlier_folder(folder: Path, called: str) -> Path:
    """``folder``, if it is an output folder whose dossiers keep their case extracts.

    ``called`` names the folder as the user gave it (``--compare-with DIR``). Raises
    ParameterError when it does not exist, is no folder, holds no dossier, or its
    dossiers keep no case extract (made before dossiers kept them).
    """
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise ParameterError(f"{called} {what}: {EARLIER_FOLDER}")
    dossiers = [p.parent for p in folder.glob(f"*/{MANIFEST_FILE}")]
    if not dossiers:
        raise ParameterError(f"{called} holds no dossier (no */{MANIFEST_FILE}): {EARLIER_FOLDER}")
    if not any((d / EXTRACT_FILE).is_file() for d in dossiers):
        raise ParameterError(
            f"{called}: its dossiers keep no {EXTRACT_FILE} (they were made before dossiers kept "
            "the records they were made from); render them again with this version, or give a "
            "newer output folder"
        )
    return folder


def earlier_dossier(folder: Path, case_id: str, called: str) -> EarlierDossier | None:
    """The dossier of ``case_id`` in the earlier output ``folder`` (``<slug>/case-extract.json``);
    None when the folder has none: the case is new in the comparison.

    Raises ParameterError (naming the folder as ``called``) when its extract cannot be read.
    """
    path = folder / slugify(case_id) / EXTRACT_FILE
    try:
        data = read_extract_file(path)
        if data is None:
            return None
        extract = CaseExtract.from_bytes(data)
    except OSError as exc:
        raise ParameterError(f"{called}: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ParameterError(f"{called}: {path} is damaged: {exc}; render that folder again") from None
    return EarlierDossier(data, extract) if extract.case_id == case_id else None  # two IDs, one slug


def read_baseline(folder: Path, case_id: str, now: CaseFile, day: dt.date, called: str) -> Baseline:
    """The earlier dossier of ``case_id`` in the output ``folder``, compared with ``now`` as of
    ``day``: what a notebook given ``compare_with`` (and no comparison made for it) shows."""
    earlier = earlier_dossier(check_earlier_folder(folder, called), case_id, called)
    return Baseline.of(earlier.extract if earlier else None, now, day)
