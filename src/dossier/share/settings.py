"""What ``dossier mail`` may be told: the choices and limits of its options, and the names of
its settings (the ``[mail]`` table of dossier.toml and their environment variables).

Apart from the mail's machinery so that the command line can offer the options without
loading it (every command builds the whole parser).
"""

#: The largest message built, in bytes as sent (attachments base64-encoded).
DEFAULT_MAX_SIZE = 10_000_000
#: The highest ``--max-size``: far above what mail servers take, still a message held in memory.
LARGEST_MAX_SIZE = 1_000_000_000
ATTACH_CHOICES = ("pdf", "html", "both")

PASSWORD_VARIABLE = "DOSSIER_SMTP_PASSWORD"
TLS_MODES = ("starttls", "ssl", "none")
#: The longest wait for the server at one step, in seconds (an hour).
MAX_SMTP_TIMEOUT = 3600.0
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
#: The command line's option for each SMTP setting.
SETTING_OPTIONS = {
    "host": "--smtp-host",
    "port": "--smtp-port",
    "tls": "--tls",
    "user": "--smtp-user",
    "ca_file": "--ca-file",
    "timeout": "--smtp-timeout",
    "from": "--from",
}
