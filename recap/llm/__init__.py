"""The LLM layer: any OpenAI-compatible endpoint, or an embedded llama.cpp server by default.

    settings = LLMSettings.resolve(Config.load())
    with open_llm(settings) as llm:
        notes = llm.complete_json(system=..., user=..., schema=..., max_tokens=800,
                                  cache=ReplyCache(episode.root / ".cache" / "llm"))
"""

from recap.llm.cache import ReplyCache
from recap.llm.client import LLMClient, open_llm
from recap.llm.embedded import EmbeddedServer, assemble_model
from recap.llm.failures import LLMTruncated
from recap.llm.replies import parse_reply
from recap.llm.settings import EMBEDDED_MODELS, STRUCTURED_MODES, LLMSettings
from recap.llm.usage import Usage

__all__ = [
    "EMBEDDED_MODELS",
    "STRUCTURED_MODES",
    "EmbeddedServer",
    "LLMClient",
    "LLMSettings",
    "LLMTruncated",
    "ReplyCache",
    "Usage",
    "assemble_model",
    "open_llm",
    "parse_reply",
]
