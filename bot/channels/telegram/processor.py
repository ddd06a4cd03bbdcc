"""Concurrent updates that keep each chat's order.

python-telegram-bot processes updates one at a time by default, so one slow Rasa answer would hold
up every graduate. `ChatOrderedProcessor` runs different chats concurrently while the updates of
one chat wait for each other, in the order they arrived (a per-chat `asyncio.Lock`).

Why order holds: the Application creates one task per update in arrival order and each task takes
its chat's lock before its first suspension (PTB's own semaphore is sized so it never makes a task
wait), and `asyncio.Lock` wakes waiters first in, first out. The work itself is bounded by a
second semaphore taken *after* the chat lock, so its wake-up order cannot reorder a chat.
Order is per gateway process: with several replicas behind one webhook, a chat's updates may
reach different replicas.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, Optional

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# updates in flight (most of them waiting for their chat); far above anything one process sees
MAX_PENDING = 10_000


class ChatOrderedProcessor(BaseUpdateProcessor):
    """At most `max_working` updates at work at once, one per chat, each chat in arrival order."""

    def __init__(self, max_working: int = 64, on_done: Optional[Callable[[object], Awaitable[None]]] = None) -> None:
        super().__init__(MAX_PENDING)
        self._working = asyncio.BoundedSemaphore(max_working)
        self._locks: Dict[int, asyncio.Lock] = {}
        self._users: Dict[int, int] = {}
        self._on_done = on_done

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Process `update` in its chat's turn; then `on_done` (the journal crosses it out)."""
        try:
            await self._in_turn(update, coroutine)
        except asyncio.CancelledError:  # the gateway is stopping: not done (another gateway takes it)
            raise
        except Exception:
            await self._done(update)
            raise
        await self._done(update)

    async def _done(self, update: object) -> None:
        if self._on_done is not None:
            await self._on_done(update)

    async def _in_turn(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = chat_of(update)
        if chat is None:
            async with self._working:
                await coroutine
            return
        lock = self._take(chat)
        try:
            async with lock:
                async with self._working:
                    await coroutine
        finally:
            self._release(chat)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _take(self, chat: int) -> asyncio.Lock:
        self._users[chat] = self._users.get(chat, 0) + 1
        return self._locks.setdefault(chat, asyncio.Lock())

    def _release(self, chat: int) -> None:
        self._users[chat] -= 1
        if not self._users[chat]:
            del self._users[chat]
            del self._locks[chat]


def chat_of(update: object) -> Optional[int]:
    """The chat an update belongs to, if any."""
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None
