"""What the server extension knows at load and hands to the bridge (module-level state).

jupyter-server-proxy loads its entry points (``mlinfn_lab.proxy.setup_bridge``) before or after
this extension, in no order we control, and launches the bridge lazily on the first request. So
the extension records a :class:`BridgeContext` here at load, and the proxy reads it at launch.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

WILDCARD_IPS = {"", "0.0.0.0", "::"}


def default_state_dir() -> str:
    """``$MLINFN_STATE_DIR``, else ``$XDG_STATE_HOME/mlinfn-bridge``, else ``~/.local/state/mlinfn-bridge``."""
    explicit = os.environ.get("MLINFN_STATE_DIR")
    if explicit:
        return str(Path(explicit).expanduser().absolute())
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return str(Path(base).expanduser().absolute() / "mlinfn-bridge")


@dataclass
class BridgeContext:
    """Per-launch facts about this Jupyter server, shared by the handlers and the proxy config."""

    serverapp: Any
    state_dir: str
    config_path: Optional[str] = None
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    server_id: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def root_dir(self) -> str:
        """The Jupyter server's root directory, absolute."""
        return str(Path(self.serverapp.root_dir).expanduser().absolute())

    @property
    def server_url(self) -> str:
        """A URL the bridge (on this machine) can call back on, including base URL, ending in ``/``.

        Read at call time: the port is final only once the HTTP server is bound.
        """
        app = self.serverapp
        base_url = app.base_url if app.base_url.endswith("/") else app.base_url + "/"
        if getattr(app, "sock", ""):
            # Same form as ServerApp.connection_url: http+unix://<percent-encoded socket path>/base/
            url = str(app.connection_url)
            return url if url.endswith("/") else url + "/"
        ip = app.ip
        if ip in WILDCARD_IPS:
            ip = "::1" if ip == "::" else "127.0.0.1"
        host = f"[{ip}]" if ":" in ip else ip
        scheme = "https" if getattr(app, "certfile", "") else "http"
        return f"{scheme}://{host}:{app.port}{base_url}"

    def bridge_environment(self) -> Dict[str, str]:
        """The environment the bridge gets (``docs/protocol.md``, "Processes")."""
        env = {
            "MLINFN_BRIDGE_SECRET": self.secret.hex(),
            "MLINFN_SERVER_ID": self.server_id,
            "MLINFN_ROOT_DIR": self.root_dir,
            "MLINFN_SERVER_URL": self.server_url,
            "MLINFN_STATE_DIR": self.state_dir,
            # Always set, so a value inherited from the server's own environment cannot leak in
            # unnoticed; the empty string means "no config file, defaults".
            "MLINFN_BRIDGE_CONFIG": self.config_path or "",
        }
        return env


_current: Optional[BridgeContext] = None


def set_context(context: BridgeContext) -> None:
    """Record the context of the server extension loaded last (one per process in practice)."""
    global _current
    _current = context


def get_context() -> Optional[BridgeContext]:
    """The context recorded by the server extension, or ``None`` when it is not loaded."""
    return _current
