"""Telegram: a python-telegram-bot Application (long polling or webhook) in front of the assistant.

channel.py   the Application's life and the webhook endpoint
handlers.py  what each update does (commands, text, button presses)
delivery.py  sending: button payloads in the store, flood control, blocked chats
render.py    replies as Telegram messages and inline keyboards
processor.py chats concurrently, each chat in order
"""
from bot.channels.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel"]
