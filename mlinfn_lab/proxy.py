"""Registers the Node bridge with jupyter-server-proxy (entry point ``mlinfn-bridge``).

jupyter-server-proxy mounts the process at ``{base_url}mlinfn-bridge/`` (the entry point's name)
and starts it on the first request, on a private unix socket. ``command`` and ``environment``
are callables, which jupyter-server-proxy calls at launch (``call_with_asked_args`` with the
arguments they ask for among ``port``, ``unix_socket``, ``base_url``): by then the
``mlinfn_lab`` server extension has loaded and made the secret, so the values are read then.
jupyter-server-proxy then renders every string with ``str.format`` (``{unix_socket}`` etc.), so
literal braces in our own values are doubled.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

from tornado import web

from .context import get_context

NAME = "mlinfn-bridge"
BUNDLE = Path(__file__).parent / "bridge" / "bridge.cjs"
START_TIMEOUT_SECONDS = 60

log = logging.getLogger("mlinfn_lab.proxy")


def _escape(value: str) -> str:
    """Protect a literal value from jupyter-server-proxy's ``str.format`` rendering."""
    return value.replace("{", "{{").replace("}", "}}")


def _logger() -> Any:
    """The Jupyter server's logger when the extension is loaded, else this module's."""
    context = get_context()
    return context.serverapp.log if context is not None else log


def _fail(message: str) -> None:
    """Log a launch failure plainly and answer the request with it (500)."""
    _logger().error("mlinfn-bridge cannot start: %s", message)
    raise web.HTTPError(500, f"mlinfn-bridge cannot start: {message}")


def find_node() -> Optional[str]:
    """``$MLINFN_NODE`` when set, else ``node`` on the PATH."""
    explicit = os.environ.get("MLINFN_NODE")
    if explicit:
        return shutil.which(explicit) or (explicit if os.access(explicit, os.X_OK) else None)
    return shutil.which("node")


def bridge_command() -> List[str]:
    """The bridge's command line, rendered by jupyter-server-proxy at launch."""
    context = get_context()
    if context is None:
        _fail("the mlinfn_lab server extension is not loaded (jupyter server extension enable mlinfn_lab)")
    node = find_node()
    if node is None:
        _fail("Node.js (>= 20) not found: install it or set MLINFN_NODE to its path")
    if not BUNDLE.is_file():
        _fail(f"bridge bundle {BUNDLE} is missing: this mlinfn-lab install is incomplete")
    command = [_escape(node), _escape(str(BUNDLE)), "--unix-socket", "{unix_socket}"]
    if context is not None and context.config_path:
        command += ["--config", _escape(context.config_path)]
    return command


def bridge_environment() -> Dict[str, str]:
    """The variables of ``docs/protocol.md`` ("Processes"), read at launch."""
    context = get_context()
    if context is None:
        _fail("the mlinfn_lab server extension is not loaded (jupyter server extension enable mlinfn_lab)")
    assert context is not None
    return {key: _escape(value) for key, value in context.bridge_environment().items()}


def counts_as_activity(handler: Any) -> bool:
    """Whether a proxied request or WebSocket message is user activity for idle culling.

    jupyter-server-proxy records every proxied request and every browser WebSocket message as
    activity. Reading the bridge (GETs, and the pushed-channels socket, whose only upstream
    traffic is subscriptions and ticket refreshes) is not what a user does to keep a server
    busy: an open Resources panel must not keep an idle GPU server from being culled. Changes
    (POST, PUT, PATCH, DELETE) and the collaborative-editing sockets are.
    """
    # jupyter-server-proxy passes its handler (its documentation says the request): take either.
    request = getattr(handler, "request", handler)
    path = request.path.rstrip("/")
    if path.endswith(f"/{NAME}/ws"):
        return False
    return request.method != "GET" or request.headers.get("Upgrade", "").lower() == "websocket"


def _proxy_takes_activity_callable() -> bool:
    """jupyter-server-proxy accepts a callable ``update_last_activity`` from 4.6 on."""
    try:
        from importlib.metadata import version

        major, minor = (int(part) for part in version("jupyter-server-proxy").split(".")[:2])
    except Exception:  # pragma: no cover - unknown version: be conservative
        return False
    return (major, minor) >= (4, 6)


def setup_bridge() -> Dict[str, Any]:
    """The jupyter-server-proxy process config for the bridge."""
    config: Dict[str, Any] = {
        "command": bridge_command,
        "environment": bridge_environment,
        "unix_socket": True,
        "timeout": START_TIMEOUT_SECONDS,
        "absolute_url": False,
        "new_browser_tab": False,
        "launcher_entry": {"enabled": False},
    }
    if _proxy_takes_activity_callable():
        config["update_last_activity"] = counts_as_activity
    return config
