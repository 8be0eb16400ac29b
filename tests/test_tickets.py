"""Unit tests of ticket signing and bridge call-back auth, with Node's crypto as the second opinion.

The Node snippets re-implement what docs/protocol.md tells the bridge to do (b64url without
padding, HMAC-SHA256 keyed with the raw secret bytes decoded from MLINFN_BRIDGE_SECRET's hex),
so agreement proves the two languages read the protocol the same way.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from mlinfn_lab.tickets import (
    TicketError,
    b64url_encode,
    bridge_auth_header,
    check_bridge_auth,
    encode_payload,
    sign_ticket,
    verify_ticket,
)

KEY = bytes(range(32))
AUD = "0123456789abcdef0123456789abcdef"
PAYLOAD = {
    "sub": "alice",
    "name": "Alice Liddell",
    "initials": "AL",
    "color": "var(--jp-collaborator-color1)",
    "perms": {"contents": ["read", "write"], "kernels": ["read", "write", "execute"]},
    "aud": AUD,
    "iat": 1764000000,
    "exp": 1764000300,
}
GOLDEN_TICKET = (
    "v1.eyJzdWIiOiJhbGljZSIsIm5hbWUiOiJBbGljZSBMaWRkZWxsIiwiaW5pdGlhbHMiOiJBTCIsImNvbG9yIjoidmFy"
    "KC0tanAtY29sbGFib3JhdG9yLWNvbG9yMSkiLCJwZXJtcyI6eyJjb250ZW50cyI6WyJyZWFkIiwid3JpdGUiXSwia2Vy"
    "bmVscyI6WyJyZWFkIiwid3JpdGUiLCJleGVjdXRlIl19LCJhdWQiOiIwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFi"
    "Y2RlZiIsImlhdCI6MTc2NDAwMDAwMCwiZXhwIjoxNzY0MDAwMzAwfQ"
    ".NiSsImmruetpJavEsu_iLgopRnr_8QvozfdC3NNElwg"
)
GOLDEN_BRIDGE_AUTH = "1764000000.6c58cc12888b7d9d83ce289c445222130e2fa374c1f060a8ae39ee8e7dd2e136"

NODE_SIGN = r"""
const crypto = require('node:crypto');
const [secretHex, payloadJson] = process.argv.slice(1);
const key = Buffer.from(secretHex, 'hex');
const body = 'v1.' + Buffer.from(payloadJson, 'utf8').toString('base64url');
const sig = crypto.createHmac('sha256', key).update(body).digest('base64url');
process.stdout.write(body + '.' + sig);
"""

NODE_VERIFY = r"""
const crypto = require('node:crypto');
const [secretHex, ticket] = process.argv.slice(1);
const key = Buffer.from(secretHex, 'hex');
const [v, p, s] = ticket.split('.');
const expected = crypto.createHmac('sha256', key).update(v + '.' + p).digest();
const given = Buffer.from(s, 'base64url');
const ok = v === 'v1' && given.length === expected.length && crypto.timingSafeEqual(given, expected);
const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
process.stdout.write(JSON.stringify({ ok, payload, restringified: JSON.stringify(payload) }));
"""

NODE_BRIDGE_AUTH = r"""
const crypto = require('node:crypto');
const [secretHex, seconds] = process.argv.slice(1);
const mac = crypto.createHmac('sha256', Buffer.from(secretHex, 'hex')).update('bridge:' + seconds).digest('hex');
process.stdout.write(seconds + '.' + mac);
"""


def node(script: str, *args: str) -> str:
    """Run a Node snippet and return its stdout."""
    exe = shutil.which("node")
    assert exe, "Node.js is required for the cross-language tests (the bridge runs on it)"
    return subprocess.run(
        [exe, "-e", script, *args], check=True, capture_output=True, text=True, timeout=30
    ).stdout


def test_b64url_has_no_padding() -> None:
    assert b64url_encode(b"\xff\xfe") == "__4"
    assert "=" not in b64url_encode(b"a")


def test_golden_ticket() -> None:
    assert sign_ticket(PAYLOAD, KEY) == GOLDEN_TICKET


def test_golden_ticket_from_node() -> None:
    assert node(NODE_SIGN, KEY.hex(), encode_payload(PAYLOAD).decode()) == GOLDEN_TICKET


def test_node_verifies_python_ticket_with_non_ascii_payload() -> None:
    payload = dict(PAYLOAD, sub="zoë", name="Zoë Ağaoğlu — 東京", initials="ZA")
    ticket = sign_ticket(payload, KEY)
    result = json.loads(node(NODE_VERIFY, KEY.hex(), ticket))
    assert result["ok"] is True
    assert result["payload"] == payload
    # JSON.stringify of the parsed payload gives back exactly the bytes Python signed.
    assert result["restringified"].encode() == encode_payload(payload)
    # ... and Node signing the same JSON text yields the same ticket.
    assert node(NODE_SIGN, KEY.hex(), result["restringified"]) == ticket


def test_node_rejects_forged_ticket() -> None:
    ticket = sign_ticket(PAYLOAD, KEY)
    forged = sign_ticket(dict(PAYLOAD, sub="mallory"), KEY)
    tampered = forged.rsplit(".", 1)[0] + "." + ticket.rsplit(".", 1)[1]
    assert json.loads(node(NODE_VERIFY, KEY.hex(), tampered))["ok"] is False
    assert json.loads(node(NODE_VERIFY, (b"\x01" * 32).hex(), ticket))["ok"] is False


def test_verify_round_trip_and_refusals() -> None:
    ticket = sign_ticket(PAYLOAD, KEY)
    assert verify_ticket(ticket, KEY, AUD, now=1764000100) == PAYLOAD
    with pytest.raises(TicketError, match="signature"):
        verify_ticket(ticket, b"\x00" * 32, AUD, now=1764000100)
    with pytest.raises(TicketError, match="another server"):
        verify_ticket(ticket, KEY, "other", now=1764000100)
    with pytest.raises(TicketError, match="expired"):
        verify_ticket(ticket, KEY, AUD, now=1764000300 + 6)
    assert verify_ticket(ticket, KEY, AUD, now=1764000300 + 5)  # 5 s of skew
    with pytest.raises(TicketError, match="future"):
        verify_ticket(ticket, KEY, AUD, now=1764000000 - 6)
    for bad in ("", "v1.x", "v2." + ticket[3:], ticket + "x", ticket.replace(".", "..", 1)):
        with pytest.raises(TicketError):
            verify_ticket(bad, KEY, AUD, now=1764000100)


def test_bridge_auth_golden_and_node() -> None:
    assert bridge_auth_header(KEY, now=1764000000) == GOLDEN_BRIDGE_AUTH
    assert node(NODE_BRIDGE_AUTH, KEY.hex(), "1764000000") == GOLDEN_BRIDGE_AUTH


def test_check_bridge_auth_window_and_forgery() -> None:
    header = bridge_auth_header(KEY, now=1764000000)
    assert check_bridge_auth(header, KEY, now=1764000000)
    assert check_bridge_auth(header, KEY, now=1764000060)
    assert check_bridge_auth(header, KEY, now=1763999940)
    assert not check_bridge_auth(header, KEY, now=1764000061)  # stale
    assert not check_bridge_auth(header, KEY, now=1763999939)  # from the future
    assert not check_bridge_auth(header, b"\x01" * 32, now=1764000000)  # other secret
    seconds, mac = header.split(".")
    assert not check_bridge_auth(f"{int(seconds) + 1}.{mac}", KEY, now=1764000000)  # replayed MAC
    for bad in (None, "", "1764000000", "1764000000.", ".abc", "x.y", "1764000000.é", "-1." + mac):
        assert not check_bridge_auth(bad, KEY, now=1764000000)
