"""`python -m dcr_harness` is `dcr-harness`."""

import sys

from .cli import main

sys.exit(main())
