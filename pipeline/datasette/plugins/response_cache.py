"""Keep recent answers in memory: the databases are immutable, so a URL's answer never changes.

A table page, row page or saved query over an immutable database returns the same bytes
for the same URL for the life of the process.  Repeated requests (a link shared in a
newsroom, the site's links, a dashboard polling JSON) are answered from memory instead
of running the count, the page query and Datasette's page assembly again.

Only what is certainly the same for every visitor is kept:
- GET requests under an immutable database's path, without Cookie or Authorization
- not arbitrary SQL (?sql=: it may call random() or date('now')), not ?_trace=, not
  streamed CSV (?_stream=)
- status 200 answers that set no cookie and fit in max_entry_kb
The key is scheme + host + path + query string (answers contain absolute URLs).
Least recently used answers go first once max_mb is reached.  Configure in metadata:
plugins -> nanchang-response-cache -> {"max_mb": 64, "max_entry_kb": 1024}; max_mb 0
turns it off.  Every answer carries `x-response-cache: hit | miss | bypass`.
Writes nothing but this process's memory.
"""

from collections import OrderedDict
from urllib.parse import parse_qs

from datasette import hookimpl

DEFAULTS = {"max_mb": 64, "max_entry_kb": 1024}
SKIP_PARAMS = ("sql", "_trace", "_stream")


class Cache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict = OrderedDict()

    def get(self, key):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key, start: dict, body: bytes) -> None:
        size = len(body) + sum(len(k) + len(v) for k, v in start["headers"]) + len(key[2]) + len(key[3]) + 200
        if size > self.max_bytes:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= old[2]
        self.entries[key] = (start, body, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, _, dropped) = self.entries.popitem(last=False)
            self.bytes -= dropped


def _header(headers, name: bytes) -> bytes | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _with_cache_header(start: dict, value: bytes) -> dict:
    return {**start, "headers": [*start["headers"], (b"x-response-cache", value)]}


@hookimpl
def asgi_wrapper(datasette):
    config = {**DEFAULTS, **(datasette.plugin_config("nanchang-response-cache") or {})}
    max_bytes = int(config["max_mb"] * 1024 * 1024)
    max_entry = int(config["max_entry_kb"] * 1024)

    def wrap(app):
        if max_bytes <= 0:
            return app
        cache = Cache(max_bytes)

        def cacheable(scope) -> bool:
            if scope["type"] != "http" or scope["method"] != "GET":
                return False
            headers = scope.get("headers") or []
            if _header(headers, b"cookie") is not None or _header(headers, b"authorization") is not None:
                return False
            immutable = [name for name, db in datasette.databases.items() if not db.is_mutable]
            path = scope["path"]
            if not any(path == f"/{name}" or path.startswith((f"/{name}/", f"/{name}.")) for name in immutable):
                return False
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            return not any(p in query for p in SKIP_PARAMS)

        async def wrapped(scope, receive, send):
            if not cacheable(scope):
                return await app(scope, receive, send)
            key = (scope.get("scheme", "http"), _header(scope.get("headers") or [], b"host") or b"",
                   scope["path"], scope.get("query_string", b""))
            hit = cache.get(key)
            if hit is not None:
                start, body, _ = hit
                await send(_with_cache_header(start, b"hit"))
                await send({"type": "http.response.body", "body": body})
                return
            state = {"start": None, "chunks": [], "size": 0, "keep": True}

            async def capture(message):
                if message["type"] == "http.response.start":
                    state["start"] = message
                    state["keep"] = (message["status"] == 200
                                     and _header(message.get("headers") or [], b"set-cookie") is None)
                    message = _with_cache_header(message, b"miss" if state["keep"] else b"bypass")
                elif message["type"] == "http.response.body" and state["keep"]:
                    chunk = message.get("body", b"")
                    state["size"] += len(chunk)
                    if state["size"] > max_entry:
                        state["keep"] = False
                        state["chunks"] = []
                    else:
                        state["chunks"].append(chunk)
                    if not message.get("more_body", False) and state["keep"]:
                        cache.put(key, state["start"], b"".join(state["chunks"]))
                await send(message)

            await app(scope, receive, capture)

        return wrapped

    return wrap
