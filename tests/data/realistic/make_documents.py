"""Writes the realistic office documents in this folder (run it to regenerate them; the outputs are
committed so that tests read fixed bytes): a multi-page PDF with headings, hard-wrapped lines and
words hyphenated at line ends; a DOCX with headings and a table; a Markdown page with emphasis,
lists, a link and a table; an HTML page with navigation, a footer and a script.

    python tests/data/realistic/make_documents.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

TRAVEL_POLICY = [  # (heading, paragraphs); a "~" marks where a word is hyphenated at a line end
    ("1. Purpose", [
        "This policy explains how employees of Northwind Consulting plan business trips, which costs "
        "the company reim~burses and how expenses are claimed. It applies to all employees and con~tractors "
        "who travel on company business.",
    ]),
    ("2. Approval of travel", [
        "All business travel must be approved in advance by the employee's line manager. Trips outside "
        "Europe also need the approval of a Vice President before any book~ing is made.",
        "Travel that has not been approved is not reimbursed.",
    ]),
    ("3. Transport", [
        "Employees travel in economy class on flights of up to six hours. Business class may be book~ed "
        "for flights longer than six hours. Rail is pre~ferred for jour~neys of less than four hours, and "
        "employees who use their own car are reimbursed 0.30 euros per kilometre.",
    ]),
    ("4. Accommodation", [
        "Hotel costs are reimbursed up to 180 US dollars per night in Europe and up to 250 US dollars per "
        "night in North America. Hotels are booked through the provider Springway Travel so that the "
        "company can reach every trav~eller in an emer~gency.",
    ]),
    ("5. Meals", [
        "The daily meal allowance is 60 US dollars for domestic trips and 95 US dollars for inter~national "
        "trips. Alcohol is not reimbursed.",
    ]),
    ("6. Submitting expenses", [
        "Expense reports must be submitted within 30 days of returning from a trip. Receipts are required "
        "for every expense above 25 US dollars, and the finance team pays approved claims with the next "
        "month~ly salary. Late claims need a written expla~nation from the employee and the reimburse~ment "
        "may be refused.",
    ]),
]


def write_pdf(path: Path) -> None:
    """Lines drawn one by one, so the wrapping and the hyphenation are exactly as written here."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=A5, invariant=1)
    page.setTitle("Travel and Expense Policy")
    width, height = A5
    y = height - 60

    def new_page_if_needed(space: float) -> None:
        nonlocal y
        if y - space < 50:
            page.showPage()
            y = height - 60

    page.setFont("Helvetica-Bold", 16)
    page.drawString(40, y, "Travel and Expense Policy")
    y -= 34
    for heading, paragraphs in TRAVEL_POLICY:
        new_page_if_needed(60)
        page.setFont("Helvetica-Bold", 12)
        page.drawString(40, y, heading)
        y -= 20
        for paragraph in paragraphs:
            for line in _wrap(paragraph, 62):
                new_page_if_needed(14)
                page.setFont("Helvetica", 10)
                page.drawString(40, y, line)
                y -= 13
            y -= 9
        y -= 6
    page.showPage()
    page.save()


def _wrap(text: str, width: int) -> list[str]:
    """Greedy wrapping; a word containing "~" may break there, with a hyphen at the line end."""
    lines, line = [], ""
    for word in text.split():
        if "~" in word:
            head, tail = word.split("~")
            if line and len(line) + 1 + len(head) + 1 <= width < len(line) + 1 + len(head + tail):
                lines.append(f"{line} {head}-")
                line = tail
                continue
            word = head + tail
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line] if line else lines


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Office Guide"
    document.add_heading("Office Guide", level=0)
    document.add_paragraph("This guide describes how the Lisbon office of Northwind Consulting works.")
    document.add_heading("Core hours", level=1)
    document.add_paragraph("Core hours are from 10:00 to 16:00, Monday to Friday. Meetings are only "
                           "scheduled within core hours.")
    document.add_heading("Opening times", level=1)
    document.add_paragraph("The Lisbon office opens at 7:30 and closes at 20:00. Offices in other cities "
                           "open at 8:00 and close at 18:00.")
    document.add_heading("Remote work", level=1)
    document.add_paragraph("Employees may work remotely up to three days per week, with the agreement of "
                           "their manager. Remote work from abroad is limited to 20 days per year.")
    document.add_heading("Equipment", level=1)
    document.add_paragraph("Every employee receives the following equipment on the first day:")
    table = document.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Item", "Allowance", "Replaced"), strict=True):
        cell.text = text
    for row in (("Laptop", "one 14-inch laptop", "every three years"),
                ("Monitor", "two 27-inch monitors", "every five years"),
                ("Headset", "one noise-cancelling headset", "when broken")):
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    document.add_heading("Learning budget", level=1)
    document.add_paragraph("Each employee has a learning budget of 1,200 euros per year for courses, books "
                           "and conferences.")
    document.save(str(path))


SECURITY_HANDBOOK = """# Security Handbook

Northwind Consulting protects client data with a few **simple rules**. Read them _before_ your first day.

## Passwords

Passwords must be at least **14 characters** long and are changed every *12 months*.

- Use the company password manager, [Vaultkeeper](https://vault.example.com/help).
- Never reuse a password across two services.
- Turn on two-factor authentication for every account that offers it.

## Devices

| Device | Encryption | Screen lock after |
|--------|------------|-------------------|
| Laptop | required   | 5 minutes         |
| Phone  | required   | 1 minute          |

Lost or stolen devices must be reported to the [security team](mailto:security@example.com) within
**2 hours**.

## Incidents

A suspected phishing email is forwarded to the security team and then deleted. Do not click any link in it.
"""

PARENTAL_LEAVE = """<!DOCTYPE html>
<html lang="en">
<head><title>Parental Leave | Northwind Intranet</title>
<style>body { font-family: sans-serif; }</style>
<script>window.analytics = { track: function () {} }; console.log("intranet loaded");</script>
</head>
<body>
<nav><a href="/">Home</a> <a href="/policies">Policies</a> <a href="/people">People</a>
<a href="/login">Log in</a></nav>
<header><p>Northwind Intranet &ndash; HR policies</p></header>
<main>
<article>
<h1>Parental Leave</h1>
<p>Northwind Consulting supports employees who become parents through birth, adoption or surrogacy.</p>
<h2>Primary caregivers</h2>
<p>Primary caregivers receive 16 weeks of fully paid leave. The leave can start up to two weeks before
the expected date of birth.</p>
<h2>Secondary caregivers</h2>
<p>Secondary caregivers receive 4 weeks of fully paid leave, which must be taken within the first
year.</p>
<h2>How to apply</h2>
<ul>
<li>Tell your manager at least 8 weeks before the leave starts.</li>
<li>Submit the leave form in the HR portal.</li>
</ul>
</article>
</main>
<aside><p>Related: <a href="/policies/sick-leave">Sick leave</a></p></aside>
<footer><p>&copy; 2025 Northwind Consulting. All rights reserved. Contact hr@example.com</p></footer>
<script>window.analytics.track("page");</script>
</body>
</html>
"""


def main() -> None:
    write_pdf(HERE / "travel-expense-policy.pdf")
    write_docx(HERE / "office-guide.docx")
    (HERE / "security-handbook.md").write_text(SECURITY_HANDBOOK, encoding="utf-8")
    (HERE / "parental-leave.html").write_text(PARENTAL_LEAVE, encoding="utf-8")


if __name__ == "__main__":
    main()
