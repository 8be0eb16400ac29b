"""Jupyter server configuration for the mlinfn-lab UI tests (galata).

Used by scripts/start-test-lab.sh. Galata's helper sets port 8888, no token, no XSRF check
and exposes the app to the in-page test API; never use this configuration in production.
"""

from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821

configure_jupyter_server(c)

# A fresh, empty root directory for every run.
c.ServerApp.root_dir = mkdtemp(prefix="mlinfn-ui-tests-")
