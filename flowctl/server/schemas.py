"""The JSON schemas of the API's bodies: requests are validated against them (unknown fields
are a 422) and ``/openapi.json`` is built from them, so the two cannot disagree."""

from __future__ import annotations

from typing import Any

from flowctl.server.settings import MAX_MESSAGE

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], required: list[str] | None = None, *,
        description: str = "", closed: bool = True) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


#: The largest number a revision, a sequence number or ``after`` may be: the storage's INTEGER
#: (PostgreSQL's is 32 bits).  Larger ones are refused (422, or 404 in a path).
MAX_INT = 2_147_483_647

STRING: Schema = {"type": "string"}
#: A string the server stores as text: PostgreSQL text cannot hold U+0000, so none may.
TEXT: Schema = {"type": "string", "pattern": "^[^\\x00]*$"}
#: A name in a path: one segment, not empty, no U+0000.
PATH_NAME: Schema = {"type": "string", "minLength": 1, "pattern": "^[^/\\x00]+$"}
#: A number in a path (``{number:int}``).
PATH_NUMBER: Schema = {"type": "integer", "minimum": 0, "maximum": MAX_INT}
NULL_STRING: Schema = {"type": ["string", "null"]}
INT: Schema = {"type": "integer"}
ANY_OBJECT: Schema = {"type": "object"}
TIME: Schema = {"type": "string", "format": "date-time"}
STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}

COMPONENTS: dict[str, Schema] = {
    "Error": obj({"error": obj({
        "code": {"type": "string", "description": "snake_case, stable: program against it"},
        "message": {"type": "string", "description": "a sentence for people"},
        "lint": {"type": "object", "description": "with `lint_failed`: the problems, in the "
                 "`flowctl lint --format json` shape"},
        "conversation": ref("Conversation"),
    }, ["code", "message"], closed=False)}, ["error"], closed=False),
    "Input": obj({
        "id": {"type": "string", "description": "names this input; `in_reply_to` quotes it"},
        "block": STRING,
        "kind": {"enum": ["answer", "form", "ai", "response"]},
        "choices": {"type": "array", "items": STRING},
        "fields": {"type": "array", "items": ANY_OBJECT},
        "expires_at": {"type": ["string", "null"], "format": "date-time",
                       "description": "when the block's timeout fires, if it has one"},
    }, ["id", "block", "kind", "choices", "fields", "expires_at"],
        description="What the bot waits for now."),
    "Conversation": obj({
        "id": STRING, "project": STRING, "flow": STRING, "revision": INT,
        "status": {"enum": ["running", "waiting", "ended"]},
        "waiting_for": {"enum": [None, "answer", "form", "ai", "response"]},
        "input": {"oneOf": [{"type": "null"}, ref("Input")]},
        "outcome": NULL_STRING,
        "tags": {"type": "array", "items": STRING},
        "started_at": TIME,
        "transcript": {"type": "array", "items": ref("TranscriptEntry")},
    }, ["id", "project", "flow", "revision", "status", "waiting_for", "input", "outcome", "tags",
        "started_at"]),
    "BotMessage": obj({
        "type": {"enum": ["text", "image", "buttons", "choices", "form", "articles", "handoff",
                          "typing"]},
    }, ["type"], closed=False, description="A structured bot message of the flow format; never "
        "HTML."),
    "TranscriptEntry": obj({
        "seq": INT, "at": TIME, "from": {"enum": ["bot", "visitor", "agent", "system"]},
        "message": ANY_OBJECT}, ["seq", "at", "from", "message"]),
    "Event": obj({
        "seq": INT, "at": TIME, "type": {"enum": ["message", "input", "status", "typing"]},
        "from": {"enum": ["bot", "visitor", "agent", "system"]}, "data": ANY_OBJECT},
        ["seq", "at", "type", "from", "data"]),
    "Turn": obj({
        "conversation": ref("Conversation"),
        "messages": {"type": "array", "items": ref("BotMessage")},
        "seq": {"type": "integer", "description": "the last event's number (for the stream)"},
    }, ["conversation", "messages", "seq"]),
    "MessageRequest": {
        "description": "What the visitor sends: text, a choice (by label or value) or a form.",
        "oneOf": [
            obj({"type": {"const": "text"},
                 "text": {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE},
                 "in_reply_to": STRING}, ["type", "text"]),
            {**obj({"type": {"const": "choice"},
                    "label": {"type": "string", "maxLength": MAX_MESSAGE},
                    "value": {"type": "string", "maxLength": MAX_MESSAGE}, "in_reply_to": STRING},
                   ["type"], description="`label` or `value` (or both: `label` wins)"),
             "anyOf": [{"required": ["label"]}, {"required": ["value"]}]},
            obj({"type": {"const": "form"}, "values": {"type": "object", "maxProperties": 100},
                 "in_reply_to": STRING}, ["type", "values"]),
        ],
    },
    "EventRequest": obj({
        "event": obj({"type": {"enum": ["page_view", "chat_opened", "visitor_message",
                                        "visitor_idle", "visitor_identified",
                                        "conversation_closed", "custom"]},
                      "name": STRING,
                      "message": {"type": "string", "maxLength": MAX_MESSAGE},
                      "data": ANY_OBJECT}, ["type"]),
        "context": obj({"page": ANY_OBJECT, "visitor": ANY_OBJECT, "device": ANY_OBJECT}),
        "identity": obj({"id": STRING, "attributes": ANY_OBJECT, "signature": STRING}, ["id"]),
    }, ["event"]),
    "StartRequest": obj({
        "flow": {**TEXT, "minLength": 1},
        "visitor_id": TEXT,
        "event": obj({"type": STRING, "name": STRING, "message": STRING, "data": ANY_OBJECT}),
        "context": obj({"page": ANY_OBJECT, "visitor": ANY_OBJECT, "device": ANY_OBJECT,
                        "chat": ANY_OBJECT}),
    }, ["flow"]),
    "EventAnswer": obj({
        "started": {"type": "boolean"},
        "reasons": {"type": "object", "additionalProperties": STRING,
                    "description": "why each flow did or did not start (admin token only)"},
        "open_conversation": STRING,
        "conversation": ref("Conversation"), "token": STRING,
        "messages": {"type": "array", "items": ref("BotMessage")}, "seq": INT,
    }, ["started"]),
    "Visitor": obj({"visitor_id": STRING, "visitor_token": STRING},
                   ["visitor_id", "visitor_token"]),
    "PublishRequest": obj({
        "files": {"type": "object", "additionalProperties": STRING, "minProperties": 1,
                  "description": "project-relative path -> text: flowctl.yaml, *.flow.yaml, "
                  "knowledge/*.md"},
        "message": TEXT,
        "source": obj({"commit": STRING}, closed=False),
    }, ["files"]),
    "PublishAnswer": obj({
        "revision": INT, "hash": STRING, "unchanged": {"type": "boolean"},
        "dry_run": {"type": "boolean"},
        "changes": obj({"added": {"type": "array", "items": STRING},
                        "changed": {"type": "array", "items": STRING},
                        "removed": {"type": "array", "items": STRING}},
                       ["added", "changed", "removed"]),
    }, ["revision", "hash", "changes"]),
    "Project": obj({
        "project": STRING, "active_revision": INT, "hash": STRING, "flows": STRING_MAP,
        "published_at": TIME, "activated_at": TIME, "message": STRING, "source": ANY_OBJECT,
    }, ["project", "active_revision", "hash", "flows", "published_at", "message", "source"]),
    "Revision": obj({
        "revision": INT, "hash": STRING, "flows": STRING_MAP, "message": STRING,
        "source": ANY_OBJECT, "published_at": TIME, "files": STRING_MAP,
    }, ["revision", "hash", "flows", "message", "source", "published_at"]),
    "Revisions": obj({"project": STRING, "active_revision": {"type": ["integer", "null"]},
                      "revisions": {"type": "array", "items": ref("Revision")}},
                     ["project", "active_revision", "revisions"]),
    "RollbackRequest": obj({"to": {"type": "integer", "minimum": 1, "maximum": MAX_INT}}, ["to"]),
    "RollbackAnswer": obj({"project": STRING, "active_revision": INT, "hash": STRING},
                          ["project", "active_revision", "hash"]),
    "Agents": obj({"departments": {"type": "object", "maxProperties": 1000, "propertyNames": TEXT,
                                   "additionalProperties":
                                   {"type": "integer", "minimum": 0, "maximum": 100_000}}},
                  ["departments"]),
    "Handoffs": obj({"handoffs": {"type": "array", "items": obj({
        "conversation": STRING, "department": NULL_STRING, "priority": NULL_STRING,
        "note": NULL_STRING, "status": STRING, "queued_at": TIME,
        "waiting_seconds": {"type": "number"}},
        ["conversation", "department", "priority", "note", "status", "queued_at",
         "waiting_seconds"])}}, ["handoffs"]),
    "Events": obj({"events": {"type": "array", "items": ref("Event")}, "seq": INT},
                  ["events", "seq"]),
    "Health": obj({"status": STRING, "schema": INT, "database": STRING}, ["status"]),
}
