"""HTTP handlers of the ``mlinfn_lab`` server extension.

- ``GET {base_url}mlinfn/ticket``: a short-lived signed ticket for the current Jupyter user
  (Jupyter's own authentication applies).
- ``GET {base_url}mlinfn/bridge/kernels``: kernel pids and notebook paths, for the bridge only;
  authenticated by the ``X-Mlinfn-Bridge-Auth`` HMAC, not by a user cookie.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async
from tornado import web

from .context import BridgeContext
from .kernels import list_kernels
from .tickets import BRIDGE_AUTH_HEADER, TICKET_TTL_SECONDS, check_bridge_auth, sign_ticket

try:  # jupyter_server >= 2.13
    from jupyter_server.auth.decorator import allow_unauthenticated
except ImportError:  # pragma: no cover - older jupyter_server has no such check

    def allow_unauthenticated(method):  # type: ignore[no-redef]
        """No-op stand-in for jupyter_server's marker decorator."""
        return method


RESOURCES = ("contents", "kernels", "kernelspecs", "sessions", "terminals", "events", "server")
ACTIONS = ("read", "write", "execute")


def _initials(name: str) -> str:
    """Up to two initials from a display name (fallback when the identity provider has none)."""
    words = [w for w in name.replace("_", " ").replace(".", " ").split() if w]
    return "".join(w[0] for w in words[:2]).upper()


class TicketHandler(APIHandler):
    """``GET mlinfn/ticket`` → ``{"ticket", "expiresAt"}`` (``schema/ticket-response.schema.json``)."""

    # An open tab refreshes its ticket every few minutes: that is not user activity, and counting
    # it would keep JupyterHub's idle culler from ever stopping the server (and freeing its GPU).
    _track_activity = False

    def initialize(self, context: BridgeContext) -> None:
        """Receive the per-launch context."""
        self.context = context

    async def _permissions(self, user: Any) -> Dict[str, List[str]]:
        """For each Jupyter resource, the actions the Authorizer allows ``user``."""
        perms: Dict[str, List[str]] = {}
        for resource in RESOURCES:
            allowed = []
            for action in ACTIONS:
                if await ensure_async(self.authorizer.is_authorized(self, user, action, resource)):
                    allowed.append(action)
            perms[resource] = allowed
        return perms

    @web.authenticated
    async def get(self) -> None:
        """Issue a ticket for the authenticated user."""
        user = self.current_user
        username = str(getattr(user, "username", "") or "")
        if not username:
            raise web.HTTPError(403, "no user name")
        name = str(getattr(user, "display_name", "") or getattr(user, "name", "") or username)
        initials = getattr(user, "initials", None) or _initials(name)
        now = int(time.time())
        payload = {
            "sub": username[:256],
            "name": name[:256],
            "initials": str(initials)[:16],
            "color": (str(user.color)[:128] if getattr(user, "color", None) else None),
            "perms": await self._permissions(user),
            "aud": self.context.server_id,
            "iat": now,
            "exp": now + TICKET_TTL_SECONDS,
        }
        ticket = sign_ticket(payload, self.context.secret)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ticket": ticket, "expiresAt": payload["exp"]}))


class BridgeKernelsHandler(web.RequestHandler):
    """``GET mlinfn/bridge/kernels`` for the bridge (``schema/kernels.schema.json``).

    A plain tornado handler: the bridge has no user cookie or token, it proves itself with an
    HMAC of the current time under the per-launch secret. Nothing here mutates, so XSRF does
    not apply.
    """

    def initialize(self, context: BridgeContext) -> None:
        """Receive the per-launch context."""
        self.context = context

    def set_default_headers(self) -> None:
        """Never cache; JSON errors."""
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as ``{"error", "reason"}`` like the rest of the protocol."""
        reason = self._reason
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], web.HTTPError) and exc_info[1].log_message:
            reason = exc_info[1].log_message
        code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(status_code, "error")
        self.finish(json.dumps({"error": code, "reason": reason}))

    @allow_unauthenticated
    async def get(self) -> None:
        """List kernels when the bridge's HMAC header verifies, else 403."""
        if not check_bridge_auth(self.request.headers.get(BRIDGE_AUTH_HEADER), self.context.secret):
            raise web.HTTPError(403, "missing, forged or stale X-Mlinfn-Bridge-Auth")
        body = await list_kernels(
            self.settings["kernel_manager"], self.settings.get("session_manager")
        )
        self.finish(json.dumps(body))
