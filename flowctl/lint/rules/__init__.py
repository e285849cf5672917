"""Every lint rule, one module per rule family.  Importing this package registers them."""

from flowctl.lint.rules import (  # noqa: F401
    context,
    design,
    load,
    patterns,
    references,
    start,
    structure,
    values,
    variables,
    visitor_start,
    visitors,
)
