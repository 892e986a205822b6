"""`python -m dcr_harness.cli` is `dcr-harness` (as `python -m dcr_harness`)."""

import sys

from .commands import main

sys.exit(main())
