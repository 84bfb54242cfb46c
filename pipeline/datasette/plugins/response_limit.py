"""No answer larger than `max_mb` (32 MB), and large JSON encoded off the event loop.  Reads no data.

One ?sql= returning thirty 9 MB blobs made a 1.5 GB JSON response (a blob of zero bytes
is valid UTF-8, and each zero byte is written as the six characters \\u0000): the server
grew to 1.8 GB and every other page waited seconds.  Sizes are bounded in three places:

- at the source: a visitor's query returns at most 16 MB of rows, counted as the JSON or
  the HTML table Datasette would make of them (query_isolation.py, sql_sandbox.py), so the
  server never builds a page out of more;
- here: any answer of one piece (JSON, HTML, a CSV page) larger than `max_mb` is replaced
  by 400 with a message in both languages.  32 MB: twice the result bound, room for what
  a page adds around its rows; no page of safety.db comes near it (the largest, 1,000
  penalty rows as HTML, is 2.9 MB);
- a streamed CSV (?_stream=on, every page of a table in turn) stops at Datasette's
  max_csv_mb (100 MB) with a note in both languages as its last line; whole tables come
  from the downloads on the site.

Encoding JSON holds the GIL: a 16 MB page took 20 to 90 ms of the event loop, during
which no other request was answered.  A page with more than OFF_LOOP_BYTES of values is
encoded in a worker thread, one row at a time, so the event loop runs between rows.  The
text is the same as Datasette's (datasette.renderer.json_renderer does the work).

Configure in metadata: plugins -> nanchang-response-limit -> {"max_mb": 32}.
"""

from __future__ import annotations

import asyncio
import json
import threading

import datasette.renderer
import datasette.views.base
from datasette import hookimpl
from datasette.renderer import json_renderer
from datasette.utils import LimitedWriter, WriteLimitExceeded

DEFAULTS = {"max_mb": 32}
OFF_LOOP_BYTES = 256 * 1024  # about 1 ms of encoding


def _message(limit_mb: str) -> tuple[str, str]:
    return ("响应过大 / Response too large",
            f"这个响应超过 {limit_mb} MB 的上限，没有发送。请减少行数（_size 或 LIMIT）或列，或下载完整数据文件。"
            f" / This response is larger than the {limit_mb} MB limit and was not sent: ask for fewer rows"
            " (_size or LIMIT) or columns, or use the data downloads.")


def _header(headers, name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


async def _refuse(send, start: dict, limit_mb: str) -> None:
    title, message = _message(limit_mb)
    headers = [(k, v) for k, v in start.get("headers") or [] if k.lower().startswith(b"access-control-")]
    if _header(start.get("headers") or [], b"content-type").startswith(b"application/json"):
        body = json.dumps({"ok": False, "error": message, "status": 400, "title": title}, ensure_ascii=False)
        content_type = b"application/json; charset=utf-8"
    else:
        body = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
                f"<body><h1>{title}</h1><p>{message}</p></body></html>")
        content_type = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 400, "headers": [*headers, (b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": body.encode("utf-8")})


# ---------------------------------------------------------------------------
# JSON off the event loop
# ---------------------------------------------------------------------------

_in_worker = threading.local()


def _dumps_in_pieces(obj, cls) -> str:
    """json.dumps(obj, cls=cls), one list item or dict value at a time: the same text, with
    points between them where the thread gives the GIL back to the event loop."""
    encoder = cls()

    def pieces(value):
        if isinstance(value, list) and len(value) > 1:
            yield "["
            for i, item in enumerate(value):
                yield ", " if i else ""
                yield encoder.encode(item)
            yield "]"
        elif isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            yield "{"
            for i, (k, v) in enumerate(value.items()):
                yield ", " if i else ""
                yield encoder.encode(k)
                yield ": "
                yield from pieces(v)
            yield "}"
        else:
            yield encoder.encode(value)

    return "".join(pieces(obj))


class _RendererJSON:
    """The `json` module as datasette.renderer sees it: unchanged, except in the worker thread."""

    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(obj, **kwargs):
        if getattr(_in_worker, "active", False) and set(kwargs) <= {"cls"}:
            return _dumps_in_pieces(obj, kwargs.get("cls") or json.JSONEncoder)
        return json.dumps(obj, **kwargs)


def _value_bytes(data) -> int:
    """About how much text the rows hold: from at most 16 of them, evenly spaced (measuring
    every value of a page took as long as encoding it)."""
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        return 0
    names = sum(len(c) + 4 for c in data.get("columns") or ())  # _shape=objects
    step = max(1, len(rows) // 16)
    sample = rows[::step]
    total = 0
    for row in sample:
        total += names
        for value in row.values() if isinstance(row, dict) else row:
            total += len(value) if isinstance(value, (str, bytes)) else 8
    return total * len(rows) // len(sample)


def _render_in_worker(args, data, view_name):
    _in_worker.active = True
    try:
        return json_renderer(args, data, view_name)
    finally:
        _in_worker.active = False


async def render_json(args, data, view_name):
    if _value_bytes(data) <= OFF_LOOP_BYTES:
        return json_renderer(args, data, view_name)
    return await asyncio.to_thread(_render_in_worker, args, data, view_name)


class _BilingualLimitedWriter(LimitedWriter):
    async def write(self, bytes):
        try:
            await super().write(bytes)
        except WriteLimitExceeded:
            mb = self.limit_bytes // (1024 * 1024)
            raise WriteLimitExceeded(
                f"CSV 超过 {mb} MB 的上限（max_csv_mb），到此截断；完整数据请下载。"
                f" / CSV cut here: larger than the {mb} MB limit (max_csv_mb); download the full data instead.") from None


datasette.renderer.json = _RendererJSON
datasette.views.base.LimitedWriter = _BilingualLimitedWriter


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "json", "render": render_json, "can_render": lambda: True}


@hookimpl
def asgi_wrapper(datasette):
    config = {**DEFAULTS, **(datasette.plugin_config("nanchang-response-limit") or {})}
    limit_mb = float(config["max_mb"])
    limit = int(limit_mb * 1024 * 1024)

    def wrap(app):
        async def limited(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            held, refused = None, False

            async def guarded(message):
                # The start is held until the first piece of the body: an answer of one piece
                # (Datasette's Response) can still become a 400.  A stream (CSV) is passed on.
                nonlocal held, refused
                if refused:
                    return
                if message["type"] == "http.response.start":
                    held = message
                    return
                if held is not None and message["type"] == "http.response.body":
                    start, held = held, None
                    if not message.get("more_body", False) and len(message.get("body", b"")) > limit:
                        refused = True
                        await _refuse(send, start, f"{limit_mb:g}")
                        return
                    await send(start)
                await send(message)

            await app(scope, receive, guarded)
            if held is not None:  # a start without a body: pass it on as it was
                await send(held)

        return limited

    return wrap
