"""The chat in a real browser: Debian's chromium driven by Playwright (no `playwright install`)."""

import importlib.util
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]
# These tests check layout, not speed: an answer may take long on a CPU shared with other work.
ANSWER_WAIT_MS = 60_000

if not (os.path.exists(CHROMIUM) and importlib.util.find_spec("playwright")) and not os.environ.get("CI"):
    pytest.skip("needs Debian chromium and the playwright package (CI installs both)", allow_module_level=True)


@pytest.fixture(scope="module")
def page(served):
    from playwright.sync_api import sync_playwright

    app, _ = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.requested_hosts = set()
        page.on("request", lambda request: page.requested_hosts.add(urlsplit(request.url).hostname))
        page.goto(app.local_url)
        yield page
        browser.close()


def screenshot(page, tmp_path: Path, name: str) -> Path:
    """Saved under tmp_path, and also under $GROUNDQA_SCREENSHOTS when set (how docs/ gets its pictures)."""
    path = tmp_path / name
    page.screenshot(path=path)
    if os.environ.get("GROUNDQA_SCREENSHOTS"):
        shutil.copy(path, Path(os.environ["GROUNDQA_SCREENSHOTS"]) / name)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


@pytest.mark.slow
def test_question_answer_citation_and_highlighted_passage(page, tmp_path):
    from playwright.sync_api import expect

    question = page.get_by_role("textbox", name="Question")
    question.fill("Who led the Russian delegation in Istanbul?")
    question.press("Enter")
    source = page.locator("#gq-1-1")
    source.wait_for(timeout=ANSWER_WAIT_MS)  # the sources come last, once the answer has streamed in
    answer = page.locator("[data-testid='bot']").filter(has_text="Medinsky").first
    marker = answer.locator("a[href='#gq-1-1']").first
    assert marker.is_visible() and marker.inner_text() == "[1]"
    assert "Istanbul talks" in source.locator("summary").inner_text()
    assert not source.locator("mark.gq-highlight").is_visible()  # closed until asked for
    marker.click()
    highlight = source.locator("mark.gq-highlight")
    highlight.wait_for(state="visible", timeout=5_000)
    expect(highlight).to_be_in_viewport(ratio=1)  # scrolled to, not left below the fold
    assert "Presidential Aide Vladimir Medinsky" in highlight.inner_text()
    assert "Rustem Umerov" in source.locator(".gq-passage").inner_text()  # the surrounding document text
    assert len(page.context.pages) == 1  # the citation opened in place, not in a new tab
    page.wait_for_timeout(1_500)
    assert highlight.is_visible()  # and stays open: nothing re-renders the answer under the reader
    screenshot(page, tmp_path, "chat.png")


@pytest.mark.slow
def test_a_source_opens_its_whole_document_at_the_passage(page):
    from playwright.sync_api import expect

    source = page.locator("#gq-1-1")
    with page.context.expect_page() as opened:
        source.locator("a.gq-open").click()
    document = opened.value
    document.wait_for_load_state()
    hit = document.locator("mark#gq-hit")
    expect(hit).to_have_text("The Istanbul meeting, held on June 2 at the Çırağan Palace, saw the Russian "
                             "delegation led by Presidential Aide Vladimir Medinsky.")
    expect(hit).to_be_in_viewport()
    assert "Istanbul talks" in document.title() and document.url.startswith(page.url.split("?")[0].rstrip("/"))
    document.close()
    assert len(page.context.pages) == 1 and source.locator("mark.gq-highlight").is_visible()  # the chat as it was


@pytest.mark.slow
def test_a_reload_keeps_the_conversation(page):
    from playwright.sync_api import expect

    bot = page.locator("[data-testid='bot']")
    expect(bot.filter(has_text="Medinsky").first).to_be_visible()  # asked in the test above
    page.reload()
    expect(page.locator("[data-testid='bot']").filter(has_text="Medinsky").first).to_be_visible(timeout=ANSWER_WAIT_MS)
    expect(page.locator("[data-testid='user']").first).to_contain_text("Who led the Russian delegation")
    page.locator("#gq-1-1 summary").click()  # its sources still open in place
    expect(page.locator("#gq-1-1 mark.gq-highlight")).to_be_visible()


@pytest.mark.slow
def test_ratings_are_saved_exported_and_evaluated(page, served, tmp_path):
    from playwright.sync_api import expect

    from groundqa.evals.feedback import export_cases, write_cases
    from groundqa.feedback import read_feedback
    from groundqa.ui.cli import main

    page.get_by_role("button", name="Like", exact=True).first.click()
    status = page.locator("#gq-feedback-status")
    expect(status).to_contain_text("Saved “Like”", timeout=10_000)
    page.get_by_role("button", name="Feedback").first.click()
    page.get_by_role("button", name="Should have refused").click()
    expect(status).to_contain_text("Saved “Should have refused”", timeout=10_000)
    page.get_by_label("Note (optional)").fill("the talks were not in Istanbul")
    page.locator("#gq-feedback").get_by_role("button", name="Save").click()
    expect(status).to_contain_text("Saved, thank you", timeout=10_000)
    ratings = read_feedback()
    assert [r.rating for r in ratings] == ["Like", "Should have refused"]
    assert ratings[0].citations and ratings[1].note == "the talks were not in Istanbul"
    cases, _ = export_cases(ratings)  # the newest rating of the question wins: expect a refusal
    assert [c["answerable"] for c in cases] == [False]
    exported = write_cases(cases, tmp_path / "feedback-set.jsonl")
    _, assistant = served
    assert main(["eval", str(exported), "--index", str(assistant.index_dir), "--sources", str(assistant.sources),
                 "--fail-under", "refusal.accuracy=1"]) == 1  # today's answer breaks the user's test


def ask(page, text: str) -> None:
    question = page.get_by_role("textbox", name="Question")
    question.fill(text)
    question.press("Enter")


@pytest.mark.slow
def test_copy_and_screen_readers_get_plain_text(page, served):
    app, _ = served
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.local_url)
    answer = page.locator("[data-testid='bot']").filter(has_text="Medinsky").first
    label = answer.get_attribute("aria-label")
    assert label.startswith("Answer: Presidential Aide Vladimir Medinsky [1].") and "#gq-" not in label
    sources_label = page.locator("[data-testid='bot']").filter(has=page.locator("details.gq-source")).first \
        .get_attribute("aria-label")
    assert sources_label.startswith("Answer: Sources:\n[1] Istanbul talks") and "<" not in sources_label
    page.locator("#gq-chat button[aria-label='Copy message']").nth(1).click()  # the answer's, under it
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Presidential Aide Vladimir Medinsky [1].")
    assert "\n\nSources:\n[1] Istanbul talks (istanbul-talks-2025-06.txt)\n    “The Istanbul meeting" in copied
    assert "<" not in copied and "#gq-" not in copied and "](" not in copied


@pytest.mark.slow
def test_new_chat_and_earlier_chats_survive_a_reload(page):
    from playwright.sync_api import expect

    users, bots = page.locator("[data-testid='user']"), page.locator("[data-testid='bot']")
    expect(users.first).to_contain_text("Who led the Russian delegation")  # the chat of the tests above
    page.get_by_role("button", name="New chat").click()
    expect(bots).to_have_count(0)
    ask(page, "How many bodies did Russia agree to transfer to Ukraine?")
    expect(bots.filter(has_text="6,000").first).to_be_visible(timeout=ANSWER_WAIT_MS)
    page.locator("#gq-chats").get_by_text("Chats").click()
    listed = page.locator("#gq-chat-list")
    expect(listed).to_contain_text("How many bodies did Russia agree")
    listed.get_by_text("Who led the Russian delegation in Istanbul?").click()  # back to the first chat
    expect(users).to_have_count(1)
    expect(users.first).to_contain_text("Who led the Russian delegation")
    page.reload()
    expect(page.locator("[data-testid='user']").first).to_contain_text("Who led the Russian delegation",
                                                                       timeout=ANSWER_WAIT_MS)
    page.locator("#gq-chats").get_by_text("Chats").click()
    expect(page.locator("#gq-chat-list")).to_contain_text("How many bodies did Russia agree")


@pytest.mark.slow
def test_regenerate_and_edit_a_question(page):
    from playwright.sync_api import expect

    users, bots = page.locator("[data-testid='user']"), page.locator("[data-testid='bot']")
    page.get_by_role("button", name="Retry").last.click()
    expect(bots.filter(has_text="Medinsky").first).to_be_visible(timeout=ANSWER_WAIT_MS)
    expect(users).to_have_count(1)  # asked again in place, not appended
    page.wait_for_timeout(500)  # the retried answer's last update has landed
    page.locator("#gq-chat button[aria-label='Edit']").first.click()
    page.locator("#gq-chat textarea.edit-textarea").fill("Who headed the Ukrainian delegation?")
    page.get_by_role("button", name="Submit").click()
    expect(bots.filter(has_text="Rustem Umerov").first).to_be_visible(timeout=ANSWER_WAIT_MS)
    expect(users).to_have_count(1)
    expect(users.first).to_contain_text("Who headed the Ukrainian delegation?")


@pytest.mark.slow
def test_stop_a_slow_answer(page, served, monkeypatch):
    import time

    from playwright.sync_api import expect

    _, assistant = served
    real_ask = assistant.ask_with_documents

    def slow_ask(question, *args, **kwargs):
        if "slowly" in question:
            time.sleep(4)
        return real_ask(question, *args, **kwargs)

    monkeypatch.setattr(assistant, "ask_with_documents", slow_ask)
    ask(page, "Tell me slowly who led the talks")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible(timeout=10_000)
    stop.click()
    expect(page.locator("[data-testid='bot']").last).to_contain_text("Stopped —", timeout=10_000)
    expect(page.get_by_role("button", name="Ask")).to_be_visible()
    page.wait_for_timeout(4_500)  # the answer that was on its way never lands
    expect(page.locator("[data-testid='bot']").last).to_contain_text("Stopped —")


@pytest.mark.slow
def test_refusal_is_marked_and_still_lists_the_closest_passages(page):
    from playwright.sync_api import expect

    sources = page.locator("details.gq-source")
    shown_before = sources.count()
    question = page.get_by_role("textbox", name="Question")
    question.fill("What is the capital of Australia?")
    question.press("Enter")
    page.get_by_text("Closest passages — context only").first.wait_for(timeout=ANSWER_WAIT_MS)  # comes last
    expect(sources).not_to_have_count(shown_before)
    sources.last.scroll_into_view_if_needed()
    assert sources.last.is_visible() and sources.last.locator("blockquote").inner_text().strip()
    assert page.locator("[data-testid='bot']").filter(has_text="Not in the sources.").first.is_visible()


@pytest.mark.slow
def test_upload_adds_a_document_and_names_a_bad_one(page, tmp_path):
    good, bad, program = tmp_path / "harbour-log.md", tmp_path / "scan.pdf", tmp_path / "tool.exe"
    good.write_text("# Harbour log\n\nForty-one ferries crossed the Bosphorus on the morning of the talks.\n",
                    encoding="utf-8")
    bad.write_bytes(b"%PDF-1.4 cut short")
    program.write_bytes(b"MZ\x90\x00")
    page.locator("#gq-upload input[type=file]").set_input_files([str(good), str(bad), str(program)])
    page.get_by_text("Added 1 document").wait_for(timeout=60_000)
    assert page.get_by_text("Skipped scan.pdf: the PDF is damaged or cut short").is_visible()
    assert page.get_by_text("Skipped tool.exe: unsupported file type").is_visible()  # in words, not a red "Error"
    assert page.locator("#gq-documents").get_by_text("uploads/harbour-log.md").is_visible()
    screenshot(page, tmp_path, "upload.png")


@pytest.mark.slow
def test_replace_by_upload_remove_and_the_list_survives_a_reload(page, tmp_path):
    import re

    from playwright.sync_api import expect

    log = tmp_path / "ferry-log.md"
    upload = page.locator("#gq-upload input[type=file]")
    versions = (("Forty-one", "Added 1 document"), ("Forty-two", "Replaced 1 document with the new version"))
    for count, outcome in versions:
        log.write_text(f"# Ferry log\n\n{count} ferries crossed the Bosphorus on the morning of the talks.\n",
                       encoding="utf-8")
        upload.set_input_files([str(log)])
        page.get_by_text(re.compile(f"{outcome} .*ferry-log.md")).wait_for(timeout=60_000)
    cells = page.locator("#gq-documents")
    expect(cells.get_by_text("ferry-log (2).md")).to_have_count(0)  # a new version, not a copy
    page.reload()
    expect(cells.get_by_text("uploads/ferry-log.md").first).to_be_visible(timeout=ANSWER_WAIT_MS)
    cells.get_by_text("uploads/ferry-log.md").first.click()
    button = page.locator("#gq-remove")
    expect(button).to_have_text("Remove uploads/ferry-log.md", timeout=10_000)
    button.click()
    page.get_by_text("Removed uploads/ferry-log.md").wait_for(timeout=60_000)
    expect(cells.get_by_text("uploads/ferry-log.md")).to_have_count(0)
    page.reload()  # the list is the live index, not the one the page started with
    expect(cells).to_contain_text("istanbul-talks-2025-06.txt", timeout=ANSWER_WAIT_MS)
    expect(cells).not_to_contain_text("ferry-log.md")


@pytest.mark.slow
def test_a_hostile_document_stays_inert_text_in_the_answer_and_its_sources(page, tmp_path):
    notice = tmp_path / "portal-notice.md"
    notice.write_text("# Staff portal\n\nThe staff portal address is https://evil.example/login?session=steal since "
                      "March.\n\nFor questions about the staff portal, write to help@evil.example or read "
                      "www.evil.example, where the formula $$x^2$$ and $y$ are explained.\n", encoding="utf-8")
    page.locator("#gq-upload input[type=file]").set_input_files([str(notice)])
    page.get_by_text("Added 1 document").last.wait_for(timeout=60_000)
    ask(page, "Where do I write with questions about the staff portal?")
    page.locator("details.gq-sources blockquote", has_text="help@evil.example").wait_for(timeout=ANSWER_WAIT_MS)
    sources = page.locator("details.gq-sources").last
    answer = page.locator("[data-testid='bot']").nth(-2).inner_text()
    assert "help@evil.example or read www.evil.example, where the formula $$x^2$$ and $y$" in answer
    sources.locator("summary").nth(1).click()  # the passage in context: the https:// line is there too
    assert "https://evil.example/login?session=steal" in sources.inner_text()
    chat = page.locator("#gq-chat")
    assert chat.locator("a[href*='evil.example'], a[href^='mailto']").count() == 0  # nothing became a link
    assert chat.locator(".katex, math").count() == 0  # "$$x^2$$" is text, not rendered math


@pytest.mark.slow
def test_a_hostile_question_is_shown_as_text_and_fetches_nothing(page):
    hostile = ("Who led the talks? ![x](https://evil.example/pixel.png) <img src='https://evil.example/i.png'> "
               "<iframe src='https://evil.example/f'></iframe>")
    question = page.get_by_role("textbox", name="Question")
    question.fill(hostile)
    question.press("Enter")
    user = page.locator("[data-testid='user']").last
    user.get_by_text("evil.example/pixel.png", exact=False).first.wait_for(timeout=ANSWER_WAIT_MS)
    assert user.locator("img, iframe").count() == 0  # literal text, not markup
    page.wait_for_timeout(1_000)
    assert "evil.example" not in page.requested_hosts


@pytest.mark.slow
def test_the_content_security_policy_blocks_anything_off_the_machine(page, served):
    app, _ = served
    other = page.context.browser.new_page()
    elsewhere, violations = [], []
    other.on("response", lambda r: elsewhere.append(r.url) if urlsplit(r.url).hostname != "127.0.0.1" else None)
    other.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    response = other.goto(app.local_url)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    other.get_by_role("textbox", name="Question").wait_for(timeout=ANSWER_WAIT_MS)
    other.evaluate("""() => {  // markup that slipped through would try exactly this
        const image = document.createElement('img'); image.src = 'https://evil.example/x.png';
        document.body.appendChild(image); fetch('https://evil.example/beacon').catch(() => {}); }""")
    other.wait_for_timeout(1_500)
    assert elsewhere == [] and len(violations) >= 2, (elsewhere, violations)
    other.close()


@pytest.mark.slow
def test_the_newest_sources_and_an_opened_passage_are_scrolled_into_view(page, served):
    from playwright.sync_api import expect

    app, _ = served
    other = page.context.browser.new_page(viewport={"width": 1366, "height": 768})
    other.goto(app.local_url)
    asked = ("Who led the Russian delegation in Istanbul?", "Who headed the Ukrainian delegation?",
             "How many bodies did Russia agree to transfer to Ukraine?")
    for turn, text in enumerate(asked, start=1):
        ask(other, text)
        other.locator(f"#gq-{turn}-1").wait_for(timeout=ANSWER_WAIT_MS)
    expect(other.locator("details.gq-sources").last).to_be_in_viewport(timeout=5_000)  # autoscroll reaches it
    other.evaluate("document.querySelector('#gq-chat [role=log]').scrollTop = 0")  # reading the first answer
    other.wait_for_timeout(300)
    other.evaluate("document.querySelector('#gq-3-1').open = true")  # as Enter on its summary does: no click scroll
    expect(other.locator("#gq-3-1 mark.gq-highlight")).to_be_in_viewport(ratio=1, timeout=5_000)
    other.close()


@pytest.mark.slow
def test_the_chat_fills_the_screen_and_there_is_one_settings_place(page, served):
    app, _ = served
    for width, height in ((1920, 1080), (1366, 768)):
        other = page.context.browser.new_page(viewport={"width": width, "height": height})
        other.goto(app.local_url)
        chat = other.locator("#gq-chat")
        chat.wait_for(timeout=ANSWER_WAIT_MS)
        box, ask = chat.bounding_box(), other.get_by_role("textbox", name="Question").bounding_box()
        assert box["height"] >= 0.55 * height, (width, box)  # not a fixed 470 px
        assert ask["y"] + ask["height"] <= height  # the question box is on screen without scrolling
        assert other.locator("footer").get_by_text("Settings").count() == 0  # gradio's developer panel is hidden
        other.close()


def serious_accessibility_problems(page) -> list[str]:
    """axe-core's serious and critical violations (axe-core as axe-playwright-python bundles it)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in found
            if v["impact"] in ("serious", "critical")]


@pytest.mark.slow
def test_axe_finds_no_serious_accessibility_problem(page):
    page.locator("#gq-chats").get_by_text("Chats").click()  # the list of chats open too
    page.locator("details.gq-source").first.locator("summary").click()  # and a source with its passage
    assert serious_accessibility_problems(page) == []


@pytest.mark.slow
def test_on_a_phone_the_answer_and_its_passage_fit_the_screen(page, served, tmp_path):
    app, _ = served
    phone = page.context.browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(app.local_url)
    ask(phone, "Who led the Russian delegation in Istanbul?")
    source = phone.locator("details.gq-source").last
    source.wait_for(timeout=ANSWER_WAIT_MS)
    source.locator("summary").click()
    highlight = source.locator("mark.gq-highlight")
    highlight.wait_for(state="visible", timeout=5_000)
    box = highlight.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # readable without scrolling sideways
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = phone.evaluate("""(mark) => { let n = 0;  // bordered boxes around the passage
        for (let e = mark.parentElement; e; e = e.parentElement) {
            if (parseFloat(getComputedStyle(e).borderTopWidth) > 0) n++; }
        return n; }""", highlight.element_handle())
    assert boxes <= 3, boxes  # the source, the message, the chat; not four nested boxes and more
    assert serious_accessibility_problems(phone) == []
    screenshot(phone, tmp_path, "phone.png")
    phone.close()


@pytest.mark.slow
def test_the_page_says_indexing_until_the_folder_is_ready(page, corpus, embedder, tmp_path):
    import threading

    from playwright.sync_api import expect

    from groundqa import Assistant
    from groundqa.ui.app import launch
    from tests.ui.conftest import free_port

    assistant = Assistant(index_dir=tmp_path / "index", sources=corpus, embedder=embedder)
    go = threading.Event()

    def prepare():  # the first indexing, held until the page has been looked at
        go.wait(30)
        assistant.build()

    app = launch(assistant, port=free_port(), block=False, prepare=prepare)
    other = page.context.browser.new_page()
    try:
        other.goto(app.local_url)
        expect(other.locator("#gq-startup")).to_contain_text("Indexing docs…", timeout=ANSWER_WAIT_MS)
        expect(other.get_by_role("textbox", name="Question")).to_be_disabled()
        go.set()
        expect(other.locator("#gq-startup")).to_be_hidden(timeout=ANSWER_WAIT_MS)
        expect(other.get_by_role("textbox", name="Question")).to_be_enabled()
        expect(other.locator("#gq-documents")).to_contain_text("rivers.txt")
        ask(other, "How many countries does the Danube flow through?")
        expect(other.locator("[data-testid='bot']").filter(has_text="ten countries").first).to_be_visible(
            timeout=ANSWER_WAIT_MS)
    finally:
        go.set()
        other.close()
        app.close()


@pytest.mark.slow
def test_the_page_made_no_request_off_the_machine(page):
    assert page.requested_hosts == {"127.0.0.1"}
