"""Jinja2 templates and conditions: parsing with positions, names read, evaluation."""
