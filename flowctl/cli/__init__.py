"""The command line: one module per command; each parses options, calls a function,
picks a reporter and chooses the exit code."""
