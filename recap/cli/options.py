"""The command line's shared option types (typer `Annotated` aliases), one definition each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="Folder holding episode folders.")]
EpisodeArg = Annotated[Path, typer.Argument(help="An episode folder (output/<slug>).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Rerun even if up to date.")]

LLMBaseUrl = Annotated[str | None, typer.Option(
    "--llm-base-url", help="OpenAI-compatible endpoint (default: OPENAI_BASE_URL, else the "
    "embedded llama.cpp server).")]
LLMModel = Annotated[str | None, typer.Option("--llm-model", help="Model name at the endpoint.")]
LLMJobs = Annotated[int | None, typer.Option("--llm-jobs", help="Concurrent LLM calls.")]
LLMTimeout = Annotated[float | None, typer.Option("--llm-timeout", help="Seconds per LLM call.")]
LLMStructured = Annotated[str | None, typer.Option(
    "--llm-structured", help="Structured output mode: auto, json_schema, json_object, prompt.")]
EmbeddedModel = Annotated[str | None, typer.Option(
    "--embedded-model", help="Embedded model: qwen2.5-coder-1.5b (default), smollm2-135m, or a "
    ".gguf path.")]
PromptsOpt = Annotated[Path | None, typer.Option("--prompts", help="Folder of prompt files.")]
CookiesOpt = Annotated[Path | None, typer.Option(
    "--cookies", metavar="FILE", help="A Netscape cookies.txt file to send with every request: "
    "YouTube's bot check and age gate want a signed-in browser's cookies; or RECAP_COOKIES.")]
CookiesBrowserOpt = Annotated[str | None, typer.Option(
    "--cookies-from-browser", metavar="BROWSER",
    help="Send the cookies of this browser on this machine (firefox, chrome, edge, safari, ...; "
    "yt-dlp's BROWSER[+KEYRING][:PROFILE][::CONTAINER]), or RECAP_COOKIES_FROM_BROWSER.")]
WhisperModel = Annotated[str | None, typer.Option(
    "--whisper-model", help="faster-whisper model name or local directory (default tiny.en, "
    "English only; base: multilingual, offline with the whisper-base extra).")]
LanguageOpt = Annotated[str | None, typer.Option("--language", help="Spoken language code.")]
PostLanguageOpt = Annotated[str | None, typer.Option(
    "--post-language", help="Language of the notes and post (en, de, es...); default: the "
    "episode's own, as its transcript records it.")]
VadOpt = Annotated[bool, typer.Option("--vad/--no-vad", help="Skip non-speech (Silero VAD).")]
FastOpt = Annotated[bool, typer.Option("--fast", help="Batched transcription (3-4x faster).")]
TranscriptOpt = Annotated[str | None, typer.Option(
    "--transcript", help="auto: use the transcript a feed or the uploader already has, else "
    "Whisper (default); captions: also a site's automatic captions; whisper: always Whisper.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="cpu, cuda or auto.")]
ComputeOpt = Annotated[str, typer.Option("--compute-type", help="CTranslate2 compute type.")]
FormatOpt = Annotated[str, typer.Option("--format", help="hugo, jekyll or markdown.")]
TemplateOpt = Annotated[Path | None, typer.Option("--template", help="Jinja2 post template.")]
WpmOpt = Annotated[int, typer.Option("--wpm", help="Reading speed, words a minute.")]
DraftOpt = Annotated[bool, typer.Option("--draft/--no-draft", help="Front matter draft flag.")]
