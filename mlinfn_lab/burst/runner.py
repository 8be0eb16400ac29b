"""Run one burst job on a worker: context cells, then the cell, in a fresh IPython kernel.

This file travels alone with the job (HTCondor transfers it, Spark runs it as the application,
the local backend runs it as a child process), so it needs nothing from the bridge or from
mlinfn_lab: the standard library, plus ``jupyter_client`` and ``ipykernel`` where the worker has
them (without them it falls back to running the code in-process: streams and errors only).

It is run in the job's sandbox, a directory holding::

    bundle.json   {"jobId", "cells": [{"id", "code", "context"}], "spark", "walltimeSeconds",
                   "maxProducedBytes"}
    inputs/       the input files, under their paths relative to the notebook's folder

and leaves there::

    result.json   {"version", "status", "outputs", "executionCount", "error", "ename", "evalue",
                   "produced": [{"path", "bytes"}], "producedSkipped", "engine"}
    produced/     files the cell created or changed in its working directory (work/)

Its stdout (stderr is joined to it) is the job's log: the cell's printed output appears there
as it is produced. ``status`` is ``ok``, ``error`` (the cell raised), ``context-error`` (a
context cell raised: its error is the cell's output), ``timeout`` (walltime), or
``runner-error`` (the runner itself failed; ``error`` says why).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

RESULT = "result.json"
RESULT_VERSION = 1
SPARK_PREAMBLE = (
    "from pyspark.sql import SparkSession as _MlinfnSparkSession\n"
    "spark = _MlinfnSparkSession.builder.getOrCreate()\n"
    "sc = spark.sparkContext\n"
    "del _MlinfnSparkSession\n"
)
SPARK_EPILOGUE = "try:\n    spark.stop()\nexcept Exception:\n    pass\n"


T0 = time.time()


# The log is the process's own stdout, whatever the in-process fallback redirects sys.stdout to.
_LOG = sys.stdout


def log(text: str) -> None:
    _LOG.write(text)
    _LOG.flush()


def note(text: str) -> None:
    """A line of the runner's own, with the seconds since it started."""
    log(f"[burst {time.time() - T0:6.1f} s] {text}\n")


def write_json_atomic(path: str, value: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Outputs, as JupyterLab's output area builds them from iopub messages.


class Outputs:
    """The outputs of one cell: streams merged, displays updatable, clear_output honoured."""

    def __init__(self, echo: bool):
        self.items: list[dict] = []
        self.echo = echo
        self._clear_on_next = False
        self._displays: dict[str, list[int]] = {}

    def _add(self, output: dict) -> None:
        if self._clear_on_next:
            self.items.clear()
            self._displays.clear()
            self._clear_on_next = False
        last = self.items[-1] if self.items else None
        if (
            output["output_type"] == "stream"
            and last is not None
            and last["output_type"] == "stream"
            and last["name"] == output["name"]
        ):
            last["text"] += output["text"]
            return
        self.items.append(output)

    def message(self, msg_type: str, content: dict) -> None:
        if msg_type == "stream":
            name = content.get("name", "stdout")
            text = content.get("text", "")
            if self.echo:
                log(text)
            self._add({"output_type": "stream", "name": name, "text": text})
        elif msg_type in ("display_data", "execute_result"):
            output = {
                "output_type": msg_type,
                "data": content.get("data", {}),
                "metadata": content.get("metadata", {}),
            }
            if msg_type == "execute_result":
                output["execution_count"] = content.get("execution_count")
            if self.echo:
                log(f"[{msg_type}: {', '.join(sorted(output['data']))}]\n")
            display_id = (content.get("transient") or {}).get("display_id")
            self._add(output)
            if display_id:
                self._displays.setdefault(display_id, []).append(len(self.items) - 1)
        elif msg_type == "update_display_data":
            display_id = (content.get("transient") or {}).get("display_id")
            for index in self._displays.get(display_id or "", []):
                if index < len(self.items):
                    self.items[index]["data"] = content.get("data", {})
                    self.items[index]["metadata"] = content.get("metadata", {})
        elif msg_type == "error":
            output = {
                "output_type": "error",
                "ename": content.get("ename", ""),
                "evalue": content.get("evalue", ""),
                "traceback": list(content.get("traceback", [])),
            }
            if self.echo:
                log("\n".join(output["traceback"]) + "\n")
            self._add(output)
        elif msg_type == "clear_output":
            if content.get("wait"):
                self._clear_on_next = True
            else:
                self.items.clear()
                self._displays.clear()


# ---------------------------------------------------------------------------------------------
# The kernel engine (jupyter_client + ipykernel).


class WalltimeExceeded(Exception):
    pass


class KernelEngine:
    name = "kernel"

    def __init__(self, deadline: float | None):
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        # Our own kernelspec: this Python's ipykernel, whatever kernels the worker has installed.
        self._specdir = tempfile.mkdtemp(prefix="mlinfn-burst-kernels-")
        spec = os.path.join(self._specdir, "mlinfn-burst")
        os.mkdir(spec)
        with open(os.path.join(spec, "kernel.json"), "w", encoding="utf-8") as f:
            json.dump(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "burst",
                    "language": "python",
                },
                f,
            )
        env = dict(os.environ)
        # The kernel chooses matplotlib's inline backend itself, as in the lab.
        env.pop("MPLBACKEND", None)
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        self.km = KernelManager(
            kernel_name="mlinfn-burst",
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[self._specdir]),
        )
        self.km.start_kernel(env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.deadline = deadline
        note("kernel ready")

    def execute(self, code: str, outputs: Outputs | None, silent: bool = False) -> dict:
        """Run code; feed iopub to `outputs`; return the execute_reply content."""
        msg_id = self.kc.execute(
            code, silent=silent, store_history=not silent, allow_stdin=False, stop_on_error=True
        )
        while True:
            timeout = 1.0
            if self.deadline is not None and time.time() > self.deadline:
                self.km.interrupt_kernel()
                raise WalltimeExceeded()
            try:
                msg = self.kc.get_iopub_msg(timeout=timeout)
            except Exception:  # queue.Empty
                if not self.km.is_alive():
                    raise RuntimeError("the kernel died") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            msg_type = msg["header"]["msg_type"]
            content = msg["content"]
            if msg_type == "status" and content.get("execution_state") == "idle":
                break
            if outputs is not None and not silent:
                outputs.message(msg_type, content)
        reply = self.kc.get_shell_msg(timeout=60)
        while reply.get("parent_header", {}).get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=60)
        return reply["content"]

    def close(self) -> None:
        # Everything the job needs is in hand (and a Spark session already stopped): no
        # graceful shutdown round trip, which costs a second or more on a busy worker.
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        except Exception:
            pass
        shutil.rmtree(self._specdir, ignore_errors=True)


class InProcessEngine:
    """Fallback without jupyter_client: streams and errors, no rich outputs."""

    name = "in-process"

    def __init__(self, deadline: float | None):
        self.namespace: dict = {"__name__": "__main__"}
        self.count = 0
        self.deadline = deadline

    def execute(self, code: str, outputs: Outputs | None, silent: bool = False) -> dict:
        import contextlib
        import io

        class Stream(io.TextIOBase):
            def __init__(self, name):
                self.name = name

            def write(self, text):
                if outputs is not None and not silent:
                    outputs.message("stream", {"name": self.name, "text": text})
                return len(text)

        if not silent:
            self.count += 1
        try:
            with contextlib.redirect_stdout(Stream("stdout")), contextlib.redirect_stderr(
                Stream("stderr")
            ):
                exec(compile(code, f"<cell {self.count}>", "exec"), self.namespace)
        except Exception as exc:  # the cell's own error
            content = {
                "ename": type(exc).__name__,
                "evalue": str(exc),
                "traceback": traceback.format_exception(type(exc), exc, exc.__traceback__),
            }
            if outputs is not None:
                outputs.message("error", content)
            return {"status": "error", "execution_count": self.count, **content}
        return {"status": "ok", "execution_count": self.count}

    def close(self) -> None:
        pass


def make_engine(deadline: float | None):
    try:
        import ipykernel  # noqa: F401
        import jupyter_client  # noqa: F401
    except ImportError as exc:
        log(f"[burst] no kernel on this worker ({exc}); running the code in-process\n")
        return InProcessEngine(deadline)
    return KernelEngine(deadline)


# ---------------------------------------------------------------------------------------------
# Files.


def snapshot(root: str) -> dict[str, tuple[int, int]]:
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            seen[os.path.relpath(full, root)] = (st.st_size, st.st_mtime_ns)
    return seen


def collect_produced(work: str, before: dict, dest: str, cap: int) -> tuple[list, int]:
    """Move new or changed regular files of `work` to `dest`, largest-last, up to `cap` bytes."""
    produced, skipped, total = [], 0, 0
    after = snapshot(work)
    changed = sorted(
        (p for p, sig in after.items() if before.get(p) != sig), key=lambda p: (after[p][0], p)
    )
    for rel in changed:
        full = os.path.join(work, rel)
        if os.path.islink(full) or not os.path.isfile(full):
            continue
        size = after[rel][0]
        if total + size > cap:
            skipped += 1
            continue
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(full, target)
        total += size
        produced.append({"path": rel.replace(os.sep, "/"), "bytes": size})
    return produced, skipped


# ---------------------------------------------------------------------------------------------


def run(sandbox: str, emit_result: bool) -> int:
    started = time.time()
    with open(os.path.join(sandbox, "bundle.json"), encoding="utf-8") as f:
        bundle = json.load(f)
    result_path = os.path.join(sandbox, RESULT)
    result: dict = {
        "version": RESULT_VERSION,
        "jobId": bundle.get("jobId"),
        "status": "runner-error",
        "error": "the runner stopped before the cell ran",
        "outputs": [],
        "executionCount": None,
        "produced": [],
        "producedSkipped": 0,
        "startedAt": started,
    }
    # A result exists from the start: HTCondor holds a job whose listed output file is missing.
    write_json_atomic(result_path, result)
    os.makedirs(os.path.join(sandbox, "produced"), exist_ok=True)
    work = os.path.join(sandbox, "work")
    os.makedirs(work, exist_ok=True)
    inputs = os.path.join(sandbox, "inputs")
    if os.path.isdir(inputs):
        for name in os.listdir(inputs):
            os.replace(os.path.join(inputs, name), os.path.join(work, name))
    before = snapshot(work)
    walltime = bundle.get("walltimeSeconds")
    deadline = started + walltime if walltime else None
    cells = bundle.get("cells", [])
    engine = None
    os.chdir(work)
    try:
        engine = make_engine(deadline)
        result["engine"] = engine.name
        note(f"job {bundle.get('jobId')}: {len(cells) - 1} context cell(s), then the cell, "
             f"in a fresh kernel ({engine.name}, Python {sys.version.split()[0]})")
        if bundle.get("spark"):
            reply = engine.execute(SPARK_PREAMBLE, None, silent=True)
            if reply.get("status") != "ok":
                raise RuntimeError(f"no SparkSession: {reply.get('ename')}: {reply.get('evalue')}")
            note("SparkSession `spark` ready")
        status = "ok"
        outputs = Outputs(echo=True)
        for index, cell in enumerate(cells):
            is_target = index == len(cells) - 1
            note(f"context cell {cell.get('id')}" if not is_target else f"cell {cell.get('id')}")
            sink = outputs if is_target else Outputs(echo=True)
            reply = engine.execute(cell.get("code", ""), sink)
            result["executionCount"] = reply.get("execution_count")
            if reply.get("status") == "error":
                result["ename"] = reply.get("ename", "")
                result["evalue"] = reply.get("evalue", "")
                if is_target:
                    status = "error"
                else:
                    # The job ends here; the context cell's error is what the cell shows.
                    status = "context-error"
                    outputs = Outputs(echo=False)
                    outputs.message(
                        "stream",
                        {"name": "stderr",
                         "text": f"Context cell {cell.get('id')} raised; the cell did not run.\n"},
                    )
                    for item in sink.items:
                        if item["output_type"] == "error":
                            outputs.message("error", item)
                    result["executionCount"] = None
                break
        if bundle.get("spark"):
            engine.execute(SPARK_EPILOGUE, None, silent=True)
        result["outputs"] = outputs.items
        result["status"] = status
        result["error"] = (
            f"{result.get('ename')}: {result.get('evalue')}" if status != "ok" else None
        )
    except WalltimeExceeded:
        result["status"] = "timeout"
        result["error"] = f"the job ran past its walltime ({walltime} s) and was interrupted"
        log(f"[burst] {result['error']}\n")
    except Exception as exc:
        result["status"] = "runner-error"
        result["error"] = f"{type(exc).__name__}: {exc}"
        log("[burst] the runner failed:\n" + traceback.format_exc())
    finally:
        if engine is not None:
            engine.close()
        os.chdir(sandbox)
    try:
        produced, skipped = collect_produced(
            work, before, os.path.join(sandbox, "produced"), int(bundle.get("maxProducedBytes", 0))
        )
        result["produced"], result["producedSkipped"] = produced, skipped
    except OSError as exc:
        log(f"[burst] produced files not collected: {exc}\n")
    result["finishedAt"] = time.time()
    write_json_atomic(result_path, result)
    if emit_result:
        # Cluster-mode drivers (k8s, yarn) leave no file behind: the result travels in the log.
        encoded = base64.b64encode(json.dumps(result).encode()).decode()
        log(f"\nMLINFN-BURST-RESULT-BEGIN\n{encoded}\nMLINFN-BURST-RESULT-END\n")
    note(f"done: {result['status']}")
    return 0


def main(argv: list[str]) -> int:
    # One log: what the kernel machinery writes to stderr goes with the cell's output.
    os.dup2(sys.stdout.fileno(), sys.stderr.fileno())
    emit = "--emit-result" in argv
    args = [a for a in argv if not a.startswith("--")]
    sandbox = os.path.abspath(args[0] if args else os.getcwd())
    return run(sandbox, emit)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
