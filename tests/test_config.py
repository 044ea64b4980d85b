"""Which config file the real `recap` command reads, and what a bad one says.

One file is read: $RECAP_CONFIG, else ./recap.toml, else ~/.config/recap/config.toml; a setting
comes from the CLI flag, else that file, else the environment, else its default. Each test
gives a different value to `llm_structured` (checked before any work, and named in the error)
in each place, so the one error line says which place won. The autouse fixture in conftest.py
gives every test an empty home and working directory.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA, run_recap


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _home_config(text: str) -> Path:
    return _write(Path.home() / ".config" / "recap" / "config.toml", text)


def _the_error(proc: subprocess.CompletedProcess[str]) -> str:
    """Exit 1, one `recap: error:` line, the last, no traceback; returns it."""
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("recap: error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    return errors[0]


def _which_mode(*flags: str, env: dict[str, str] | None = None) -> str:
    """The error of `recap run` on a missing file: names the structured mode read, if bad."""
    return _the_error(run_recap("run", str(Path.cwd() / "missing.wav"), "-o", "out", *flags,
                                env=env))


def test_the_home_config_is_read_when_there_is_no_other() -> None:
    _home_config('llm_structured = "from-home"\n')
    assert "unknown structured output mode 'from-home'" in _which_mode()


def test_a_recap_toml_in_the_working_directory_beats_the_home_config() -> None:
    _home_config('llm_structured = "from-home"\n')
    _write(Path("recap.toml"), 'llm_structured = "from-cwd"\n')
    assert "unknown structured output mode 'from-cwd'" in _which_mode()


def test_recap_config_beats_both(tmp_path: Path) -> None:
    _home_config('llm_structured = "from-home"\n')
    _write(Path("recap.toml"), 'llm_structured = "from-cwd"\n')
    chosen = _write(tmp_path / "chosen.toml", 'llm-structured = "from-recap-config"\n')  # dashes too
    error = _which_mode(env={"RECAP_CONFIG": str(chosen)})
    assert "unknown structured output mode 'from-recap-config'" in error


def test_the_cli_flag_beats_the_config_file() -> None:
    _write(Path("recap.toml"), 'llm_structured = "from-cwd"\n')
    error = _which_mode("--llm-structured", "prompt")
    assert "structured output mode" not in error and "does not exist" in error  # the source


def test_a_recap_config_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    error = _which_mode(env={"RECAP_CONFIG": str(missing)})
    assert error == f"recap: error: config file {missing} (from RECAP_CONFIG) does not exist"


@pytest.mark.parametrize(("text", "why"), [
    ("llm_structured = \n", "Invalid value (at line 1, column 18)"),
    ('whisper_model = "tiny.en"\nwhisper_model = "base"\n', "Cannot overwrite a value"),
    (b"\xff\xfe not utf-8".decode("latin-1"), "not UTF-8 text (byte 0xff at offset 0)"),
], ids=["no-value", "duplicate-key", "not-utf8"])
def test_a_bad_config_file_is_one_line_naming_it(text: str, why: str) -> None:
    path = Path("recap.toml")
    path.write_bytes(text.encode("latin-1"))
    error = _which_mode()
    assert error.startswith("recap: error: cannot read config file recap.toml: "), error
    assert why in error
    # A broken home config is named the same way, with its full path.
    path.unlink()
    home = _home_config("")
    home.write_bytes(text.encode("latin-1"))
    assert _which_mode().startswith(f"recap: error: cannot read config file {home}: ")


def test_the_config_file_beats_the_environment_and_the_environment_beats_the_default() -> None:
    """whisper_model: RECAP_WHISPER_MODEL is used without a file, and loses to one."""
    env = {"RECAP_WHISPER_MODEL": "from-env"}
    args = ("run", str(DATA / "jfk.wav"), "-o", "out", "--stop-after", "transcribe")
    assert "unknown whisper model 'from-env'" in _the_error(run_recap(*args, env=env))
    _write(Path("recap.toml"), 'whisper_model = "from-file"\n')
    assert "unknown whisper model 'from-file'" in _the_error(run_recap(*args, env=env))
