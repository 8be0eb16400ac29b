"""The server extension in a real Jupyter server (pytest-jupyter), with real kernels."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import tornado.httpclient

from mlinfn_lab.context import get_context
from mlinfn_lab.tickets import bridge_auth_header, verify_ticket

RESOURCES = {"contents", "kernels", "kernelspecs", "sessions", "terminals", "events", "server"}


async def test_ticket_verifies_and_carries_user_and_permissions(jp_fetch, jp_serverapp) -> None:
    before = int(time.time())
    response = await jp_fetch("mlinfn", "ticket")
    assert response.code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = json.loads(response.body)
    assert set(body) == {"ticket", "expiresAt"}

    context = get_context()
    assert context is not None and context.serverapp is jp_serverapp
    payload = verify_ticket(body["ticket"], context.secret, context.server_id)
    assert payload["exp"] == body["expiresAt"] == payload["iat"] + 300
    assert before <= payload["iat"] <= int(time.time())
    assert list(payload) == ["sub", "name", "initials", "color", "perms", "aud", "iat", "exp"]

    # The identity is jupyter_server's own idea of the current user (/api/me agrees).
    me = json.loads((await jp_fetch("api", "me")).body)["identity"]
    assert me["username"] == "alice"
    assert payload["sub"] == me["username"] == "alice"
    assert payload["name"] == me["display_name"] == "Alice Liddell"
    assert payload["initials"] == me["initials"] == "AL"
    assert payload["color"] == me["color"] == "var(--jp-collaborator-color1)"
    # The default Authorizer allows everything to the token holder.
    assert set(payload["perms"]) == RESOURCES
    assert all(actions == ["read", "write", "execute"] for actions in payload["perms"].values())


async def test_ticket_permissions_follow_the_authorizer(jp_fetch, jp_serverapp) -> None:
    """A read-only Authorizer yields read-only permissions in the ticket."""
    authorizer = jp_serverapp.web_app.settings["authorizer"]
    original = authorizer.is_authorized
    authorizer.is_authorized = lambda handler, user, action, resource: (
        action == "read" and resource != "terminals"
    )
    try:
        body = json.loads((await jp_fetch("mlinfn", "ticket")).body)
    finally:
        authorizer.is_authorized = original
    context = get_context()
    assert context is not None
    perms = verify_ticket(body["ticket"], context.secret, context.server_id)["perms"]
    assert perms["terminals"] == []
    assert all(perms[r] == ["read"] for r in RESOURCES - {"terminals"})


async def test_ticket_refused_without_authentication(jp_fetch) -> None:
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await jp_fetch("mlinfn", "ticket", headers={"Authorization": ""}, follow_redirects=False)
    assert excinfo.value.code in (302, 403)


@pytest.mark.parametrize("endpoint", ["kernels", "events"])
@pytest.mark.parametrize("header", [None, "", "garbage", "forged", "stale", "other-secret"])
async def test_bridge_endpoints_refuse_bad_bridge_auth(jp_fetch, endpoint, header) -> None:
    """The bridge-only endpoints (kernel list, contents events) answer only the bridge."""
    context = get_context()
    assert context is not None
    now = time.time()
    value = {
        "forged": f"{int(now)}." + "0" * 64,
        "stale": bridge_auth_header(context.secret, now=now - 61),
        "other-secret": bridge_auth_header(os.urandom(32), now=now),
    }.get(header, header)
    headers = {"Authorization": ""}  # the bridge has no Jupyter credentials
    if value is not None:
        headers["X-Mlinfn-Bridge-Auth"] = value
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await jp_fetch("mlinfn", "bridge", endpoint, headers=headers)
    assert excinfo.value.code == 403
    assert json.loads(excinfo.value.response.body)["error"] == "forbidden"


async def test_kernels_lists_real_pid_and_notebook(jp_fetch, jp_root_dir) -> None:
    context = get_context()
    assert context is not None
    notebook = "work/analysis.ipynb"
    (Path(jp_root_dir) / "work").mkdir()
    session = json.loads(
        (
            await jp_fetch(
                "api",
                "sessions",
                method="POST",
                body=json.dumps(
                    {"path": notebook, "type": "notebook", "name": "analysis.ipynb",
                     "kernel": {"name": "python3"}}
                ),
            )
        ).body
    )
    kernel_id = session["kernel"]["id"]

    empty = {"Authorization": ""}
    headers = dict(empty, **{"X-Mlinfn-Bridge-Auth": bridge_auth_header(context.secret)})
    response = await jp_fetch("mlinfn", "bridge", "kernels", headers=headers)
    assert response.code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = json.loads(response.body)
    assert list(body) == ["kernels"]
    [kernel] = [k for k in body["kernels"] if k["id"] == kernel_id]
    assert set(kernel) == {
        "id", "name", "pid", "executionState", "lastActivity", "connections", "sessions"
    }
    assert kernel["name"] == "python3"
    assert kernel["sessions"] == [{"path": notebook, "type": "notebook", "name": "analysis.ipynb"}]
    assert isinstance(kernel["connections"], int)
    assert isinstance(kernel["executionState"], str)
    assert kernel["lastActivity"] is None or kernel["lastActivity"].startswith("20")

    pid = kernel["pid"]
    assert isinstance(pid, int) and pid > 0
    os.kill(pid, 0)  # alive
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"python" in Path(cmdline[0].decode()).name.encode(), cmdline
    assert b"ipykernel_launcher" in b" ".join(cmdline), cmdline

    # After the kernel is shut down, it is no longer listed.
    await jp_fetch("api", "sessions", session["id"], method="DELETE")
    headers["X-Mlinfn-Bridge-Auth"] = bridge_auth_header(context.secret)
    body = json.loads((await jp_fetch("mlinfn", "bridge", "kernels", headers=headers)).body)
    assert all(k["id"] != kernel_id for k in body["kernels"])


async def test_context_environment(jp_serverapp, jp_root_dir, jp_http_port, jp_base_url) -> None:
    context = get_context()
    assert context is not None
    env = context.bridge_environment()
    assert set(env) == {
        "MLINFN_BRIDGE_SECRET", "MLINFN_SERVER_ID", "MLINFN_ROOT_DIR", "MLINFN_SERVER_URL",
        "MLINFN_STATE_DIR", "MLINFN_BRIDGE_CONFIG",
    }
    assert bytes.fromhex(env["MLINFN_BRIDGE_SECRET"]) == context.secret
    assert len(context.secret) == 32
    assert len(env["MLINFN_SERVER_ID"]) == 32 and int(env["MLINFN_SERVER_ID"], 16) >= 0
    assert env["MLINFN_ROOT_DIR"] == str(Path(jp_root_dir).absolute())
    assert env["MLINFN_SERVER_URL"] == f"http://localhost:{jp_http_port}{jp_base_url}" or env[
        "MLINFN_SERVER_URL"
    ] == f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    assert env["MLINFN_SERVER_URL"].endswith("/")
    assert os.path.isabs(env["MLINFN_STATE_DIR"])
    assert env["MLINFN_BRIDGE_CONFIG"] == ""


def test_tickets_are_scrubbed_from_the_access_log(jp_serverapp) -> None:
    from jupyter_server.log import _scrub_uri

    keys = jp_serverapp.web_app.settings["extra_log_scrub_param_keys"]
    assert "ticket" in keys
    scrubbed = _scrub_uri("/mlinfn-bridge/collab/json%3Anotebook%3Aa.ipynb?ticket=v1.abc.def&epoch=2", keys)
    assert "v1.abc.def" not in scrubbed and "epoch=2" in scrubbed
