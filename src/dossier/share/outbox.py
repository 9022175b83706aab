"""Where a dossier mail waits and how it leaves: the SMTP settings, the outbox, the sending.

A message is written to ``<out>/outbox/`` first and moves to ``<out>/sent/``
only after the server accepted it; one that fails stays in the outbox with
the server's answer. The SMTP password comes only from the environment
variable ``DOSSIER_SMTP_PASSWORD``: never an option, never in a file, never
printed. Where it goes (host, port, TLS, CA file, user) comes only from the
operator: options, the environment, or the operator's own ``dossier.toml``
(the current folder's, else the user's config folder); never from a data
folder, which may have come from anyone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import smtplib
import ssl
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from ..errors import MailError, ParameterError
from ..run.output import write_files
from .letter import CONTROL_CHARACTERS
from .settings import (
    MAX_SMTP_TIMEOUT,
    PASSWORD_VARIABLE,
    SETTING_OPTIONS,
    SETTING_VARIABLES,
    TLS_MODES,
)

OUTBOX = "outbox"
SENT = "sent"
#: The outbox's record of the messages this tool wrote (see :func:`read_record`).
RECORD = ".record.json"
CONFIG_FILE = "dossier.toml"
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
#: Outlook opens a draft with this header as a message to edit and send, not as a received one.
DRAFT_MARKER = "X-Unsent"

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
    #: Where each setting was given, as a message names it (an option by default; an
    #: environment variable or dossier.toml where :func:`smtp_settings` found it there).
    given: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.host or CONTROL_CHARACTERS.search(self.host):
            raise ParameterError(
                f"{self._where('host')}: give the SMTP server's name, e.g. smtp.example.se"
            )
        if self.tls not in TLS_MODES:
            raise ParameterError(f"{self._where('tls')} {self.tls!r}: use {', '.join(TLS_MODES)}")
        if self.port is None:
            object.__setattr__(self, "port", DEFAULT_PORTS[self.tls])
        if not 0 < self.port < 65536:
            raise ParameterError(f"{self._where('port')} {self.port}: use a port from 1 to 65535")
        if not 0 < self.timeout <= MAX_SMTP_TIMEOUT:  # also refuses nan
            raise ParameterError(
                f"{self._where('timeout')} {self.timeout}: use a number of seconds above 0 and "
                f"at most {MAX_SMTP_TIMEOUT:g}"
            )
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            raise ParameterError(
                f"{self._where('ca_file')} {self.ca_file}: no such file (give a PEM file of CA "
                "certificates)"
            )
        if self.user and self.tls == "none":
            raise ParameterError(
                "--tls none with a login would send the password unencrypted; use --tls starttls or ssl"
            )

    def _where(self, name: str) -> str:
        return self.given.get(name) or SETTING_OPTIONS[name]

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def settings_folders(
    data_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """Where the operator's own ``dossier.toml`` may be: the current folder, then the user's
    config folder (``$XDG_CONFIG_HOME/dossier``, by default ``~/.config/dossier``).

    A folder that is ``data_dir`` is left out: a data folder's ``[mail]`` table would
    let whoever made the export choose the server that receives the password.
    """
    environ = os.environ if environ is None else environ
    config_home = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    folders = [Path.cwd(), config_home / "dossier"]
    return [f for f in folders if data_dir is None or not _same_folder(f, Path(data_dir))]


def data_folder_warning(data_dir: Path) -> str | None:
    """Why the ``[mail]`` table of ``data_dir``'s dossier.toml, if it has one, is not read."""
    path = Path(data_dir) / CONFIG_FILE
    try:
        has_mail = "mail" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None  # no file, or one the data's own check reports
    if not has_mail:
        return None
    return (
        f"{path}: its [mail] table is ignored; a data folder may come from anyone, so the SMTP "
        "server, login and sender come only from options, DOSSIER_SMTP_* and DOSSIER_MAIL_FROM, "
        f"or the [mail] table of your own {CONFIG_FILE} (in the current folder, or in "
        "$XDG_CONFIG_HOME/dossier/, by default ~/.config/dossier/)"
    )


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or a.samefile(b)
    except OSError:
        return False


def read_config(folders: Sequence[Path]) -> tuple[dict[str, object], Path | None]:
    """The first ``[mail]`` table in a ``dossier.toml`` of ``folders``, and its file.

    ``folders`` are the operator's own (see :func:`settings_folders`), never a data folder.
    """
    for folder in folders:
        path = Path(folder) / CONFIG_FILE
        if not path.is_file():
            continue
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
            raise ParameterError(f"{path}: cannot read it ({exc})") from None
        if "mail" not in document:
            continue  # a mapping file in the current folder, say
        table = document["mail"]
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
    """One setting: the option if given, else the operator's dossier.toml ``[mail]``, else the environment."""
    if option not in (None, ""):
        return option
    if config.get(name) not in (None, ""):
        return config[name]
    environ = os.environ if environ is None else environ
    return environ.get(SETTING_VARIABLES[name]) or None


def setting_source(name: str, option: object, config: Mapping[str, object]) -> str:
    """How the value :func:`mail_setting` finds for ``name`` was given, as a message names it:
    the option, the key of the ``[mail]`` table, or the environment variable."""
    if option not in (None, ""):
        return SETTING_OPTIONS[name]
    if config.get(name) not in (None, ""):
        return f"{name} in the [mail] table of {CONFIG_FILE}"
    return SETTING_VARIABLES[name]


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
        The ``[mail]`` table of the operator's dossier.toml (see :func:`read_config`).
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

    given = {name: setting_source(name, options.get(name), config) for name in SETTING_OPTIONS}

    host = get("host")
    if not host:
        raise ParameterError(
            "--send needs an SMTP server: give --smtp-host, host in the [mail] table of "
            f"dossier.toml, or {SETTING_VARIABLES['host']}"
        )
    port, timeout = get("port"), get("timeout")
    try:
        port = int(port) if port is not None else None
    except (TypeError, ValueError):
        raise ParameterError(f"{given['port']} {port!r}: give a port number, e.g. 587") from None
    try:
        timeout = float(timeout) if timeout is not None else 30.0
    except (TypeError, ValueError):
        raise ParameterError(
            f"{given['timeout']} {timeout!r}: give a number of seconds, e.g. 30"
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
        given=given,
    )
    if settings.user and not environ.get(PASSWORD_VARIABLE):
        raise ParameterError(
            f"SMTP user {settings.user!r} needs a password: set the environment variable "
            f"{PASSWORD_VARIABLE} (it is read from there only)"
        )
    return settings


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
    """Put ``message`` into ``out_dir/outbox/<stem>-<hash>.eml``, once, and into the outbox's
    record (see :func:`read_record`).

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
    senders = _header_addresses(message, "From")
    record = read_record(out_dir)
    record[name] = {
        "sha256": hashlib.sha256(draft).hexdigest(),
        "from": senders[0].addr_spec if senders else None,
        "recipients": [a.addr_spec for h in ("To", "Cc") for a in _header_addresses(message, h)],
    }
    # Both or neither: a message is in the outbox only with its record.
    write_files({outbox / name: draft, outbox / RECORD: _record_text(record)})
    return outbox / name, "new"


def read_record(out_dir: Path) -> dict[str, dict]:
    """The outbox's record of the messages ``dossier mail`` wrote there: for each file's name,
    its SHA-256, From and recipients. Only a message in it, unchanged, is sent, to those it
    names: an ``.eml`` put in the outbox by anyone else, or changed since, is not.

    A record that cannot be read counts as empty (every message is then refused, by name).
    """
    path = Path(out_dir) / OUTBOX / RECORD
    try:
        record = json.loads(path.read_bytes()) if path.is_file() else {}
    except (OSError, ValueError, RecursionError):
        return {}
    return record if isinstance(record, dict) else {}


def _record_text(record: Mapping[str, dict]) -> str:
    return json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _forget(out_dir: Path, names: Sequence[str]) -> None:
    """Take sent messages out of the outbox's record; the record goes when it is empty."""
    record = read_record(out_dir)
    for name in names:
        record.pop(name, None)
    path = Path(out_dir) / OUTBOX / RECORD
    if record:
        write_files({path: _record_text(record)})
    else:
        path.unlink(missing_ok=True)


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
    pending, foreign = _vouched_for(pending, out_dir)
    if not pending:
        return Delivery(tuple(sent), tuple(p for p, _ in foreign), tuple(e for _, e in foreign),
                        tuple(notes))  # fmt: skip

    def stays(paths_left: Sequence[Path]) -> str:
        n = len(paths_left)
        where = ", ".join(str(p) for p in paths_left)
        return (
            f"{n} message{'s' if n != 1 else ''} stay{'s' if n == 1 else ''} in the outbox: {where}"
        )

    errors, waiting = [e for _, e in foreign], [p for p, _ in foreign]
    try:
        connection = _connect(settings, password)
    except MailError as exc:
        paths_left = [path for path, _ in pending]
        error = f"{exc}; {stays(paths_left)} (run the command again to send it)"
        return Delivery(tuple(sent), (*waiting, *paths_left),
                        (*errors, _mask(error, settings, password)), tuple(notes))  # fmt: skip
    try:
        for index, (path, recorded) in enumerate(pending):
            try:
                accepted = _send_one(connection, path, recorded, settings)
            except _ConnectionLost as exc:
                left = [path for path, _ in pending[index:]]
                waiting += left
                errors.append(_mask(f"{exc}; {stays(left)}", settings, password))
                break
            except MailError as exc:
                waiting.append(path)
                errors.append(_mask(f"{exc}; {stays([path])}", settings, password))
                continue
            wire, refused = accepted
            sent_dir.mkdir(parents=True, exist_ok=True)
            write_files({sent_dir / path.name: wire})
            path.unlink(missing_ok=True)
            _forget(out_dir, [path.name])
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
    except BaseException:  # Ctrl-C, SIGTERM: no goodbye to a server that may never answer it
        connection.close()
        raise
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
    return Delivery(tuple(sent), tuple(waiting), tuple(errors), tuple(notes))


def _vouched_for(
    paths: Sequence[Path], out_dir: Path
) -> tuple[list[tuple[Path, dict]], list[tuple[Path, str]]]:
    """Which of ``paths`` the outbox's record vouches for (each with its bytes, From and
    recipients as recorded), and which not (each with why it is not sent)."""
    record = read_record(out_dir)
    vouched, foreign = [], []
    for path in paths:
        entry = record.get(path.name)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            foreign.append(
                (path, f"{path}: cannot read it ({exc.strerror}); it stays in the outbox")
            )
            continue
        if not isinstance(entry, dict) or entry.get("sha256") != hashlib.sha256(raw).hexdigest():
            why = "dossier mail did not write it" if entry is None else "it was changed since"
            foreign.append((path, (
                f"{path}: not sent: {why} (it is not as {OUTBOX}/{RECORD} records it); only the "
                "messages dossier mail wrote are sent: remove it, or build the message again "
                "with dossier mail")))  # fmt: skip
            continue
        vouched.append((path, {**entry, "raw": raw}))
    return vouched, foreign


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


def _send_one(
    connection: smtplib.SMTP, path: Path, recorded: Mapping, settings: SmtpSettings
) -> tuple[bytes, dict]:
    """Send one outbox message as it was written (less the draft marker), from and to the
    addresses its record names; return the bytes and any refusals."""
    sender, recipients, raw = recorded.get("from"), recorded.get("recipients"), recorded["raw"]
    if not sender:
        raise MailError(f"{path.name} has no From address; build it again with --from ADDR")
    if not recipients:
        raise MailError(f"{path.name} has no recipients")
    wire = without_draft_marker(raw)
    try:
        refused = connection.sendmail(sender, recipients, wire)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(
            f"{path.name}: the server refused every recipient: {_refusals(exc.recipients)}"
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(
            f"{path.name}: the server refused the sender {sender} ({_answer(exc)})"
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
