"""The running kernels, their process ids and the notebooks they serve (``schema/kernels.schema.json``).

The Jupyter REST API does not expose kernel pids; the kernel manager's provisioners know them.
"""

from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional

from tornado import web

try:  # jupyter_client >= 7.1
    from jupyter_client.provisioning import LocalProvisioner
except ImportError:  # pragma: no cover - very old jupyter_client
    LocalProvisioner = None  # type: ignore[assignment,misc]


async def _maybe_await(value: Any) -> Any:
    """Await ``value`` when it is awaitable (gateway managers return coroutines)."""
    if inspect.isawaitable(value):
        return await value
    return value


def kernel_pid(kernel: Any) -> Optional[int]:
    """The pid of a kernel's process when it runs on this machine, else ``None``.

    Only a :class:`LocalProvisioner` (or a subclass) launches a local process; other
    provisioners (remote, containers, gateways) may carry a ``pid`` that means nothing here.
    """
    provisioner = getattr(kernel, "provisioner", None)
    if provisioner is not None:
        if LocalProvisioner is None or not isinstance(provisioner, LocalProvisioner):
            return None
        process = getattr(provisioner, "process", None)
        pid = getattr(process, "pid", None) if process is not None else None
        if pid is None:
            pid = getattr(provisioner, "pid", None)
        return pid if isinstance(pid, int) else None
    # Managers from before provisioners kept the Popen object on ``kernel``.
    process = getattr(kernel, "kernel", None)
    pid = getattr(process, "pid", None)
    return pid if isinstance(pid, int) else None


async def list_kernels(kernel_manager: Any, session_manager: Any) -> Dict[str, List[Dict[str, Any]]]:
    """Build the ``KernelsResponse`` body from the server's kernel and session managers."""
    sessions_by_kernel: Dict[str, List[Dict[str, str]]] = {}
    if session_manager is not None:
        for session in await _maybe_await(session_manager.list_sessions()):
            kernel_id = (session.get("kernel") or {}).get("id")
            if not kernel_id:
                continue
            sessions_by_kernel.setdefault(kernel_id, []).append(
                {
                    "path": str(session.get("path") or ""),
                    "type": str(session.get("type") or ""),
                    "name": str(session.get("name") or ""),
                }
            )

    kernels: List[Dict[str, Any]] = []
    for kernel_id in list(kernel_manager.list_kernel_ids()):
        try:
            model = await _maybe_await(kernel_manager.kernel_model(kernel_id))
            kernel = kernel_manager.get_kernel(kernel_id)
        except (KeyError, web.HTTPError):
            continue  # shut down while we were listing
        kernels.append(
            {
                "id": kernel_id,
                "name": str(model.get("name") or ""),
                "pid": kernel_pid(kernel),
                "executionState": str(model.get("execution_state") or "unknown"),
                "lastActivity": str(model["last_activity"]) if model.get("last_activity") else None,
                "connections": int(model.get("connections") or 0),
                "sessions": sessions_by_kernel.get(kernel_id, []),
            }
        )
    return {"kernels": kernels}
