"""`python -m looplab`: the `looplab` command, for an environment whose scripts are not on PATH."""

import sys

from looplab.cli import main

sys.exit(main())
