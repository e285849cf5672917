"""Conversation design: dead ends for the visitor, missing fallbacks, walls of text (X)."""

from __future__ import annotations

from collections.abc import Iterator

from flowctl.lint.analysis import without_escalation
from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.blocks import (
    BranchBlock,
    Choice,
    EndBlock,
    EscalateBlock,
    MessageBlock,
    QuestionBlock,
)
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem

#: Longest bot text (template source, in characters) before X005 warns.
MAX_TEXT = 300
#: Most choices a question should offer before X006 warns.
MAX_CHOICES = 10
#: Longest choice label before X007 warns (quick replies are cut off on phones).
MAX_LABEL = 20


@rule("X001", "validated-question-without-on-invalid", severity="warning")
def validated_question_without_on_invalid(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A question whose answer can be rejected has no `on_invalid`.

    Choices without `allow_other`, or any `expect` other than free `text` (or a `pattern`),
    reject some answers.  After `retries` invalid answers the flow goes to `on_invalid`;
    without it the conversation ends with outcome `unresolved` and the visitor is left alone.

    Bad:
        - id: ask_email
          type: question
          text: What is your email?
          expect: email
          save: email

    Good:
        - id: ask_email
          type: question
          text: What is your email?
          expect: email
          save: email
          on_invalid: to_support
    """
    for block in flow.blocks:
        if isinstance(block, QuestionBlock) and block.validated and block.on_invalid is None:
            what = ("an answer that is not one of the choices" if block.expect == "choice"
                    else f"an answer that is not a valid {block.expect}")
            yield problem(
                f"question '{block.id}' rejects {what} but has no `on_invalid`: after "
                f"{block.retries} retries the flow ends `unresolved`",
                block.span_of("id"),
                "add `on_invalid: <block>` (an escalation or a friendly end), "
                "or `allow_other: true`",
            )


@rule("X002", "no-escalation-path", severity="warning")
def no_escalation_path(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """No `escalate` block can be reached after a free-text question or an `ai` block.

    When a visitor can type anything, some will type "I want a human".  A flow that asks for
    free text, or hands the conversation to an assistant, should offer a way to an agent
    (an `escalate` block, or a `goto` to a flow that escalates).

    Bad:
        - id: ask_problem
          type: question
          text: What went wrong?
          save: problem
        - id: thanks
          type: end
          text: Thanks, we will look into it.

    Good:
        - id: ask_problem
          type: question
          text: What went wrong?
          save: problem
        - id: to_support
          type: escalate
          department: support
          when_unavailable: thanks
        - id: thanks
          type: end
          text: Thanks, we will look into it.
    """
    for block, kind in without_escalation(ctx.project, flow):
        yield problem(
                f"no `escalate` block can be reached from {kind} '{block.id}': a visitor "
                "who asks for a human cannot get one",
                block.span_of("id"),
                "route some answers (or the assistant's hand-back) to an `escalate` block",
            )


@rule("X003", "escalate-without-fallback", severity="warning")
def escalate_without_fallback(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """An `escalate` block has no `when_unavailable`.

    When no agent of the department is online the visitor waits in the queue, possibly
    for hours.  Offer something else: a ticket, a callback form, a message with opening hours.

    Bad:
        - id: to_sales
          type: escalate
          department: sales

    Good:
        - id: to_sales
          type: escalate
          department: sales
          when_unavailable: leave_details
    """
    for block in flow.blocks:
        if isinstance(block, EscalateBlock) and block.when_unavailable is None:
            where = (f"department '{block.department.name}'" if block.department
                     else "any department")
            yield problem(
                f"escalate '{block.id}' has no `when_unavailable`: with no agent of {where} "
                "online the visitor waits in the queue",
                block.span_of("id"),
                "add `when_unavailable: <block>` (a form, a ticket, or a message with "
                "opening hours)",
            )


@rule("X004", "branch-without-default", severity="warning")
def branch_without_default(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A `branch` has no `default`.

    When no case matches, control silently falls through to the following block in the
    list, which is rarely what the author meant.  Say where it goes.

    Bad:
        - id: route
          type: branch
          cases:
            - {when: "company_size == '200+'", next: to_sales}

    Good:
        - id: route
          type: branch
          cases:
            - {when: "company_size == '200+'", next: to_sales}
          default: self_serve
    """
    for block in flow.blocks:
        if isinstance(block, BranchBlock) and block.default is None:
            following = flow.following(block)
            then = (f"falls through to '{following.id}'" if following is not None
                    else "falls off the end of the flow")
            yield problem(
                f"branch '{block.id}' has no `default`: when no case matches it {then}",
                block.span_of("id"),
                "add `default: <block>`",
            )


@rule("X005", "message-too-long", severity="warning")
def message_too_long(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A bot text is longer than 300 characters.

    Chat bubbles are small, and most visitors read on a phone.  Split the text into
    several messages, or link to an article.  The length counted is the template as written.

    Bad:
        - id: terms
          type: message
          text: >-
            Our terms of service, in full: orders are binding once we confirm them by
            email. You may cancel within 14 days of delivery by writing to us, and we
            refund the price within 10 working days. Items must come back unused, in
            their original packaging. You pay for the return unless the item arrived
            damaged. Our liability is limited to the price of the order.

    Good:
        - id: terms
          type: message
          text: Here are our terms of service.
          buttons: [{label: Read the terms, url: "https://example.com/terms"}]
    """
    for block in flow.blocks:
        if not isinstance(block, MessageBlock | QuestionBlock | EndBlock | EscalateBlock):
            continue
        text = block.text
        if text is not None and len(text.source) > MAX_TEXT:
            yield problem(
                f"text of '{block.id}' is {len(text.source)} characters long "
                f"(more than {MAX_TEXT})",
                text.span,
                "split it into several messages, or link to an article",
            )


@rule("X006", "too-many-choices", severity="warning")
def too_many_choices(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A question offers more than 10 choices.

    Long lists of quick replies wrap over several screens.  Group the options into two
    questions, or ask for free text.

    Bad:
        - id: ask_country
          type: question
          text: Where are you based?
          choices: [Austria, Belgium, Denmark, France, Germany, Italy, Netherlands, Poland,
                    Spain, Sweden, Switzerland]

    Good:
        - id: ask_region
          type: question
          text: Where are you based?
          choices: [DACH, Benelux, Nordics, Southern Europe, Elsewhere]
    """
    for block in flow.blocks:
        if isinstance(block, QuestionBlock) and len(block.choices) > MAX_CHOICES:
            yield problem(
                f"question '{block.id}' has {len(block.choices)} choices (more than {MAX_CHOICES})",
                block.span_of("choices"),
                "group the options into two questions, or ask for free text",
            )


@rule("X007", "choice-label-too-long", severity="warning")
def choice_label_too_long(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A choice label is longer than 20 characters.

    Quick replies and buttons are cut off on small screens.  Keep labels short; put the
    detail in the question's text or in the choice's `value`.

    Bad:
        choices: [I would like to talk to somebody from sales]

    Good:
        choices: [{label: Talk to sales, value: sales}]
    """
    for block in flow.blocks:
        if not isinstance(block, QuestionBlock):
            continue
        for choice in block.choices:
            label = choice.label.strip()
            if len(label) > MAX_LABEL:
                yield problem(
                    f"choice label '{label}' of '{block.id}' is {len(label)} characters long "
                    f"(more than {MAX_LABEL})",
                    choice.span,
                    "shorten the label; keep the detail in the question or the choice's `value`",
                )


@rule("X008", "duplicate-choice-label")
def duplicate_choice_label(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """Two choices of a question have the same label.

    Labels are compared trimmed and case-insensitively: the visitor cannot tell the
    choices apart, and a typed answer always selects the first.

    Bad:
        choices: [Pricing, Support, pricing]

    Good:
        choices: [Pricing, Support, Billing]
    """
    for block in flow.blocks:
        if not isinstance(block, QuestionBlock):
            continue
        first: dict[str, Choice] = {}
        for choice in block.choices:
            key = " ".join(choice.label.split()).casefold()
            if key in first:
                earlier = first[key]
                yield problem(
                    f"choice '{choice.label.strip()}' of '{block.id}' has the same label as "
                    f"'{earlier.label.strip()}' (line {earlier.span.line})",
                    choice.span,
                    "give each choice a distinct label, or remove the duplicate",
                )
            else:
                first[key] = choice


@rule("X009", "retry-text-never-shown", severity="warning")
def retry_text_never_shown(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A question has a `retry_text` but `retries: 0`, so the text is never sent.

    With no retries the first invalid answer already leaves through `on_invalid`.

    Bad:
        - id: ask_email
          type: question
          text: Your email?
          expect: email
          retries: 0
          retry_text: That doesn't look like an email, try again?
          on_invalid: give_up

    Good:
        - id: ask_email
          type: question
          text: Your email?
          expect: email
          retries: 2
          retry_text: That doesn't look like an email, try again?
          on_invalid: give_up
    """
    for block in flow.blocks:
        if isinstance(block, QuestionBlock) and block.retry_text is not None and block.retries == 0:
            yield problem(f"question '{block.id}' has retry_text but retries: 0, so the text is "
                          "never sent", block.span_of("retry_text"),
                          "raise retries, or remove retry_text")
