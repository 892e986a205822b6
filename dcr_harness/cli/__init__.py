"""The `dcr-harness` command: its subcommands (main.py), their help and errors (surface.py), `init`."""
