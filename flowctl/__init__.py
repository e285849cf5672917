"""flowctl: flows as code for customer-chat automation."""

__version__ = "0.1.0"
