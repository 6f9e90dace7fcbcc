"""Errors the library raises. Messages say what went wrong and what to do; they never hold
image content or recognised text. The CLI prints the message on one line and exits non-zero;
the daemon turns `code` into a JSON error."""

from __future__ import annotations


def first_line(error: BaseException | str, limit: int = 200, *, strerror: bool = False) -> str:
    """The first non-blank line of an error's message, at most `limit` characters, for a one-line
    report; the error's type name when the message is empty (never raises). `strerror`: an
    OSError's bare reason ("No such file or directory") rather than "[Errno 2] ... 'path'"."""
    text = (
        error
        if isinstance(error, str)
        else ((getattr(error, "strerror", None) if strerror else None) or str(error))
    )
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return "" if isinstance(error, str) else type(error).__name__


class RedactorError(Exception):
    """Base of every error the library raises on purpose."""

    code = "redactor_error"


class UsageError(RedactorError):
    """A bad option or argument: an unknown attribute, mode, or value out of range."""

    code = "bad_request"


class UncoveredAttributeError(RedactorError):
    """The user asked to hide an attribute that no loaded detector can find (fail closed)."""

    code = "uncovered_attribute"


class UnvalidatedModelError(UsageError):
    """An attribute only the model finds, whose real-image validity is unmeasured or under the
    bar (ModelMeta.validity, VALIDITY_BAR): refused unless the user trusts the model."""

    code = "unvalidated_model"


class ImageError(RedactorError):
    """An input that is not a readable image: corrupt, truncated, unknown format."""

    code = "bad_image"


class ImageTooLargeError(ImageError):
    """An image over the pixel or byte limit (decompression bombs included)."""

    code = "image_too_large"


class ModelError(RedactorError):
    """A model file that is missing, unreadable, or of an unknown kind."""

    code = "bad_model"


class WeightsUnavailableError(ModelError):
    """Pretrained weights that are not available offline."""

    code = "weights_unavailable"
