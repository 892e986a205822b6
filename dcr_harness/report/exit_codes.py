"""Exit codes of `diff`, `run --baseline` and `replay`, in one place (the same numbers as `run`'s)."""

NOTHING_WORSE = 0  # diff / baseline gate: no requirement got worse
WORSE = 1  # a requirement newly fails or newly cannot be verified
USAGE = 2  # bad arguments, an unreadable report, a target file error
UNREACHABLE = 3  # replay: the target did not answer

REPLAY_FIXED = 0  # the replayed case is answered as the contract permits
REPLAY_NOT_FIXED = 1  # still failing, or changed without an oracle to call it fixed
