"""The contents events stream for the bridge, in a real Jupyter server (pytest-jupyter)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Dict, List, Optional

import pytest
import tornado.httpclient

from mlinfn_lab import contents_events
from mlinfn_lab.contents_events import bridge_event
from mlinfn_lab.context import get_context
from mlinfn_lab.tickets import bridge_auth_header


class EventStream:
    """A raw HTTP/1.1 client for the chunked NDJSON stream (so the test can hang up at will)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.status = 0
        self.headers: Dict[str, str] = {}
        self._buffer = b""

    @classmethod
    async def open(cls, port: int, path: str, auth: Optional[str]) -> "EventStream":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: application/x-ndjson"]
        if auth is not None:
            lines.append(f"X-Mlinfn-Bridge-Auth: {auth}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
        await writer.drain()
        stream = cls(reader, writer)
        status_line = await asyncio.wait_for(reader.readline(), 10)
        stream.status = int(status_line.split()[1])
        while True:
            line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            stream.headers[name.strip().lower()] = value.strip()
        return stream

    async def _chunk(self) -> bytes:
        size = int((await self.reader.readline()).strip(), 16)
        data = await self.reader.readexactly(size + 2)
        return data[:-2]

    async def next_event(self, timeout: float = 10.0) -> Dict[str, Any]:
        """The next NDJSON object."""

        async def read() -> Dict[str, Any]:
            while b"\n" not in self._buffer:
                chunk = await self._chunk()
                if not chunk:
                    raise EOFError("stream ended")
                self._buffer += chunk
            line, _, self._buffer = self._buffer.partition(b"\n")
            return json.loads(line)

        return await asyncio.wait_for(read(), timeout)

    async def events_until(self, predicate, timeout: float = 10.0) -> List[Dict[str, Any]]:
        """Events up to and including the first one that satisfies ``predicate``."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            event = await self.next_event(max(0.1, deadline - time.monotonic()))
            seen.append(event)
            if predicate(event):
                return seen

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def _auth() -> str:
    context = get_context()
    assert context is not None
    return bridge_auth_header(context.secret)


@pytest.fixture
def stream(jp_serverapp, jp_fetch, jp_http_port, jp_base_url):
    """Open event streams; each is hung up at the end of the test (jp_fetch: the server listens)."""
    opened: List[EventStream] = []

    async def connect(auth: Optional[str] = "valid") -> EventStream:
        header = _auth() if auth == "valid" else auth
        s = await EventStream.open(jp_http_port, f"{jp_base_url}mlinfn/bridge/events", header)
        opened.append(s)
        return s

    yield connect
    for s in opened:
        s.writer.close()


async def _put_text(jp_fetch, path: str, text: str) -> None:
    body = json.dumps({"type": "file", "format": "text", "content": text})
    await jp_fetch("api", "contents", path, method="PUT", body=body)


async def test_save_and_rename_appear_on_the_stream(jp_fetch, stream) -> None:
    events = await stream()
    assert events.status == 200
    assert events.headers["content-type"].startswith("application/x-ndjson")
    assert events.headers["cache-control"] == "no-store"
    assert events.headers.get("transfer-encoding") == "chunked"
    assert await events.next_event() == {"action": "ready"}

    await jp_fetch("api", "contents", "work", method="PUT", body=json.dumps({"type": "directory"}))
    await _put_text(jp_fetch, "work/notes.txt", "hello")
    seen = await events.events_until(lambda e: e.get("path") == "work/notes.txt")
    assert seen[-1] == {"action": "save", "path": "work/notes.txt"}

    await jp_fetch(
        "api", "contents", "work/notes.txt", method="PATCH",
        body=json.dumps({"path": "work/renamed.txt"}),
    )
    seen = await events.events_until(lambda e: e["action"] == "rename")
    assert seen[-1] == {"action": "rename", "path": "work/notes.txt", "newPath": "work/renamed.txt"}

    await jp_fetch("api", "contents", "work/renamed.txt", method="DELETE")
    seen = await events.events_until(lambda e: e["action"] == "delete")
    assert seen[-1] == {"action": "delete", "path": "work/renamed.txt"}

    # Opening a file (a "get" event) is not forwarded.
    await _put_text(jp_fetch, "other.txt", "x")
    await jp_fetch("api", "contents", "other.txt")
    await _put_text(jp_fetch, "marker.txt", "x")
    seen = await events.events_until(lambda e: e.get("path") == "marker.txt")
    assert all(e["action"] != "get" for e in seen)


async def test_every_stream_gets_every_event(jp_fetch, stream) -> None:
    first, second = await stream(), await stream()
    assert await first.next_event() == {"action": "ready"}
    assert await second.next_event() == {"action": "ready"}
    await _put_text(jp_fetch, "shared.txt", "x")
    for s in (first, second):
        seen = await s.events_until(lambda e: e.get("path") == "shared.txt")
        assert seen[-1] == {"action": "save", "path": "shared.txt"}


async def test_heartbeat_when_nothing_happens(stream, monkeypatch) -> None:
    monkeypatch.setattr(contents_events, "HEARTBEAT_SECONDS", 0.2)
    events = await stream()
    assert await events.next_event() == {"action": "ready"}
    assert await events.next_event(timeout=5) == {"action": "heartbeat"}
    assert await events.next_event(timeout=5) == {"action": "heartbeat"}


def _hub(serverapp):
    """The extension's hub, found through its listener on the server's event bus."""
    listeners = serverapp.event_logger._modified_listeners[contents_events.CONTENTS_SCHEMA_ID]
    hubs = [getattr(listener, "__self__", None) for listener in listeners]
    [hub] = [h for h in hubs if isinstance(h, contents_events.ContentsEventHub)]
    return hub


async def test_hanging_up_unsubscribes(jp_fetch, jp_serverapp, stream) -> None:
    hub = _hub(jp_serverapp)
    events = await stream()
    assert await events.next_event() == {"action": "ready"}
    assert hub.subscribers == 1
    await events.close()
    for _ in range(100):
        if hub.subscribers == 0:
            break
        await asyncio.sleep(0.02)
    assert hub.subscribers == 0
    # Saves after the hang-up break nothing; a new stream gets the next ones.
    await _put_text(jp_fetch, "after.txt", "x")
    fresh = await stream()
    assert await fresh.next_event() == {"action": "ready"}
    await _put_text(jp_fetch, "after2.txt", "y")
    seen = await fresh.events_until(lambda e: e.get("path") == "after2.txt")
    assert seen[-1] == {"action": "save", "path": "after2.txt"}


async def test_a_user_token_is_not_enough(jp_fetch) -> None:
    """Jupyter's own credentials (jp_fetch sends the token) do not open the stream."""
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await jp_fetch("mlinfn", "bridge", "events")
    assert excinfo.value.code == 403


def test_bridge_event_mapping() -> None:
    assert bridge_event({"action": "save", "path": "/a/b.ipynb"}) == {
        "action": "save", "path": "a/b.ipynb"
    }
    assert bridge_event({"action": "rename", "path": "new.txt", "source_path": "old.txt"}) == {
        "action": "rename", "path": "old.txt", "newPath": "new.txt"
    }
    assert bridge_event({"action": "copy", "path": "b-Copy1.txt", "source_path": "b.txt"}) == {
        "action": "copy", "path": "b.txt", "newPath": "b-Copy1.txt"
    }
    assert bridge_event({"action": "get", "path": "a"}) is None
    assert bridge_event({"action": "save"}) is None
