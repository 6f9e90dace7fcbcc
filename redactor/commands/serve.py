"""`redact serve`: the local daemon the browser extension and local tools send images to."""

from __future__ import annotations

import typer

from redactor.commands import fail


def command(
    host: str = typer.Option("127.0.0.1", help="Address to bind; non-loopback is warned about."),
    port: int = typer.Option(8765, min=0, max=65535, help="Port to listen on (0: any free port)."),
    model: str | None = typer.Option(None, help="PrivObfNet model file (.onnx, .pt, .engine)."),
    hide: str = typer.Option("defaults", help="What to hide when a request names nothing."),
    person: bool = typer.Option(False, "--person", help="Load person masks (`human` extra)."),
    trust_model: bool = typer.Option(
        False,
        "--trust-model",
        help="Hide attributes only the model finds even if its "
        "real-image validity is unmeasured or under the bar.",
    ),
    workers: int = typer.Option(1, min=1, help="Worker threads running the pipeline."),
    batch_size: int = typer.Option(8, min=1, help="Most images per micro-batch."),
    batch_window_ms: float = typer.Option(10.0, min=0, help="How long a lone request waits."),
    max_queue: int = typer.Option(16, min=1, help="Requests taken at once; more get 503."),
    max_mb: float = typer.Option(50.0, min=0.01, help="Largest upload, MiB."),
    max_megapixels: float = typer.Option(40.0, min=0.01, help="Largest decoded image, MP."),
    pixel_budget: float = typer.Option(
        0.0, min=0, help="Decoded MP of all images in work at once (0: --max-megapixels)."
    ),
    timeout: float = typer.Option(120.0, min=0.1, help="Seconds one request may take (then 504)."),
    idle_timeout: float = typer.Option(
        15.0, min=0.1, help="Seconds a connection may sit without a complete request head."
    ),
    body_timeout: float = typer.Option(
        10.0, min=0.1, help="Seconds without a byte of the upload before a 408."
    ),
    max_connections: int = typer.Option(
        32, min=1, help="Open connections per client address; the oldest idle one is closed."
    ),
    extension_id: list[str] = typer.Option(
        [], "--extension-id", help="Another Chrome extension id that may call (with the token)."
    ),
    config_dir: str | None = typer.Option(
        None, help="Folder of the token (default: $XDG_CONFIG_HOME/redactor)."
    ),
    show_token: bool = typer.Option(
        False, "--show-token", help="Print the access token (created if needed) and exit."
    ),
) -> None:
    """Run the local daemon the browser extension (and local tools) send images to."""
    from pathlib import Path

    from redactor.attributes import parse_hide
    from redactor.config_dir import load_or_create_token, token_path
    from redactor.server import ServerConfig, run

    folder = Path(config_dir).expanduser() if config_dir else None
    if show_token:
        typer.echo(load_or_create_token(folder))
        typer.echo(f"(stored in {token_path(folder)})", err=True)
        return
    from redactor.default_model import resolve_model

    model_path = resolve_model(model)
    if model_path is not None and not model_path.is_file():
        fail(f"model file {model} not found; train one with `redact train` or omit --model")
    config = ServerConfig(
        host=host, port=port, model=model_path, person=person,
        trust_model=trust_model,
        hide=parse_hide(hide), workers=workers, max_batch=batch_size,
        batch_window_ms=batch_window_ms, max_pending=max_queue, max_bytes=int(max_mb * 2**20),
        max_pixels=int(max_megapixels * 1_000_000), request_timeout_s=timeout,
        pixel_budget=int(pixel_budget * 1_000_000) or None, idle_timeout_s=idle_timeout,
        body_timeout_s=body_timeout, max_connections_per_peer=max_connections,
        extension_ids=tuple(extension_id), config_dir=folder,
    )  # fmt: skip
    try:
        status = run(config)
    except OSError as error:  # the port is taken, or the address is not this machine's
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
    if status:
        raise typer.Exit(status)
