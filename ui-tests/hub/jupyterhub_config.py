"""A real JupyterHub for the collaborative-editing UI tests (tests/collab-hub.spec.ts).

Started by hub/hub.ts, which passes everything that changes from run to run through the
environment (``MLINFN_HUB_*``): a temporary directory for the database, cookie secret, pid
files, the users' homes and the notebook directory; free ports on 127.0.0.1; the password;
configurable-http-proxy from the repository's node_modules; the virtual environment's bin.

Three users log in with DummyAuthenticator's password: ``alice`` owns the single-user server,
``bob`` and ``carol`` reach it through JupyterHub's sharing (``POST /hub/api/shares/alice/``,
which alice may call: the ``user`` role below adds ``shares!user``, and ``read:users:name`` to
share by user name). The single-user server (``jupyterhub-singleuser`` from the venv, with
mlinfn_lab installed in it) gets hub/singleuser_config.py, whose Authorizer makes carol
read-only. Never use this configuration outside the tests.
"""

import os

c = get_config()  # noqa: F821

env = os.environ
tmp = env["MLINFN_HUB_TMP"]
venv_bin = env["MLINFN_HUB_VENV_BIN"]
here = os.path.dirname(os.path.abspath(__file__))

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(env["MLINFN_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env["MLINFN_HUB_HUB_PORT"])
c.JupyterHub.db_url = f"sqlite:///{tmp}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{tmp}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{tmp}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

c.ConfigurableHTTPProxy.command = [env["MLINFN_HUB_CHP"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['MLINFN_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.pid_file = f"{tmp}/proxy.pid"

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = env["MLINFN_HUB_PASSWORD"]
c.Authenticator.allow_all = True
# Created in the Hub's database at start, so that alice can share her server with the others
# before they first log in.
c.Authenticator.allowed_users = {"alice", "bob", "carol"}

# Users may share their own servers, with users named by name (JupyterHub's sharing docs).
c.JupyterHub.load_roles = [
    {
        "name": "user",
        "scopes": ["self", "shares!user", "read:users:name"],
    }
]

c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = f"{tmp}/home/{{username}}"
c.Spawner.notebook_dir = f"{tmp}/notebooks"
c.Spawner.default_url = "/lab"
c.Spawner.cmd = [f"{venv_bin}/jupyterhub-singleuser"]
c.Spawner.args = ["--allow-root", f"--config={here}/singleuser_config.py"]
c.Spawner.environment = {
    # readonly_authorizer.py; mlinfn_lab comes from the venv (installed from the wheel).
    "PYTHONPATH": here,
    "PATH": os.pathsep.join([venv_bin, env.get("PATH", "/usr/bin:/bin")]),
}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
