"""The data contract (DATA.md) as data: tables, columns, coded values.

Everything that checks or reads source files takes its rules from here, so the
contract is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Name of the column that carries each row's number as a spreadsheet shows it.
ROW = "_row"
#: The mapping file a data folder may hold (see dossier.data.mapping).
MAPPING_FILE = "dossier.toml"

ColumnType = Literal["text", "date", "datetime", "int", "code"]

EVENT_KINDS = (
    "registered", "prepared", "discussed", "presented", "consultation", "proposal",
    "referred_back", "tabled", "deferred", "decided", "communicated", "closed",
    "withdrawn", "other",
)  # fmt: skip
CASE_STATUSES = ("open", "closed")
FORUM_KINDS = (
    "committee", "presidium", "council", "partnership", "party_group", "network",
    "office", "external", "administration", "other",
)  # fmt: skip
MEETING_STATES = ("planned", "held", "cancelled")
RELATIONS = ("related", "continues", "replaces", "depends_on", "other")
DOC_TYPES = ("report", "proposal", "minutes_extract", "attachment", "letter", "other")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a contract table."""

    name: str
    required: bool = False
    type: ColumnType = "text"
    unique: bool = False
    codes: tuple[str, ...] = ()
    #: (table, column) this column refers to; empty values refer to nothing.
    references: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """One file of the contract."""

    name: str
    required: bool
    columns: tuple[Column, ...]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


#: In each dossier's folder, the record of what it was made from and of its files.
MANIFEST_FILE = "manifest.json"

#: In a case extract (a data folder cut down to one case, see dossier.run.job), the file that
#: describes the export it was cut from; dossier.data.validate reports those files as the sources.
EXTRACT_SOURCES = "sources.json"
#: In a case extract, the case's data notes as the whole export gives them: their rows are
#: the export's, which the extract's own rows are not.
EXTRACT_NOTES = "notes.json"
#: In a case extract, the notebook the render runs (the case's own or the template): its name
#: and hash, which the dossier's provenance names.
EXTRACT_NOTEBOOK = "notebook.json"
#: In a case extract, the SHA-256 of each table as it was cut from a registry already checked:
#: a load that finds the very same bytes does not check them again (dossier.data.validate.load).
EXTRACT_CHECKED = "checked.json"
#: In a case extract, for a render with ``--compare-with``: the comparison with the earlier
#: dossier as it was made where that dossier's extract was read (dossier.data.changes.Baseline).
EXTRACT_BASELINE = "baseline.json"
#: In a case extract, the case file as the render opened it from the registry (its case
#: record, dossier.data.extract): the notebook opens the case from it, reading no table.
EXTRACT_CASE = "case.json"

CASE_REF = ("cases", "case_id")
FORUM_REF = ("forums", "forum_id")
MEETING_REF = ("meetings", "meeting_id")

TABLES: tuple[Table, ...] = (
    Table("cases", True, (
        Column("case_id", required=True, unique=True),
        Column("title", required=True),
        Column("opened", required=True, type="date"),
        Column("status", required=True, type="code", codes=CASE_STATUSES),
        Column("closed", type="date"),
        Column("owner_forum_id", references=FORUM_REF),
        Column("responsible"),
        Column("summary"),
    )),
    Table("events", True, (
        Column("event_id", unique=True),
        Column("case_id", required=True, references=CASE_REF),
        Column("date", required=True, type="date"),
        Column("end_date", type="date"),
        Column("kind", required=True, type="code", codes=EVENT_KINDS),
        Column("forum_id", references=FORUM_REF),
        Column("title", required=True),
        Column("description"),
        Column("decision_ref"),
        Column("document"),
        Column("seq", type="int"),
    )),
    Table("forums", True, (
        Column("forum_id", required=True, unique=True),
        Column("name", required=True),
        Column("kind", required=True, type="code", codes=FORUM_KINDS),
        Column("organisation"),
        Column("chair"),
        Column("description"),
    )),
    Table("meetings", False, (
        Column("meeting_id", required=True, unique=True),
        Column("forum_id", required=True, references=FORUM_REF),
        Column("date", required=True, type="datetime"),
        Column("title"),
        Column("location"),
        Column("state", type="code", codes=MEETING_STATES),
        # The day the meeting's agenda was published; an agenda row's own day comes first.
        Column("published", type="datetime"),
    )),
    Table("agenda", False, (
        Column("meeting_id", required=True, references=MEETING_REF),
        Column("item", required=True),
        Column("case_id", required=True, references=CASE_REF),
        Column("title"),
        Column("proposal"),
        Column("published", type="datetime"),
    )),
    Table("relations", False, (
        Column("case_id", required=True, references=CASE_REF),
        Column("related_case_id", required=True, references=CASE_REF),
        Column("relation", required=True, type="code", codes=RELATIONS),
    )),
    Table("documents", False, (
        Column("case_id", required=True, references=CASE_REF),
        Column("date", required=True, type="date"),
        Column("title", required=True),
        Column("doc_type", required=True, type="code", codes=DOC_TYPES),
        Column("link"),
    )),
)  # fmt: skip

TABLE = {table.name: table for table in TABLES}
