"""Prompt prefixes kept between runs (`recap.llm.prefixes`): the store's rules on its own, then
the engine saving and loading them with the real llama.cpp library and SmolLM2."""

from __future__ import annotations

from pathlib import Path

import pytest

from recap.llm import assemble_model
from recap.llm.batching import Engine, Job, Sampling
from recap.llm.embedded import EmbeddedServer, prefixes_dir
from recap.llm.prefixes import MIN_TOKENS, PrefixStore
from tests.llm.conftest import requires_llama


def store(tmp_path: Path, build: str = "0.3.36") -> PrefixStore:
    model = tmp_path / "m.gguf"
    if not model.exists():
        model.write_bytes(b"model")
    return PrefixStore(tmp_path / "prefixes", model, build)


FIXED = list(range(1000, 1000 + MIN_TOKENS + 20))


def test_a_new_family_is_saved_whole_and_a_known_one_shrinks_to_what_runs_share(
        tmp_path: Path) -> None:
    prefixes = store(tmp_path)
    first = FIXED + [1, 2, 3]  # the fixed instructions, then words of one episode
    assert prefixes.wanted(first[:MIN_TOKENS - 1]) is None  # too short to be worth a file
    assert prefixes.wanted(first) == first
    prefixes.save(first, b"state-1")
    assert prefixes.wanted(first) is None  # saved already
    assert prefixes.wanted(first + [4, 5]) is None  # the saved prefix is all it shares
    second = FIXED + [7, 8]  # the next episode: only the instructions are shared
    assert prefixes.wanted(second) == FIXED
    prefixes.save(FIXED, b"state-2")
    assert prefixes.wanted(second) is None and prefixes.wanted(first) is None
    # another process (the next run) sees the same file
    again = store(tmp_path)
    found, shared = again.best(first)
    assert found is not None and found.tokens == tuple(FIXED) and shared == len(FIXED)
    assert again.state(found) == b"state-2"
    assert again.best([5, 6, 7]) == (None, 0)
    assert not list((tmp_path / "prefixes").rglob(".*tmp*"))  # written whole, then renamed


def test_beyond_the_limit_the_least_recently_used_files_go(tmp_path: Path) -> None:
    """A user who edits the start of a prompt makes a new family each time: the folder keeps
    the `MAX_FILES` loaded or saved last."""
    import os

    from recap.llm.prefixes import MAX_FILES

    prefixes = store(tmp_path)
    families = [[n] + FIXED for n in range(MAX_FILES + 2)]
    for age, tokens in enumerate(families):
        prefixes.save(tokens, b"state")
        for path in prefixes.folder.glob("*.kv"):  # the files' times as if saved in turn
            if os.stat(path).st_mtime_ns > 10**18:
                os.utime(path, ns=(age * 10**9, age * 10**9))
    first, _ = prefixes.best(families[0])
    assert first is None  # the oldest went when the limit was passed
    found, _ = prefixes.best(families[2])
    assert found is not None and prefixes.state(found) == b"state"  # loaded: used now
    prefixes.save([99] + FIXED, b"state")
    again = store(tmp_path)
    kept = {p.tokens[0] for p in again.prefixes()}
    assert len(kept) == MAX_FILES and 2 in kept and 3 not in kept and 99 in kept


def test_unreadable_files_and_other_builds_are_dropped(tmp_path: Path) -> None:
    old = store(tmp_path, build="0.3.1")
    old.save(FIXED, b"old build")
    prefixes = store(tmp_path)
    assert prefixes.folder != old.folder and prefixes.best(FIXED) == (None, 0)
    prefixes.save(FIXED, b"state")
    assert not old.folder.exists()  # a state of another build never loads: its folder goes
    path = next(prefixes.folder.glob("*.kv"))
    path.write_bytes(path.read_bytes()[:12])  # cut short, as by a full disk
    again = store(tmp_path)
    assert again.best(FIXED) == (None, 0)
    (prefixes.folder / "junk.kv").write_bytes(b"not a prefix")
    assert store(tmp_path).prefixes() == []


def test_the_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.delenv("RECAP_PREFIXES", raising=False)
    monkeypatch.setenv("RECAP_CACHE", str(tmp_path / "cache"))
    assert prefixes_dir() == tmp_path / "cache" / "prefixes"
    monkeypatch.setenv("RECAP_PREFIXES", str(tmp_path / "elsewhere"))
    assert prefixes_dir() == tmp_path / "elsewhere"
    server = EmbeddedServer(tmp_path / "m.gguf", prefixes=prefixes_dir())
    argv = server.command(8080)
    assert argv[argv.index("--prefix_cache") + 1] == str(tmp_path / "elsewhere")
    monkeypatch.setenv("RECAP_PREFIXES", "off")
    assert prefixes_dir() is None
    assert "--prefix_cache" not in EmbeddedServer(tmp_path / "m.gguf").command(8080)


INSTRUCTIONS = ("You are a careful note taker. Read the text and list its facts, one per line, "
                "each a short sentence. Keep every number as it is written. ") * 4


def prompt(engine: Engine, show: str, text: str) -> list[int]:
    return engine.tokenize(f"<|im_start|>system\n{INSTRUCTIONS}<|im_end|>\n<|im_start|>user\n"
                           f"Podcast: {show}\n{text}<|im_end|>\n<|im_start|>assistant\n")


def ask(engine: Engine, tokens: list[int]) -> Job:
    job = engine.submit(Job(tokens=tokens, max_tokens=12, sampling=Sampling(temperature=0)))
    assert job.wait(300) and job.error is None
    return job


@pytest.mark.llm
@requires_llama
def test_the_next_run_loads_the_instructions_instead_of_reading_them(tmp_path: Path) -> None:
    model = assemble_model("smollm2-135m")
    folder = tmp_path / "prefixes"
    bees = "Count from 1 to 9, separated by commas."
    trains = "The night train leaves at nine and reaches Vienna at seven."

    build = __import__("llama_cpp").__version__
    first = Engine(model, slots=2, context_tokens=1024, threads=2, prefix_dir=folder)
    try:
        alone = prompt(first, "City bees", bees)
        first_reply = ask(first, alone).text
        # the first prompt of its kind is kept whole once read (a prompt asked once a run, as
        # the speakers call is, has no second request to share with)
        kept = PrefixStore(folder, model, build).prefixes()
        assert [p.tokens for p in kept] == [tuple(alone)]
        ask(first, prompt(first, "City bees", trains))  # shares the instructions and the show
        kept = PrefixStore(folder, model, build).prefixes()
        assert len(kept) == 1 and len(list(folder.rglob("*.kv"))) == 1
        shared = len(kept[0].tokens)  # shrunk to what the two requests share
        assert MIN_TOKENS < shared < len(alone)
        for tokens in (alone, None):
            cold = Engine(model, slots=1, context_tokens=1024, threads=2)  # keeps none
            try:
                if tokens is alone:  # saving a prompt once read does not change its reply
                    assert ask(cold, alone).text == first_reply
                else:
                    expected = ask(cold, prompt(cold, "Night trains", bees)).text
            finally:
                cold.close()
    finally:
        first.close()

    second = Engine(model, slots=2, context_tokens=1024, threads=2, prefix_dir=folder)
    try:
        tokens = prompt(second, "Night trains", bees)
        job = ask(second, tokens)
        # the instructions and "Podcast: " were loaded, the rest read
        assert second.stats.loaded == job.reused_tokens > len(second.tokenize(INSTRUCTIONS)) - 8
        assert second.stats.read == len(tokens) - job.reused_tokens
        assert job.text == expected  # the loaded cache is the one reading would have made
        # what two runs share is kept: the file now ends where the shows' names differ
        kept = PrefixStore(folder, model, build).prefixes()
        assert [len(p.tokens) for p in kept] == [job.reused_tokens]
        assert job.reused_tokens < shared
    finally:
        second.close()

    path = next(folder.rglob("*.kv"))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # damaged: the header reads, the state does not
    third = Engine(model, slots=2, context_tokens=1024, threads=2, prefix_dir=folder)
    try:
        tokens = prompt(third, "Night trains", bees)
        job = ask(third, tokens)
        assert job.text == expected and third.stats.loaded == 0
        assert third.stats.read == len(tokens)  # read as if nothing had been saved
        assert not path.exists() or path.read_bytes() != data[:len(data) // 2]
    finally:
        third.close()
