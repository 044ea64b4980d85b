"""LLMSettings: resolution order, validation, model facts, manifest params; pricing."""

from __future__ import annotations

import pytest

from recap.config import Config
from recap.errors import ConfigError
from recap.llm import LLMSettings
from recap.llm.pricing import estimate_cost, price_for
from recap.redact import redact


def config(file: dict | None = None, env: dict | None = None) -> Config:
    return Config(file_values=file or {}, environ=env or {})


def test_defaults_mean_the_embedded_server() -> None:
    settings = LLMSettings.resolve(config())
    assert settings.embedded
    assert settings.model_name() == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert settings.context_window() == 4096
    assert settings.params() == {"base_url": "embedded",
                                 "model": "qwen2.5-coder-1.5b-instruct-q4_k_m",
                                 "structured": "auto"}
    # Three requests decoded together on the local CPU, with a patient timeout (each call
    # shares the cores with the others).
    assert (settings.jobs, settings.timeout, settings.structured) == (3, 1800.0, "auto")
    remote = LLMSettings.resolve(config(env={"OPENAI_BASE_URL": "http://h:1/v1"}))
    assert (remote.jobs, remote.timeout) == (2, 600.0)


def test_cli_beats_file_beats_environment() -> None:
    env = {"OPENAI_BASE_URL": "http://env:1/v1", "RECAP_LLM_MODEL": "env-model"}
    file = {"llm_base_url": "http://file:2/v1", "llm_model": "file-model", "llm_jobs": 3,
            "llm_timeout": 30, "llm_structured": "prompt", "llm_context": 16384}
    assert LLMSettings.resolve(config(env=env)).base_url == "http://env:1/v1"
    from_file = LLMSettings.resolve(config(file, env))
    assert (from_file.base_url, from_file.model, from_file.jobs, from_file.timeout,
            from_file.structured, from_file.context_window()) == (
        "http://file:2/v1", "file-model", 3, 30.0, "prompt", 16384)
    from_cli = LLMSettings.resolve(config(file, env), base_url="http://cli:3/v1/",
                                   model="cli-model", jobs=5, timeout=9.5, structured="json_object")
    assert (from_cli.base_url, from_cli.model, from_cli.jobs, from_cli.timeout,
            from_cli.structured) == ("http://cli:3/v1", "cli-model", 5, 9.5, "json_object")


def test_a_key_without_a_url_means_openai() -> None:
    settings = LLMSettings.resolve(config(env={"OPENAI_API_KEY": "sk-test-abcdefgh12345"}))
    assert settings.base_url == "https://api.openai.com/v1"
    assert settings.model_name() == "gpt-4o-mini"
    assert settings.context_window() == 128_000


def test_key_is_registered_and_hidden() -> None:
    key = "custom-secret-4d1e88a0"
    settings = LLMSettings.resolve(config(env={"OPENAI_API_KEY": key,
                                               "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}))
    assert settings.api_key == key
    assert key not in repr(settings) and key not in str(settings.params())
    assert redact(f"error for {key}") == "error for ***"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"structured": "xml"}, "unknown structured output mode 'xml'; expected one of: auto, "
                            "json_schema, json_object, prompt"),
    ({"embedded_model": "llama-70b"}, "unknown embedded model 'llama-70b'; expected one of: "
                                      "qwen2.5-coder-1.5b, smollm2-135m, a path to a .gguf file"),
    ({"jobs": 0}, "llm_jobs must be at least 1 (got 0)"),
    ({"timeout": -1}, "llm_timeout must be more than 0 seconds (got -1)"),
])
def test_invalid_values_name_the_choices(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LLMSettings.resolve(config(), **kwargs)
    assert str(caught.value) == message


def test_invalid_file_values_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="llm_jobs must be a whole number"):
        LLMSettings.resolve(config({"llm_jobs": "many"}))
    with pytest.raises(ConfigError, match="llm_context must be at least 512"):
        LLMSettings.resolve(config({"llm_context": 100}))


def test_embedded_model_choices() -> None:
    small = LLMSettings.resolve(config(), embedded_model="smollm2-135m")
    assert small.model_name() == "smollm2-135m-instruct-q4_1"
    custom = LLMSettings.resolve(config(), embedded_model="/models/Mistral-7B.Q4.gguf")
    assert custom.model_name() == "mistral-7b.q4"
    assert custom.embedded


@pytest.mark.parametrize(("model", "window"), [
    ("gpt-4o", 128_000), ("gpt-4o-mini-2024-07-18", 128_000), ("gpt-4.1-mini", 1_047_576),
    ("gpt-3.5-turbo", 16_385), ("llama3.1:8b", 8192), ("openai/gpt-4o", 128_000),
])
def test_context_windows(model: str, window: int) -> None:
    assert LLMSettings(base_url="http://x/v1", model=model).context_window() == window


def test_prices() -> None:
    assert price_for("gpt-4o-mini") == (0.15, 0.60)
    assert price_for("gpt-4o-2024-08-06") == (2.50, 10.00)
    assert price_for("gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert price_for("qwen2.5-coder-1.5b-instruct-q4_k_m") is None
    assert estimate_cost("gpt-4o", 2_000_000, 100_000) == pytest.approx(6.0)
    assert estimate_cost("mystery", 10, 10) is None
