"""Share dossiers by email: ready ``.eml`` drafts, or sending through the council's SMTP server.

:func:`mail_dossiers` reads as the story of one mailing: check every address
(and, to send, the SMTP settings) before anything else, render what is missing
or stale through the batch runner, build one MIME message for the recipient
list (the decision summary as plain text and HTML, the dossiers or the meeting
pack attached), put it in ``<out>/outbox/``, and with ``send`` hand it to the
server. A message moves to ``<out>/sent/`` only after the server accepted it;
one that fails stays in the outbox, and the next run sends it, once.

The SMTP password comes only from the environment variable
``DOSSIER_SMTP_PASSWORD``: never an option, never in a file, never printed.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import re
import smtplib
import ssl
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MailError, ParameterError

if TYPE_CHECKING:
    from .analysis import DecisionSummary
    from .job import RenderOptions
    from .model import CaseFile, Registry

OUTBOX = "outbox"
SENT = "sent"
CONFIG_FILE = "dossier.toml"
PASSWORD_VARIABLE = "DOSSIER_SMTP_PASSWORD"
#: The largest message built, in bytes as sent (attachments base64-encoded).
DEFAULT_MAX_SIZE = 10_000_000
ATTACH_CHOICES = ("pdf", "html", "both")
TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
#: Settings keys of the ``[mail]`` table in dossier.toml, and their environment variables.
SETTING_VARIABLES = {
    "host": "DOSSIER_SMTP_HOST",
    "port": "DOSSIER_SMTP_PORT",
    "tls": "DOSSIER_SMTP_TLS",
    "user": "DOSSIER_SMTP_USER",
    "ca_file": "DOSSIER_SMTP_CA_FILE",
    "timeout": "DOSSIER_SMTP_TIMEOUT",
    "from": "DOSSIER_MAIL_FROM",
}
#: Outlook opens a draft with this header as a message to edit and send, not as a received one.
DRAFT_MARKER = "X-Unsent"

# Line breaks and other control characters (C0, DEL, C1, Unicode line and paragraph
# separators): none may reach a header, where a line break would start a new header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)
_NAMED = re.compile(r'\s*(?P<name>"(?:[^"\\]|\\.)*"|[^<>"]*?)\s*<(?P<spec>[^<>]*)>\s*')
_FILE_NAME_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')


# -- addresses and header text ----------------------------------------------------------------


def header_text(value: str) -> str:
    """``value`` as safe header text: control characters and line breaks become one space.

    A case title is data; this keeps a title such as ``"x\\nBcc: y@z"`` inside the
    subject as plain words instead of a header of its own.
    """
    return " ".join(_CONTROL.sub(" ", value).split())


def parse_address(value: str, option: str = "--to") -> Address:
    """One address, ``anna@example.se`` or ``Anna Åberg <anna@example.se>``; strict.

    The domain may hold å/ä/ö (it is IDNA-encoded); the part before ``@`` must be
    plain ASCII. Raises ParameterError naming the option, the value and the fix.
    """
    shown = f"{option} {value!r}"
    if _CONTROL.search(value):
        raise ParameterError(f"{shown}: an address may not hold a line break or control character")
    match = _NAMED.fullmatch(value)
    name, spec = (
        (match.group("name"), match.group("spec").strip()) if match else ("", value.strip())
    )
    if name.startswith('"'):
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    local, at, domain = spec.rpartition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if domain else ""
    except UnicodeError:
        ascii_domain = ""
    if not at or not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(ascii_domain):
        raise ParameterError(
            f"{shown} is not an email address (use name@example.se or "
            f"'Name <name@example.se>'; one address per option, or several separated by commas)"
        )
    try:
        return Address(display_name=name.strip(), username=local, domain=ascii_domain.lower())
    except (ValueError, IndexError) as exc:
        raise ParameterError(f"{shown} is not a valid address ({exc})") from None


def parse_addresses(values: Sequence[str], option: str = "--to") -> tuple[Address, ...]:
    """Every address in ``values``; each value may hold several, separated by commas."""
    found = []
    for value in values:
        for part in _split_list(value):
            if part.strip():
                found.append(parse_address(part.strip(), option))
    unique: dict[str, Address] = {}
    for address in found:
        unique.setdefault(address.addr_spec.lower(), address)
    return tuple(unique.values())


def _split_list(value: str) -> list[str]:
    """Split at commas outside double quotes (a display name may be "Åberg, Anna")."""
    parts, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


# -- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password is not here: it is read from the environment.

    Attributes
    ----------
    host, port
        The SMTP server; the port defaults by ``tls`` (587, 465 or 25).
    tls
        ``"starttls"`` (upgrade a plain connection), ``"ssl"`` (TLS from the start)
        or ``"none"`` (only without a login: a password never goes out unencrypted).
    user
        The login name, or None to send without logging in.
    ca_file
        A PEM file of CA certificates to trust instead of the system's (a private CA).
    timeout
        Seconds to wait for the server at each step.
    """

    host: str
    port: int | None = None
    tls: str = "starttls"
    user: str | None = None
    ca_file: Path | None = None
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not self.host or _CONTROL.search(self.host):
            raise ParameterError("--smtp-host: give the SMTP server's name, e.g. smtp.example.se")
        if self.tls not in TLS_MODES:
            raise ParameterError(f"--tls {self.tls!r}: use {', '.join(TLS_MODES)}")
        if self.port is None:
            object.__setattr__(self, "port", DEFAULT_PORTS[self.tls])
        if not 0 < self.port < 65536:
            raise ParameterError(f"--smtp-port {self.port}: use a port from 1 to 65535")
        if self.timeout <= 0:
            raise ParameterError(f"--smtp-timeout {self.timeout}: use a number of seconds above 0")
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            raise ParameterError(
                f"--ca-file {self.ca_file}: no such file (give a PEM file of CA certificates)"
            )
        if self.user and self.tls == "none":
            raise ParameterError(
                "--tls none with a login would send the password unencrypted; use --tls starttls or ssl"
            )

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def read_config(folders: Sequence[Path]) -> tuple[dict[str, object], Path | None]:
    """The ``[mail]`` table of the first ``dossier.toml`` found in ``folders``, and its path."""
    for folder in folders:
        path = Path(folder) / CONFIG_FILE
        if not path.is_file():
            continue
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("mail", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ParameterError(f"{path}: cannot read it ({exc})") from None
        if not isinstance(table, dict):
            raise ParameterError(f"{path}: [mail] must be a table of settings")
        if "password" in table:
            raise ParameterError(
                f"{path}: [mail] holds a password; remove it and set {PASSWORD_VARIABLE} instead"
            )
        unknown = sorted(set(table) - set(SETTING_VARIABLES))
        if unknown:
            raise ParameterError(
                f"{path}: [mail] has unknown key {unknown[0]!r} (known: {', '.join(SETTING_VARIABLES)})"
            )
        if table.get("ca_file"):
            table["ca_file"] = str(path.parent / str(table["ca_file"]))
        return table, path
    return {}, None


def mail_setting(
    name: str,
    option: object,
    config: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
) -> object:
    """One setting: the option if given, else dossier.toml's ``[mail]``, else the environment."""
    if option not in (None, ""):
        return option
    if config.get(name) not in (None, ""):
        return config[name]
    environ = os.environ if environ is None else environ
    return environ.get(SETTING_VARIABLES[name]) or None


def smtp_settings(
    options: Mapping[str, object],
    config: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
) -> SmtpSettings:
    """The SMTP settings from options, dossier.toml and the environment, in that order.

    Parameters
    ----------
    options
        ``host``, ``port``, ``tls``, ``user``, ``ca_file``, ``timeout`` as given on the
        command line (None where not given).
    config
        The ``[mail]`` table of dossier.toml (see :func:`read_config`).
    environ
        The environment (default ``os.environ``).

    Raises
    ------
    ParameterError
        No host, a bad port or TLS mode, a CA file that is missing, or a user without
        a password in ``DOSSIER_SMTP_PASSWORD``.
    """
    environ = os.environ if environ is None else environ

    def get(name: str) -> object:
        return mail_setting(name, options.get(name), config, environ)

    host = get("host")
    if not host:
        raise ParameterError(
            "--send needs an SMTP server: give --smtp-host, host in the [mail] table of "
            f"dossier.toml, or {SETTING_VARIABLES['host']}"
        )
    port, timeout = get("port"), get("timeout")
    try:
        port = int(port) if port is not None else None
        timeout = float(timeout) if timeout is not None else 30.0
    except (TypeError, ValueError):
        raise ParameterError(
            f"SMTP port {port!r} or timeout {timeout!r} is not a number (e.g. port 587, timeout 30)"
        ) from None
    user = get("user")
    ca_file = get("ca_file")
    settings = SmtpSettings(
        host=str(host).strip(),
        port=port,
        tls=str(get("tls") or "starttls").lower(),
        user=str(user) if user else None,
        ca_file=Path(str(ca_file)).expanduser() if ca_file else None,
        timeout=timeout,
    )
    if settings.user and not environ.get(PASSWORD_VARIABLE):
        raise ParameterError(
            f"SMTP user {settings.user!r} needs a password: set the environment variable "
            f"{PASSWORD_VARIABLE} (it is read from there only)"
        )
    return settings


# -- what the message says --------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Letter:
    """A message's content before it is a MIME message: subject, both bodies, attachments."""

    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...]
    lang: str
    stem: str  # the outbox file name's start: a slug


def attachment_name(slug: str, title: str, extension: str) -> str:
    """A readable file name, ``RUN-168-2020 Länsgemensam påverkansagenda.pdf``.

    Characters that a file system or mail client refuses become ``-``; å/ä/ö stay
    (the header carries them by RFC 2231).
    """
    words = _FILE_NAME_UNSAFE.sub("-", header_text(title)).strip(" .-")
    if len(words) > 80:
        words = words[:80].rsplit(" ", 1)[0].rstrip(" .-") or words[:80]
    return f"{slug} {words}.{extension}" if words else f"{slug}.{extension}"


def case_view(case_file: CaseFile, summary: DecisionSummary, lang: str, as_of: dt.date) -> dict:
    """What the message shows of one case: the header facts and the decision summary."""
    from .catalogue import label, text
    from .dates import format_day
    from .sections import _duration

    case = case_file.case
    facts = [
        (text("field.status", lang), label("status", case.status, lang)),
        (text("field.owner", lang), case_file.forum_name(case.owner_forum_id) or "–"),
        (text("field.responsible", lang), case.responsible or "–"),
        (text("field.opened", lang), case.opened.format(lang)),
        (text("field.as_of", lang), format_day(as_of, lang)),
    ]
    activity = text(
        "phrase.inactive" if summary.inactivity.inactive else "phrase.active",
        lang,
        length=_duration(summary.inactivity.months, lang),
        limit=summary.inactivity.threshold,
    )
    pending = None
    if summary.pending:
        event = summary.pending.event
        when = event.date.format(lang)
        if event.forum_id:
            when += f", {case_file.forum_name(event.forum_id)}"
        pending = {"title": event.title, "when": when, "points": list(summary.pending.points)}
    decisions = [
        {
            "date": d.event.date.format(lang),
            "kind": label("kind", d.event.kind, lang),
            "forum": d.forum or "–",
            "paragraph": d.paragraph or "–",
            "title": d.event.title,
        }
        for d in summary.decisions
    ]
    if summary.next_meeting:
        m = summary.next_meeting.meeting
        when = format_day(m.day, lang) + (f" {m.time}" if m.time else "")
        next_meeting = f"{case_file.forum_name(m.forum_id)}, {when}, {text('field.item', lang).lower()} {summary.next_meeting.item}"
    else:
        next_meeting = text("phrase.no_next_meeting", lang)
    return {
        "case_id": case.case_id,
        "title": case.title,
        "facts": facts,
        "sentence": summary.sentence,
        "activity": activity,
        "inactive": summary.inactivity.inactive,
        "pending": pending,
        "decisions": decisions,
        "next_meeting": next_meeting,
    }


def _labels(lang: str) -> dict[str, object]:
    from .catalogue import text

    return {
        "pending_heading": text("heading.pending", lang),
        "no_pending": text("phrase.no_pending", lang),
        "decisions_heading": text("heading.decisions", lang),
        "no_decisions": text("phrase.no_decisions", lang),
        "decision_columns": [
            text(f"field.{k}", lang) for k in ("date", "kind", "forum", "paragraph", "event")
        ],
        "next_meeting_label": text("field.next_meeting", lang),
        "attachments_label": text("mail.attachments", lang),
        "agenda_heading": text("pack.agenda", lang),
        "agenda_columns": [text(f"field.{k}", lang) for k in ("item", "case_id", "summary")],
    }


def _footer(lang: str, as_of: dt.date) -> str:
    from . import __version__
    from .catalogue import text
    from .dates import format_day

    return text("mail.footer", lang, as_of=format_day(as_of, lang), version=__version__)


def case_letter(
    registry: Registry,
    case_ids: Sequence[str],
    files: Mapping[str, Mapping[str, str]],
    *,
    lang: str,
    as_of: dt.date,
    inactive_months: int,
    attach: str,
    subject: str | None,
) -> Letter:
    """The message for one or more cases: each case's summary, each dossier attached.

    ``files`` maps each case ID to its rendered files (``{"pdf": path, "html": path}``).
    """
    from .analysis import summarise
    from .catalogue import text
    from .job import slugify

    cases = []
    attachments = []
    for case_id in case_ids:
        case_file = registry.case_file(case_id)
        summary = summarise(case_file, as_of, inactive_months, lang)
        cases.append(case_view(case_file, summary, lang, as_of))
        attachments += _dossier_files(
            slugify(case_id), case_file.case.title, files[case_id], attach
        )
    first = cases[0]
    if len(cases) == 1:
        default_subject = text(
            "mail.subject_case", lang, case_id=first["case_id"], title=first["title"]
        )
        intro = text("mail.intro_case", lang)
    else:
        ids = ", ".join(c["case_id"] for c in cases[:3])
        if len(cases) > 3:
            ids = text("mail.more_cases", lang, ids=ids)
        default_subject = text("mail.subject_cases", lang, case_ids=ids, n=len(cases))
        intro = text("mail.intro_cases", lang, n=len(cases))
    view = {
        "lang": lang,
        "subject": header_text(subject or default_subject),
        "intro": intro,
        "cases": cases,
        "meeting": None,
        "attachments": [a.filename for a in attachments],
        "footer": _footer(lang, as_of),
        **_labels(lang),
    }
    stem = slugify(case_ids[0]) + (f"-and-{len(case_ids) - 1}-more" if len(case_ids) > 1 else "")
    return _letter(view, attachments, lang, stem)


def meeting_letter(
    registry: Registry,
    meeting_id: str,
    pack_pdf: str,
    files: Mapping[str, Mapping[str, str]],
    *,
    lang: str,
    as_of: dt.date,
    attach: str,
    subject: str | None,
) -> Letter:
    """The message for a meeting: its agenda with one summary line per case, the pack attached.

    ``attach`` ``"pdf"`` attaches the meeting pack; ``"html"`` each case's HTML
    dossier instead; ``"both"`` all of them.
    """
    from .analysis import status_sentence
    from .catalogue import text
    from .dates import format_day
    from .job import slugify

    meeting = registry.meeting(meeting_id)
    forum = registry.forum(meeting.forum_id)
    forum_name = forum.name if forum else meeting.forum_id
    when = format_day(meeting.day, lang) + (f" {meeting.time}" if meeting.time else "")
    title = text("pack.title", lang, meeting=meeting.title or f"{forum_name} {when}")
    facts = [(text("field.forum", lang), forum_name), (text("field.date", lang), when)]
    if meeting.location:
        facts.append((text("field.location", lang), meeting.location))
    agenda = []
    attachments = []
    slug = slugify(meeting_id)
    if attach in ("pdf", "both"):
        name = attachment_name(slug, f"{forum_name} {meeting.day.isoformat()}", "pdf")
        attachments.append(_file_attachment(pack_pdf, name, "pdf"))
    for item in registry.agenda_items(meeting_id=meeting_id):
        case_file = registry.case_file(item.case_id)
        item_title = item.title or case_file.case.title
        agenda.append(
            {
                "item": item.item,
                "case_id": item.case_id,
                "title": item_title,
                "sentence": status_sentence(case_file, lang),
            }
        )
        if attach in ("html", "both"):
            attachments += _dossier_files(
                slugify(item.case_id), case_file.case.title, files[item.case_id], "html"
            )
    view = {
        "lang": lang,
        "intro": text("mail.intro_meeting", lang),
        "cases": [],
        "subject": header_text(
            subject or text("mail.subject_meeting", lang, meeting_id=meeting_id, title=title)
        ),
        "meeting": {"title": title, "facts": facts, "agenda": agenda},
        "attachments": [a.filename for a in attachments],
        "footer": _footer(lang, as_of),
        **_labels(lang),
    }
    return _letter(view, attachments, lang, f"meeting-{slug}")


def _letter(view: dict, attachments: list, lang: str, stem: str) -> Letter:
    """The message's two bodies from one view: plain text, and HTML through the mail template."""
    from .pages import render_page

    return Letter(view["subject"], plain_text(view), render_page("mail/message.html.j2", view),
                  tuple(attachments), lang, stem)  # fmt: skip


def _dossier_files(
    slug: str, title: str, files: Mapping[str, str], attach: str
) -> list[Attachment]:
    kinds = ("pdf", "html") if attach == "both" else (attach,)
    return [
        _file_attachment(files[kind], attachment_name(slug, title, kind), kind) for kind in kinds
    ]


def _file_attachment(path: str | Path, filename: str, kind: str) -> Attachment:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MailError(f"cannot attach {path}: {exc.strerror}") from None
    mime = ("application", "pdf") if kind == "pdf" else ("text", "html")
    return Attachment(filename, *mime, data)


def plain_text(view: dict) -> str:
    """The plain-text body: the same content as the HTML body, for clients that show text."""
    import textwrap

    def para(text: str, indent: str = "") -> str:
        return textwrap.fill(
            text,
            76,
            initial_indent=indent,
            subsequent_indent=indent or "",
            break_long_words=False,
            break_on_hyphens=False,
        )

    out = [para(view["intro"]), ""]
    meeting = view["meeting"]
    if meeting:
        out += [meeting["title"], "-" * min(len(meeting["title"]), 76)]
        out += [f"{name}: {value}" for name, value in meeting["facts"]]
        out += ["", view["agenda_heading"], ""]
        for row in meeting["agenda"]:
            out += [
                para(header_text(f"{row['item']}. {row['case_id']} – {row['title']}")),
                para(row["sentence"], "   "),
                "",
            ]
    for case in view["cases"]:
        heading = header_text(f"{case['case_id']} – {case['title']}")
        out += [heading, "-" * min(len(heading), 76)]
        out += [f"{name}: {value}" for name, value in case["facts"]]
        out += [
            "",
            para(case["sentence"]),
            para(("⚠ " if case["inactive"] else "") + case["activity"]),
            "",
        ]
        out += [view["pending_heading"]]
        if case["pending"]:
            out += [para(f"{case['pending']['title']} ({case['pending']['when']})")]
            out += [para(f"{n}. {point}", "   ") for n, point in case["pending"]["points"]]
        else:
            out += [view["no_pending"]]
        out += ["", view["decisions_heading"]]
        if case["decisions"]:
            out += [
                para(f"- {d['date']}, {d['kind']}, {d['forum']}, {d['paragraph']}: {d['title']}")
                for d in case["decisions"]
            ]
        else:
            out += [view["no_decisions"]]
        out += ["", f"{view['next_meeting_label']}: {case['next_meeting']}", ""]
    out += [
        f"{view['attachments_label']}: {', '.join(view['attachments'])}",
        "",
        "-- ",
        para(view["footer"]),
    ]
    return "\n".join(out) + "\n"


# -- the MIME message -------------------------------------------------------------------------


def compose(
    letter: Letter,
    *,
    to: Sequence[Address],
    cc: Sequence[Address] = (),
    sender: Address | None = None,
    now: dt.datetime | None = None,
) -> tuple[EmailMessage, str]:
    """The standard MIME message of ``letter``, and a digest of its content.

    ``multipart/mixed``: a ``multipart/alternative`` of plain text and HTML (both
    UTF-8, quoted-printable), then the attachments (base64). Headers are
    RFC 2047-encoded and file names RFC 2231-encoded by :mod:`email`'s policy. The
    digest covers everything but Date and Message-ID, so the same content gives
    the same outbox file name on every run.
    """
    digest = hashlib.sha256()
    envelope = {
        "from": str(sender or ""),
        "to": [str(a) for a in to],
        "cc": [str(a) for a in cc],
        "subject": letter.subject,
        "lang": letter.lang,
    }
    digest.update(json.dumps(envelope, ensure_ascii=False).encode("utf-8"))
    for part in (letter.text, letter.html):
        digest.update(b"\0" + part.encode("utf-8"))
    for a in letter.attachments:
        digest.update(b"\0" + a.filename.encode("utf-8") + b"\0" + hashlib.sha256(a.data).digest())
    content_digest = digest.hexdigest()

    message = EmailMessage(policy=policy.SMTP)
    if sender is not None:
        message["From"] = sender
    message["To"] = list(to)
    if cc:
        message["Cc"] = list(cc)
    message["Subject"] = header_text(letter.subject)
    message["Date"] = format_datetime((now or dt.datetime.now(dt.UTC)).astimezone())
    domain = sender.domain if sender is not None else "dossier.invalid"
    message["Message-ID"] = make_msgid(idstring=content_digest[:12], domain=domain)
    message.set_content(letter.text, subtype="plain", cte="quoted-printable")
    message.add_alternative(letter.html, subtype="html", cte="quoted-printable")
    for a in letter.attachments:
        message.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    message["Content-Language"] = letter.lang  # after set_content, which clears Content-*
    for part in message.iter_parts():
        del part["MIME-Version"]  # only the top level carries it
        for inner in part.iter_parts():
            del inner["MIME-Version"]
        if part.get_content_disposition() == "attachment":
            # Older Outlook reads the name from Content-Type, not Content-Disposition.
            part.set_param("name", part.get_filename())
            if part.get_content_maintype() == "text":
                part.set_param("charset", "utf-8")
    return message, content_digest


def check_size(data: bytes, max_size: int, *, meeting: bool) -> None:
    """Raise MailError when a message is over ``max_size`` bytes, saying what to do instead."""
    if len(data) <= max_size:
        return
    if meeting:
        hint = (
            "attach the dossiers' self-contained HTML instead of the meeting pack (--attach html)"
        )
    else:
        hint = (
            "mail the meeting pack instead (--meeting MEETING_ID: one combined PDF), "
            "or attach the self-contained HTML only (--attach html)"
        )
    raise MailError(
        f"the message is {_megabytes(len(data))}, over the limit of {_megabytes(max_size)} "
        f"(--max-size); {hint}, or mail fewer cases at a time, "
        "or raise --max-size if the mail server takes larger messages"
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB" if size >= 10_000 else f"{size} bytes"


# -- outbox and sending -----------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What became of the messages of one run.

    Attributes
    ----------
    sent
        Messages in ``sent/``: the server accepted them (in this run or before).
    waiting
        Messages in ``outbox/``: drafts, or messages not sent yet.
    errors
        One line per message that could not be sent; empty when all went well.
    notes
        Things to tell the user that are not errors (a message sent earlier, say).
    """

    sent: tuple[Path, ...] = ()
    waiting: tuple[Path, ...] = ()
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def queue(message: EmailMessage, stem: str, digest: str, out_dir: Path) -> tuple[Path, str]:
    """Put ``message`` into ``out_dir/outbox/<stem>-<hash>.eml``, once.

    Returns the path where the message now lies and ``"new"``, ``"waiting"`` (the
    same content is already in the outbox: kept as it was) or ``"sent"`` (the same
    content was sent before: not queued again).
    """
    name = f"{stem}-{digest[:10]}.eml"
    outbox, sent = out_dir / OUTBOX, out_dir / SENT
    if (sent / name).is_file():
        return sent / name, "sent"
    if (outbox / name).is_file():
        return outbox / name, "waiting"
    outbox.mkdir(parents=True, exist_ok=True)
    draft = message.as_bytes(policy=policy.SMTP)
    header_end = draft.index(b"\r\n\r\n")
    # Marked as unsent only in the outbox copy; the marker is taken off before sending.
    draft = draft[:header_end] + f"\r\n{DRAFT_MARKER}: 1".encode("ascii") + draft[header_end:]
    _write_atomic(outbox / name, draft)
    return outbox / name, "new"


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def outbox_messages(out_dir: Path) -> list[Path]:
    """The messages waiting in ``out_dir/outbox/``, oldest first."""
    outbox = Path(out_dir) / OUTBOX
    if not outbox.is_dir():
        return []
    found = [p for p in outbox.glob("*.eml") if p.is_file() and not p.name.startswith(".")]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def without_draft_marker(data: bytes) -> bytes:
    """The message as it goes on the wire: without the draft-only ``X-Unsent`` header."""
    header_end = data.find(b"\r\n\r\n")
    if header_end < 0:
        return data
    lines = data[:header_end].split(b"\r\n")
    marker = DRAFT_MARKER.lower().encode("ascii") + b":"
    kept = [line for line in lines if not line.lower().startswith(marker)]
    return b"\r\n".join(kept) + data[header_end:]


def send_messages(paths: Sequence[Path], settings: SmtpSettings, out_dir: Path) -> Delivery:
    """Send each message of ``paths`` (files in the outbox) and move it to ``sent/``.

    A message moves only after the server accepted it; one that fails stays in the
    outbox with the server's answer in ``errors``. A message already in ``sent/``
    (a run that stopped between the two steps) is not sent again.
    """
    out_dir = Path(out_dir)
    sent_dir = out_dir / SENT
    password = (os.environ.get(PASSWORD_VARIABLE) or None) if settings.user else None
    sent, pending, notes = [], [], []
    for path in paths:
        if (sent_dir / path.name).is_file():
            path.unlink(missing_ok=True)
            sent.append(sent_dir / path.name)
            notes.append(f"{path.name} was sent before; not sent again")
        else:
            pending.append(path)
    if not pending:
        return Delivery(tuple(sent), (), (), tuple(notes))

    def stays(paths_left: Sequence[Path]) -> str:
        n = len(paths_left)
        where = ", ".join(str(p) for p in paths_left)
        return (
            f"{n} message{'s' if n != 1 else ''} stay{'s' if n == 1 else ''} in the outbox: {where}"
        )

    try:
        connection = _connect(settings, password)
    except MailError as exc:
        error = f"{exc}; {stays(pending)} (run the command again to send it)"
        return Delivery(
            tuple(sent), tuple(pending), (_mask(error, settings, password),), tuple(notes)
        )
    errors, waiting = [], []
    try:
        for index, path in enumerate(pending):
            try:
                accepted = _send_one(connection, path, settings)
            except _ConnectionLost as exc:
                left = pending[index:]
                waiting += left
                errors.append(_mask(f"{exc}; {stays(left)}", settings, password))
                break
            except MailError as exc:
                waiting.append(path)
                errors.append(_mask(f"{exc}; {stays([path])}", settings, password))
                continue
            wire, refused = accepted
            sent_dir.mkdir(parents=True, exist_ok=True)
            _write_atomic(sent_dir / path.name, wire)
            path.unlink(missing_ok=True)
            sent.append(sent_dir / path.name)
            if refused:
                errors.append(
                    _mask(
                        f"{path.name}: sent, but the server refused {_refusals(refused)}; the message is in "
                        f"{sent_dir / path.name} and will not be sent again",
                        settings,
                        password,
                    )
                )
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    return Delivery(tuple(sent), tuple(waiting), tuple(errors), tuple(notes))


class _ConnectionLost(MailError):
    """Raised when the connection drops mid-run: the messages left wait for the next run."""


def _connect(settings: SmtpSettings, password: str | None) -> smtplib.SMTP:
    """An SMTP connection, encrypted as the settings say and logged in; MailError naming the cause."""
    where = f"the SMTP server {settings.server}"
    context = None
    if settings.tls != "none":
        context = ssl.create_default_context(
            cafile=str(settings.ca_file) if settings.ca_file else None
        )
    connection = None
    try:
        if settings.tls == "ssl":
            connection = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        connection.ehlo()
        if settings.tls == "starttls":
            connection.starttls(context=context)
            connection.ehlo()
        if settings.user:
            _login(connection, settings.user, password or "")
        return connection
    except smtplib.SMTPAuthenticationError as exc:
        reason = f"{where} refused the login of user {settings.user!r} ({_answer(exc)}); check the user and {PASSWORD_VARIABLE}"
    except smtplib.SMTPNotSupportedError as exc:
        if "STARTTLS" in str(exc):
            fix = "use --tls ssl, or --tls none if the server takes mail without a login"
        elif "AUTH PLAIN" in str(exc):
            fix = "use a password of ASCII characters only"
        else:
            fix = "send without --smtp-user"
        reason = f"{where} does not support that ({exc}); {fix}"
    except ssl.SSLCertVerificationError as exc:
        reason = f"{where} has a certificate this computer does not trust ({exc.verify_message}); give the issuing CA with --ca-file"
    except ssl.SSLError as exc:
        reason = f"TLS with {where} failed ({exc.reason or exc}); check --tls (starttls on port 587, ssl on 465)"
    except smtplib.SMTPResponseException as exc:
        reason = f"{where} answered {_answer(exc)}"
    except (smtplib.SMTPException, OSError) as exc:
        reason = f"cannot reach {where} ({_os_reason(exc)}); check --smtp-host and --smtp-port and the network"
    if connection is not None:
        connection.close()
    raise MailError(f"cannot send: {reason}")


def _login(connection: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; AUTH PLAIN in UTF-8 (RFC 4616) when the user or password is not ASCII.

    smtplib encodes credentials as ASCII only, and a Swedish password may well hold å/ä/ö.
    """
    if (user + password).isascii():
        connection.login(user, password)
        return
    if not connection.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    if "PLAIN" not in connection.esmtp_features["auth"].upper().split():
        raise smtplib.SMTPNotSupportedError(
            "the password holds non-ASCII characters, which need AUTH PLAIN, and the server does not offer it"
        )
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8"))
    code, answer = connection.docmd("AUTH", "PLAIN " + token.decode("ascii"))
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, answer)


def _send_one(connection: smtplib.SMTP, path: Path, settings: SmtpSettings) -> tuple[bytes, dict]:
    """Send one outbox file as it is (less the draft marker); return the bytes and any refusals."""
    raw = path.read_bytes()
    headers = BytesParser(policy=policy.SMTP).parsebytes(raw, headersonly=True)
    senders = _header_addresses(headers, "From")
    recipients = [
        a.addr_spec for name in ("To", "Cc", "Bcc") for a in _header_addresses(headers, name)
    ]
    if not senders:
        raise MailError(f"{path.name} has no From address; build it again with --from ADDR")
    if not recipients:
        raise MailError(f"{path.name} has no recipients")
    if headers["Bcc"] is not None:
        raise MailError(
            f"{path.name} has a Bcc header, which would reach every recipient; remove it"
        )
    wire = without_draft_marker(raw)
    try:
        refused = connection.sendmail(senders[0].addr_spec, recipients, wire)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(
            f"{path.name}: the server refused every recipient: {_refusals(exc.recipients)}"
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(
            f"{path.name}: the server refused the sender {senders[0].addr_spec} ({_answer(exc)})"
        ) from None
    except smtplib.SMTPDataError as exc:
        raise MailError(f"{path.name}: the server refused the message ({_answer(exc)})") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _ConnectionLost(
            f"the connection to {settings.server} was lost while sending {path.name} ({_os_reason(exc)})"
        ) from None
    return wire, refused


def _header_addresses(headers, name: str) -> list[Address]:
    value = headers[name]
    if value is None:
        return []
    return [a for group in value.groups for a in group.addresses]


def _answer(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {' '.join(text.split())}"


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{addr}: {code} {msg.decode('utf-8', 'replace')}" for addr, (code, msg) in refused.items()
    )


def _os_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _mask(message: str, settings: SmtpSettings, password: str | None) -> str:
    """``message`` with the password, and the forms a server might echo it in, blanked out."""
    if not password:
        return message
    user = settings.user or ""
    forms = {
        password,
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
    }
    for form in sorted(forms, key=len, reverse=True):
        message = message.replace(form, "********")
    return message


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
