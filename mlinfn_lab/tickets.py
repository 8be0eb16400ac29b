"""Ticket signing and the bridge's call-back authentication (see ``docs/protocol.md``).

A ticket is ``"v1." + b64url(payload_json) + "." + b64url(HMAC_SHA256(key, "v1." + b64url(payload_json)))``
where ``b64url`` is base64url without padding and ``key`` is the 32 raw secret bytes (the bridge
receives them hex-encoded in ``MLINFN_BRIDGE_SECRET`` and decodes them before use).

The bridge proves it is the bridge when it calls back with
``X-Mlinfn-Bridge-Auth: <unix seconds>.<hex HMAC_SHA256(key, "bridge:" + seconds)>``.

This module is pure (no Jupyter imports) so that it can be unit-tested on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Dict, Mapping, Optional

TICKET_VERSION = "v1"
TICKET_TTL_SECONDS = 300
TICKET_SKEW_SECONDS = 5
BRIDGE_AUTH_HEADER = "X-Mlinfn-Bridge-Auth"
BRIDGE_AUTH_WINDOW_SECONDS = 60


class TicketError(ValueError):
    """A ticket that is malformed, forged, expired or for another server."""


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of :func:`b64url_encode`; strict about the alphabet."""
    if not text or any(c not in _B64URL_ALPHABET for c in text):
        raise TicketError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """Compact JSON, UTF-8, keys in insertion order (what ``JSON.stringify`` gives in Node)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_ticket(payload: Mapping[str, Any], key: bytes) -> str:
    """Sign ``payload`` with ``key`` (the raw secret bytes) and return the ticket string."""
    body = f"{TICKET_VERSION}.{b64url_encode(encode_payload(payload))}"
    signature = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{b64url_encode(signature)}"


def verify_ticket(
    ticket: str,
    key: bytes,
    audience: str,
    now: Optional[float] = None,
    skew: int = TICKET_SKEW_SECONDS,
) -> Dict[str, Any]:
    """Verify a ticket exactly as the bridge does and return its payload.

    Raises :class:`TicketError` when the signature does not verify, the audience differs, the
    ticket has expired (``skew`` seconds allowed) or was issued in the future.
    """
    parts = ticket.split(".")
    if len(parts) != 3 or parts[0] != TICKET_VERSION:
        raise TicketError("malformed ticket")
    body = f"{parts[0]}.{parts[1]}"
    expected = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, b64url_decode(parts[2])):
        raise TicketError("bad signature")
    try:
        payload = json.loads(b64url_decode(parts[1]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TicketError("payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise TicketError("payload is not an object")
    now = time.time() if now is None else now
    if payload.get("aud") != audience:
        raise TicketError("ticket is for another server")
    exp, iat = payload.get("exp"), payload.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int):
        raise TicketError("ticket lacks iat/exp")
    if now > exp + skew:
        raise TicketError("ticket expired")
    if iat > now + skew:
        raise TicketError("ticket issued in the future")
    return payload


def bridge_auth_header(key: bytes, now: Optional[float] = None) -> str:
    """The ``X-Mlinfn-Bridge-Auth`` value the bridge sends (used by tests and tools)."""
    seconds = str(int(time.time() if now is None else now))
    mac = hmac.new(key, f"bridge:{seconds}".encode("ascii"), hashlib.sha256).hexdigest()
    return f"{seconds}.{mac}"


def check_bridge_auth(
    header: Optional[str],
    key: bytes,
    now: Optional[float] = None,
    window: int = BRIDGE_AUTH_WINDOW_SECONDS,
) -> bool:
    """True when ``header`` is a valid bridge authentication within ``window`` seconds of now."""
    if not header or len(header) > 200:
        return False
    seconds, sep, mac = header.strip().partition(".")
    if not sep or not seconds.isascii() or not seconds.isdigit() or not mac.isascii():
        return False
    now = time.time() if now is None else now
    if abs(now - int(seconds)) > window:
        return False
    expected = hmac.new(key, f"bridge:{seconds}".encode("ascii"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, mac.lower())
