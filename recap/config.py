"""One resolution order for every setting: CLI flag > config file > environment > default."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recap.errors import ConfigError

# Environment variables that may supply a setting, by setting name.
ENVIRONMENT = {
    "llm_base_url": "OPENAI_BASE_URL",
    "llm_api_key": "OPENAI_API_KEY",
    "llm_model": "RECAP_LLM_MODEL",
    "whisper_model": "RECAP_WHISPER_MODEL",
    "cluster": "RECAP_CLUSTER",
    "prompts": "RECAP_PROMPTS",
    "cookies": "RECAP_COOKIES",
    "cookies_from_browser": "RECAP_COOKIES_FROM_BROWSER",
    "transcript": "RECAP_TRANSCRIPT",
    "post_language": "RECAP_POST_LANGUAGE",
}


def config_file_path() -> Path | None:
    """The config file in use: $RECAP_CONFIG, ./recap.toml, or ~/.config/recap/config.toml."""
    explicit = os.environ.get("RECAP_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file {path} (from RECAP_CONFIG) does not exist")
        return path
    for candidate in (Path("recap.toml"), Path.home() / ".config" / "recap" / "config.toml"):
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a folder this user may not look into holds no config of theirs
            continue
    return None


@dataclass
class Config:
    """Settings read from the config file and the environment, resolved on demand."""

    file_values: dict[str, Any] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Config:
        path = config_file_path()
        values: dict[str, Any] = {}
        if path is not None:
            try:
                values = tomllib.loads(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError as exc:
                raise ConfigError(f"cannot read config file {path}: not UTF-8 text "
                                  f"(byte {exc.object[exc.start]:#04x} at offset {exc.start})"
                                  ) from None
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read config file {path}: {exc}") from None
            values = {k.replace("-", "_"): v for k, v in values.items()}
        return cls(values, dict(os.environ))

    def resolve(self, name: str, cli_value: Any = None, default: Any = None) -> Any:
        """CLI flag > config file > environment > default."""
        if cli_value is not None:
            return cli_value
        if name in self.file_values:
            return self.file_values[name]
        env_name = ENVIRONMENT.get(name)
        if env_name and self.environ.get(env_name):
            return self.environ[env_name]
        return default
