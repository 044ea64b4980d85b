"""The embedded OpenAI-compatible server: llama.cpp through llama-cpp-python's bindings, with
several requests decoded together (`recap.llm.batching`).

    python -m recap.llm.server --model M.gguf --port P [--slots 3] [--n_ctx 4096] [--n_threads 2]
                               [--prefix_cache DIR]

It answers `GET /v1/models` and `POST /v1/chat/completions` (not streamed), formats messages
with the model's own chat template as llama-cpp-python does, honours `max_tokens`, `stop`,
`temperature`, `top_p`, `seed` and `response_format` (`json_object` with or without a `schema`,
or `json_schema`: the reply is constrained by a grammar), and reports `usage` and
`finish_reason` ("length" when `max_tokens` cut the reply). A prompt that does not fit the
context is refused with HTTP 400 and llama-cpp-python's wording. It binds only where told
(recap passes 127.0.0.1) and is started and stopped by `recap.llm.embedded.EmbeddedServer`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.llm.batching import ContextFull, Engine, Job, Sampling

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse

log = logging.getLogger("recap.llm.server")


class BadRequest(ValueError):
    """A request the server refuses with HTTP 400."""


class ChatModel:
    """The engine plus the model's chat template: messages in, a completion out."""

    def __init__(self, engine: Engine, alias: str):
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.engine = engine
        self.alias = alias
        template = engine.metadata("tokenizer.chat_template") or _CHATML
        self.formatter = Jinja2ChatFormatter(template=template,
                                             eos_token=engine.special_text(engine.eos),
                                             bos_token=engine.special_text(engine.bos))

    def job(self, body: dict[str, Any]) -> Job:
        """The engine job for a chat-completion request body (BadRequest if it is not one)."""
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
            raise BadRequest("'messages' must be a non-empty list of messages with text content")
        if body.get("stream"):
            raise BadRequest("streaming is not supported by this server")
        formatted = self.formatter(messages=messages)
        stop = _strings(body.get("stop"), "stop") + _strings(formatted.stop, "template stop")
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        tokens = self.engine.tokenize(formatted.prompt)
        room = self.engine.context_tokens - len(tokens)
        max_tokens = room if limit is None else _integer(limit, "max_tokens")
        if max_tokens > room or room <= 0:
            raise ContextFull(
                f"This model's maximum context length is {self.engine.context_tokens} tokens. "
                f"However, you requested {len(tokens) + max_tokens} tokens ({len(tokens)} in "
                f"the messages, {max_tokens} in the completion). Please reduce the length of "
                f"the messages or completion.")
        sampling = Sampling(grammar=_grammar(body.get("response_format")))
        for name in ("temperature", "top_p", "min_p", "repeat_penalty", "frequency_penalty",
                     "presence_penalty"):
            if body.get(name) is not None:
                setattr(sampling, name, _number(body[name], name))
        if body.get("top_k") is not None:
            sampling.top_k = _integer(body["top_k"], "top_k")
        if body.get("seed") is not None:
            sampling.seed = _integer(body["seed"], "seed")
        return Job(tokens=tokens, max_tokens=max(1, max_tokens), sampling=sampling, stop=stop)

    def reply(self, job: Job) -> dict[str, Any]:
        prompt = len(job.tokens)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.alias,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": job.text},
                         "logprobs": None, "finish_reason": job.finish_reason}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": job.completion_tokens,
                      "total_tokens": prompt + job.completion_tokens,
                      "prompt_tokens_details": {"cached_tokens": job.reused_tokens}},
        }


def create_app(model: ChatModel) -> Starlette:
    from starlette.applications import Starlette
    from starlette.routing import Route

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        model.engine.close()  # on SIGTERM too: uvicorn shuts down, then re-raises the signal

    async def models(request: Request) -> JSONResponse:
        return _json({"object": "list", "data": [
            {"id": model.alias, "object": "model", "owned_by": "recap", "permissions": []}]})

    async def chat(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise BadRequest("the request body must be a JSON object")
            job = model.job(body)
            loop = asyncio.get_running_loop()
            finished = loop.create_future()
            job.on_done = lambda: _wake(loop, finished)
            model.engine.submit(job)
        except (BadRequest, ContextFull, ValueError) as exc:
            return _error(400, str(exc))
        await finished
        if job.error:
            return _error(500, job.error)
        return _json(model.reply(job))

    return Starlette(routes=[Route("/v1/models", models, methods=["GET"]),
                             Route("/v1/chat/completions", chat, methods=["POST"])],
                     lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m recap.llm.server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n_ctx", type=int, default=4096, help="context tokens of each slot")
    parser.add_argument("--n_threads", type=int, default=2)
    parser.add_argument("--slots", type=int, default=3, help="requests decoded together")
    parser.add_argument("--model_alias", default=None)
    parser.add_argument("--prefix_cache", type=Path, default=None,
                        help="a folder where prompt prefixes are kept between runs")
    parser.add_argument("--trace", type=Path, default=None,
                        help="a file each decode step and request is appended to (JSON lines)")
    parser.add_argument("--verbose", action="store_true", help="log every request's timings")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import uvicorn

    if not args.model.is_file():
        parser.exit(1, f"error: model file {args.model} does not exist\n")
    try:
        engine = Engine(args.model, slots=args.slots, context_tokens=args.n_ctx,
                        threads=args.n_threads, prefix_dir=args.prefix_cache, trace=args.trace)
    except OSError as exc:
        parser.exit(1, f"error: {exc}\n")
    model = ChatModel(engine, args.model_alias or args.model.stem)
    log.info("serving %s with %d slots of %d tokens", args.model.name, args.slots, args.n_ctx)
    try:
        uvicorn.run(create_app(model), host=args.host, port=args.port, log_level="warning",
                    timeout_graceful_shutdown=1)
    finally:
        engine.close()


# -- helpers

_CHATML = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
           "{{ message['content'] }}<|im_end|>\n{% endfor %}"
           "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def _grammar(form: object) -> str | None:
    """The GBNF grammar a response_format asks for (None: free text)."""
    if form is None:
        return None
    if not isinstance(form, dict):
        raise BadRequest("'response_format' must be an object")
    from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

    kind = form.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        schema = form.get("schema")
    elif kind == "json_schema":
        spec = form.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
    else:
        raise BadRequest(f"response_format type {kind!r} is not supported")
    if schema is None:
        return str(JSON_GBNF)
    try:
        return str(json_schema_to_gbnf(json.dumps(schema)))
    except Exception as exc:  # the converter raises bare errors on schemas it cannot read
        raise BadRequest(f"response_format schema cannot be used: {exc}") from None


def _wake(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
    """From the engine's thread: settle `future` on its loop."""
    loop.call_soon_threadsafe(_settle, future)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _strings(value: object, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise BadRequest(f"'{name}' must be a string or a list of strings")


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"'{name}' must be a number")
    return float(value)


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be an integer")
    return value


def _json(data: dict[str, Any], status: int = 200) -> JSONResponse:
    from starlette.responses import JSONResponse

    return JSONResponse(data, status_code=status)


def _error(status: int, message: str) -> JSONResponse:
    kind = "invalid_request_error" if status == 400 else "server_error"
    return _json({"error": {"message": message, "type": kind, "param": None, "code": None}},
                 status)


if __name__ == "__main__":
    main()
