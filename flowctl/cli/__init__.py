"""The command line: one module per command; each parses options, calls a function,
picks a reporter and chooses the exit code."""

import gc

# A CLI run builds a large, long-lived model (every flow of a project) and then exits: with
# the default thresholds the collector re-scanned those objects over and over, a third of
# `flowctl lint` on 500 flows.  Collect less often (cycles are still collected; peak memory
# stayed at 115 MB).  Set here, before the CLI's imports, so they profit too.
gc.set_threshold(100_000, 50, 100)
