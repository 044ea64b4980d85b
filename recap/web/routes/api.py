"""The JSON API (the contract scripts use, documented in the README) and the progress stream."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from recap.errors import InputError, RecapError
from recap.web.routes.pages import folder_for

log = logging.getLogger("recap.web")

UPLOADS = ".uploads"
"""Folder under the output root holding uploaded media (kept: it is the episode's source)."""
_WAIT_SECONDS = 600.0
_MEDIA_TYPES = ("audio/", "video/")


def routes() -> list[Route]:
    return [
        Route("/api/runs", start_run, methods=["POST"]),
        Route("/api/batches", start_batch, methods=["POST"]),
        Route("/api/uploads", upload, methods=["POST"]),
        Route("/api/runs/{run_id}", run_status),
        Route("/api/runs/{run_id}/events", run_events),
        Route("/api/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
        Route("/api/episodes", list_episodes),
        Route("/api/episodes/{slug}", get_episode),
        Route("/api/episodes/{slug}/post", save_post, methods=["PUT", "POST"]),
        Route("/api/episodes/{slug}/rerun", rerun, methods=["POST"]),
    ]


def exception_handlers() -> dict[Any, Any]:
    return {RecapError: _recap_error, HTTPException: _http_error, Exception: _unexpected}


async def _recap_error(request: Request, exc: Exception) -> Response:
    return _error(400, " ".join(str(exc).split()))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return _error(exc.status_code, str(exc.detail))
    return PlainTextResponse(f"{exc.status_code}: {exc.detail}", status_code=exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> Response:
    from recap.redact import redact

    log.debug("unexpected error on %s", request.url.path, exc_info=exc)
    return _error(500, f"unexpected error: {redact(f'{type(exc).__name__}: {exc}')}")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise InputError("the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise InputError("the request body must be a JSON object")
    return data


def _source(data: dict[str, Any]) -> str:
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InputError('give "source": a URL or the path of a media file')
    return source.strip()


def _wanted_wait(data: dict[str, Any]) -> bool:
    wait = data.get("wait", True)
    return wait not in (False, "false", "0", 0)


# ---------------------------------------------------------------- runs

async def start_run(request: Request) -> Response:
    """POST /api/runs {"source", settings...} -> {"slug", "run"}, or {"plan"} for a list."""
    from recap.web import jobs

    data = await _json_body(request)
    source = _source(data)
    settings = jobs.Settings.parse(data)
    root = request.app.state.root
    plan = await run_in_threadpool(jobs.plan_for, source, root, settings)
    if plan is not None:
        return JSONResponse({"plan": plan})
    run = await run_in_threadpool(jobs.start_run, request.app.state.runs, source, root, settings)
    return await _answer(run, _wanted_wait(data))


async def _answer(run: Any, wait: bool) -> Response:
    """{"run", "slug"}; waiting (by default) until the episode folder is known, so a fetch that
    fails answers 400 with its one-line reason."""
    if wait:
        await run_in_threadpool(run.wait_for, lambda r: r.slug is not None or r.finished,
                                _WAIT_SECONDS)
        if run.state in ("failed", "cancelled") and run.slug is None:
            return _error(400, run.error or run.state)
    return JSONResponse({"run": run.id, "slug": run.slug}, status_code=202 if run.slug is None
                        else 200)


async def start_batch(request: Request) -> Response:
    """POST /api/batches {"source", settings...} -> {"run"}: the plan's episodes, all of them."""
    from recap.web import jobs

    data = await _json_body(request)
    source = _source(data)
    run = await run_in_threadpool(jobs.start_batch, request.app.state.runs, source,
                                  request.app.state.root, jobs.Settings.parse(data))
    return JSONResponse({"run": run.id}, status_code=202)


async def upload(request: Request) -> Response:
    """POST /api/uploads (multipart: `file`, settings...) -> as POST /api/runs."""
    from recap.batch import MEDIA_SUFFIXES
    from recap.episode import atomic_move, slugify
    from recap.web import jobs

    limit = request.app.state.max_upload
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        return _error(413, f"the file is larger than the studio accepts ({limit // 2**20} MiB)")
    async with request.form(max_files=1, max_fields=20) as form:
        item = form.get("file")
        if item is None or isinstance(item, str):
            raise InputError("choose a media file to upload")
        name = Path(item.filename or "upload").name
        suffix = Path(name).suffix.lower()
        kind = (item.content_type or "").lower()
        if suffix not in MEDIA_SUFFIXES or not kind.startswith(_MEDIA_TYPES):
            raise InputError(f"{name} is not an audio or video file (accepted: "
                             f"{', '.join(s.lstrip('.') for s in MEDIA_SUFFIXES)})")
        folder = request.app.state.root / UPLOADS
        folder.mkdir(exist_ok=True)
        target = folder / f"{slugify(Path(name).stem)}{suffix}"
        tmp = folder / f".{target.name}.tmp-upload"
        size = 0
        try:
            with open(tmp, "wb") as out:
                while block := await item.read(1 << 20):
                    size += len(block)
                    if size > limit:
                        raise HTTPException(413, "the file is larger than the studio accepts "
                                                 f"({limit // 2**20} MiB)")
                    out.write(block)
            atomic_move(tmp, target)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        settings = jobs.Settings.parse({k: v for k, v in form.items() if isinstance(v, str)})
        wait = _wanted_wait({"wait": form.get("wait", True)})
    run = await run_in_threadpool(jobs.start_run, request.app.state.runs, str(target),
                                  request.app.state.root, settings)
    return await _answer(run, wait)


def _run_or_404(request: Request) -> Any:
    run = request.app.state.runs.get(request.path_params["run_id"])
    if run is None:
        raise HTTPException(404, "no such run")
    return run


async def run_status(request: Request) -> Response:
    return JSONResponse(_run_or_404(request).summary())


async def run_events(request: Request) -> Response:
    """Server-sent events: stage, progress, message, episode, entry, and a last `end`."""
    from recap.web.events import stream

    run = _run_or_404(request)
    return StreamingResponse(stream(run), media_type="text/event-stream",
                             headers={"cache-control": "no-store"})


async def cancel_run(request: Request) -> Response:
    run = _run_or_404(request)
    return JSONResponse({"cancelled": run.cancel(), "state": run.state})


# ---------------------------------------------------------------- episodes

async def list_episodes(request: Request) -> Response:
    """GET /api/episodes -> [{"slug", "title", "stages": [{"name", "state"}], "error"}]."""
    from recap.web.review import episode_views

    views = await run_in_threadpool(episode_views, request.app.state.root)
    return JSONResponse([{k: v for k, v in view.to_json().items()
                          if k not in ("post", "post_file", "pending_post")} for view in views])


async def get_episode(request: Request) -> Response:
    """GET /api/episodes/{slug} -> {"slug", "title", "stages", "error", "post", ...}."""
    from recap.web.review import episode_view

    folder = folder_for(request)
    view = await run_in_threadpool(episode_view, folder)
    return JSONResponse(view.to_json())


async def save_post(request: Request) -> Response:
    """PUT /api/episodes/{slug}/post {"markdown"}: a hand edit, kept by `recap write`."""
    from recap.episode import Episode
    from recap.web.review import episode_view
    from recap.write import save_post as save

    folder = folder_for(request)
    data = await _json_body(request)
    text = data.get("markdown")
    if not isinstance(text, str) or not text.strip():
        raise InputError('give "markdown": the post\'s new text')
    await run_in_threadpool(save, Episode(folder), text)
    view = await run_in_threadpool(episode_view, folder)
    return JSONResponse({"saved": view.post_file, "stages": view.stages})


async def rerun(request: Request) -> Response:
    """POST /api/episodes/{slug}/rerun {settings...} -> {"run"}; its end event holds the diff."""
    from recap.episode import Episode
    from recap.web import jobs
    from recap.write import read_post

    folder = folder_for(request)
    data = await _json_body(request)
    settings = jobs.Settings.parse(data)
    episode = Episode(folder)
    post = await run_in_threadpool(read_post, episode)
    run = await run_in_threadpool(jobs.start_rerun, request.app.state.runs, episode,
                                  request.app.state.root, settings, post.text if post else None)
    return JSONResponse({"run": run.id, "slug": folder.name}, status_code=202)
