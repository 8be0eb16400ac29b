"""A real JupyterHub (DummyAuthenticator, SimpleLocalProcessSpawner, configurable-http-proxy).

Hub user ``alice`` logs in through the login form, her single-user server starts with
``mlinfn_lab``, she gets a ticket whose ``sub`` is ``alice``, and the real bridge behind
jupyter-server-proxy verifies that ticket (``/api/whoami``). Runs by default; needs Node and
``node_modules/.bin/configurable-http-proxy`` (``npm ci`` at the repo root) and the bridge bundle
(``mlinfn_lab/bridge/bridge.cjs``, built by the project's build scripts).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict, Iterator, List, Set

import pytest
import requests

from mlinfn_lab.tickets import b64url_decode

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHP = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
BUNDLE = REPO / "mlinfn_lab" / "bridge" / "bridge.cjs"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> Set[int]:
    """All live descendants of ``pid`` (from /proc)."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: Set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
    """Poll ``predicate`` until it returns something truthy, or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_error: object = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except requests.RequestException as exc:
            last_error = exc
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error})")


HUB_CONFIG = """
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{tmp}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{tmp}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{tmp}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = ["{chp}"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = "{tmp}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {{"alice"}}
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = "{tmp}/home/{{username}}"
c.Spawner.cmd = ["{singleuser}"]
c.Spawner.args = ["--allow-root", "--config={tmp}/singleuser_config.py"]
c.Spawner.environment = {{"PYTHONPATH": {pythonpath!r}, "PATH": {path!r}}}
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
"""

SINGLEUSER_CONFIG = """
from importlib.metadata import entry_points

c = get_config()  # noqa
c.ServerApp.jpserver_extensions = {"mlinfn_lab": True, "jupyter_server_proxy": True}
try:
    _eps = entry_points(group="jupyter_serverproxy_servers")
except TypeError:  # Python 3.9
    _eps = entry_points().get("jupyter_serverproxy_servers", [])
if not any(ep.name == "mlinfn-bridge" for ep in _eps):
    # Source checkout without the wheel installed: register the bridge as the entry point does.
    from mlinfn_lab.proxy import setup_bridge

    c.ServerProxy.servers = {"mlinfn-bridge": setup_bridge()}
"""


class Hub:
    """A running JupyterHub and the URL it serves on."""

    def __init__(self, url: str, process: subprocess.Popen, log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def log_tail(self, n: int = 60) -> str:
        """The last lines of the hub's log (hub, proxy and single-user output)."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[Hub]:
    """Start JupyterHub; on teardown stop it and everything it started, even after a failure."""
    assert shutil.which("node"), "Node.js is required (configurable-http-proxy and the bridge)"
    assert CHP.exists(), (
        f"{CHP} is missing: run `npm ci` (or `npm install`) at the repository root first"
    )
    tmp = tmp_path_factory.mktemp("hub")
    (tmp / "home" / "alice").mkdir(parents=True)
    port = free_port()
    path = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "/usr/bin:/bin")])
    pythonpath = os.pathsep.join(p for p in [str(REPO), os.environ.get("PYTHONPATH", "")] if p)
    (tmp / "singleuser_config.py").write_text(SINGLEUSER_CONFIG)
    (tmp / "jupyterhub_config.py").write_text(
        textwrap.dedent(
            HUB_CONFIG.format(
                port=port,
                hub_port=free_port(),
                proxy_api_port=free_port(),
                tmp=tmp,
                chp=CHP,
                password=PASSWORD,
                singleuser=VENV_BIN / "jupyterhub-singleuser",
                pythonpath=pythonpath,
                path=path,
            )
        )
    )
    log = tmp / "hub.log"
    env = dict(os.environ, PATH=path, PYTHONPATH=pythonpath)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(tmp / "jupyterhub_config.py")],
            cwd=tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(f"http://127.0.0.1:{port}", process, log)
    seen: Set[int] = set()
    try:
        def hub_up() -> bool:
            if process.poll() is not None:
                pytest.fail(f"jupyterhub exited with {process.returncode}:\n{hub.log_tail()}")
            seen.update(descendants(process.pid))
            return requests.get(f"{hub.url}/hub/api", timeout=5).status_code == 200

        wait_for(hub_up, 90, "JupyterHub to answer on /hub/api")
        yield hub
    finally:
        seen.update(descendants(process.pid))
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in seen):
            time.sleep(0.2)
        for pid in seen:  # anything the hub left behind: single-user server, bridge, proxy
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture(scope="module")
def alice(hub: Hub) -> Iterator[requests.Session]:
    """A browser-like session logged in as alice, with her server running and OAuth done."""
    session = requests.Session()
    login = session.get(f"{hub.url}/hub/login", timeout=10)
    login.raise_for_status()
    xsrf = session.cookies.get("_xsrf")
    assert xsrf, "the hub set no _xsrf cookie on its login page"
    response = session.post(
        f"{hub.url}/hub/login?next=",
        data={"username": "alice", "password": PASSWORD, "_xsrf": xsrf},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code in (302, 303), f"login failed ({response.status_code})"
    # GET /hub/spawn starts the server (no options form); the pending page follows.
    session.get(f"{hub.url}/hub/spawn", timeout=60)

    def server_ready() -> bool:
        if hub.process.poll() is not None:
            pytest.fail(f"jupyterhub exited:\n{hub.log_tail()}")
        r = session.get(f"{hub.url}/user/alice/api", allow_redirects=False, timeout=10)
        return r.status_code == 200 and "version" in r.text

    wait_for(server_ready, 120, "alice's single-user server")
    # Complete the OAuth dance with the single-user server (sets its cookie).
    lab = session.get(f"{hub.url}/user/alice/lab", timeout=60)
    assert lab.status_code == 200, f"/user/alice/lab: {lab.status_code}\n{hub.log_tail()}"
    yield session
    session.close()


def decode(ticket: str) -> dict:
    """The (unverified) payload of a ticket."""
    version, payload, signature = ticket.split(".")
    assert version == "v1" and signature
    return json.loads(b64url_decode(payload))


def test_hub_user_gets_a_ticket(hub: Hub, alice: requests.Session) -> None:
    response = alice.get(f"{hub.url}/user/alice/mlinfn/ticket", timeout=30)
    assert response.status_code == 200, f"{response.status_code} {response.text}\n{hub.log_tail()}"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    payload = decode(body["ticket"])
    assert payload["sub"] == "alice"
    assert payload["exp"] == body["expiresAt"] == payload["iat"] + 300
    assert "read" in payload["perms"]["contents"]  # the owner of the server
    assert "execute" in payload["perms"]["kernels"]
    # Without the Hub's cookie, the endpoint refuses.
    anonymous = requests.get(f"{hub.url}/user/alice/mlinfn/ticket", allow_redirects=False, timeout=30)
    assert anonymous.status_code in (302, 403)


def test_bridge_verifies_hub_ticket_end_to_end(hub: Hub, alice: requests.Session) -> None:
    assert BUNDLE.is_file(), (
        f"the bridge bundle {BUNDLE} is missing: build it first (the project's build/test scripts "
        "do: npm ci && npm run build) — this end-to-end test needs the real bridge"
    )
    ticket = alice.get(f"{hub.url}/user/alice/mlinfn/ticket", timeout=30).json()["ticket"]
    response = alice.get(
        f"{hub.url}/user/alice/mlinfn-bridge/api/whoami",
        headers={"X-Mlinfn-Ticket": ticket},
        timeout=90,  # the first request launches the bridge
    )
    assert response.status_code == 200, f"{response.status_code} {response.text}\n{hub.log_tail()}"
    whoami = response.json()
    assert whoami["user"]["username"] == "alice"
    assert whoami["mode"] == "proxy"
    # A cookie alone authorises nothing in the bridge.
    refused = alice.get(f"{hub.url}/user/alice/mlinfn-bridge/api/whoami", timeout=30)
    assert refused.status_code == 401
