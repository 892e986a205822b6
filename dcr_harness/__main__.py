"""`python -m dcr_harness` is `dcr-harness`."""

import sys

from .cli.main import main

sys.exit(main())
