"""Burst cells on the real backends, through a real bridge process.

A standalone bridge (`node mlinfn_lab/bridge/bridge.cjs --listen ...`, the bundle the wheel
ships) is configured with the local backend, the HTCondor personal pool of
scripts/rigs/htcondor.sh (IDTOKENS, spooling, the htcondor2 bindings helper) and the Spark
standalone master of scripts/rigs/spark.sh. Each test sends cells through its REST API and
checks what a user relies on: the cell's outputs equal those of a real local kernel, a held
job shows its reason, cancel stops the job on every backend, a bridge restart mid-job keeps
tracking it and writes its outputs into the closed notebook, and injection attempts are
refused with 400.

The rigs are started under a lease (this process's PID) and stopped at the end unless another
lease holds them (MLINFN_CONDOR_KEEP=1 / MLINFN_SPARK_KEEP=1 keep them).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
import requests

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "mlinfn_lab" / "bridge" / "bridge.cjs"
PYTHON = str(REPO / ".venv" / "bin" / "python")
JOB_TIMEOUT = 240  # seconds: a cell on a busy 2-core machine, HTCondor negotiation included

CONTEXT = "greeting = 'hello from the cell'\n"
CELL = (
    "import matplotlib.pyplot as plt\n"
    "print(greeting)\n"
    "print('second line')\n"
    "plt.plot([1, 2, 3], [4, 1, 9])\n"
    "plt.show()\n"
    "open('made-by-the-cell.txt', 'w').write('42')\n"
    "1 / 0\n"
)
SLEEPER = "import time\nprint('started', flush=True)\ntime.sleep(600)\n"


# ---------------------------------------------------------------------------------------------
# Rigs and the bridge.


def _rig(script: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REPO / "scripts" / "rigs" / script), *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def _parse_env(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        if line.startswith("export "):
            for word in shlex.split(line[len("export "):]):
                key, _, value = word.partition("=")
                env[key] = value
    return env


@pytest.fixture(scope="module")
def rigs():
    """Both rigs running; their `env` merged."""
    if os.geteuid() != 0:
        pytest.skip("the HTCondor rig needs root (debootstrap, chroot, mounts)")
    lease = str(os.getpid())
    started = {}
    for script in ("htcondor.sh", "spark.sh"):
        result = _rig(script, "start", "--lease", lease)
        assert result.returncode == 0, f"{script} start failed:\n{result.stderr[-3000:]}"
        started[script] = True
    env = {}
    for script in ("htcondor.sh", "spark.sh"):
        env.update(_parse_env(_rig(script, "env", timeout=60).stdout))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the bindings the test itself uses read CONDOR_CONFIG
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    for script, keep in (("spark.sh", "MLINFN_SPARK_KEEP"), ("htcondor.sh", "MLINFN_CONDOR_KEEP")):
        if os.environ.get(keep) != "1":
            _rig(script, "stop", "--lease", lease, timeout=180)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bridge:
    """A standalone bridge process, restartable on the same state."""

    def __init__(self, base: Path, rigs: dict[str, str]):
        if not BUNDLE.exists():
            pytest.fail(f"{BUNDLE} is missing: build it (npm run build:prod -w server-bridge)")
        self.root = base / "root"
        self.state = base / "state"
        self.root.mkdir()
        self.state.mkdir()
        self.token = "burst-test-" + os.urandom(8).hex()
        (base / "token").write_text(self.token)
        self.token_file = base / "token"
        self.log = base / "bridge.log"
        self.config = base / "config.json"
        self.config.write_text(json.dumps({
            "stateDir": str(self.state),
            "logLevel": "info",
            "burst": {
                # Short: a test sees the file delivery without waiting long for a front end.
                "deliveryAckSeconds": 3,
                "reconcileIntervalSeconds": 1,
                "backends": [
                    {"id": "local", "kind": "local", "python": PYTHON},
                    {"id": "pool", "kind": "htcondor", "title": "Test pool",
                     "pool": rigs["CONDOR_POOL"], "schedd": rigs["CONDOR_SCHEDD_NAME"],
                     "condorConfig": rigs["MLINFN_CONDOR_CONFIG"],
                     "tokenDir": rigs["MLINFN_CONDOR_TOKEN_DIR"], "helperPython": PYTHON},
                    {"id": "badpool", "kind": "htcondor", "pool": rigs["CONDOR_POOL"],
                     "schedd": rigs["CONDOR_SCHEDD_NAME"],
                     "condorConfig": rigs["MLINFN_CONDOR_CONFIG"], "helperPython": PYTHON,
                     "workerPython": "/nonexistent/python3"},
                    {"id": "spark", "kind": "spark", "master": rigs["SPARK_MASTER"],
                     "masterWebUi": rigs["SPARK_MASTER_WEBUI"],
                     "sparkSubmit": rigs["MLINFN_SPARK_SUBMIT"], "python": PYTHON},
                ],
            },
        }))
        self.env = {**os.environ, "MLINFN_ROOT_DIR": str(self.root)}
        self.env.pop("MPLBACKEND", None)
        for key in ("SPARK_LOCAL_IP", "SPARK_HOME"):
            if key in rigs:
                self.env[key] = rigs[key]
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            ["node", str(BUNDLE), "--listen", f"127.0.0.1:{self.port}",
             "--token-file", str(self.token_file), "--config", str(self.config)],
            cwd=self.root, env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", headers=self.headers, timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.2)
        pytest.fail("the bridge did not start:\n" + self.log.read_text()[-3000:])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.proc = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str):
        return requests.get(self.url + path, headers=self.headers, timeout=30)

    def post(self, path: str, body):
        return requests.post(self.url + path, headers=self.headers, json=body, timeout=200)

    def job(self, job_id: str) -> dict:
        answer = self.get(f"/api/burst/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def wait(self, job_id: str, states: set[str], timeout: float = JOB_TIMEOUT, **fields) -> dict:
        deadline = time.monotonic() + timeout
        job = None
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["state"] in states and all(job.get(k) == v for k, v in fields.items()):
                return job
            if job["state"] in {"completed", "failed", "cancelled"} and job["state"] not in states:
                break
            time.sleep(0.5)
        log = self.get(f"/api/burst/jobs/{job_id}/log").json().get("text", "")
        pytest.fail(f"job not in {states} {fields}: {job}\n--- job log\n{log[-2000:]}\n"
                    f"--- bridge log\n{self.log.read_text()[-2000:]}")

    def notebook(self, name: str, sources: list[str]) -> dict:
        """A notebook file in the root; returns its cells' ids."""
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
        nbformat.write(nb, self.root / name)
        return nb

    def submit(self, backend: str, nb_name: str, nb, index: int, **extra) -> dict:
        cells = nb.cells
        body = {
            "backend": backend,
            "notebookPath": nb_name,
            "cellId": cells[index].id,
            "cellIndex": index,
            "code": cells[index].source,
            "contextCells": [{"id": c.id, "code": c.source} for c in cells[:index]],
            "resources": {"cpus": 1, "memoryMB": 512, "walltimeMinutes": 30},
            "deliver": "file",
            **extra,
        }
        answer = self.post("/api/burst/jobs", body)
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def bridge(rigs, tmp_path_factory):
    b = Bridge(tmp_path_factory.mktemp("burst"), rigs)
    yield b
    b.stop()


# ---------------------------------------------------------------------------------------------
# The reference: the same cells in a real local kernel, as JupyterLab runs them.


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CONTEXT), nbformat.v4.new_code_cell(CELL)]
    workdir = tmp_path_factory.mktemp("reference")
    env_backend = os.environ.pop("MPLBACKEND", None)
    try:
        NotebookClient(nb, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        if env_backend is not None:
            os.environ["MPLBACKEND"] = env_backend
    return nb.cells[1].outputs


def _shape(outputs) -> list[tuple]:
    """What must be equal: types in order, MIME keys, stream text, ename and evalue."""
    shape = []
    for o in outputs:
        kind = o["output_type"]
        if kind == "stream":
            text = o["text"] if isinstance(o["text"], str) else "".join(o["text"])
            shape.append((kind, o["name"], text))
        elif kind in ("display_data", "execute_result"):
            shape.append((kind, tuple(sorted(o["data"]))))
        elif kind == "error":
            shape.append((kind, o["ename"], o["evalue"]))
    return shape


# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_jobs(bridge):
    """The same two cells sent to each backend at once."""
    jobs = {}
    for backend in ("local", "pool", "spark"):
        name = f"outputs-{backend}.ipynb"
        nb = bridge.notebook(name, [CONTEXT, CELL])
        jobs[backend] = (name, nb, bridge.submit(backend, name, nb, 1))
    return {b: (name, nb, bridge.wait(job["id"], {"failed"}, delivery="file"))
            for b, (name, nb, job) in jobs.items()}


@pytest.mark.parametrize("backend", ["local", "pool", "spark"])
def test_outputs_match_a_real_kernel(bridge, reference, finished_jobs, backend):
    name, nb, job = finished_jobs[backend]
    assert _shape(reference) == [
        ("stream", "stdout", "hello from the cell\nsecond line\n"),
        ("display_data", ("image/png", "text/plain")),
        ("error", "ZeroDivisionError", "division by zero"),
    ]
    # The job failed because the cell raised, and still has the cell's outputs.
    assert job["error"] == "ZeroDivisionError: division by zero"
    assert job["hasOutputs"] is True
    assert _shape(job["outputs"]) == _shape(reference)
    assert job["outputs"][1]["data"]["image/png"].startswith("iVBORw0KGgo")  # a real PNG
    assert any("ZeroDivisionError" in line for line in job["outputs"][2]["traceback"])
    # Delivered into the closed file: only that cell changed.
    on_disk = nbformat.read(bridge.root / name, as_version=4)
    assert _shape(on_disk.cells[1].outputs) == _shape(reference)
    assert on_disk.cells[1].execution_count == job["executionCount"] == 2
    assert on_disk.cells[0].outputs == [] and on_disk.cells[0].execution_count is None
    assert [c.source for c in on_disk.cells] == [CONTEXT, CELL]
    # The file the cell wrote, next to the notebook.
    stem = name.removesuffix(".ipynb")
    assert job["producedFiles"] == [
        {"path": f"{stem}.burst/{job['id']}/made-by-the-cell.txt", "bytes": 2}
    ]
    assert (bridge.root / f"{stem}.burst" / job["id"] / "made-by-the-cell.txt").read_text() == "42"
    # The log has the cell's printed output.
    log = bridge.get(f"/api/burst/jobs/{job['id']}/log?offset=0").json()
    assert "hello from the cell" in log["text"] and log["complete"] is True


def test_backends_list(bridge):
    answer = bridge.get("/api/burst/backends").json()
    kinds = {b["id"]: (b["kind"], b["liveLogs"], b["available"]) for b in answer["backends"]}
    assert kinds["local"] == ("local", "stream", True)
    assert kinds["pool"][:2] == ("htcondor", "at-completion")
    assert kinds["spark"][:2] == ("spark", "stream")
    assert answer["defaultBackend"] == "local"


def test_held_job_shows_its_reason(bridge):
    nb = bridge.notebook("held.ipynb", ["print(1)"])
    job = bridge.submit("badpool", "held.ipynb", nb, 0)
    held = bridge.wait(job["id"], {"held"})
    assert "/nonexistent/python3" in held["holdReason"], held
    assert held["holdReasonCode"] == 6
    answer = bridge.post(f"/api/burst/jobs/{job['id']}/cancel", {})
    assert answer.status_code == 200, answer.text
    cancelled = bridge.wait(job["id"], {"cancelled"})
    assert "holdReason" not in cancelled and cancelled["hasOutputs"] is False


def _spark_app_state(rigs, name: str) -> str | None:
    with urllib.request.urlopen(rigs["SPARK_MASTER_WEBUI"] + "/json/", timeout=10) as r:
        master = json.load(r)
    for app in master.get("activeapps", []) + master.get("completedapps", []):
        if app["name"] == name:
            return app["state"]
    return None


@pytest.mark.parametrize("backend", ["local", "pool", "spark"])
def test_cancel_stops_the_job(bridge, rigs, backend):
    name = f"cancel-{backend}.ipynb"
    nb = bridge.notebook(name, [SLEEPER])
    job = bridge.submit(backend, name, nb, 0)
    running = bridge.wait(job["id"], {"running"})
    if backend != "pool":
        # Wait for the cell itself to run (its print is in the streamed log).
        deadline = time.monotonic() + JOB_TIMEOUT
        while "started" not in bridge.get(f"/api/burst/jobs/{job['id']}/log").json()["text"]:
            assert time.monotonic() < deadline, "the cell never started"
            time.sleep(0.5)
    if backend == "spark":
        deadline = time.monotonic() + 60
        while _spark_app_state(rigs, f"mlinfn-burst-{job['id']}") != "RUNNING":
            assert time.monotonic() < deadline, "the Spark application never ran"
            time.sleep(0.5)
    answer = bridge.post(f"/api/burst/jobs/{job['id']}/cancel", {})
    assert answer.status_code == 200, answer.text
    done = bridge.wait(job["id"], {"cancelled"}, timeout=90)
    assert done["hasOutputs"] is False and done["delivery"] == "none"
    if backend in ("local", "spark"):
        pid = int(running["backendRef"].split()[-1])
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(pid), "the job's process is gone"
    if backend == "spark":
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            state = _spark_app_state(rigs, f"mlinfn-burst-{job['id']}")
            if state in ("FINISHED", "KILLED"):
                break
            time.sleep(0.5)
        assert state in ("FINISHED", "KILLED"), state
    # The file was not touched.
    assert nbformat.read(bridge.root / name, as_version=4).cells[0].outputs == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("backend", ["local", "pool"])
def test_bridge_restart_keeps_tracking_and_delivers(bridge, backend):
    name = f"restart-{backend}.ipynb"
    code = "import time\nprint('waiting', flush=True)\ntime.sleep(8)\nprint('done waiting')\n"
    nb = bridge.notebook(name, [code])
    # `frontend`, and no front end: the bridge writes the file once the ack window passes.
    job = bridge.submit(backend, name, nb, 0, deliver="frontend")
    bridge.wait(job["id"], {"running"} if backend == "local" else {"queued", "running"})
    bridge.stop(signal.SIGKILL)  # a crash: no chance to save or say goodbye
    time.sleep(1)
    bridge.start()
    done = bridge.wait(job["id"], {"completed"}, delivery="file")
    assert [o["text"] for o in done["outputs"]] == ["waiting\ndone waiting\n"]
    cell = nbformat.read(bridge.root / name, as_version=4).cells[0]
    assert cell.outputs == [{"output_type": "stream", "name": "stdout",
                             "text": "waiting\ndone waiting\n"}]
    assert cell.execution_count == 1


def test_channel_pushes_states_logs_and_outputs_and_an_ack_keeps_the_file(bridge):
    """What the Jobs panel and the cell see: states, the live log, then outputs to apply."""
    import websocket

    ws = websocket.create_connection(f"ws://127.0.0.1:{bridge.port}/ws?token={bridge.token}",
                                     timeout=60)
    try:
        assert json.loads(ws.recv())["type"] == "ready"
        ws.send(json.dumps({"type": "subscribe", "channel": "burst"}))
        code = "import time\nfor i in range(3):\n    print('line', i, flush=True)\n    time.sleep(1)\n"
        nb = bridge.notebook("live.ipynb", [code])
        before = (bridge.root / "live.ipynb").read_bytes()
        job = bridge.submit("local", "live.ipynb", nb, 0, deliver="frontend")
        ws.send(json.dumps({"type": "subscribe", "channel": f"burst/{job['id']}"}))
        states, log, outputs = [], "", None
        deadline = time.monotonic() + JOB_TIMEOUT
        while outputs is None and time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg["type"] != "data":
                continue
            payload = msg["payload"]
            if payload["type"] == "job" and payload["job"]["id"] == job["id"]:
                states.append(payload["job"]["state"])
            elif payload["type"] == "log" and payload["id"] == job["id"]:
                if "line 0" in payload["text"]:
                    assert "completed" not in states, "the log streams while the job runs"
                log += payload["text"]
            elif payload["type"] == "outputs" and payload["id"] == job["id"]:
                outputs = payload
        assert outputs is not None, (states, log)
        # The front end applies the outputs to the open notebook, then acknowledges.
        answer = bridge.post(f"/api/burst/jobs/{job['id']}/ack", {"delivered": True})
        assert answer.status_code == 200, answer.text
    finally:
        ws.close()
    assert "running" in states and states[-1] == "completed", states
    assert "line 0" in log and "line 2" in log
    assert outputs["cellId"] == nb.cells[0].id and outputs["notebookPath"] == "live.ipynb"
    assert outputs["outputs"] == [{"output_type": "stream", "name": "stdout",
                                   "text": "line 0\nline 1\nline 2\n"}]
    assert outputs["executionCount"] == 1
    again = bridge.post(f"/api/burst/jobs/{job['id']}/ack", {"delivered": True})
    assert again.status_code == 409, again.text
    time.sleep(2)  # past the acknowledgement window: the bridge leaves the file alone
    assert bridge.job(job["id"])["delivery"] == "frontend"
    assert (bridge.root / "live.ipynb").read_bytes() == before


ATTACKS = ["x\nqueue 100", 'x"; My.Evil = "1', "$(Cluster)", "$$(Memory)", "a\u0000b",
           "../../etc/passwd", "/etc/passwd", "a b'c"]


def test_injection_attempts_fail_with_400(bridge):
    nb = bridge.notebook("inject.ipynb", ["print('safe')"])
    good = {
        "backend": "pool", "notebookPath": "inject.ipynb", "cellId": nb.cells[0].id,
        "code": "print('safe')", "contextCells": [],
        "resources": {"cpus": 1, "memoryMB": 256, "gpus": 0, "walltimeMinutes": 5},
        "inputFiles": [], "deliver": "file",
    }
    jobs_before = len(bridge.get("/api/burst/jobs").json()["jobs"])
    sandboxes_before = set((bridge.state / "burst" / "jobs").iterdir())
    cases = []
    for attack in ATTACKS:
        cases += [
            {"backend": attack},
            {"cellId": attack},
            {"contextCells": [{"id": attack, "code": "x"}]},
            {"inputFiles": [attack]},
            {"resources": {**good["resources"], "image": attack}},
            {"resources": {**good["resources"], "cpus": attack}},
            {"deliver": attack},
        ]
    cases += [{"notebookPath": p} for p in ("x\nqueue 100.ipynb", "a\u0000b.ipynb",
                                             "../../etc/passwd.ipynb", "/etc/passwd.ipynb",
                                             "a/./b.ipynb", "a\\b.ipynb")]
    cases += [{"inputFiles": ["../outside.txt"]}, {"resources": {"cpus": 100000}},
              {"executable": "/bin/sh"}, {"resources": {**good["resources"], "image": "ok/image:1"}}]
    for patch in cases:
        answer = bridge.post("/api/burst/jobs", {**good, **patch})
        assert answer.status_code == 400, (patch, answer.status_code, answer.text)
        body = answer.json()
        assert body["error"] == "bad_request" and body["reason"], body
    assert len(bridge.get("/api/burst/jobs").json()["jobs"]) == jobs_before
    assert set((bridge.state / "burst" / "jobs").iterdir()) == sandboxes_before
    # A notebook whose name is legal but hostile, and code with anything at all in it: the
    # name reaches the job ad percent-encoded, the code only ever travels as data.
    name = 'x"; My.Evil = "1 $(Cluster) \'q\'.ipynb'
    code = 'print("$(Cluster) $$(Memory)\\nqueue 100 \\"; My.Evil = 1")'
    nb = bridge.notebook(name, [code])
    job = bridge.submit("pool", name, nb, 0)
    done = bridge.wait(job["id"], {"completed"}, delivery="file")
    assert done["outputs"][0]["text"] == '$(Cluster) $$(Memory)\nqueue 100 "; My.Evil = 1\n'
    assert nbformat.read(bridge.root / name, as_version=4).cells[0].outputs == done["outputs"]
    ad = _condor_history(job["id"])
    assert ad["MlinfnNotebookPath"] == urllib.parse.quote(name, safe="/._-")
    assert "Evil" not in ad and ad["MlinfnCellId"] == nb.cells[0].id
    assert bridge.post("/api/burst/jobs", {**good, "notebookPath": "missing.ipynb"}).status_code == 404


def _condor_history(job_id: str) -> dict:
    """The finished job's ad, straight from the schedd (the test's own bindings client)."""
    import htcondor2

    htcondor2.reload_config()
    ads = htcondor2.Collector(os.environ["CONDOR_POOL"]).locateAll(htcondor2.DaemonType.Schedd)
    schedd = htcondor2.Schedd(next(a for a in ads if a["Name"] == os.environ["CONDOR_SCHEDD_NAME"]))
    constraint = f'MlinfnJobId == "{job_id}"'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # Retrieved jobs leave the queue within seconds, then appear in the history.
        for ad in [*schedd.query(constraint), *schedd.history(constraint, [], match=1)]:
            return {k: ad[k] for k in ad.keys()}
        time.sleep(1)
    pytest.fail(f"job {job_id} neither in the queue nor in the history")


def test_a_lost_store_is_rebuilt_from_the_pool(bridge):
    """The schedd is the source of truth: with the bridge's record gone, the job is found by its
    MlinfnJobId and its outputs still reach the notebook named in its ad."""
    name = "lost store.ipynb"
    nb = bridge.notebook(name, ["import time\ntime.sleep(5)\nprint('found again')"])
    job = bridge.submit("pool", name, nb, 0)
    bridge.stop(signal.SIGKILL)
    (bridge.state / "burst" / "jobs" / job["id"] / "job.json").unlink()
    bridge.start()
    deadline = time.monotonic() + 60
    while bridge.get(f"/api/burst/jobs/{job['id']}").status_code == 404:
        assert time.monotonic() < deadline, "the job was not found again on the pool"
        time.sleep(0.5)
    done = bridge.wait(job["id"], {"completed"}, delivery="file")
    assert done["notebookPath"] == name and done["cellId"] == nb.cells[0].id
    cell = nbformat.read(bridge.root / name, as_version=4).cells[0]
    assert cell.outputs == [{"output_type": "stream", "name": "stdout", "text": "found again\n"}]
