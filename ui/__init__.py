"""User-facing front ends: the `groundqa` command line (and, later, the chat window)."""
