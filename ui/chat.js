() => {
  // The text of a chat message for people and screen readers: an answer with its [n] markers, a
  // sources block as a numbered list of titles and quotes; never the markup behind them.
  const readable = (message) => {
    const sources = message.querySelectorAll('details.gq-source');
    if (!sources.length) return message.innerText.trim();
    return 'Sources:\n' + Array.from(sources, (source) => {
      const summary = source.querySelector('summary');
      const quote = summary.querySelector('blockquote');
      const head = Array.from(summary.childNodes).filter((n) => n !== quote).map((n) => n.textContent).join('');
      return `${head.trim()}\n    “${quote ? quote.textContent.trim() : ''}”`;
    }).join('\n');
  };
  const reveal = (source) => (source.querySelector('mark.gq-highlight') || source)
    .scrollIntoView({block: 'center', behavior: 'smooth'});
  const rowOf = (button) => {
    let row = button.closest('.message-buttons') || button;
    while (row && !(row.classList && row.classList.contains('message-row'))) row = row.previousElementSibling;
    return row;
  };
  document.addEventListener('click', (event) => {
    const target = event.target.closest ? event.target : event.target.parentElement;
    // Clicking an [n] in an answer opens source n under that answer instead of following the link.
    const link = target && target.closest('a[href^="#gq-"]');
    if (link) {
      event.preventDefault(); event.stopPropagation();
      const source = document.getElementById(link.getAttribute('href').slice(1));
      if (source && source.open) reveal(source);
      else if (source) source.open = true;  // the toggle listener below brings its passage into view
      return;
    }
    // Copy gives plain text: the answer with [n] markers, then its numbered sources.
    const copy = target && target.closest('#gq-chat button[aria-label="Copy message"]');
    const row = copy && rowOf(copy);
    if (!row) return;
    event.preventDefault(); event.stopPropagation();
    const parts = Array.from(row.querySelectorAll('[data-testid="bot"], [data-testid="user"]'), readable);
    navigator.clipboard.writeText(parts.filter(Boolean).join('\n\n'));
    copy.setAttribute('title', 'Copied');
  }, true);
  // An opened source scrolls so that its highlighted passage is in view, not below the fold.
  document.addEventListener('toggle', (event) => {
    const source = event.target;
    if (source.matches && source.matches('details.gq-source') && source.open) reveal(source);
  }, true);
  // gradio labels each message with its raw Markdown/HTML; give screen readers the readable text.
  const relabel = () => document.querySelectorAll('#gq-chat [data-testid="bot"], #gq-chat [data-testid="user"]')
    .forEach((message) => {
      const label = `${message.dataset.testid === 'user' ? 'You asked' : 'Answer'}: ${readable(message)}`;
      if (message.getAttribute('aria-label') !== label) message.setAttribute('aria-label', label);
    });
  let pending = false;  // once per frame, however many changes a streamed answer makes
  const schedule = () => {
    if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; relabel(); }); }
  };
  new MutationObserver(schedule).observe(document.body, {subtree: true, childList: true, characterData: true});
}
