"""A reverse proxy in front of the test S3 server that can stall one answer: the request reaches the server (the write
lands), and the answer to it comes back only after a delay, or never. What a store that stalls past the client's
timeout looks like to varlib; the proxy forwards the Host header unchanged, so the client's signatures hold.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class StallProxy:
    """`stall(match, seconds)` delays the answers to requests `match(method, path)` accepts; `down()` makes every
    later request fail without reaching the server (the store unreachable after the stall)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.rules: list[tuple[Callable[[str, str], bool], float]] = []
        self.stalled: list[tuple[str, str, int]] = []  # (method, path, status) of the answers held back
        self.is_down = False
        self.drops: list[Callable[[str, str], bool]] = []
        self.dropped: list[str] = []  # methods of the requests dropped unanswered, without reaching the server
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _forward(self) -> None:
                if proxy.is_down:
                    self.close_connection = True
                    self.connection.close()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                drop = next((match for match in proxy.drops if match(self.command, self.path)), None)
                if drop is not None:
                    proxy.drops.remove(drop)
                    proxy.dropped.append(self.command)
                    self.close_connection = True
                    self.connection.close()
                    return
                upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                delay = next((seconds for match, seconds in proxy.rules if match(self.command, self.path)), 0.0)
                if delay:
                    proxy.stalled.append((self.command, self.path, answer.status))
                    time.sleep(delay)
                    if proxy.is_down:
                        self.connection.close()
                        return
                try:
                    self.send_response(answer.status)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                    return
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting, as it should
                    self.close_connection = True
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stall(self, match: Callable[[str, str], bool], seconds: float) -> None:
        self.rules.append((match, seconds))

    def drop_once(self, match: Callable[[str, str], bool]) -> None:
        """The next request `match` accepts is read whole, never forwarded, and its connection closed unanswered."""
        self.drops.append(match)

    def down(self) -> None:
        self.is_down = True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
