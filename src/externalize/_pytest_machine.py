"""pytest plugin: tests that need a system tool skip, with the reason, on a machine that lacks it.

Use `@pytest.mark.needs_tool("chromium")` (or "pdftoppm", "pdfinfo", "weasyprint"). Tests using the report
fixture `rendered` (which writes a PDF with WeasyPrint) need "weasyprint" implicitly. Loaded by
tests/conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import pytest

from externalize.machine import skip_reason

IMPLICIT: dict[str, str] = {"rendered": "weasyprint"}  # fixture name -> tool it needs


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_tool(name): skip with the reason when a system tool is missing "
                                       "(chromium, pdftoppm, pdfinfo, weasyprint)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cache: dict[str, str | None] = {}

    def reason(tool: str) -> str | None:
        if tool not in cache:
            cache[tool] = skip_reason(tool)
        return cache[tool]

    for item in items:
        tools = [m.args[0] for m in item.iter_markers("needs_tool")]
        tools += [tool for fx, tool in IMPLICIT.items() if fx in getattr(item, "fixturenames", ())]
        for tool in tools:
            why = reason(tool)
            if why:
                item.add_marker(pytest.mark.skip(reason=why))
                break
