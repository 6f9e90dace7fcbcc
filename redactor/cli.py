"""The `redact` command line: thin front ends over the library.

`redact PATH...` is the default command (`redact run PATH...` spelled out); the others are
subcommands. `--help` and `--version` answer before anything heavy is imported: every command
imports what it needs inside its own body. No decision about images, models or masks is made
here; errors from the library (RedactorError) become one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys
from typing import Any

import click
import typer
from typer.core import TyperGroup

from redactor import __version__

DEFAULT_COMMAND = "run"


class DefaultCommandGroup(TyperGroup):
    """Runs `DEFAULT_COMMAND` when the first argument is not a subcommand, so that
    `redact ./photos` and `redact train` both work. A folder that happens to be named like a
    subcommand is reached with `redact run train`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            if not (args[0].startswith("-") and args[0] in ("--version", "-V")):
                args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # The default command first, the rest in the order they are defined.
        names = list(self.commands)
        return [DEFAULT_COMMAND, *(n for n in names if n != DEFAULT_COMMAND)] if names else names


app = typer.Typer(
    cls=DefaultCommandGroup,
    name="redact",
    help="Find what is private in images and hide it. `redact PATH...` redacts files and folders.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals can hold recognised private text
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"redact {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Find what is private in images and hide it."""


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr, no traceback, non-zero exit."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def run_app(argv: list[str] | None = None) -> Any:
    """Console-script entry point. Library errors become one line and exit status 2."""
    from redactor.errors import RedactorError

    try:
        return app(args=argv, standalone_mode=True)
    except RedactorError as error:  # raised outside a command's own handling
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        sys.exit(2)


# Commands follow, one section per area. Each imports its dependencies inside its body.
# --- run, attributes (batch redactor) ---

# --- synth (synthetic data) ---

# --- train, evaluate (PrivObfNet) ---

# --- export, bench (runtime) ---

# --- serve (daemon) ---
@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Address to bind; non-loopback is warned about."),
    port: int = typer.Option(8765, help="Port to listen on (0: any free port)."),
    model: str | None = typer.Option(None, help="PrivObfNet model file (.onnx, .pt, .engine)."),
    hide: str = typer.Option("defaults", help="What to hide when a request names nothing."),
    person: bool = typer.Option(False, "--person", help="Load person masks (`human` extra)."),
    workers: int = typer.Option(1, min=1, help="Worker threads running the pipeline."),
    batch_size: int = typer.Option(8, min=1, help="Most images per micro-batch."),
    batch_window_ms: float = typer.Option(10.0, min=0, help="How long a lone request waits."),
    max_queue: int = typer.Option(16, min=1, help="Requests taken at once; more get 503."),
    max_mb: float = typer.Option(50.0, min=0.01, help="Largest upload, MiB."),
    max_megapixels: float = typer.Option(100.0, min=0.01, help="Largest decoded image, MP."),
    timeout: float = typer.Option(120.0, min=0.1, help="Seconds one request may take (then 504)."),
    extension_id: list[str] = typer.Option(
        [], "--extension-id", help="Another Chrome extension id to trust (development builds)."
    ),
    config_dir: str | None = typer.Option(
        None, help="Folder of the token and pairings (default: $XDG_CONFIG_HOME/redactor)."
    ),
    show_token: bool = typer.Option(
        False, "--show-token", help="Print the access token (created if needed) and exit."
    ),
) -> None:
    """Run the local daemon the browser extension (and local tools) send images to."""
    from pathlib import Path

    from redactor import attributes
    from redactor.config_dir import load_or_create_token, token_path
    from redactor.errors import RedactorError
    from redactor.server import ServerConfig, run

    folder = Path(config_dir).expanduser() if config_dir else None
    try:
        if show_token:
            typer.echo(load_or_create_token(folder))
            typer.echo(f"(stored in {token_path(folder)})", err=True)
            return
        if model is not None and not Path(model).is_file():
            fail(f"model file {model} not found; train one with `redact train` or omit --model")
        names = attributes.split_names(hide)
        config = ServerConfig(
            host=host, port=port, model=Path(model) if model else None, person=person,
            hide=None if names in ([], ["defaults"]) else tuple(names),
            workers=workers, max_batch=batch_size, batch_window_ms=batch_window_ms,
            max_pending=max_queue, max_bytes=int(max_mb * 2**20),
            max_pixels=int(max_megapixels * 1_000_000), request_timeout_s=timeout,
            extension_ids=tuple(extension_id), config_dir=folder,
        )  # fmt: skip
        status = run(config)
    except RedactorError as error:
        fail(str(error))
    except OSError as error:  # the port is taken, or the address is not this machine's
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
    if status:
        raise typer.Exit(status)


# --- extension (browser extension) ---
@app.command("extension")
def extension_command(
    path: bool = typer.Option(
        False, "--path", help="Print only the unpacked extension's folder (for scripts)."
    ),
    firefox: str | None = typer.Option(
        None, "--firefox", metavar="DIR", help="Also build the Firefox copy into DIR."
    ),
) -> None:
    """Where the browser extension is and how to load it in Chromium, Chrome, Edge, Firefox."""
    from pathlib import Path

    from redactor.browser_extension import build_firefox, extension_dir, install_steps
    from redactor.errors import RedactorError

    try:
        folder = extension_dir()
        built = build_firefox(Path(firefox).expanduser()) if firefox else None
    except RedactorError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write the Firefox build to {firefox}: {error.strerror or error}")
    typer.echo(str(folder) if path else install_steps(folder, built))


if __name__ == "__main__":
    run_app()
