"""The jupyter-server-proxy registration: its config, and a real launch through the real proxy.

The launch test stands a tiny Node HTTP server in for the bundle (the real bridge is tested in
test_hub.py), so it proves what this package owns: mount name, command line, unix socket and
the environment read at launch.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path

import pytest
import tornado.httpclient

from mlinfn_lab import proxy
from mlinfn_lab.context import get_context

FAKE_BRIDGE = r"""
const http = require('node:http');
const crypto = require('node:crypto');
const args = process.argv.slice(1);
const sock = args[args.indexOf('--unix-socket') + 1];
const env = {};
for (const [k, v] of Object.entries(process.env)) if (k.startsWith('MLINFN_')) env[k] = v;
// Report a digest of the secret, not the secret.
env.MLINFN_BRIDGE_SECRET = crypto.createHash('sha256').update(Buffer.from(env.MLINFN_BRIDGE_SECRET, 'hex')).digest('hex');
http.createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ url: req.url, args, env, pid: process.pid }));
}).listen(sock);
// Exit with the Jupyter server that launched us.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
"""


def test_setup_bridge_config() -> None:
    config = proxy.setup_bridge()
    assert config["unix_socket"] is True
    assert config["timeout"] >= 30
    assert config["launcher_entry"] == {"enabled": False}
    assert config["absolute_url"] is False
    assert config["new_browser_tab"] is False
    assert callable(config["command"]) and callable(config["environment"])
    # jupyter-server-proxy passes the arguments a callable asks for; ours ask for none.
    assert config["command"].__code__.co_argcount == 0
    assert config["environment"].__code__.co_argcount == 0


def test_entry_point_name_is_the_mount() -> None:
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert '\nmlinfn-bridge = "mlinfn_lab.proxy:setup_bridge"\n' in text


def test_command_and_environment_at_launch(jp_serverapp, monkeypatch, tmp_path) -> None:
    bundle = tmp_path / "bridge{x}.cjs"  # braces must survive the proxy's str.format
    bundle.write_text("")
    monkeypatch.setattr(proxy, "BUNDLE", bundle)
    node = proxy.find_node()
    assert node
    assert proxy.bridge_command() == [node, str(bundle).replace("{", "{{").replace("}", "}}"),
                                      "--unix-socket", "{unix_socket}"]
    context = get_context()
    assert context is not None
    monkeypatch.setattr(context, "config_path", "/etc/mlinfn/bridge.json")
    assert proxy.bridge_command()[-2:] == ["--config", "/etc/mlinfn/bridge.json"]
    env = proxy.bridge_environment()
    assert env["MLINFN_BRIDGE_SECRET"] == context.secret.hex()
    assert env["MLINFN_SERVER_ID"] == context.server_id
    assert env["MLINFN_BRIDGE_CONFIG"] == "/etc/mlinfn/bridge.json"


def test_missing_node_is_a_clear_error(jp_serverapp, monkeypatch, tmp_path, caplog) -> None:
    monkeypatch.setenv("MLINFN_NODE", str(tmp_path / "no-such-node"))
    with pytest.raises(tornado.web.HTTPError) as excinfo:
        proxy.bridge_command()
    assert "Node.js" in excinfo.value.log_message and "MLINFN_NODE" in excinfo.value.log_message


def test_mlinfn_node_is_honoured(monkeypatch) -> None:
    monkeypatch.setenv("MLINFN_NODE", "/bin/true")
    assert proxy.find_node() == "/bin/true"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


async def test_launch_through_jupyter_server_proxy(
    jp_fetch, jp_serverapp, jp_root_dir, monkeypatch, tmp_path, request
) -> None:
    bundle = tmp_path / "fake-bridge.cjs"
    bundle.write_text(FAKE_BRIDGE)
    monkeypatch.setattr(proxy, "BUNDLE", bundle)

    response = await jp_fetch("mlinfn-bridge", "api", "whoami", request_timeout=60)
    assert response.code == 200
    seen = json.loads(response.body)
    # jupyter-server-proxy leaves the process running with the server; this test stops it.
    request.addfinalizer(lambda: _kill(seen["pid"]))
    context = get_context()
    assert context is not None

    assert seen["url"] == "/api/whoami"  # absolute_url False: the bridge sees its own paths
    assert seen["args"][0] == str(bundle)
    sock = seen["args"][seen["args"].index("--unix-socket") + 1]
    assert sock.startswith("/") and "{" not in sock
    assert seen["args"] == [str(bundle), "--unix-socket", sock]
    expected_env = {
        "MLINFN_BRIDGE_SECRET": hashlib.sha256(context.secret).hexdigest(),
        "MLINFN_SERVER_ID": context.server_id,
        "MLINFN_ROOT_DIR": str(Path(jp_root_dir).absolute()),
        "MLINFN_SERVER_URL": context.server_url,
        "MLINFN_STATE_DIR": context.state_dir,
        "MLINFN_BRIDGE_CONFIG": "",
    }
    # The bridge also inherits the server's own environment; these are the protocol's.
    assert {k: v for k, v in seen["env"].items() if k in expected_env} == expected_env
    # Jupyter's auth guards the mount.
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await jp_fetch("mlinfn-bridge", "healthz", headers={"Authorization": ""},
                       follow_redirects=False)
    assert excinfo.value.code in (302, 403)


class _Request:
    """The part of a tornado request that ``counts_as_activity`` reads."""

    def __init__(self, method: str, path: str, upgrade: str = "") -> None:
        self.method = method
        self.path = path
        self.headers = {"Upgrade": upgrade} if upgrade else {}


class _Handler:
    def __init__(self, request: _Request) -> None:
        self.request = request


@pytest.mark.parametrize(
    "method, path, upgrade, expected",
    [
        # Reading: an open Resources panel must not keep an idle GPU server from being culled.
        ("GET", "/user/alice/mlinfn-bridge/api/whoami", "", False),
        ("GET", "/user/alice/mlinfn-bridge/metrics", "", False),
        ("GET", "/user/alice/mlinfn-bridge/ws", "websocket", False),
        # Changes, and the collaborative-editing sockets, are what a user does.
        ("POST", "/user/alice/mlinfn-bridge/api/log", "", True),
        ("DELETE", "/mlinfn-bridge/api/jobs/1", "", True),
        ("GET", "/mlinfn-bridge/collab/room", "websocket", True),
    ],
)
def test_what_counts_as_activity_for_idle_culling(method, path, upgrade, expected) -> None:
    request = _Request(method, path, upgrade)
    assert proxy.counts_as_activity(_Handler(request)) is expected
    assert proxy.counts_as_activity(request) is expected
    assert proxy.setup_bridge()["update_last_activity"] is proxy.counts_as_activity


async def test_ticket_refresh_is_not_activity(jp_fetch, jp_serverapp) -> None:
    before = jp_serverapp.web_app.settings.get("api_last_activity")
    await jp_fetch("mlinfn", "ticket")
    assert jp_serverapp.web_app.settings.get("api_last_activity") == before
