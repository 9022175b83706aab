"""Mail as the tests read it: the command line of a mail of the sample, and a message read
back from its bytes (its bodies, its attachments)."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from conftest import AS_OF, MAIL_FROM, MAIL_TO, SAMPLE_DATA


def parse(data: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(data)


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def mail_args(out: Path, *extra: str, data: Path = SAMPLE_DATA) -> list[str]:
    return ["mail", *extra, "--to", MAIL_TO, "--from", MAIL_FROM, "--data", str(data), "--out", str(out),
            "--as-of", AS_OF]  # fmt: skip


def attachments(message: EmailMessage) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()
    }
