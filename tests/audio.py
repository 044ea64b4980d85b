"""Test helper: a whole audio file decoded at once (recap itself always streams)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recap.media import decode_stream


def decode_all(path: Path) -> np.ndarray:
    """The whole file as 16 kHz mono float32 samples (short clips and baselines only)."""
    blocks = list(decode_stream(path))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
