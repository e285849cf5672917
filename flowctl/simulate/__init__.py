"""The simulator: run the virtual visitors of ``*.visitors.yaml`` against the flows offline."""
