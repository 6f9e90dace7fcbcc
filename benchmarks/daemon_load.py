"""Daemon load: a bounded run against a local `redact serve` this script starts itself.

For each concurrency level, N requests (real sample photos, round robin) go to POST /v1/redact;
the script prints requests per second, p50/p99 latency, errors by status, the mean micro-batch
size the daemon formed, and the daemon process's resident memory sampled every 50 ms
(peak per level, and start -> end of the whole run: the goal is flat, no growth).

    python benchmarks/daemon_load.py                          # 500 requests at 1, 4, 16
    python benchmarks/daemon_load.py --requests 40            # a quick look
    python benchmarks/daemon_load.py --hide defaults --requests 50   # faces + private text
    python benchmarks/daemon_load.py --hide defaults --requests 0 --largest --burst 4
        # peak RSS for one image of the largest accepted size (a PNG of --max-megapixels),
        # then for a burst of them sent at once; the warm RSS after

The daemon runs with its defaults except `--hide` (faces only by default here: the text stages
cost ~1 s per image on 2 cores and would measure OCR, not the daemon) and the options below.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ("astronaut.jpg", "badge_photo.jpg")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class MemorySampler:
    """Samples the daemon's RSS every `interval` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), rss_bytes(self.pid)))
            except OSError:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_between(self, start: float, end: float) -> int:
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


def start_daemon(args: argparse.Namespace, config_dir: Path) -> tuple[subprocess.Popen, int, str]:
    command = [
        sys.executable, "-m", "redactor.cli", "serve", "--port", "0", "--hide", args.hide,
        "--workers", str(args.workers), "--batch-size", str(args.batch_size),
        "--max-queue", str(max(16, max(args.concurrency))), "--config-dir", str(config_dir),
        "--max-megapixels", str(args.max_megapixels),
    ]  # fmt: skip
    daemon = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert daemon.stdout is not None
    first = daemon.stdout.readline()
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", first)
    if not match:
        daemon.kill()
        raise SystemExit(f"the daemon did not start: {first!r}")
    ready = daemon.stdout.readline()
    if not ready.startswith("ready"):
        daemon.kill()
        raise SystemExit(f"the daemon did not get ready: {ready!r}")
    # Keep draining stdout so the daemon never blocks on a full pipe.
    threading.Thread(target=daemon.stdout.read, daemon=True).start()
    token = (config_dir / "daemon-token").read_text().strip()
    return daemon, int(match.group(1)), token


async def run_level(port: int, token: str, photos: list[bytes], requests: int, concurrency: int,
                    hide: str) -> dict:  # fmt: skip
    import aiohttp

    url = f"http://127.0.0.1:{port}/v1/redact"
    params = {"hide": hide} if hide != "defaults" else {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(requests))

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            body = photos[i % len(photos)]
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, params=params, headers=headers) as reply:
                    await reply.read()
                    status = reply.status
            except aiohttp.ClientError as error:
                status = type(error).__name__
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        health = f"http://127.0.0.1:{port}/v1/health"
        async with session.get(health, headers=headers) as reply:
            before = (await reply.json())["queue"]
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        wall = time.perf_counter() - started
        async with session.get(health, headers=headers) as reply:
            after = (await reply.json())["queue"]
    latencies.sort()
    batches = after["batches"] - before["batches"]
    return {
        "concurrency": concurrency,
        "requests": requests,
        "rps": requests / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "errors": errors,
        "mean_batch": (after["jobs"] - before["jobs"]) / batches if batches else 0.0,
    }


def largest_image(megapixels: float) -> bytes:
    """A PNG of exactly the largest accepted size, of real photo content (the sample photo
    scaled up), so every detector has something to look at."""
    import io

    from PIL import Image

    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(megapixels * 1e6) // width
    photo = Image.open(ROOT / "samples" / PHOTOS[0]).convert("RGB")
    buffer = io.BytesIO()
    photo.resize((width, height)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


async def send_at_once(port: int, token: str, body: bytes, count: int, hide: str) -> list:
    import aiohttp

    url = f"http://127.0.0.1:{port}/v1/redact"
    params = {"hide": hide} if hide != "defaults" else {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/png"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as session:

        async def one() -> int:
            async with session.post(url, data=body, params=params, headers=headers) as reply:
                await reply.read()
                return reply.status

        return await asyncio.gather(*(one() for _ in range(count)))


def measure_largest(args: argparse.Namespace, port: int, token: str, pid: int,
                    memory: MemorySampler) -> list[str]:  # fmt: skip
    body = largest_image(args.max_megapixels)
    lines = []
    for count in (1, args.burst):
        began = time.monotonic()
        statuses = asyncio.run(send_at_once(port, token, body, count, args.hide))
        seconds = time.monotonic() - began
        time.sleep(1)  # let the sampler see the memory given back
        lines.append(
            f"{count} x {args.max_megapixels:g} Mpx PNG ({len(body) / 2**20:.1f} MiB) at once: "
            f"peak RSS {memory.peak_between(began, time.monotonic()) / 2**20:.0f} MiB, "
            f"RSS after {rss_bytes(pid) / 2**20:.0f} MiB, {seconds:.1f} s, statuses {statuses}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--hide", default="face")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print one JSON line per level too")
    parser.add_argument(
        "--max-megapixels",
        type=float,
        default=40.0,
        help="the daemon's per-image limit (its default: 40)",
    )
    parser.add_argument(
        "--largest",
        action="store_true",
        help="also measure peak RSS for the largest accepted image and a burst",
    )
    parser.add_argument("--burst", type=int, default=4, help="images in the --largest burst")
    args = parser.parse_args()

    photos = [(ROOT / "samples" / name).read_bytes() for name in PHOTOS
              if (ROOT / "samples" / name).is_file()]  # fmt: skip
    if not photos:
        raise SystemExit("no sample photos in samples/")
    with tempfile.TemporaryDirectory(prefix="redactor-load-") as folder:
        daemon, port, token = start_daemon(args, Path(folder))
        try:
            with MemorySampler(daemon.pid) as memory:
                rss_start = rss_bytes(daemon.pid)
                rows = []
                for concurrency in args.concurrency if args.requests > 0 else ():
                    began = time.monotonic()
                    row = asyncio.run(
                        run_level(port, token, photos, args.requests, concurrency, args.hide)
                    )
                    row["peak_rss_mib"] = memory.peak_between(began, time.monotonic()) / 2**20
                    row["rss_after_mib"] = rss_bytes(daemon.pid) / 2**20
                    rows.append(row)
                rss_end = rss_bytes(daemon.pid)
                largest = (
                    measure_largest(args, port, token, daemon.pid, memory) if args.largest else []
                )
        finally:
            daemon.terminate()
            daemon.wait(120)

    print(
        f"daemon load: {len(photos)} sample photos, hide={args.hide}, workers={args.workers}, "
        f"batch size {args.batch_size}, {args.requests} requests per level, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'conc':>4} {'req/s':>7} {'x conc=1':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'batch':>6} {'peak RSS MiB':>12} {'RSS after':>9}  errors"
    )
    base = rows[0]["rps"] if rows else 1.0
    for row in rows:
        print(
            f"{row['concurrency']:>4} {row['rps']:>7.2f} {row['rps'] / base:>8.2f} "
            f"{row['p50_ms']:>8.0f} {row['p99_ms']:>8.0f} {row['mean_batch']:>6.2f} "
            f"{row['peak_rss_mib']:>12.0f} {row['rss_after_mib']:>9.0f}  {row['errors'] or 0}"
        )
    print(
        f"daemon RSS: {rss_start / 2**20:.0f} MiB before the first level, "
        f"{rss_end / 2**20:.0f} MiB after the last "
        f"({(rss_end - rss_start) / 2**20:+.0f} MiB)"
    )
    for line in largest:
        print(line)
    if args.json:
        for row in rows:
            print(json.dumps(row))


if __name__ == "__main__":
    main()
