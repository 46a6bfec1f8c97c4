"""Runs the hypothesis properties of the modules named, each `test_*` function once (a
`@given` function tries its examples: MP_HYPOTHESIS_EXAMPLES of them, default 200), and
says how it went. Used outside httpd (`python runner.py cookie_properties`) and inside it
(`in_httpd.handler`)."""

import importlib
import os
import sys
import time
import traceback

from hypothesis import HealthCheck, settings

settings.register_profile(
    "mod_python",
    max_examples=int(os.environ.get("MP_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile("mod_python")


def run(module_names, write):
    """Runs every property of the modules; writes one line each and a closing count line.
    Returns the number that failed."""
    passed = failed = 0
    for name in module_names:
        module = importlib.import_module(name)
        for attr in sorted(dir(module)):
            test = getattr(module, attr)
            if not attr.startswith("test_") or not callable(test):
                continue
            started = time.monotonic()
            try:
                test()
            except Exception:
                failed += 1
                write("FAILED %s.%s\n%s\n" % (name, attr, traceback.format_exc()))
            else:
                passed += 1
                write("ok %s.%s (%.1f s)\n" % (name, attr, time.monotonic() - started))
    write("properties: %d passed, %d failed\n" % (passed, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if run(sys.argv[1:], sys.stdout.write) else 0)
