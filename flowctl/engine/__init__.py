"""The flow engine: one deterministic interpreter that the simulator, chat and the runtime
server drive the same way.

Contract
========

Compile a project once, then drive any number of conversations with it::

    from flowctl.engine import Engine, Ports, Say, settle

    engine = Engine(project)                      # flows, graphs, templates, schedules
    ports = Ports(clock, agents, assistant, knowledge, endpoints)
    decision = engine.select({"type": "page_view"}, context, ports, history)
    step = engine.start(decision.flow.id, context, ports, conversation_id="c_1")
    store(step.state.to_json())                   # a Conversation: JSON, bounded
    step = engine.handle(Conversation.from_json(stored), Say("Hi"), context, ports)

* **No I/O, no hidden state.**  ``start``, ``handle`` and ``select`` read the clock, agents,
  knowledge base and assistant through the :class:`Ports` passed with *that* call and keep
  nothing between calls; ``handle`` never changes the state it is given.  A port that
  raises is a failure the flow handles (a :class:`Diagnostic` in the step), never an
  exception out of the step.
* **Steps.**  A step runs blocks until the flow waits (:class:`WaitingFor`: an answer, a
  form, the assistant, or the response of a call) or ends.  It returns a :class:`Step`: the
  new :class:`Conversation` and a log of typed records in order (:class:`Entered`,
  :class:`Took` with the graph's :class:`~flowctl.model.graph.Edge`, :class:`Said` with a
  :class:`BotMessage`, :class:`CallMade`, :class:`CallSettled`, :class:`TagsChanged`,
  :class:`ProfileSet`, :class:`VariableSet`, :class:`HandoffRequested`, :class:`FlowEnded`,
  :class:`Diagnostic`).  ``step.accepted`` is false for an input the conversation was not
  waiting for (the state is then unchanged).  ``step.wake_at`` is when the waiting block's
  timeout fires: feed :class:`Elapse` then.
* **Calls are the host's.**  A data block yields a :class:`Call` with a stable idempotency
  key (``conversation:block:visit``).  When the flow needs the answer (``save`` or
  ``on_error``) the conversation waits (``waiting_for == RESPONSE``); the host performs
  the call, retrying as :func:`next_attempt` says, and feeds the final answer back as
  :class:`Responded`.  :func:`settle` is that loop for in-process hosts.
* **Inputs**: :class:`Say`, :class:`Click`, :class:`SubmitForm`, :class:`Elapse`,
  :class:`Responded`.  :meth:`Engine.awaiting` says what a waiting conversation accepts
  (choices, form fields, the input id, when it expires).
* **Stored state**: :class:`Conversation` carries a schema version, its id and a step
  sequence number; what grows with the conversation (path, edges, flows run) is in the
  steps' logs, not in the state.

The fakes every offline host uses are in :mod:`flowctl.engine.fakes`.
"""

from flowctl.engine.calls import Call, Response, call_key, next_attempt
from flowctl.engine.clock import DEFAULT_NOW, NowError, parse_now
from flowctl.engine.effects import (
    Awaiting,
    CallMade,
    CallSettled,
    Diagnostic,
    Effect,
    Entered,
    FlowEnded,
    HandoffRequested,
    ProfileSet,
    Said,
    Step,
    TagsChanged,
    Took,
    VariableSet,
)
from flowctl.engine.engine import Engine, FlowError
from flowctl.engine.host import Exchange, Settled, settle
from flowctl.engine.inputs import Click, Elapse, Input, Responded, Say, SubmitForm
from flowctl.engine.messages import ArticleLink, BotMessage, Button, FieldSpec, Image, MessageKind
from flowctl.engine.ports import AssistantQuestion, AssistantReply, Ports
from flowctl.engine.start import Decision, StartHistory, StartPart, Verdict
from flowctl.engine.state import Conversation, StateError, Status, WaitingFor
from flowctl.model.graph import Edge, EdgeKind

__all__ = [
    "DEFAULT_NOW",
    "ArticleLink",
    "AssistantQuestion",
    "AssistantReply",
    "Awaiting",
    "BotMessage",
    "Button",
    "Call",
    "CallMade",
    "CallSettled",
    "Click",
    "Conversation",
    "Decision",
    "Diagnostic",
    "Edge",
    "EdgeKind",
    "Effect",
    "Elapse",
    "Engine",
    "Entered",
    "Exchange",
    "FieldSpec",
    "FlowEnded",
    "FlowError",
    "HandoffRequested",
    "Image",
    "Input",
    "MessageKind",
    "NowError",
    "Ports",
    "ProfileSet",
    "Responded",
    "Response",
    "Said",
    "Say",
    "Settled",
    "StartHistory",
    "StartPart",
    "StateError",
    "Status",
    "Step",
    "SubmitForm",
    "TagsChanged",
    "Took",
    "VariableSet",
    "Verdict",
    "WaitingFor",
    "call_key",
    "next_attempt",
    "parse_now",
    "settle",
]
