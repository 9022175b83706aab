"""The data's own language: ``[data] lang`` in the data folder's ``dossier.toml``.

Titles, descriptions, names and proposals stay in the registry's language
whatever language the dossier is written in. The setting says which (a BCP 47
tag: ``sv``, ``de``, ``en-GB``), so every page can mark that text with it and a
screen reader reads a German title in German in a Swedish dossier.

The rule without the setting: the data's language is unknown, and its text is
marked as such (``lang=""`` in HTML, ``und`` in the PDF's tags), never taken to
be Swedish. The bundled sample says
``lang = "sv"``. ``dossier import`` writes the setting where the source says
the language or the user gives ``--data-lang`` (:func:`setting_text`).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from ..errors import DataError, Fault
from .contract import MAPPING_FILE

#: The table of ``dossier.toml`` that describes the data, and its keys.
TABLE = "data"
KEYS = ("lang",)
#: The language of data that does not say: unknown (HTML's empty language).
UNKNOWN = ""
#: A well-formed BCP 47 tag (RFC 5646): language, then script, region and variants.
_TAG = re.compile(
    r"(?P<language>[A-Za-z]{2,3})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
)
EXPECTED_TAG = 'is not a language tag: give one as BCP 47 has it, e.g. "sv", "de", "en-GB"'


@cache
def _known_languages() -> frozenset[str]:
    from babel import Locale

    return frozenset(Locale("en").languages)


def is_language_tag(value: object) -> bool:
    """Whether ``value`` is a well-formed BCP 47 tag whose language is one CLDR knows."""
    if not isinstance(value, str):
        return False
    match = _TAG.fullmatch(value)
    return bool(match) and match["language"].lower() in _known_languages()


def data_language(data_dir: str | Path, mapping: str | Path | None = None) -> str:
    """The language of ``data_dir``'s text: ``[data] lang`` of its ``dossier.toml``, else unknown.

    The file is the mapping file the folder is read through (``mapping``, the
    ``--mapping FILE`` given), else the folder's own ``dossier.toml`` (a case extract's carries the setting).
    Raises DataError naming the file, line and fix for a tag that is not one, or an
    unknown key in ``[data]``. A ``dossier.toml`` that cannot be read at all is left to
    the mapping file's reader, which names that fault; here it says nothing.
    """
    # Here, not at the top: the batch checks a tag without reading any data (or pandas).
    from .mapping_file import key_lines
    from .sources import find_mapping

    path = find_mapping(Path(data_dir), mapping) or Path(data_dir) / MAPPING_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
        document = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return UNKNOWN
    table = document.get(TABLE)
    if table is None:
        return UNKNOWN
    lines = key_lines(text)

    def fault(key: tuple[str, ...], value: object, expected: str) -> Fault:
        line = lines.get(key) or lines.get((TABLE,))
        return Fault(f"{path.name} line {line}" if line else path.name, value=str(value),
                     expected=expected)  # fmt: skip

    if not isinstance(table, dict):
        raise DataError([fault((TABLE,), table, "must be a table: write it as [data]")])
    faults = [fault((TABLE, key), key, f"is not a key of [data] (keys: {', '.join(KEYS)})")
              for key in table if key not in KEYS]  # fmt: skip
    lang = table.get("lang", UNKNOWN)
    if "lang" in table and not is_language_tag(lang):
        faults.append(fault((TABLE, "lang"), lang, EXPECTED_TAG))
    if faults:
        raise DataError(faults)
    return lang


def setting_text(lang: str) -> str:
    """The ``[data]`` table that says ``lang``, as ``dossier.toml`` holds it (for an extract or an import)."""
    if not is_language_tag(lang):
        raise ValueError(f"{lang!r} {EXPECTED_TAG}")
    return f'[{TABLE}]\nlang = "{lang}"\n'
