"""LLM settings: which endpoint and model, how to ask for JSON, how patient to be."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.errors import ConfigError, unknown_choice
from recap.redact import register_secret

if TYPE_CHECKING:
    from recap.config import Config

STRUCTURED_MODES = ("auto", "json_schema", "json_object", "prompt")

# Embedded models by name -> the model name the embedded server reports.
EMBEDDED_MODELS = {
    "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b-instruct-q4_k_m",
    "smollm2-135m": "smollm2-135m-instruct-q4_1",
}
DEFAULT_EMBEDDED_MODEL = "qwen2.5-coder-1.5b"
EMBEDDED_JOBS = 3
"""Requests the embedded server decodes together by default."""

# The endpoint a bare API key (no base URL) is meant for.
OPENAI_BASE_URL = "https://api.openai.com/v1"
# The model used at an endpoint when none is named.
DEFAULT_REMOTE_MODEL = "gpt-4o-mini"
# Placeholder key for endpoints that need none (Ollama, vLLM, LM Studio, llama.cpp).
PLACEHOLDER_KEY = "not-needed"

EMBEDDED_CONTEXT = 4096
EMBEDDED_TIMEOUT = 1800.0
UNKNOWN_CONTEXT = 8192
# Context windows of known hosted models, longest prefix first.
KNOWN_CONTEXTS = (
    ("gpt-4o-mini", 128_000),
    ("gpt-4o", 128_000),
    ("gpt-4.1", 1_047_576),
    ("gpt-4-turbo", 128_000),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-5", 400_000),
    ("o4-mini", 200_000),
    ("o3", 200_000),
    ("o1", 200_000),
    ("chatgpt-4o", 128_000),
)


@dataclass
class LLMSettings:
    """Where LLM calls go and how they are made. Build it with `LLMSettings.resolve`."""

    base_url: str | None = None
    """OpenAI-compatible endpoint; None starts the embedded llama.cpp server."""
    api_key: str | None = field(default=None, repr=False)
    """Key for the endpoint; never printed, never written, never part of `params()`."""
    model: str | None = None
    """Model name at the endpoint (ignored by the embedded server, which serves one model)."""
    timeout: float = 600.0
    """Seconds one call may take before it is abandoned (and retried)."""
    max_retries: int = 4
    """Retries after a 429, a 5xx, a timeout or a refused connection."""
    structured: str = "auto"
    """How JSON is requested: auto, json_schema, json_object or prompt (instructions only)."""
    embedded_model: str = DEFAULT_EMBEDDED_MODEL
    """Embedded model: qwen2.5-coder-1.5b, smollm2-135m, or a path to a .gguf file."""
    context_tokens: int | None = None
    """The model's context window in tokens; None uses the known size for the model."""
    jobs: int = 2
    """LLM calls allowed at once; the embedded server decodes that many together."""
    retry_delay: float = 1.0
    """First backoff delay in seconds (doubles each retry, with jitter)."""
    retry_delay_cap: float = 30.0
    """Longest single backoff wait in seconds, Retry-After included."""
    threads: int | None = None
    """llama.cpp threads of the embedded server; None: $RECAP_LLM_THREADS, else every usable
    core (callers that run Whisper beside it leave one core free, see `embedded.cpu_threads`)."""

    @classmethod
    def resolve(cls, config: Config, *, base_url: str | None = None, model: str | None = None,
                jobs: int | None = None, timeout: float | None = None,
                structured: str | None = None,
                embedded_model: str | None = None) -> LLMSettings:
        """CLI value > config file > environment > default, for every LLM setting.

        An API key with no base URL means OpenAI's own endpoint; no key and no base URL means
        the embedded llama.cpp server.
        """
        api_key = _optional_str(config.resolve("llm_api_key", None, None))
        register_secret(api_key)
        resolved_url = _optional_str(config.resolve("llm_base_url", base_url, None))
        if resolved_url is None and api_key:
            resolved_url = OPENAI_BASE_URL
        mode = str(config.resolve("llm_structured", structured, "auto"))
        if mode not in STRUCTURED_MODES:
            raise unknown_choice("structured output mode", mode, STRUCTURED_MODES)
        embedded = str(config.resolve("embedded_model", embedded_model, DEFAULT_EMBEDDED_MODEL))
        if embedded not in EMBEDDED_MODELS and not embedded.endswith(".gguf"):
            raise unknown_choice("embedded model", embedded,
                                 (*EMBEDDED_MODELS, "a path to a .gguf file"))
        # The embedded server decodes up to `jobs` requests together on the local CPU: three
        # write 1.8x the tokens per second of one (a fourth adds 3 %, see recap.llm.batching);
        # a call shares the cores with the others, so it gets a patient timeout by default.
        local = resolved_url is None
        default_timeout = EMBEDDED_TIMEOUT if local else 600.0
        default_jobs = EMBEDDED_JOBS if local else 2
        settings = cls(
            base_url=resolved_url.rstrip("/") if resolved_url else None,
            api_key=api_key,
            model=_optional_str(config.resolve("llm_model", model, None)),
            timeout=_number("llm_timeout", config.resolve("llm_timeout", timeout, default_timeout), float),
            structured=mode,
            embedded_model=embedded,
            context_tokens=_optional_int("llm_context", config.resolve("llm_context", None, None)),
            jobs=_number("llm_jobs", config.resolve("llm_jobs", jobs, default_jobs), int),
            max_retries=_number("llm_retries", config.resolve("llm_retries", None, 4), int),
            retry_delay=_number("llm_retry_delay", config.resolve("llm_retry_delay", None, 1.0),
                                float),
        )
        if settings.max_retries < 0 or settings.retry_delay < 0:
            raise ConfigError("llm_retries and llm_retry_delay must not be negative")
        if settings.jobs < 1:
            raise ConfigError(f"llm_jobs must be at least 1 (got {settings.jobs})")
        if settings.timeout <= 0:
            raise ConfigError(f"llm_timeout must be more than 0 seconds (got {settings.timeout:g})")
        if settings.context_tokens is not None and settings.context_tokens < 512:
            raise ConfigError(f"llm_context must be at least 512 tokens "
                              f"(got {settings.context_tokens})")
        return settings

    @property
    def embedded(self) -> bool:
        """True when calls go to the embedded llama.cpp server."""
        return self.base_url is None

    def model_name(self) -> str:
        """The model that answers: the embedded model's name, else the configured model."""
        if self.embedded:
            if self.embedded_model in EMBEDDED_MODELS:
                return EMBEDDED_MODELS[self.embedded_model]
            return Path(self.embedded_model).stem.lower()
        return self.model or DEFAULT_REMOTE_MODEL

    def context_window(self) -> int:
        """The model's context window in tokens."""
        if self.context_tokens:
            return self.context_tokens
        if self.embedded:
            return EMBEDDED_CONTEXT
        name = self.model_name().lower().rsplit("/", 1)[-1]
        for prefix, size in KNOWN_CONTEXTS:
            if name.startswith(prefix):
                return size
        return UNKNOWN_CONTEXT

    def endpoint_label(self) -> str:
        """The endpoint as it may be shown and recorded (the embedded server's port varies)."""
        return self.base_url or "embedded"

    def params(self) -> dict[str, Any]:
        """What changes the output, for the manifest; never the key."""
        return {"base_url": self.endpoint_label(), "model": self.model_name(),
                "structured": self.structured}


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _optional_int(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    return _number(name, value, int)


def _number(name: str, value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        expected = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {expected} (got {value!r})") from None
