"""The gateway process: gateway/ (the app, the Rasa client, shared state) and channels/ (WeChat,
Telegram, the web chat)."""
