"""The web chat box for the bureau's website: a page and a small JSON endpoint."""
