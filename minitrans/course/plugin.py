"""The grader's pytest plugin: it runs inside the grading subprocess (grade.py), loaded before any of
the submission's code, and is the only thing whose word the grader takes.

Its first line of stdin holds a secret key, the result file's name, the part's marker and the
folder of the teacher's reference (loaded, then deleted, before any test runs). At the end
it writes one result per collected test (outcome and the failure's one-line message, no traceback),
signed with the key, so that a result file the submission writes or edits is refused. Before the
tests run it notes numpy's, the test module's and minitrans.gradcheck's functions; a test after which
one of them is another object (or has another code) marks the run as tampered with.
"""
import hashlib
import hmac
import importlib.util
import json
import os
import shutil
import sys
import types
from pathlib import Path

import numpy
import numpy.linalg
import numpy.random
import numpy.testing

SETTINGS = json.loads(sys.stdin.readline())
KEY = SETTINGS.pop("key").encode()
RESULTS, WATCHED, TAMPERED = {}, {}, []
MESSAGE_LIMIT = 400


def signature(payload):
    """The HMAC of a result's JSON text under the run's key."""
    return hmac.new(KEY, payload.encode(), hashlib.sha256).hexdigest()


def fingerprint(value):
    """What must not change about a watched object: the object itself, and its code if it has one."""
    return id(value), id(getattr(value, "__code__", None))


def watch(label, module):
    for name, value in list(vars(module).items()):
        if callable(value) or isinstance(value, types.ModuleType):
            WATCHED[(label, name)] = (module, fingerprint(value))


for _module in (numpy, numpy.testing, numpy.linalg, numpy.random):
    watch(_module.__name__, _module)


def load_reference(folder):
    """The teacher's functional/ in `folder`, loaded as `reference_functional`; then the folder is
    deleted and the module left out of sys.modules: no submission's code has run yet, and none will
    find the reference on disk or by name."""
    spec = importlib.util.spec_from_file_location("reference_functional", Path(folder) / "functional" / "__init__.py",
                                                  submodule_search_locations=[str(Path(folder) / "functional")])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    shutil.rmtree(folder)
    for name in [n for n in sys.modules if n.split(".")[0] == spec.name]:
        del sys.modules[name]
    return module


def pytest_configure(config):
    config.addinivalue_line("markers", f"{SETTINGS['marker']}: the part being graded")
    config.minitrans_reference = load_reference(SETTINGS["reference"])   # the tests' `reference` fixture


def pytest_collection_finish(session):
    for item in session.items:
        RESULTS[item.nodeid] = {"outcome": "not run", "message": ""}
        watch(item.module.__name__, item.module)
    if "minitrans.gradcheck" in sys.modules:
        watch("minitrans.gradcheck", sys.modules["minitrans.gradcheck"])


def pytest_runtest_logreport(report):
    result = RESULTS.setdefault(report.nodeid, {"outcome": "not run", "message": ""})
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr).strip().split("\n")[-1]
        result.update(outcome="failed", message=message[:MESSAGE_LIMIT])
    elif report.when == "call" and result["outcome"] == "not run":
        result["outcome"] = "skipped" if report.skipped else "passed"
    if report.when == "teardown":
        changed = [f"{label}.{name}" for (label, name), (module, mark) in WATCHED.items()
                   if fingerprint(getattr(module, name, None)) != mark]
        if changed and not TAMPERED:
            TAMPERED.append(f"{', '.join(changed[:3])} changed during {report.nodeid.split('::')[-1]}")


def pytest_sessionfinish(session, exitstatus):
    payload = json.dumps({"results": RESULTS, "tampered": TAMPERED, "nonce": SETTINGS["nonce"]})
    temp = SETTINGS["result"] + ".part"
    with open(temp, "w") as f:
        f.write(json.dumps({"payload": payload, "signature": signature(payload)}))
    os.replace(temp, SETTINGS["result"])
