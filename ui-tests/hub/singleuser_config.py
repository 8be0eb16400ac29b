"""Configuration of alice's single-user server in the collaborative-editing UI tests.

Passed by hub/jupyterhub_config.py as ``--config``. The Authorizer makes carol read-only
(hub/readonly_authorizer.py); galata's in-page helpers are loaded and the application is exposed
to the page (``window.jupyterapp``), as galata's own server configuration does; the
workspaces live in the test's temporary directory.
"""

import os
from pathlib import Path

import jupyterlab.galata

c = get_config()  # noqa: F821

c.ServerApp.authorizer_class = "readonly_authorizer.ReadOnlyAuthorizer"

c.LabServerApp.extra_labextensions_path = str(Path(jupyterlab.galata.__file__).parent)
c.LabApp.expose_app_in_browser = True
c.LabApp.workspaces_dir = str(Path(os.environ["HOME"]) / "workspaces")
