"""Prompt prefixes kept on disk: the KV cache of the instructions every run starts with.

Within one run the engine reads a prompt prefix once and shares it between slots
(`recap.llm.batching`). Across runs it used to read the same instructions again: the extraction
prompt's 433 tokens, the headings' 249, before anything of the episode. On 2 cores reading
costs about 14 ms a token, so some 10 s of every episode's notes went to words that never
change. The engine now keeps, per prompt family, the longest prefix two requests shared, as
llama.cpp's sequence state (`llama_state_seq_get_data`), and a later run loads it instead of
reading it (llama.cpp's `--slot-save-path` does the same for its server). A family asked once a
run (the speakers, the intro) has no second request to share with: its first prompt is kept
whole once read, and the next run, which shares only its fixed part, shrinks it to that.

A file holds one prefix: a line `RECAPKV1`, a JSON line (the tokens, the model's key) and the
state's bytes. Files are written whole under a temporary name and renamed, so two processes
never see half a file; one that does not load (another llama.cpp build, a damaged file) is
removed and the prefix read as before. What a prefix holds depends on the model file and the
llama.cpp build, so the folder is keyed by both: a reassembled or upgraded model starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger("recap.llm.server")

MAGIC = b"RECAPKV1\n"
FAMILY_TOKENS = 32
"""Prompts whose first tokens agree this far belong to one family: one file each."""
MIN_TOKENS = 64
"""A shorter prefix is not worth a file (under a second to read)."""
MAX_FILES = 12
"""Files kept per model: recap's own prompts make 4; a user who edits the start of a prompt
makes a new family each time, so the least recently used go beyond this many."""


@dataclass(frozen=True)
class Prefix:
    """A saved prefix: its tokens and the file holding its state."""

    tokens: tuple[int, ...]
    path: Path


def common_length(a: list[int] | tuple[int, ...], b: list[int] | tuple[int, ...]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def model_key(model_path: Path, build: str) -> str:
    """What a saved state depends on: the model file (name, size, time) and llama.cpp's build."""
    stat = model_path.stat()
    ident = f"{model_path.name}|{stat.st_size}|{stat.st_mtime_ns}|{build}|f16"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


class PrefixStore:
    """The saved prefixes of one model, in `root/<model stem>-<key>/`."""

    def __init__(self, root: Path, model_path: Path, build: str):
        self.key = model_key(model_path, build)
        self.folder = root / f"{model_path.stem}-{self.key}"
        self._prefixes: dict[str, Prefix] = {}
        self._loaded = False
        self._root = root
        self._stem = model_path.stem

    # -- reading

    def prefixes(self) -> list[Prefix]:
        if not self._loaded:
            self._loaded = True
            self._read_folder()
        return list(self._prefixes.values())

    def best(self, tokens: list[int]) -> tuple[Prefix | None, int]:
        """The saved prefix sharing the most leading tokens with `tokens`, and how many."""
        best: Prefix | None = None
        shared = 0
        for prefix in self.prefixes():
            n = common_length(prefix.tokens, tokens)
            if n > shared:
                best, shared = prefix, n
        return best, shared

    def state(self, prefix: Prefix) -> bytes | None:
        """The state bytes of `prefix` (None, and the file removed, when it cannot be read)."""
        try:
            with open(prefix.path, "rb") as src:
                if _read_tokens(src) != prefix.tokens:
                    raise ValueError("the file changed")
                state = src.read()
            os.utime(prefix.path)  # used now: the last to go (`_forget_least_used`)
            return state
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.discard(prefix, f"unreadable ({exc})")
            return None

    def discard(self, prefix: Prefix, why: str) -> None:
        log.warning("dropping the saved prompt prefix %s: %s", prefix.path, why)
        self._prefixes.pop(_family(prefix.tokens), None)
        try:
            prefix.path.unlink(missing_ok=True)
        except OSError:
            pass

    # -- writing

    def wanted(self, tokens: list[int]) -> list[int] | None:
        """The part of `tokens` (a prefix two requests shared) worth saving, or None: the whole
        of it for a new family; for a known one, only what it shares with the saved prefix
        when that is less (the saved one ended in words of one episode: what two episodes
        share is what the next one will)."""
        if len(tokens) < MIN_TOKENS:
            return None
        self.prefixes()
        saved = self._prefixes.get(_family(tokens))
        if saved is None:
            return list(tokens)
        shared = common_length(saved.tokens, tokens)
        if shared == len(saved.tokens):
            return None  # what is saved is all of it, or the part that stays
        return list(tokens[:shared]) if shared >= MIN_TOKENS else list(tokens)

    def new_family(self, tokens: list[int]) -> bool:
        """Whether `tokens` (a prompt read whole) is long enough to keep and of a family that
        has no saved prefix yet."""
        self.prefixes()
        return len(tokens) >= MIN_TOKENS and _family(tokens) not in self._prefixes

    def save(self, tokens: list[int], state: bytes) -> None:
        """Keep `state` (the KV cache of `tokens`) as its family's prefix, atomically."""
        family = _family(tokens)
        path = self.folder / f"{family}.kv"
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        header = json.dumps({"tokens": list(tokens), "model": self.key}).encode()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._forget_other_builds()
            with open(tmp, "wb") as out:
                out.write(MAGIC + header + b"\n")
                out.write(state)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot save a prompt prefix in %s: %s", self.folder, exc)
            tmp.unlink(missing_ok=True)
            return
        self._prefixes[family] = Prefix(tuple(tokens), path)
        log.info("saved a prompt prefix of %d tokens (%s)", len(tokens), path.name)
        self._forget_least_used()

    # -- helpers

    def _read_folder(self) -> None:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.kv")):
            try:
                with open(path, "rb") as src:
                    tokens = _read_tokens(src)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring the saved prompt prefix %s: %s", path, exc)
                continue
            if len(tokens) >= MIN_TOKENS and path.stem == _family(tokens):
                self._prefixes[path.stem] = Prefix(tokens, path)

    def _forget_least_used(self) -> None:
        """Beyond `MAX_FILES` files, remove those loaded or saved longest ago."""
        try:
            files = sorted(self.folder.glob("*.kv"), key=lambda p: p.stat().st_mtime_ns)
        except OSError:
            return
        for path in files[:max(0, len(files) - MAX_FILES)]:
            self._prefixes.pop(path.stem, None)
            path.unlink(missing_ok=True)

    def _forget_other_builds(self) -> None:
        """Folders of the same model from another build or file: their states no longer load."""
        for other in self._root.glob(f"{self._stem}-*"):
            if other != self.folder and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)


def _family(tokens: list[int] | tuple[int, ...]) -> str:
    head = ",".join(str(t) for t in tokens[:FAMILY_TOKENS])
    return hashlib.sha256(head.encode()).hexdigest()[:16]


def _read_tokens(src: BinaryIO) -> tuple[int, ...]:
    """The tokens of a prefix file's header, leaving `src` at the start of the state."""
    if src.readline() != MAGIC:
        raise ValueError("not a prefix file")
    header = json.loads(src.readline())
    if not isinstance(header, dict):
        raise ValueError("no header")
    return tuple(int(t) for t in header["tokens"])
