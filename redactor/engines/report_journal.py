"""report.jsonl written as the run goes, and what earlier runs finished.

Each image's line is appended and flushed as soon as the image is done, so an interrupted run
loses nothing it finished; a rerun reads the lines back and skips what they say is done. At the
end each report is rewritten once, atomically, in input order with one line per image (the last
line written for an image wins): the same file a local run writes. Filesystems that cannot
append (S3, GCS) get the whole report uploaded every `upload_every` seconds and at the end.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from redactor.engines.storage import Filesystems, Place


NOT_JSON = object()  # a line that does not parse (cut short by a crash, or not a report's)


def json_lines(data: bytes) -> list[tuple[Any, str]]:
    """(the parsed value, or NOT_JSON, and the line) for each non-blank line of a report."""
    lines: list[tuple[Any, str]] = []
    for raw in data.decode("utf-8", errors="replace").splitlines():
        if not raw.strip():
            continue
        try:
            lines.append((json.loads(raw), raw))
        except ValueError:
            lines.append((NOT_JSON, raw))
    return lines


def parse_lines(data: bytes) -> list[tuple[str | None, str]]:
    """(input, line) per line; input None for lines that are not a report entry (a line cut short
    by a crash, or anything else)."""
    parsed: list[tuple[str | None, str]] = []
    for entry, raw in json_lines(data):
        source = entry.get("input") if isinstance(entry, dict) else None
        parsed.append((source if isinstance(source, str) else None, raw))
    return parsed


class ReportJournal:
    def __init__(self, filesystems: Filesystems, *, upload_every: float = 30.0) -> None:
        self.filesystems = filesystems
        self.upload_every = upload_every
        self._streams: dict[Place, Any] = {}  # appendable reports
        self._spools: dict[Place, Any] = {}  # local copies of reports that are uploaded whole
        self._uploaded: dict[Place, float] = {}

    def earlier(self, target: Place) -> dict[str, dict]:
        """Input (as shown) -> the last entry an earlier run wrote for it."""
        data = self.filesystems.read_bytes(target)
        entries: dict[str, dict] = {}
        for source, line in parse_lines(data or b""):
            if source is not None:
                entries[source] = json.loads(line)
        return entries

    def append(self, target: Place, line: str) -> None:
        data = (line.rstrip("\n") + "\n").encode()
        if target not in self._streams and target not in self._spools:
            self._open(target)
        stream = self._streams.get(target)
        if stream is not None:
            stream.write(data)
            stream.flush()
            return
        spool = self._spools[target]
        spool.write(data)
        if time.monotonic() - self._uploaded.get(target, 0.0) >= self.upload_every:
            self._upload(target)

    def _open(self, target: Place) -> None:
        existing = self.filesystems.read_bytes(target) or b""
        stream = self.filesystems.open_append(target)
        # A line cut short by an interrupted run must not swallow the next one.
        head = b"\n" if existing and not existing.endswith(b"\n") else b""
        if stream is not None:
            stream.write(head)
            self._streams[target] = stream
            return
        spool = tempfile.TemporaryFile()
        spool.write(existing + head)
        self._spools[target] = spool
        self._uploaded[target] = time.monotonic()

    def _upload(self, target: Place) -> None:
        spool = self._spools[target]
        spool.flush()
        spool.seek(0)
        self.filesystems.write_atomic(target, spool.read())
        spool.seek(0, 2)
        self._uploaded[target] = time.monotonic()

    def close(self) -> None:
        """Flush everything (uploading spooled reports); safe to call twice."""
        for stream in self._streams.values():
            stream.close()
        self._streams.clear()
        for target in list(self._spools):
            self._upload(target)
            self._spools.pop(target).close()

    def rewrite(self, target: Place, inputs: Sequence[str]) -> None:
        """One line per image, `inputs` (this run's images for this report) in order, after the
        lines of images this run does not include; written atomically."""
        self.close()
        data = self.filesystems.read_bytes(target)
        if data is None:
            return
        latest: dict[str, str] = {}
        others: dict[str, str] = {}
        wanted = set(inputs)
        for source, line in parse_lines(data):
            if source is None:
                continue
            (latest if source in wanted else others)[source] = line
        lines = [*others.values(), *(latest[s] for s in inputs if s in latest)]
        self.filesystems.write_atomic(target, "".join(f"{line}\n" for line in lines).encode())


__all__ = ["NOT_JSON", "ReportJournal", "json_lines", "parse_lines"]
