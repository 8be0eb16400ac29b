"""Smoke test of the real Spark rig (scripts/rigs/spark.sh): a standalone master and one worker
from PyPI's pyspark on loopback, driven the way the burst backend drives it: `spark-submit
--deploy-mode client` of a Python application, and cancel by the master (its UI's kill action)
or by stopping the driver.

The rig is started for the session under a lease (this process's PID) and stopped at the end
unless another lease holds it (a rig started by hand, another test session);
MLINFN_SPARK_KEEP=1 keeps it running.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "rigs" / "spark.sh"
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy

SUM_APP = """
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("mlinfn-rig-sum").getOrCreate()
total = spark.sparkContext.parallelize(range(1, 101), 2).map(lambda x: x * x).sum()
print("MLINFN_RESULT", total, flush=True)
spark.stop()
"""

LONG_APP = """
import time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("mlinfn-rig-long").getOrCreate()
print("MLINFN_STARTED", spark.sparkContext.applicationId, flush=True)
spark.sparkContext.parallelize(range(1), 1).foreach(lambda x: time.sleep(600))
print("MLINFN_DONE", flush=True)
"""


def _script(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="session")
def spark():
    lease = str(os.getpid())
    t0 = time.monotonic()
    started = _script("start", "--lease", lease)
    assert started.returncode == 0, f"spark.sh start failed:\n{started.stderr}"
    print(f"\n[spark rig] start took {time.monotonic() - t0:.1f} s")
    env = {}
    for line in _script("env").stdout.splitlines():
        if line.startswith("export "):
            key, _, value = shlex.split(line[len("export "):])[0].partition("=")
            env[key] = value
    try:
        yield env
    finally:
        if os.environ.get("MLINFN_SPARK_KEEP") != "1":
            stopped = _script("stop", "--lease", lease, timeout=120)
            assert stopped.returncode == 0, stopped.stderr


def _master(env) -> dict:
    with HTTP.open(env["SPARK_MASTER_WEBUI"] + "/json/", timeout=5) as r:
        return json.load(r)


def _app_state(env, app_id: str) -> str | None:
    info = _master(env)
    for app in info["activeapps"] + info["completedapps"]:
        if app["id"] == app_id:
            return app["state"]
    return None


def _executors(app_id: str) -> list[int]:
    """Executor JVMs of the application (the worker starts them with --app-id)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"org.apache.spark.executor.CoarseGrainedExecutorBackend" in cmd and app_id.encode() in cmd:
            found.append(int(entry.name))
    return found


def _submit(env, app: Path, out: Path) -> subprocess.Popen:
    cmd = [
        env["MLINFN_SPARK_SUBMIT"], "--master", env["SPARK_MASTER"], "--deploy-mode", "client",
        "--executor-memory", "512m", "--total-executor-cores", "1",
        "--conf", "spark.ui.showConsoleProgress=false", str(app),
    ]
    return subprocess.Popen(
        cmd, stdout=out.open("w"), stderr=out.with_suffix(".err").open("w"),
        env={**os.environ, **env}, start_new_session=True,
    )


def _wait_started(proc: subprocess.Popen, out: Path, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(r"MLINFN_STARTED (\S+)", out.read_text())
        if m:
            return m.group(1)
        assert proc.poll() is None, out.with_suffix(".err").read_text()[-3000:]
        time.sleep(0.3)
    pytest.fail(f"the application did not start in {timeout} s")


def _until(cond, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.3)
    pytest.fail(f"not within {timeout} s: {what}")


def _cleanup(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------------


def test_master_has_a_worker(spark):
    assert re.fullmatch(r"spark://127\.0\.0\.1:\d+", spark["SPARK_MASTER"])
    info = _master(spark)
    assert info["status"] == "ALIVE" and info["url"] == spark["SPARK_MASTER"]
    assert info["aliveworkers"] >= 1
    worker = next(w for w in info["workers"] if w["state"] == "ALIVE")
    assert 1 <= worker["cores"] <= 2 and worker["memory"] >= 1024


def test_client_mode_python_app(spark, tmp_path):
    app = tmp_path / "sum_app.py"
    app.write_text(SUM_APP)
    out = tmp_path / "sum.out"
    proc = _submit(spark, app, out)
    try:
        assert proc.wait(timeout=120) == 0, out.with_suffix(".err").read_text()[-3000:]
    finally:
        _cleanup(proc)
    assert "MLINFN_RESULT 338350" in out.read_text()
    done = [a for a in _master(spark)["completedapps"] if a["name"] == "mlinfn-rig-sum"]
    assert done and done[-1]["state"] == "FINISHED"


def test_kill_from_master_ui_cancels_app(spark, tmp_path):
    """The master's kill action (POST app/kill/, with the CSRF token Spark 4.3 puts in its page)."""
    app = tmp_path / "long_app.py"
    app.write_text(LONG_APP)
    out = tmp_path / "long.out"
    proc = _submit(spark, app, out)
    try:
        app_id = _wait_started(proc, out)
        _until(lambda: _executors(app_id), 30, "an executor runs the application")
        page = HTTP.open(spark["SPARK_MASTER_WEBUI"] + "/", timeout=5).read().decode()
        token = re.search(r'name="csrfToken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"id": app_id, "terminate": "true", "csrfToken": token})
        req = urllib.request.Request(spark["SPARK_MASTER_WEBUI"] + "/app/kill/",
                                     data=form.encode(), method="POST")
        try:
            HTTP.open(req, timeout=10)  # answers with a redirect to the master page
        except urllib.error.HTTPError as e:
            assert e.code in (302, 303), e
        assert proc.wait(timeout=30) != 0, "the driver fails once its application is killed"
        assert _app_state(spark, app_id) == "KILLED"
        _until(lambda: not _executors(app_id), 20, "the executor is gone")
        assert "MLINFN_DONE" not in out.read_text()
    finally:
        _cleanup(proc)


def test_stopping_the_driver_cancels_app(spark, tmp_path):
    app = tmp_path / "long_app.py"
    app.write_text(LONG_APP)
    out = tmp_path / "long.out"
    proc = _submit(spark, app, out)
    try:
        app_id = _wait_started(proc, out)
        _until(lambda: _executors(app_id), 30, "an executor runs the application")
        proc.send_signal(signal.SIGTERM)  # spark-submit execs the driver JVM: this is the driver
        proc.wait(timeout=30)
        _until(lambda: _app_state(spark, app_id) not in (None, "RUNNING", "WAITING"), 20,
               "the master ends the application")
        _until(lambda: not _executors(app_id), 20, "the executor is gone")
        assert "MLINFN_DONE" not in out.read_text()
    finally:
        _cleanup(proc)
