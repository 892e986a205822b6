"""A pytest plugin that crashes inside a run, standing in for a bug of the harness (tests/e2e/test_cli_errors.py)."""


def pytest_collection_finish(session):
    raise RuntimeError("a bug inside the harness")
