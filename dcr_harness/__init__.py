"""dcr-harness: conformance and load test harness for a Dynamic Client Registration service."""

__version__ = "0.1.0"
