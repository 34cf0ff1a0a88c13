"""`python -m cli` runs the `stratago` command."""

import sys

from cli.main import main

sys.exit(main())
