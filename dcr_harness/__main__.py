"""`python -m dcr_harness` is `dcr-harness`."""

import sys

from .cli.commands import main

sys.exit(main())
