"""What the bot does with each kind of update; private chats only (graduates register with their
name, phone and ID number, which do not belong in a group).

The sender id is `tg:<chat id>`. Text starting with "/" never reaches Rasa as typed: Rasa reads
"/intent{...}" as an intent with entities, so only the commands below (mapped to fixed texts)
and the payloads of buttons the gateway itself sent get through.
"""
from __future__ import annotations

import logging
import time
from typing import Dict, List, Optional

from telegram import BotCommand, CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram.delivery import Delivery
from bot.channels.telegram.render import PICKED, button_id, with_welcome
from bot.gateway.assistant import SEND_AGAIN, SORRY, Assistant, AssistantUnavailable
from bot.gateway.journal import Journal
from bot.gateway.replies import Reply

log = logging.getLogger(__name__)

WELCOME = "你好，欢迎使用北京市离校未就业高校毕业生就业服务助手！"
NOT_A_COMMAND = "没有这个命令。发送 /help 看看我能做什么，或者直接打字提问。"
TEXT_ONLY = "我目前只能看懂文字消息，请直接打字提问。"
PRIVATE_ONLY = "为了保护你的个人信息，请私聊我提问。"
BUTTON_GONE = "这个按钮已失效，请直接打字提问。"
JOURNAL_KIND = "tg"  # the journal's entries of Telegram updates: tg:<update_id>

# command → what the assistant is sent (subscriptions arrive in a later feature)
COMMAND_TEXTS: Dict[str, str] = {
    "help": "/help",
    "register": "/register",
    "subscribe": "订阅",
    "unsubscribe": "退订",
    "cancel": "取消",
}
COMMANDS: List[BotCommand] = [
    BotCommand("start", "开始使用，看看我能帮你做什么"),
    BotCommand("help", "我能帮你做什么"),
    BotCommand("register", "求职登记：实名登记，查看、修改或删除登记信息"),
    BotCommand("subscribe", "订阅政策和招聘信息提醒"),
    BotCommand("unsubscribe", "退订提醒"),
    BotCommand("cancel", "取消当前操作"),
]


class Handlers:
    def __init__(self, assistant: Assistant, delivery: Delivery, journal: Journal) -> None:
        self.assistant = assistant
        self.delivery = delivery
        self.journal = journal

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handlers(self.handlers())
        application.add_error_handler(self.on_error)

    def handlers(self) -> List[BaseHandler]:  # type: ignore[type-arg]
        private = filters.ChatType.PRIVATE
        return [
            CommandHandler("start", self.start, filters=private),
            *(CommandHandler(name, self.command, filters=private) for name in COMMAND_TEXTS),
            MessageHandler(private & filters.UpdateType.MESSAGE & filters.COMMAND, self.unknown_command),
            MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT, self.text),
            MessageHandler(private & filters.UpdateType.MESSAGE, self.not_text),
            CommandHandler(["start", *COMMAND_TEXTS], self.private_only, filters=~private),
            CallbackQueryHandler(self.press),
        ]

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: a welcome line in front of what the assistant can do."""
        chat = await self._chat_of_message(update)
        if chat is not None:
            await self.delivery.send(chat, with_welcome(await self._ask(update, chat, "/help"), WELCOME))

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help, /register, /subscribe, /unsubscribe, /cancel: their fixed text to the assistant."""
        chat = await self._chat_of_message(update)
        name = _command_name(update)
        if chat is not None and name in COMMAND_TEXTS:
            await self._answer(update, chat, COMMAND_TEXTS[name])

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A question: to the assistant, its answer back."""
        chat = await self._chat_of_message(update)
        text = (update.effective_message.text or "").strip() if update.effective_message else ""
        if chat is None or not text:
            return
        if text.startswith("/"):
            await self.delivery.send(chat, [Reply(NOT_A_COMMAND)])
        else:
            await self._answer(update, chat, text)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command we do not have: say so, send nothing to the assistant."""
        await self._say(update, NOT_A_COMMAND)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Photos, stickers, voice …: ask for text."""
        await self._say(update, TEXT_ONLY)

    async def private_only(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command in a group: point to the private chat."""
        if update.effective_chat is not None:
            await self.delivery.send(update.effective_chat.id, [Reply(PRIVATE_ONLY)])

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button: its payload to the assistant as the chat's next message."""
        query = update.callback_query
        if query is None or query.message is None or query.message.chat.type != "private":
            return
        chat = query.message.chat.id
        if query.data == PICKED:
            await _acknowledge(query)
            return
        button = await self.delivery.button(chat, button_id(query.data or ""))
        if button is None:
            await _acknowledge(query, BUTTON_GONE)
            return
        await _acknowledge(query)
        await self.delivery.mark_picked(query.message, button.title)
        if await self.delivery.reachable(chat, time.time()):
            await self._answer(update, chat, button.payload)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log an update that failed; the type only when it is Telegram's (messages hold the token)."""
        error = context.error
        if isinstance(error, Exception) and type(error).__module__.startswith("telegram"):
            log.error("telegram: an update failed: %s", type(error).__name__)
        else:
            log.error("telegram: an update failed", exc_info=error)

    async def _answer(self, update: Update, chat: int, text: str) -> None:
        await self.delivery.send(chat, await self._ask(update, chat, text))

    async def _ask(self, update: Update, chat: int, text: str) -> List[Reply]:
        """The turn is named after the update; one taken over from a dead gateway goes with `once`."""
        again = self.journal.replayed(journal_entry(update.update_id))
        try:
            return await self.assistant.ask("tg", str(chat), text, turn=f"update:{update.update_id}", once=again)
        except AssistantUnavailable:
            return [Reply(SEND_AGAIN if again else SORRY)]

    async def _say(self, update: Update, text: str) -> None:
        chat = await self._chat_of_message(update)
        if chat is not None:
            await self.delivery.send(chat, [Reply(text)])

    async def _chat_of_message(self, update: Update) -> Optional[int]:
        """The chat to answer, or None when the message predates the chat blocking the bot."""
        message = update.effective_message
        if message is None or update.effective_chat is None:
            return None
        chat = update.effective_chat.id
        return chat if await self.delivery.reachable(chat, message.date.timestamp()) else None


async def _acknowledge(query: CallbackQuery, text: Optional[str] = None) -> None:
    """Stop the button's spinner; a query too old to answer still gets its payload sent."""
    try:
        await query.answer(text)
    except TelegramError as error:
        log.debug("telegram: callback query not answered: %s", type(error).__name__)


def journal_entry(update_id: int) -> str:
    """The journal entry of an update acknowledged on the webhook (bot/gateway/journal.py)."""
    return f"{JOURNAL_KIND}:{update_id}"


def _command_name(update: Update) -> str:
    text = update.effective_message.text if update.effective_message else None
    return (text or "").split()[0].lstrip("/").split("@")[0].lower() if text else ""
