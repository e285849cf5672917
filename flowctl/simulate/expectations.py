"""A visitor's ``expect``, checked against what its run did."""

from __future__ import annotations

from flowctl.model.visitors import Expect, thaw
from flowctl.simulate.expect import requests_mismatch
from flowctl.simulate.match import subset_mismatch
from flowctl.simulate.visitor import VisitorRun


def check_expect(run: VisitorRun, expect: Expect) -> None:
    """Check the visitor's ``expect`` against the run; failures go to the run's result."""
    state = run.state
    result = run.result
    if state is None:
        return
    if expect.started is True and result.started is None:
        run.fail("no flow started", expect.span)
    if expect.flow is not None and expect.flow.name != result.started:
        ran = ", ".join(result.flows)
        run.fail(f"expected flow '{expect.flow.name}', but '{result.started}' started"
                 + (f" (flows run: {ran})" if len(result.flows) > 1 else ""), expect.flow.span)
    if expect.outcome is not None:
        # Any flow run counts: a flow that jumps with goto ends with `goto:<flow>` while
        # the conversation goes on in that flow.
        ended = result.outcomes
        if expect.outcome not in [e.outcome for e in ended]:
            if not ended:
                run.fail(f"expected outcome '{expect.outcome}', but the flow has not "
                         f"ended: {run.where()}", expect.span)
            else:
                got = ", ".join(f"'{e.flow}' ended with '{e.outcome}'" for e in ended)
                run.fail(f"expected outcome '{expect.outcome}', got: {got}"
                         + (f" (ended at block '{state.block}')" if state.ended else
                            f" ({run.where()})"), expect.span)
    if expect.department is not None and state.department != expect.department.name:
        got = f"'{state.department}'" if state.department else "no escalation"
        run.fail(f"expected department '{expect.department.name}', got {got}",
                 expect.department.span)
    if expect.tags is not None:
        missing = [t for t in expect.tags if t not in state.tags]
        if missing:
            run.fail(f"missing tags: {', '.join(missing)} (chat tags: "
                     f"{', '.join(state.tags) or 'none'})", expect.span)
    if expect.variables is not None:
        problem = subset_mismatch(thaw(expect.variables), state.variables)
        if problem:
            run.fail(f"variables: {problem}", expect.span)
    if expect.visitor is not None:
        profile = run.engine.context(state, run.context, run.ports)["visitor"]
        problem = subset_mismatch(thaw(expect.visitor), profile)
        if problem:
            run.fail(f"visitor: {problem}", expect.span)
    if expect.requests is not None:
        found = requests_mismatch(expect.requests, result.exchanges)
        if found is not None:
            run.fail(found[0], found[1].span)
    if expect.path is not None:
        wanted = [ref.name for ref in expect.path]
        if wanted != result.path:
            span = expect.path[0].span if expect.path else expect.span
            run.fail(f"expected path {' > '.join(wanted) or '(empty)'}, got "
                     f"{' > '.join(result.path) or '(empty)'}", span)
