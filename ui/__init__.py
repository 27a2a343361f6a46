"""User-facing front ends: the `groundqa` command line (cli.py) and the Gradio chat window (app.py, render.py)."""
