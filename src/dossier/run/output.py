"""The output folder: one folder for each case's dossier.

A dossier's folder is named by its case's slug; two case IDs can have one slug
(``A/1`` and ``A-1``). The manifest in the folder names its case, and a run
refuses a dossier whose folder holds another case's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import OutputError
from .job import slugify
from .manifest import read_manifest


def claim_folders(case_ids: Iterable[str], out: Path) -> None:
    """Refuse, before anything is rendered, cases that would share a folder in ``out``.

    Two of ``case_ids`` with one slug, or a case whose folder holds the dossier of
    another case (rendered by an earlier run): every such collision is named at once.

    Raises
    ------
    OutputError
        Naming both cases of each collision, and the fix.
    """
    claimed: dict[str, str] = {}
    collisions = []
    for case_id in case_ids:
        slug = slugify(case_id)
        first = claimed.setdefault(slug, case_id)
        if first != case_id:
            collisions.append(f"{first!r} and {case_id!r} would both be written to {out / slug}")
            continue
        owner = (read_manifest(out / slug) or {}).get("case_id")
        if owner is not None and owner != case_id:
            collisions.append(f"{case_id!r} would replace the dossier of {owner!r} in {out / slug}")
    if collisions:
        lines = "\n".join(f"  {line}" for line in collisions)
        count = len(collisions)
        raise OutputError(
            f"{count} folder{'s' if count != 1 else ''} would hold two cases' dossiers:\n{lines}\n"
            "A folder is named by the case ID's letters and digits, so these cases cannot share"
            " one --out folder: render them into different --out folders"
        )
