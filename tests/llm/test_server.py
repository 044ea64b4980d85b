"""recap's embedded server (`python -m recap.llm.server`) against the real llama.cpp library and
SmolLM2: several requests decoded together, prompt prefixes reused, the OpenAI protocol kept."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from recap.llm import EmbeddedServer, assemble_model
from recap.llm.batching import Engine, Job, Sampling, _common
from tests.llm.conftest import requires_llama

INSTRUCTIONS = ("You are a careful note taker. Read the text and list its facts, one per line, "
                "each a short sentence. Keep every number as it is written. ") * 6
TEXTS = ["Beekeepers count forty hives on the roofs of the old town.",
         "The night train leaves at nine and reaches Vienna at seven.",
         "The bog stores twelve thousand tonnes of carbon a year.",
         "The rescue team answered ninety calls last winter."]


def test_common_prefix() -> None:
    assert _common([1, 2, 3], [1, 2, 4, 5]) == 2
    assert _common([], [1]) == 0
    assert _common([7, 8], [7, 8]) == 2


@pytest.fixture(scope="module")
def client() -> Iterator[openai.OpenAI]:
    with EmbeddedServer(assemble_model("smollm2-135m"), context_tokens=2048, slots=3,
                        threads=2, model_alias="smol") as server:
        with openai.OpenAI(base_url=server.base_url, api_key="none", max_retries=0,
                           timeout=300) as api:
            yield api


def ask(api: openai.OpenAI, text: str, **extra: object) -> object:
    values: dict[str, object] = {"max_tokens": 40, "temperature": 0.0}
    values.update(extra)
    return api.chat.completions.create(  # type: ignore[call-overload]
        model="smol", messages=[{"role": "system", "content": INSTRUCTIONS},
                                {"role": "user", "content": text}], **values)


@pytest.mark.llm
@requires_llama
def test_requests_decoded_together_read_the_shared_instructions_once(
        client: openai.OpenAI) -> None:
    alone = [ask(client, text) for text in TEXTS]
    started = time.monotonic()
    with ThreadPoolExecutor(len(TEXTS)) as pool:
        together = list(pool.map(lambda text: ask(client, text), TEXTS))
    assert time.monotonic() - started < 300
    for one, many in zip(alone, together, strict=True):
        assert many.choices[0].finish_reason in ("stop", "length")
        assert many.usage.prompt_tokens == one.usage.prompt_tokens
        assert many.usage.completion_tokens > 0 and many.choices[0].message.content.strip()
    # Each prompt after the first reuses the instructions, read once, whichever slot holds them.
    instructions = together[0].usage.prompt_tokens - 40
    for reply in [*alone[1:], *together]:
        cached = reply.usage.prompt_tokens_details.cached_tokens
        assert instructions < cached < reply.usage.prompt_tokens
    # Greedy decoding in a batch writes what it writes alone, bar the last bits of arithmetic.
    same = sum(one.choices[0].message.content == many.choices[0].message.content
               for one, many in zip(alone, together, strict=True))
    assert same >= len(TEXTS) - 1


@pytest.mark.llm
@requires_llama
def test_length_stop_and_json(client: openai.OpenAI) -> None:
    cut = ask(client, TEXTS[0], max_tokens=5)
    assert (cut.choices[0].finish_reason, cut.usage.completion_tokens) == ("length", 5)
    counted = client.chat.completions.create(
        model="smol", max_tokens=60, temperature=0.0, stop=["4"],
        messages=[{"role": "user", "content": "Count from 1 to 9, separated by commas."}])
    assert "4" not in counted.choices[0].message.content
    assert counted.choices[0].finish_reason == "stop"
    schema = {"type": "object", "properties": {"topic": {"type": "string"},
                                               "hives": {"type": "integer"}},
              "required": ["topic", "hives"]}
    reply = ask(client, TEXTS[0], max_tokens=80,
                response_format={"type": "json_object", "schema": schema})
    data = json.loads(reply.choices[0].message.content)
    assert isinstance(data["topic"], str) and isinstance(data["hives"], int)


@pytest.mark.llm
@requires_llama
def test_bad_requests_get_a_400_and_the_server_goes_on(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="maximum context length is 2048 tokens"):
        ask(client, "word " * 3000)
    with pytest.raises(openai.BadRequestError, match="maximum context length"):
        ask(client, TEXTS[1], max_tokens=5000)
    with pytest.raises(openai.BadRequestError, match="streaming is not supported"):
        ask(client, TEXTS[1], stream=True)
    with pytest.raises(openai.BadRequestError, match="response_format type"):
        ask(client, TEXTS[1], response_format={"type": "xml"})
    assert [m.id for m in client.models.list().data] == ["smol"]
    assert ask(client, TEXTS[2]).usage.completion_tokens > 0


@pytest.mark.llm
@requires_llama
def test_the_engine_writes_requests_in_the_same_steps(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    engine = Engine(assemble_model("smollm2-135m"), slots=3, context_tokens=1024, threads=2,
                    trace=trace)
    try:
        prompts = [engine.tokenize(f"<|im_start|>user\nCount from 1 to 40 in words ({topic})."
                                   f"<|im_end|>\n<|im_start|>assistant\n")
                   for topic in ("bees", "night trains", "peat bogs")]
        jobs = [engine.submit(Job(tokens=p, max_tokens=24, sampling=Sampling(temperature=0)))
                for p in prompts]
        assert all(job.wait(300) for job in jobs)
        assert all(job.error is None and job.completion_tokens > 8 for job in jobs)
        # three sequences in flight: most steps write a token for each of them
        assert engine.stats.written / engine.stats.writing_steps > 2
        # every token written went back in but the last of a reply cut at its length
        assert engine.stats.written == sum(job.completion_tokens - (job.finish_reason == "length")
                                           for job in jobs)
    finally:
        engine.close()
    engine.close()  # a second close does nothing
    # The trace (bench/bench_notes_cost.py) holds every step and every request, counts only.
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    steps = [r for r in records if "step" in r]
    requests = [r for r in records if "request" in r]
    assert len(steps) == engine.stats.steps and len(requests) == 3
    assert sum(r["writing"] for r in steps) == engine.stats.written
    assert sum(r["reading"] for r in steps) == engine.stats.read
    assert sum(r["ms"] for r in steps) == pytest.approx(engine.stats.seconds * 1000, rel=0.01)
    assert sorted(r["written"] for r in requests) == sorted(j.completion_tokens for j in jobs)
    assert sorted(r["request"] for r in requests) == sorted(len(p) for p in prompts)
    assert all(r["running_s"] > 0 for r in requests)
    assert "bees" not in trace.read_text()  # no prompt or reply text


@pytest.mark.llm
@requires_llama
def test_a_grammar_is_followed_where_the_model_would_write_otherwise() -> None:
    """The chain samples freely and the grammar checks that one token; a token it refuses is
    sampled again from what the grammar allows, so the reply follows it whatever the model
    would have written."""
    engine = Engine(assemble_model("smollm2-135m"), slots=2, context_tokens=1024, threads=2)
    try:
        prompt = engine.tokenize("<|im_start|>user\nCount from 1 to 9, separated by commas."
                                 "<|im_end|>\n<|im_start|>assistant\n")
        free = engine.submit(Job(tokens=prompt, max_tokens=12, sampling=Sampling(temperature=0)))
        forced = engine.submit(Job(tokens=prompt, max_tokens=12, sampling=Sampling(
            temperature=0, grammar='root ::= "zebra" [0-9] "!"')))
        assert all(job.wait(300) for job in (free, forced))
        # what a 135M model writes freely depends on the CPU's kernels (on one with AMX,
        # repacked: "The number 9 is a classic example of an odd integer"): any text but the
        # grammar's
        assert free.text.strip() and "zebra" not in free.text
        assert forced.error is None and forced.text.startswith("zebra") and forced.text[-1] == "!"
        assert len(forced.text) == len("zebra0!")
        refused = engine.stats.grammar_resampled
        # each token sampled under a grammar (a reply's end too) was checked alone; only those
        # the grammar refused were sampled again over the whole vocabulary
        assert 1 <= refused <= forced.completion_tokens + (forced.finish_reason == "stop")
        # a grammar that allows what the model writes anyway changes nothing: none of its
        # tokens is refused (its text is not compared with the free reply's: a llama.cpp step's
        # logits may differ in the last bits with the number of sequences it carries)
        allowed = engine.submit(Job(tokens=prompt, max_tokens=12, sampling=Sampling(
            temperature=0, grammar='root ::= [^\\x01]*')))  # all text but a control character
        assert allowed.wait(300) and allowed.error is None and allowed.text.strip()
        sampled = [job.completion_tokens + (job.finish_reason == "stop") for job in (forced,
                                                                                      allowed)]
        assert engine.stats.grammar_checked == sum(sampled)
        assert engine.stats.grammar_resampled == refused
        bad = engine.submit(Job(tokens=prompt, max_tokens=4,
                                sampling=Sampling(grammar="root ::= (")))
        assert bad.wait(300) and bad.error and "grammar" in bad.error
    finally:
        engine.close()


@pytest.mark.llm
@requires_llama
def test_a_request_of_another_kind_takes_an_empty_slot_not_a_shared_prefix() -> None:
    """A heading call between two extraction calls used to go to the slot holding the
    extraction's instructions (it shared the chat template's first tokens with it, the empty
    slot nothing) and overwrite them: the next extraction call read them all again."""
    engine = Engine(assemble_model("smollm2-135m"), slots=2, context_tokens=1024, threads=2)
    try:
        def prompt(system: str, text: str) -> list[int]:
            return engine.tokenize(f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n"
                                   f"{text}<|im_end|>\n<|im_start|>assistant\n")

        def ask(tokens: list[int]) -> Job:
            job = engine.submit(Job(tokens=tokens, max_tokens=2, sampling=Sampling(temperature=0)))
            assert job.wait(300) and job.error is None
            return job

        ask(prompt(INSTRUCTIONS, TEXTS[0]))
        ask(prompt("You write headings.", TEXTS[1]))
        again = ask(prompt(INSTRUCTIONS, TEXTS[2]))
        assert again.reused_tokens >= len(engine.tokenize(INSTRUCTIONS)) - 8
    finally:
        engine.close()
