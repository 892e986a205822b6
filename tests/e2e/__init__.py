"""End-to-end self-tests: the harness, the reference server or curl as subprocesses and servers."""
