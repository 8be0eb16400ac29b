"""The burst runner on its own (mlinfn_lab/burst/runner.py), as a worker runs it: a sandbox with
bundle.json and inputs/, a fresh kernel, result.json and produced/ left behind.

The cases here are the runner's own rules (display updates, clear_output, a context cell that
raises, the walltime, the produced-files cap, the fallback without a kernel); the backends and
the comparison with a real kernel are in test_burst_backends.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlinfn_lab

RUNNER = Path(mlinfn_lab.__file__).parent / "burst" / "runner.py"


def run(tmp_path: Path, cells: list[tuple[str, str]], python: str = sys.executable, **bundle):
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    (sandbox / "bundle.json").write_text(json.dumps({
        "jobId": "test0001",
        "cells": [{"id": cid, "code": code, "context": i < len(cells) - 1}
                  for i, (cid, code) in enumerate(cells)],
        "spark": False,
        "walltimeSeconds": bundle.pop("walltimeSeconds", 120),
        "maxProducedBytes": bundle.pop("maxProducedBytes", 10_000),
    }))
    for rel, text in bundle.pop("inputs", {}).items():
        (sandbox / "inputs" / rel).parent.mkdir(parents=True, exist_ok=True)
        (sandbox / "inputs" / rel).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(bundle.pop("env", {}))
    log = subprocess.run([python, str(RUNNER), str(sandbox)], capture_output=True, text=True,
                         timeout=180, env=env, check=False)
    assert log.returncode == 0, log.stdout + log.stderr
    return json.loads((sandbox / "result.json").read_text()), log.stdout, sandbox


def test_the_wheel_ships_the_runner_and_helper_next_to_the_bridge():
    package = Path(mlinfn_lab.__file__).parent
    assert (package / "burst" / "runner.py").is_file()
    assert (package / "burst" / "condor_helper.py").is_file()
    # The bundled bridge finds them one folder over (mlinfn_lab/bridge/../burst).
    assert (package / "bridge").is_dir()


def test_rich_outputs_display_updates_and_clear_output(tmp_path):
    code = (
        "from IPython.display import display, HTML, clear_output, Markdown\n"
        "print('gone')\n"
        "clear_output()\n"
        "h = display(HTML('<b>first</b>'), display_id=True)\n"
        "h.update(HTML('<b>updated</b>'))\n"
        "display(Markdown('*md*'), {'application/json': {'a': 1}}, raw=False)\n"
        "import sys; print('to stderr', file=sys.stderr)\n"
        "{'answer': 42}\n"
    )
    result, log, _ = run(tmp_path, [("c1", code)])
    assert result["status"] == "ok" and result["executionCount"] == 1
    outs = result["outputs"]
    kinds = [o["output_type"] for o in outs]
    assert kinds == ["display_data", "display_data", "display_data", "stream", "execute_result"]
    assert outs[0]["data"]["text/html"] == "<b>updated</b>"
    assert set(outs[1]["data"]) == {"text/markdown", "text/plain"}
    assert outs[3] == {"output_type": "stream", "name": "stderr", "text": "to stderr\n"}
    assert outs[4]["data"]["text/plain"] == "{'answer': 42}" and outs[4]["execution_count"] == 1
    assert "gone" in log  # the log keeps what the cell printed, even what it cleared


def test_context_cells_run_first_and_their_error_becomes_the_cells_output(tmp_path):
    (tmp_path / "a").mkdir()
    ok, _, _ = run(tmp_path / "a", [("setup", "x = 20"), ("cell", "print(x + 1)")])
    assert ok["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "21\n"}]
    assert ok["executionCount"] == 2
    (tmp_path / "b").mkdir()
    bad, _, _ = run(tmp_path / "b", [("setup", "import nonexistent_module_xyz"), ("cell", "print(1)")])
    assert bad["status"] == "context-error"
    assert bad["ename"] == "ModuleNotFoundError"
    assert [o["output_type"] for o in bad["outputs"]] == ["stream", "error"]
    assert "Context cell setup raised" in bad["outputs"][0]["text"]


def test_inputs_are_in_the_working_directory_and_new_files_come_back_under_the_cap(tmp_path):
    code = (
        "print(open('data/in.txt').read())\n"
        "open('small.txt', 'w').write('s')\n"
        "open('big.bin', 'wb').write(b'x' * 50_000)\n"
    )
    result, _, sandbox = run(tmp_path, [("c", code)], inputs={"data/in.txt": "input!"},
                             maxProducedBytes=1000)
    assert result["outputs"][0]["text"] == "input!\n"
    assert result["produced"] == [{"path": "small.txt", "bytes": 1}]
    assert result["producedSkipped"] == 1
    assert (sandbox / "produced" / "small.txt").read_text() == "s"
    assert not (sandbox / "produced" / "data").exists()  # inputs are not produced files


def test_the_walltime_interrupts_the_cell(tmp_path):
    result, log, _ = run(tmp_path, [("c", "import time\ntime.sleep(120)")], walltimeSeconds=3)
    assert result["status"] == "timeout"
    assert "walltime" in result["error"] and "walltime" in log


def test_without_a_kernel_the_code_still_runs_in_process(tmp_path):
    # The system Python with the standard library only (-I -S): no jupyter_client, no ipykernel.
    python = "/usr/bin/python3"
    if not Path(python).exists():
        python = sys.executable
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    (sandbox / "bundle.json").write_text(json.dumps({
        "jobId": "test0002", "cells": [{"id": "c", "code": "print('plain')\n1/0", "context": False}],
        "spark": False, "walltimeSeconds": 60, "maxProducedBytes": 0}))
    out = subprocess.run([python, "-I", "-S", str(RUNNER), str(sandbox)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads((sandbox / "result.json").read_text())
    assert result["engine"] == "in-process", out.stdout
    assert "running the code in-process" in out.stdout
    assert [o["output_type"] for o in result["outputs"]] == ["stream", "error"]
    assert result["outputs"][0]["text"] == "plain\n"
    assert result["ename"] == "ZeroDivisionError" and result["status"] == "error"
