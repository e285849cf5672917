"""The format-neutral model: frozen dataclasses, no I/O.

Everything past the loader speaks in these types; every node carries a
:class:`SourceSpan`.
"""

from flowctl.model.blocks import (
    BLOCK_TYPES,
    AIBlock,
    ArticlesBlock,
    Block,
    BlockBase,
    BranchBlock,
    Case,
    Choice,
    DataBlock,
    DataRequestBlock,
    DataUpdateBlock,
    EndBlock,
    EscalateBlock,
    Exit,
    FormBlock,
    FormField,
    GotoBlock,
    MessageBlock,
    QuestionBlock,
    Ref,
    SetBlock,
    TagBlock,
)
from flowctl.model.flow import DateWindow, EventRef, Flow, Start
from flowctl.model.problem import Problem, Severity
from flowctl.model.project import Article, Endpoint, Project, ProjectConfig, Schedule
from flowctl.model.span import SourceSpan
from flowctl.model.values import AllOf, AnyOf, Condition, Expr, NotOf, Template, Value
from flowctl.model.visitors import Visitor, VisitorFile

__all__ = [
    "BLOCK_TYPES", "AIBlock", "AllOf", "AnyOf", "Article", "ArticlesBlock", "Block",
    "BlockBase", "BranchBlock", "Case", "Choice", "Condition", "DataBlock", "DataRequestBlock",
    "DataUpdateBlock", "DateWindow", "EndBlock", "Endpoint", "EscalateBlock", "EventRef",
    "Exit", "Expr", "Flow", "FormBlock", "FormField", "GotoBlock", "MessageBlock", "NotOf",
    "Problem", "Project", "ProjectConfig", "QuestionBlock", "Ref", "Schedule", "SetBlock",
    "Severity", "SourceSpan", "Start", "TagBlock", "Template", "Value", "Visitor",
    "VisitorFile",
]
