"""The exit codes of every `desktop-agent` command (the README lists what each means)."""

EXIT_OK = 0          # succeeded
EXIT_FAILED = 1      # unverified, failed, stopped, denied; for `record`: nothing was recorded
EXIT_BAD_INPUT = 2   # bad task, policy or arguments: nothing was executed
