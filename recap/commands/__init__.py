"""CLI commands that live in their own modules, registered onto the main typer app."""

from __future__ import annotations

import typer


def register_all(app: typer.Typer) -> None:
    """Add every extension command to `app`."""
    from recap.commands import batch, quality, studio

    batch.register(app)
    quality.register(app)
    studio.register(app)
