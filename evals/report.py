"""Write an eval run to DIR: report.md, report.html (self-contained), plots as PNG,
results.jsonl (one row per case) and summary.json (the aggregates)."""

from __future__ import annotations

import base64
import html
import json
import time
from pathlib import Path

from .run import EvalResult
from .summary import METRICS, NAMES

PLOTS = ("metrics.png", "latency.png", "ranks.png", "calibration.png")
COMPARED = ("answer.contains", "answer.f1", "refusal.recall", "refusal.accuracy", "grounding.citation_recall",
            "citations.span_validity", "latency.p50_s")
MAX_FAILURES_SHOWN = 200
NO_ANSWER = "(none: the case raised an error)"
_DESCRIPTIONS = ({m.name: m.description for m in METRICS}
                 | {"refusal.f1": "harmonic mean of refusal precision and recall"})


def write_report(result: EvalResult, report_dir: str | Path) -> Path:
    """Write every report file into `report_dir` (created if needed); returns the directory."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    with open(report_dir / "results.jsonl", "w", encoding="utf-8") as handle:
        for row in result.rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = {"title": result.title, "judge": result.judge, "summary": result.summary,
               "by_set": result.by_set, "problems": result.problems, **result.extra}
    (report_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    _plot(result, report_dir)
    (report_dir / "report.md").write_text(_markdown(result), encoding="utf-8")
    (report_dir / "report.html").write_text(_html(result, report_dir), encoding="utf-8")
    return report_dir


def summary_table(summary: dict) -> list[list[str]]:
    """[[metric, value, 95% CI, n, meaning], ...] for every metric that applies."""
    rows = []
    for name in NAMES:
        entry = summary.get(name)
        if not entry or entry["value"] is None:
            continue
        interval = f"{format_value(entry['low'])}–{format_value(entry['high'])}" if entry["low"] is not None else ""
        rows.append([name, format_value(entry["value"]), interval, str(entry["n"]), _DESCRIPTIONS.get(name, "")])
    return rows


# -- markdown ------------------------------------------------------------------------------------
def _markdown(result: EvalResult) -> str:
    lines = [f"# {result.title}", "", *_preamble(result), "", "## Summary", "",
             *_md_table(["metric", "value", "95% CI", "n", "meaning"], summary_table(result.summary))]
    if len(result.by_set) > 1:
        lines += ["", "## Per set", "", *_md_table(*_per_set(result))]
    for heading, (header, rows) in result.extra.get("tables", {}).items():
        lines += ["", f"## {heading}", "", *_md_table(header, rows)]
    lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in PLOTS]
    lines += ["", f"## Failures ({len(result.failures())})", ""]
    for row in result.failures()[:MAX_FAILURES_SHOWN]:
        lines += [f"### {row['set']}/{row['id']}: {', '.join(row['failures'])}", "",
                  f"- **Question:** {_one_line(row['question'])}",
                  f"- **Answer:** {_one_line(row['answer'] or NO_ANSWER)}",
                  f"- **Gold:** {'; '.join(row['gold']) or '(unanswerable)'}"]
        lines += [f"- [{c['number']}] {c['source']}: “{_one_line(c['quote'])}”" for c in row["citations"]]
        lines.append("")
    lines += _more_failures(result)
    return "\n".join(lines) + "\n"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    cell = lambda text: str(text).replace("|", "\\|")  # noqa: E731
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
           ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]


# -- html ------------------------------------------------------------------------------------------
_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}img{max-width:100%;display:block;margin:1rem 0}.failure{border-left:4px solid #c0392b;
padding:.2rem 1rem;margin:1rem 0;background:#fdf3f2}blockquote{margin:.3rem 0 .3rem 1rem;color:#444}"""


def _html(result: EvalResult, report_dir: Path) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang=en><meta charset=utf-8><title>{e(result.title)}</title>",
             f"<style>{_STYLE}</style><h1>{e(result.title)}</h1>"]
    parts += [f"<p>{e(line.lstrip('- '))}</p>" for line in _preamble(result)]
    parts += ["<h2>Summary</h2>", _html_table(["metric", "value", "95% CI", "n", "meaning"],
                                               summary_table(result.summary))]
    if len(result.by_set) > 1:
        parts += ["<h2>Per set</h2>", _html_table(*_per_set(result))]
    for heading, (header, rows) in result.extra.get("tables", {}).items():
        parts += [f"<h2>{e(heading)}</h2>", _html_table(header, rows)]
    parts.append("<h2>Plots</h2>")
    for name in PLOTS:
        data = base64.b64encode((report_dir / name).read_bytes()).decode()
        parts.append(f'<img alt="{name}" src="data:image/png;base64,{data}">')
    parts.append(f"<h2>Failures ({len(result.failures())})</h2>")
    for row in result.failures()[:MAX_FAILURES_SHOWN]:
        quotes = "".join(f"<blockquote>[{c['number']}] {e(c['source'])}: “{e(c['quote'])}”</blockquote>"
                         for c in row["citations"])
        parts.append(f"<div class=failure><h3>{e(row['set'])}/{e(row['id'])}: {e(', '.join(row['failures']))}</h3>"
                     f"<p><b>Question:</b> {e(row['question'])}<br><b>Answer:</b> {e(row['answer'] or NO_ANSWER)}<br>"
                     f"<b>Gold:</b> {e('; '.join(row['gold']) or '(unanswerable)')}</p>{quotes}</div>")
    parts += [f"<p>{e(line)}</p>" for line in _more_failures(result)]
    return "\n".join(parts) + "\n</html>\n"


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


# -- shared pieces --------------------------------------------------------------------------------
def _preamble(result: EvalResult) -> list[str]:
    lines = [f"- Generated {time.strftime('%Y-%m-%d %H:%M')}; {result.summary['cases']} cases in "
             f"{result.summary['total_s']} s; 95% CIs from 1,000 bootstrap resamples of the cases.",
             f"- Grounding judge: {result.judge}.",
             f"- Reader: {result.reader}.",
             "- Retrieval relevance: a chunk containing the case's support quote (normalised), or, "
             "without a quote, a chunk from the case's source document."]
    lines += [f"- Warning: {problem}" for problem in result.problems]
    return lines


def _per_set(result: EvalResult) -> tuple[list[str], list[list[str]]]:
    keys = ("retrieval.hit@5", "answer.contains", "answer.f1", "refusal.accuracy",
            "grounding.citation_recall", "citations.span_validity", "latency.p50_s")
    rows = [[name, str(summary["cases"])] + [format_value(summary[k]["value"]) for k in keys]
            for name, summary in result.by_set.items()]
    return ["set", "cases", *keys], rows


def _more_failures(result: EvalResult) -> list[str]:
    hidden = len(result.failures()) - MAX_FAILURES_SHOWN
    return [f"{hidden} more failures are in results.jsonl (rows with a non-empty \"failures\")."] if hidden > 0 else []


def _plot(result: EvalResult, report_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shares = [(name, result.summary[name]) for name in NAMES
              if not name.startswith("latency.") and result.summary[name]["value"] is not None]
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(shares) + 1))
    values = [entry["value"] for _, entry in shares]
    errors = [[v - (e["low"] if e["low"] is not None else v) for v, (_, e) in zip(values, shares, strict=True)],
              [(e["high"] if e["high"] is not None else v) - v for v, (_, e) in zip(values, shares, strict=True)]]
    axes.barh([name for name, _ in shares], values, xerr=errors, color="#4C72B0", capsize=3)
    axes.set_xlim(0, 1.05)
    axes.invert_yaxis()
    axes.set_title("Metrics with bootstrap 95% CIs")
    _save(figure, report_dir / "metrics.png")

    figure, axes = plt.subplots(figsize=(7, 3.5))
    axes.hist([1000 * r["seconds"] for r in result.rows] or [0], bins=30, color="#55A868")
    axes.set_xlabel("milliseconds per question")
    axes.set_ylabel("questions")
    axes.set_title("Answer latency")
    _save(figure, report_dir / "latency.png")

    ranks = [r["first_relevant_rank"] for r in result.rows if r.get("hit@10") is not None]
    labels = [str(k) for k in range(1, 11)] + [">10"]
    counts = [sum(rank == k for rank in ranks) for k in range(1, 11)] + [sum(rank is None for rank in ranks)]
    figure, axes = plt.subplots(figsize=(7, 3.5))
    axes.bar(labels, counts, color="#C44E52")
    axes.set_xlabel("rank of the first relevant chunk")
    axes.set_ylabel("answerable questions")
    axes.set_title("Retrieval rank distribution")
    _save(figure, report_dir / "ranks.png")

    bins = calibration_bins(result.rows)
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.plot([0, 1], [0, 1], color="#999999", linestyle="--", label="perfect calibration")
    axes.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], marker="o", color="#8172B2",
              label="cases (dot per bin)")
    for b in bins:
        axes.annotate(str(b["n"]), (b["predicted"], b["observed"]), fontsize=7, xytext=(3, 3),
                      textcoords="offset points")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("predicted answer probability (the reader's confidence)")
    axes.set_ylabel("observed: the answer would be right")
    axes.set_title("Calibration")
    axes.legend(loc="upper left", fontsize=8)
    _save(figure, report_dir / "calibration.png")


def calibration_bins(rows: list[dict], bins: int = 10) -> list[dict]:
    """Cases grouped by confidence: mean confidence vs the share whose answer would be right (an
    answerable case whose answer or closest passages hold the gold; never an unanswerable one).

    >>> calibration_bins([{"confidence": 0.91, "right_if_answered": True},
    ...                   {"confidence": 0.95, "right_if_answered": False}])
    [{'predicted': 0.93, 'observed': 0.5, 'n': 2}]
    """
    usable = [r for r in rows if r.get("confidence") is not None and r.get("right_if_answered") is not None]
    found = []
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        members = [r for r in usable if low <= r["confidence"] < high or (k == bins - 1 and r["confidence"] == 1)]
        if members:
            found.append({"predicted": round(sum(r["confidence"] for r in members) / len(members), 3),
                          "observed": round(sum(bool(r["right_if_answered"]) for r in members) / len(members), 3),
                          "n": len(members)})
    return found


def comparison_table(results: dict) -> tuple[list[str], list[list[str]]]:
    """Metrics of several runs (e.g. one per reader) side by side, with their 95% CIs."""
    rows = []
    for name in COMPARED:
        cells = []
        for result in results.values():
            entry = result.summary.get(name) or {}
            value = entry.get("value")
            cells.append("n/a" if value is None else
                         f"{format_value(value)} ({format_value(entry['low'])}–{format_value(entry['high'])})")
        rows.append([name, *cells])
    return ["metric", *results.keys()], rows


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(figure)


def format_value(value) -> str:
    """0.87654 -> '0.877'; None -> 'n/a'."""
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
