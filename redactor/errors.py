"""Errors the library raises. Messages say what went wrong and what to do; they never hold
image content or recognised text. The CLI prints the message on one line and exits non-zero;
the daemon turns `code` into a JSON error."""

from __future__ import annotations


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
