"""Share dossiers by email: ready ``.eml`` drafts, or sending through the council's SMTP server.

:func:`mail_dossiers` reads as the story of one mailing: check every address
(and, to send, the SMTP settings) before anything else, render what is missing
or stale through the batch runner, build one MIME message for the recipient
list (the decision summary as plain text and HTML, the dossiers or the meeting
pack attached), put it in ``<out>/outbox/``, and with ``send`` hand it to the
server. A message moves to ``<out>/sent/`` only after the server accepted it;
one that fails stays in the outbox, and the next run sends it, once.

What a message says is :mod:`dossier.share.letter`'s; where it waits and how it is
sent, :mod:`dossier.share.outbox`'s. This module tells the story and gives the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from email import policy
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MailError, ParameterError
from ..run.results import Status
from .letter import (
    case_letter,
    check_size,
    compose,
    meeting_letter,
    parse_address,
    parse_addresses,
)
from .outbox import (
    OUTBOX,
    Delivery,
    SmtpSettings,
    outbox_messages,
    queue,
    send_messages,
)
from .settings import ATTACH_CHOICES, DEFAULT_MAX_SIZE, SETTING_VARIABLES

if TYPE_CHECKING:
    from ..run.job import RenderOptions


# -- the story of one mailing -----------------------------------------------------------------


def mail_dossiers(
    case_ids: Sequence[str] = (),
    *,
    meeting: str | None = None,
    to: Sequence[str],
    cc: Sequence[str] = (),
    sender: str | None = None,
    subject: str | None = None,
    attach: str = "pdf",
    data_dir: str | Path | None = None,
    out_dir: str | Path = "dossiers",
    options: RenderOptions | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    smtp: SmtpSettings | None = None,
    workers: int | None = None,
    strict: bool = False,
    mapping: str | Path | None = None,
) -> Delivery:
    """Render what is missing or stale, build one message for the recipients, queue or send it.

    Parameters
    ----------
    case_ids
        The cases to mail, each with its summary in the body and its dossier attached.
    meeting
        Instead of cases: the meeting whose agenda (one summary line per case) goes
        in the body and whose meeting pack is attached.
    to, cc, sender
        Addresses, ``name@example.se`` or ``Name <name@example.se>``; checked before
        anything is rendered.
    subject
        The subject; default ``[CASE_ID] title – ärendesammanfattning`` in the language.
    attach
        ``"pdf"``, ``"html"`` (the self-contained page) or ``"both"``.
    data_dir, out_dir
        The data folder (None: the bundled sample) and the output folder; messages go
        to ``out_dir/outbox/`` and, once sent, ``out_dir/sent/``.
    options
        :class:`~dossier.run.job.RenderOptions`; language, as-of date and inactivity threshold.
    max_size
        The largest message in bytes, attachments encoded.
    smtp
        Send through this server; None writes a draft only.
    workers
        Worker processes for rendering (default: the number of cores).
    strict
        Refuse the data folder for any fault; by default a fault costs only its case's rows,
        and a case whose own row is faulty fails (no message is built).
    mapping
        The mapping file to read the data folder through (``--mapping``); None for its own.

    Returns
    -------
    Delivery
        Where the message lies now, and the errors of sending (the caller decides
        the exit status).

    Raises
    ------
    ParameterError
        A bad address, option, case or meeting; before anything is rendered.
    MailError
        A dossier failed to render, or the message is over ``max_size``.
    """
    recipients, copies, from_address = _check_request(
        case_ids, meeting, to, cc, sender, smtp, attach
    )
    registry, chosen, options, report = _render(
        case_ids, meeting, data_dir, out_dir, options, workers, strict, mapping
    )
    letter = _letter(registry, chosen, meeting, report, options, attach, subject)
    message, digest = compose(letter, to=recipients, cc=copies, sender=from_address)
    check_size(message.as_bytes(policy=policy.SMTP), max_size, meeting=bool(meeting))
    return _queue_or_send(message, letter.stem, digest, Path(out_dir), smtp)


def _check_request(case_ids, meeting, to, cc, sender, smtp, attach):
    """Check what to mail, every address and ``attach``, before anything is rendered.

    Returns the recipients, the copies and the sender (None if not given), parsed.
    """
    if case_ids and meeting:
        raise ParameterError("give CASE_IDs or --meeting, not both (a meeting mails its agenda)")
    if not case_ids and not meeting:
        raise ParameterError("give the CASE_IDs to mail, or --meeting MEETING_ID")
    recipients = parse_addresses(to, "--to")
    copies = parse_addresses(cc, "--cc")
    if not recipients:
        raise ParameterError("give at least one recipient with --to ADDR")
    from_address = parse_address(sender, "--from") if sender else None
    if smtp is not None and from_address is None:
        raise ParameterError(
            "--send needs a sender: give --from ADDR, from in the [mail] table of dossier.toml, "
            f"or {SETTING_VARIABLES['from']}"
        )
    if attach not in ATTACH_CHOICES:
        raise ParameterError(f"--attach {attach!r}: use {', '.join(ATTACH_CHOICES)}")
    return recipients, copies, from_address


def _render(case_ids, meeting, data_dir, out_dir, options, workers, strict, mapping):
    """Render what is missing or stale through the batch runner; MailError if any failed.

    Returns the registry, the chosen cases, the render options (a meeting's) and the report.
    """
    from ..data.validate import load
    from ..resources import data_dir as resolve_data_dir
    from ..run.batch import meeting_options, run_batch
    from ..run.job import RenderOptions, check_compare_with
    from ..run.selection import select_cases

    options = options or RenderOptions()
    check_compare_with(options, Path(out_dir))
    data = resolve_data_dir(data_dir)
    registry = load(data, strict=strict, mapping=mapping)
    chosen = select_cases(registry, case_ids, meeting=meeting)
    options = meeting_options(registry, meeting, options)
    out = Path(out_dir)
    report = run_batch(
        chosen,
        registry=registry,
        data_dir=data,
        out_dir=out,
        options=options,
        workers=workers,
        meeting=meeting,
    )
    failed = [r for r in report.results if r.status == Status.FAILED]
    if failed:
        lines = "\n".join(f"  {(r.error or r.case_id).splitlines()[0]}" for r in failed)
        raise MailError(f"no message built: {len(failed)} dossier(s) failed to render:\n{lines}")
    return registry, chosen, options, report


def _letter(registry, chosen, meeting, report, options, attach, subject):
    """What the message says: the meeting's agenda with its pack, or the cases' summaries."""
    files = {r.case_id: r.outputs for r in report.results}
    if meeting:
        pack = (report.meeting_pack or {}).get("pdf")
        if not pack:
            raise MailError(f"no message built: the meeting pack of {meeting} was not made")
        return meeting_letter(registry, meeting, pack, files, options.parameters, views=report.views,
                              attach=attach, subject=subject)  # fmt: skip
    # Each case as its own dossier shows it: the batch compared it once, the mail says the same.
    return case_letter(registry, [report.views[c] for c in chosen], files, attach=attach, subject=subject)


def _queue_or_send(message, stem: str, digest: str, out: Path, smtp: SmtpSettings | None):
    """Put the message in the outbox and, with ``smtp``, send it; unless it was sent before."""
    from ..run.output import output_lock

    with output_lock(out):
        path, state = queue(message, stem, digest, out)
        if state == "sent":
            return Delivery(sent=(path,), notes=(f"the same message was sent before: {path}",))
        if smtp is None:
            notes = (
                ("the same draft is in the outbox from an earlier run",)
                if state == "waiting"
                else ()
            )
            return Delivery(waiting=(path,), notes=notes)
        return send_messages([path], smtp, out)


def send_outbox(out_dir: str | Path, smtp: SmtpSettings) -> Delivery:
    """Send every message waiting in ``out_dir/outbox/`` (drafts from earlier runs too)."""
    from ..run.output import output_lock

    out = Path(out_dir)
    with output_lock(out):
        waiting = outbox_messages(out)
        if not waiting:
            return Delivery(notes=(f"nothing to send: {out / OUTBOX} is empty",))
        return send_messages(waiting, smtp, out)
