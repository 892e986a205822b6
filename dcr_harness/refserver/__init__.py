"""The reference DCR server (Starlette + uvicorn + SQLite): sections 2-6 of the contract,
with named faults that each break one requirement.

Kept light on purpose: importing the fault list must not pull in the web stack. The
server itself is `refserver.app.create_app` and `refserver.main.serve` / `main`.
"""

from .config import ServerConfig
from .faults import FAULTS, Fault

__all__ = ["FAULTS", "Fault", "ServerConfig"]
