"""Conversations kept in the browser (one list per index): the current chat and the earlier ones.
Pure functions over JSON-able values, so they are tested without a browser.

>>> chats, current = save_chat([{"role": "user", "content": "Who led it?"}], [], None)
>>> titles(chats), current == chats[0]["id"]
([['Who led it?']], True)
"""

from __future__ import annotations

import uuid

from .render import message_text, unescape

TITLE_CHARS = 60
MAX_CHATS = 50  # browser storage holds a few MB; the oldest chats go first


def save_chat(messages: list[dict], chats: list[dict] | None, current: str | None) -> tuple[list[dict], str | None]:
    """Put the conversation into `chats` (newest first, at most MAX_CHATS): update the current one, or
    add it as a new one; an empty conversation is not kept. Returns (chats, the current chat's id)."""
    chats = [c for c in chats or [] if isinstance(c, dict) and isinstance(c.get("id"), str)]
    if not messages:
        return chats, current
    chat_id = current or uuid.uuid4().hex[:12]
    chats = [{"id": chat_id, "title": title(messages), "messages": messages}] + [c for c in chats
                                                                                  if c["id"] != chat_id]
    return chats[:MAX_CHATS], chat_id


def open_chat(chats: list[dict] | None, chat_id: str | None) -> list[dict]:
    """The messages of chat `chat_id` ([] when there is no such chat)."""
    found = next((c for c in chats or [] if isinstance(c, dict) and c.get("id") == chat_id), None)
    return list(found.get("messages") or []) if found else []


def delete_chat(chats: list[dict] | None, chat_id: str | None) -> list[dict]:
    return [c for c in chats or [] if isinstance(c, dict) and c.get("id") != chat_id]


def titles(chats: list[dict] | None) -> list[list[str]]:
    """Rows for the "Earlier chats" list."""
    return [[str(c.get("title") or "Chat")] for c in chats or [] if isinstance(c, dict)]


def title(messages: list[dict]) -> str:
    """The first question, shortened."""
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            text = " ".join(unescape(message_text(message.get("content")) or "").split())
            if text:
                return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1].rstrip() + "…"
    return "Chat"
