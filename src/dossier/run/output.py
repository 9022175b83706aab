"""The output folder: its lock, one folder for each case's dossier, written whole or not at all.

Only the process that holds the folder's lock writes into it: a render's files
come back to it as bytes (:class:`~dossier.run.job.RenderedDossier`), from a
worker on this machine or another, and :func:`publish` puts them in place in
one rename. A dossier's folder is named by its case's slug; two case IDs can
have one slug (``A/1`` and ``A-1``). The manifest in the folder names its
case, and a run refuses a dossier whose folder holds another case's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..data.text import slugify
from ..errors import OutputError, OutputLockedError, RenderError, shown
from .job import DossierFiles, RenderedDossier
from .lifetime import try_lock
from .manifest import read_manifest

LOCK_FILE = ".dossier.lock"


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
            collisions.append(f"{shown(first)} and {shown(case_id)} would both be written to {out / slug}")
            continue
        owner = (read_manifest(out / slug) or {}).get("case_id")
        if owner is not None and owner != case_id:
            collisions.append(f"{shown(case_id)} would replace the dossier of {shown(str(owner))} in {out / slug}")
    if collisions:
        lines = "\n".join(f"  {line}" for line in collisions)
        count = len(collisions)
        raise OutputError(
            f"{count} folder{'s' if count != 1 else ''} would hold two cases' dossiers:\n{lines}\n"
            "A folder is named by the case ID's letters and digits, so these cases cannot share"
            " one --out folder: render them into different --out folders"
        )


# -- a render's outcome, into the folder ------------------------------------------------------


def publish(out: Path, rendered: RenderedDossier) -> DossierFiles:
    """Put a render's outcome into ``out``: the dossier's folder, whole, in place of the old one.

    Raises
    ------
    RenderError
        The render failed; its executed notebook, if it left one, is kept as
        ``<slug>.failed.ipynb`` in ``out`` (the old dossier stays as it was).
    OutputError
        ``out`` cannot take the files (a full disk, say); the old dossier stays as it was.
    """
    out = out.resolve()
    slug = rendered.slug
    if rendered.error is not None:
        with writing_into(out):
            kept = _keep_failed(out, slug, rendered.notebook)
        raise render_error(rendered.case_id, rendered.error, kept)
    with writing_into(out):
        staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", suffix=".tmp", dir=out))
        try:
            staging.chmod(0o755)  # mkdtemp's 0700 would follow the dossier into place
            for name, data in rendered.files.items():
                (staging / name).write_bytes(data)
            _keep_failed(out, slug, None)
            swap_into_place(staging, out / slug)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return DossierFiles.in_folder(out / slug, slug, rendered.formats)


def _keep_failed(out: Path, slug: str, notebook: bytes | None) -> Path | None:
    """Keep a failed run's notebook beside the dossier's place; a later success removes it.

    Returns where it is kept, or None when the run left no notebook (an earlier
    failure's notebook is removed then, so it is never taken for this one's).
    """
    failed = out / f"{slug}.failed.ipynb"
    if notebook is None:
        failed.unlink(missing_ok=True)
        return None
    write_files({failed: notebook})
    return failed


def render_error(case_id: str, message: str, kept: Path | None) -> RenderError:
    if kept is None:
        return RenderError(f"{case_id}: {message}; no executed notebook was saved")
    return RenderError(f"{case_id}: {message}; the executed notebook is kept at {kept}", str(kept))


def swap_into_place(staging: Path, final: Path) -> None:
    """Move a finished folder into place: readers see the old folder or the new, never half.

    A symbolic link in the folder's place is replaced, never followed: what it pointed
    to stays as it was.
    """
    retired = None
    if os.path.lexists(final):
        retired = final.with_name(f".{final.name}.{os.getpid()}.old")
        os.replace(final, retired)
    try:
        os.replace(staging, final)
    except OSError:
        if retired is not None:
            os.replace(retired, final)  # the old folder back in place
        raise
    if retired is not None:
        remove_path(retired)


def remove_path(path: Path) -> None:
    """Remove a folder with what it holds, or a file or symbolic link (never what a link points to)."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


#: Added to the flags of every file this tool opens to write: a symbolic link is refused, not
#: followed (where the system cannot, :func:`open_to_write` looks first).
NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def open_to_write(path: Path, flags: int) -> int:
    """Open ``path`` to write, with ``os.open``'s ``flags``; never through a symbolic link.

    A link in a folder the user named could point anywhere (a file outside it,
    another user's): it raises ``OSError`` with ``ELOOP``, which
    :func:`output_error` explains.
    """
    if not NO_FOLLOW and os.path.islink(path):
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    return os.open(path, flags | NO_FOLLOW | getattr(os, "O_BINARY", 0), 0o644)


def write_files(contents: dict[Path, str | bytes]) -> None:
    """Write files whole or not at all: each beside its place first, then all renamed into place.

    A failure to write one (a full disk, say) leaves every file as it was, and no
    temporary file is left behind.
    """
    temporaries = {path: path.with_name(f".{path.name}.{os.getpid()}.part") for path in contents}
    try:
        for path, content in contents.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            temporaries[path].unlink(missing_ok=True)  # a killed run's, or a link put there
            # A new file, never an existing one nor a link's target; renamed over the final
            # name, which replaces a link there and leaves what it pointed to alone.
            fd = open_to_write(temporaries[path], os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            with open(fd, "wb") as handle:
                handle.write(data)
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)


# -- what cannot be written -------------------------------------------------------------------


def check_out(out: Path) -> None:
    """Refuse at once an ``--out`` that is a file or lies under one, or that no file system
    takes (a name too long): it would fail only later."""
    try:
        for folder in (out, *out.parents):
            if folder.exists():
                if not folder.is_dir():
                    raise OutputError(_not_a_folder(out, folder))
                return
    except OSError as exc:
        raise output_error(out, exc) from None


@contextlib.contextmanager
def writing_into(out: Path) -> Iterator[None]:
    """Turn a failure to write into ``out`` into an :class:`OutputError` that says why and what to do."""
    try:
        yield
    except OSError as exc:
        raise output_error(out, exc) from exc


def output_error(out: Path, exc: OSError) -> OutputError:
    """The message for a failure to write into the output folder ``out``."""
    where = exc.filename or out
    if exc.errno == errno.ENAMETOOLONG:
        return OutputError(f"--out {shortened(out)}: {too_long(out) or TOO_LONG}; give a shorter one")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(
            f"--out {out}: the disk is full; nothing was left half-written:"
            " free some space or give another --out folder"
        )
    if exc.errno == errno.EROFS:
        return OutputError(
            f"--out {out} is on a read-only file system; give a folder you can write to"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return OutputError(
            f"--out {out}: no permission to write {where}; give a folder you can write to"
        )
    if exc.errno in (errno.ELOOP, errno.EMLINK):
        return OutputError(
            f"--out {out}: {where} is a symbolic link; dossier writes no file through a link,"
            " which could point anywhere: remove the link"
        )
    if exc.errno == errno.EISDIR:
        return OutputError(f"--out {out}: {where} is a folder where dossier writes a file; remove it")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        file = next((f for f in (out, *out.parents) if f.exists() and not f.is_dir()), where)
        return OutputError(_not_a_folder(out, file))
    return OutputError(f"--out {out}: cannot write {where}: {exc.strerror}")


#: The longest name of one file or folder, and the longest path, Linux takes (in bytes).
NAME_MAX, PATH_MAX = 255, 4096
TOO_LONG = (f"a path, or a name in it, is longer than the file system takes (a name {NAME_MAX} "
            f"bytes, a path {PATH_MAX - 1:,})")  # fmt: skip


def too_long(path: str | Path) -> str | None:
    """What makes ``path`` longer than the file system takes (as a message says it), or None.

    Told before anything is read or written: otherwise the first ``stat`` fails, wherever it is.
    """
    raw = os.fsencode(os.path.abspath(path))
    longest = max(raw.split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        return f"holds a name of {len(longest):,} bytes; a file system takes {NAME_MAX} for one name"
    if len(raw) >= PATH_MAX:
        return f"is {len(raw):,} bytes long as a whole path; a file system takes {PATH_MAX - 1:,}"
    return None


def shortened(path: str | Path) -> str:
    """``path`` as a message shows it: a very long one cut, with its length."""
    text = str(path)
    return text if len(text) <= 80 else f"{text[:80]}… ({len(text):,} characters)"


def _not_a_folder(out: Path, file: str | Path) -> str:
    return (
        f"--out {out}: {file} is a file, not a folder; give a folder"
        " (one that does not exist yet is made)"
    )


# -- the lock and crash leftovers -------------------------------------------------------------


#: Output folders each thread of this process holds, and how many ``output_lock`` blocks hold each.
_held: dict[tuple[Path, int], int] = {}
_held_lock = threading.Lock()


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for this run; a second run into it stops at once (exit 2).

    Within one thread the lock nests: a command takes it before it reads the
    data, and the batch it then runs holds it on. Another thread, like another
    process, is refused.
    """
    with writing_into(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
    key = (out_dir.resolve(), threading.get_ident())
    with _held_lock:
        nested = key in _held
        if nested:
            _held[key] += 1
    if nested:
        try:
            yield
        finally:
            with _held_lock:
                _held[key] -= 1
        return
    handle = _open_lock(out_dir)
    try:
        if not try_lock(handle):
            holder = "another process"
            with contextlib.suppress(OSError):  # Windows refuses to read a locked file
                handle.seek(0)
                holder = handle.read(200).decode("utf-8", "replace").strip() or holder
            raise OutputLockedError(
                f"{out_dir} is in use by {holder}; wait for it to finish or use another --out folder"
            ) from None
        with writing_into(out_dir):
            handle.seek(0)
            handle.truncate()
            handle.write(f"dossier batch, pid {os.getpid()}\n".encode())
            handle.flush()
            _remove_leftovers(out_dir)
        with _held_lock:
            _held[key] = 1
        try:
            yield
        finally:
            # Also on the way out: a batch stopped at once (Ctrl-C, SIGTERM) may have been
            # writing a dossier.
            with contextlib.suppress(OSError):
                _remove_leftovers(out_dir)
            with _held_lock:
                del _held[key]
    finally:
        handle.close()


def _open_lock(out_dir: Path):
    """The folder's lock file, opened to read and write: made if missing, never through a link,
    and only a regular file (a FIFO or device there would hang or harm the run)."""
    path = out_dir / LOCK_FILE
    with writing_into(out_dir):
        fd = open_to_write(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OutputError(
            f"--out {out_dir}: {path} is not a regular file; remove it (dossier makes its lock anew)"
        )
    return open(fd, "r+b", buffering=0)


def _remove_leftovers(out_dir: Path) -> None:
    """Staging folders and half-written files of a run that was killed: always safe to remove."""
    for path in out_dir.iterdir():
        if not path.name.startswith("."):
            continue
        # .extract: the case extracts that renders kept here before their files travelled back.
        if path.suffix in (".tmp", ".extract", ".old") and (path.is_dir() or path.is_symlink()):
            remove_path(path)
        elif path.is_file() and path.suffix == ".part":  # write_files' temporary files
            path.unlink(missing_ok=True)
