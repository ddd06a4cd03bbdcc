"""The gateway: one service in front of Rasa for every public channel (WeChat, Telegram, web)."""
