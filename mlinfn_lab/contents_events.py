"""Contents events for the bridge: ``GET {base_url}mlinfn/bridge/events``.

The bridge's collaborative rooms must know when a file they hold changes through Jupyter (a save
from a non-collaborative editor, an upload, a rename, a deletion): jupyter_server announces each
on its event bus (schema ``https://events.jupyter.org/jupyter_server/contents_service/v1``,
fields ``action`` and ``path``, ``source_path`` for rename and copy). This module listens there
and streams the events to the bridge as NDJSON, one object per line, as they happen::

    {"action": "ready"}                                  first line of every connection
    {"action": "save", "path": "dir/a.ipynb"}            also create, upload, delete
    {"action": "rename", "path": "old.ipynb", "newPath": "new.ipynb"}   also copy
    {"action": "heartbeat"}                              after 15 s without anything else

Paths are API paths (relative to the root directory, ``/``-separated). ``get`` events (every
open and directory listing) are not forwarded. Nothing is replayed: a bridge that reconnects
re-checks its open files after ``ready``. The request is authenticated like
``mlinfn/bridge/kernels`` (``X-Mlinfn-Bridge-Auth``, see :mod:`mlinfn_lab.tickets`).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any, Deque, Dict, Optional, Set

from tornado import web
from tornado.iostream import StreamClosedError

from .context import BridgeContext
from .tickets import BRIDGE_AUTH_HEADER, check_bridge_auth

try:  # jupyter_server >= 2.13
    from jupyter_server.auth.decorator import allow_unauthenticated
except ImportError:  # pragma: no cover - older jupyter_server has no such check

    def allow_unauthenticated(method):  # type: ignore[no-redef]
        """No-op stand-in for jupyter_server's marker decorator."""
        return method


CONTENTS_SCHEMA_ID = "https://events.jupyter.org/jupyter_server/contents_service/v1"
FORWARDED_ACTIONS = frozenset({"save", "create", "upload", "delete", "rename", "copy"})
HEARTBEAT_SECONDS = 15.0
# A bridge that cannot keep up is disconnected (it reconnects and re-checks its files) rather
# than buffered without limit.
MAX_PENDING = 10000
MAX_STREAMS = 8


def bridge_event(data: Dict[str, Any]) -> Optional[Dict[str, str]]:
    """The NDJSON object for one contents event, or ``None`` when it is not forwarded."""
    action = data.get("action")
    path = data.get("path")
    if action not in FORWARDED_ACTIONS or not isinstance(path, str):
        return None
    path = path.strip("/")
    source = data.get("source_path")
    if action in ("rename", "copy") and isinstance(source, str):
        return {"action": action, "path": source.strip("/"), "newPath": path}
    return {"action": action, "path": path}


class _Subscription:
    """One connected stream's pending events."""

    def __init__(self) -> None:
        self.pending: Deque[Dict[str, str]] = deque()
        self.overflowed = False
        self.closed = False
        self.wakeup = asyncio.Event()

    def push(self, event: Dict[str, str]) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.overflowed = True
        else:
            self.pending.append(event)
        self.wakeup.set()

    def close(self) -> None:
        self.closed = True
        self.wakeup.set()


class ContentsEventHub:
    """Fans the server's contents events out to every connected bridge stream."""

    def __init__(self) -> None:
        self._subscriptions: Set[_Subscription] = set()

    @property
    def subscribers(self) -> int:
        """How many streams are connected."""
        return len(self._subscriptions)

    def subscribe(self) -> _Subscription:
        sub = _Subscription()
        self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: _Subscription) -> None:
        self._subscriptions.discard(sub)

    def publish(self, data: Dict[str, Any]) -> None:
        """Queue one contents event (the event bus's data) for every stream."""
        event = bridge_event(data)
        if event is None:
            return
        for sub in list(self._subscriptions):
            sub.push(event)

    async def listener(self, logger: Any, schema_id: str, data: Dict[str, Any]) -> None:
        """The jupyter_events listener (``EventLogger.add_listener``)."""
        self.publish(data)

    def register(self, serverapp: Any) -> None:
        """Listen to the contents service's events on the server's event bus."""
        serverapp.event_logger.add_listener(schema_id=CONTENTS_SCHEMA_ID, listener=self.listener)


class BridgeEventsHandler(web.RequestHandler):
    """``GET mlinfn/bridge/events``: the contents events stream, for the bridge only.

    A plain tornado handler, authenticated by the bridge's HMAC header like the kernel list;
    nothing here mutates, so XSRF does not apply. The response is a long-lived chunked NDJSON
    stream, never cached.
    """

    def initialize(self, context: BridgeContext, hub: ContentsEventHub) -> None:
        """Receive the per-launch context and the event hub."""
        self.context = context
        self.hub = hub
        self._subscription: Optional[_Subscription] = None

    def set_default_headers(self) -> None:
        """Never cache; JSON errors."""
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as ``{"error", "reason"}`` like the rest of the protocol."""
        reason = self._reason
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], web.HTTPError) and exc_info[1].log_message:
            reason = exc_info[1].log_message
        code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed", 429: "too_many"}
        self.finish(json.dumps({"error": code.get(status_code, "error"), "reason": reason}))

    async def _send(self, event: Dict[str, str]) -> None:
        self.write(json.dumps(event, ensure_ascii=False) + "\n")
        await self.flush()

    @allow_unauthenticated
    async def get(self) -> None:
        """Stream events when the bridge's HMAC header verifies, else 403."""
        if not check_bridge_auth(self.request.headers.get(BRIDGE_AUTH_HEADER), self.context.secret):
            raise web.HTTPError(403, "missing, forged or stale X-Mlinfn-Bridge-Auth")
        if self.hub.subscribers >= MAX_STREAMS:
            raise web.HTTPError(429, "too many event streams are open")
        sub = self._subscription = self.hub.subscribe()
        self.set_header("Content-Type", "application/x-ndjson; charset=utf-8")
        self.set_header("X-Accel-Buffering", "no")
        try:
            await self._send({"action": "ready"})
            while not sub.closed and not sub.overflowed:
                if not sub.pending:
                    sub.wakeup.clear()
                    try:
                        await asyncio.wait_for(sub.wakeup.wait(), HEARTBEAT_SECONDS)
                    except asyncio.TimeoutError:
                        await self._send({"action": "heartbeat"})
                        continue
                while sub.pending and not sub.closed and not sub.overflowed:
                    await self._send(sub.pending.popleft())
        except StreamClosedError:
            return
        finally:
            self.hub.unsubscribe(sub)
        if not sub.closed:
            # Overflowed: end the response; the bridge reconnects and re-checks its files.
            self.finish()

    def on_connection_close(self) -> None:
        """The bridge went away: stop waiting for events."""
        if self._subscription is not None:
            self._subscription.close()
