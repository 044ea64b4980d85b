"""Prompt files: loading, named variables, clear errors for a user's prompts folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from recap.errors import ConfigError
from recap.notes import PROMPT_VARIABLES, NotesOptions
from recap.prompts import bundled_prompts_dir, load_prompt, load_prompts, parse_prompt

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_prompts_are_the_repo_prompts_folder() -> None:
    assert bundled_prompts_dir() == ROOT / "prompts"


@pytest.mark.parametrize("name", sorted(PROMPT_VARIABLES))
def test_every_bundled_prompt_loads_and_uses_only_supplied_variables(name: str) -> None:
    prompt = load_prompt(name, None, PROMPT_VARIABLES[name])
    assert prompt.name == f"{name}.md"
    assert prompt.system and prompt.user
    assert prompt.variables <= set(PROMPT_VARIABLES[name])
    system, user = prompt.render(**{v: f"<{v}>" for v in PROMPT_VARIABLES[name]})
    assert "{" + PROMPT_VARIABLES[name][0] + "}" not in system + user
    assert "<!--" not in system + user  # the file's own documentation is not sent


def test_extract_prompt_puts_the_excerpt_last_for_prefix_reuse() -> None:
    prompt = load_prompt("extract", None, PROMPT_VARIABLES["extract"])
    assert {"excerpt", "speakers"} <= prompt.variables
    assert "{" not in prompt.system  # the fixed part: the same for every window
    system, user = prompt.render(title="T", speakers="S", excerpt="<the excerpt>")
    assert user.rstrip().endswith("Notes:") and user.index("<the excerpt>") > user.index("S")


def test_render_fills_variables_and_leaves_json_examples_alone() -> None:
    prompt = parse_prompt("x.md", '# system\nYou are {role}.\n# user\nSay {what} as '
                                  '{"answer": "..."} and {{ this }}.\n')
    system, user = prompt.render(role="terse", what="hi")
    assert system == "You are terse."
    assert user == 'Say hi as {"answer": "..."} and {{ this }}.'


def test_values_are_not_scanned_for_variables() -> None:
    prompt = parse_prompt("x.md", "# system\ns\n# user\n{a} {b}\n")
    assert prompt.render(a="{b}", b="B")[1] == "{b} B"


def test_a_missing_variable_is_a_named_error() -> None:
    prompt = parse_prompt("map.md", "# system\ns\n# user\n{segments} for {x}\n")
    with pytest.raises(ConfigError, match="prompt map.md needs variable 'x'"):
        prompt.render(segments="...")


def test_a_prompt_using_an_unknown_variable_fails_at_load(tmp_path: Path) -> None:
    (tmp_path / "extract.md").write_text("# system\ns\n# user\n{excerpt} {mood}\n")
    with pytest.raises(ConfigError, match="extract.md uses unknown variable 'mood'"):
        load_prompt("extract", tmp_path, PROMPT_VARIABLES["extract"])


def test_a_missing_prompt_file_names_the_file(tmp_path: Path) -> None:
    for name in ("speakers", "extract", "intro"):
        shutil.copy(bundled_prompts_dir() / f"{name}.md", tmp_path)
    with pytest.raises(ConfigError, match=r"prompt file .*titles\.md is missing"):
        load_prompts(tmp_path, PROMPT_VARIABLES)


def test_a_missing_prompts_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="prompts folder .*nowhere does not exist"):
        load_prompt("extract", tmp_path / "nowhere")


def test_a_prompt_without_a_user_section_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"prompt bad.md has no '# user' section"):
        parse_prompt("bad.md", "# system\nonly a system part\n")


def test_notes_options_create_fails_early_on_a_bad_prompts_folder(tmp_path: Path) -> None:
    from recap.llm import LLMSettings

    with pytest.raises(ConfigError, match="speakers.md is missing"):
        NotesOptions.create(tmp_path, LLMSettings(base_url="http://127.0.0.1:9/v1"))


def test_a_changed_prompt_changes_the_notes_params(tmp_path: Path) -> None:
    from recap.llm import LLMSettings

    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", model="m")
    for path in bundled_prompts_dir().glob("*.md"):
        shutil.copy(path, tmp_path)
    bundled = NotesOptions.create(None, settings).params()
    copied = NotesOptions.create(tmp_path, settings).params()
    assert copied == bundled  # same text, same params: the folder itself does not matter
    (tmp_path / "titles.md").write_text((tmp_path / "titles.md").read_text() + "\nBe brief.\n")
    edited = NotesOptions.create(tmp_path, settings).params()
    assert edited["prompts"]["titles"] != bundled["prompts"]["titles"]
    assert edited["prompts"]["extract"] == bundled["prompts"]["extract"]
    assert edited["model"] == "m" and "api_key" not in edited
