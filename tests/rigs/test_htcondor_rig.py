"""Smoke test of the real HTCondor rig (scripts/rigs/htcondor.sh).

A personal pool (Debian 13's minicondor, HTCondor 23.9) runs in a chroot on this machine; the
test process is the submit side, as a JupyterLab VM is for a remote pool: PyPI's htcondor2
bindings, a small host-side client config, IDTOKENS, spooling and retrieval. Each behaviour the
burst backend builds on is checked against the real pool, never a mock.

The rig is started by the script for the session under a lease (this process's PID) and
stopped at the end unless another lease holds it: a pool someone started by hand, or another test
session using it at the same time, is left running. MLINFN_CONDOR_KEEP=1 keeps it running. The
first run on a machine builds the cached Debian root (about a minute more).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "rigs" / "htcondor.sh"
JOB_TIMEOUT = 90  # seconds for a trivial job to go from submit to completion


def _script(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _parse_env(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        if line.startswith("export "):
            for word in shlex.split(line[len("export "):]):
                key, _, value = word.partition("=")
                env[key] = value
    return env


@pytest.fixture(scope="session")
def pool():
    """The running rig: its `env` as a dict, with the bindings configured for it."""
    if os.geteuid() != 0:
        pytest.skip("the HTCondor rig needs root (debootstrap, chroot, mounts)")
    lease = str(os.getpid())
    t0 = time.monotonic()
    started = _script("start", "--lease", lease)
    assert started.returncode == 0, f"htcondor.sh start failed:\n{started.stderr}"
    print(f"\n[htcondor rig] start took {time.monotonic() - t0:.1f} s")
    env = _parse_env(_script("env", timeout=60).stdout)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    htcondor2 = pytest.importorskip("htcondor2")
    htcondor2.reload_config()  # the bindings read CONDOR_CONFIG when first imported
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if os.environ.get("CONDOR_CONFIG"):  # with none, reload_config() complains on stderr
            htcondor2.reload_config()
        if os.environ.get("MLINFN_CONDOR_KEEP") != "1":
            stopped = _script("stop", "--lease", lease, timeout=120)
            assert stopped.returncode == 0, stopped.stderr


@pytest.fixture(scope="session")
def schedd(pool):
    import htcondor2

    ads = htcondor2.Collector(pool["CONDOR_POOL"]).locateAll(htcondor2.DaemonType.Schedd)
    ad = next(a for a in ads if a["Name"] == pool["CONDOR_SCHEDD_NAME"])
    return htcondor2.Schedd(ad)


def _job_ad(schedd, cluster: int, attrs: list[str]):
    ads = schedd.query(constraint=f"ClusterId == {cluster}", projection=attrs)
    return ads[0] if ads else None


def _wait_status(schedd, cluster: int, want: set[int], timeout: float = JOB_TIMEOUT):
    """Poll the schedd until the job's JobStatus is in `want`; fail early on a real hold."""
    deadline = time.monotonic() + timeout
    ad = None
    while time.monotonic() < deadline:
        ad = _job_ad(schedd, cluster, ["JobStatus", "HoldReason", "HoldReasonCode"])
        if ad is None:
            return None  # left the queue
        if ad["JobStatus"] in want:
            return ad
        # 16 is "Spooling input data files": normal until schedd.spool() is done.
        if ad["JobStatus"] == 5 and 5 not in want and ad.get("HoldReasonCode") != 16:
            pytest.fail(f"job {cluster} held: {ad.get('HoldReason')} (code {ad.get('HoldReasonCode')})")
        time.sleep(0.5)
    pytest.fail(f"job {cluster} not in status {want} after {timeout} s: {ad}")


def _submit(schedd, description: dict[str, str]):
    import htcondor2

    result = schedd.submit(htcondor2.Submit(description), spool=True)
    schedd.spool(result)  # uploads the input sandbox and releases the spooling hold
    return result.cluster()


def _remove(schedd, cluster: int) -> None:
    import htcondor2

    try:
        schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="test cleanup")
    except Exception:  # already gone
        pass


def _chroot_processes(root: str, needle: str) -> list[int]:
    """Processes running inside the rig's root whose command line contains `needle`."""
    real = os.path.realpath(root)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "root") != real:
                continue
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if needle in cmd:
            found.append(int(entry.name))
    return found


# ---------------------------------------------------------------------------------------------


def test_env_and_token_file(pool):
    assert pool["CONDOR_POOL"].startswith("127.0.0.1:")
    assert pool["CONDOR_SCHEDD_NAME"]
    token = Path(pool["MLINFN_CONDOR_TOKEN_FILE"])
    assert token.stat().st_mode & 0o777 == 0o600
    assert token.read_text().count(".") == 2  # a JWT: header.payload.signature
    config = Path(pool["CONDOR_CONFIG"]).read_text()
    assert "SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS" in config
    # `env` again gives the same lines: start is idempotent and quick when the pool runs.
    t0 = time.monotonic()
    again = _script("start", "--lease", str(os.getpid()), timeout=120)
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - t0 < 30
    assert _parse_env(_script("env").stdout) == pool


def test_collector_locates_schedd_and_slots(pool, schedd):
    import htcondor2

    coll = htcondor2.Collector(pool["CONDOR_POOL"])
    schedds = coll.query(htcondor2.AdType.Schedd, projection=["Name", "CondorVersion"])
    assert pool["CONDOR_SCHEDD_NAME"] in [a["Name"] for a in schedds]
    print(f"\n[htcondor rig] pool {schedds[0]['CondorVersion']}; bindings {htcondor2.version()}")
    slots = coll.query(htcondor2.AdType.Startd, projection=["Name", "Cpus", "Memory"])
    assert slots and sum(a["Cpus"] for a in slots) >= 1


def test_spooled_python_job_round_trip(pool, schedd, tmp_path):
    import htcondor2

    code = (
        'import os, pwd; print("hello from condor as", pwd.getpwuid(os.getuid()).pw_name); '
        'open("result.txt", "w").write("42\\n")'
    )
    # New-style arguments: the whole string in double quotes, one argument in single quotes,
    # a literal double quote doubled.
    arguments = '"-c ' + "'" + code.replace('"', '""') + "'" + '"'
    cluster = _submit(schedd, {
        "universe": "vanilla",
        "executable": "/usr/bin/python3",  # the pool's own python3, not sent from here
        "transfer_executable": "false",
        "arguments": arguments,
        "initialdir": str(tmp_path),
        "output": "job.out",
        "error": "job.err",
        "log": "job.log",
        "should_transfer_files": "YES",
        "when_to_transfer_output": "ON_EXIT",
        "request_cpus": "1",
        "request_memory": "128MB",
    })
    try:
        ad = _wait_status(schedd, cluster, {4})
        assert ad is not None, "a spooled job stays in the queue until its output is retrieved"
        info = _job_ad(schedd, cluster, ["Owner", "AuthTokenSubject", "ExitCode"])
        assert info["Owner"] == pool["MLINFN_CONDOR_USER"]
        assert info["AuthTokenSubject"] == f"{pool['MLINFN_CONDOR_USER']}@{pool['MLINFN_CONDOR_UID_DOMAIN']}"
        assert info["ExitCode"] == 0
        schedd.retrieve(f"ClusterId == {cluster}")
    finally:
        _remove(schedd, cluster)
    assert (tmp_path / "job.out").read_text() == f"hello from condor as {pool['MLINFN_CONDOR_USER']}\n"
    assert (tmp_path / "result.txt").read_text() == "42\n"
    assert (tmp_path / "job.err").read_text() == ""
    # The job event log comes back with the sandbox and reads with the bindings.
    events = [e.type for e in htcondor2.JobEventLog(str(tmp_path / "job.log")).events(stop_after=0)]
    for wanted in (htcondor2.JobEventType.SUBMIT, htcondor2.JobEventType.EXECUTE,
                   htcondor2.JobEventType.JOB_TERMINATED):
        assert wanted in events, events


def test_custom_attribute_queried_back(schedd, tmp_path):
    ident = f"abc-{uuid.uuid4().hex[:8]}"
    cluster = _submit(schedd, {
        "executable": "/bin/true",
        "transfer_executable": "false",
        "initialdir": str(tmp_path),
        "should_transfer_files": "YES",
        "My.MlinfnJobId": f'"{ident}"',
    })  # a spooled job stays in the queue after it completes, until its output is retrieved
    try:
        by_id = schedd.query(constraint=f'MlinfnJobId == "{ident}"',
                             projection=["ClusterId", "MlinfnJobId"])
        assert [(a["ClusterId"], a["MlinfnJobId"]) for a in by_id] == [(cluster, ident)]
    finally:
        _remove(schedd, cluster)


def test_held_job_shows_its_reason(schedd, tmp_path):
    cluster = _submit(schedd, {
        "executable": "/nonexistent/runner",
        "transfer_executable": "false",
        "initialdir": str(tmp_path),
        "should_transfer_files": "YES",
    })
    try:
        deadline = time.monotonic() + JOB_TIMEOUT
        while True:  # held, and not just the spooling hold (code 16) of a fresh spooled job
            ad = _job_ad(schedd, cluster, ["JobStatus", "HoldReason", "HoldReasonCode"])
            if ad["JobStatus"] == 5 and ad.get("HoldReasonCode") != 16:
                break
            assert time.monotonic() < deadline, f"job {cluster} never held: {ad}"
            time.sleep(0.5)
        # Code 6 (the starter could not start the job) with the cause in words: the same code a
        # pool without `MOUNT_UNDER_SCRATCH =` gives to every job, hence the reason check.
        assert "/nonexistent/runner" in ad["HoldReason"], ad
        print(f"\n[htcondor rig] held: code {ad['HoldReasonCode']}: {ad['HoldReason']}")
    finally:
        _remove(schedd, cluster)


def test_remove_cancels_running_job(pool, schedd, tmp_path):
    import htcondor2

    marker = f"sleep 3{uuid.uuid4().int % 100:02d}"  # a command line we can find in /proc
    cluster = _submit(schedd, {
        "executable": "/bin/sleep",
        "transfer_executable": "false",
        "arguments": marker.split()[1],
        "initialdir": str(tmp_path),
        "should_transfer_files": "YES",
    })
    try:
        _wait_status(schedd, cluster, {2})
        deadline = time.monotonic() + 10
        while not _chroot_processes(pool["MLINFN_CONDOR_ROOT"], marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _chroot_processes(pool["MLINFN_CONDOR_ROOT"], marker), "the job's process runs"
        result = schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}",
                            reason="cancelled by the test")
        assert result["TotalSuccess"] >= 1
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _job_ad(schedd, cluster, ["JobStatus"]) is None and not _chroot_processes(
                pool["MLINFN_CONDOR_ROOT"], marker
            ):
                break
            time.sleep(0.5)
        assert _job_ad(schedd, cluster, ["JobStatus"]) is None, "removed job left the queue"
        assert not _chroot_processes(pool["MLINFN_CONDOR_ROOT"], marker), "its process is gone"
        history = list(schedd.history(f"ClusterId == {cluster}", ["JobStatus"], match=1))
        assert history and history[0]["JobStatus"] == 3  # REMOVED
    finally:
        _remove(schedd, cluster)


def test_write_without_token_is_refused(pool, tmp_path):
    """The schedd takes no submission from a client without the token (IDTOKENS is real)."""
    (tmp_path / "tokens.d").mkdir()
    config = tmp_path / "condor_config"
    config.write_text(
        f"COLLECTOR_HOST = {pool['CONDOR_POOL']}\n"
        "SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS\n"
        f"SEC_TOKEN_DIRECTORY = {tmp_path / 'tokens.d'}\n"
        f"SEC_TOKEN_SYSTEM_DIRECTORY = {tmp_path / 'tokens.d'}\n"
    )
    probe = (
        "import htcondor2 as h\n"
        "s = h.Schedd(h.Collector().locateAll(h.DaemonType.Schedd)[0])\n"
        "try:\n"
        "    s.submit(h.Submit({'executable': '/bin/true'}), spool=True)\n"
        "except Exception as e:\n"
        "    print('REFUSED', e)\n"
        "else:\n"
        "    print('ACCEPTED')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "CONDOR_CONFIG": str(config)},
    )
    assert out.stdout.startswith("REFUSED"), out.stdout + out.stderr
    assert "IDTOKENS" in out.stdout
