"""A local HTTP server on 127.0.0.1 that answers like Slack, for the alert tests.

It serves incoming webhooks (``POST /services/...`` -> 200 ``ok``) and the Web API
(``POST /api/chat.postMessage`` -> ``{"ok": true, ...}``), records every request, and can be scripted
to answer the next requests with a 500, a 429 with ``Retry-After``, or a slow answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict
    outcome: str  # ok | 500 | 429 | slow


class FakeSlack:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._script: deque[tuple[str, float]] = deque()
        self._lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer_next(self, *outcomes: str | tuple[str, float]) -> None:
        """Script the next answers: "500", ("429", retry_after_seconds), ("slow", seconds), "ok"."""
        with self._lock:
            for outcome in outcomes:
                self._script.append(outcome if isinstance(outcome, tuple) else (outcome, 0.0))

    def _next(self) -> tuple[str, float]:
        with self._lock:
            return self._script.popleft() if self._script else ("ok", 0.0)

    @property
    def delivered(self) -> list[Request]:
        """Requests Slack accepted: what would show in the channel."""
        return [r for r in self.requests if r.outcome == "ok"]

    def delivered_texts(self) -> list[str]:
        return [r.body.get("text", "") for r in self.delivered]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                content_type = self.headers.get("Content-Type", "")
                if "json" in content_type:
                    body = json.loads(raw or "{}")
                else:  # slack_sdk's WebClient sends form fields
                    from urllib.parse import parse_qsl

                    body = dict(parse_qsl(raw))
                    if "blocks" in body:
                        body["blocks"] = json.loads(body["blocks"])
                outcome, value = fake._next()
                api = self.path.startswith("/api/")
                if outcome == "slow":
                    # Longer than the client's timeout: the client gives up, and this answer is lost.
                    time.sleep(value)
                    with fake._lock:
                        fake.requests.append(Request(self.path, dict(self.headers), body, "slow"))
                    self._reply(503, {"ok": False, "error": "timeout"} if api else "timeout")
                    return
                with fake._lock:
                    fake.requests.append(Request(self.path, dict(self.headers), body, outcome))
                if outcome == "500":
                    # Like some proxies, the error page repeats the path it was asked for (the secret).
                    self._reply(
                        500, {"ok": False, "error": "internal_error"} if api else f"error at {self.path}"
                    )
                elif outcome == "429":
                    self._reply(
                        429,
                        {"ok": False, "error": "ratelimited"} if api else "rate_limited",
                        {"Retry-After": str(int(value))},
                    )
                elif api:
                    self._reply(200, {"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}"})
                else:
                    self._reply(200, "ok")

            def _reply(self, status: int, payload, headers: dict | None = None) -> None:
                data = (json.dumps(payload) if isinstance(payload, dict) else payload).encode()
                try:
                    self.send_response(status)
                    self.send_header(
                        "Content-Type", "application/json" if isinstance(payload, dict) else "text/plain"
                    )
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and went away

        return Handler
