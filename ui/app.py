"""The chat window: a thin Gradio layer over the same `Assistant` the Python API uses.

    groundqa chat [--index DIR | --sources DIR] [--port 7860]
"""

from __future__ import annotations

from assistant import Assistant
from sources import GroundQAError

from .render import answer_markdown, documents_rows, history_pairs, sources_html

EXAMPLES = [
    "Who led the Russian delegation in Istanbul?",
    "How many bodies did Russia agree to transfer to Ukraine?",
    "Where was the Istanbul meeting held?",
    "What did Vladimir Putin say about the talks?",
]
CSS = """
.gq-source{border:1px solid var(--border-color-primary);border-radius:6px;padding:.4rem .6rem;margin:.4rem 0}
.gq-source summary{cursor:pointer}.gq-source blockquote{margin:.3rem 0 0 .6rem;font-style:italic}
.gq-passage{margin-top:.5rem;line-height:1.5}.gq-highlight{background:#ffe58a;color:#000;padding:0 .1rem}
"""


def respond(message: str, messages: list[dict], top_k: float, mode: str, assistant: Assistant):
    """Answer one chat turn; returns (messages, sources panel HTML, cleared textbox)."""
    messages = list(messages or [])
    try:
        answer = assistant.ask(message, history_pairs(messages), top_k=int(top_k), mode=mode)
    except GroundQAError as exc:
        return messages + [{"role": "assistant", "content": f"⚠️ {exc}"}], sources_html(None, {}), message
    messages += [{"role": "user", "content": message}, {"role": "assistant", "content": answer_markdown(answer)}]
    return messages, sources_html(answer, assistant.index.documents), ""


def build_app(assistant: Assistant):
    """The Gradio Blocks app (not launched), so tests and the CLI share it."""
    import gradio as gr

    modes = ["extractive"] + (["llm"] if assistant.settings.llm_url and assistant.settings.llm_model else [])
    with gr.Blocks(title="groundqa") as app:
        gr.Markdown("## groundqa — answers only from your documents, every citation checked")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", height=480)
                question = gr.Textbox(label="Question", placeholder="Ask about the documents and press Enter",
                                      autofocus=True)
                with gr.Row():
                    ask = gr.Button("Ask", variant="primary")
                    clear = gr.Button("Clear chat")
                gr.Examples(EXAMPLES, inputs=question, label="Examples (bundled corpus)")
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None, {}), label="Sources")
                with gr.Accordion("Settings", open=False):
                    top_k = gr.Slider(1, 20, value=assistant.settings.top_k, step=1, label="Passages to retrieve")
                    mode = gr.Radio(modes, value=modes[0], label="Answer mode")
                with gr.Accordion("Documents", open=False):
                    gr.Dataframe(documents_rows(assistant.index), headers=["source", "title", "chunks"],
                                 interactive=False)

        def turn(message, messages, k, chosen_mode):
            return respond(message, messages, k, chosen_mode, assistant)

        inputs, outputs = [question, chatbot, top_k, mode], [chatbot, sources, question]
        question.submit(turn, inputs, outputs, api_name="ask")
        ask.click(turn, inputs, outputs, api_name=False)
        clear.click(lambda: ([], sources_html(None, {}), ""), None, outputs, api_name="clear")
    return app


def launch(assistant: Assistant, port: int = 7860, block: bool = True):
    """Serve on 127.0.0.1 only, never shared; system fonts, so no request leaves the machine."""
    import gradio as gr

    app = build_app(assistant.warm_up())
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    app.launch(server_name="127.0.0.1", server_port=port, share=False, prevent_thread_lock=True, quiet=True,
               theme=theme, css=CSS, footer_links=["api", "settings"])
    print(f"groundqa chat: open {app.local_url} (Ctrl+C to stop)", flush=True)
    if block:
        app.block_thread()
    return app
