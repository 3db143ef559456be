"""The bibliography (reports/bibliography.json) and its rendering: every entry carries how it was verified, the
works the report discusses are all there, in-text and reference-list forms come from citeproc-py, and bad
entries or unknown keys are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from externalize.citations import Bibliography, CitationError, load_bibliography

#: the works the report's literature section discusses (issue "Report v2"), and the two dated events
REQUIRED = {"hamming2017", "hamming2020", "farrell2020", "chuang2019", "polo2024", "nesser2016", "hegghammer2015",
            "vidino2017", "gade2019", "phillips2015", "byman2015", "nydn2014caliphate", "latimes2014adnani"}


@pytest.fixture(scope="module")
def bib() -> Bibliography:
    return Bibliography.load()


def test_every_entry_says_how_it_was_verified(bib: Bibliography) -> None:
    assert REQUIRED <= set(bib.by_id)
    for key, it in bib.by_id.items():
        c = it["custom"]
        assert c["status"] in ("verified", "partly verified"), key
        assert c["verified_by"] and all(u.startswith("http") for u in c["verified_by"]), key
        assert c["verified"].strip(), key
        if c["status"] == "partly verified":
            assert c["not_verified"].strip(), key


def test_published_facts_the_report_uses_are_in_the_verification_notes(bib: Bibliography) -> None:
    # the counts section 5 sets against the data: each traced to what was read, or marked as not verified
    assert "38" in bib.by_id["hamming2017"]["custom"]["verified"]
    assert "51" in bib.by_id["vidino2017"]["custom"]["verified"]
    assert "395" in bib.by_id["vidino2017"]["custom"]["not_verified"]
    assert "more plots per year" in bib.by_id["nesser2016"]["custom"]["not_verified"]


def test_cite_forms(bib: Bibliography) -> None:
    assert bib.cite("farrell2020") == "(Farrell, 2020)"
    assert bib.cite("farrell2020", "narrative") == "Farrell (2020)"
    assert bib.cite("vidino2017", "narrative") == "Vidino, Marone and Entenmann (2017)"
    assert bib.cite("polo2024") == "(Polo and Welsh, 2024)"
    with pytest.raises(CitationError, match="not in the bibliography"):
        bib.cite("nobody1999")
    with pytest.raises(CitationError, match="form"):
        bib.cite("farrell2020", "footnote")


def test_reference_list(bib: Bibliography) -> None:
    refs = bib.references_html(["farrell2020", "phillips2015", "byman2015"])
    assert len(refs) == 3
    joined = " ".join(refs)
    assert "https://doi.org/10.1177/0022343319880939" in joined and "57(3), pp. 437–451" in joined
    assert "Oxford University Press" in joined
    assert "Preprint" not in " ".join(bib.references_html(list(bib.by_id)))   # the style change in reports/csl


def _write(tmp_path: Path, items: list[dict]) -> Path:
    p = tmp_path / "bib.json"
    p.write_text(json.dumps(items))
    return p


def _item(**kw) -> dict:
    it = {"id": "x2020", "type": "book", "title": "T", "author": [{"family": "X", "given": "Y"}],
          "issued": {"date-parts": [[2020]]}, "URL": "https://example.org/x",
          "custom": {"status": "verified", "verified_by": ["https://example.org/x"], "verified": "all"}}
    it.update(kw)
    return it


def test_unchecked_or_unfindable_entries_are_refused(tmp_path: Path) -> None:
    bad = [_item(id="a", custom={"status": "verified", "verified_by": [], "verified": "all"}),
           _item(id="b", URL=None),
           _item(id="c", custom={"status": "partly verified", "verified_by": ["https://e.org"], "verified": "t"}),
           _item(id="c")]
    with pytest.raises(CitationError) as e:
        load_bibliography(_write(tmp_path, bad))
    msg = str(e.value)
    assert "4 problem(s)" in msg and "verified_by" in msg and "DOI, URL or ISBN" in msg
    assert "must say what was not verified" in msg and "duplicate id" in msg


def test_two_entries_with_the_same_in_text_label_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, [_item(id="a"), _item(id="b", title="Other")])
    with pytest.raises(CitationError, match="would both be cited as"):
        Bibliography.load(path)
