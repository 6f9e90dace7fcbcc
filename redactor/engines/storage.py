"""Files on local disk or on any filesystem pyarrow opens from a URI (s3://, gs://, hdfs://,
file://): the one filesystem interface the batch planner (`redactor.batch.plan_batch`) and both
engines use.

A `Place` is one file or folder: which filesystem it is on (a key into `Filesystems`), its path
there, and how reports show it (the path or URI as the user wrote it, so a local run and a Ray run
print the same strings). Local places are handled with `os` (pyarrow is only needed for URIs), so
that symlink loops, unreadable files and folders come back as `Fault`s instead of exceptions.
"""

from __future__ import annotations

import errno
import os
import posixpath
import re
import stat
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redactor.errors import UsageError, first_line
from redactor.files import write_atomic

LOCAL = "local"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Object stores show an object only once its upload has completed: writing in place is atomic
# there already, and their "rename" is a copy.
_OBJECT_STORES = frozenset({"s3", "gcs"})
_CHUNK = 4 * 2**20


def is_uri(location: str) -> bool:
    return bool(_URI.match(location))


@dataclass(frozen=True)
class Place:
    fs: str  # key into Filesystems: "local", or the URI's "scheme://authority"
    path: str  # the path inside that filesystem (absolute for local files)
    shown: str  # the path or URI as reports print it

    @property
    def local(self) -> bool:
        return self.fs == LOCAL

    @property
    def key(self) -> tuple[str, str]:
        return self.fs, self.path

    def join(self, relative: str) -> Place:
        """The place `relative` (a posix path) below this folder."""
        return self.derive(lambda path: path / relative)

    def derive(self, rule: Callable[[PurePath], PurePath]) -> Place:
        """Apply a path rule (e.g. batch.output_root) to the filesystem path and the shown one."""
        path = str(rule(PurePosixPath(self.path)))
        if self.local:
            return Place(self.fs, path, str(rule(Path(self.shown))))
        scheme, netloc, shown_path, _, _ = urlsplit(self.shown)
        shown_path = str(rule(PurePosixPath(shown_path or "/")))
        return Place(self.fs, path, urlunsplit((scheme, netloc, shown_path, "", "")))


@dataclass(frozen=True)
class Fault:
    """A file or folder the run cannot use, reported per file (the run goes on)."""

    code: str  # "symlink_loop", "broken_link", "unreadable", "unreadable_folder"
    message: str


@dataclass(frozen=True)
class Entry:
    """One thing found in a folder: a posix path relative to it, and what it is."""

    relative: str
    kind: str  # "file", "dir_link" (a link to a folder, not followed), "fault"
    fault: Fault | None = None


class Filesystems:
    """The run's filesystems by key. Built on the driver from the URIs it was given, then shipped
    (pickled) to the workers, so credentials and options resolve once, where the run starts."""

    def __init__(self) -> None:
        self._table: dict[str, Any] = {}

    def place(self, location: str) -> Place:
        if not is_uri(location):
            return Place(LOCAL, os.path.abspath(location), str(Path(location)))
        import pyarrow.fs

        parts = urlsplit(location)
        key = f"{parts.scheme}://{parts.netloc}" + (f"?{parts.query}" if parts.query else "")
        try:
            fs, path = pyarrow.fs.FileSystem.from_uri(location)
        except (OSError, ValueError, NotImplementedError) as error:
            raise UsageError(
                f"cannot open {location}: {first_line(error)}. Check the URI, the credentials, and for "
                "hdfs:// a Java runtime"
            ) from None
        self._table.setdefault(key, fs)
        path = path.rstrip("/") or path
        shown_path = parts.path.rstrip("/") or parts.path
        return Place(key, path, urlunsplit((parts.scheme, parts.netloc, shown_path, "", "")))

    def __getitem__(self, key: str) -> Any:
        if key not in self._table:
            if key != LOCAL:
                raise KeyError(key)
            import pyarrow.fs

            self._table[LOCAL] = pyarrow.fs.LocalFileSystem()
        return self._table[key]

    # -- reading ---------------------------------------------------------------------------

    def kind(self, place: Place) -> str | Fault | None:
        """ "file", "dir", None when nothing is there, or the Fault that stops us from knowing."""
        if place.local:
            try:
                mode = os.stat(place.path).st_mode
            except FileNotFoundError:
                if os.path.lexists(place.path):
                    return Fault("broken_link", f"broken symbolic link: {place.shown}")
                return None
            except OSError as error:
                return _fault(error, place.shown)
            if stat.S_ISDIR(mode):
                return "dir"
            return (
                "file"
                if stat.S_ISREG(mode)
                else Fault("not_a_file", f"not a regular file: {place.shown}")
            )
        import pyarrow.fs

        info = self[place.fs].get_file_info(place.path)
        if info.type == pyarrow.fs.FileType.File:
            return "file"
        if info.type == pyarrow.fs.FileType.Directory:
            return "dir"
        return None

    def exists(self, place: Place) -> bool:
        """Anything at all there (a dangling link counts: it is not ours to replace)."""
        if place.local:
            return os.path.lexists(place.path)
        return self.kind(place) is not None

    def identity(self, place: Place) -> tuple[str, str]:
        """What two places that are the same file share (local: the real path)."""
        return (LOCAL, os.path.realpath(place.path)) if place.local else place.key

    def mode(self, place: Place) -> int | None:
        """A local file's permission bits (None elsewhere, or when they cannot be read)."""
        if not place.local:
            return None
        try:
            return stat.S_IMODE(os.stat(place.path).st_mode)
        except OSError:
            return None

    def folder_problem(self, place: Place) -> str | None:
        """Why a folder cannot be created or written to, or None. Local folders only (a store
        tells us only when we write)."""
        if not place.local:
            return None
        path = place.path
        while not os.path.lexists(path):
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
        if not os.path.isdir(path):
            return f"{path} is a file, not a folder"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"no permission to write in {path}"
        return None

    def entries(
        self,
        folder: Place,
        *,
        recursive: bool,
        keep: Callable[[str], bool],
        skip: set[tuple[str, str]],
    ) -> Iterator[Entry]:
        """Everything below `folder` in the order a local walk gives (each folder's files sorted,
        then its sub-folders), relative to it. `keep(name)`: whether to enter a sub-folder;
        `skip`: identities of folders never entered (the run's own outputs)."""
        if folder.local:
            yield from _local_entries(folder.path, "", recursive, keep, skip)
            return
        excluded = [path.rstrip("/") + "/" for fs, path in skip if fs == folder.fs]
        found = []
        for path in self.files_below(folder, recursive=recursive):
            if any((path + "/").startswith(prefix) for prefix in excluded):
                continue
            relative = posixpath.relpath(path, folder.path)
            if all(keep(part) for part in relative.split("/")[:-1]):
                found.append(relative)
        for relative in sorted(found, key=_walk_order):
            yield Entry(relative, "file")

    def files_below(self, folder: Place, *, recursive: bool = True) -> Iterator[str]:
        """Paths (inside the filesystem) of every file below `folder`; none if it is absent."""
        import pyarrow.fs

        selector = pyarrow.fs.FileSelector(folder.path, recursive=recursive, allow_not_found=True)
        for info in self[folder.fs].get_file_info(selector):
            if info.type == pyarrow.fs.FileType.File:
                yield info.path

    def copy_to_local(self, place: Place, target: Path, limit: int) -> None:
        """Copy at most `limit` bytes of `place` to the local file `target` (the reader checks the
        size limit on the copy, with the same message as for a local file)."""
        with self[place.fs].open_input_stream(place.path) as stream, open(target, "wb") as out:
            left = limit
            while left > 0:
                chunk = stream.read(min(_CHUNK, left))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)

    def read_bytes(self, place: Place) -> bytes | None:
        """The whole file, or None when it is absent (small files only: reports)."""
        if place.local:
            try:
                return Path(place.path).read_bytes()
            except FileNotFoundError:
                return None
        if self.kind(place) != "file":
            return None
        with self[place.fs].open_input_stream(place.path) as stream:
            return stream.readall()

    # -- writing ---------------------------------------------------------------------------

    def write_atomic(self, place: Place, data: bytes) -> None:
        """Readers see the old file or the whole new one, never half of it."""
        if place.local:
            write_atomic(Path(place.path), data)
            return
        fs = self[place.fs]
        parent, name = posixpath.split(place.path)
        if fs.type_name in _OBJECT_STORES:
            with fs.open_output_stream(place.path) as stream:  # visible once the upload completes
                stream.write(data)
            return
        fs.create_dir(parent, recursive=True)
        temp = posixpath.join(parent, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            with fs.open_output_stream(temp) as stream:
                stream.write(data)
            fs.move(temp, place.path)
        except BaseException:
            try:
                fs.delete_file(temp)
            except OSError:
                pass
            raise

    def open_append(self, place: Place) -> Any | None:
        """A stream that appends to `place` (created if absent), or None where the filesystem
        cannot append (object stores)."""
        if place.local:
            Path(place.path).parent.mkdir(parents=True, exist_ok=True)
            return open(place.path, "ab")
        fs = self[place.fs]
        if fs.type_name in _OBJECT_STORES:
            return None
        try:
            fs.create_dir(posixpath.dirname(place.path), recursive=True)
            return fs.open_append_stream(place.path)
        except NotImplementedError:
            return None


def _local_entries(
    path: str,
    relative: str,
    recursive: bool,
    keep: Callable[[str], bool],
    skip: set[tuple[str, str]],
) -> Iterator[Entry]:
    try:
        with os.scandir(path or ".") as listing:
            children = sorted(listing, key=lambda child: child.name)
    except OSError as error:
        fault = _fault(error, path)
        if fault.code == "unreadable":
            fault = Fault("unreadable_folder", f"cannot list folder {path}: no permission")
        yield Entry(relative, "fault", fault)  # "": the folder given itself
        return
    folders = []
    for child in children:
        name = posixpath.join(relative, child.name) if relative else child.name
        try:
            is_dir = child.is_dir(follow_symlinks=False)
        except OSError as error:
            yield Entry(name, "fault", _fault(error, child.path))
            continue
        if is_dir:
            folders.append((child, name))
            continue
        if child.is_symlink():
            try:
                target = os.stat(child.path).st_mode
            except FileNotFoundError:
                broken = Fault("broken_link", f"broken symbolic link: {child.path}")
                yield Entry(name, "fault", broken)
                continue
            except OSError as error:
                yield Entry(name, "fault", _fault(error, child.path))
                continue
            if stat.S_ISDIR(target):
                yield Entry(name, "dir_link")
                continue
        if not os.access(child.path, os.R_OK):
            yield Entry(name, "fault", Fault("unreadable", f"no permission to read {child.path}"))
            continue
        yield Entry(name, "file")
    if not recursive:
        return
    for child, name in folders:
        if not keep(child.name) or (LOCAL, os.path.realpath(child.path)) in skip:
            continue
        yield from _local_entries(child.path, name, recursive, keep, skip)


def _fault(error: OSError, shown: str) -> Fault:
    if isinstance(error, RuntimeError) or error.errno == errno.ELOOP:
        return Fault("symlink_loop", f"symbolic link loop: {shown}")
    if isinstance(error, PermissionError):
        return Fault("unreadable", f"no permission to read {shown}")
    return Fault("unreadable", f"cannot read {shown}: {error.strerror or error}")


def _walk_order(relative: str) -> list[tuple[int, str]]:
    # A local walk's order: a folder's own files (0) before its sub-folders (1), names sorted.
    *folders, name = relative.split("/")
    return [(1, part) for part in folders] + [(0, name)]


__all__ = ["Entry", "Fault", "Filesystems", "LOCAL", "Place", "is_uri"]
