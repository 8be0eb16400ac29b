"""Jupyter server configuration for the mlinfn-lab UI tests (galata).

Used by scripts/start-test-lab.sh. Galata's helper sets port 8888, no token, no XSRF check
and exposes the app to the in-page test API; never use this configuration in production.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from tempfile import gettempdir, mkdtemp

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821

configure_jupyter_server(c)

# A fresh, empty root directory for every run.
c.ServerApp.root_dir = mkdtemp(prefix="mlinfn-ui-tests-")

# The resource monitor's tests (tests/monitor.spec.ts): a bridge config whose GPU source is a
# stand-in nvidia-smi (fixtures/mlinfn-fake-nvidia-smi, found on PATH: the bridge inherits the
# server's environment) reporting this server's kernels as GPU processes, and a short
# idle-GPU-holder time.
_fixtures = Path(__file__).resolve().parent / "fixtures"


def _login_token_file() -> None:
    """An OIDC access token for the data tests' `sts` endpoint, as JupyterHub would leave it.

    Signed by the RGW rig's test issuer (its env gives OIDC_RIG_DIR) into
    `<tmp>/mlinfn-ui-oidc-<port>/access_token`; tests/data.spec.ts rewrites that file to play an
    expired login and a new one. Its path reaches the data fixture as ${MLINFN_UI_OIDC_TOKEN_FILE}.
    """
    rig = os.environ.get("OIDC_RIG_DIR")
    if not rig:
        return
    port = os.environ.get("MLINFN_TEST_LAB_PORT", "8888")
    folder = Path(gettempdir()) / f"mlinfn-ui-oidc-{port}"
    folder.mkdir(mode=0o700, exist_ok=True)
    token = subprocess.run(
        [sys.executable, str(_fixtures.parent.parent / "scripts" / "rigs" / "oidc-issuer.py"),
         "sign", "--dir", rig, "--ttl", "7200"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()
    target = folder / "access_token"
    target.write_text(token)
    target.chmod(0o600)
    os.environ["MLINFN_UI_OIDC_TOKEN_FILE"] = str(target)


_login_token_file()


def _bridge_config() -> str:
    """fixtures/bridge-config.json plus each feature's `bridge-config.<feature>.json` section.

    Feature fixtures name the real servers that scripts/start-test-lab.sh started (RGW, the
    HTCondor pool, Spark) through `${VAR}` placeholders, filled in here from the environment;
    a fixture whose variables are missing is left out, with a line saying why.
    """
    config = json.loads((_fixtures / "bridge-config.json").read_text())
    for part in sorted(_fixtures.glob("bridge-config.*.json")):
        text = part.read_text()
        missing = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(os.environ))
        if missing:
            print(f"[ui-tests] {part.name} left out: {', '.join(missing)} not set", flush=True)
            continue
        text = re.sub(r"\$\{(\w+)\}", lambda m: os.environ[m.group(1)], text)
        section = json.loads(text)
        section.pop("$schema", None)
        config.update(section)
    target = Path(mkdtemp(prefix="mlinfn-ui-bridge-")) / "bridge-config.json"
    target.write_text(json.dumps(config, indent=2))
    return str(target)


c.MlinfnLab.bridge_config = _bridge_config()

# A fresh bridge state dir per run, in the environment so that the bridge and the kernels (the
# data kernel API finds the bridge there) agree on it: rooms, jobs and the kernel-API socket of
# an earlier run, or of another lab on this machine, never reach this one.
os.environ["MLINFN_STATE_DIR"] = mkdtemp(prefix="mlinfn-ui-state-")
os.environ["PATH"] = f"{_fixtures}{os.pathsep}{os.environ.get('PATH', '')}"
