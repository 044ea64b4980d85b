"""Every setting resolved once, for the command line, the studio and batches alike.

One resolution order (flag > config file > environment > default, recap/config.py) and all the
checks a value needs before any work starts: a bad value is a ConfigError naming it. The CLI
(recap/cli/) and the studio (recap/web/) call these; nothing here knows about either.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from recap.config import Config
from recap.errors import ConfigError, unknown_choice

if TYPE_CHECKING:
    from recap.chunk import ChunkOptions
    from recap.fetch import FetchOptions
    from recap.llm import LLMSettings
    from recap.notes import NotesOptions
    from recap.transcribe import TranscribeOptions
    from recap.write import WriteOptions


def transcript_mode(value: str | None, config: Config | None = None) -> str:
    """--transcript resolved (flag > config file > environment > default) and checked."""
    from recap.captions import check_mode

    return check_mode(str((config or Config.load()).resolve("transcript", value, "auto")))


def whisper_options(model: str | None, language: str | None, vad: bool, fast: bool,
                    device: str, compute_type: str, transcript: str | None = None,
                    config: Config | None = None) -> TranscribeOptions:
    from recap.transcribe import COMPUTE_TYPES, DEFAULT_MODEL, TranscribeOptions

    cfg = config or Config.load()
    if device not in ("cpu", "cuda", "auto"):
        raise unknown_choice("device", device, ("cpu", "cuda", "auto"))
    if compute_type not in COMPUTE_TYPES:  # checked before anything is fetched
        raise unknown_choice("compute type", compute_type, COMPUTE_TYPES)
    return TranscribeOptions(
        model=cfg.resolve("whisper_model", model, DEFAULT_MODEL),
        language=cfg.resolve("language", language, None),
        vad=vad, fast=fast, device=device, compute_type=compute_type,
        transcript=transcript_mode(transcript, cfg),
    )


def fetch_options(cookies: Path | None, cookies_from_browser: str | None,
                  config: Config | None = None) -> FetchOptions:
    from recap.cookies import resolve
    from recap.fetch import FetchOptions

    cfg = config or Config.load()  # checked here, before anything is downloaded
    return FetchOptions(cookies=resolve(
        cfg.resolve("cookies", str(cookies) if cookies else None, None),
        cfg.resolve("cookies_from_browser", cookies_from_browser, None)))


def llm_settings(base_url: str | None, model: str | None, jobs: int | None,
                 timeout: float | None, structured: str | None,
                 embedded_model: str | None, config: Config | None = None) -> LLMSettings:
    from recap.llm import LLMSettings

    if jobs is not None and jobs < 1:
        raise ConfigError(f"--llm-jobs must be at least 1 (got {jobs})")
    return LLMSettings.resolve(config or Config.load(), base_url=base_url, model=model, jobs=jobs,
                               timeout=timeout, structured=structured,
                               embedded_model=embedded_model)


def notes_options(prompts: Path | None, settings: LLMSettings, post_language: str | None = None,
                  config: Config | None = None) -> NotesOptions:
    from recap.languages import normalise
    from recap.notes import NotesOptions

    cfg = config or Config.load()
    prompts_dir = cfg.resolve("prompts", str(prompts) if prompts else None, None)
    options = NotesOptions.create(prompts_dir=Path(prompts_dir) if prompts_dir else None,
                                  llm=settings)
    options.language = normalise(cfg.resolve("post_language", post_language, None))
    return options


def chunk_options(settings: LLMSettings) -> ChunkOptions:
    from recap.chunk import ChunkOptions

    return ChunkOptions(context_tokens=settings.context_window(), model=settings.model_name())


def write_options(fmt: str, template: Path | None, wpm: int, force: bool,
                  draft: bool) -> WriteOptions:
    from recap.write import FORMATS, WriteOptions

    if fmt not in FORMATS:
        raise unknown_choice("format", fmt, FORMATS)
    if wpm < 1:
        raise ConfigError(f"--wpm must be a positive number of words a minute (got {wpm})")
    if template is not None and not template.is_file():
        raise ConfigError(f"template {template} does not exist")
    return WriteOptions(format=fmt, template=template, words_per_minute=wpm, force=force,
                        draft=draft)
