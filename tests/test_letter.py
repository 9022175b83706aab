"""dossier.share.letter: header text that data cannot steer, read back as a mail program reads it.

No kernel and no server here: the message is built with :func:`compose` and parsed back
from its bytes with the standard library's parser (``policy.default``), the reader a
mail program's is modelled on. What a real SMTP server receives is in test_mail.py.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dossier.errors import HeaderError, ParameterError
from dossier.share.letter import (
    WORD_JOINER,
    Attachment,
    Letter,
    attachment_name,
    check_headers,
    compose,
    header_text,
    parse_address,
    parse_addresses,
)

# RFC 2047 encoded words that decode to a line break and a header of their own.
EVIL_CC = "=?utf-8?q?=0D=0ACc:_evil@attacker.example?="
EVIL_BCC = "=?utf-8?q?=0D=0ABcc:_hidden@attacker.example?="
TO = parse_address("Anna Åberg <anna@example.se>")
SENDER = parse_address("Analysenheten <analys@example.se>", "--from")
TOP_HEADERS = ["Content-Language", "Content-Type", "Date", "From", "MIME-Version", "Message-ID",
               "Subject", "To"]  # fmt: skip


def letter(subject: str, title: str = "Påverkan") -> Letter:
    """A letter with one PDF attached, its file name made from ``title`` as a case's is."""
    name = attachment_name("X-1-2023", title, "pdf")
    return Letter(subject=subject, text="hej\n", html="<p>hej</p>", lang="sv", stem="X-1-2023",
                  attachments=(Attachment(name, "application", "pdf", b"%PDF-1.7 data"),))  # fmt: skip


def read_back(message: EmailMessage) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes(policy=policy.SMTP))


def recipients(message: EmailMessage) -> list[str]:
    return sorted(
        a.addr_spec
        for name in ("To", "Cc", "Bcc")
        for value in message.get_all(name, ())
        for a in value.addresses
    )


def shown(text: str) -> str:
    """``text`` as a reader sees it: the word joiner is invisible."""
    return text.replace(WORD_JOINER, "")


def without_spaces(text: str) -> str:
    # Python's address parser reads a space in where a long display name was folded between
    # two encoded words; RFC 2047 says to join them, and mail programs do.
    return "".join(shown(text).split())


def test_header_text_leaves_no_encoded_word_to_decode_and_reads_the_same():
    title = f"Titel {EVIL_CC} slut =?="
    safe = header_text(title)
    assert "=?" not in safe
    assert shown(safe) == title
    assert header_text(safe) == safe  # made safe once is safe


def test_encoded_words_in_subject_names_and_file_names_stay_text():
    to = parse_addresses([f'"{EVIL_BCC}" <anna@example.se>', f"{EVIL_CC} <bo@example.se>"])
    sender = parse_address(f"{EVIL_BCC} <analys@example.se>", "--from")
    subject = f"[X/1/2023] Titel {EVIL_CC} slut"
    message, _ = compose(letter(subject, f"Titel {EVIL_BCC}"), to=to, sender=sender)
    raw = message.as_bytes(policy=policy.SMTP)
    head = raw[: raw.index(b"\r\n\r\n") + 2]
    assert b"\nCc:" not in head and b"\nBcc:" not in head
    parsed = read_back(message)
    assert sorted(parsed.keys()) == TOP_HEADERS
    assert recipients(parsed) == ["anna@example.se", "bo@example.se"]
    assert shown(parsed["Subject"]) == subject
    names = [without_spaces(a.display_name) for a in parsed["To"].addresses]
    assert names == [EVIL_BCC, EVIL_CC]
    assert without_spaces(parsed["From"].addresses[0].display_name) == EVIL_BCC
    for part in parsed.walk():
        assert "Bcc" not in part and "Cc" not in part
    [attachment] = parsed.iter_attachments()
    assert attachment.get_filename().startswith("X-1-2023 Titel =")
    assert attachment.get_payload(decode=True) == b"%PDF-1.7 data"


# Pieces that a mail parser gives meaning to, so that the strings the property tries are hostile.
HOSTILE_PIECES = ["=?", "?=", "utf-8", "?q?", "?b?", "=0D=0A", "Bcc:", "Cc: e@evil.example",
                  "Åsa ", "x" * 30, '"', "\\", ",", "<", ">", "@", "(", ")", ";", ":", "=", "?",
                  " ", "\r\n", "\u2028", "\x85"]  # fmt: skip
hostile_text = st.text(max_size=100) | st.lists(st.sampled_from(HOSTILE_PIECES), max_size=30).map(
    "".join
)


@settings(max_examples=300, deadline=None)
@given(subject=hostile_text, name=hostile_text, title=hostile_text)
@example(subject=f"Titel {EVIL_CC} slut", name=EVIL_BCC, title=EVIL_BCC)
# Python 3.11 folds a long quoted display name without its quotes: its comma splits the list.
@example(subject="s", name="x" * 70 + ", evil@attacker.example, y", title="t")
def test_whatever_the_text_the_message_reaches_only_its_recipients(subject, name, title):
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    try:
        to = parse_address(f'"{quoted}" <anna@example.se>')
        sender = parse_address(f'"{quoted}" <analys@example.se>', "--from")
    except ParameterError:
        return  # refused before anything is built: a line break in an address, say
    cc = Address(display_name=header_text(title), username="bo", domain="example.se")
    try:
        message, _ = compose(letter(subject, title), to=[to], cc=[cc], sender=sender)
    except HeaderError as refused:
        assert refused.exit_status == 2
        return
    parsed = read_back(message)
    assert sorted(parsed.keys()) == sorted([*TOP_HEADERS, "Cc"])
    assert recipients(parsed) == ["anna@example.se", "bo@example.se"]
    assert parsed["From"].addresses[0].addr_spec == "analys@example.se"
    assert without_spaces(parsed["Subject"]) == without_spaces(header_text(subject))


def test_a_header_not_made_safe_is_refused_naming_it():
    """What compose would send if header_text let an encoded word through: refused, exit 2."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = SENDER
    message["To"] = [TO]
    raw_subject = f"Titel {EVIL_CC} slut"
    message["Subject"] = raw_subject
    message.set_content("hej")
    with pytest.raises(HeaderError, match="Subject header") as refused:
        check_headers(message, to=[TO], sender=SENDER, subject=raw_subject)
    assert refused.value.exit_status == 2 and "--subject or the case title" in str(refused.value)

    message = EmailMessage(policy=policy.SMTP)
    evil_sender = Address(display_name=EVIL_BCC, username="analys", domain="example.se")
    message["From"] = evil_sender
    message["To"] = [TO]
    message["Subject"] = "Titel"
    message.set_content("hej")
    with pytest.raises(HeaderError, match="From header"):
        check_headers(message, to=[TO], sender=evil_sender, subject="Titel")


def test_a_recipient_not_given_is_refused():
    message, _ = compose(letter("Titel"), to=[TO], sender=SENDER)
    check_headers(message, to=[TO], sender=SENDER, subject="Titel",
                  filenames=["X-1-2023 Påverkan.pdf"])  # fmt: skip
    message["Bcc"] = "hidden@attacker.example"
    with pytest.raises(HeaderError, match="recipients") as refused:
        check_headers(message, to=[TO], sender=SENDER, subject="Titel",
                      filenames=["X-1-2023 Påverkan.pdf"])  # fmt: skip
    assert "hidden@attacker.example" in str(refused.value)


def test_long_swedish_subjects_and_names_are_not_refused():
    """Folding moves spaces (3.11 even drops one between encoded words); that is no injection."""
    subject = ("[RUN/168/2020] Beslut om åtgärd för ärende där vi ser på möjligheter för ökad "
               "tillväxt i länet och i regionen – ärendesammanfattning")  # fmt: skip
    to = parse_addresses([
        '"Åberg, Anna" <anna@example.se>',
        '"Regionala utvecklingsnämndens kansli, enheten för analys och uppföljning" <k@example.se>',
        "Bo Ek <bo@example.se>",
    ])  # fmt: skip
    message, _ = compose(letter(subject, "Länsgemensam påverkansagenda " * 3), to=to, sender=SENDER)
    parsed = read_back(message)
    assert recipients(parsed) == ["anna@example.se", "bo@example.se", "k@example.se"]
    assert without_spaces(parsed["Subject"]) == without_spaces(subject)


@pytest.mark.parametrize(
    ("value", "fault"),
    [
        ("a" * 300 + "@example.se", "the part before @ is 300 characters long"),
        ("a" * 65 + "@example.se", "the part before @ is 65 characters long"),
        ("a@" + ".".join(["b" * 63] * 4) + ".se", "the domain is 258 characters long"),
        ("a" * 64 + "@" + ".".join(["b" * 61] * 3) + ".abcd", "the address is 255"),
    ],
)
def test_addresses_longer_than_smtp_allows_are_refused(value, fault):
    with pytest.raises(ParameterError, match=fault) as refused:
        parse_address(value, "--to")
    assert "--to" in str(refused.value) and "RFC 5321" in str(refused.value)


def test_addresses_at_the_smtp_limits_are_taken():
    local = "a" * 64
    assert parse_address(local + "@example.se").username == local
    address = parse_address(local + "@" + ".".join(["b" * 61] * 3) + ".abc")
    assert len(address.addr_spec) == 254


def test_bidi_controls_never_reach_a_subject_or_an_attachment_name():
    """``Protokoll\u202efdp.exe`` would show as "Protokollexe.pdf"; ``RUN/\u202e0202/861`` as
    "RUN/168/2020"."""
    bidi = "\u202e\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    message, _ = compose(letter(f"RUN/\u202e0202/861 {bidi}", title="Protokoll\u202efdp.exe"),
                         to=[TO], sender=SENDER)  # fmt: skip
    parsed = read_back(message)
    names = [part.get_filename() for part in parsed.iter_attachments()]
    assert parsed["Subject"] == "RUN/0202/861"
    assert names == ["X-1-2023 Protokollfdp.exe.pdf"]
