"""Several chat completions decoded together on one llama.cpp context (continuous batching).

On a CPU, writing a token costs about as much for one sequence as for three: each step reads
every weight of the model once, whatever the number of sequences it carries. Measured on 2 cores
with the embedded Qwen 1.5B (600-token prompts, 48 steps): one sequence writes 11.5 tokens/s,
two 16.5, three 20.2, four 20.8. llama-cpp-python's server answers one request at a time; this
engine takes up to `slots` requests at once and decodes them in the same steps, the way
llama.cpp's own `llama-server` does.

Each request gets a sequence (a slot) of one KV cache shared by all slots. A new request reuses
the longest prompt prefix held by any slot (its own from the call before, or another's, copied in
the cache without recomputing): the notes' fixed instructions come first in every prompt, so they
are read once, not once per slot. A request whose prefix another slot is still reading waits for
it rather than reading the same tokens beside it. With a `prefix_dir`, a prefix two requests
shared is also saved for the next run, which loads it instead of reading it, and so is the first
prompt of a kind, once read, for a prompt asked once a run (`recap.llm.prefixes`).

Everything that touches llama.cpp runs on the engine's one thread; `submit` is thread-safe.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recap.llm.prefixes import PrefixStore
from recap.llm.prefixes import common_length as _common

log = logging.getLogger("recap.llm.server")

BATCH_TOKENS = 512
"""Tokens per llama_decode call: prompt reading is split into pieces of this size at most."""
PENALTY_TOKENS = 64
"""The repeat penalty looks back this many written tokens (as llama-cpp-python does)."""
MIN_SHARED = 16
"""Prompt tokens a slot must share with a request to be chosen for it over an emptier one."""
LOAD_GAIN = 32
"""A saved prefix is loaded when it holds this many tokens more than the cache already does."""


DEFAULT_SEED = random.Random(0xFFFFFFFF).randint(0, 2**32) & 0xFFFFFFFF
"""The seed of a request that names none: the first one llama-cpp-python's server draws from its
default seed (it draws each next one from the last). The same request gets the same reply, as
a rerun of a failed call did there."""


def extra_buffers(ll: Any) -> bool:
    """Whether llama.cpp may keep the weights in its CPU-specific buffers (`use_extra_bufts`,
    its default: repacked for the CPU's vector units), given the `llama_cpp` module. Where it
    was built for a CPU with AMX, whose kernels crash it, only once this process can no longer
    be granted AMX (`recap.llm.amx`); where that cannot be done, not at all.
    `RECAP_LLM_EXTRA_BUFFERS=1` keeps them anyway (a llama.cpp where AMX works), `=0` never."""
    forced = os.environ.get("RECAP_LLM_EXTRA_BUFFERS", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    info = bytes(ll.llama_print_system_info() or b"").decode("utf-8", "replace")
    if "AMX_INT8 = 1" not in info:
        return True
    from recap.llm.amx import deny_amx
    return deny_amx()


class ContextFull(ValueError):
    """The request cannot fit a slot's context."""


@dataclass
class Sampling:
    """How a request's tokens are chosen (llama-cpp-python's server defaults)."""

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    seed: int | None = None
    grammar: str | None = None
    """A GBNF grammar the reply must follow (a JSON schema turned into one), or None."""


@dataclass
class Job:
    """One completion: its prompt tokens in, its text and counts out once `done` is set."""

    tokens: list[int]
    max_tokens: int
    sampling: Sampling = field(default_factory=Sampling)
    stop: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    text: str = ""
    finish_reason: str = "stop"
    completion_tokens: int = 0
    reused_tokens: int = 0
    """Prompt tokens found in the cache, not read again."""
    error: str | None = None
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float = 0.0
    on_done: Callable[[], None] | None = None
    """Called on the engine's thread once `done` is set (the server wakes its request)."""

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    def settle(self) -> None:
        self.done.set()
        if self.on_done is not None:
            self.on_done()


@dataclass
class Stats:
    """What the engine did: decode calls, tokens read and written, and how many were written
    together (logged when the server stops)."""

    steps: int = 0
    seconds: float = 0.0
    read: int = 0
    written: int = 0
    writing_steps: int = 0
    grammar_checked: int = 0
    """Tokens of JSON replies the grammar checked one by one (`Engine._sample_with_grammar`)."""
    grammar_resampled: int = 0
    """Of those, the tokens it refused, sampled again over the whole vocabulary."""
    loaded: int = 0
    """Prompt tokens loaded from a prefix saved by an earlier run (`recap.llm.prefixes`)."""
    saved: int = 0
    """Prompt tokens saved as a prefix for later runs."""

    def count(self, seconds: float, *, writing: int, reading: int) -> None:
        self.steps += 1
        self.seconds += seconds
        self.read += reading
        self.written += writing
        self.writing_steps += writing > 0

    def __str__(self) -> str:
        together = self.written / self.writing_steps if self.writing_steps else 0.0
        return (f"{self.steps} decode calls in {self.seconds:.1f} s: {self.read} prompt tokens "
                f"read, {self.written} written, {together:.2f} written together on average"
                + (f"; {self.grammar_resampled} of {self.grammar_checked} tokens checked by a "
                   f"grammar sampled again" if self.grammar_checked else "")
                + (f"; {self.loaded} prompt tokens loaded from saved prefixes, {self.saved} saved"
                   if self.loaded or self.saved else ""))


class Trace:
    """The engine's trace file: a JSON line per decode step (milliseconds, tokens written and
    read, requests in the slots) and per finished request (prompt tokens, those found in the
    cache, tokens written, seconds queued and running), each with the wall-clock time."""

    def __init__(self, path: Path):
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed in `close`)

    def write(self, **record: object) -> None:
        self._file.write(json.dumps({"t": round(time.time(), 3), **record}) + "\n")

    def close(self) -> None:
        self._file.close()


@dataclass
class _Slot:
    seq: int
    cached: list[int] = field(default_factory=list)
    """The tokens this sequence holds in the KV cache, in order."""
    job: Job | None = None
    pending: list[int] = field(default_factory=list)
    """Prompt tokens still to read."""
    next_token: int | None = None
    """The token sampled last, not yet in the cache."""
    sampler: object | None = None
    """The job's sampling chain, without its grammar."""
    grammar: object | None = None
    """The job's grammar sampler, kept out of the chain (`Engine._sample_with_grammar`)."""
    written: bytearray = field(default_factory=bytearray)

    @property
    def reading(self) -> bool:
        return self.job is not None and bool(self.pending)

    def holds(self) -> list[int]:
        """What this slot will hold once it has read its prompt."""
        return self.cached + self.pending if self.job is not None else self.cached


class Engine:
    """A loaded model and a context of `slots` sequences of `context_tokens` each."""

    def __init__(self, model_path: Path, *, slots: int = 3, context_tokens: int = 4096,
                 threads: int = 2, grammar_in_chain: bool = False,
                 prefix_dir: Path | None = None, trace: Path | None = None):
        """`grammar_in_chain`: a JSON reply's grammar checks every token of the vocabulary at
        every step, as llama-cpp-python does (the baseline of `bench/bench_json_replies.py`),
        instead of the one token sampled (`_sample_with_grammar`). `prefix_dir`: where prompt
        prefixes are kept between runs (`recap.llm.prefixes`); None keeps none. `trace`: a
        file each decode step and each finished request is appended to, one JSON line each
        (counts and times only, never text: `bench/bench_notes_cost.py` reads it)."""
        import llama_cpp as ll

        self.grammar_in_chain = grammar_in_chain

        self._ll = ll
        self.slots_count = max(1, slots)
        self.context_tokens = context_tokens
        extra = extra_buffers(ll)  # before llama.cpp first looks for AMX
        ll.llama_backend_init()
        model_params = ll.llama_model_default_params()
        model_params.use_extra_bufts = extra
        self.model = ll.llama_model_load_from_file(str(model_path).encode(), model_params)
        if not self.model:
            raise OSError(f"cannot load the model file {model_path}")
        self.vocab = ll.llama_model_get_vocab(self.model)
        self.n_vocab = ll.llama_vocab_n_tokens(self.vocab)
        params = ll.llama_context_default_params()
        params.n_ctx = context_tokens * self.slots_count
        params.n_batch = params.n_ubatch = BATCH_TOKENS
        self.store = (PrefixStore(prefix_dir, Path(model_path), ll.__version__)
                      if prefix_dir is not None else None)
        # One sequence more than the slots where prefixes are saved: a prefix is copied there
        # (in the one cache, without copying data) to save exactly its tokens.
        self._spare = self.slots_count
        params.n_seq_max = self.slots_count + (1 if self.store is not None else 0)
        params.n_threads = params.n_threads_batch = threads
        params.kv_unified = True  # one cache: a prefix copied to another slot is shared, not copied
        self.ctx = ll.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise OSError(f"cannot create a llama.cpp context of {params.n_ctx} tokens")
        self.memory = ll.llama_get_memory(self.ctx)
        self._batch = ll.llama_batch_init(BATCH_TOKENS, 0, self.slots_count)
        self._slots = [_Slot(seq) for seq in range(self.slots_count)]
        self._candidates = _Candidates(ll, self.n_vocab)
        self._queue: deque[Job] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.stats = Stats()
        self._trace = Trace(trace) if trace is not None else None
        self._thread = threading.Thread(target=self._run, name="recap-llm-engine", daemon=True)
        self._thread.start()

    # -- public

    def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        ll = self._ll
        data = text.encode("utf-8")
        size = len(data) + 16
        buffer = (ll.llama_token * size)()
        add_bos = bool(ll.llama_vocab_get_add_bos(self.vocab))
        count = ll.llama_tokenize(self.vocab, data, len(data), buffer, size, add_bos, special)
        if count < 0:  # the buffer was too small: -count is the size needed
            size = -count
            buffer = (ll.llama_token * size)()
            count = ll.llama_tokenize(self.vocab, data, len(data), buffer, size, add_bos, special)
        return list(buffer[:count])

    def piece(self, token: int, *, special: bool = False) -> bytes:
        buffer = ctypes.create_string_buffer(64)
        count = self._ll.llama_token_to_piece(self.vocab, token, buffer, 64, 0, special)
        if count < 0:
            buffer = ctypes.create_string_buffer(-count)
            count = self._ll.llama_token_to_piece(self.vocab, token, buffer, -count, 0, special)
        return buffer.raw[:count]

    def metadata(self, key: str) -> str | None:
        buffer = ctypes.create_string_buffer(1 << 16)
        count = self._ll.llama_model_meta_val_str(self.model, key.encode(), buffer, len(buffer))
        return buffer.value.decode("utf-8", "replace") if count >= 0 else None

    def special_text(self, token: int) -> str:
        return self.piece(token, special=True).decode("utf-8", "replace") if token >= 0 else ""

    @property
    def eos(self) -> int:
        return int(self._ll.llama_vocab_eos(self.vocab))

    @property
    def bos(self) -> int:
        return int(self._ll.llama_vocab_bos(self.vocab))

    def submit(self, job: Job) -> Job:
        """Queue `job`; ContextFull when its prompt leaves no room to write in a slot."""
        if not job.tokens:
            raise ValueError("the prompt is empty")
        if len(job.tokens) >= self.context_tokens:
            raise ContextFull(f"Requested tokens ({len(job.tokens)}) exceed context window of "
                              f"{self.context_tokens}")
        with self._cond:
            if self._closed:
                raise RuntimeError("the engine is closed")
            self._queue.append(job)
            self._cond.notify()
        return job

    def close(self) -> None:
        """Stop decoding, fail what is left, free the model (a second call does nothing)."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify()
        self._thread.join()
        log.info("%s", self.stats)
        for job in list(self._queue):
            self._fail(job, "the server is stopping")
        for slot in self._slots:
            if slot.job is not None:
                self._finish(slot, error="the server is stopping")
        if self._trace is not None:
            self._trace.close()
        self._ll.llama_batch_free(self._batch)
        self._ll.llama_free(self.ctx)
        self._ll.llama_model_free(self.model)

    # -- the engine's thread

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._queue and not self._busy():
                    self._cond.wait()
                if self._closed:
                    return
                self._admit()
            try:
                self._step()
            except Exception as exc:  # a failed decode fails the jobs in it, not the server
                log.exception("decoding failed")
                for slot in self._slots:  # what the cache holds for them is unknown now
                    self._ll.llama_memory_seq_rm(self.memory, slot.seq, 0, -1)
                    slot.cached = []
                    if slot.job is not None:
                        self._finish(slot, error=f"decoding failed: {exc}")

    def _busy(self) -> bool:
        return any(slot.job is not None for slot in self._slots)

    def _admit(self) -> None:
        """Give queued jobs free slots, each where the most of its prompt is already cached."""
        while self._queue:
            free = [slot for slot in self._slots if slot.job is None]
            if not free:
                return
            job = self._queue[0]
            source, shared = self._best_prefix(job.tokens, self._slots)
            if any(_common(job.tokens, slot.holds()) > shared + 16
                   for slot in self._slots if slot.reading):
                return  # another slot is reading this prefix now: copy it once read
            # The free slot holding most of this prompt; where none holds more than the chat
            # template's first tokens, the one holding least, so that a prefix other requests
            # will want (the instructions of the extraction calls) is not overwritten by a
            # request of another kind while an empty slot waits.
            target = max(free, key=lambda slot: (_useful(_common(job.tokens, slot.cached)),
                                                  -len(slot.cached)))
            self._queue.popleft()
            self._start(target, job, source, shared)

    def _best_prefix(self, tokens: list[int], slots: list[_Slot]) -> tuple[_Slot, int]:
        best = max(slots, key=lambda slot: _common(tokens, slot.cached))
        return best, min(_common(tokens, best.cached), len(tokens) - 1)

    def _start(self, slot: _Slot, job: Job, source: _Slot, shared: int) -> None:
        ll = self._ll
        own = min(_common(job.tokens, slot.cached), len(job.tokens) - 1)
        if source is not slot and shared > own:
            ll.llama_memory_seq_rm(self.memory, slot.seq, 0, -1)
            ll.llama_memory_seq_cp(self.memory, source.seq, slot.seq, 0, shared)
            keep = shared
        else:
            ll.llama_memory_seq_rm(self.memory, slot.seq, own, -1)
            keep = own
        if self.store is not None:
            keep = self._with_saved_prefix(slot, job.tokens, keep)
        slot.cached = job.tokens[:keep]
        slot.pending = job.tokens[keep:]
        slot.job, slot.next_token, slot.written = job, None, bytearray()
        job.reused_tokens = keep
        job.started_at = time.monotonic()
        grammar = None
        if job.sampling.grammar:
            grammar = self._ll.llama_sampler_init_grammar(
                self.vocab, job.sampling.grammar.encode(), b"root") or None
            if grammar is None:
                self._finish(slot, error="the grammar of the response format is not valid")
                return
        if self.grammar_in_chain:
            slot.sampler = self._sampler(job.sampling, grammar)
        else:
            slot.sampler, slot.grammar = self._sampler(job.sampling), grammar

    def _with_saved_prefix(self, slot: _Slot, tokens: list[int], keep: int) -> int:
        """How many of `tokens` the slot holds once a saved prefix longer than the `keep` it
        has is loaded into it; and a prefix now shared by two requests (or by this one and a
        saved one) is saved for the next run."""
        store, ll = self.store, self._ll
        assert store is not None
        prefix, shared = store.best(tokens)
        shared = min(shared, len(tokens) - 1)
        if prefix is not None and shared >= keep + LOAD_GAIN:
            state = store.state(prefix)
            if state is not None:
                buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
                if ll.llama_state_seq_set_data(self.ctx, buffer, len(state), slot.seq):
                    ll.llama_memory_seq_rm(self.memory, slot.seq, shared, -1)
                    self.stats.loaded += shared
                    keep = shared
                else:
                    ll.llama_memory_seq_rm(self.memory, slot.seq, 0, -1)
                    store.discard(prefix, "llama.cpp could not load it")
                    keep = 0
        wanted = store.wanted(tokens[:keep])
        if wanted is not None:
            self._save_prefix(slot, wanted)
        return keep

    def _save_prefix(self, slot: _Slot, tokens: list[int]) -> None:
        """Save the KV cache of `tokens` (the first tokens the slot holds) for later runs."""
        ll, store, spare = self._ll, self.store, self._spare
        assert store is not None
        ll.llama_memory_seq_rm(self.memory, spare, 0, -1)
        ll.llama_memory_seq_cp(self.memory, slot.seq, spare, 0, len(tokens))
        try:
            size = ll.llama_state_seq_get_size(self.ctx, spare)
            buffer = (ctypes.c_uint8 * size)()
            written = ll.llama_state_seq_get_data(self.ctx, buffer, size, spare)
        finally:
            ll.llama_memory_seq_rm(self.memory, spare, 0, -1)
        if written:
            store.save(tokens, bytes(buffer)[:written])
            self.stats.saved += len(tokens)

    def _sampler(self, sampling: Sampling, grammar: object | None = None) -> object:
        """The sampling chain of a job (llama-cpp-python's order), with `grammar` in it only
        where given (`grammar_in_chain`)."""
        ll = self._ll
        chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
        ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_penalties(
            self.n_vocab, PENALTY_TOKENS, sampling.repeat_penalty, sampling.frequency_penalty,
            sampling.presence_penalty))
        if grammar is not None:
            ll.llama_sampler_chain_add(chain, grammar)
        seed = sampling.seed if sampling.seed is not None else DEFAULT_SEED
        if sampling.temperature <= 0:
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_greedy())
        else:
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_top_k(sampling.top_k))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_top_p(sampling.top_p, 1))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_min_p(sampling.min_p, 1))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_temp(sampling.temperature))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def _step(self) -> None:
        """One llama_decode: a token for every slot writing, then prompt pieces to fill it."""
        ll, batch = self._ll, self._batch
        batch.n_tokens = 0
        outputs: list[tuple[_Slot, int]] = []
        added: list[tuple[_Slot, list[int]]] = []
        for slot in self._slots:
            if slot.job is not None and slot.next_token is not None:
                outputs.append((slot, self._add(slot.next_token, len(slot.cached), slot.seq, True)))
                added.append((slot, [slot.next_token]))
                slot.next_token = None
        writing = batch.n_tokens
        read_all: list[_Slot] = []
        for slot in self._slots:
            room = BATCH_TOKENS - batch.n_tokens
            if not slot.reading or room <= 0:
                continue
            piece, slot.pending = slot.pending[:room], slot.pending[room:]
            if not slot.pending:
                read_all.append(slot)
            start = len(slot.cached)
            for offset, token in enumerate(piece):
                last = not slot.pending and offset == len(piece) - 1
                index = self._add(token, start + offset, slot.seq, last)
                if last:
                    outputs.append((slot, index))
            added.append((slot, piece))
        if batch.n_tokens == 0:
            return
        started = time.perf_counter()
        code = ll.llama_decode(self.ctx, batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")
        seconds = time.perf_counter() - started
        self.stats.count(seconds, writing=writing, reading=batch.n_tokens - writing)
        if self._trace is not None:
            self._trace.write(step=self.stats.steps, ms=round(seconds * 1000, 2), writing=writing,
                              reading=batch.n_tokens - writing,
                              busy=sum(slot.job is not None for slot in self._slots))
        for slot, tokens in added:
            slot.cached += tokens
        for slot, index in outputs:
            if slot.grammar is None:
                token = int(ll.llama_sampler_sample(slot.sampler, self.ctx, index))
            else:
                token = self._sample_with_grammar(slot, index)
            self._take(slot, token)
        if self.store is not None:
            for slot in read_all:  # sampled first: saving does not touch what was sampled from
                if self.store.new_family(slot.cached):
                    # The first prompt of its kind, read whole: kept, so that the next run
                    # loads its fixed part even where a run asks it once (the speakers, the
                    # intro); that run shrinks it to what the two share (`_with_saved_prefix`).
                    self._save_prefix(slot, list(slot.cached))

    def _sample_with_grammar(self, slot: _Slot, index: int) -> int:
        """A token the grammar allows, the way llama.cpp's own sampler picks one: the chain
        samples freely and the grammar checks that one token; only when it refuses it is the
        grammar applied to the whole vocabulary and the chain samples again. Checking every
        token of a 150,000-token vocabulary at every step made a JSON reply write at 2/3 the
        speed of plain text (101 ms a token against 67 alone, on 2 cores)."""
        ll, candidates = self._ll, self._candidates
        logits = candidates.np.ctypeslib.as_array(ll.llama_get_logits_ith(self.ctx, index),
                                                  shape=(self.n_vocab,))
        token = candidates.sample(ll, slot.sampler, logits)
        self.stats.grammar_checked += 1
        if not candidates.allows(ll, slot.grammar, token):
            self.stats.grammar_resampled += 1
            candidates.fill(logits)
            ll.llama_sampler_apply(slot.grammar, candidates.pointer)
            token = candidates.sample(ll, slot.sampler, None)
        ll.llama_sampler_accept(slot.grammar, token)
        ll.llama_sampler_accept(slot.sampler, token)
        return token

    def _add(self, token: int, pos: int, seq: int, logits: bool) -> int:
        batch = self._batch
        i = batch.n_tokens
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = logits
        batch.n_tokens = i + 1
        return i

    def _take(self, slot: _Slot, token: int) -> None:
        """A sampled token: the end, a stop string, the length limit, or on to the next step."""
        job = slot.job
        assert job is not None
        if self._ll.llama_vocab_is_eog(self.vocab, token):
            self._finish(slot, reason="stop")
            return
        job.completion_tokens += 1
        slot.written += self.piece(token)
        text = slot.written.decode("utf-8", "ignore")
        cut = min((i for i in (text.find(s) for s in job.stop if s) if i >= 0), default=-1)
        if cut >= 0:
            self._finish(slot, reason="stop", text=text[:cut])
        elif (job.completion_tokens >= job.max_tokens
              or len(slot.cached) + 1 >= self.context_tokens):
            self._finish(slot, reason="length")
        else:
            slot.next_token = token

    def _finish(self, slot: _Slot, *, reason: str = "stop", text: str | None = None,
                error: str | None = None) -> None:
        job = slot.job
        for sampler in (slot.sampler, slot.grammar):
            if sampler:
                self._ll.llama_sampler_free(sampler)
        slot.sampler, slot.grammar, slot.job, slot.pending, slot.next_token = None, None, None, [], None
        if job is None:
            return
        job.text = text if text is not None else slot.written.decode("utf-8", "replace")
        job.finish_reason, job.error = reason, error
        now = time.monotonic()
        log.debug("slot %d: %d prompt tokens (%d cached), %d written, %s; %.1f s queued, %.1f s "
                  "running", slot.seq, len(job.tokens), job.reused_tokens, job.completion_tokens,
                  reason, job.started_at - job.queued_at if job.started_at else 0.0,
                  now - job.started_at if job.started_at else 0.0)
        if self._trace is not None:
            self._trace.write(request=len(job.tokens), reused=job.reused_tokens,
                              written=job.completion_tokens, finish=reason,
                              queued_s=round(job.started_at - job.queued_at, 3)
                              if job.started_at else 0.0,
                              running_s=round(now - job.started_at, 3) if job.started_at else 0.0)
        job.settle()

    def _fail(self, job: Job, error: str) -> None:
        job.error = error
        job.settle()


class _Candidates:
    """The token arrays the grammar's samplers work on (used on the engine's thread only): one
    the size of the vocabulary, and one of a single token to check."""

    def __init__(self, ll: Any, n_vocab: int):
        import numpy as np  # llama-cpp-python's own dependency

        self.np = np
        dtype = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)
        self.ids = np.arange(n_vocab, dtype=np.intc)
        self.data = np.zeros(n_vocab, dtype=dtype)
        self.array = ll.llama_token_data_array(
            data=self.data.ctypes.data_as(ll.llama_token_data_p), size=n_vocab, selected=-1,
            sorted=False)
        self.pointer = ctypes.byref(self.array)
        self.one = np.zeros(1, dtype=dtype)
        self.one_array = ll.llama_token_data_array(
            data=self.one.ctypes.data_as(ll.llama_token_data_p), size=1, selected=-1,
            sorted=False)

    def fill(self, logits: Any) -> None:
        self.data["id"] = self.ids
        self.data["logit"] = logits
        self.data["p"] = 0.0
        self.array.size, self.array.selected, self.array.sorted = len(self.ids), -1, False

    def sample(self, ll: Any, chain: object, logits: Any) -> int:
        """The token `chain` picks (without accepting it); `logits` None: from the array as it
        stands (after the grammar)."""
        if logits is not None:
            self.fill(logits)
        ll.llama_sampler_apply(chain, self.pointer)
        selected = self.array.selected
        if not 0 <= selected < self.array.size:
            raise RuntimeError("the sampler chose no token")
        return int(self.data["id"][selected])

    def allows(self, ll: Any, grammar: object, token: int) -> bool:
        self.one["id"], self.one["logit"], self.one["p"] = token, 0.0, 0.0
        self.one_array.size, self.one_array.selected, self.one_array.sorted = 1, -1, False
        ll.llama_sampler_apply(grammar, ctypes.byref(self.one_array))
        return bool(self.np.isfinite(self.one["logit"][0]))


def _useful(shared: int) -> int:
    """A shared prefix worth keeping a slot for: the chat template's opening is not."""
    return shared if shared >= MIN_SHARED else 0
