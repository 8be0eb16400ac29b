"""Shared fixtures: a real Jupyter server (pytest-jupyter) with mlinfn_lab and the proxy enabled."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from jupyter_server.auth.identity import IdentityProvider, User

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the source tree, whether or not the wheel is installed
    sys.path.insert(0, str(REPO))

pytest_plugins = ["pytest_jupyter.jupyter_server"]


def bridge_entry_point_installed() -> bool:
    """True when an installed mlinfn-lab registers the ``mlinfn-bridge`` proxy entry point."""
    try:
        eps = entry_points(group="jupyter_serverproxy_servers")
    except TypeError:  # Python 3.9
        eps = entry_points().get("jupyter_serverproxy_servers", [])
    return any(ep.name == "mlinfn-bridge" for ep in eps)


ALICE = {
    "username": "alice",
    "name": "Alice Liddell",
    "display_name": "Alice Liddell",
    "initials": "AL",
    "color": "var(--jp-collaborator-color1)",
}


class AliceIdentityProvider(IdentityProvider):
    """Jupyter's token authentication, but whoever passes it is the fixed user ``alice``."""

    async def get_user(self, handler):  # type: ignore[override]
        user = await super().get_user(handler)
        return User(**ALICE) if user is not None else None


@pytest.fixture
def jp_server_config():
    """Enable mlinfn_lab and jupyter-server-proxy; register the bridge as the entry point would."""
    config = {
        "ServerApp": {
            "jpserver_extensions": {"mlinfn_lab": True, "jupyter_server_proxy": True},
            "identity_provider_class": AliceIdentityProvider,
        },
    }
    if not bridge_entry_point_installed():
        # A source checkout without the wheel installed: the same config, through ServerProxy.
        from mlinfn_lab.proxy import setup_bridge

        config["ServerProxy"] = {"servers": {"mlinfn-bridge": setup_bridge()}}
    return config
