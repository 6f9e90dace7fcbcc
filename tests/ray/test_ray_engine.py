"""`redact --engine ray` on a local Ray cluster (2 CPUs, started once for the module): the same
outputs and report as the local engine, corrupt files reported, pyarrow URIs, resuming an
interrupted run, and a worker killed mid-run."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from redactor.batch import BatchRequest, LocalRunner, redact
from redactor.cli import app
from redactor.pipeline import RedactOptions
from tests.ray.conftest import SAMPLES, make_photos

FACES = RedactOptions(hide=("face",))
runner = CliRunner()


@pytest.fixture(scope="module")
def text_photos(tmp_path_factory) -> Path:
    return make_photos(tmp_path_factory.mktemp("text") / "photos", text=True)


@pytest.fixture(scope="module")
def face_photos(tmp_path_factory) -> Path:
    return make_photos(tmp_path_factory.mktemp("faces") / "photos", text=False)


def local_run(folder: Path, out: Path, options: RedactOptions, redactor) -> None:
    """The local engine through the one run loop (one worker, the session's shared Redactor)."""
    redact(
        BatchRequest((str(folder),), out=str(out), recursive=True),
        options,
        LocalRunner(redactor=redactor),
    )


def ray_run(inputs, options: RedactOptions, *, out: str, cluster=None, **request):
    """The Ray engine through the same loop. -> (summary, outcomes in the order they came)."""
    from redactor.engines.ray_engine import RayCluster, RayRunner

    outcomes, plans = [], []
    summary = redact(
        BatchRequest(tuple(inputs), out=out, recursive=True, resume=True, **request),
        options,
        RayRunner(cluster=cluster or RayCluster(workers=1, batch_size=1)),
        on_start=lambda plan, pending: plans.append((plan, pending)),
        on_result=outcomes.append,
    )
    return summary, outcomes, plans[0]


def read_report(path: Path, *, out: str) -> list[dict]:
    """Entries without timings, with the output folder written as OUT and object addresses in
    error messages (`<_io.BytesIO object at 0x...>`) blanked."""
    entries = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        entry.pop("timings", None)
        if entry.get("output"):
            entry["output"] = entry["output"].replace(out, "OUT")
        if entry.get("error"):
            entry["error"] = re.sub(r" at 0x[0-9a-f]+", "", entry["error"])
        entries.append(entry)
    return entries


def images_in(folder: Path) -> dict[str, np.ndarray]:
    return {
        str(p.relative_to(folder)): np.asarray(Image.open(p))
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "report.jsonl"
    }


def assert_same_images(expected: Path, actual: Path) -> None:
    wanted, got = images_in(expected), images_in(actual)
    assert sorted(got) == sorted(wanted)
    for name, pixels in wanted.items():
        assert np.array_equal(got[name], pixels), name


def test_ray_engine_matches_the_local_engine_and_reports_the_corrupt_file(
    ray_cluster, text_photos: Path, shared_redactor, tmp_path: Path
):
    """Default hide (faces and private text): models load in each actor, the output tree, the
    pixels and the report equal the local run's; the corrupt JPEG is reported, not written."""
    local_out, ray_out = tmp_path / "local", tmp_path / "ray"
    local_run(text_photos, local_out, RedactOptions(), shared_redactor)

    result = runner.invoke(
        app,
        [
            "run",
            str(text_photos),
            "-r",
            "-o",
            str(ray_out),
            "--engine",
            "ray",
            "--workers",
            "2",
            "--batch-size",
            "1",
        ],
    )
    assert result.exit_code == 1, result.output  # one file failed
    assert "broken.jpg" in result.output and "images redacted" in result.output

    assert_same_images(local_out, ray_out)
    expected = read_report(local_out / "report.jsonl", out=str(local_out))
    got = read_report(ray_out / "report.jsonl", out=str(ray_out))
    assert got == expected
    by_name = {Path(e["input"]).name: e for e in got}
    assert by_name["broken.jpg"]["error_code"] == "bad_image"
    assert not (ray_out / "broken.jpg").exists()
    assert by_name["astronaut.jpg"]["counts"] == {"face": 1}
    assert by_name["card.png"]["counts"].get("name", 0) >= 1  # the text path ran in the actors


def test_uri_inputs_and_outputs_through_pyarrow(
    ray_cluster, face_photos: Path, shared_redactor, tmp_path: Path
):
    """file:// URIs go through pyarrow's filesystem layer (as s3:// or gs:// would): the images
    are fetched, redacted and uploaded by the actors; outputs equal the local engine's."""
    from redactor.engines.ray_engine import RayCluster

    local_out, ray_out = tmp_path / "local", tmp_path / "ray"
    local_run(face_photos, local_out, FACES, shared_redactor)
    summary, outcomes, (plan, _) = ray_run(
        [face_photos.as_uri()],
        FACES,
        out=ray_out.as_uri(),
        cluster=RayCluster(workers=2, batch_size=2),
    )
    assert plan.jobs[0].src.fs.startswith("file://")
    done = {o.job.src.shown: o for o in outcomes}
    assert summary.reports == [f"{ray_out.as_uri()}/report.jsonl"]

    assert sorted(done) == sorted(
        f"{face_photos.as_uri()}/{name}"
        for name in ("astronaut.jpg", "broken.jpg", "trip/small.webp", "trip/tiny.png")
    )
    assert_same_images(local_out, ray_out)
    expected = read_report(local_out / "report.jsonl", out=str(local_out))
    got = read_report(ray_out / "report.jsonl", out=ray_out.as_uri())
    for entry in expected:
        entry["input"] = Path(entry["input"]).resolve().as_uri()
    assert got == expected
    assert any("skipped" in entry for entry in got)  # notes.txt, named


def test_interrupted_run_resumes_with_what_is_left(
    ray_cluster, face_photos: Path, shared_redactor, tmp_path: Path
):
    """A run cut short: two images done (their lines and outputs kept), one output missing, the
    last report line cut in half. The rerun redacts only the rest and leaves the done files
    untouched; the final report is the complete one, one line per image, in input order."""
    local_out, out = tmp_path / "local", tmp_path / "out"
    local_run(face_photos, local_out, FACES, shared_redactor)
    full = [
        line
        for line in (local_out / "report.jsonl").read_text().splitlines()
        if "skipped" not in json.loads(line)
    ]  # notes.txt, named first
    names = [Path(json.loads(line)["input"]).relative_to(face_photos).as_posix() for line in full]
    assert names == ["astronaut.jpg", "broken.jpg", "trip/small.webp", "trip/tiny.png"]
    # The interrupted run: astronaut and small.webp done; tiny.png's line written but its output
    # is gone; broken.jpg failed; the report ends in half a line.
    out.mkdir()
    lines = []
    for name, line in zip(names, full):
        entry = json.loads(line)
        entry["output"] = entry["output"] and str(out / name)
        lines.append(json.dumps(entry))
        if name in ("astronaut.jpg", "trip/small.webp"):
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_bytes((local_out / name).read_bytes())
    (out / "report.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][:40])
    kept = {name: os.stat(out / name).st_mtime_ns for name in ("astronaut.jpg", "trip/small.webp")}

    summary, outcomes, _ = ray_run([str(face_photos)], FACES, out=str(out))
    assert summary.resumed == 2
    redone = sorted(Path(o.job.src.shown).name for o in outcomes)

    assert redone == ["broken.jpg", "tiny.png"]  # the failed image is tried again
    assert {name: os.stat(out / name).st_mtime_ns for name in kept} == kept
    assert_same_images(local_out, out)
    assert read_report(out / "report.jsonl", out=str(out)) == read_report(
        local_out / "report.jsonl", out=str(local_out)
    )
    # Nothing left to do but the failed image.
    summary, outcomes, _ = ray_run([str(face_photos)], FACES, out=str(out))
    assert summary.resumed == 3 and [Path(o.job.src.shown).name for o in outcomes] == ["broken.jpg"]


def test_a_killed_worker_is_restarted_and_its_images_redone(ray_cluster, tmp_path: Path):
    """SIGKILL the only actor as its first image comes back: Ray starts a new one and retries the
    batches the dead one held; every image is redacted once, completely (the images are large
    enough that the others are still to do when the first one arrives)."""
    from redactor.engines.ray_engine import RayCluster, RayRunner

    folder, out = tmp_path / "big", tmp_path / "out"
    folder.mkdir()
    photo = Image.open(SAMPLES / "astronaut.jpg").resize((1024, 1024))
    for i in range(6):
        photo.save(folder / f"photo{i}.jpg", quality=90)
    seen, killed = [], []

    def kill_the_first(outcome) -> None:
        seen.append(outcome)
        if not killed:
            killed.append(outcome.worker)
            os.kill(int(outcome.worker.rsplit(":", 1)[1]), signal.SIGKILL)

    redact(
        BatchRequest((str(folder),), out=str(out)),
        FACES,
        RayRunner(cluster=RayCluster(workers=1, batch_size=1)),
        on_result=kill_the_first,
    )

    assert sorted(Path(o.job.src.shown).name for o in seen) == [f"photo{i}.jpg" for i in range(6)]
    assert all(not o.failed and o.entry["counts"] == {"face": 1} for o in seen)
    assert any(o.worker != killed[0] for o in seen)  # work done by the restarted actor
    for i in range(6):  # complete files only under the real names (a cut write stays a temp)
        assert Image.open(out / f"photo{i}.jpg").size == (1024, 1024)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        [f"photo{i}.jpg" for i in range(6)] + ["report.jsonl"]
    )


def test_usage_errors_come_before_ray_starts(tmp_path: Path):
    missing = runner.invoke(app, ["run", str(tmp_path / "nope"), "--engine", "ray"])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    unknown = runner.invoke(app, ["run", str(tmp_path), "--engine", "spark"])
    assert unknown.exit_code == 2 and "valid: local, ray" in unknown.output
    local_only = runner.invoke(app, ["run", str(tmp_path), "--batch-size", "2"])
    assert local_only.exit_code == 2 and "needs --engine ray" in local_only.output
    uri = runner.invoke(app, ["run", (tmp_path / "x").as_uri()])
    assert uri.exit_code == 2 and "need --engine ray" in uri.output


def test_the_coordinator_that_serves_ray_client_callers(ray_cluster, face_photos: Path, tmp_path):
    """Through ray:// the pipeline runs in a coordinator actor that the caller polls: the same
    rows come back (driven here from a normal driver; the ray:// connection itself needs a
    cluster with a client server, checked by hand, see README)."""
    from redactor.batch import RedactorSetup, plan_batch
    from redactor.engines.ray_engine import Pipeline, RayCluster, _rows_through_coordinator

    plan = plan_batch(BatchRequest((face_photos.as_uri(),), out=(tmp_path / "out").as_uri()))
    items = [
        {"index": i, "job": json.dumps(__import__("dataclasses").asdict(job))}
        for i, job in enumerate(plan.jobs)
    ]
    pipeline = Pipeline(
        items, RedactorSetup(), FACES, plan.filesystems, RayCluster(workers=1, batch_size=2)
    )
    rows = list(_rows_through_coordinator(ray_cluster, pipeline))
    assert sorted(row["index"] for row in rows) == [0, 1]  # astronaut.jpg, broken.jpg
    assert all(row["fatal"] == "" for row in rows)
    assert (tmp_path / "out" / "astronaut.jpg").is_file()
