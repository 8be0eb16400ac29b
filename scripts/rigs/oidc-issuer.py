#!/usr/bin/env python3
"""A tiny OIDC issuer for tests: a test signing key, its discovery document, a JWKS whose one RSA
key carries an x5c self-signed certificate (Ceph RGW verifies web identity tokens with the x5c
certificate, not with n/e), and RS256-signed JWTs on demand.

Python standard library and the `openssl` command only, so that it runs on a bare Debian machine.

    oidc-issuer.py init     --dir DIR --issuer URL      # key, cert, discovery doc, JWKS (kept)
    oidc-issuer.py serve    --dir DIR [--host 127.0.0.1] --port PORT [--pid-file F]
    oidc-issuer.py sign     --dir DIR [--sub S] [--aud A] [--ttl SECONDS] [--expired]
                                      [--bad-signature] [--claim k=v ...]
    oidc-issuer.py thumbprint --dir DIR                 # SHA-1 of the x5c cert (hex), as RGW wants
    oidc-issuer.py register --dir DIR --endpoint URL [--client-id ID] [--region R]
        # CreateOpenIDConnectProvider on RGW's IAM API; keys from AWS_ACCESS_KEY_ID /
        # AWS_SECRET_ACCESS_KEY in the environment (never on the command line)

Served paths (GET): /.well-known/openid-configuration, /jwks.json,
/protocol/openid-connect/certs (the Keycloak path that older RGW releases fetched), and the
test-only /mint?sub=&aud=&ttl= which returns a freshly signed token as text (loopback only).
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_AUD = "mlinfn-lab"
DEFAULT_SUB = "alice"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args: str, data: bytes | None = None) -> bytes:
    res = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"openssl {' '.join(args)} failed: {res.stderr.decode(errors='replace')}")
    return res.stdout


def paths(d: str) -> dict[str, str]:
    return {
        "key": os.path.join(d, "key.pem"),
        "cert": os.path.join(d, "cert.pem"),
        "other_key": os.path.join(d, "other-key.pem"),
        "conf": os.path.join(d, "openid-configuration.json"),
        "jwks": os.path.join(d, "jwks.json"),
        "issuer": os.path.join(d, "issuer"),
    }


def cert_der(d: str) -> bytes:
    return openssl("x509", "-in", paths(d)["cert"], "-outform", "DER")


def thumbprint(d: str) -> str:
    return hashlib.sha1(cert_der(d)).hexdigest()


def kid_of(d: str) -> str:
    return hashlib.sha256(cert_der(d)).hexdigest()[:16]


def cmd_init(a: argparse.Namespace) -> None:
    os.makedirs(a.dir, exist_ok=True)
    p = paths(a.dir)
    old = os.umask(0o077)
    try:
        if not (os.path.exists(p["key"]) and os.path.exists(p["cert"])):
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
                    "-keyout", p["key"], "-out", p["cert"], "-days", "3650",
                    "-subj", "/CN=mlinfn-lab test OIDC issuer")
        if not os.path.exists(p["other_key"]):  # a key the issuer does not publish
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", p["other_key"])
    finally:
        os.umask(old)
    modulus = openssl("rsa", "-in", p["key"], "-noout", "-modulus").decode().strip()
    n = int(modulus.split("=", 1)[1], 16)
    der = cert_der(a.dir)
    issuer = a.issuer.rstrip("/")
    jwk = {
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid_of(a.dir),
        "n": b64url(n.to_bytes((n.bit_length() + 7) // 8, "big")),
        "e": b64url((65537).to_bytes(3, "big")),
        "x5c": [base64.b64encode(der).decode()],
        "x5t": b64url(hashlib.sha1(der).digest()),
    }
    # Exactly one key: RGW (Pacific) strips the brackets of "keys" and parses one object.
    with open(p["jwks"], "w") as f:
        json.dump({"keys": [jwk]}, f)
    with open(p["conf"], "w") as f:
        json.dump({
            "issuer": issuer,
            "jwks_uri": issuer + "/jwks.json",
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "response_types_supported": ["code", "token", "id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }, f)
    with open(p["issuer"], "w") as f:
        f.write(issuer + "\n")


def issuer_of(d: str) -> str:
    with open(paths(d)["issuer"]) as f:
        return f.read().strip()


def sign(d: str, sub: str = DEFAULT_SUB, aud: str = DEFAULT_AUD, ttl: int = 3600,
         expired: bool = False, bad_signature: bool = False,
         extra: dict | None = None) -> str:
    now = int(time.time())
    claims = {"iss": issuer_of(d), "sub": sub, "aud": aud, "azp": aud, "client_id": aud,
              "iat": now, "nbf": now - 5, "exp": now + ttl,
              "jti": b64url(os.urandom(12)), "preferred_username": sub}
    if expired:
        claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    claims.update(extra or {})
    header = {"alg": "RS256", "typ": "JWT", "kid": kid_of(d)}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + b64url(json.dumps(claims, separators=(",", ":")).encode()))
    key = paths(d)["other_key" if bad_signature else "key"]
    sig = openssl("dgst", "-sha256", "-sign", key, data=signing_input.encode())
    return signing_input + "." + b64url(sig)


def cmd_sign(a: argparse.Namespace) -> None:
    extra = {}
    for kv in a.claim or []:
        k, _, v = kv.partition("=")
        try:
            extra[k] = json.loads(v)
        except ValueError:
            extra[k] = v
    print(sign(a.dir, a.sub, a.aud, a.ttl, a.expired, a.bad_signature, extra))


def cmd_thumbprint(a: argparse.Namespace) -> None:
    print(thumbprint(a.dir))


def cmd_serve(a: argparse.Namespace) -> None:
    d = a.dir
    p = paths(d)

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "mlinfn-test-oidc/1"

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            url = urllib.parse.urlsplit(self.path)
            path = url.path.rstrip("/")
            if path == "/.well-known/openid-configuration":
                with open(p["conf"], "rb") as f:
                    return self._send(200, f.read(), "application/json")
            if path in ("/jwks.json", "/protocol/openid-connect/certs"):
                with open(p["jwks"], "rb") as f:
                    return self._send(200, f.read(), "application/json")
            if path == "/mint":  # test only: a signed token, on loopback
                q = dict(urllib.parse.parse_qsl(url.query))
                tok = sign(d, q.get("sub", DEFAULT_SUB), q.get("aud", DEFAULT_AUD),
                           int(q.get("ttl", "3600")), q.get("expired") == "1",
                           q.get("bad_signature") == "1")
                return self._send(200, tok.encode(), "text/plain")
            if path == "/healthz":
                return self._send(200, b"ok", "text/plain")
            return self._send(404, b"not found", "text/plain")

        do_HEAD = do_GET  # noqa: N815

        def log_message(self, fmt: str, *args) -> None:  # to stderr (the rig's log file)
            sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
            sys.stderr.flush()

    srv = http.server.ThreadingHTTPServer((a.host, a.port), Handler)
    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write(str(os.getpid()))
    srv.serve_forever()


def sigv4_post(endpoint: str, region: str, service: str, params: dict[str, str]) -> tuple[int, str]:
    ak = os.environ["AWS_ACCESS_KEY_ID"]
    sk = os.environ["AWS_SECRET_ACCESS_KEY"]
    u = urllib.parse.urlsplit(endpoint)
    body = urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote).encode()
    now = dt.datetime.now(dt.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "host": u.netloc,
        "x-amz-content-sha256": payload_hash,
        "x-amz-date": amz_date,
    }
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", "",
                           "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
                           signed, payload_hash])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + sk).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, "
                                f"SignedHeaders={signed}, Signature={sig}")
    req = urllib.request.Request(endpoint.rstrip("/") + "/", data=body, method="POST",
                                 headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def cmd_register(a: argparse.Namespace) -> None:
    params = {"Action": "CreateOpenIDConnectProvider", "Version": "2010-05-08",
              "Url": issuer_of(a.dir), "ThumbprintList.member.1": thumbprint(a.dir)}
    if a.client_id:
        params["ClientIDList.member.1"] = a.client_id
    code, text = sigv4_post(a.endpoint, a.region, "iam", params)
    if code == 200 or "EntityAlreadyExists" in text:
        arn = text.split("<OpenIDConnectProviderArn>")[-1].split("</")[0] if code == 200 else ""
        print(arn or "exists")
        return
    raise SystemExit(f"CreateOpenIDConnectProvider failed: HTTP {code}: {text[:500]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("init")
    s.add_argument("--dir", required=True)
    s.add_argument("--issuer", required=True)
    s.set_defaults(fn=cmd_init)
    s = sp.add_parser("serve")
    s.add_argument("--dir", required=True)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--pid-file")
    s.set_defaults(fn=cmd_serve)
    s = sp.add_parser("sign")
    s.add_argument("--dir", required=True)
    s.add_argument("--sub", default=DEFAULT_SUB)
    s.add_argument("--aud", default=DEFAULT_AUD)
    s.add_argument("--ttl", type=int, default=3600)
    s.add_argument("--expired", action="store_true")
    s.add_argument("--bad-signature", action="store_true",
                   help="sign with a key the issuer does not publish")
    s.add_argument("--claim", action="append", metavar="K=V")
    s.set_defaults(fn=cmd_sign)
    s = sp.add_parser("thumbprint")
    s.add_argument("--dir", required=True)
    s.set_defaults(fn=cmd_thumbprint)
    s = sp.add_parser("register")
    s.add_argument("--dir", required=True)
    s.add_argument("--endpoint", required=True)
    s.add_argument("--client-id", default=DEFAULT_AUD)
    s.add_argument("--region", default="us-east-1")
    s.set_defaults(fn=cmd_register)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
