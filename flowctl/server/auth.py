"""Tokens: made with at least 128 random bits, stored only as SHA-256 hashes, compared in
constant time.  A wrong token for a conversation is answered exactly like a missing
conversation (404), so tokens cannot be probed.

The admin token comes from ``FLOWCTL_ADMIN_TOKEN``; without it the server makes one on first
start and keeps it in ``<data folder>/admin-token`` (mode 0600), where ``flowctl publish`` to
a loopback target finds it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

ADMIN_TOKEN_FILE = "admin-token"


def new_token(prefix: str) -> str:
    """``prefix`` + 192 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(24)


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(token: str | None, stored_hash: str) -> bool:
    if not token:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def admin_token(data_dir: Path, configured: str | None) -> tuple[str, Path | None]:
    """The admin token, and the file it was kept in when the server made it."""
    if configured:
        return configured, None
    path = data_dir / ADMIN_TOKEN_FILE
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= 16:
            return token, path
    data_dir.mkdir(parents=True, exist_ok=True)
    token = new_token("fa_")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    os.chmod(path, 0o600)
    return token, path


def read_admin_token(data_dir: Path) -> str | None:
    """The token a local server keeps in ``data_dir`` (for ``flowctl publish`` on loopback)."""
    path = data_dir / ADMIN_TOKEN_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def identity_signature(secret: str, identity_id: str, attributes: dict[str, Any]) -> str:
    """Hex HMAC-SHA256 of the canonical JSON of ``{"id", "attributes"}`` under ``secret``."""
    canonical = json.dumps({"attributes": attributes, "id": identity_id}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def identity_verified(secret: str | None, identity_id: str, attributes: dict[str, Any],
                      signature: str | None) -> bool:
    if not secret or not signature:
        return False
    expected = identity_signature(secret, identity_id, attributes)
    return hmac.compare_digest(expected, signature.lower())
