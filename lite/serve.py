"""Serve a built site on this computer only, to try it: python3 lite/serve.py [folder] [--port 8000].

Any static host serves the site as it is; this one exists because Python's own http.server (3.11) sends `.mjs`
files with a type browsers refuse to run as JavaScript modules, and Pyodide is one. It also serves as common static
hosts do (GitHub Pages among them): files may be kept by the browser for ten minutes (`Cache-Control: max-age=600`),
so a page opened again takes its ~200 files from the browser's cache instead of asking for each again, and one
connection carries many requests (HTTP/1.1 keep-alive). A site rebuilt while a browser has it open shows after
those ten minutes, or at once after a hard reload.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
MAX_AGE_S = 600
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json"}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}
    protocol_version = "HTTP/1.1"  # keep-alive: every response says its length, so a connection carries many

    def end_headers(self) -> None:
        self.send_header("Cache-Control", f"max-age={MAX_AGE_S}")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet: the browser test records requests itself
        pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet when a browser drops a kept-alive connection (it does so as it closes); loud on anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serving(folder: Path, port: int = 0) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 in a thread; yields the base URL."""
    server = Server(("127.0.0.1", port), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "build" / "lite")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    with serving(args.folder, args.port) as url:
        print(f"open {url}/lab/index.html?path=00-start-here.ipynb  (Ctrl+C stops)", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
