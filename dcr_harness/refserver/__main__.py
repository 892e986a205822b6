"""python -m dcr_harness.refserver: run the reference server (see main.py for options)."""

from .main import main

raise SystemExit(main())
