"""Files on local disk or on any filesystem pyarrow opens from a URI (s3://, gs://, hdfs://,
file://), and the batch plan over them.

A `Place` is one file or folder: which filesystem it is on (a key into `Filesystems`), its path
there, and how reports show it (the path or URI as the user wrote it, so a local run and a Ray run
print the same strings). Plans over local paths come from `redactor.batch.plan_batch` itself;
plans that involve a URI apply the same rules (`output_root`, `keep_folder`, `file_kind`,
`preview_for`), so the output tree mirrors the input tree exactly as in a local run.
"""

from __future__ import annotations

import os
import posixpath
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redactor import batch
from redactor.errors import UsageError
from redactor.imageio import IMAGE_SUFFIXES, write_atomic

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
class FileJob:
    src: Place
    dst: Place | None  # None: dry run
    preview: Place | None
    root: Place  # the output folder
    report: Place  # the report.jsonl that lists this image


@dataclass
class FilePlan:
    jobs: list[FileJob]
    roots: list[Place]  # output folders, in input order
    skipped: list[str]  # files in folders that are not images (as shown)
    filesystems: Filesystems

    @property
    def reports(self) -> list[Place]:
        return list(dict.fromkeys(job.report for job in self.jobs))


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
            first = (str(error).splitlines() or [type(error).__name__])[0][:200]
            raise UsageError(
                f"cannot open {location}: {first}. Check the URI, the credentials, and for "
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

    def kind(self, place: Place) -> str | None:
        """"file", "dir", or None when nothing is there."""
        import pyarrow.fs

        info = self[place.fs].get_file_info(place.path)
        if info.type == pyarrow.fs.FileType.File:
            return "file"
        if info.type == pyarrow.fs.FileType.Directory:
            return "dir"
        return None

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


# -- planning ------------------------------------------------------------------------------


def plan_files(
    inputs: Sequence[str],
    *,
    out: str | None = None,
    recursive: bool = False,
    dry_run: bool = False,
    preview: bool = False,
    report: str | None = None,
    filesystems: Filesystems | None = None,
) -> FilePlan:
    """Every input image, where its output goes and which report lists it. Local paths only:
    `batch.plan_batch` decides; with a URI anywhere, the same rules on pyarrow filesystems.
    UsageError for missing inputs, no images, or outputs that would overwrite an input."""
    filesystems = filesystems or Filesystems()
    locations = [*inputs, *(x for x in (out, report) if x is not None)]
    if not any(is_uri(location) for location in locations):
        plan = batch.plan_batch(
            [Path(p) for p in inputs], out=Path(out) if out is not None else None,
            recursive=recursive, dry_run=dry_run, preview=preview,
        )
        report_place = filesystems.place(report) if report is not None else None
        jobs = [
            FileJob(
                src=filesystems.place(str(job.src)),
                dst=filesystems.place(str(job.dst)) if job.dst is not None else None,
                preview=filesystems.place(str(job.preview)) if job.preview is not None else None,
                root=filesystems.place(str(job.root)),
                report=report_place or filesystems.place(str(job.root / batch.REPORT_NAME)),
            )
            for job in plan.jobs
        ]
        roots = [filesystems.place(str(root)) for root in plan.roots]
        return FilePlan(jobs, roots, [str(p) for p in plan.skipped], filesystems)
    return _plan_places(
        inputs, out=out, recursive=recursive, dry_run=dry_run, preview=preview, report=report,
        filesystems=filesystems,
    )


def _plan_places(
    inputs: Sequence[str],
    *,
    out: str | None,
    recursive: bool,
    dry_run: bool,
    preview: bool,
    report: str | None,
    filesystems: Filesystems,
) -> FilePlan:
    if not inputs:
        raise UsageError("give at least one file or folder to redact")
    places = [filesystems.place(location) for location in inputs]
    out_place = filesystems.place(out) if out is not None else None
    report_place = filesystems.place(report) if report is not None else None
    kinds = []
    for place in places:
        kind = filesystems.kind(place)
        if kind is None:
            raise UsageError(f"no such file or folder: {place.shown}")
        if out_place is not None and out_place.key == place.key:
            if kind == "dir":
                raise UsageError(
                    f"--out {out} is the input folder {place.shown}: the originals would be "
                    "overwritten; choose another folder"
                )
            raise UsageError(f"--out {out} is an input file; give a folder")
        kinds.append(kind)

    several = len(places) > 1
    roots: list[Place] = []
    pairs: list[tuple[Place, str, Place]] = []  # (src, path relative to root, root)
    skipped: list[str] = []
    for place, kind in zip(places, kinds):
        own = Path(place.path).resolve() if place.local else PurePosixPath(place.path)
        is_dir = kind == "dir"

        def rule(path: PurePath, out_path: PurePath | None) -> PurePath:
            return batch.output_root(
                path, own.name, own.parent.name, is_dir=is_dir, out=out_path, several=several
            )

        if out_place is not None:
            root = out_place.derive(lambda path: rule(PurePosixPath("/"), path))
        else:
            if not place.local and is_dir and urlsplit(place.shown).path in ("", "/"):
                raise UsageError(
                    f"{place.shown} is the root of its bucket or filesystem: give --out for the "
                    "redacted copies"
                )
            root = place.derive(lambda path: rule(path, None))
        if is_dir:
            found, not_images = _images_in(filesystems, place, recursive=recursive, exclude=root)
            skipped.extend(place.join(relative).shown for relative in not_images)
            pairs.extend((place.join(relative), relative, root) for relative in found)
        else:
            pairs.append((place, PurePosixPath(place.path).name, root))
        if root not in roots:
            roots.append(root)
    if not pairs:
        names = ", ".join(sorted(IMAGE_SUFFIXES))
        raise UsageError(f"no images ({names}) found in {', '.join(inputs)}")

    sources = {src.key for src, _, _ in pairs}
    jobs: list[FileJob] = []
    seen: dict[tuple[str, str], Place] = {}
    for src, relative, root in pairs:
        dst = root.join(relative)
        if dst.key in sources:
            raise UsageError(
                f"the output for {src.shown} would overwrite an input ({dst.shown}); "
                "choose another --out"
            )
        if dst.key in seen:
            raise UsageError(
                f"{seen[dst.key].shown} and {src.shown} would both be written to {dst.shown}; "
                "redact them into different --out folders"
            )
        seen[dst.key] = src
        preview_place = dst.derive(batch.preview_for) if preview else None
        if preview_place is not None and preview_place.key in sources:
            raise UsageError(
                f"the preview for {src.shown} would overwrite an input ({preview_place.shown})"
            )
        jobs.append(FileJob(
            src=src, dst=None if dry_run else dst, preview=preview_place, root=root,
            report=report_place or root.join(batch.REPORT_NAME),
        ))
    return FilePlan(jobs, roots, skipped, filesystems)


def _images_in(
    filesystems: Filesystems, folder: Place, *, recursive: bool, exclude: Place
) -> tuple[list[str], list[str]]:
    """Image files below `folder` and other files, as posix paths relative to it, in the order a
    local run lists them (each folder's files, then its sub-folders, all sorted)."""
    excluded = exclude.path.rstrip("/") + "/" if exclude.fs == folder.fs else None
    images: list[str] = []
    others: list[str] = []
    for path in filesystems.files_below(folder, recursive=recursive):
        if excluded is not None and (path + "/").startswith(excluded):
            continue
        relative = posixpath.relpath(path, folder.path)
        *folders, name = relative.split("/")
        if not all(batch.keep_folder(part) for part in folders):
            continue
        kind = batch.file_kind(name)
        if kind is not None:
            (images if kind == "image" else others).append(relative)
    return sorted(images, key=_walk_order), sorted(others, key=_walk_order)


def _walk_order(relative: str) -> list[tuple[int, str]]:
    # os.walk order: a folder's own files (0) before its sub-folders (1), names sorted.
    *folders, name = relative.split("/")
    return [(1, part) for part in folders] + [(0, name)]


__all__ = ["FileJob", "FilePlan", "Filesystems", "LOCAL", "Place", "is_uri", "plan_files"]
