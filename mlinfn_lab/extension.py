"""The thin ``mlinfn_lab`` jupyter_server extension.

At load it makes the per-launch signing secret and server id, records them (with the root
directory, the call-back URL, the state directory and the bridge config path) for the proxy to
hand to the bridge, and registers the ticket, kernel-list and contents-events handlers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_server.utils import url_path_join
from traitlets import Unicode, default
from traitlets.config import Configurable

from .contents_events import BridgeEventsHandler, ContentsEventHub
from .context import BridgeContext, default_state_dir, set_context
from .handlers import BridgeKernelsHandler, TicketHandler


class MlinfnLab(Configurable):
    """Configuration of the mlinfn-lab server extension (``c.MlinfnLab.*``)."""

    bridge_config = Unicode(
        help=(
            "Path of the bridge's config file (schema/bridge-config.schema.json). "
            "Defaults to $MLINFN_BRIDGE_CONFIG; empty means the bridge's defaults."
        ),
    ).tag(config=True)

    state_dir = Unicode(
        help=(
            "Local directory for the bridge's own state (room logs, job records, cache index). "
            "Defaults to $MLINFN_STATE_DIR, else $XDG_STATE_HOME/mlinfn-bridge, else "
            "~/.local/state/mlinfn-bridge. Keep it on local disk, never on a network home."
        ),
    ).tag(config=True)

    @default("bridge_config")
    def _default_bridge_config(self) -> str:
        return os.environ.get("MLINFN_BRIDGE_CONFIG", "")

    @default("state_dir")
    def _default_state_dir(self) -> str:
        return default_state_dir()


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Set up the per-launch context and register the handlers."""
    config = MlinfnLab(parent=serverapp)
    config_path = (
        str(Path(config.bridge_config).expanduser().absolute()) if config.bridge_config else None
    )
    context = BridgeContext(
        serverapp=serverapp,
        state_dir=str(Path(config.state_dir).expanduser().absolute()),
        config_path=config_path,
    )
    set_context(context)

    # Contents events (saves, renames...) from the server's event bus, streamed to the bridge.
    events = ContentsEventHub()
    events.register(serverapp)

    web_app = serverapp.web_app
    base_url = web_app.settings["base_url"]
    # Collaborative rooms carry the ticket in their WebSocket URL (browsers cannot set headers
    # there): keep it out of Jupyter's access log as Jupyter keeps its own token out.
    scrub = list(web_app.settings.get("extra_log_scrub_param_keys") or [])
    if "ticket" not in scrub:
        web_app.settings["extra_log_scrub_param_keys"] = [*scrub, "ticket"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, "mlinfn", "ticket"), TicketHandler, {"context": context}),
            (
                url_path_join(base_url, "mlinfn", "bridge", "kernels"),
                BridgeKernelsHandler,
                {"context": context},
            ),
            (
                url_path_join(base_url, "mlinfn", "bridge", "events"),
                BridgeEventsHandler,
                {"context": context, "hub": events},
            ),
        ],
    )
    # The server id is not a secret (every ticket carries it); the secret is never logged.
    serverapp.log.info(
        "mlinfn_lab: loaded (server id %s, bridge state in %s%s)",
        context.server_id,
        context.state_dir,
        f", bridge config {config_path}" if config_path else "",
    )
