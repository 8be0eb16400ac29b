"""mlinfn-lab: JupyterLab 4 extensions and a Node bridge for shared GPU machines.

This package ships the prebuilt labextensions and the bundled bridge, registers the bridge with
jupyter-server-proxy (:mod:`mlinfn_lab.proxy`), and is a thin jupyter_server extension
(:mod:`mlinfn_lab.extension`) for what only the Jupyter server knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

__version__ = "0.1.0"

HERE = Path(__file__).parent.resolve()
LABEXTENSIONS = HERE / "labextensions" / "@mlinfn"


def _jupyter_labextension_paths() -> List[Dict[str, str]]:
    """Every prebuilt labextension shipped in the package (``@mlinfn/<name>``).

    The wheel installs them as shared data; these paths serve source checkouts and
    ``jupyter labextension develop``.
    """
    if not LABEXTENSIONS.is_dir():
        return []
    return [
        {"src": f"labextensions/@mlinfn/{p.name}", "dest": f"@mlinfn/{p.name}"}
        for p in sorted(LABEXTENSIONS.iterdir())
        if p.is_dir()
    ]


def _jupyter_server_extension_points() -> List[Dict[str, str]]:
    """The jupyter_server extension lives in :mod:`mlinfn_lab.extension`."""
    return [{"module": "mlinfn_lab.extension"}]
