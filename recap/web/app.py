"""The studio's Starlette app and the server that runs it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8765
MAX_UPLOAD_BYTES = 2 * 1024**3
"""The largest media file the page accepts (2 GiB)."""


def create_app(output_root: Path, *, bind_host: str = "127.0.0.1",
               access_token: str | None = None, max_upload_bytes: int = MAX_UPLOAD_BYTES) -> Any:
    """The studio over the episode folders in `output_root`.

    Args:
        output_root: folder holding episode folders (created when missing).
        bind_host: the address the server listens on; off loopback `access_token` is required.
        access_token: required on every request when given (a cookie after the first visit).
        max_upload_bytes: the largest upload accepted.
    """
    import jinja2
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles
    from starlette.templating import Jinja2Templates

    from recap.errors import ConfigError
    from recap.web.events import Runs
    from recap.web.routes import api, pages
    from recap.web.security import Guard, is_loopback

    if not is_loopback(bind_host) and not access_token:
        raise ConfigError(f"binding to {bind_host} needs an access token")
    root = Path(output_root)
    root.mkdir(parents=True, exist_ok=True)
    env = jinja2.Environment(loader=jinja2.PackageLoader("recap.web", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    csrf_token = secrets.token_urlsafe(24)
    static = Path(__file__).parent / "static"
    routes = [*pages.routes(), *api.routes(),
              Mount("/static", app=StaticFiles(directory=static, follow_symlink=False),
                    name="static")]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, bind_host=bind_host, csrf_token=csrf_token,
                               access_token=access_token)],
        exception_handlers=api.exception_handlers(),
    )
    app.state.root = root
    app.state.runs = Runs()
    app.state.csrf = csrf_token
    app.state.templates = Jinja2Templates(env=env)
    app.state.max_upload = max_upload_bytes
    return app


def serve(output_root: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          announce: Any = print) -> None:
    """Run the studio until Ctrl-C; `announce` receives the address to open."""
    import uvicorn

    from recap.web.security import is_loopback

    token = None if is_loopback(host) else secrets.token_urlsafe(18)
    app = create_app(output_root, bind_host=host, access_token=token)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                            server_header=False, proxy_headers=False)
    server = uvicorn.Server(config)
    announce(f"recap studio: serving {output_root} at {address}")
    if token:
        announce("  the token in this address is required: share it only with people who may "
                 "start runs and edit posts")
    announce("  press Ctrl-C to stop")
    server.run()
