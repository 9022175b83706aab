"""dossier: reproducible case dossiers from a case registry and meeting records.

The package follows the data flow, one folder per stage: ``data`` (read and
check the export) → ``content`` (what a dossier says) → ``run`` (kernels,
notebooks, files) → ``share`` (mail), with ``cli`` on top and ``errors``,
``catalogue`` and ``resources`` beside them (see docs/architecture.md).

Names are imported on first use, so ``dossier render`` can start its kernel
before pandas has loaded in the command's own process.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "CaseFile": "data.model",
    "DataError": "errors",
    "DossierError": "errors",
    "Fault": "errors",
    "MailError": "errors",
    "OutputLockedError": "errors",
    "ParameterError": "errors",
    "PartialDate": "data.dates",
    "Registry": "data.model",
    "RenderError": "errors",
    "UnknownCaseError": "errors",
    "load": "data.validate",
}

#: modules analysts' notebooks import by their short name (``from dossier import sections``)
_MODULES = {"sections": "content.sections"}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str):
    if name in _MODULES:
        module = importlib.import_module(f".{_MODULES[name]}", __name__)
        globals()[name] = module
        return module
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dossier' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_MODULES))
