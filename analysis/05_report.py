"""Step 5: render the report (self-contained HTML and PDF) from the saved tables and figures:
reports/output/report.html and report.pdf."""

from _args import parse

from externalize.report import DEFAULT_OUTPUT, render_report

args, study = parse(__doc__)
html, pdf = render_report(DEFAULT_OUTPUT, study)
print(f"{html}\n{pdf}")
