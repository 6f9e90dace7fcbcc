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

# --- extension (browser extension) ---


if __name__ == "__main__":
    run_app()
