"""Every word a reader sees, in Swedish, English and German, from one place.

Labels are looked up by a dotted key (``kind.referred_back``,
``heading.timeline``); sentences take named fields with ``str.format``. Each
language has its module (:mod:`.sv`, :mod:`.en`, :mod:`.de`) with the same keys:
its reviewed ``TERMS`` (:data:`TERMINOLOGY`, the terms a reader must not misread,
each with its reason, listed in ``docs/terminology.<lang>.md``) and its other
``WORDS``. A new key goes into every language's module.

Text from the data (titles, descriptions, names) stays in the registry's
language: it travels as :class:`Source`, and :func:`words` builds sentences
(:class:`Words`) that keep it apart, so a page can mark it with the data's own
language (``[data] lang`` in the data folder's ``dossier.toml``).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from ..errors import ParameterError
from . import de, en, sv

#: The languages a dossier is written in, in the order of :data:`WORDS`' tuples.
LANGUAGES = ("sv", "en", "de")
#: Each language's module: its reviewed ``TERMS`` and its other ``WORDS``.
_MODULES = {"sv": sv, "en": en, "de": de}
#: Babel's locale for each language: its dates and numbers (English dossiers day-month-year).
LOCALES = {"sv": "sv_SE", "en": "en_GB", "de": "de_DE"}
#: The tool's own messages (progress on stderr, errors, help) are in English whatever the
#: dossier's language (the README says so): one rule, and an error names files, rows and
#: columns alike for every analyst. ``--lang`` is the reader's language, not the tool's.
TOOL_WORDS: dict[str, str] = {
    # What render says it does, stage by stage (dossier.run.render.stage_reporter)
    "stage.reading": "Reading the data in {data} …",
    "stage.running": "Running the notebook {notebook} …",
    "stage.html": "Writing the HTML …",
    "stage.pdf": "Writing the PDF …",
    "stage.written": "Written to {folder}",
    # What render says of rows left out for faults (dossier.data.faults), between its stages
    "stage.left_out_one": "One row or value of the data is left out for a fault; the dossier names it under {heading}.",
    "stage.left_out": "{n} rows or values of the data are left out for faults in them; the dossier names them under {heading}.",
}


@dataclass(frozen=True, slots=True)
class Term:
    """One reviewed term in one language: its key, the word, and why it reads so."""

    key: str
    lang: str
    word: str
    why: str = ""


#: The reviewed terminology per language, as ``docs/terminology.<lang>.md`` lists it: the
#: words a politician or official decides by (event kinds, forum kinds, statuses, headings,
#: the header's facts). Where the obvious word misleads, ``why`` says so.
TERMINOLOGY: dict[str, tuple[Term, ...]] = {
    lang: tuple(Term(key, lang, word, why) for key, (word, why) in module.TERMS.items())
    for lang, module in _MODULES.items()
}


def _table(lang: str) -> dict[str, str]:
    module = _MODULES[lang]
    return {**{key: word for key, (word, _) in module.TERMS.items()}, **module.WORDS}


_TABLES = {lang: _table(lang) for lang in LANGUAGES}
#: key -> the words in the order of :data:`LANGUAGES` (None where a language lacks the key:
#: tests/test_catalogue.py finds it)
WORDS: dict[str, tuple[str, ...]] = {
    key: tuple(_TABLES[lang].get(key) for lang in LANGUAGES) for key in _TABLES["sv"]
}


class Source(str):
    """Text from the data (a title, a name, a description), in the registry's language."""

    __slots__ = ()


class Words(tuple):
    """A sentence: catalogue words and :class:`Source` text in turn; ``str()`` gives the plain text."""

    def __new__(cls, parts=()):
        merged: list[str] = []
        for part in parts:
            if not part:
                continue
            if isinstance(part, Words):
                merged.extend(part)
            elif isinstance(part, Source):
                merged.append(part)
            elif merged and not isinstance(merged[-1], Source):
                merged[-1] += str(part)
            else:
                merged.append(str(part))
        return super().__new__(cls, merged)

    def __str__(self) -> str:
        return "".join(self)

    def pairs(self) -> list[tuple[str, bool]]:
        """The parts as (text, is source text): plain data for JSON."""
        return [(str(part), isinstance(part, Source)) for part in self]

    @classmethod
    def from_pairs(cls, pairs) -> Words:
        return cls(Source(part) if source else part for part, source in pairs)


def check_language(lang: str) -> str:
    """Return ``lang`` if the catalogue has it; raise ParameterError naming the choices."""
    if lang not in LANGUAGES:
        raise ParameterError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


def text(key: str, lang: str = "sv", /, **fields: object) -> str:
    """The catalogue's text for ``key`` in ``lang``, with ``fields`` filled in.

    A count (the field ``n``) is written as the language writes numbers, through Babel:
    1 234 in Swedish, 1,234 in English, 1.234 in German.
    """
    words = WORDS[key][LANGUAGES.index(check_language(lang))]
    return words.format(**_counted(fields, lang)) if fields else words


def _counted(fields: dict[str, object], lang: str) -> dict[str, object]:
    count = fields.get("n")
    if not isinstance(count, int) or isinstance(count, bool) or abs(count) < 1000:
        return fields
    from babel.numbers import format_decimal

    return {**fields, "n": format_decimal(count, locale=LOCALES[lang])}


def tool_text(key: str, /, **fields: object) -> str:
    """The tool's own message for ``key`` (:data:`TOOL_WORDS`), with ``fields`` filled in."""
    return TOOL_WORDS[key].format(**fields)


def words(key: str, lang: str = "sv", /, **fields: object) -> Words:
    """Like :func:`text`, but source text filled in stays marked as :class:`Source`."""
    template = WORDS[key][LANGUAGES.index(check_language(lang))]
    fields = _counted(fields, lang)
    parts: list[object] = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            value = fields[name]
            parts.append(value if isinstance(value, str | Words) else format(value, spec))
    return Words(parts)


def label(group: str, value: str, lang: str = "sv") -> str:
    """The label of a coded value (``label("kind", "decided")``); the code itself if unknown."""
    key = f"{group}.{value}"
    return text(key, lang) if key in WORDS else value
