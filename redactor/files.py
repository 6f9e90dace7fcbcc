"""Writing files so that a reader sees either the old file or the whole new one, never half
of it: the data goes to a temporary file in the same folder, which is then renamed over the
target. Images, reports, checkpoints, caches and the daemon's token all go through here."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_output(path: str | Path, *, mode: int = 0o666) -> Iterator[BinaryIO]:
    """A binary stream whose content replaces `path` when the block ends without error.

    `mode` is given to the new file before anything is written (the umask still applies), so
    a private file (0o600) is never readable by others, not even for a moment. On any error
    the temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: bytes, *, mode: int = 0o666) -> None:
    """Write `data` to `path` atomically (see `atomic_output`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"write_atomic takes bytes, not {type(data).__name__}")
    with atomic_output(path, mode=mode) as stream:
        stream.write(data)


def write_text_atomic(path: str | Path, text: str, *, mode: int = 0o666) -> None:
    write_atomic(path, text.encode("utf-8"), mode=mode)
