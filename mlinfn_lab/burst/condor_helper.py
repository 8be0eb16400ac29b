"""The bridge's one long-lived link to HTCondor, through PyPI's ``htcondor2`` bindings.

Debian 12 has no HTCondor client tools; the bindings are what a JupyterLab host has. The bridge
starts this helper once per HTCondor backend and speaks JSON lines over stdin/stdout::

    -> {"id": 1, "op": "submit", "description": {...}}
    <- {"id": 1, "ok": true, "result": {"cluster": 42}}
    <- {"id": 2, "ok": false, "error": "AUTHENTICATE:1003 ..."}

Requests are answered in order, one at a time (the bindings are not thread-safe). The schedd
and collector come from the environment the bridge gives (``CONDOR_CONFIG``,
``_CONDOR_SEC_TOKEN_DIRECTORY``...) and from ``MLINFN_CONDOR_POOL`` / ``MLINFN_CONDOR_SCHEDD``.
Values of the submit description are written by the bridge from validated values only; this
helper passes them to ``htcondor2.Submit`` unchanged.

Ops: ping, locate, prepare (a new job's folder and files, sent ahead of its submit while the
bridge checks the request), submit (with spooling), query, history, act (remove/hold/release),
retrieve (the output sandbox, into the job's initialdir), events (a job event log file).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import traceback

_schedd = None
_schedd_name = None
# Folders whose prepare failed: their submit (already on its way) is refused.
_unprepared: set[str] = set()


def _htcondor():
    import htcondor2

    return htcondor2


def _locate(force: bool = False):
    global _schedd, _schedd_name
    if _schedd is not None and not force:
        return _schedd
    htcondor = _htcondor()
    pool = os.environ.get("MLINFN_CONDOR_POOL") or None
    want = os.environ.get("MLINFN_CONDOR_SCHEDD") or None
    collector = htcondor.Collector(pool) if pool else htcondor.Collector()
    ads = collector.locateAll(htcondor.DaemonType.Schedd)
    if want:
        ads = [a for a in ads if a.get("Name") == want]
    if not ads:
        raise RuntimeError(
            f"no schedd {want or ''} in the pool {pool or '(default collector)'}".replace("  ", " ")
        )
    _schedd = htcondor.Schedd(ads[0])
    _schedd_name = ads[0].get("Name")
    return _schedd


def _plain(value):
    """A ClassAd value as JSON: expressions that do not evaluate become their text."""
    import classad2

    if isinstance(value, classad2.Value):  # Undefined, Error (an int enum: test it first)
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, classad2.ExprTree):
        try:
            return _plain(value.eval())
        except Exception:
            return str(value)
    if isinstance(value, classad2.ClassAd):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _ad(ad) -> dict:
    return {k: _plain(v) for k, v in ad.items()}


def _retry(fn):
    """One retry with a fresh schedd: the schedd may have restarted since we located it."""
    try:
        return fn(_locate())
    except Exception:
        return fn(_locate(force=True))


def op_ping(req):
    htcondor = _htcondor()
    return {"version": htcondor.version(), "pid": os.getpid()}


def op_locate(req):
    _locate(force=True)
    return {"schedd": _schedd_name}


def _check_notebook(check) -> None:
    """The bridge's own notebook check, made again before anything is written or submitted:
    the notebook is a file, its folder (resolved) inside the resolved Jupyter root."""
    root = check["root"]
    parts = [p for p in check["notebookPath"].split("/") if p]
    if not parts or any(p in (".", "..") for p in parts) or check["notebookPath"].startswith("/"):
        raise ValueError("the notebook path is not a relative path")
    folder = os.path.realpath(os.path.join(root, *parts[:-1]))
    if folder != root and not folder.startswith(root.rstrip("/") + "/"):
        raise ValueError("the notebook's folder is outside the Jupyter root")
    if not os.path.isfile(os.path.join(folder, parts[-1])):
        raise ValueError("the notebook is not a file under the Jupyter root")


def op_prepare(req):
    """Check the notebook (``check``, optional), then make a new job's folder (its parent
    exists) and write its files: ``{"name", "text", "mode"}`` or ``{"name", "copyFrom"}``. Names
    are the bridge's fixed file names. A failure marks the folder: its submit is refused."""
    folder = req["folder"]
    try:
        if req.get("check"):
            _check_notebook(req["check"])
        os.makedirs(folder, 0o700)
        for f in req["files"]:
            name = f["name"]
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"not a file name: {name!r}")
            path = os.path.join(folder, name)
            if "copyFrom" in f:
                shutil.copyfile(f["copyFrom"], path)
            else:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, f.get("mode", 0o666))
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(f.get("text", ""))
    except Exception:
        _unprepared.add(folder)
        raise
    return {}


def op_submit(req):
    htcondor = _htcondor()
    description = {str(k): str(v) for k, v in req["description"].items()}
    if description.get("initialdir") in _unprepared:
        _unprepared.discard(description["initialdir"])
        raise RuntimeError("the job's check or folder failed; not submitted")
    schedd = _locate()
    try:
        result = schedd.submit(htcondor.Submit(description), spool=True)
    except Exception:
        schedd = _locate(force=True)
        result = schedd.submit(htcondor.Submit(description), spool=True)
    # Uploads the input sandbox and releases the spooling hold (code 16). A job whose input
    # could not be spooled would wait for it forever: it is removed, and the submit fails.
    try:
        schedd.spool(result)
    except Exception:
        try:
            schedd.act(htcondor.JobAction.Remove, f"ClusterId == {result.cluster()}",
                       reason="its input files could not be spooled")
        except Exception:
            traceback.print_exc(file=sys.stderr)
        raise
    return {"cluster": result.cluster(), "schedd": _schedd_name}


def op_query(req):
    projection = list(req.get("projection") or [])
    ads = _retry(lambda s: s.query(constraint=req.get("constraint", "true"), projection=projection))
    return {"ads": [_ad(a) for a in ads]}


def op_history(req):
    projection = list(req.get("projection") or [])
    match = int(req.get("match", 100))
    ads = _retry(lambda s: list(s.history(req.get("constraint", "true"), projection, match=match)))
    return {"ads": [_ad(a) for a in ads]}


def op_act(req):
    htcondor = _htcondor()
    action = {"remove": htcondor.JobAction.Remove, "hold": htcondor.JobAction.Hold,
              "release": htcondor.JobAction.Release}[req["action"]]
    result = _retry(lambda s: s.act(action, req["constraint"], reason=req.get("reason", "")))
    return {"result": _ad(result) if result is not None else None}


def op_retrieve(req):
    _retry(lambda s: s.retrieve(req["constraint"]))
    return {}


def op_events(req):
    htcondor = _htcondor()
    path = req["path"]
    if not os.path.exists(path):
        return {"events": []}
    events = []
    for event in htcondor.JobEventLog(path).events(stop_after=0):
        kind = event.type
        item = {"type": int(kind), "name": getattr(kind, "name", str(kind)),
                "cluster": event.cluster, "proc": event.proc, "timestamp": event.timestamp}
        for key in ("HoldReason", "HoldReasonCode", "ReturnValue", "TerminatedNormally",
                    "Reason"):
            if key in event:
                item[key] = _plain(event[key])
        events.append(item)
    return {"events": events}


OPS = {
    "ping": op_ping,
    "locate": op_locate,
    "prepare": op_prepare,
    "submit": op_submit,
    "query": op_query,
    "history": op_history,
    "act": op_act,
    "retrieve": op_retrieve,
    "events": op_events,
}


def main() -> int:
    out = sys.stdout
    # Anything the bindings print must not corrupt the protocol.
    sys.stdout = sys.stderr
    htcondor = _htcondor()
    htcondor.reload_config()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req_id = None
        try:
            req = json.loads(line)
            req_id = req.get("id")
            answer = {"id": req_id, "ok": True, "result": OPS[req["op"]](req)}
        except Exception as exc:  # every failure is an answer, never a dead helper
            message = str(exc).strip() or type(exc).__name__
            answer = {"id": req_id, "ok": False, "error": message[:2000]}
            traceback.print_exc(file=sys.stderr)
        out.write(json.dumps(answer) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
