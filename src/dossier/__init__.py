"""dossier: reproducible case dossiers from a case registry and meeting records."""

from __future__ import annotations

__version__ = "0.1.0"

from .dates import PartialDate
from .errors import (
    DataError,
    DossierError,
    Fault,
    MailError,
    OutputLockedError,
    ParameterError,
    RenderError,
    UnknownCaseError,
)
from .model import CaseFile, Registry
from .validate import load

__all__ = [
    "CaseFile",
    "DataError",
    "DossierError",
    "Fault",
    "MailError",
    "OutputLockedError",
    "ParameterError",
    "PartialDate",
    "Registry",
    "RenderError",
    "UnknownCaseError",
    "__version__",
    "load",
]
