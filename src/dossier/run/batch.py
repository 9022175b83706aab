"""Render many dossiers at once: parallel, incremental, crash-safe; and the meeting pack.

The data is loaded and checked once, in this process, and the cases chosen
(:mod:`dossier.run.selection`); each dossier becomes a small
:class:`~dossier.run.job.DossierJob` that a worker (:mod:`dossier.run.workers`)
renders with a fresh kernel. A dossier whose key is unchanged is skipped; a
failing one, or one whose own row in the data is faulty, is reported and the
batch goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CaseNotebookError, ParameterError, RenderError, UnusableCaseError

if TYPE_CHECKING:
    from ..data.model import Registry

from ..resources import toolkit_fingerprint
from .job import (
    EXPORT,
    PARAMETER,
    DossierJob,
    RenderedDossier,
    RenderOptions,
    check_compare_with,
    prepare_job,
    slugify,
    with_case_record,
)
from .output import check_out, claim_folders, output_lock, publish, writing_into
from .report import skipped_result, unchanged_batch, write_report
from .results import BatchReport, DossierResult, Status
from .workers import ThisProcess, executor_for

# -- the batch --------------------------------------------------------------------------------


def run_batch(
    case_ids: list[str],
    *,
    registry: Registry,
    data_dir: Path,
    out_dir: str | Path,
    options: RenderOptions,
    workers: int | None = None,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    meeting: str | None = None,
    progress: Callable[[DossierResult, int, int], None] | None = None,
    batch_key: str | None = None,
    given: tuple[list[str], list[str]] = ([], []),
    pools: BatchWorkers | None = None,
) -> BatchReport:
    """Render ``case_ids`` into ``out_dir``: skip unchanged ones, go on past failures.

    Parameters
    ----------
    workers
        Worker processes (default: the number of cores); each renders one dossier at a time.
    force
        Render every case even if its dossier is current.
    executor, scheduler
        ``"local"`` (processes on this machine) or ``"dask"`` with the scheduler's address.
    meeting
        Also assemble the meeting pack of this meeting (index page and one PDF).
    progress
        Called after each dossier with its result, the number finished and the total.
    given
        What the report tells besides the dossiers: the case IDs given that are not in the
        data, and its notes (IDs taken for another but for letter case, what faults in the
        data cost).
    pools
        What renders the dossiers (its workers perhaps started); by default of ``executor``.
    """
    out = Path(out_dir)
    started = time.perf_counter()
    pools = pools or BatchWorkers(executor, scheduler, workers or os.cpu_count() or 1)
    with pools:  # a batch that stops ends the workers started for it at once
        check_compare_with(options, out)
        options = meeting_options(registry, meeting, options)
        with output_lock(out):
            claim_folders(case_ids, out)
            views: dict = {}  # each case as its dossier shows it, for the meeting pack
            jobs, pending, results = _prepared(case_ids, registry, data_dir, options, out,
                                               force=force, views=views, progress=progress,
                                               found=pools.found)  # fmt: skip
            ahead = None
            try:
                if meeting is not None and "pdf" in options.formats and pending:
                    from .pack import pack_ahead

                    ahead = pack_ahead(  # the pack's parts, made while the dossiers render
                        registry, meeting, options, views, {j.case_id: j.slug for j in jobs},
                        {c: Path(r.outputs["pdf"]) for c, r in results.items() if "pdf" in r.outputs},
                        {j.case_id: out / j.slug / f"{j.slug}.pdf" for j in pending},
                    )  # fmt: skip
                if pending:
                    _render(pending, pools.pool_for(pending), out, results, progress, len(case_ids))
                else:
                    pools.stop()  # workers started for named cases that turned out unusable
                report = BatchReport([results[case_id] for case_id in case_ids],
                                     round(time.perf_counter() - started, 3), out,
                                     batch_key=batch_key, as_of=options.day.isoformat(),
                                     source_lang=registry.source_lang, unknown=given[0],
                                     notes=given[1], views=views)  # fmt: skip
                if meeting is not None:
                    _bind_pack(report, registry, meeting, options, ahead)
            finally:
                if ahead is not None:
                    ahead.close()
            write_report(report, options.lang)
    return report


def _bind_pack(report: BatchReport, registry: Registry, meeting: str, options: RenderOptions,
               ahead) -> None:  # fmt: skip
    """The meeting's pack, bound into the batch's folder with the parts made ``ahead``."""
    from .pack import build_meeting_pack

    with writing_into(report.out_dir):
        report.meeting_pack = build_meeting_pack(registry, meeting, report, options, report.views,
                                                 ahead)  # fmt: skip


class BatchWorkers:
    """What renders a batch's dossiers: worker processes on this machine (``local``), started
    as soon as a second dossier is found to render, before the other cases' jobs are
    prepared, so that each readies its libraries and first kernel meanwhile; the batch's own
    process for one dossier alone (:class:`~dossier.run.workers.ThisProcess`); or a Dask
    cluster's workers, running already."""

    def __init__(self, executor: str, scheduler: str | None, workers: int) -> None:
        self.executor, self.scheduler, self.workers = executor, scheduler, workers
        self.ahead = None
        self._held: list[DossierJob] = []  # found before the workers started

    def expect(self, named: set[str], out: Path) -> None:
        """Start the workers now if two of the ``named`` cases or more have no dossier in
        ``out`` yet: those will render, whatever the data holds (but for an ID it lacks)."""
        if self.executor == "local" and sum(not (out / slugify(c)).exists() for c in named) >= 2:
            self._start(len(named))

    def found(self, job: DossierJob, pending: int, left: int) -> None:
        """Told of each dossier found to render: how many so far, and how many cases are left.
        Once a second is found, the workers start, and each job is theirs to render at once."""
        if self.executor != "local":
            return
        self._held.append(job)
        if self.ahead is None and pending == 2:
            # As many workers as there may be dossiers: those found, and each case left.
            self._start(pending + left)
        if self.ahead is not None:
            self.ahead.submit(self._held)
            self._held = []

    def _start(self, dossiers: int) -> None:
        self.ahead = executor_for("local", None, self.workers, dossiers)  # stop() ends it from here
        self.ahead.start()

    def pool_for(self, pending: list[DossierJob]):
        if self.ahead is not None:
            return self.ahead
        if self.executor == "local" and len(pending) == 1:
            return ThisProcess()
        return executor_for(self.executor, self.scheduler, self.workers, len(pending))

    def stop(self) -> None:
        """End the workers started ahead now (the batch stops): safe to repeat."""
        if self.ahead is not None:
            self.ahead.stop()

    def __enter__(self) -> BatchWorkers:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:  # the batch stops, or its data or cases were refused
            self.stop()


def _render(pending: list[DossierJob], pool, out: Path, results: dict[str, DossierResult],
            progress: Callable[[DossierResult, int, int], None] | None, total: int) -> None:  # fmt: skip
    """Render ``pending`` with ``pool``, writing each dossier into ``out`` as it comes."""
    try:
        for job, rendered in pool.results(pending):
            results[job.case_id] = result = _written(job, rendered, out)
            if progress:
                progress(result, len(results), total)
    except BaseException:  # Ctrl-C, SIGTERM: the workers end now, not after their dossiers
        pool.stop()
        raise
    pool.close()


def _prepared(
    case_ids: list[str], registry: Registry, data_dir: Path, options: RenderOptions, out: Path,
    *, force: bool, views: dict, progress: Callable[[DossierResult, int, int], None] | None,
    found: Callable[[DossierJob, int, int], None] = lambda job, pending, left: None,
) -> tuple[list[DossierJob], list[DossierJob], dict[str, DossierResult]]:
    """Each case's job, those of them to render, and the results of the cases that need no
    render: their dossier is current (skipped), or their own row or notebook is unusable
    (failed, alone). ``found`` is told of each job to render as it is found, with how many
    are found so far, and how many cases are left to look at."""
    results: dict[str, DossierResult] = {}
    jobs, pending = [], []
    for looked_at, case_id in enumerate(case_ids, start=1):
        try:
            job = prepare_job(registry, case_id, data_dir, options, out=out, rendering=case_ids,
                              views=views)  # fmt: skip
        except (UnusableCaseError, CaseNotebookError) as exc:  # its own row or notebook
            title = (registry.unusable[case_id].title if case_id in registry.unusable
                     else registry.case(case_id).title)  # fmt: skip
            results[case_id] = DossierResult(case_id, slugify(case_id), title, Status.FAILED,
                                             error=str(exc))  # fmt: skip
        else:
            jobs.append(job)
            skipped = None if force else skipped_result(case_id, job.slug, job.title, job.key,
                                                        out, job.sentence, job.news)  # fmt: skip
            if skipped is None:
                job = with_case_record(job, registry)
                pending.append(job)
                found(job, len(pending), len(case_ids) - looked_at)
                continue
            results[case_id] = skipped
        if progress:
            progress(results[case_id], len(results), len(case_ids))
    return jobs, pending, results


def meeting_options(registry: Registry, meeting: str | None, options: RenderOptions) -> RenderOptions:
    """The options of a meeting's batch: the meeting's day, and new is what came after the
    forum's previous meeting.

    Without ``--as-of`` the batch speaks for the meeting: as of today while the meeting
    is ahead, as of the day before it once it is past. A ``--as-of`` after the meeting's
    day is refused (ParameterError naming both). What is new is unchanged with a
    ``--since`` of its own, or when the forum has no earlier meeting before the
    dossiers' day in meetings.csv.
    """
    if meeting is None:
        return options
    day, chosen = registry.meeting(meeting).day, options.parameters
    if chosen.as_of > day and chosen.day_given:
        raise ParameterError(
            f"--as-of {chosen.as_of.isoformat()} is after the meeting {meeting} on {day.isoformat()}: "
            "a meeting's dossiers speak for a day up to the meeting; give an --as-of on or "
            "before it, or leave --as-of out (the day before a past meeting)"
        )
    if chosen.as_of > day:
        before = day - dt.timedelta(days=1)
        if chosen.since is not None and chosen.since > before:
            raise ParameterError(
                f"--since {chosen.since.isoformat()} is after {before.isoformat()}, the day before "
                f"the meeting {meeting}, which its dossiers speak for: give a --since on or before it"
            )
        options = options.with_parameters(as_of=before)
    if chosen.since is not None:
        return options
    previous = registry.previous_meeting(meeting)
    if previous is None or previous.day >= options.day:
        return options
    return options.with_parameters(since_meeting=previous.day)


def render_batch(
    case_ids: Sequence[str] = (),
    *,
    meeting: str | None = None,
    all_open: bool = False,
    cases_file: str | Path | None = None,
    data_dir: str | Path | None = None,
    mapping: str | Path | None = None,
    out_dir: str | Path = "dossiers",
    options: RenderOptions,
    workers: int | None = None,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[DossierResult, int, int], None] | None = None,
    strict: bool = False,
) -> BatchReport:
    """``dossier batch``: choose the cases, and render those whose dossier is not current.

    When nothing that goes into any dossier has changed since the last batch
    into ``out_dir`` (see :func:`batch_key`), the batch ends without reading the
    data. Otherwise the data is loaded and checked, the cases chosen (by ID,
    ``meeting``, ``all_open`` and ``cases_file``, as :func:`select_cases`), and
    :func:`run_batch` renders them. The other parameters are :func:`run_batch`'s;
    ``mapping`` is the ``--mapping`` file, if one was given.

    A case ID given that is not in the data is listed in the report (:attr:`BatchReport.unknown`,
    with where it was given) and the others render; a fault confined to a case's rows
    costs only those rows. ``strict`` refuses both, as DataError and UnknownCaseError.

    Raises
    ------
    OutputLockedError
        Another run writes into ``out_dir``; before the data is read.
    OutputError
        ``out_dir`` is a file or under one (before the data is read), read-only,
        or on a full disk; nothing is left half-written.
    DataError, UnknownCaseError, ParameterError
        Before any dossier is rendered.
    """
    from ..data.text import read_case_lines
    from ..resources import data_dir as resolve_data_dir
    from .selection import named_cases

    if meeting is not None and (case_ids or cases_file is not None):
        raise ParameterError("give CASE_IDs (or --cases-file) or --meeting, not both (a meeting "
                             "renders its agenda, in agenda order, and its pack)")  # fmt: skip
    data = resolve_data_dir(data_dir)
    out = Path(out_dir)
    check_out(out)
    check_compare_with(options, out)
    # A --cases-file that cannot be read is refused here, before the output folder is locked.
    lines = read_case_lines(cases_file) if cases_file is not None else None
    listed = [case_id for _, case_id in lines] if lines is not None else None
    selection = {"case_ids": list(case_ids), "meeting": meeting, "all_open": all_open,
                 "cases_file": listed}  # fmt: skip
    if strict:  # a strict batch over faulty data is refused, where the last one rendered
        selection["strict"] = True
    # Taken before the export is hashed or read, so that a second batch into a folder stops at
    # once; a folder that does not exist yet is made (and locked) only once the data is good.
    with output_lock(out) if out.is_dir() else contextlib.nullcontext():
        key = batch_key(data, selection, options, Path(mapping) if mapping else None)
        report = None if force else unchanged_batch(out, key, options.lang, progress)
        if report is None:
            named = named_cases(case_ids, cases_file, lines or ())
            pools = BatchWorkers(executor, scheduler, workers or os.cpu_count() or 1)
            pools.expect({case_id for _, case_id in named}, out)  # while the data is read
            registry, chosen = _chosen(data, named, pools, mapping=mapping, meeting=meeting,
                                       all_open=all_open, strict=strict)  # fmt: skip
            report = run_batch(
                chosen.case_ids, registry=registry, data_dir=data, out_dir=out, options=options,
                force=force, meeting=meeting, progress=progress, batch_key=key,
                given=(chosen.unknown, chosen.notes), pools=pools,
            )  # fmt: skip
    return report


def _chosen(data: Path, named: list[tuple[str, str]], pools: BatchWorkers, *,
            mapping: str | Path | None, meeting: str | None, all_open: bool, strict: bool):  # fmt: skip
    """The data, loaded and checked, and the cases chosen in it (:func:`choose_cases`), with a
    note of what faults in the data cost; the workers started ahead stop if either fails."""
    from ..data.report import faults_line
    from ..data.validate import load  # pandas: only when there is something to render
    from .selection import choose_cases

    with pools:
        registry = load(data, strict=strict, mapping=mapping)
        chosen = choose_cases(registry, named, meeting=meeting, all_open=all_open, strict=strict)
    chosen.notes += filter(None, [faults_line(registry)])
    return registry, chosen


def _written(job: DossierJob, rendered: RenderedDossier, out: Path) -> DossierResult:
    """Write a render's outcome into ``out`` (see :func:`~dossier.run.output.publish`); its result."""
    result = DossierResult(job.case_id, job.slug, job.title, Status.FAILED, rendered.seconds,
                           key=job.key, sentence=job.sentence, news=job.news,
                           analyst_cells=job.manifest["notebook"]["analyst_cells"])  # fmt: skip
    try:
        result.outputs = publish(out, rendered).outputs
    except RenderError as exc:
        result.error = str(exc)
        if exc.notebook:
            result.outputs["notebook"] = exc.notebook
        return result
    result.status = Status.DONE
    return result


# -- nothing changed at all ------------------------------------------------------------------


def batch_key(
    data_dir: Path, selection: dict, options: RenderOptions, mapping: Path | None = None
) -> str:
    """The key of a whole batch, from file bytes alone (no parsing).

    Made from every file of the export folder (a mapping file and workbooks
    included), the mapping file given with ``--mapping``, how the cases were
    chosen, the options that change a dossier, and the notebook, templates and
    toolkit version. When it equals the last batch's key, nothing can have
    changed, and :func:`unchanged_batch` finishes without reading the data. The case
    notebooks count by what they do (cell types and sources), not as saved.
    """
    from .notebooks import folder_hashes

    settings = {
        "selection": selection,
        "options": options.settings(PARAMETER, EXPORT),
        "toolkit": toolkit_fingerprint(),
        "notebooks": folder_hashes(options.notebooks),
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8"))
    if options.compare_with is not None:
        # The earlier dossiers' extracts, which the comparison reads, not their folder's name.
        from ..data.changes import EXTRACT_FILE

        for path in sorted(options.compare_with.glob(f"*/{EXTRACT_FILE}")):
            digest.update(path.parent.name.encode("utf-8") + b"\0" + path.read_bytes())
    files = sorted(
        path
        for path in Path(data_dir).iterdir()
        if path.is_file() and not path.name.startswith(".")
    )
    for path in [*files, *([Path(mapping)] if mapping else [])]:
        with open(path, "rb") as handle:
            digest.update(
                path.name.encode("utf-8") + b"\0" + hashlib.file_digest(handle, "sha256").digest()
            )
    return digest.hexdigest()


