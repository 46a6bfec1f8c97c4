"""A mod_python handler running package_properties inside httpd, with hypothesis from the
environment cargo xtask made (PythonOption hypothesis_site), MP_HYPOTHESIS_EXAMPLES examples
each (PythonOption examples)."""

import os
import sys

from mod_python import apache


def handler(req):
    options = req.get_options()
    for path in (options["hypothesis_site"], os.path.dirname(__file__)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ["MP_HYPOTHESIS_EXAMPLES"] = options.get("examples", "200")
    import runner
    out = []
    runner.run(["package_properties"], out.append)
    req.content_type = "text/plain"
    req.write("".join(out))
    return apache.OK
