"""The file layer without Ray: the one planner over local paths and pyarrow filesystems, report
lines written as the run goes, and reports on filesystems that cannot append."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pyarrow_fs = pytest.importorskip("pyarrow.fs", reason="the `ray` extra (pyarrow) is not installed")

from redactor.batch import BatchRequest, plan_batch  # noqa: E402
from redactor.engines.report_journal import ReportJournal  # noqa: E402
from redactor.engines.storage import Filesystems  # noqa: E402
from redactor.errors import UsageError  # noqa: E402


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """photos/ with files at several depths, hidden entries, an earlier run's output folder, a
    preview and a non-image."""
    root = tmp_path / "photos"
    for name in (
        "z.jpg",
        "a.PNG",
        "notes.txt",
        ".hidden.jpg",
        "a.preview.jpg",
        "sub/b.webp",
        "sub/deeper/c.tif",
        "sub/.cache/d.jpg",
        "old_redacted/e.jpg",
        "m/f.bmp",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    return root


def test_uri_plans_list_the_same_tree_as_local_plans(tree: Path):
    """The one planner over both kinds of place: the same folder as a path and as a file:// URI
    gives the same images in the same order, the same output tree and previews (the URI listing
    runs through pyarrow)."""
    for options in (
        {"recursive": True},
        {"recursive": False},
        {"recursive": True, "preview": True},
    ):
        local = plan_batch(BatchRequest((str(tree),), **options))
        remote = plan_batch(BatchRequest((tree.as_uri(),), **options))
        assert remote.jobs[0].src.fs == "file://"

        def paths(plan):
            return [(j.src.path, j.dst.path, j.preview and j.preview.path) for j in plan.jobs]

        assert paths(remote) == paths(local)
        assert [n.entry for n in local.notes] == [
            {**n.entry, "input": str(Path(n.entry["input"].removeprefix("file://")))}
            for n in remote.notes
        ]
    names = [Path(j.src.path).relative_to(tree).as_posix() for j in local.jobs]
    # Hidden entries and earlier outputs are left out; a user's own x.preview.jpg is an image.
    assert names == ["a.PNG", "a.preview.jpg", "z.jpg", "m/f.bmp", "sub/b.webp", "sub/deeper/c.tif"]


def test_uri_plans_refuse_what_the_local_run_refuses(tree: Path):
    with pytest.raises(UsageError, match="no such file or folder"):
        plan_batch(BatchRequest(((tree / "missing").as_uri(),)))
    with pytest.raises(UsageError, match="originals would be overwritten"):
        plan_batch(BatchRequest((tree.as_uri(),), out=tree.as_uri()))
    with pytest.raises(UsageError, match="give --out"):
        plan_batch(BatchRequest(("file:///",)))
    with pytest.raises(UsageError, match="cannot open"):
        plan_batch(BatchRequest(("nosuchscheme://bucket/photos",)))
    (tree.parent / "empty").mkdir()
    with pytest.raises(UsageError, match="no images"):
        plan_batch(BatchRequest(((tree.parent / "empty").as_uri(),)))


def test_mixed_local_and_uri_inputs_into_one_folder(tree: Path, tmp_path: Path):
    single = tmp_path / "single.jpg"
    single.write_bytes(b"x")
    plan = plan_batch(BatchRequest((tree.as_uri(), str(single)), out=str(tmp_path / "out")))
    shown = [(j.src.shown, j.dst.shown) for j in plan.jobs]
    assert shown[0] == ((tree / "a.PNG").as_uri(), str(tmp_path / "out" / "photos" / "a.PNG"))
    assert shown[-1] == (str(single), str(tmp_path / "out" / "single.jpg"))


class _NoAppend(pyarrow_fs.FileSystemHandler):
    """A local folder that behaves like an object store: no appending."""

    def __init__(self) -> None:
        self.local = pyarrow_fs.LocalFileSystem()
        self.uploads = 0

    def get_type_name(self):
        return "noappend"

    def __eq__(self, other):
        return isinstance(other, _NoAppend)

    def __ne__(self, other):
        return not self == other

    def get_file_info(self, paths):
        return self.local.get_file_info(paths)

    def get_file_info_selector(self, selector):
        return self.local.get_file_info(selector)

    def create_dir(self, path, recursive):
        self.local.create_dir(path, recursive=recursive)

    def delete_dir(self, path):
        self.local.delete_dir(path)

    def delete_dir_contents(self, path, missing_dir_ok=False):
        self.local.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self):
        raise NotImplementedError

    def delete_file(self, path):
        self.local.delete_file(path)

    def move(self, src, dest):
        self.uploads += 1
        self.local.move(src, dest)

    def copy_file(self, src, dest):
        self.local.copy_file(src, dest)

    def open_input_stream(self, path):
        return self.local.open_input_stream(path)

    def open_input_file(self, path):
        return self.local.open_input_file(path)

    def open_output_stream(self, path, metadata):
        return self.local.open_output_stream(path)

    def open_append_stream(self, path, metadata):
        raise NotImplementedError("append is not supported")

    def normalize_path(self, path):
        return path


def _entry(name: str, **extra) -> str:
    return json.dumps({"input": name, "output": f"out/{name}", **extra})


@pytest.mark.parametrize("appendable", [True, False])
def test_journal_appends_as_it_goes_resumes_after_a_cut_line_and_rewrites_in_order(
    tmp_path: Path, appendable: bool
):
    from redactor.engines.storage import Place

    filesystems = Filesystems()
    if appendable:
        target = filesystems.place(str(tmp_path / "report.jsonl"))
    else:
        handler = _NoAppend()
        filesystems._table["noappend://"] = pyarrow_fs.PyFileSystem(handler)
        target = Place("noappend://", str(tmp_path / "report.jsonl"), "noappend:///report.jsonl")
    # An earlier run: c done, a failed, then a line cut by a crash, and a line for an image
    # this run does not include.
    (tmp_path / "report.jsonl").write_text(
        _entry("other")
        + "\n"
        + _entry("c")
        + "\n"
        + _entry("a", error="bad")
        + "\n"
        + _entry("b")[:25]
    )
    journal = ReportJournal(filesystems, upload_every=3600)
    earlier = journal.earlier(target)
    assert sorted(earlier) == ["a", "c", "other"] and earlier["a"]["error"] == "bad"

    journal.append(target, _entry("b"))
    if appendable:  # on disk at once: a crash now loses nothing
        assert (tmp_path / "report.jsonl").read_text().splitlines()[-1] == _entry("b")
    journal.append(target, _entry("a"))
    journal.close()
    lines = (tmp_path / "report.jsonl").read_text().splitlines()
    assert lines[-2:] == [_entry("b"), _entry("a")] and lines[3] == _entry("b")[:25]
    if not appendable:
        assert handler.uploads == 1  # uploaded whole, once, by close()

    journal.rewrite(target, ["a", "b", "c"])
    assert (tmp_path / "report.jsonl").read_text().splitlines() == [
        _entry("other"),
        _entry("a"),
        _entry("b"),
        _entry("c"),
    ]
