"""Stage S3 objects into the bridge's local cache from a kernel.

    from mlinfn_lab.data import stage
    path = stage("rgw", "bucket", "data/events.root")   # a verified local copy

The kernel runs as the same user as the bridge but has no Jupyter token, so the bridge listens
on a second, local-only unix socket for kernels and writes ``data-api.json`` (mode 0600) in its
state directory with the socket path and a random token (docs/data.md). The staging is the
panel's: same cache, same verification, one download when the panel and kernels ask for the
same object, and its progress shows in the Data panel and the status bar too.

Only the standard library is used, so this imports in any kernel.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from .context import default_state_dir

__all__ = ["stage", "StageError", "api_file"]

API_FILE = "data-api.json"


class StageError(RuntimeError):
    """A staging that could not be done; the message is the bridge's one-sentence reason."""


def api_file() -> Path:
    """Where the bridge's kernel-API file is.

    ``$MLINFN_DATA_API`` when set; else the first ``data-api.json`` that exists in: the
    ``stateDir`` of the bridge config named by ``$MLINFN_BRIDGE_CONFIG`` (a state dir set only
    in the bridge config), the state dir of ``$MLINFN_STATE_DIR`` or the default one (where the
    bridge also leaves a copy when its own state dir is elsewhere). Without any, the last.
    """
    explicit = os.environ.get("MLINFN_DATA_API")
    if explicit:
        return Path(explicit).expanduser()
    candidates = [Path(d) / API_FILE for d in _state_dirs()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[-1]


def _state_dirs() -> list:
    """The bridge config's ``stateDir`` (when a config is named and sets one), then the default."""
    dirs = []
    config = os.environ.get("MLINFN_BRIDGE_CONFIG")
    if config:
        try:
            state_dir = json.loads(Path(config).expanduser().read_text()).get("stateDir")
        except (OSError, ValueError, AttributeError):
            state_dir = None
        if isinstance(state_dir, str) and state_dir:
            # A relative one depends on the bridge's working directory: only absolute ones.
            if Path(state_dir).expanduser().is_absolute():
                dirs.append(str(Path(state_dir).expanduser()))
    dirs.append(default_state_dir())
    return dirs


class _UnixConnection(http.client.HTTPConnection):
    """HTTP/1.1 over a unix socket."""

    def __init__(self, path: str, timeout: Optional[float]):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _read_api() -> Dict[str, Any]:
    path = api_file()
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise StageError(
            f"The mlinfn bridge is not running, or has no storage endpoints configured "
            f"({path} does not exist). Open the Data panel once to start it, or set "
            f"MLINFN_DATA_API to the bridge's data-api.json."
        ) from None
    except (OSError, ValueError) as err:
        raise StageError(f"{path} cannot be read: {err}") from None
    if not isinstance(info, dict) or not info.get("socket") or not info.get("token"):
        raise StageError(f"{path} is not a kernel-API file of the mlinfn bridge")
    return info


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _print_progress(event: Dict[str, Any]) -> None:
    size = event.get("size") or 0
    done = event.get("bytes") or 0
    pct = f"{100 * done / size:5.1f}%" if size else "     "
    rate = event.get("rate") or 0
    eta = event.get("etaSeconds")
    tail = f", {eta:.0f} s left" if eta is not None else ""
    line = f"staging {event.get('key', '')}: {pct} {_human(done)} of {_human(size)} at {_human(rate)}/s{tail}"
    sys.stdout.write("\r" + line[:160].ljust(100))
    sys.stdout.flush()


def stage(
    endpoint: str,
    bucket: str,
    key: str,
    *,
    progress: bool = True,
    timeout: Optional[float] = None,
    on_progress: Optional[Callable[[Dict[str, Any]], None]] = None,
) -> str:
    """Stage ``key`` of ``bucket`` on the configured ``endpoint`` and return the local path.

    Blocks until the copy is downloaded and verified (or was already in the cache).

    :param progress: print a one-line progress display while downloading.
    :param timeout: give up after this many seconds without news from the bridge.
    :param on_progress: called with each progress event (``bytes``, ``size``, ``rate``...).
    :raises StageError: with the bridge's reason (no such object, login expired...).
    """
    info = _read_api()
    body = json.dumps({"endpoint": endpoint, "bucket": bucket, "key": key})
    conn = _UnixConnection(info["socket"], timeout)
    try:
        try:
            conn.request(
                "POST",
                "/stage",
                body=body.encode("utf-8"),
                headers={
                    "Authorization": f"Bearer {info['token']}",
                    "Content-Type": "application/json",
                },
            )
            res = conn.getresponse()
        except (ConnectionRefusedError, FileNotFoundError):
            raise StageError(
                "The mlinfn bridge that wrote the kernel-API file is no longer running; "
                "open the Data panel to start it again."
            ) from None
        except socket.timeout:
            raise StageError("The mlinfn bridge did not answer in time.") from None
        if res.status != 200:
            text = res.read().decode("utf-8", "replace")
            try:
                reason = json.loads(text).get("reason") or text
            except ValueError:
                reason = text
            raise StageError(reason)
        final: Optional[Dict[str, Any]] = None
        shown = False
        last = 0.0
        while True:
            try:
                raw = res.readline()
            except socket.timeout:
                raise StageError("The mlinfn bridge sent no progress in time.") from None
            if not raw:
                break
            event = json.loads(raw)
            if event.get("type") == "stage":
                if on_progress:
                    on_progress(event)
                now = time.monotonic()
                if progress and now - last > 0.25:
                    _print_progress(event)
                    shown = True
                    last = now
            else:
                final = event
        if shown:
            sys.stdout.write("\n")
            sys.stdout.flush()
    finally:
        conn.close()
    if final is None:
        raise StageError("The mlinfn bridge closed the connection before the staging ended.")
    if final.get("state") != "ready" or not final.get("localPath"):
        raise StageError(final.get("error") or f"the staging ended {final.get('state')}")
    return str(final["localPath"])
