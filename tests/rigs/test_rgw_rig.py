"""Smoke test of the real S3 rig (scripts/rigs/ceph-rgw.sh): Ceph radosgw on loopback, a local
OIDC issuer for STS, and nginx with a per-connection rate limit in front.

These are the server behaviours the data feature builds on; each is checked against the real
server, never a mock. The rig gets its own directory and ports (MLINFN_RIG_DIR, default
.cache/rigs/rgw-pytest), so a rig a developer keeps running is left alone; it is stopped at the
end unless MLINFN_RGW_KEEP=1.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import shlex
import shutil
import stat
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "rigs" / "ceph-rgw.sh"
RIG_DIR = Path(os.environ.get("MLINFN_RIG_DIR", REPO / ".cache" / "rigs" / "rgw-pytest"))
RATE = "10m"  # nginx limit_rate: 10 MiB/s per connection
MiB = 2**20

# A direct opener: no proxy from the environment may stand between the tests and loopback.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _issuer_module():
    spec = importlib.util.spec_from_file_location(
        "mlinfn_oidc_issuer", REPO / "scripts" / "rigs" / "oidc-issuer.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _packages_installed() -> bool:
    res = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}\n", "radosgw", "ceph-mon", "ceph-osd", "nginx"],
        capture_output=True, text=True, check=False,
    )
    return res.returncode == 0 and res.stdout.count("install ok installed") == 4


@pytest.fixture(scope="session")
def rig():
    if shutil.which("radosgw") is None and shutil.which("apt-get") is None:
        pytest.skip("needs Debian's radosgw (or apt-get to install it)")
    env = {**os.environ, "MLINFN_RIG_DIR": str(RIG_DIR)}
    # The start itself is bounded (60 s per daemon); a first run also installs the packages.
    limit = 150 if _packages_installed() else 420
    t0 = time.monotonic()
    try:
        res = subprocess.run(
            [str(SCRIPT), "start", "--rate-limit", RATE], env=env, capture_output=True,
            text=True, timeout=limit, check=False,
        )
    except subprocess.TimeoutExpired as e:
        subprocess.run([str(SCRIPT), "stop"], env=env, timeout=60, check=False)
        pytest.fail(f"rig start timed out after {limit} s:\n{e.stderr}")
    if res.returncode != 0:
        subprocess.run([str(SCRIPT), "stop"], env=env, timeout=60, check=False)
        pytest.fail(f"rig start failed (rc {res.returncode}):\n{res.stdout}\n{res.stderr}")
    out = subprocess.run(
        [str(SCRIPT), "env"], env=env, capture_output=True, text=True, timeout=30, check=True
    ).stdout
    values = {}
    for line in out.splitlines():
        if line.startswith("export "):
            k, _, v = line[len("export "):].partition("=")
            values[k] = shlex.split(v)[0] if v else ""
    values["_start_seconds"] = f"{time.monotonic() - t0:.1f}"
    try:
        yield values
    finally:
        if os.environ.get("MLINFN_RGW_KEEP") != "1":
            subprocess.run([str(SCRIPT), "stop"], env=env, timeout=60, check=False)


CFG = Config(
    s3={"addressing_style": "path"},
    signature_version="s3v4",
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
    retries={"max_attempts": 1, "mode": "standard"},
    connect_timeout=5,
    read_timeout=60,
)


def s3_client(rig, endpoint=None, creds=None):
    creds = creds or {
        "aws_access_key_id": rig["S3_ACCESS_KEY_ID"],
        "aws_secret_access_key": rig["S3_SECRET_ACCESS_KEY"],
    }
    return boto3.client(
        "s3", endpoint_url=endpoint or rig["S3_ENDPOINT"], region_name=rig["S3_REGION"],
        config=CFG, **creds,
    )


@pytest.fixture(scope="session")
def s3(rig):
    return s3_client(rig)


@pytest.fixture(scope="session")
def bucket(s3):
    name = f"rig-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="hello.txt", Body=b"hello, rgw\n", ContentType="text/plain")
    return name


def http(url, method="GET", data=None, headers=None, timeout=30):
    """(status, headers, body) of a plain HTTP request; HTTP errors are answers, not raises."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with HTTP.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def error_code(body: bytes) -> str:
    text = body.decode(errors="replace")
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else text[:200]


# --- the rig itself -------------------------------------------------------------------------


def test_rig_env_and_key_file(rig):
    for k in ("S3_ENDPOINT", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_REGION",
              "OIDC_ISSUER", "S3_ROLE_ARN", "S3_ENDPOINT_RATE_LIMITED"):
        assert rig.get(k), k
    for k in ("S3_ENDPOINT", "OIDC_ISSUER", "S3_ENDPOINT_RATE_LIMITED"):
        assert urllib.parse.urlsplit(rig[k]).hostname == "127.0.0.1", k
    mode = stat.S_IMODE((RIG_DIR / "keys.env").stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert stat.S_IMODE((RIG_DIR / "oidc" / "key.pem").stat().st_mode) == 0o600


def test_start_is_idempotent(rig):
    env = {**os.environ, "MLINFN_RIG_DIR": str(RIG_DIR)}
    t0 = time.monotonic()
    res = subprocess.run([str(SCRIPT), "start", "--rate-limit", RATE], env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    assert "already running" in res.stderr
    assert time.monotonic() - t0 < 20
    assert subprocess.run([str(SCRIPT), "status"], env=env, capture_output=True,
                          timeout=30, check=False).returncode == 0


def test_issuer_serves_discovery_and_jwks_with_x5c(rig):
    status, _, body = http(rig["OIDC_ISSUER"] + "/.well-known/openid-configuration")
    assert status == 200
    conf = json.loads(body)
    assert conf["issuer"] == rig["OIDC_ISSUER"]
    status, _, body = http(conf["jwks_uri"])
    assert status == 200
    keys = json.loads(body)["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["x5c"]


# --- S3 -------------------------------------------------------------------------------------


def test_bucket_put_get_list(s3, bucket):
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    obj = s3.get_object(Bucket=bucket, Key="hello.txt")
    assert obj["Body"].read() == b"hello, rgw\n"
    assert obj["ETag"].strip('"') == hashlib.md5(b"hello, rgw\n").hexdigest()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert "hello.txt" in keys


def test_presigned_get_and_put(s3, bucket):
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "hello.txt"}, ExpiresIn=300)
    status, _, body = http(url)
    assert (status, body) == (200, b"hello, rgw\n")

    put = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "put-by-url.bin"}, ExpiresIn=300)
    status, headers, _ = http(put, method="PUT", data=b"\x00" * 1000)
    assert status == 200
    assert headers["ETag"].strip('"') == hashlib.md5(b"\x00" * 1000).hexdigest()
    assert s3.get_object(Bucket=bucket, Key="put-by-url.bin")["Body"].read() == b"\x00" * 1000


def test_presigned_url_expires(s3, bucket):
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "hello.txt"}, ExpiresIn=1)
    time.sleep(2.5)
    status, _, body = http(url)
    assert status == 403, body
    assert error_code(body) == "AccessDenied"


def test_tampered_presigned_url_refused(s3, bucket):
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "hello.txt"}, ExpiresIn=300)
    sig = url.rsplit("X-Amz-Signature=", 1)[1]
    bad_sig = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    status, _, body = http(bad_sig)
    # Ceph 16 answers AccessDenied here (not SignatureDoesNotMatch, as AWS and later Ceph do).
    assert status == 403 and error_code(body) in ("AccessDenied", "SignatureDoesNotMatch"), body
    # The signature covers the key and the expiry too.
    for tampered in (url.replace("/hello.txt?", "/put-by-url.bin?"),
                     url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000")):
        status, _, body = http(tampered)
        assert status == 403, (tampered, body)


def test_wrong_secret_refused(rig, bucket):
    bad = s3_client(rig, creds={"aws_access_key_id": rig["S3_ACCESS_KEY_ID"],
                                "aws_secret_access_key": "x" * 40})
    with pytest.raises(ClientError) as err:
        bad.get_object(Bucket=bucket, Key="hello.txt")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Ceph 16 says AccessDenied for every signature mismatch (AWS: SignatureDoesNotMatch).
    assert err.value.response["Error"]["Code"] in ("AccessDenied", "SignatureDoesNotMatch")


def _complete_multipart(s3, bucket, key, parts):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)
    done = []
    for n, part in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=n,
                           Body=part)
        assert r["ETag"].strip('"') == hashlib.md5(part).hexdigest()
        done.append({"ETag": r["ETag"], "PartNumber": n})
    return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": done})


def md5_of_md5s(parts) -> str:
    return hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + \
        f"-{len(parts)}"


def test_multipart_etag_is_md5_of_md5s(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]  # 5 MiB minimum part
    res = _complete_multipart(s3, bucket, "mp/three-parts.bin", parts)
    want = md5_of_md5s(parts)
    # Ceph 16.2.15 answers CompleteMultipartUpload with an empty <ETag/>; HEAD has the real one.
    assert res.get("ETag", "").strip('"') in ("", want)
    head = s3.head_object(Bucket=bucket, Key="mp/three-parts.bin")
    assert head["ETag"].strip('"') == want
    assert head["ContentLength"] == sum(len(p) for p in parts)


def test_multipart_upload_200mb(s3, bucket):
    part = 16 * MiB
    data = os.urandom(200 * MiB)
    from boto3.s3.transfer import TransferConfig
    t0 = time.monotonic()
    s3.upload_fileobj(io.BytesIO(data), bucket, "big/200mb.bin", Config=TransferConfig(
        multipart_threshold=part, multipart_chunksize=part, max_concurrency=4))
    elapsed = time.monotonic() - t0
    head = s3.head_object(Bucket=bucket, Key="big/200mb.bin")
    assert head["ContentLength"] == 200 * MiB
    parts = [data[i:i + part] for i in range(0, len(data), part)]
    assert head["ETag"].strip('"') == md5_of_md5s(parts)
    assert elapsed < 30, f"200 MB multipart took {elapsed:.1f} s"
    # A ranged read from the middle comes back intact.
    r = s3.get_object(Bucket=bucket, Key="big/200mb.bin",
                      Range=f"bytes={100 * MiB}-{101 * MiB - 1}")
    assert r["Body"].read() == data[100 * MiB:101 * MiB]


def test_bucket_cors(s3, bucket, rig):
    rules = [{
        "AllowedOrigins": ["http://127.0.0.1:8888"],
        "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 600,
    }]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert got[0]["AllowedOrigins"] == rules[0]["AllowedOrigins"]
    assert got[0]["ExposeHeaders"] == ["ETag"]
    # A browser's preflight for a pre-signed PUT, and the ETag exposed on the answer.
    status, headers, _ = http(
        f"{rig['S3_ENDPOINT']}/{bucket}/upload.bin", method="OPTIONS",
        headers={"Origin": "http://127.0.0.1:8888", "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "content-type"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8888"
    assert "PUT" in headers["Access-Control-Allow-Methods"]
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "hello.txt"}, ExpiresIn=300)
    status, headers, _ = http(url, headers={"Origin": "http://127.0.0.1:8888"})
    assert status == 200
    assert "etag" in headers.get("Access-Control-Expose-Headers", "").lower()
    # Another origin gets no CORS grant.
    status, headers, _ = http(
        f"{rig['S3_ENDPOINT']}/{bucket}/upload.bin", method="OPTIONS",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"})
    assert headers.get("Access-Control-Allow-Origin") is None


# --- STS AssumeRoleWithWebIdentity with the local issuer ------------------------------------


@pytest.fixture(scope="session")
def issuer(rig):
    return _issuer_module()


def assume_role(rig, token, duration=900):
    """AssumeRoleWithWebIdentity as a plain form POST: (status, body)."""
    form = urllib.parse.urlencode({
        "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
        "RoleArn": rig["S3_ROLE_ARN"], "RoleSessionName": "rig-test",
        "DurationSeconds": str(duration), "WebIdentityToken": token,
    }).encode()
    status, _, body = http(rig["S3_ENDPOINT"] + "/", method="POST", data=form,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    return status, body


def test_sts_web_identity_gives_working_keys(rig, s3, bucket, issuer):
    token = issuer.sign(rig["OIDC_RIG_DIR"], sub="alice", aud=rig["OIDC_CLIENT_ID"], ttl=600)
    sts = boto3.client("sts", endpoint_url=rig["S3_ENDPOINT"], region_name=rig["S3_REGION"],
                       aws_access_key_id="unused", aws_secret_access_key="unused", config=CFG)
    res = sts.assume_role_with_web_identity(
        RoleArn=rig["S3_ROLE_ARN"], RoleSessionName="rig-test", WebIdentityToken=token,
        DurationSeconds=900)
    assert res["SubjectFromWebIdentityToken"] == "alice"
    creds = res["Credentials"]
    left = creds["Expiration"].timestamp() - time.time()
    assert 800 < left <= 905, left
    tmp = s3_client(rig, creds={
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    })
    keys = [o["Key"] for o in tmp.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert "hello.txt" in keys
    assert tmp.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hello, rgw\n"
    # A URL pre-signed with the temporary keys works too (it carries the session token).
    url = tmp.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "hello.txt"}, ExpiresIn=60)
    assert "X-Amz-Security-Token=" in url
    assert http(url)[0] == 200
    # Without the session token the temporary keys are worthless.
    bare = s3_client(rig, creds={"aws_access_key_id": creds["AccessKeyId"],
                                 "aws_secret_access_key": creds["SecretAccessKey"]})
    with pytest.raises(ClientError) as err:
        bare.list_objects_v2(Bucket=bucket)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize("bad", ["expired", "bad_signature", "wrong_audience", "garbage"])
def test_sts_refuses_bad_tokens(rig, issuer, bad):
    d = rig["OIDC_RIG_DIR"]
    token = {
        "expired": lambda: issuer.sign(d, expired=True),
        "bad_signature": lambda: issuer.sign(d, bad_signature=True),
        "wrong_audience": lambda: issuer.sign(d, aud="someone-else"),
        "garbage": lambda: "not.a.jwt",
    }[bad]()
    status, body = assume_role(rig, token)
    # RGW answers S3-style <Error> XML (no <ErrorResponse> wrapper): botocore reports "Unknown".
    assert status in (400, 403), (status, body)
    assert error_code(body) in ("AccessDenied", "InvalidIdentityToken", "InvalidParameterValue")


def test_sts_valid_token_via_raw_post(rig, issuer):
    status, body = assume_role(rig, issuer.sign(rig["OIDC_RIG_DIR"]))
    assert status == 200, body
    assert b"<SessionToken>" in body


# --- nginx with a per-connection rate limit -------------------------------------------------


def test_rate_limited_endpoint(rig, s3, bucket):
    size = 40 * MiB
    s3.put_object(Bucket=bucket, Key="rate/40mb.bin", Body=os.urandom(size))
    limited = s3_client(rig, endpoint=rig["S3_ENDPOINT_RATE_LIMITED"])
    # Signed requests pass through (nginx keeps the Host header that SigV4 signs).
    assert limited.head_object(Bucket=bucket, Key="rate/40mb.bin")["ContentLength"] == size
    url = limited.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "rate/40mb.bin"}, ExpiresIn=300)
    # nginx lets the first 1-2 s worth through at once (its clock counts whole seconds), so the
    # steady rate is measured from 24 MiB on.
    marks = {}
    got = 0
    with HTTP.open(url, timeout=60) as r:
        assert r.status == 200
        while chunk := r.read(256 * 1024):
            got += len(chunk)
            for m in (24 * MiB, 40 * MiB):
                if got >= m and m not in marks:
                    marks[m] = time.monotonic()
    assert got == size
    rate = 16 * MiB / (marks[40 * MiB] - marks[24 * MiB]) / MiB
    assert 5 < rate < 14, f"{rate:.1f} MiB/s through a 10 MiB/s per-connection limit"
    # Signatures are still checked behind the proxy.
    sig = url.rsplit("X-Amz-Signature=", 1)[1]
    assert http(url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:]))[0] == 403
