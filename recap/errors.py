"""Domain exceptions. The CLI turns each into one line on stderr and exit code 1."""

from __future__ import annotations


class RecapError(Exception):
    """Base of every error recap reports to the user as one clear line."""

    exit_code = 1


class InputError(RecapError):
    """The source given to recap (path or URL) is unusable."""


class FetchError(RecapError):
    """Downloading or reading the source failed."""


class MediaError(RecapError):
    """The audio is missing, empty, corrupt or cannot be decoded."""


class NoSpeechError(MediaError):
    """The audio holds no speech (silence, music)."""


class ArtifactError(RecapError):
    """An artifact in the episode folder is missing or corrupt."""


class LockError(RecapError):
    """Another recap process is working on the same episode folder."""


class ConfigError(RecapError):
    """An option or configuration value is invalid."""


class OutputError(RecapError):
    """An artifact could not be written (disk full, permissions)."""


class WorkerError(RecapError):
    """A transcription worker process died and the bounded retries did not help."""


class LLMError(RecapError):
    """The LLM endpoint failed in a way retries did not fix."""


class LLMAuthError(LLMError):
    """The LLM endpoint rejected the API key."""


class LLMReplyError(LLMError):
    """The LLM replied with something unusable (not JSON, fails the schema, refusal)."""


class EmbeddedServerError(LLMError):
    """The embedded llama.cpp server could not start or died."""


def unknown_choice(kind: str, value: object, choices: list[str] | tuple[str, ...]) -> ConfigError:
    """Build the standard 'unknown X; expected one of' error."""
    return ConfigError(f"unknown {kind} {value!r}; expected one of: {', '.join(choices)}")
