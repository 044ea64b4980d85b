"""The `recap` command line: a thin layer over the library.

    app.py      the typer app, the per-episode commands (run, fetch ... write, status), main()
    options.py  the option types every command shares
    batch.py    `recap batch` (plans, live table); quality.py `recap check` / `recap eval`;
    studio.py   `recap studio`

Settings are resolved by recap.settings (the library), never here; nothing in recap/ below
this package imports it.
"""

from __future__ import annotations

from recap.cli.app import app, main, register_all

__all__ = ["app", "main", "register_all"]
