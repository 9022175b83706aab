"""What a dossier mail says and how it is put together: addresses, the letter, the MIME message.

A letter is the decision summary of one case (or the agenda of one meeting)
as plain text and HTML, with the dossiers attached. Every address is checked
before anything is built, and nothing from the data reaches a header
unescaped: a title's line break becomes a space, never a new header, and an
encoded word in it (``=?utf-8?q?=0D=0ABcc:...?=``) stays text. The finished
message is read back from its bytes as a mail program reads it, and refused
unless its headers and recipients are the ones intended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from email import policy
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..data.text import without_bidi_controls
from ..errors import HeaderError, MailError, ParameterError

if TYPE_CHECKING:
    from ..content.parameters import DossierParameters
    from ..content.view import CaseView
    from ..data.model import Registry

# Line breaks and other control characters (C0, DEL, C1, Unicode line and paragraph
# separators): none may reach a header, where a line break would start a new header.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# An RFC 2047 encoded word opens with "=?". Python's mail parser decodes one wherever it stands,
# inside a word or a quoted display name too, and the Pythons affected by CVE-2024-6923 (3.11.7
# among them) write what it decodes, a CR LF included, onto the wire as it is. A word joiner
# (invisible) between "=" and "?" leaves no opener; the header shows the text as it was.
_ENCODED_WORD_OPENER = re.compile(r"=(?=\?)")
WORD_JOINER = "\u2060"
# RFC 5321 section 4.5.3.1: the longest local part, domain and address (path less its <>).
MAX_LOCAL_PART, MAX_DOMAIN, MAX_ADDRESS = 64, 255, 254
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)
_NAMED = re.compile(r'\s*(?P<name>"(?:[^"\\]|\\.)*"|[^<>"]*?)\s*<(?P<spec>[^<>]*)>\s*')
_FILE_NAME_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')

# -- addresses and header text ----------------------------------------------------------------


def header_text(value: str) -> str:
    """``value`` as safe header text: one line, and no encoded word for a mail parser to decode.

    Control characters and line breaks become one space; a word joiner goes between
    the ``=`` and ``?`` of every ``=?``. A case title is data; this keeps a title such
    as ``"x\\nBcc: y@z"`` or ``"x =?utf-8?q?=0D=0ABcc:_y@z?="`` inside the subject as
    plain words instead of a header of its own.
    Bidi controls go too: ``RUN/\u202e0202/861`` would read as "RUN/168/2020".
    """
    one_line = " ".join(CONTROL_CHARACTERS.sub(" ", without_bidi_controls(value)).split())
    return _ENCODED_WORD_OPENER.sub("=" + WORD_JOINER, one_line)


def parse_address(value: str, option: str = "--to") -> Address:
    """One address, ``anna@example.se`` or ``Anna Åberg <anna@example.se>``; strict.

    The domain may hold å/ä/ö (it is IDNA-encoded); the part before ``@`` must be
    plain ASCII. Raises ParameterError naming the option, the value and the fix.
    """
    shown = f"{option} {value!r}"
    if CONTROL_CHARACTERS.search(value):
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
    for part, length, limit in (
        ("the part before @", len(local), MAX_LOCAL_PART),
        ("the domain", len(ascii_domain), MAX_DOMAIN),
        ("the address", len(local) + 1 + len(ascii_domain), MAX_ADDRESS),
    ):
        if length > limit:
            raise ParameterError(
                f"{shown}: {part} is {length} characters long; mail servers take at most "
                f"{limit} (RFC 5321), so give the recipient's real address"
            )
    try:
        return Address(display_name=header_text(name), username=local, domain=ascii_domain.lower())
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


# -- what the message says --------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes = field(repr=False)
    dossier: tuple[str, str] | None = None  # a dossier's file: its slug and kind; None: another


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


def _labels(lang: str) -> dict[str, object]:
    from ..catalogue import text

    return {
        "pending_heading": text("heading.pending", lang),
        "no_pending": text("phrase.no_pending", lang),
        "decisions_heading": text("heading.decisions", lang),
        "no_decisions": text("phrase.no_decisions", lang),
        "next_meeting_label": text("field.next_meeting", lang),
        "attachments_label": text("mail.attachments", lang),
        "agenda_heading": text("pack.agenda", lang),
        "agenda_columns": [text(f"field.{k}", lang) for k in ("item", "case_id", "summary")],
    }


def _footer(lang: str, as_of: dt.date) -> str:
    from .. import __version__
    from ..catalogue import text
    from ..data.dates import format_day

    return text("mail.footer", lang, as_of=format_day(as_of, lang), version=__version__)


def case_letter(
    registry: Registry,
    cases: Sequence[CaseView],
    files: Mapping[str, Mapping[str, str]],
    *,
    attach: str,
    subject: str | None,
) -> Letter:
    """The message for one or more cases: each case's summary, each dossier attached.

    ``cases`` are the cases as their dossiers show them (the batch's own views: the mail
    says what the dossier says, in the same words, what is new and what changed included);
    ``files`` maps each case ID to its rendered files (``{"pdf": path, "html": path}``).
    """
    from ..catalogue import text
    from ..data.text import slugify

    attachments = []
    for view in cases:
        attachments += _dossier_files(view.case_id, slugify(view.case_id), view.title,
                                      files[view.case_id], attach)  # fmt: skip
    attachments, first = _sent_together(attachments), cases[0]
    lang, as_of = first.lang, first.as_of
    if len(cases) == 1:
        default_subject = text("mail.subject_case", lang, case_id=first.case_id, title=first.title)
        intro = text("mail.intro_case", lang)
    else:
        ids = ", ".join(c.case_id for c in cases[:3])
        if len(cases) > 3:
            ids = text("mail.more_cases", lang, ids=ids)
        default_subject = text("mail.subject_cases", lang, case_ids=ids, n=len(cases))
        intro = text("mail.intro_cases", lang, n=len(cases))
    view = {
        "lang": lang,
        "source_lang": registry.source_lang,
        "subject": header_text(subject or default_subject),
        "intro": intro,
        "cases": cases,
        "meeting": None,
        "attachments": [a.filename for a in attachments],
        "footer": _footer(lang, as_of),
        **_labels(lang),
    }
    stem = slugify(first.case_id) + (f"-and-{len(cases) - 1}-more" if len(cases) > 1 else "")
    return _letter(view, attachments, lang, stem)


def meeting_letter(
    registry: Registry,
    meeting_id: str,
    pack_pdf: str,
    files: Mapping[str, Mapping[str, str]],
    chosen: DossierParameters,
    *,
    views: Mapping[str, CaseView],
    attach: str,
    subject: str | None,
) -> Letter:
    """The message for a meeting: its agenda with one summary line per case, the pack attached.

    ``chosen`` are the dossiers' parameters and ``views`` the cases as their dossiers show
    them, by case ID (the batch's own). ``attach`` ``"pdf"`` attaches the meeting pack;
    ``"html"`` each case's HTML dossier instead; ``"both"`` all of them.
    """
    from ..catalogue import text
    from ..content.agenda import meeting_agenda
    from ..data.text import slugify

    agenda = meeting_agenda(registry, meeting_id, chosen, view_of=views.get)
    lang, as_of = chosen.lang, chosen.as_of
    attachments = []
    slug = slugify(meeting_id)
    if attach in ("pdf", "both"):
        meeting = registry.meeting(meeting_id)
        name = attachment_name(slug, f"{agenda.forum} {meeting.day.isoformat()}", "pdf")
        attachments.append(_file_attachment(pack_pdf, name, "pdf"))
    if attach in ("html", "both"):
        for entry in agenda.items:
            attachments += _dossier_files(entry.case_id, slugify(entry.case_id), entry.view.title,
                                          files[entry.case_id], "html")  # fmt: skip
    attachments = _sent_together(attachments)
    title = str(agenda.title)
    view = {
        "lang": lang,
        "source_lang": registry.source_lang,
        "intro": text("mail.intro_meeting", lang),
        "cases": [],
        "subject": header_text(
            subject or text("mail.subject_meeting", lang, meeting_id=meeting_id, title=title)
        ),
        "meeting": agenda,
        "attachments": [a.filename for a in attachments],
        "footer": _footer(lang, as_of),
        **_labels(lang),
    }
    return _letter(view, attachments, lang, f"meeting-{slug}")


def news_sections(view: CaseView) -> list[tuple[str, tuple]]:
    """The dossier's "new since" and "changes" sections as (heading, lines), the empty ones saying so."""
    sections = []
    if view.news is not None:
        sections.append((view.news.heading, view.news.lines or (view.news.empty,)))
    if view.changes is not None:
        sections.append((view.changes.heading, view.changes.lines or (view.changes.empty,)))
    return sections


def _letter(view: dict, attachments: list, lang: str, stem: str) -> Letter:
    """The message's two bodies from one view: plain text, and HTML through the mail template."""
    from ..content.pages import render_page

    return Letter(view["subject"], plain_text(view), render_page("mail/message.html.j2", view),
                  tuple(attachments), lang, stem)  # fmt: skip


def _dossier_files(
    case_id: str, slug: str, title: str, files: Mapping[str, str], attach: str
) -> list[Attachment]:
    """The dossier's files to attach, as checked against its manifest: never a damaged one."""
    from ..run.manifest import current_files

    folder = Path(files["manifest"]).parent
    checked = current_files(folder, case_id)
    if checked is None:
        raise MailError(
            f"{case_id}: the dossier in {folder} does not match its manifest (a file is missing,"
            " truncated or changed); nothing was attached: render it again"
        )
    kinds = ("pdf", "html") if attach == "both" else (attach,)
    return [
        replace(_attachment(checked[Path(files[kind]).name], attachment_name(slug, title, kind), kind),
                dossier=(slug, kind))
        for kind in kinds
    ]


def _sent_together(attachments: list[Attachment]) -> list[Attachment]:
    """The attachments with each dossier's links leading only where they open in the mail."""
    from ..run.links import files_for_mail

    sent = files_for_mail([(a.dossier, a.filename, a.data) for a in attachments])
    return [replace(a, data=data) for a, data in zip(attachments, sent, strict=True)]


def _file_attachment(path: str | Path, filename: str, kind: str) -> Attachment:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MailError(f"cannot attach {path}: {exc.strerror}") from None
    return _attachment(data, filename, kind)


def _attachment(data: bytes, filename: str, kind: str) -> Attachment:
    mime = ("application", "pdf") if kind == "pdf" else ("text", "html")
    return Attachment(filename, *mime, data)


def plain_text(view: dict) -> str:
    """The plain-text body: the same content as the HTML body, for clients that show text."""
    import textwrap

    def para(text: str, indent: str = "", then: str | None = None) -> str:
        return textwrap.fill(
            text,
            76,
            initial_indent=indent,
            subsequent_indent=indent if then is None else then,
            break_long_words=False,
            break_on_hyphens=False,
        )

    out = [para(view["intro"]), ""]
    meeting = view["meeting"]
    if meeting:
        title = str(meeting.title)
        out += [title, "-" * min(len(title), 76)]
        out += [f"{name}: {value}" for name, value in meeting.facts]
        out += ["", view["agenda_heading"], ""]
        for entry in meeting.items:
            out += [
                para(header_text(f"{entry.item}. {entry.case_id} – {entry.title}")),
                para(str(entry.sentence), "   "),
                *(para(f"- {line}", "   ") for line in entry.news),
                "",
            ]
    for case in view["cases"]:
        heading = header_text(f"{case.case_id} – {case.title}")
        out += [heading, "-" * min(len(heading), 76)]
        out += [f"{name}: {value}" for name, value in case.facts]
        out += [
            "",
            para(str(case.standing)),
            para(("⚠ " if case.inactive else "") + str(case.activity)),
            "",
        ]
        for heading, lines in news_sections(case):
            out += [heading, *(para(f"- {line}") for line in lines), ""]
        out += [view["pending_heading"]]
        if case.pending:
            out += [para(f"{case.pending.title} ({case.pending.about})")]
            out += [para(f"{n}. {point}", "   ") for n, point in case.pending.points]
        else:
            out += [view["no_pending"]]
        out += ["", view["decisions_heading"]]
        if case.decisions:
            # One decision a block: its day and title, then what kind, where and which paragraph.
            for d in case.decisions:
                out += [para(f"- {d.date}: {d.title}", "", "  "), para(str(d.details()), "  ")]
            if case.earlier_decisions:
                out += [para(str(case.earlier_decisions))]
        else:
            out += [view["no_decisions"]]
        out += ["", para(f"{view['next_meeting_label']}: {case.next_meeting}", "", "  "), ""]
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
    subject = header_text(letter.subject)
    message["Subject"] = subject
    message["Date"] = format_datetime((now or dt.datetime.now(dt.UTC)).astimezone())
    domain = sender.domain if sender is not None else "dossier.invalid"
    message["Message-ID"] = make_msgid(idstring=content_digest[:12], domain=domain)
    message.set_content(letter.text, subtype="plain", cte="quoted-printable")
    message.add_alternative(letter.html, subtype="html", cte="quoted-printable")
    for a in letter.attachments:
        message.add_attachment(
            a.data, maintype=a.maintype, subtype=a.subtype, filename=header_text(a.filename)
        )
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
    filenames = [header_text(a.filename) for a in letter.attachments]
    check_headers(message, to=to, cc=cc, sender=sender, subject=subject, filenames=filenames)
    return message, content_digest


#: Where each header's text comes from, for the message that refuses it.
_HEADER_SOURCES = {
    "from": "--from",
    "to": "--to",
    "cc": "--cc",
    "subject": "--subject or the case title",
    "content-disposition": "the case title (the attachment's file name)",
    "content-type": "the case title (the attachment's file name)",
    "recipients": "--to, --cc, --from, --subject and the case title",
}


def check_headers(
    message: EmailMessage,
    *,
    to: Sequence[Address],
    cc: Sequence[Address] = (),
    sender: Address | None = None,
    subject: str,
    filenames: Sequence[str] = (),
) -> None:
    """Read ``message`` back from its bytes as a mail program would; refuse any header not meant.

    Every part must have the headers ``message`` was built with, in that order;
    From, To, Cc, Subject and the attachments' file names must read as given; the
    recipients must be ``to`` and ``cc``, no other, and there must be no Bcc.

    Raises
    ------
    HeaderError
        Naming the header at fault and where its text came from (exit status 2).
    """
    try:
        raw = message.as_bytes(policy=policy.SMTP)
    except MessageError as exc:  # from 3.11.10, HeaderWriteError: a line break in a header
        raise HeaderError(f"no message built: a header would hold a line break ({exc})") from None
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    built_parts, read_parts = list(message.walk()), list(parsed.walk())
    for built, read in zip(built_parts, read_parts, strict=False):
        departure = _header_out_of_place(read.keys(), built.keys())
        if departure:
            _refuse(departure[0], f"would be followed by {departure[1]}, a header not meant")
    if len(read_parts) != len(built_parts):
        _refuse("Content-Type", f"would make {len(read_parts)} parts, not {len(built_parts)}")
    for header, meant in (("From", [sender] if sender else []), ("To", to), ("Cc", cc)):
        found = [a for value in _read(parsed, header) for a in value.addresses]
        if list(map(_address_key, found)) != list(map(_address_key, meant)):
            _refuse(header, f"would read {', '.join(map(str, found))!r}, not {', '.join(map(str, meant))!r}")  # fmt: skip
    read_subject = " ".join(map(str, _read(parsed, "Subject")))
    if _without_spaces(read_subject) != _without_spaces(subject):
        _refuse("Subject", f"would read {read_subject!r}, not {subject!r}")
    names = [v.params.get("filename") for part in parsed.iter_attachments()
             for v in _read(part, "Content-Disposition")]  # fmt: skip
    if names != list(filenames):
        _refuse("Content-Disposition", f"would name the attachments {names}, not {list(filenames)}")
    recipients = {
        a.addr_spec.lower()
        for header in ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc")
        for value in _read(parsed, header)
        for a in value.addresses
    }
    meant = {a.addr_spec.lower() for a in (*to, *cc)}
    if recipients != meant or "Bcc" in parsed:
        _refuse("recipients", f"would be {sorted(recipients)}, not {sorted(meant)}")


def _read(part: EmailMessage, header: str) -> list:
    """Every ``header`` of ``part`` as the parser reads it; refused if the parser fails on it."""
    try:
        return part.get_all(header, [])
    except Exception as exc:  # 3.11's parser raises on some headers its own writer folded
        _refuse(header, f"would not be readable ({type(exc).__name__}: {exc})")


def _address_key(address: Address) -> tuple[str, str]:
    return _without_spaces(address.display_name), address.addr_spec.lower()


def _without_spaces(text: str) -> str:
    # Spaces steer nothing, and Python moves them where a long header is folded: 3.11's writer
    # can drop one between two encoded words, its address parser reads one in where a display
    # name was folded, and a word too long for a line comes back after the fold's space.
    return "".join(text.split())


def _header_out_of_place(found: Sequence[str], meant: Sequence[str]) -> tuple[str, str] | None:
    """Where ``found`` first departs from ``meant``: the header before it, whose text made a
    header of its own, and what stands there instead (None when the two agree)."""
    lower, meant = [n.lower() for n in found], [n.lower() for n in meant]
    if lower == meant:
        return None
    pairs = zip(lower, meant, strict=False)
    at = next((i for i, (f, m) in enumerate(pairs) if f != m), min(len(found), len(meant)))
    instead = found[at] if at < len(found) else "nothing"
    return (found[at - 1] if at else "first"), instead


def _refuse(header: str, what: str) -> NoReturn:
    source = _HEADER_SOURCES.get(header.lower())
    fix = f"; take line breaks and '=?' out of {source}" if source else ""
    field = "recipients" if header == "recipients" else f"{header} header"
    raise HeaderError(f"no message built: its {field} {what}{fix}")


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
