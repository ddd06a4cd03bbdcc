"""The gateway side: clients of the Rasa server, channels, and the local runner."""
