"""The HTTP layer for checks: recorded exchanges, masking, curl, pacing, the DCR client."""

from .client import Credentials, DcrClient
from .exchange import Exchange
from .masking import Masker
from .session import BudgetExceeded, Session

__all__ = ["BudgetExceeded", "Credentials", "DcrClient", "Exchange", "Masker", "Session"]
