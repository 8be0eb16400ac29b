"""Jupyter server configuration for the mlinfn-lab UI tests (galata).

Used by scripts/start-test-lab.sh. Galata's helper sets port 8888, no token, no XSRF check
and exposes the app to the in-page test API; never use this configuration in production.
"""

import os
from pathlib import Path
from tempfile import mkdtemp

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
c.MlinfnLab.bridge_config = str(_fixtures / "bridge-config.json")
os.environ["PATH"] = f"{_fixtures}{os.pathsep}{os.environ.get('PATH', '')}"
