"""The linter: rules over a loaded project, their registry, selection and suppression."""
