"""dossier mail: drafts a real mail parser reads cleanly, and sending to a real SMTP server.

The SMTP server is aiosmtpd on 127.0.0.1 with a certificate made by the test (trustme),
STARTTLS or implicit TLS, and AUTH with one user. The dossiers render once per module
(a real kernel, seconds each); every test mails from its own copy of the output folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
import shutil
import signal
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import AS_OF, PASSWORD, SAMPLE_DATA, USER, free_port, render_all
from conftest import MAIL_FROM as SENDER
from conftest import MAIL_TO as TO
from conftest import SAMPLE_CASE as CASE
from conftest import SAMPLE_MEETING as MEETING
from conftest import SmtpServer as Server
from conftest import run_in_process as run
from mails import attachments, html_part, mail_args, parse, text_part
from processes import FROM_A_TERMINAL, HUNG

from dossier.cli.mail import message_size
from dossier.errors import ParameterError
from dossier.share.letter import (
    WORD_JOINER,
    Attachment,
    Letter,
    compose,
    header_text,
    parse_address,
    parse_addresses,
)
from dossier.share.outbox import (
    data_folder_warning,
    queue,
    read_config,
    settings_folders,
    smtp_settings,
    without_draft_marker,
)

TITLE = "Länsgemensam påverkansagenda"
HOSTILE_TITLE = "Påverkan <b>fet</b> & mer\nBcc: x@y"
# RFC 2047 encoded words that decode to a line break and a header of their own.
EVIL_CC = "=?utf-8?q?=0D=0ACc:_evil@attacker.example?="
EVIL_BCC = "=?utf-8?q?=0D=0ABcc:_hidden@attacker.example?="
ENCODED_WORD_TITLE = f"Titel {EVIL_CC} och {EVIL_BCC} slut"


# -- fixtures: dossiers rendered once, a real SMTP server per test -----------------------------


def titled(tmp_path_factory: pytest.TempPathFactory, title: str) -> tuple[Path, Path]:
    """A copy of the sample data whose RUN/168/2020 is titled ``title``, and its dossier rendered."""
    data = tmp_path_factory.mktemp("titled") / "data"
    shutil.copytree(SAMPLE_DATA, data)
    path = data / "cases.csv"
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        columns, rows = list(reader.fieldnames or ()), list(reader)
    for row in rows:
        if row["case_id"] == CASE:
            row["title"] = title
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    out = render_all(tmp_path_factory.mktemp("titled-out") / "dossiers", data, [CASE], None)
    return data, out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data folder whose RUN/168/2020 title holds markup, a newline and ``Bcc: x@y``; rendered."""
    return titled(tmp_path_factory, HOSTILE_TITLE)


@pytest.fixture(scope="module")
def encoded_words(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data folder whose RUN/168/2020 title holds encoded words that decode to Cc and Bcc."""
    return titled(tmp_path_factory, ENCODED_WORD_TITLE)


@pytest.fixture
def out(rendered: Path, tmp_path: Path) -> Path:
    """This test's own copy of the rendered output folder (its dossiers are current)."""
    return Path(shutil.copytree(rendered, tmp_path / "dossiers"))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SMTP settings from the developer's shell or a dossier.toml in the working folder."""
    for name in ("HOST", "PORT", "TLS", "USER", "CA_FILE", "TIMEOUT", "PASSWORD"):
        monkeypatch.delenv(f"DOSSIER_SMTP_{name}", raising=False)
    monkeypatch.delenv("DOSSIER_MAIL_FROM", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # not the developer's own
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


def assert_no_defects(message: EmailMessage) -> None:
    """A real parser's view: no defect on the message, any part, or any header."""
    for part in message.walk():
        assert not part.defects, (part.get_content_type(), part.defects)
        for name, value in part.items():
            assert not getattr(value, "defects", ()), (name, value.defects)


def as_mailed(path: Path) -> bytes:
    """The dossier PDF at ``path`` as a mail sends it without its related case's dossier:
    the whole file, but for the link to that dossier (see test_links.py)."""
    from dossier.run.links import pdf_for_mail

    return pdf_for_mail(path.read_bytes(), lambda href: None)


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def assert_password_nowhere(out: Path, *texts: str, caplog: pytest.LogCaptureFixture) -> None:
    """Not in the given output, any file under ``out``, or any log record but the test server's."""
    for text in texts:
        assert PASSWORD not in text
    for path in files_in(out):
        assert PASSWORD.encode("utf-8") not in path.read_bytes(), path
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert all(PASSWORD not in r.getMessage() for r in ours)


# -- addresses, header text, settings: no kernel ----------------------------------------------


def test_addresses_parse_with_names_commas_and_idn_domains():
    assert parse_address("anna@example.se").addr_spec == "anna@example.se"
    named = parse_address("Anna Åberg <anna@example.se>")
    assert (named.display_name, named.addr_spec) == ("Anna Åberg", "anna@example.se")
    assert parse_address("kansli@jämtland.se").domain == "xn--jmtland-5wa.se"
    found = parse_addresses(['"Åberg, Anna" <anna@example.se>, bo@example.se', "BO@example.se"])
    assert [a.addr_spec for a in found] == ["anna@example.se", "bo@example.se"]
    assert found[0].display_name == "Åberg, Anna"


@pytest.mark.parametrize(
    "value",
    ["anna", "anna@example", "anna@@example.se", "an na@example.se", "åsa@example.se",
     "<anna@example.se", "anna@example.se\nBcc: x@y.se", "anna@example.se\r", "@example.se",
     "anna@-example.se", "Anna <anna@example.se> <bo@example.se>"],
)  # fmt: skip
def test_addresses_refused_with_the_option_and_the_fix(value):
    with pytest.raises(ParameterError) as caught:
        parse_address(value, "--cc")
    message = str(caught.value)
    assert "--cc" in message
    assert "name@example.se" in message or "line break" in message


def test_header_text_turns_line_breaks_and_control_characters_into_spaces():
    assert header_text("Titel\r\nBcc: x@y\tmer\x00\u2028slut") == "Titel Bcc: x@y mer slut"


def test_message_size_units():
    assert message_size("10MB") == message_size("10") == 10_000_000
    assert message_size("500kB") == 500_000
    assert message_size("1k") == 1000
    assert message_size("2000B") == 2000


def test_smtp_settings_options_win_over_dossier_toml_over_environment(tmp_path):
    (tmp_path / "dossier.toml").write_text(
        '[mail]\nhost = "smtp.toml.example"\nport = 2525\nuser = "toml-user"\nfrom = "a@example.se"\n',
        encoding="utf-8",
    )
    config, path = read_config([tmp_path / "missing", tmp_path])
    assert path == tmp_path / "dossier.toml"
    environ = {"DOSSIER_SMTP_HOST": "smtp.env.example", "DOSSIER_SMTP_TLS": "ssl",
               "DOSSIER_SMTP_PASSWORD": PASSWORD}  # fmt: skip
    settings = smtp_settings({"host": "smtp.option.example"}, config, environ)
    assert (settings.host, settings.port, settings.tls, settings.user) == (
        "smtp.option.example", 2525, "ssl", "toml-user",
    )  # fmt: skip
    assert PASSWORD not in repr(settings)
    assert smtp_settings({}, {}, {"DOSSIER_SMTP_HOST": "h.example"}).port == 587


@pytest.mark.parametrize(("given", "named"), [
    ({"DOSSIER_SMTP_PORT": "99999"}, "DOSSIER_SMTP_PORT 99999: use a port from 1 to 65535"),
    ({"DOSSIER_SMTP_PORT": "smtp"}, "DOSSIER_SMTP_PORT 'smtp': give a port number"),
    ({"DOSSIER_SMTP_TIMEOUT": "0"}, "DOSSIER_SMTP_TIMEOUT 0.0: use a number of seconds"),
    ({"DOSSIER_SMTP_TIMEOUT": "soon"}, "DOSSIER_SMTP_TIMEOUT 'soon': give a number of seconds"),
    ({"DOSSIER_SMTP_TLS": "maybe"}, "DOSSIER_SMTP_TLS 'maybe': use starttls"),
    ({"DOSSIER_SMTP_CA_FILE": "/no/ca.pem"}, "DOSSIER_SMTP_CA_FILE /no/ca.pem: no such file"),
])  # fmt: skip
def test_a_bad_smtp_setting_from_the_environment_is_named_by_its_variable(given, named):
    with pytest.raises(ParameterError) as refused:
        smtp_settings({}, {}, {"DOSSIER_SMTP_HOST": "h.example", **given})
    assert str(refused.value).startswith(named)
    with pytest.raises(ParameterError, match=r"^port in the \[mail\] table of dossier.toml 0:"):
        smtp_settings({}, {"host": "h.example", "port": 0}, {})


def test_smtp_settings_refuse_a_password_in_a_file_or_a_user_without_one(tmp_path):
    (tmp_path / "dossier.toml").write_text('[mail]\npassword = "x"\n', encoding="utf-8")
    with pytest.raises(ParameterError, match="DOSSIER_SMTP_PASSWORD"):
        read_config([tmp_path])
    with pytest.raises(ParameterError, match="DOSSIER_SMTP_PASSWORD"):
        smtp_settings({"host": "h.example", "user": "u"}, {}, {})
    with pytest.raises(ParameterError, match="unencrypted"):
        smtp_settings({"host": "h.example", "user": "u", "tls": "none"}, {},
                      {"DOSSIER_SMTP_PASSWORD": "x"})  # fmt: skip


def test_bad_recipient_stops_before_anything_is_rendered(tmp_path, capsys):
    out = tmp_path / "dossiers"
    code, _, stderr = run(capsys, "mail", CASE, "--to", "anna(at)example.se", "--out", str(out))
    assert code == 2
    assert "--to 'anna(at)example.se'" in stderr and "name@example.se" in stderr
    assert not out.exists()


def test_mail_settings_are_the_operators_own_never_the_data_folders(tmp_path, monkeypatch):
    data = tmp_path / "export"
    data.mkdir()
    (data / "dossier.toml").write_text('[mail]\nhost = "smtp.attacker.example"\n', "utf-8")
    assert "[mail] table is ignored" in data_folder_warning(data)
    assert data_folder_warning(tmp_path) is None  # no dossier.toml
    assert read_config(settings_folders(data)) == ({}, None)
    monkeypatch.chdir(data)  # the operator works inside the export: still not theirs
    assert read_config(settings_folders(data)) == ({}, None)
    assert read_config(settings_folders(Path("."))) == ({}, None)

    own = tmp_path / "config" / "dossier" / "dossier.toml"  # $XDG_CONFIG_HOME, set above
    own.parent.mkdir(parents=True)
    own.write_text('[mail]\nhost = "smtp.region.example"\n', "utf-8")
    assert read_config(settings_folders(data)) == ({"host": "smtp.region.example"}, own)
    work = tmp_path / "work"
    (work / "dossier.toml").write_text("[cases]\n", "utf-8")  # a mapping, no [mail]: next
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(work)
    assert read_config(settings_folders(data))[1] == own
    (work / "dossier.toml").write_text('[mail]\nhost = "smtp.here.example"\n', "utf-8")
    assert read_config(settings_folders(data))[1] == work / "dossier.toml"


def test_send_without_a_server_stops_before_anything_is_rendered(tmp_path, capsys):
    out = tmp_path / "dossiers"
    code, _, stderr = run(capsys, *mail_args(out, CASE), "--send")
    assert code == 2
    assert "--smtp-host" in stderr and "DOSSIER_SMTP_HOST" in stderr
    assert not out.exists()


def test_a_hostile_subject_stays_one_header_and_names_are_rfc2231():
    letter = Letter(
        subject=f"[X/1/2023] {HOSTILE_TITLE} – ärendesammanfattning", text="hej\n", html="<p>hej</p>",
        attachments=(Attachment("X-1-2023 Påverkan.pdf", "application", "pdf", b"%PDF-1.7 data"),),
        lang="sv", stem="X-1-2023",
    )  # fmt: skip
    message, _ = compose(letter, to=[parse_address(TO)], sender=parse_address(SENDER))
    raw = message.as_bytes(policy=policy.SMTP)
    assert b"\nBcc:" not in raw and b"filename*=utf-8''X-1-2023%20P%C3%A5verkan.pdf" in raw
    parsed = parse(raw)
    assert_no_defects(parsed)
    assert parsed["Bcc"] is None
    assert (
        parsed["Subject"] == "[X/1/2023] Påverkan <b>fet</b> & mer Bcc: x@y – ärendesammanfattning"
    )
    assert attachments(parsed) == {"X-1-2023 Påverkan.pdf": b"%PDF-1.7 data"}


def test_the_draft_marker_is_taken_off_before_sending():
    draft = (
        b"From: a@example.se\r\nX-Unsent: 1\r\nSubject: s\r\n\r\nX-Unsent: 1 in the body stays\r\n"
    )
    assert without_draft_marker(draft) == (
        b"From: a@example.se\r\nSubject: s\r\n\r\nX-Unsent: 1 in the body stays\r\n"
    )


# -- drafts and sending: real dossiers, a real SMTP server ------------------------------------


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_draft_is_a_clean_mime_message_with_the_dossier_attached(out, capsys):
    code, stdout, stderr = run(capsys, *mail_args(out, CASE, "--cc", "bo@example.se"))
    assert code == 0, stderr
    drafts = list((out / "outbox").glob("*.eml"))
    assert len(drafts) == 1 and stdout.split() == [str(drafts[0])]
    assert drafts[0].name.startswith("RUN-168-2020-")
    message = parse(drafts[0].read_bytes())
    assert_no_defects(message)
    assert message["Subject"] == f"[{CASE}] {TITLE} – ärendesammanfattning"
    assert message["To"].addresses[0].display_name == "Anna Åberg"
    assert message["Cc"].addresses[0].addr_spec == "bo@example.se"
    assert message["Message-ID"] and message["Date"] and message["X-Unsent"] == "1"
    assert message.get_content_type() == "multipart/mixed"
    html = html_part(message)
    assert TITLE in html and "Pågående sedan 2020." in html and "1 juni 2023" in html
    assert "<style" not in html and "<script" not in html and "<img" not in html
    assert "http" not in html.replace('name="viewport"', "")
    assert TITLE in text_part(message) and "<" not in text_part(message)
    pdf = as_mailed(out / "RUN-168-2020" / "RUN-168-2020.pdf")
    assert attachments(message) == {f"RUN-168-2020 {TITLE}.pdf": pdf}

    again = run(capsys, *mail_args(out, CASE, "--cc", "bo@example.se"))
    assert again[0] == 0 and again[1] == stdout
    assert list((out / "outbox").glob("*.eml")) == drafts  # the same draft, not a second one


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_german_message_in_a_german_councils_words(out, capsys):
    code, stdout, stderr = run(capsys, *mail_args(out, CASE, "--lang", "de"))
    assert code == 0, stderr
    message = parse(Path(stdout.strip()).read_bytes())
    assert_no_defects(message)
    assert message["Subject"] == f"[{CASE}] {TITLE} – Zusammenfassung"
    assert message["Content-Language"] == "de"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "In Bearbeitung seit 2020." in body and "Nächste Sitzung:" in body
    assert "Stand vom 1. Juni 2023" in body
    # The Swedish sample's own words are marked Swedish in the German message.
    assert '<span lang="sv">Regiondirektörens förslag</span>' in html_part(message)


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_english_message_with_pdf_and_html_attached(out, capsys):
    code, stdout, stderr = run(capsys, *mail_args(out, CASE, "--attach", "both", "--lang", "en"))
    assert code == 0, stderr
    message = parse(Path(stdout.strip()).read_bytes())
    assert_no_defects(message)
    assert message["Subject"] == f"[{CASE}] {TITLE} – case summary"
    assert message["Content-Language"] == "en"
    assert "Open since 2020." in html_part(message)
    # The English dossier is rendered first: mail goes through the same incremental batch.
    folder = out / "RUN-168-2020"
    found = attachments(message)
    assert list(found) == [f"RUN-168-2020 {TITLE}.pdf", f"RUN-168-2020 {TITLE}.html"]
    # As in the folder, but for the link to the related case's dossier, not sent with it.
    html = (folder / "RUN-168-2020.html").read_text(encoding="utf-8")
    assert '<a href="../RUN-136-2022/RUN-136-2022.html">' in html
    assert found[f"RUN-168-2020 {TITLE}.html"].decode("utf-8") == html.replace(
        '<a href="../RUN-136-2022/RUN-136-2022.html">', "<a>"
    )
    assert uris((folder / "RUN-168-2020.pdf").read_bytes()) == ["../RUN-136-2022/RUN-136-2022.html"]
    assert uris(found[f"RUN-168-2020 {TITLE}.pdf"]) == []


def uris(pdf: bytes) -> list[str]:
    """The addresses the PDF's links open."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as opened:
        return [str(a.A.URI) for page in opened.pages for a in page.get("/Annots", ())
                if "/A" in a and "/URI" in a.A]  # fmt: skip


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
@pytest.mark.parametrize("tls", ["starttls", "ssl"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_send_through_tls_and_login_moves_the_message_to_sent(
    out, capsys, caplog, monkeypatch, smtp_server, tls
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    server = smtp_server(tls)
    code, stdout, stderr = run(
        capsys, *mail_args(out, CASE, "--cc", "bo@example.se"), *server.options()
    )
    assert code == 0, stderr
    assert len(server.received) == 1
    envelope = server.received[0]
    assert envelope.mail_from == "analys@example.se"
    assert sorted(envelope.rcpt_tos) == ["anna@example.se", "bo@example.se"]
    message = parse(envelope.content)
    assert_no_defects(message)
    assert message["X-Unsent"] is None
    assert message["Subject"] == f"[{CASE}] {TITLE} – ärendesammanfattning"
    assert TITLE in html_part(message)
    pdf = as_mailed(out / "RUN-168-2020" / "RUN-168-2020.pdf")
    assert list(attachments(message).values()) == [pdf]
    sent = list((out / "sent").glob("*.eml"))
    assert len(sent) == 1 and stdout.split() == [str(sent[0])]
    assert sent[0].read_bytes() == envelope.original_content
    assert not list((out / "outbox").glob("*"))
    assert_password_nowhere(out, stdout, stderr, caplog=caplog)


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_refused_login_keeps_the_message_and_a_rerun_sends_it_once(
    out, capsys, caplog, monkeypatch, smtp_server
):
    caplog.set_level(logging.DEBUG)
    server = smtp_server()
    wrong = "fel-" + PASSWORD
    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", wrong)
    code, stdout, stderr = run(capsys, *mail_args(out, CASE), *server.options())
    assert code == 1
    assert "refused the login" in stderr and "535" in stderr and "DOSSIER_SMTP_PASSWORD" in stderr
    waiting = list((out / "outbox").glob("*.eml"))
    assert len(waiting) == 1 and str(waiting[0]) in stderr
    assert not server.received and not (out / "sent").exists()
    for text in (stdout, stderr):
        assert wrong not in text
    assert_password_nowhere(out, stdout, stderr, caplog=caplog)

    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    code, stdout, stderr = run(capsys, *mail_args(out, CASE), *server.options())
    assert code == 0, stderr
    assert len(server.received) == 1
    assert [p.name for p in (out / "sent").glob("*.eml")] == [waiting[0].name]
    assert not list((out / "outbox").glob("*.eml"))

    code, stdout, stderr = run(capsys, *mail_args(out, CASE), *server.options())
    assert code == 0 and "sent before" in stderr
    assert len(server.received) == 1  # nothing is sent twice
    assert_password_nowhere(out, stdout, stderr, caplog=caplog)


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_unreachable_server_keeps_the_message(out, capsys, caplog, monkeypatch, certificate):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    closed = Server(free_port(), certificate[1], "starttls")
    code, stdout, stderr = run(capsys, *mail_args(out, CASE), *closed.options())
    assert code == 1
    assert "cannot reach the SMTP server 127.0.0.1" in stderr and "refused" in stderr.lower()
    assert len(list((out / "outbox").glob("*.eml"))) == 1
    assert_password_nowhere(out, stdout, stderr, caplog=caplog)


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_untrusted_certificate_is_refused(out, capsys, monkeypatch, smtp_server):
    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    server = smtp_server()
    options = server.options()
    del options[-2:]  # no --ca-file: the test CA is not one the system trusts
    code, _, stderr = run(capsys, *mail_args(out, CASE), *options)
    assert code == 1 and "does not trust" in stderr and "--ca-file" in stderr
    assert not server.received and len(list((out / "outbox").glob("*.eml"))) == 1


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_hostile_title_stays_in_the_subject_and_adds_no_header(
    hostile, tmp_path, capsys, monkeypatch, smtp_server
):
    data, rendered_out = hostile
    out = Path(shutil.copytree(rendered_out, tmp_path / "dossiers"))
    code, stdout, stderr = run(capsys, *mail_args(out, CASE, data=data))
    assert code == 0, stderr
    raw = Path(stdout.strip()).read_bytes()
    message = parse(raw)
    assert_no_defects(message)
    head = raw[: raw.index(b"\r\n\r\n") + 2]
    assert b"\nBcc:" not in head and all("Bcc" not in part for part in message.walk())
    assert (
        message["Subject"] == f"[{CASE}] Påverkan <b>fet</b> & mer Bcc: x@y – ärendesammanfattning"
    )
    html = html_part(message)
    assert "<b>fet" not in html and "&lt;b&gt;fet&lt;/b&gt; &amp; mer" in html

    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    server = smtp_server()
    code, _, stderr = run(capsys, *mail_args(out, CASE, data=data), *server.options())
    assert code == 0, stderr
    assert server.received[0].rcpt_tos == ["anna@example.se"]


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_message_over_the_size_limit_is_refused_with_a_way_out(out, capsys):
    code, stdout, stderr = run(capsys, *mail_args(out, CASE, "--max-size", "1kB"))
    assert code == 1 and not stdout
    assert "over the limit of 1000 bytes" in stderr
    assert "--attach html" in stderr and "--meeting" in stderr
    assert not (out / "outbox").exists()


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_meeting_mail_has_the_agenda_and_the_meeting_pack(out, capsys):
    code, stdout, stderr = run(capsys, *mail_args(out, "--meeting", MEETING))
    assert code == 0, stderr
    path = Path(stdout.strip())
    assert path.parent == out / "outbox" and path.name.startswith(f"meeting-{MEETING}-")
    message = parse(path.read_bytes())
    assert_no_defects(message)
    assert message["Subject"].startswith(f"[{MEETING}] Ärendeunderlag: ")
    html, text = html_part(message), text_part(message)
    for body in (html, text):
        assert "Dagordning" in body and CASE in body and "RUN/136/2022" in body
        assert "Pågående sedan 2020." in body
    found = attachments(message)
    pack = out / f"meeting-{MEETING}" / f"{MEETING}.pdf"
    assert list(found.values()) == [pack.read_bytes()]
    assert list(found) == [f"{MEETING} Regionala utvecklingsnämnden 2023-06-13.pdf"]


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_send_alone_sends_what_waits_in_the_outbox(out, capsys, monkeypatch, smtp_server):
    assert run(capsys, *mail_args(out, CASE))[0] == 0
    assert run(capsys, *mail_args(out, "--meeting", MEETING))[0] == 0
    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    server = smtp_server()
    code, stdout, stderr = run(capsys, "mail", "--out", str(out), *server.options())
    assert code == 0, stderr
    assert len(server.received) == 2 and len(stdout.split()) == 2
    assert not list((out / "outbox").glob("*.eml"))
    code, _, stderr = run(capsys, "mail", "--out", str(out), *server.options())
    assert code == 0 and "nothing to send" in stderr and len(server.received) == 2


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_send_sends_only_the_messages_dossier_wrote_as_it_wrote_them(
    out, capsys, monkeypatch, smtp_server
):
    assert run(capsys, *mail_args(out, CASE))[0] == 0
    (draft,) = (out / "outbox").glob("*.eml")
    foreign = out / "outbox" / "0-urgent.eml"
    foreign.write_bytes(b"From: boss@example.se\r\nTo: victim@example.org\r\n"
                        b"Subject: pay now\r\n\r\nPay.\r\n")  # fmt: skip
    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    server = smtp_server()
    code, _, stderr = run(capsys, "mail", "--from", "x@example.se", "--out", str(out),
                               *server.options())  # fmt: skip
    assert code == 1
    assert f"{foreign}: not sent: dossier mail did not write it" in stderr
    assert "Traceback" not in stderr
    assert [e.mail_from for e in server.received] == ["analys@example.se"]  # as recorded
    assert [e.rcpt_tos for e in server.received] == [["anna@example.se"]]
    assert foreign.is_file() and not draft.exists()

    # A message of the tool's, changed after it was written, is refused as well.
    assert run(capsys, *mail_args(out, "--meeting", MEETING))[0] == 0
    (draft,) = set((out / "outbox").glob("*.eml")) - {foreign}
    draft.write_bytes(draft.read_bytes().replace(b"To: ", b"Bcc: hidden@attacker.example\r\nTo: ", 1))
    code, _, stderr = run(capsys, "mail", "--out", str(out), *server.options())
    assert code == 1 and f"{draft}: not sent: it was changed since" in stderr
    assert len(server.received) == 1 and draft.is_file()


def assert_only_the_given_headers(raw: bytes) -> EmailMessage:
    """No Cc or Bcc line in the head or any part, and no defect: the message as parsed."""
    head = raw[: raw.index(b"\r\n\r\n") + 2]
    assert b"\nCc:" not in head and b"\nBcc:" not in head
    message = parse(raw)
    assert_no_defects(message)
    for part in message.walk():
        assert "Cc" not in part and "Bcc" not in part
    return message


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_encoded_words_in_a_case_title_reach_no_one_else(
    encoded_words, tmp_path, capsys, monkeypatch, smtp_server
):
    data, rendered_out = encoded_words
    out = Path(shutil.copytree(rendered_out, tmp_path / "dossiers"))
    code, stdout, stderr = run(capsys, *mail_args(out, CASE, data=data))
    assert code == 0, stderr
    draft = assert_only_the_given_headers(Path(stdout.strip()).read_bytes())
    subject = f"[{CASE}] {ENCODED_WORD_TITLE} – ärendesammanfattning"
    assert draft["Subject"].replace(WORD_JOINER, "") == subject
    [name] = attachments(draft)
    assert name.startswith("RUN-168-2020 Titel =")

    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    server = smtp_server()
    code, _, stderr = run(capsys, *mail_args(out, CASE, data=data), *server.options())
    assert code == 0, stderr
    [envelope] = server.received
    assert envelope.rcpt_tos == ["anna@example.se"]
    received = assert_only_the_given_headers(envelope.original_content)
    assert received["Subject"].replace(WORD_JOINER, "") == subject


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_encoded_words_in_subject_and_display_names_reach_no_one_else(
    out, capsys, monkeypatch, smtp_server
):
    subject = f"Ärende {EVIL_CC} {EVIL_BCC}"
    given = ["--subject", subject, "--cc", f'"{EVIL_BCC}" <bo@example.se>']
    hostile_names = ["mail", CASE, *given, "--to", f"{EVIL_CC} <anna@example.se>",
                     "--from", f'"{EVIL_BCC}" <analys@example.se>', "--data", str(SAMPLE_DATA),
                     "--out", str(out), "--as-of", AS_OF]  # fmt: skip
    code, stdout, stderr = run(capsys, *hostile_names)
    assert code == 0, stderr
    raw = Path(stdout.strip()).read_bytes()
    head = raw[: raw.index(b"\r\n\r\n") + 2]
    assert b"\nBcc:" not in head and head.count(b"\nCc:") == 1
    draft = parse(raw)
    assert [a.addr_spec for a in draft["Cc"].addresses] == ["bo@example.se"]
    assert draft["Subject"].replace(WORD_JOINER, "") == subject

    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    server = smtp_server()
    code, _, stderr = run(capsys, *hostile_names, *server.options())
    assert code == 0, stderr
    [envelope] = server.received
    assert envelope.mail_from == "analys@example.se"
    assert sorted(envelope.rcpt_tos) == ["anna@example.se", "bo@example.se"]
    received = parse(envelope.original_content)
    assert "Bcc" not in received and len(received.get_all("Cc")) == 1
    assert [a.addr_spec for a in received["To"].addresses] == ["anna@example.se"]
    assert [a.addr_spec for a in received["From"].addresses] == ["analys@example.se"]
    assert received["Subject"].replace(WORD_JOINER, "") == subject


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_a_data_folder_cannot_send_the_password_to_its_own_server(
    out, tmp_path, capsys, caplog, monkeypatch, smtp_server
):
    """An export's dossier.toml names the attacker's STARTTLS server and CA: it hears nothing."""
    trustme = pytest.importorskip("trustme")
    attacker_ca = trustme.CA()
    data = Path(shutil.copytree(SAMPLE_DATA, tmp_path / "export"))
    attacker_ca.cert_pem.write_to_path(str(data / "ca.pem"))
    attacker = smtp_server(certificate=(attacker_ca.issue_cert("127.0.0.1"), data / "ca.pem"))
    (data / "dossier.toml").write_text(
        f'[mail]\nhost = "127.0.0.1"\nport = {attacker.port}\ntls = "starttls"\n'
        f'ca_file = "ca.pem"\nuser = "{USER}"\nfrom = "Kansliet <kansli@attacker.example>"\n',
        encoding="utf-8",
    )
    operator = smtp_server()
    for name, value in {"HOST": "127.0.0.1", "PORT": str(operator.port), "TLS": "starttls",
                        "CA_FILE": str(operator.ca_file), "USER": USER,
                        "PASSWORD": PASSWORD}.items():  # fmt: skip
        monkeypatch.setenv(f"DOSSIER_SMTP_{name}", value)
    code, stdout, stderr = run(capsys, *mail_args(out, CASE, data=data), "--send")
    assert code == 0, stderr
    assert not attacker.greetings and not attacker.logins and not attacker.received
    [envelope] = operator.received
    assert envelope.mail_from == "analys@example.se" and envelope.rcpt_tos == ["anna@example.se"]
    assert f"{data / 'dossier.toml'}: its [mail] table is ignored" in stderr
    assert "may come from anyone" in stderr
    assert_password_nowhere(out, stdout, stderr, caplog=caplog)


# -- only checked dossiers are attached --------------------------------------------------------


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_a_zero_byte_pdf_is_rendered_again_and_the_whole_one_attached(out, capsys):
    pdf = out / "RUN-168-2020" / "RUN-168-2020.pdf"
    whole = pdf.read_bytes()
    pdf.write_bytes(b"")
    code, stdout, stderr = run(capsys, *mail_args(out, CASE))
    assert code == 0, stderr
    attached = attachments(parse(Path(stdout.strip()).read_bytes()))[f"RUN-168-2020 {TITLE}.pdf"]
    assert attached == as_mailed(pdf)
    assert attached.startswith(b"%PDF-") and abs(len(attached) - len(whole)) < len(whole) / 10


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
@pytest.mark.parametrize("damage", [b"", b"%PDF-1.7 truncated"])
def test_a_letter_never_attaches_a_file_its_manifest_does_not_vouch_for(out, damage):
    from dossier.content.context import case_dossier
    from dossier.content.parameters import DossierParameters
    from dossier.data.validate import load
    from dossier.errors import MailError
    from dossier.share.letter import case_letter

    folder = out / "RUN-168-2020"
    files = {"pdf": str(folder / "RUN-168-2020.pdf"), "manifest": str(folder / "manifest.json")}
    common = {"attach": "pdf", "subject": None}
    registry = load(SAMPLE_DATA)
    view = case_dossier(registry, CASE, DossierParameters(as_of=dt.date.fromisoformat(AS_OF))).view
    letter = case_letter(registry, [view], {CASE: files}, **common)
    assert [a.data for a in letter.attachments] == [as_mailed(folder / "RUN-168-2020.pdf")]
    (folder / "RUN-168-2020.pdf").write_bytes(damage)
    with pytest.raises(
        MailError, match=r"RUN/168/2020: the dossier in .* does not match its manifest"
    ):
        case_letter(registry, [view], {CASE: files}, **common)


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_the_analysts_remark_reaches_the_mail_of_her_case_only(tmp_path, capsys, monkeypatch, smtp_server):
    """Her case notebook's remark is in the PDF mailed for that case, not in the other case's."""
    import subprocess

    from conftest import REMARK, add_own_cells, joined

    notebooks = tmp_path / "notebooks"
    code, stdout, _ = run(capsys, "notebook", CASE, "--dir", str(notebooks), "--data", str(SAMPLE_DATA))
    assert code == 0
    add_own_cells(Path(stdout.strip()))
    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    server = smtp_server("starttls")
    out = tmp_path / "dossiers"
    code, _, stderr = run(capsys, *mail_args(out, CASE, "RUN/136/2022", "--notebooks", str(notebooks)),
                          *server.options())  # fmt: skip
    assert code == 0, stderr
    (envelope,) = server.received
    found = {name.split()[0]: pdf for name, pdf in attachments(parse(envelope.content)).items()}
    assert sorted(found) == ["RUN-136-2022", "RUN-168-2020"]

    def text_of(pdf: bytes) -> str:
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
        return joined(done.stdout.decode("utf-8"))

    assert joined(REMARK) in text_of(found["RUN-168-2020"])
    assert joined(REMARK) not in text_of(found["RUN-136-2022"])


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_the_letter_of_a_500_event_case_lists_the_latest_five_decisions(big_dossier):
    """The mail says what the dossier's summary says: five decisions, then how many more."""
    from dossier.content.context import case_dossier
    from dossier.content.parameters import DossierParameters
    from dossier.data.validate import load
    from dossier.share.letter import case_letter

    d = big_dossier
    files = {"pdf": str(d.files.pdf), "manifest": str(d.files.manifest)}
    registry = load(d.data)
    view = case_dossier(registry, d.case_id, DossierParameters(as_of=dt.date.fromisoformat(AS_OF))).view
    letter = case_letter(registry, [view], {d.case_id: files}, attach="pdf", subject=None)
    decisions = letter.text.split("\nBeslut\n")[1].split("\n\n")[0]
    lines = decisions.splitlines()
    assert len([line for line in lines if line.startswith("- ")]) == 5
    assert re.fullmatch(r"\d+ tidigare beslut finns i ”Ärendets historik”\.", lines[-1]), lines
    assert lines[-1] in letter.html


# -- a server that stops answering -------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_while_a_server_hangs_stops_at_once_and_keeps_the_message(
    tmp_path, signum
):
    """The server takes the message and never answers; the send is stopped there, the
    message stays waiting in the outbox as it was, and nothing is said to the hung server."""
    import asyncio
    import threading

    from aiosmtpd.controller import Controller

    out = tmp_path / "out"
    draft = EmailMessage()
    draft["From"], draft["To"], draft["Subject"] = SENDER, TO, "Ärendet"
    draft.set_content("Hej")
    path, _ = queue(draft, "arendet", "0" * 64, out)
    record = (out / "outbox" / ".record.json").read_bytes()
    taken = threading.Event()

    class Hung:
        async def handle_DATA(self, server, session, envelope):
            taken.set()
            await asyncio.Event().wait()  # never answers

    controller = Controller(Hung(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        process = subprocess.Popen([*FROM_A_TERMINAL, sys.executable, "-m", "dossier.cli", "mail",
                                    "--send", "--out", out, "--smtp-host", "127.0.0.1",
                                    "--smtp-port", str(controller.port), "--tls", "none",
                                    "--smtp-timeout", "3600"],
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert taken.wait(HUNG), "the message never reached the server"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=HUNG)  # not the hour of --smtp-timeout
    finally:
        controller.stop()
    assert process.returncode == 128 + signum
    assert stderr == f"dossier: {'interrupted' if signum == signal.SIGINT else 'terminated'}\n"
    assert path.is_file() and not (out / "sent").exists()
    assert (out / "outbox" / ".record.json").read_bytes() == record
