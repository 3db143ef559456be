"""Literature citations for the report: reports/bibliography.json (CSL-JSON) rendered with citeproc-py.

Every entry carries, beside its CSL fields, a `custom` object saying how it was checked:

    custom.status       "verified" (every field given was read on a public page) or "partly verified"
                        (the work itself was found; the fields that could not be read are named and, where
                        possible, left out)
    custom.verified_by  list of public addresses (publisher, journal table of contents, library record)
    custom.verified     what was read there
    custom.not_verified what was not (required when status is "partly verified")

`load_bibliography` refuses an entry without these, so an unchecked reference cannot be cited. The style is the
Cite Them Right Harvard style shipped with citeproc-py, copied to reports/csl/ with one change (no "[Preprint]"
label for an article whose volume and pages were left out because they could not be verified).

    bib = Bibliography.load()
    bib.cite("farrell2020")            -> "(Farrell, 2020)"
    bib.cite("farrell2020", "narrative") -> "Farrell (2020)"
    bib.references_html()              -> list of HTML strings, one per entry cited so far, in style order
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from externalize.errors import ExternalizeError
from externalize.paths import BIBLIOGRAPHY_FILE, CSL_DIR

DEFAULT_BIBLIOGRAPHY = BIBLIOGRAPHY_FILE
DEFAULT_STYLE = CSL_DIR / "harvard-cite-them-right-externalize.csl"
STATUSES = ("verified", "partly verified")
REQUIRED = ("id", "type", "title", "issued")


class CitationError(ExternalizeError, ValueError):
    """A bibliography entry is malformed or unchecked, or the report cites a key that is not in it."""


def load_bibliography(path: str | Path = DEFAULT_BIBLIOGRAPHY) -> list[dict[str, Any]]:
    """Read the CSL-JSON list and check each entry (fields, a way to find it, how it was verified).

    Returns the entries as read. Raises CitationError listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise CitationError(f"bibliography not found: {path}")
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise CitationError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(items, list):
        raise CitationError(f"{path}: expected a JSON list of CSL items")
    errors: list[str] = []
    seen: set[str] = set()
    for k, it in enumerate(items):
        where = f"entry {k} ({it.get('id', '?')!r})"
        errors += [f"{where}: missing {f}" for f in REQUIRED if not it.get(f)]
        if not (it.get("author") or it.get("container-title")):
            errors.append(f"{where}: needs an author or, for unsigned news, a container-title")
        if not (it.get("DOI") or it.get("URL") or it.get("ISBN")):
            errors.append(f"{where}: needs a DOI, URL or ISBN so that a reader can find it")
        c = it.get("custom") or {}
        if c.get("status") not in STATUSES:
            errors.append(f"{where}: custom.status must be one of {STATUSES}")
        urls = c.get("verified_by") or []
        if not urls or not all(str(u).startswith(("http://", "https://")) for u in urls):
            errors.append(f"{where}: custom.verified_by must list the public addresses it was checked against")
        if not c.get("verified"):
            errors.append(f"{where}: custom.verified must say what was read")
        if c.get("status") == "partly verified" and not c.get("not_verified"):
            errors.append(f"{where}: a partly verified entry must say what was not verified")
        if it.get("id") in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(it.get("id"))
    if errors:
        raise CitationError(f"{path}: {len(errors)} problem(s)\n  " + "\n  ".join(errors))
    return items


def _csl_only(item: dict[str, Any]) -> dict[str, Any]:
    # citeproc-py rejects keys it does not know; the verification record is ours, not CSL's
    return {k: v for k, v in item.items() if k != "custom"}


_TAIL = re.compile(r"^\((?P<names>.+), (?P<year>\d{4}[a-z]?(?:, [^)]*)?)\)$")


@dataclass
class Bibliography:
    """Cite entries by id and render the reference list of what was cited (citeproc-py, HTML output)."""

    items: list[dict[str, Any]]
    style_path: Path = DEFAULT_STYLE
    cited: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_BIBLIOGRAPHY, style_path: str | Path = DEFAULT_STYLE) -> Bibliography:
        return cls(load_bibliography(path), Path(style_path))

    def __post_init__(self) -> None:
        from citeproc import CitationStylesBibliography, CitationStylesStyle, formatter
        from citeproc.source.json import CiteProcJSON

        self.by_id = {it["id"]: it for it in self.items}
        style = CitationStylesStyle(str(self.style_path), validate=False)
        self._bib = CitationStylesBibliography(style, CiteProcJSON([_csl_only(i) for i in self.items]),
                                               formatter.html)
        # in-text labels must tell entries apart: citeproc-py does not add year suffixes (2017a, 2017b)
        labels: dict[str, str] = {}
        for key in self.by_id:
            lab = self._render(key)
            if lab in labels:
                raise CitationError(f"entries {labels[lab]!r} and {key!r} would both be cited as {lab}")
            labels[lab] = key
        self._labels = {v: k for k, v in labels.items()}

    def _render(self, key: str) -> str:
        from citeproc import Citation, CitationItem

        cit = Citation([CitationItem(key)])
        self._bib.register(cit)
        return str(self._bib.cite(cit, lambda item: None))

    def cite(self, key: str, form: str = "parenthetical") -> str:
        """'(Author, year)' or, with form='narrative', 'Author (year)'. Unknown key -> CitationError."""
        if key not in self.by_id:
            raise CitationError(f"citation key {key!r} is not in the bibliography")
        if key not in self.cited:
            self.cited.append(key)
        text = self._labels[key]
        if form == "parenthetical":
            return text
        if form != "narrative":
            raise CitationError(f"citation form must be 'parenthetical' or 'narrative', got {form!r}")
        m = _TAIL.match(text)
        return f"{m['names']} ({m['year']})" if m else text

    def references_html(self, keys: Sequence[str] | None = None) -> list[str]:
        """HTML strings of the reference list, sorted as the style sorts (author, year); default: the entries
        cited so far."""
        from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
        from citeproc.source.json import CiteProcJSON

        wanted = list(keys) if keys is not None else list(self.cited)
        unknown = [k for k in wanted if k not in self.by_id]
        if unknown:
            raise CitationError(f"citation keys not in the bibliography: {unknown}")
        if not wanted:
            return []
        style = CitationStylesStyle(str(self.style_path), validate=False)
        bib = CitationStylesBibliography(style, CiteProcJSON([_csl_only(self.by_id[k]) for k in wanted]),
                                         formatter.html)
        for k in wanted:
            bib.register(Citation([CitationItem(k)]))
        return [str(entry) for entry in bib.bibliography()]

    def verification_rows(self, keys: Sequence[str] | None = None) -> list[dict[str, str]]:
        """One row per entry: id, status, what was and was not verified, and where (for the report appendix)."""
        wanted = list(keys) if keys is not None else list(self.cited)
        return [{"id": k, "status": self.by_id[k]["custom"]["status"],
                 "verified": self.by_id[k]["custom"]["verified"],
                 "not_verified": self.by_id[k]["custom"].get("not_verified", ""),
                 "where": "; ".join(self.by_id[k]["custom"]["verified_by"])} for k in wanted]
