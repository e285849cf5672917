"""The flow engine: runs flows against events, for the simulator and the runtime."""
