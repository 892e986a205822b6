"""Fast self-tests: no subprocess, no server socket (`python -m pytest tests/unit`)."""
