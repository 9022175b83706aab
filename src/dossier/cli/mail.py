"""``dossier mail``: the command's arguments, handed to :mod:`dossier.share.mail`."""

from __future__ import annotations

import argparse
import re
import sys

from ..catalogue import LANGUAGES
from ..content.parameters import DEFAULT_LANG
from ..errors import MailError
from ..share.settings import (
    ATTACH_CHOICES,
    DEFAULT_MAX_SIZE,
    LARGEST_MAX_SIZE,
    MAX_SMTP_TIMEOUT,
    PASSWORD_VARIABLE,
    SETTING_VARIABLES,
    TLS_MODES,
)
from .options import (
    MAX_WORKERS,
    MEETING_DAY,
    add_compare_option,
    add_data_option,
    add_inactive_months_option,
    add_notebooks_option,
    add_strict_option,
    iso_day,
    render_options,
    seconds,
    whole_number,
    worker_count,
)


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
    size = float(match.group(1)) * unit  # inf for a number too long to count: over the limit
    if not 1 <= size <= LARGEST_MAX_SIZE:
        raise argparse.ArgumentTypeError(
            f"{value!r}: use a size from 1B to {LARGEST_MAX_SIZE // 1_000_000}MB"
        )
    return int(size)


def add_mail_parser(commands) -> argparse.ArgumentParser:
    """Add the ``mail`` command to the ``dossier`` command line's sub-parsers."""
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
    _add_selection_options(mail)
    _add_message_options(mail)
    _add_render_options(mail)
    _add_smtp_options(mail)
    return mail


def _add_selection_options(mail: argparse.ArgumentParser) -> None:
    """Which dossiers to mail: cases by number, or a meeting's agenda."""
    mail.add_argument(
        "case_ids", nargs="*", metavar="CASE_ID", help="cases to mail, e.g. RUN/168/2020"
    )
    mail.add_argument(
        "--meeting",
        metavar="MEETING_ID",
        help="mail this meeting's agenda with a summary line per case, and its meeting pack",
    )


def _add_message_options(mail: argparse.ArgumentParser) -> None:
    """The message: its recipients, sender, subject, attachments, size; draft or send."""
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


def _add_render_options(mail: argparse.ArgumentParser) -> None:
    """How the dossiers to attach are rendered, and where they are written."""
    add_data_option(mail)
    add_strict_option(mail)
    mail.add_argument(
        "--out",
        default="dossiers",
        metavar="DIR",
        help="output folder: dossiers, outbox/ and sent/ (default dossiers/)",
    )
    mail.add_argument(
        "--lang",
        default=DEFAULT_LANG,
        choices=LANGUAGES,
        help=f"message and dossier language (default {DEFAULT_LANG})",
    )
    mail.add_argument(
        "--as-of",
        type=iso_day,
        default=None,
        metavar="YYYY-MM-DD",
        help=f"the date the dossiers speak for (default today; {MEETING_DAY})",
    )
    add_inactive_months_option(mail)
    add_compare_option(mail)
    add_notebooks_option(mail)
    mail.add_argument(
        "--workers",
        type=worker_count,
        default=None,
        metavar="N",
        help=f"dossiers rendered at once (default: the number of cores; at most {MAX_WORKERS})",
    )


def _add_smtp_options(mail: argparse.ArgumentParser) -> None:
    """The SMTP server and login used with ``--send``."""
    smtp = mail.add_argument_group(
        "SMTP (with --send)",
        "Each option falls back to the [mail] table of your own dossier.toml (in the current "
        "folder, else in $XDG_CONFIG_HOME/dossier/, by default ~/.config/dossier/; never the "
        "data folder's, which is ignored with a warning), then to an environment variable "
        "(DOSSIER_SMTP_HOST, _PORT, _TLS, _USER, _CA_FILE, _TIMEOUT). The password is read "
        f"only from {PASSWORD_VARIABLE}.",
    )
    smtp.add_argument("--smtp-host", default=None, metavar="HOST", help="the SMTP server")
    smtp.add_argument(
        "--smtp-port",
        type=whole_number(1, 65535),
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
        type=seconds(MAX_SMTP_TIMEOUT),
        default=None,
        metavar="SECONDS",
        help=f"seconds to wait for the server at each step (default 30, at most {MAX_SMTP_TIMEOUT:g}); then the message stays in the outbox",
    )


def run_mail(args: argparse.Namespace) -> int:
    from ..share.letter import parse_address, parse_addresses
    from ..share.mail import mail_dossiers, send_outbox
    from ..share.outbox import (
        data_folder_warning,
        mail_setting,
        read_config,
        settings_folders,
        smtp_settings,
    )

    """Carry out ``dossier mail``: print where each message lies; exit 1 if one was not sent."""
    from ..resources import data_dir as resolve_data_dir

    flush = args.send and not (args.case_ids or args.meeting or args.to or args.cc)
    # The dossiers' parameters, then every address, are checked before any file is read or rendered.
    options = None if flush else render_options(args)
    if not flush:
        parse_addresses(args.to, "--to")
        parse_addresses(args.cc, "--cc")
        if args.sender:
            parse_address(args.sender, "--from")
    data = resolve_data_dir(args.data)
    ignored = data_folder_warning(data)
    if ignored:
        print(f"dossier: warning: {ignored}", file=sys.stderr)
    config, _ = read_config(settings_folders(data))
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
            strict=args.strict,
            mapping=args.mapping,
        )
    for note in delivery.notes:
        print(f"dossier: {note}", file=sys.stderr)
    for path in (*delivery.sent, *(() if delivery.errors else delivery.waiting)):
        print(path)
    if delivery.errors:
        raise MailError("\n".join(delivery.errors))
    return 0
