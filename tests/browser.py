"""Drive Debian's headless Chromium over the DevTools protocol, for tests that look at pages.

    with chromium_page(url, width=1280, height=900) as page:
        page.evaluate("document.title")
        page.screenshot(tmp_path / "page.png")

or, to open several pages in one browser::

    with chromium() as browser:
        page = browser.new_page(width=390, height=844, mobile=True)
        page.goto(url)

:func:`require_chromium` skips the test when ``/usr/bin/chromium`` is missing, or fails
it when ``SUPPORT_HERO_REQUIRE_BROWSER=1`` (CI installs the browser and sets it).
:func:`serve_html` serves pages from memory on a loopback port.

Only the ``websocket-client`` package is used: Chromium runs with a throwaway profile
and with its background networking off (this machine has no network); its whole
process group is killed and the profile removed on exit.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("SUPPORT_HERO_CHROMIUM", "/usr/bin/chromium")
REQUIRE_ENV = "SUPPORT_HERO_REQUIRE_BROWSER"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--no-proxy-server",
    "--mute-audio",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
START_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0


class BrowserError(RuntimeError):
    pass


def require_chromium() -> str:
    """The Chromium executable; otherwise skip the test (or fail it, when the environment requires the browser)."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"Debian's chromium is not installed ({CHROMIUM} missing): apt-get install chromium"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)")
    pytest.skip(reason)


class _Connection:
    """One DevTools websocket (the browser's); pages are flat sessions on it."""

    def __init__(self, ws_url: str) -> None:
        import websocket  # websocket-client

        # No Origin header: Chromium refuses websocket origins it was not told to allow.
        self._ws = websocket.create_connection(ws_url, timeout=CALL_TIMEOUT, suppress_origin=True,
                                               enable_multithread=False)
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._ws.close()

    def _receive(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError("timed out waiting for Chromium")
        self._ws.settimeout(remaining)
        message: dict[str, Any] = json.loads(self._ws.recv())
        return message

    def call(self, method: str, params: Mapping[str, Any] | None = None, session: str | None = None,
             timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        call_id = next(self._ids)
        message: dict[str, Any] = {"id": call_id, "method": method, "params": dict(params or {})}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == call_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, session: str | None, timeout: float = CALL_TIMEOUT,
                   where: Callable[[dict[str, Any]], bool] = lambda params: True) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session and where(event["params"]):
                    self.events.remove(event)
                    params: dict[str, Any] = event["params"]
                    return params
            seen = len(self.events)
            self.events.append(self._receive(deadline))


class Page:
    """One tab: navigate, evaluate JavaScript, take screenshots, list the requests it made."""

    def __init__(self, connection: _Connection, target_id: str, session: str) -> None:
        self._conn, self.target_id, self.session = connection, target_id, session

    def call(self, method: str, params: Mapping[str, Any] | None = None,
             timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        return self._conn.call(method, params, self.session, timeout)

    def set_viewport(self, width: int, height: int, *, mobile: bool = False, scale: float = 1) -> None:
        """The layout viewport; ``mobile`` makes the page's viewport meta tag count, as on a phone."""
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})

    def goto(self, url: str, timeout: float = CALL_TIMEOUT) -> None:
        """Load ``url`` and wait for its load event."""
        self._conn.events = [e for e in self._conn.events if e.get("sessionId") != self.session]
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"could not load {url}: {result['errorText']}")
        self._conn.wait_event("Page.loadEventFired", self.session, timeout)

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for since the last :meth:`goto` (the Network domain is on)."""
        return [e["params"]["request"]["url"] for e in self._conn.events
                if e.get("sessionId") == self.session and e.get("method") == "Network.requestWillBeSent"]

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises are awaited); a thrown error raises BrowserError."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True, "userGesture": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error: {text}")
        return result.get("result", {}).get("value")

    def screenshot(self, path: str | Path, *, full_page: bool = False) -> Path:
        """A PNG of the viewport (or of the whole page) written to ``path``."""
        self.call("Page.bringToFront")  # a background tab paints no frames: the capture would wait forever
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        target = Path(path)
        target.write_bytes(base64.b64decode(data))
        return target


class Browser:
    """A running headless Chromium with a throwaway profile.  Use :func:`chromium`."""

    def __init__(self, executable: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="support-hero-chromium-")
        self._log = open(os.path.join(self._profile, "chromium.log"), "wb")  # closed in close()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: _Connection | None = None
        try:
            # Chromium's crash handler keeps its database under XDG_CONFIG_HOME, not the profile: keep it in there too.
            # The browser only renders what the server sent: under `make test-any-hour` it keeps the real
            # time (libfaketime preloaded into Chromium's many processes is not something to test through).
            env = {**{k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")},
                   "XDG_CONFIG_HOME": os.path.join(self._profile, "xdg-config"),
                   "XDG_CACHE_HOME": os.path.join(self._profile, "xdg-cache")}
            self._proc = subprocess.Popen(
                [executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True,  # its own process group: killed whole in close()
            )
            self._conn = _Connection(self._ws_url())
        except BaseException:
            self.close()
            raise

    def _ws_url(self) -> str:
        """The browser's websocket address, which Chromium writes to DevToolsActivePort once it listens."""
        assert self._proc is not None
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrowserError(f"Chromium exited with {self._proc.returncode}:\n{self._log_tail()}")
            with contextlib.suppress(FileNotFoundError):
                lines = port_file.read_text().splitlines()
                if len(lines) >= 2:
                    return f"ws://127.0.0.1:{int(lines[0])}{lines[1]}"
            time.sleep(0.05)
        raise BrowserError(f"Chromium did not open its DevTools port in {START_TIMEOUT:.0f}s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            self._log.flush()
            return Path(self._log.name).read_text(errors="replace")[-3000:]
        return ""

    def new_page(self, width: int = 1280, height: int = 900, *, mobile: bool = False) -> Page:
        assert self._conn is not None
        target_id = self._conn.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._conn.call("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
        page = Page(self._conn, target_id, session)
        page.call("Page.enable")
        page.call("Network.enable")
        page.call("Runtime.enable")
        page.set_viewport(width, height, mobile=mobile)
        return page

    def _kill_leftovers(self) -> None:
        """Kill, by pid, any process of this browser outside its group (the crash handler starts its own session):
        they all name the throwaway profile on their command line."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if self._profile.encode() in (entry / "cmdline").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)

    def close(self) -> None:
        """Close the browser, kill whatever of its process group is left, remove the profile."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.call("Browser.close", timeout=5)
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=10)
            # Helpers (zygote, renderers) share the group: make sure none outlives the browser.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc = None
        self._kill_leftovers()
        self._log.close()
        for _ in range(20):  # a dying helper may still be writing into the profile
            shutil.rmtree(self._profile, ignore_errors=True)
            if not os.path.exists(self._profile):
                break
            time.sleep(0.1)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the block (skips or fails the test first when there is none)."""
    browser = Browser(require_chromium())
    try:
        yield browser
    finally:
        browser.close()


@contextlib.contextmanager
def chromium_page(url: str, *, width: int = 1280, height: int = 900, mobile: bool = False) -> Iterator[Page]:
    """A page with ``url`` loaded, in a browser of its own."""
    with chromium() as browser:
        page = browser.new_page(width, height, mobile=mobile)
        page.goto(url)
        yield page


@contextlib.contextmanager
def serve_html(pages: Mapping[str, str | bytes]) -> Iterator[str]:
    """Serve ``{path: html}`` from memory on a loopback port; yields the base URL (no trailing slash)."""
    bodies = {path: body.encode() if isinstance(body, str) else body for path, body in pages.items()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path.split("?", 1)[0])
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="serve-html", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
