"""`recap studio`: the local web app over the same library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Register `recap studio`."""
    app.command("studio")(studio)


def studio(
    output: Annotated[Path, typer.Argument(help="Folder holding episode folders.")] = Path("output"),
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on (default 127.0.0.1, this computer only; any other "
        "address requires the access token printed at start-up).")] = "127.0.0.1",
) -> None:
    """Open the studio: paste a link, watch it work, review each bullet against its moment, edit."""
    from recap.errors import ConfigError

    try:
        from recap.web.app import serve
    except ImportError as exc:
        raise ConfigError(f"recap studio needs the web extra ({exc.name} is missing): "
                          "pip install 'recap[web]'") from None
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535 (got {port})")
    serve(output, host, port, announce=lambda line: typer.echo(line, err=True))
