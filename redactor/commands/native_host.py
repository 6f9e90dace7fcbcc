"""`redact native-host` (hidden): run by the browser to hand the extension the daemon's token."""

from __future__ import annotations

import typer


def command(
    caller: list[str] = typer.Argument(None, hidden=True),  # the browser passes its origin
    config_dir: str | None = typer.Option(None, help="The daemon's folder of the token."),
) -> None:
    """Answer the browser extension's requests for the daemon's token (run by the browser)."""
    from pathlib import Path

    from redactor.config_dir import default_config_dir
    from redactor.native_host import run_host

    folder = Path(config_dir).expanduser() if config_dir else default_config_dir()
    raise typer.Exit(run_host(folder))
