"""The anchor of `burst-submit-queued`: a plain htcondor2 bindings submit of the job the bridge
submits (the same submit description, key for key; spooled, the runner and bundle as input
files), in a process that has already imported the bindings and located the schedd, as the
bridge's helper has. The benchmark times it from writing the job's folder to the answer
(submit + spool done: the job is queued).

Reads one JSON line per submit from stdin (`{"initialdir": ..., "jobId": ...}`), answers
`{"ms": ..., "cluster": ...}`; `{"remove": "<constraint>"}` removes jobs.
"""

import json
import os
import sys
import time

import htcondor2 as htcondor

htcondor.reload_config()
ads = htcondor.Collector(os.environ["CONDOR_POOL"]).locateAll(htcondor.DaemonType.Schedd)
schedd = htcondor.Schedd(next(a for a in ads if a["Name"] == os.environ["CONDOR_SCHEDD_NAME"]))

for line in sys.stdin:
    req = json.loads(line)
    if "remove" in req:
        schedd.act(htcondor.JobAction.Remove, req["remove"], reason="benchmark cleanup")
        print(json.dumps({"ok": True}), flush=True)
        continue
    description = {
        "universe": "vanilla",
        "executable": "/usr/bin/python3",
        "transfer_executable": "false",
        "arguments": "runner.py",
        "initialdir": req["initialdir"],
        "should_transfer_files": "YES",
        "when_to_transfer_output": "ON_EXIT",
        "transfer_input_files": "runner.py,bundle.json",
        "transfer_output_files": "result.json,produced",
        "output": "job.out",
        "error": "job.err",
        "log": "job.log",
        "request_cpus": "1",
        "request_memory": "256",
        "allowed_execute_duration": "300",
        # What the bridge adds to find the job again and to say whose it is.
        "environment": '"MLINFN_BURST=1"',
        "JobBatchName": f'"mlinfn-burst-{req["jobId"]}"',
        "My.MlinfnJobId": f'"{req["jobId"]}"',
        "My.MlinfnBackend": '"pool"',
        "My.MlinfnCellId": '"cell-1"',
        "My.MlinfnNotebookPath": '"bench.ipynb"',
        "My.MlinfnUser": '"root"',
    }
    t0 = time.perf_counter()
    result = schedd.submit(htcondor.Submit(description), spool=True)
    schedd.spool(result)
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"ms": ms, "cluster": result.cluster()}), flush=True)
