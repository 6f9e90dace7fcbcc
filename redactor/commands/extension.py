"""`redact extension`: where the browser extension is, how to load it, and its native host."""

from __future__ import annotations

import typer

from redactor.commands import fail


def command(
    path: bool = typer.Option(
        False, "--path", help="Print only the unpacked extension's folder (for scripts)."
    ),
    firefox: str | None = typer.Option(
        None, "--firefox", metavar="DIR", help="Also build the Firefox copy into DIR."
    ),
    pack: str | None = typer.Option(
        None,
        "--pack",
        metavar="DIR",
        help="Write the Chromium zip and the Firefox zip (unsigned .xpi) into DIR.",
    ),
    install_native_host: bool = typer.Option(
        False,
        "--install-native-host",
        help="Let the extension fetch the daemon's token itself (native messaging).",
    ),
    uninstall_native_host: bool = typer.Option(
        False, "--uninstall-native-host", help="Remove what --install-native-host wrote."
    ),
    browser: str = typer.Option(
        "all", help="Browser for the native host: chromium, chrome, firefox or all."
    ),
    profile: str | None = typer.Option(
        None, metavar="DIR", help="A Chromium user data directory (--user-data-dir) to install to."
    ),
    config_dir: str | None = typer.Option(
        None, help="The daemon's folder of the token, if `redact serve` was given one."
    ),
) -> None:
    """Where the browser extension is and how to load it in Chromium, Chrome, Edge, Firefox;
    --pack writes its zips."""
    from pathlib import Path

    from redactor.browser_extension import build_firefox, extension_dir, install_steps, pack_zips

    if not (install_native_host or uninstall_native_host) and (
        browser != "all" or profile or config_dir
    ):
        fail("--browser, --profile and --config-dir go with --install-native-host "
             "or --uninstall-native-host")  # fmt: skip
    if pack and (path or firefox or install_native_host or uninstall_native_host):
        fail("--pack goes alone: it writes both browsers' zips")
    if install_native_host or uninstall_native_host:
        native_host_setup(install_native_host, uninstall_native_host, browser, profile,
                          config_dir)  # fmt: skip
        return
    folder = extension_dir()
    try:
        if pack:
            for written in pack_zips(Path(pack).expanduser()):
                typer.echo(str(written))
            return
        built = build_firefox(Path(firefox).expanduser()) if firefox else None
    except OSError as error:
        target = pack or firefox
        fail(f"cannot write the extension's build to {target}: {error.strerror or error}")
    typer.echo(str(folder) if path else install_steps(folder, built))


def native_host_setup(install: bool, uninstall: bool, browser: str, profile: str | None,
                      config_dir: str | None) -> None:  # fmt: skip
    from pathlib import Path

    from redactor import native_host

    if install and uninstall:
        fail("choose one of --install-native-host and --uninstall-native-host")
    profile_dir = Path(profile).expanduser() if profile else None
    browsers = native_host.browsers_named(browser, profile_dir)
    try:
        if uninstall:
            removed = native_host.uninstall(browsers, profile=profile_dir)
            for item in removed:
                typer.echo(f"removed the native host for {item.browser}: {item.manifest}")
            if not removed:
                typer.echo("no native host manifest of redactor was installed there")
            return
        folder = Path(config_dir).expanduser().resolve() if config_dir else None
        for item in native_host.install(browsers, config_dir=folder, profile=profile_dir):
            typer.echo(f"installed the native host for {item.browser}: {item.manifest}")
    except OSError as error:
        fail(f"cannot write the native host files: {error.strerror or error}")
    typer.echo("Restart the browser (or reload the extension): it fetches the token by itself.")
