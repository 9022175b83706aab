"""dossier: reproducible case dossiers from a case registry and meeting records.

Names are imported on first use, so ``dossier render`` can start its kernel
before pandas has loaded in the command's own process.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "CaseFile": "model",
    "DataError": "errors",
    "DossierError": "errors",
    "Fault": "errors",
    "MailError": "errors",
    "OutputLockedError": "errors",
    "ParameterError": "errors",
    "PartialDate": "dates",
    "Registry": "model",
    "RenderError": "errors",
    "UnknownCaseError": "errors",
    "load": "validate",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dossier' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
