"""WeChat official account (公众号): inbound checks and parse (inbound.py), replies rendered as
WeChat text (render.py), the API client for customer-service messages and the menu (client.py),
the /wechat endpoints (channel.py) and the custom menu (menu.py, menu.yml)."""
