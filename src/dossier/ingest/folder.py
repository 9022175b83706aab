"""Writing an imported data folder: whole or not at all, beside ``import.json`` and ``dossier.toml``.

The folder is written into a hidden sibling (``.NAME.import-PID-…``) and only
then put in place of the previous one, by two renames; a failed or interrupted
import removes its sibling and leaves the previous folder as it was. What a
killed import left behind (its sibling; the previous folder set aside but not yet
replaced) is tidied, or put back, by the next import into the same folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..data.contract import MAPPING_FILE
from ..data.language import is_language_tag  # one rule for a tag, the one `[data] lang` is read by
from ..errors import OutputError, ParameterError
from .rows import Rows

#: The import's own description of the folder, beside the contract files.
IMPORT_FILE = "import.json"
#: What a reader keeps for the next import into the same folder (the objects read, when).
STATE_FOLDER = ".import"


@dataclass
class Imported:
    """What an import says besides its rows: the data's language, what to keep for the next one."""

    lang: str | None = None
    #: Where ``lang`` comes from, for ``import.json`` ("--data-lang", the server's Content-Language…).
    lang_from: str = ""
    #: Files for the state folder, by name: what the reader needs for the next import.
    state: dict[str, bytes] = field(default_factory=dict)


def language_tag(value: str) -> str:
    """``value`` checked as a BCP 47 language tag (``de``, ``sv``, ``de-CH``); raise ParameterError."""
    if is_language_tag(value.strip()):
        return value.strip()
    raise ParameterError(
        f"--data-lang {value!r} is not a language tag: use BCP 47, e.g. de, sv, en or de-CH"
    )


def previous_state(out: Path, name: str) -> bytes | None:
    """A state file the last import into ``out`` kept, or None (first import, or another reader's)."""
    _recover(out)
    try:
        return (out / STATE_FOLDER / name).read_bytes()
    except OSError:
        return None


@contextlib.contextmanager
def staged(out: Path) -> Iterator[tuple[Path, Rows]]:
    """A hidden sibling of ``out`` to write the new folder into, and the rows that go there.

    Whatever ends the ``with`` block without :func:`publish` (an error, Ctrl-C) removes the
    sibling and leaves ``out`` as it was. Raises OutputError when ``out`` is a file, or a
    folder holding anything but an earlier import.
    """
    out = Path(out).absolute()
    _recover(out)
    _check_target(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"{out.parent}: cannot write the data folder there ({exc.strerror})") from None
    rows = None
    try:
        rows = Rows(staging)
        yield staging, rows
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the data folder ({exc.strerror or exc})") from None
    finally:
        if rows is not None:
            rows.close()
        shutil.rmtree(staging, ignore_errors=True)


def publish(out: Path, staging: Path, rows: Rows, imported: Imported,
            description: dict[str, object]) -> Path:  # fmt: skip
    """Finish the folder in ``staging`` (``import.json``, ``dossier.toml``, the state) and put it
    in place of ``out``, whole; ``description`` becomes ``import.json`` with the counts added."""
    out = Path(out).absolute()
    rows.close()
    _finish(staging, rows, imported, description)
    _replace(out, staging)
    return out


def _finish(folder: Path, rows: Rows, imported: Imported, description: dict[str, object]) -> None:
    described = {
        **description,
        "counts": rows.counts(),
        "data_lang": {"lang": imported.lang, "from": imported.lang_from},
        "left_out": rows.log.left_out,
        "merged": rows.log.merged,
    }
    (folder / IMPORT_FILE).write_text(
        json.dumps(described, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    if imported.lang and is_language_tag(imported.lang):
        (folder / MAPPING_FILE).write_text(
            "# Written by `dossier import`: the language of the source's own text (BCP 47).\n"
            f"[data]\nlang = {json.dumps(imported.lang)}\n",
            encoding="utf-8",
        )
    if imported.state:
        (folder / STATE_FOLDER).mkdir()
        for name, content in imported.state.items():
            (folder / STATE_FOLDER / name).write_bytes(content)


def _check_target(out: Path) -> None:
    if out.is_file() or (out.exists() and not out.is_dir()):
        raise OutputError(f"--out {out} is a file: name a folder for the data")
    if out.is_dir() and any(out.iterdir()) and not (out / IMPORT_FILE).is_file():
        raise OutputError(
            f"--out {out} holds files that `dossier import` did not write: name a new or empty "
            "folder (an import replaces the whole folder)"
        )


def _replace(out: Path, staging: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    aside = out.parent / f".{out.name}.previous-{os.getpid()}"
    os.rename(out, aside)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(aside, out)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover(out: Path) -> None:
    """Tidy what a killed import into ``out`` left: remove its sibling, put back what it set aside."""
    parent = out.parent
    if not parent.is_dir():
        return
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(import|previous)-(\d+)(-.*)?")
    for entry in parent.iterdir():
        match = pattern.fullmatch(entry.name)
        if not match or (_alive(int(match.group(2))) and int(match.group(2)) != os.getpid()):
            continue
        if match.group(1) == "previous" and not out.exists():
            with contextlib.suppress(OSError):
                os.rename(entry, out)
                continue
        shutil.rmtree(entry, ignore_errors=True)
