"""What authentication costs the extension, in headless Chromium with the real daemon: fetching
the token from the native host (`redact native-host`, once per install or token change) and one
challenge (the daemon's proof, before every request that carries the token).

    python benchmarks/extension_auth.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.extension import harness  # noqa: E402

FETCH_TOKEN = """async () => {
    const started = performance.now();
    const settings = await RedactorDaemon.withToken({...await RedactorSettings.load(), token: ""});
    if (!settings.token) throw new Error("the native host gave no token");
    return performance.now() - started;
}"""
PROVE = """async () => {
    const settings = await RedactorSettings.load();
    const started = performance.now();
    await RedactorDaemon.prove(settings);
    return performance.now() - started;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="challenges timed")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        servers = harness.ServerLoop()
        daemon = harness.start_daemon(servers, work / "config")
        with sync_playwright() as playwright:
            context = harness.launch(playwright, work / "profile", daemon=daemon)
            worker = harness.extension_worker(context)
            fetches = [worker.evaluate(FETCH_TOKEN) for _ in range(max(3, args.runs // 3))]
            proofs = [worker.evaluate(PROVE) for _ in range(args.runs)]
            context.close()
        servers.stop(daemon.runner)
        servers.close()
    print(f"token from the native host: median {statistics.median(fetches):6.0f} ms "
          f"({len(fetches)} runs)")  # fmt: skip
    print(f"challenge + proof check:    median {statistics.median(proofs):6.1f} ms, "
          f"max {max(proofs):.1f} ms ({len(proofs)} runs)")  # fmt: skip


if __name__ == "__main__":
    main()
