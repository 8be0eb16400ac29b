"""The kernel API (``mlinfn_lab.data.stage``) against a real bridge (the esbuild bundle) and the
real Ceph RGW rig: a kernel-like process stages an object and gets a verified local path; the
same object staged again comes from the cache; errors come back as one sentence."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parent.parent
RIG = REPO / "scripts" / "rigs" / "ceph-rgw.sh"
TOKEN = "data-api-test-" + secrets.token_hex(8)


def rig_env() -> dict:
    subprocess.run(["bash", str(RIG), "start"], check=True, timeout=300, capture_output=True)
    out = subprocess.run(["bash", str(RIG), "env"], check=True, timeout=30, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            env[name] = value.strip("'\"")
    return env


@pytest.fixture(scope="module")
def rig():
    return rig_env()


@pytest.fixture(scope="module")
def s3(rig):
    client = boto3.client(
        "s3",
        endpoint_url=rig["S3_ENDPOINT"],
        region_name=rig["S3_REGION"],
        aws_access_key_id=rig["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=rig["S3_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}),
    )
    return client


@pytest.fixture(scope="module")
def bucket(s3):
    name = "kapi-" + secrets.token_hex(4)
    s3.create_bucket(Bucket=name)
    yield name
    for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def bridge(rig, tmp_path_factory):
    """The bundled bridge, standalone, with the rig as endpoint "rgw"."""
    work = tmp_path_factory.mktemp("bridge")
    bundle = work / "bridge.cjs"
    subprocess.run(
        ["node", str(REPO / "server-bridge" / "scripts" / "bundle.mjs"), "--outfile", str(bundle)],
        check=True, timeout=120, capture_output=True,
    )
    state = work / "state"
    (work / "token").write_text(TOKEN)
    config = {
        "stateDir": str(state),
        "data": {
            "endpoints": [{
                "id": "rgw", "url": rig["S3_ENDPOINT"], "region": rig["S3_REGION"],
                "credentials": {"kind": "static", "accessKeyIdEnv": "T_S3_KEY", "secretAccessKeyEnv": "T_S3_SECRET"},
            }],
            "cache": {"chunkBytes": 1048576},
        },
    }
    (work / "config.json").write_text(json.dumps(config))
    env = {"PATH": os.environ["PATH"], "HOME": str(work),
           # What the server extension passes: its own state dir, which the config overrides.
           "MLINFN_STATE_DIR": str(work / "server-state"),
           # The bundle runs from a temporary folder: say where burst's Python files are.
           "MLINFN_BURST_PYTHON_DIR": str(REPO / "mlinfn_lab" / "burst"),
           "T_S3_KEY": rig["S3_ACCESS_KEY_ID"], "T_S3_SECRET": rig["S3_SECRET_ACCESS_KEY"]}
    proc = subprocess.Popen(
        ["node", str(bundle), "--listen", "127.0.0.1:0", "--token-file", str(work / "token"),
         "--config", str(work / "config.json")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    address = None
    deadline = time.monotonic() + 60
    while address is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("{") and json.loads(line).get("msg") == "listening":
            address = json.loads(line)["address"]
    assert address, "the bridge did not start"
    api = state / "data-api.json"
    while not api.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield {"base": f"http://{address}", "state": state, "api": api,
           "server_state": work / "server-state", "config": work / "config.json"}
    proc.terminate()
    proc.wait(timeout=30)


def kernel(bridge, code: str, **env_vars: str) -> subprocess.CompletedProcess:
    """Run code in a fresh Python process, as a kernel would (same user, no Jupyter token)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
           "MLINFN_STATE_DIR": str(bridge["state"]), "PYTHONPATH": str(REPO), **env_vars}
    env = {k: v for k, v in env.items() if v}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_the_api_file_is_private(bridge):
    info = json.loads(bridge["api"].read_text())
    assert set(info) == {"socket", "token", "pid"}
    assert bridge["api"].stat().st_mode & 0o777 == 0o600
    assert Path(info["socket"]).stat().st_mode & 0o777 == 0o600


def test_stage_from_a_kernel_gives_a_verified_local_copy(bridge, s3, bucket):
    body = os.urandom(6 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key="runs/run 1/événements.csv", Body=body)
    code = (
        "from mlinfn_lab.data import stage\n"
        f"p = stage('rgw', {bucket!r}, 'runs/run 1/événements.csv')\n"
        "print('PATH=' + p)\n"
    )
    res = kernel(bridge, code)
    assert res.returncode == 0, res.stderr
    path = Path([l for l in res.stdout.splitlines() if l.startswith("PATH=")][0][5:].strip())
    assert path.suffix == ".csv"
    assert str(path).startswith(str(bridge["state"] / "data-cache"))
    assert hashlib.md5(path.read_bytes()).hexdigest() == hashlib.md5(body).hexdigest()
    # Shown in the panel's cache listing too, verified.
    req = urllib.request.Request(bridge["base"] + "/api/data/cache", headers={"Authorization": f"Bearer {TOKEN}"})
    entries = json.load(urllib.request.urlopen(req))["entries"]
    entry = [e for e in entries if e["key"] == "runs/run 1/événements.csv"][0]
    assert entry["state"] == "ready" and entry["verified"] == "md5" and entry["localPath"] == str(path)
    # Again: from the cache, same path.
    again = kernel(bridge, code)
    assert again.returncode == 0, again.stderr
    assert f"PATH={path}" in again.stdout


def test_progress_events_reach_the_kernel(bridge, s3, bucket, monkeypatch):
    s3.put_object(Bucket=bucket, Key="big.bin", Body=os.urandom(24 * 1024 * 1024))
    monkeypatch.setenv("MLINFN_DATA_API", str(bridge["api"]))
    from mlinfn_lab.data import stage

    events = []
    path = stage("rgw", bucket, "big.bin", progress=False, on_progress=events.append)
    assert Path(path).stat().st_size == 24 * 1024 * 1024
    assert all(e["type"] == "stage" and e["size"] == 24 * 1024 * 1024 for e in events)


def test_errors_are_one_sentence(bridge, bucket, monkeypatch, tmp_path):
    monkeypatch.setenv("MLINFN_DATA_API", str(bridge["api"]))
    from mlinfn_lab.data import StageError, stage

    with pytest.raises(StageError, match="no such object"):
        stage("rgw", bucket, "missing.root", progress=False)
    with pytest.raises(StageError, match='no storage endpoint "elsewhere"'):
        stage("elsewhere", bucket, "x", progress=False)
    with pytest.raises(StageError, match="key"):
        stage("rgw", bucket, "", progress=False)
    monkeypatch.setenv("MLINFN_DATA_API", str(tmp_path / "none.json"))
    with pytest.raises(StageError, match="not running"):
        stage("rgw", bucket, "x")


STAGE_SMALL = "from mlinfn_lab.data import stage\nprint('PATH=' + stage('rgw', {bucket!r}, 'small.txt', progress=False))\n"


def test_kernels_find_a_bridge_whose_state_dir_is_set_only_in_its_config(bridge, s3, bucket, tmp_path):
    s3.put_object(Bucket=bucket, Key="small.txt", Body=b"hello")
    # A kernel has the server's environment: the default state dir, not the config's.
    copy = bridge["server_state"] / "data-api.json"
    assert json.loads(copy.read_text()) == json.loads(bridge["api"].read_text())
    assert copy.stat().st_mode & 0o777 == 0o600
    res = kernel(bridge, STAGE_SMALL.format(bucket=bucket), MLINFN_STATE_DIR=str(bridge["server_state"]))
    assert res.returncode == 0, res.stderr
    assert "PATH=" + str(bridge["state"] / "data-cache") in res.stdout
    # Or, with the bridge config named in the environment, through its stateDir.
    res = kernel(bridge, STAGE_SMALL.format(bucket=bucket), MLINFN_STATE_DIR="", HOME=str(tmp_path),
                 MLINFN_BRIDGE_CONFIG=str(bridge["config"]))
    assert res.returncode == 0, res.stderr
    assert "PATH=" + str(bridge["state"] / "data-cache") in res.stdout
