"""The runtime server: flowctl serve."""
