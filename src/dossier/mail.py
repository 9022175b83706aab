"""Share dossiers by email: ready ``.eml`` drafts, or sending through the council's SMTP server.

:func:`mail_dossiers` reads as the story of one mailing: check every address
(and, to send, the SMTP settings) before anything else, render what is missing
or stale through the batch runner, build one MIME message for the recipient
list (the decision summary as plain text and HTML, the dossiers or the meeting
pack attached), put it in ``<out>/outbox/``, and with ``send`` hand it to the
server. A message moves to ``<out>/sent/`` only after the server accepted it;
one that fails stays in the outbox, and the next run sends it, once.

What a message says is :mod:`dossier.letter`'s; where it waits and how it is
sent, :mod:`dossier.outbox`'s. This module tells the story and gives the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Sequence
from email import policy
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MailError, ParameterError
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
    PASSWORD_VARIABLE,
    SETTING_VARIABLES,
    TLS_MODES,
    Delivery,
    SmtpSettings,
    mail_setting,
    outbox_messages,
    queue,
    read_config,
    send_messages,
    smtp_settings,
)

if TYPE_CHECKING:
    from .job import RenderOptions

#: The largest message built, in bytes as sent (attachments base64-encoded).
DEFAULT_MAX_SIZE = 10_000_000
ATTACH_CHOICES = ("pdf", "html", "both")

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
        :class:`~dossier.job.RenderOptions`; language, as-of date and inactivity threshold.
    max_size
        The largest message in bytes, attachments encoded.
    smtp
        Send through this server; None writes a draft only.
    workers
        Worker processes for rendering (default: the number of cores).

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
    from .batch import run_batch, select_cases
    from .job import RenderOptions, output_lock
    from .resources import data_dir as resolve_data_dir
    from .validate import load

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
    options = options or RenderOptions()
    data = resolve_data_dir(data_dir)
    registry = load(data)
    chosen = select_cases(registry, case_ids, meeting=meeting)
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
    failed = [r for r in report.results if r.status == "failed"]
    if failed:
        lines = "\n".join(f"  {(r.error or r.case_id).splitlines()[0]}" for r in failed)
        raise MailError(f"no message built: {len(failed)} dossier(s) failed to render:\n{lines}")
    files = {r.case_id: r.outputs for r in report.results}
    common = {"lang": options.lang, "as_of": options.day, "attach": attach, "subject": subject}
    if meeting:
        pack = (report.meeting_pack or {}).get("pdf")
        if not pack:
            raise MailError(f"no message built: the meeting pack of {meeting} was not made")
        letter = meeting_letter(registry, meeting, pack, files, **common)
    else:
        letter = case_letter(
            registry, chosen, files, inactive_months=options.inactive_months, **common
        )
    message, digest = compose(letter, to=recipients, cc=copies, sender=from_address)
    check_size(message.as_bytes(policy=policy.SMTP), max_size, meeting=bool(meeting))
    with output_lock(out):
        path, state = queue(message, letter.stem, digest, out)
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
    from .job import output_lock

    out = Path(out_dir)
    with output_lock(out):
        waiting = outbox_messages(out)
        if not waiting:
            return Delivery(notes=(f"nothing to send: {out / OUTBOX} is empty",))
        return send_messages(waiting, smtp, out)


# -- the command line -------------------------------------------------------------------------


def message_size(value: str) -> int:
    """``--max-size``: ``10MB``, ``500kB``, ``2000000B``; a bare number is megabytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb)?\s*", value, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a size (use e.g. 10MB, 500kB or 2000000B)"
        )
    unit = {"b": 1, "k": 1000, "kb": 1000, "m": 1_000_000, "mb": 1_000_000}[
        (match.group(2) or "mb").lower()
    ]
    size = int(float(match.group(1)) * unit)
    if size < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: the size must be above 0")
    return size


def add_mail_parser(commands) -> argparse.ArgumentParser:
    """Add the ``mail`` command to the ``dossier`` command line's sub-parsers."""
    from .cli import add_data_option, iso_day, positive

    mail = commands.add_parser(
        "mail",
        help="email dossiers: .eml drafts in <out>/outbox/, or --send through SMTP",
        description=(
            "Render what is missing or stale, then build one email message for the recipients: "
            "the decision summary as text and HTML, the dossier attached. Without --send it is "
            "written as an .eml draft to <out>/outbox/; with --send it goes through SMTP and moves "
            "to <out>/sent/. --send alone sends what waits in the outbox."
        ),
    )
    mail.add_argument(
        "case_ids", nargs="*", metavar="CASE_ID", help="cases to mail, e.g. RUN/168/2020"
    )
    mail.add_argument(
        "--meeting",
        metavar="MEETING_ID",
        help="mail this meeting's agenda with a summary line per case, and its meeting pack",
    )
    mail.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="ADDR",
        help="recipient, e.g. 'Anna Åberg <anna@example.se>'; repeat, or separate with commas",
    )
    mail.add_argument(
        "--cc", action="append", default=[], metavar="ADDR", help="copy to; repeat for more"
    )
    mail.add_argument(
        "--from",
        dest="sender",
        default=None,
        metavar="ADDR",
        help=f"sender (default: from in dossier.toml [mail], or {SETTING_VARIABLES['from']}); needed with --send",
    )
    mail.add_argument(
        "--subject",
        default=None,
        metavar="TEXT",
        help="subject (default: '[CASE_ID] title – ärendesammanfattning', in --lang)",
    )
    mail.add_argument(
        "--attach",
        choices=ATTACH_CHOICES,
        default="pdf",
        help="attach each dossier's PDF (default), its self-contained HTML, or both",
    )
    mail.add_argument(
        "--max-size",
        type=message_size,
        default=DEFAULT_MAX_SIZE,
        metavar="SIZE",
        help="refuse a message larger than this, attachments encoded: 10MB, 500kB; a bare number is MB (default 10MB)",
    )
    mail.add_argument(
        "--send",
        action="store_true",
        help="send through SMTP instead of writing a draft; a failed message stays in the outbox",
    )
    add_data_option(mail)
    mail.add_argument(
        "--out",
        default="dossiers",
        metavar="DIR",
        help="output folder: dossiers, outbox/ and sent/ (default dossiers/)",
    )
    mail.add_argument(
        "--lang",
        default="sv",
        choices=("sv", "en"),
        help="message and dossier language (default sv)",
    )
    mail.add_argument(
        "--as-of",
        type=iso_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date the dossiers speak for (default today)",
    )
    mail.add_argument(
        "--inactive-months",
        type=positive,
        default=6,
        metavar="N",
        help="flag a case as inactive after N months without an event (default 6)",
    )
    mail.add_argument(
        "--workers",
        type=positive,
        default=None,
        metavar="N",
        help="dossiers rendered at once (default: the number of cores)",
    )
    smtp = mail.add_argument_group(
        "SMTP (with --send)",
        "Each option falls back to the [mail] table of dossier.toml (in the current folder, "
        "else the data folder), then to an environment variable (DOSSIER_SMTP_HOST, _PORT, _TLS, "
        f"_USER, _CA_FILE, _TIMEOUT). The password is read only from {PASSWORD_VARIABLE}.",
    )
    smtp.add_argument("--smtp-host", default=None, metavar="HOST", help="the SMTP server")
    smtp.add_argument(
        "--smtp-port",
        type=int,
        default=None,
        metavar="PORT",
        help="its port (default 587 for starttls, 465 for ssl, 25 for none)",
    )
    smtp.add_argument(
        "--tls",
        choices=TLS_MODES,
        default=None,
        help="starttls (default), ssl (TLS from the start) or none (only without a login)",
    )
    smtp.add_argument(
        "--smtp-user",
        default=None,
        metavar="USER",
        help=f"log in as USER with the password in {PASSWORD_VARIABLE}",
    )
    smtp.add_argument(
        "--ca-file",
        default=None,
        metavar="FILE",
        help="trust the CA certificates in this PEM file (a private CA) instead of the system's",
    )
    smtp.add_argument(
        "--smtp-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds to wait for the server at each step (default 30); then the message stays in the outbox",
    )
    return mail


def run_mail(args: argparse.Namespace) -> int:
    """Carry out ``dossier mail``: print where each message lies; exit 1 if one was not sent."""
    import sys

    from .job import RenderOptions
    from .resources import data_dir as resolve_data_dir

    flush = args.send and not (args.case_ids or args.meeting or args.to or args.cc)
    if not flush:
        # Every address is checked before any file is read or rendered.
        parse_addresses(args.to, "--to")
        parse_addresses(args.cc, "--cc")
        if args.sender:
            parse_address(args.sender, "--from")
    data = resolve_data_dir(args.data)
    config, _ = read_config([Path.cwd(), data])
    sender = mail_setting("from", args.sender, config)
    smtp = None
    if args.send:
        smtp = smtp_settings(
            {
                "host": args.smtp_host,
                "port": args.smtp_port,
                "tls": args.tls,
                "user": args.smtp_user,
                "ca_file": args.ca_file,
                "timeout": args.smtp_timeout,
            },
            config,
        )
    if flush:
        delivery = send_outbox(args.out, smtp)
    else:
        options = RenderOptions(
            lang=args.lang,
            as_of=args.as_of or dt.date.today(),
            inactive_months=args.inactive_months,
        )
        delivery = mail_dossiers(
            args.case_ids,
            meeting=args.meeting,
            to=args.to,
            cc=args.cc,
            sender=str(sender) if sender else None,
            subject=args.subject,
            attach=args.attach,
            data_dir=data,
            out_dir=args.out,
            options=options,
            max_size=args.max_size,
            smtp=smtp,
            workers=args.workers,
        )
    for note in delivery.notes:
        print(f"dossier: {note}", file=sys.stderr)
    for path in (*delivery.sent, *(() if delivery.errors else delivery.waiting)):
        print(path)
    if delivery.errors:
        raise MailError("\n".join(delivery.errors))
    return 0
