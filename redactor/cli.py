"""The `redact` command line: one Typer app, its commands in `redactor/commands/<name>.py`.

`redact PATH...` is the default command (`redact run PATH...` spelled out); the others are
subcommands. `--help` and `--version` answer before anything heavy is imported: a command module
imports what it needs inside its command's body. No decision about images, models or masks is
made here, and no command catches library errors itself: `DefaultCommandGroup.invoke` hands every
error to `redactor.commands.boundary` (RedactorError: one line, exit 2; a missing extra: its
`pip install` line).
"""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from redactor import __version__
from redactor.commands import (
    attributes,
    bench,
    boundary,
    evaluate,
    export,
    extension,
    masks,
    native_host,
    run,
    serve,
    synth,
    train,
)

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
        # The default command first, the rest in the order they are registered.
        names = list(self.commands)
        return [DEFAULT_COMMAND, *(n for n in names if n != DEFAULT_COMMAND)] if names else names

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - the one error boundary of every command
            boundary(error, ctx.invoked_subcommand)


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
        False,
        "--version",
        "-V",
        callback=_version_callback,
        is_eager=True,
        help="Print the version.",
    ),
) -> None:
    """Find what is private in images and hide it."""


# name -> module (each module's `command`), in the order `redact --help` lists them.
app.command("run")(run.command)  # batch redactor (redactor/batch.py)
app.command("attributes")(attributes.command)
app.command("synth")(synth.command)  # synthetic data (redactor/training/synth)
app.command("masks")(masks.command)
app.command("train")(train.command)  # PrivObfNet (training/)
app.command("evaluate")(evaluate.command)
app.command("export")(export.command)  # runtime (exporters/)
app.command("bench")(bench.command)
app.command("serve")(serve.command)  # daemon (redactor/server.py)
app.command("extension")(extension.command)  # browser extension
app.command("native-host", hidden=True)(native_host.command)


def run_app(argv: list[str] | None = None) -> Any:
    """Console-script entry point (`redact`)."""
    return app(args=argv, standalone_mode=True)


if __name__ == "__main__":
    run_app()
