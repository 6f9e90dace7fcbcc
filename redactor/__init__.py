"""redactor: find what is private in images and hide it.

Public API (imported lazily, so `redact --help` stays fast):
    Redactor, RedactOptions, Report, ATTRIBUTES, RedactorError
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Redactor": "redactor.pipeline",
    "RedactOptions": "redactor.pipeline",
    "Report": "redactor.pipeline",
    "ATTRIBUTES": "redactor.attributes",
    "RedactorError": "redactor.errors",
}

__all__ = ["ATTRIBUTES", "RedactOptions", "Redactor", "RedactorError", "Report", "__version__"]

if TYPE_CHECKING:
    from redactor.attributes import ATTRIBUTES
    from redactor.errors import RedactorError
    from redactor.pipeline import RedactOptions, Redactor, Report


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'redactor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
