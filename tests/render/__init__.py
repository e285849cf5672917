"""Tests of ``flowctl render``: the diagram model, its overlays, DOT, Mermaid, Graphviz, the CLI."""
