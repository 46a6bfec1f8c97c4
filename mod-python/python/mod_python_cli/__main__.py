"""`python -m mod_python_cli`: the same as the `mod_python` command."""

import sys

from mod_python_cli.cli import main

sys.exit(main())
