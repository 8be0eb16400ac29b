"""The HTCondor helper's ``prepare`` op (mlinfn_lab/burst/condor_helper.py), run as the bridge
runs it: one process, JSON lines in and out. The bridge sends ``prepare`` (a new job's folder
and files) ahead of the job's ``submit`` while it checks the request; the helper answers in
order, so the folder is there when the submit runs, and a submit whose folder could not be made
is refused without reaching the pool. The submit itself is exercised against the real pool in
test_burst_backends.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import mlinfn_lab

BURST = Path(mlinfn_lab.__file__).parent / "burst"


class Helper:
    def __init__(self, tmp_path: Path):
        config = tmp_path / "condor_config"
        config.write_text("")  # no pool is needed for what is tested here
        env = {**os.environ, "CONDOR_CONFIG": str(config),
               "MLINFN_CONDOR_POOL": "127.0.0.1:9"}
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(BURST / "condor_helper.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=env,
        )
        self.next_id = 0

    def send(self, op: str, **args) -> int:
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"id": self.next_id, "op": op, **args}) + "\n")
        self.proc.stdin.flush()
        return self.next_id

    def answer(self) -> dict:
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture
def helper(tmp_path):
    h = Helper(tmp_path)
    yield h
    h.close()


def files(job: str) -> list[dict]:
    return [
        {"name": "runner.py", "copyFrom": str(BURST / "runner.py")},
        {"name": "bundle.json", "text": json.dumps({"jobId": job, "cells": []})},
        {"name": "job.json", "text": '{"version": 1, "record": {"code": "print(\\"é\\")"}}',
         "mode": 0o600},
    ]


def test_prepare_makes_the_folder_with_its_files(helper, tmp_path):
    folder = tmp_path / "jobs" / "aaaabbbbccccdddd"
    helper.send("prepare", folder=str(folder), files=files("aaaabbbbccccdddd"))
    assert helper.answer() == {"id": 1, "ok": True, "result": {}}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / "runner.py").read_bytes() == (BURST / "runner.py").read_bytes()
    assert json.loads((folder / "bundle.json").read_text())["jobId"] == "aaaabbbbccccdddd"
    assert stat.S_IMODE((folder / "job.json").stat().st_mode) == 0o600
    assert json.loads((folder / "job.json").read_text(encoding="utf-8"))["record"]["code"] == \
        'print("é")'


def test_a_submit_whose_folder_failed_is_refused_before_the_pool(helper, tmp_path):
    folder = tmp_path / "jobs" / "eeeeffff00001111"
    bad = files("eeeeffff00001111") + [{"name": "../escape", "text": "x"}]
    # Sent back to back, as the bridge does: the submit is on its way before prepare answers.
    helper.send("prepare", folder=str(folder), files=bad)
    helper.send("submit", description={"initialdir": str(folder), "executable": "/bin/true"})
    prepared, submitted = helper.answer(), helper.answer()
    assert prepared["ok"] is False and "not a file name" in prepared["error"]
    assert submitted == {"id": 2, "ok": False,
                         "error": "the job's check or folder failed; not submitted"}
    assert not (tmp_path / "jobs" / "escape").exists()


def test_prepare_never_writes_into_an_existing_folder(helper, tmp_path):
    folder = tmp_path / "jobs" / "1111222233334444"
    folder.mkdir(parents=True)
    (folder / "bundle.json").write_text("mine")
    helper.send("prepare", folder=str(folder), files=files("1111222233334444"))
    assert helper.answer()["ok"] is False
    assert (folder / "bundle.json").read_text() == "mine"


def test_prepare_checks_the_notebook_before_it_writes_anything(helper, tmp_path):
    root = tmp_path / "root"
    (root / "work").mkdir(parents=True)
    (root / "work" / "nb.ipynb").write_text("{}")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "nb.ipynb").write_text("{}")
    (root / "link-out").symlink_to(outside)
    cases = {
        "work/nb.ipynb": True,
        "work/missing.ipynb": False,
        "work": False,  # a folder, not a notebook file
        "link-out/nb.ipynb": False,  # its folder resolves outside the root
        "work/../work/nb.ipynb": False,
    }
    for i, (notebook, allowed) in enumerate(cases.items()):
        folder = tmp_path / "jobs" / f"job{i:013d}"
        helper.send("prepare", folder=str(folder), files=files(folder.name),
                    check={"root": str(root), "notebookPath": notebook})
        helper.send("submit", description={"initialdir": str(folder)})
        prepared, submitted = helper.answer(), helper.answer()
        assert prepared["ok"] is allowed, (notebook, prepared)
        assert folder.exists() is allowed, notebook
        if not allowed:
            assert submitted["error"] == "the job's check or folder failed; not submitted"
