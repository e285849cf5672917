"""Errors as the API answers them: ``{"error": {"code", "message", ...}}`` with a status,
never a stack trace."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def not_found(what: str = "conversation") -> ApiError:
    return ApiError(404, "not_found", f"no such {what} (or the token does not grant it)")
