"""HTML pages and the files they show: the app, the review page, audio, image, bundle."""

from __future__ import annotations

import io
import mimetypes
import zipfile
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from recap.episode import Episode
from recap.errors import RecapError
from recap.web.security import episode_folder, file_inside


def routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/episodes/{slug}", review_page),
        Route("/episodes/{slug}/audio", audio),
        Route("/episodes/{slug}/hero.jpg", hero),
        Route("/episodes/{slug}/bundle.zip", bundle),
    ]


def folder_for(request: Request) -> Path:
    """The episode folder named in the URL, or 404."""
    folder = episode_folder(request.app.state.root, request.path_params["slug"])
    if folder is None:
        raise HTTPException(404, "no such episode")
    return folder


def render(request: Request, name: str, **context: Any) -> Response:
    return request.app.state.templates.TemplateResponse(
        request, name, {"csrf": request.app.state.csrf, **context})


async def home(request: Request) -> Response:
    from recap.web.review import episode_views

    views = await run_in_threadpool(episode_views, request.app.state.root)
    return render(request, "index.html", episodes=views, root=str(request.app.state.root))


async def review_page(request: Request) -> Response:
    from recap.web.review import review

    folder = folder_for(request)
    data = await run_in_threadpool(review, folder)
    return render(request, "review.html", review=data, slug=folder.name)


async def audio(request: Request) -> Response:
    folder = folder_for(request)
    try:
        path = Episode(folder).audio_path()
    except RecapError:
        raise HTTPException(404, "no audio for this episode") from None
    safe = file_inside(folder, path)
    if safe is None:
        raise HTTPException(404, "no audio for this episode")
    kind = mimetypes.guess_type(safe.name)[0] or "application/octet-stream"
    return FileResponse(safe, media_type=kind)


async def hero(request: Request) -> Response:
    folder = folder_for(request)
    safe = file_inside(folder, Episode(folder).hero_path)
    if safe is None:
        raise HTTPException(404, "no image for this episode")
    return FileResponse(safe, media_type="image/jpeg")


async def bundle(request: Request) -> Response:
    """The page bundle (the post and hero.jpg) as a zip."""
    from recap.write import bundle_files

    folder = folder_for(request)
    try:
        files = bundle_files(Episode(folder))
    except RecapError as exc:
        raise HTTPException(404, str(exc)) from None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in files:
            safe = file_inside(folder, path)
            if safe is not None:
                archive.write(safe, f"{folder.name}/{name}")
    return Response(buffer.getvalue(), media_type="application/zip", headers={
        "content-disposition": f'attachment; filename="{folder.name}.zip"'})
