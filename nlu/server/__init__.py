"""The Rasa server's plug-ins: the REST channel and tracker store that keep personal numbers
sealed (private_rest, private_store, redaction), the atomic Redis lock store (lock_store), the
patches to Rasa internals (rasa_patches) and the entry point that installs them (serve)."""
