"""The chat window: a thin Gradio layer over the same `Assistant` the Python API uses.

    groundqa chat [--index DIR | --sources DIR] [--port 7860]
"""

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from groundqa import Assistant
from groundqa.errors import GroundQAError
from groundqa.feedback import RATINGS, Feedback, add_details, record_feedback
from groundqa.index.filters import split_conditions
from groundqa.sources import MAX_UPLOAD_BYTES, SUPPORTED_SUFFIXES, TRASH_FOLDER, UPLOAD_FOLDER

from .conversations import delete_chat, open_chat, save_chat, titles
from .document_view import add_routes
from .render import (
    DOCUMENT_HEADERS,
    REFUSAL_NOTICE,
    answer_markdown,
    documents_rows,
    history_pairs,
    message_text,
    plain_answer,
    question_markdown,
    rated_turn,
    sources_message,
    unescape,
    upload_summary,
)
from .startup import Startup

if TYPE_CHECKING:
    from gradio.components.chatbot import ExampleMessage

EXAMPLES = [
    "Who led the Russian delegation in Istanbul?",
    "How many bodies did Russia agree to transfer to Ukraine?",
    "Where was the Istanbul meeting held?",
    "What did Vladimir Putin say about the talks?",
]
ASK = "Ask about the documents and press Enter"
SEARCHING = "*Searching the sources…*"
STOPPED = "*Stopped — nothing more will be added to this answer.*"
STREAM_WORDS, STREAM_PAUSE = 6, 0.015
CSS = """
.gq-sources>summary{cursor:pointer;font-size:var(--text-sm)}
#gq-title h1{font-size:var(--text-xxl);margin:0}
@media (max-width:640px){#gq-title h1{font-size:var(--text-lg)}.gq-source{padding:.3rem .4rem}}
footer .show-api,#gq-upload .or{color:var(--body-text-color)}
#gq-chat .scroll-down-button-container{left:auto;right:.6rem;transform:none}
.gq-source{border:1px solid var(--border-color-primary);border-radius:6px;padding:.4rem .6rem;margin:.4rem 0;
font-size:var(--text-md)}
.gq-source summary{cursor:pointer}.gq-source blockquote{margin:.3rem 0 0 .6rem;font-style:italic}
.gq-source[open]{border-color:var(--color-accent)}
.gq-passage{margin-top:.5rem;line-height:1.5}.gq-open{display:inline-block;margin:.4rem 0 .2rem}
.gq-highlight{background:#ffe58a;color:#000;padding:0 .1rem}
"""
# [n] links open their source in place; Copy and screen readers get plain text (see chat.js).
JS = (Path(__file__).parent / "chat.js").read_text(encoding="utf-8")


def respond(message: str, messages: list[dict], top_k: float, mode: str, assistant: Assistant, where: str = ""):
    """Answer one chat turn, streaming (messages, textbox) pairs: the question with a searching
    notice, then the verified answer a few words at a time, then its sources under it. `where` is
    the documents filter as typed ("type=pdf date>=2025")."""
    messages = list(messages or [])
    if not (message or "").strip():  # Enter in an empty box: nothing to ask, nothing to complain about
        yield messages, ""
        return
    turn = 1 + sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "user")
    asked = messages + [{"role": "user", "content": question_markdown(message)}]
    yield asked + [{"role": "assistant", "content": SEARCHING}], ""
    try:
        answer, documents = assistant.ask_with_documents(message, history_pairs(messages), top_k=int(top_k),
                                                         mode=mode, where=split_conditions(where))
    except GroundQAError as exc:  # under the question it answers, which stays in the box to be fixed
        yield asked + [{"role": "assistant", "content": f"⚠️ {question_markdown(str(exc))}"}], message  # may quote input
        return
    text = answer_markdown(answer, turn)
    words = text.split(" ")
    for end in range(STREAM_WORDS, len(words), STREAM_WORDS):
        yield asked + [{"role": "assistant", "content": " ".join(words[:end])}], ""
        time.sleep(STREAM_PAUSE)
    sources = sources_message(answer, documents, turn)
    yield asked + [{"role": "assistant", "content": text}] + ([sources] if sources else []), ""


def rate_answer(messages: list[dict], index: int, liked, assistant: Assistant,
                previous: Feedback | None = None, where: str = "") -> Feedback | None:
    """Record a rating (gradio's `liked`: True, False or one of the other RATINGS) of the answer at
    message `index`, with the documents filter `where` as it stands in Settings; the answer is asked
    again under that filter, and when it comes out the same as the one shown, its short answer and
    cited passages are kept too, so the rating can become an eval case. The same rating of the same
    answer as `previous` (the browser can send one click twice) is not kept again."""
    turn = rated_turn(messages, index)
    if turn is None:
        return None
    question, history, shown = turn
    rating = "Like" if liked is True else "Dislike" if liked is False else str(liked)
    where = (where or "").strip()
    if previous and (previous.rating, previous.question, previous.history, previous.where) == (
            rating, question, history, where):
        return previous
    feedback = Feedback(rating, question, history, plain_answer(shown), shown.startswith(REFUSAL_NOTICE),
                        index=assistant.index_name, where=where)
    try:
        again = assistant.ask(question, history, where=split_conditions(where))
    except GroundQAError:
        again = None
    if again is not None and plain_answer(answer_markdown(again, 0)) == feedback.answer:
        feedback.short_answer = again.short_answer
        feedback.citations = [{"source": c.source, "quote": c.quote, "start": c.start, "end": c.end, "page": c.page}
                              for c in again.citations if not c.context_only]
    record_feedback(feedback)
    return feedback


def add_documents(files, assistant: Assistant, show_progress: bool = False):
    """Upload handler: copy the files into the sources folder and index them; returns
    (status Markdown, documents table rows)."""
    paths = [getattr(f, "name", f) for f in (files or [])]
    if not paths:
        return "Choose one or more files to add.", documents_rows(assistant.index)
    try:
        report = assistant.add_files(paths, show_progress=show_progress)
    except GroundQAError as exc:
        return f"⚠️ {exc}", documents_rows(assistant.index)
    return upload_summary(report), documents_rows(assistant.index)


def remove_document(source: str | None, assistant: Assistant):
    """Remove handler: take the selected document out (its file moves to the folder's .trash/);
    returns (status Markdown, documents table rows)."""
    if not source:
        return "Select a document in the list first.", documents_rows(assistant.index)
    try:
        assistant.remove(source)
    except GroundQAError as exc:
        return f"⚠️ {exc}", documents_rows(assistant.index)
    return (f"✓ Removed {source}: it is no longer answered from (the file is in "
            f"{Path(assistant.sources or '.').name}/{TRASH_FOLDER}/)."), documents_rows(assistant.index)


def build_app(assistant: Assistant, startup: Startup | None = None):
    """The Gradio Blocks app (not launched), so tests and the CLI share it. With a `startup` still
    running, the page says "indexing…" and takes questions once it is done."""
    import gradio as gr

    ready = startup is None or startup.ready

    modes = ["extractive"] + (["llm"] if assistant.settings.llm_url and assistant.settings.llm_model else [])
    with gr.Blocks(title="groundqa") as app:
        gr.Markdown("# groundqa — answers only from your documents, every citation checked", elem_id="gq-title")
        banner = gr.Markdown("" if ready or startup is None else startup.status(), elem_id="gq-startup",
                             visible=not ready)
        with gr.Row():
            with gr.Column(scale=3):
                examples: list[ExampleMessage] | None = \
                    [{"text": q} for q in EXAMPLES] if assistant.on_bundled_corpus else None
                chatbot = gr.Chatbot(label="Chat", height="calc(100vh - 300px)", min_height=360, buttons=["copy"],
                                     examples=examples, elem_id="gq-chat", feedback_options=RATINGS, editable="user",
                                     latex_delimiters=[],  # "$$x$$" in a document stays text
                                     placeholder="Ask a question; answers cite the passages they come from.")
                question = gr.Textbox(label="Question", placeholder=ASK if ready else "Indexing… one moment",
                                      autofocus=True, submit_btn="Ask", stop_btn=False, interactive=ready)
                with gr.Row(visible=False, elem_id="gq-feedback") as details:
                    expected = gr.Textbox(label="What should it have answered? (optional)", scale=3)
                    note = gr.Textbox(label="Note (optional)", scale=3)
                    save = gr.Button("Save", size="sm", scale=0, min_width=80)
                rated = gr.State(None)
                thanks = gr.Markdown(elem_id="gq-feedback-status")
                with gr.Row():
                    new_chat = gr.Button("New chat", size="sm", elem_id="gq-new-chat", scale=0, min_width=110)
            with gr.Column(scale=2):
                with gr.Accordion("Chats", open=False, elem_id="gq-chats"):
                    earlier = gr.Dataset(components=[gr.Textbox(visible=False)], samples=[], type="index",
                                         layout="table", show_label=False, elem_id="gq-chat-list")
                with gr.Accordion("Documents", open=True):
                    documents = gr.Dataframe(documents_rows(assistant.index) if ready else [],
                                             headers=DOCUMENT_HEADERS,
                                             interactive=False, max_height=260, elem_id="gq-documents",
                                             column_widths=["37%", "14%", "13%", "36%"])
                    if assistant.accepts_uploads:
                        selected = gr.State(None)
                        remove = gr.Button("Remove the selected document", size="sm", interactive=False,
                                           elem_id="gq-remove")
                        # no file_types: gradio would refuse other files with a bare red "Error"; ours names the reason
                        upload = gr.File(label="Add documents", file_count="multiple", height=110, elem_id="gq-upload")
                        folder = Path(assistant.sources or ".").name
                        gr.Markdown(f"<small>{' '.join(SUPPORTED_SUFFIXES)}, up to {MAX_UPLOAD_BYTES // 2**20} MB "
                                    f"each; saved to {folder}/{UPLOAD_FOLDER}/ and indexed.</small>")
                        status = gr.Markdown(latex_delimiters=[])  # names files, which are the user's text
                    else:
                        gr.Markdown("*The bundled corpus is read-only. To add documents, start "
                                    "`groundqa chat --sources DIR` on a folder of your own.*")
                with gr.Accordion("Settings", open=False):
                    top_k = gr.Slider(1, 20, value=assistant.settings.top_k, step=1, label="Passages to retrieve",
                                      info="How many passages are searched for an answer; more finds more, slower.")
                    mode = gr.Radio(modes, value=modes[0], label="Answer mode", visible=len(modes) > 1,
                                    info="extractive: quotes the sources. llm: your local model writes the answer; "
                                         "every sentence is checked against the passages it cites.")
                    where = gr.Textbox("", label="Only documents matching", elem_id="gq-where",
                                       placeholder="e.g. type=pdf source=policies/* date>=2025",
                                       info="source=, title= (* wildcards), type=pdf, date=, date>=, date<… "
                                            "(YYYY[-MM[-DD]]); several: all must hold, the same field twice: either.")

        _wire_conversations(gr, assistant, app, chatbot, question, new_chat, earlier, [top_k, mode, where])

        def rate(messages, previous, filter_text, event: gr.LikeData):  # gradio reads the annotation at run time
            index = event.index if isinstance(event.index, int) else event.index[0]
            try:
                feedback = rate_answer(messages, index, event.liked, assistant, previous, filter_text)
            except (GroundQAError, OSError) as exc:  # a full or read-only disk, too
                return None, gr.Row(visible=False), f"⚠️ The rating was not saved: {exc}"
            if feedback is None:
                return None, gr.Row(visible=False), ""
            return (feedback, gr.Row(visible=True),
                    f"Saved “{feedback.rating}”. Your ratings stay on this computer and can become test cases.")

        def detail(feedback, right_answer, remark):
            if feedback and ((right_answer or "").strip() or (remark or "").strip()):
                try:
                    add_details(feedback.id, right_answer, remark)
                except OSError as exc:
                    return right_answer, remark, gr.Row(visible=True), f"⚠️ Not saved: {exc}"
                return "", "", gr.Row(visible=False), "Saved, thank you."
            return right_answer, remark, gr.Row(visible=False), ""

        chatbot.like(rate, [chatbot, rated, where], [rated, details, thanks], api_visibility="private")
        save.click(detail, [rated, expected, note], [expected, note, details, thanks], api_visibility="private")
        if assistant.accepts_uploads:
            def add(files, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (gradio's progress idiom)
                summary, rows = add_documents(files, assistant, show_progress=True)
                return summary, rows, None

            upload.upload(add, upload, [status, documents, upload], api_name="add_documents", concurrency_limit=1)

            def choose(rows, event: gr.SelectData):  # gradio reads this annotation at run time: keep it unquoted
                source = str(rows.iloc[event.index[0], 0])
                return source, gr.Button(f"Remove {source}", interactive=True)

            def drop(source):
                summary, rows = remove_document(source, assistant)
                return summary, rows, None, gr.Button("Remove the selected document", interactive=False)

            documents.select(choose, documents, [selected, remove], api_visibility="private")
            remove.click(drop, selected, [status, documents, selected, remove], api_name="remove_document",
                         concurrency_limit=1)
        if ready:
            app.load(lambda: documents_rows(assistant.index), None, documents, api_visibility="private")  # live
        elif startup is not None:
            waiting: Startup = startup

            def poll():
                if not waiting.ready:  # still indexing, or failed (then the page says why and stops asking)
                    return (gr.Markdown(waiting.status()), [], gr.Textbox(interactive=False),
                            gr.Timer(active=waiting.failure is None))
                return (gr.Markdown(visible=False), documents_rows(assistant.index),
                        gr.Textbox(interactive=True, placeholder=ASK), gr.Timer(active=False))

            timer = gr.Timer(1.0)
            timer.tick(poll, None, [banner, documents, question, timer], api_visibility="private")
            app.load(poll, None, [banner, documents, question, timer], api_visibility="private")
    return app


def _wire_conversations(gr, assistant: Assistant, app, chatbot, question, new_chat, earlier, settings) -> None:
    """Asking, stopping, regenerating and editing a question; the chats kept in this browser's storage
    (one list per index, so a reload keeps them): a new chat, opening an earlier one, deleting one."""
    key = hashlib.sha256(str(assistant.index_dir).encode()).hexdigest()[:12]
    chats = gr.BrowserState([], storage_key=f"groundqa-chats-{key}")
    current = gr.BrowserState(None, storage_key=f"groundqa-current-{key}")

    def turn(message, messages, k, chosen_mode, where):
        yield from respond(message, messages, k, chosen_mode, assistant, where)

    def again(messages, k, chosen_mode, where):  # regenerate: the last question, asked again
        asked = [i for i, m in enumerate(messages or []) if isinstance(m, dict) and m.get("role") == "user"]
        if not asked:
            yield messages, ""
            return
        text = unescape(message_text(messages[asked[-1]].get("content")) or "")
        yield from respond(text, messages[:asked[-1]], k, chosen_mode, assistant, where)

    def edited(messages, k, chosen_mode, where, event: gr.EditData):  # gradio reads the annotation at run time
        index = event.index if isinstance(event.index, int) else event.index[0]
        yield from respond(unescape(str(event.value)), messages[:index], k, chosen_mode, assistant, where)

    def pick(example: gr.SelectData):  # gradio reads this annotation at run time: keep it unquoted
        return example.value["text"]

    def store(messages, kept, chat_id):
        kept, chat_id = save_chat(messages, kept, chat_id)
        return kept, chat_id, gr.Dataset(samples=titles(kept))

    def restore(kept, chat_id):
        return open_chat(kept, chat_id), gr.Dataset(samples=titles(kept))

    def open_earlier(index, kept):
        kept = kept or []
        chosen = kept[index]["id"] if isinstance(index, int) and 0 <= index < len(kept) else None
        return open_chat(kept, chosen), chosen, ""

    def forget(kept, chat_id):  # the chat's own bin icon deletes the conversation
        kept = delete_chat(kept, chat_id)
        return kept, None, gr.Dataset(samples=titles(kept))

    def busy():  # while an answer is on its way, the box's button stops it
        return gr.Textbox(submit_btn=False, stop_btn="Stop")

    def ready():
        return gr.Textbox(submit_btn="Ask", stop_btn=False)

    private = {"api_visibility": "private"}
    kept_outputs = [chats, current, earlier]
    asking = question.submit(busy, None, question, queue=False, **private).then(
        turn, [question, chatbot, *settings], [chatbot, question], api_name="ask", concurrency_limit=4)
    retrying = chatbot.retry(busy, None, question, queue=False, **private).then(
        again, [chatbot, *settings], [chatbot, question], concurrency_limit=4, **private)
    editing = chatbot.edit(busy, None, question, queue=False, **private).then(
        edited, [chatbot, *settings], [chatbot, question], concurrency_limit=4, **private)
    picking = chatbot.example_select(pick, None, question, **private).then(busy, None, question, **private) \
        .then(turn, [question, chatbot, *settings], [chatbot, question], concurrency_limit=4, **private)
    for event in (asking, retrying, editing, picking):
        event.then(ready, None, question, queue=False, **private).then(
            store, [chatbot, chats, current], kept_outputs, **private)

    def stopped(messages):
        messages = list(messages or [])
        if messages and isinstance(messages[-1], dict) and message_text(messages[-1].get("content")) == SEARCHING:
            messages[-1] = {"role": "assistant", "content": STOPPED}
        return messages, ready()

    question.stop(stopped, chatbot, [chatbot, question], cancels=[asking, retrying, editing, picking], **private).then(
        store, [chatbot, chats, current], kept_outputs, **private)
    new_chat.click(lambda: ([], None, ""), None, [chatbot, current, question], **private)
    earlier.click(open_earlier, [earlier, chats], [chatbot, current, question], **private)
    chatbot.clear(forget, [chats, current], kept_outputs, **private).then(
        lambda: ([], ""), None, [chatbot, question], api_name="clear")
    app.load(restore, [chats, current], [chatbot, earlier], **private)


def launch(assistant: Assistant, port: int = 7860, block: bool = True, prepare: Callable[[], object] | None = None):
    """Serve on 127.0.0.1 only, never shared; system fonts and a Content-Security-Policy of the page's
    own origin, so no request leaves the machine. `prepare` (the first indexing) runs after the
    window is up, which says "indexing…" meanwhile; without it the assistant is warmed up first."""
    import gradio as gr
    from starlette.middleware import Middleware

    from .headers import SecurityHeaders

    startup = Startup(prepare, assistant.sources) if prepare else None
    app = build_app(assistant if startup else assistant.warm_up(), startup)
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    app.launch(server_name="127.0.0.1", server_port=port, share=False, prevent_thread_lock=True, quiet=True,
               theme=theme, css=CSS, js=JS, footer_links=["api"], max_file_size=MAX_UPLOAD_BYTES,
               app_kwargs={"middleware": [Middleware(SecurityHeaders)]})
    add_routes(app.app, assistant)  # the whole-document view, on the chat's own server
    if startup:
        startup.start()
    print(f"groundqa chat: open {app.local_url} (Ctrl+C to stop)", flush=True)
    if block:
        app.block_thread()
    return app
