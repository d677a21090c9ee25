"""Articles: structure with exact offsets, classification measured against the gold file, storage."""

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from tracker.articles.source import markdown_to_text, read_article_file
from tracker.articles.store import add_article
from tracker.articles.structure import parse_structure
from tracker.claims.catalog import load_catalog
from tracker.claims.classify import SentenceClassifier, hedges_in
from tracker.claims.evaluate import evaluate, read_gold
from tracker.claims.store import sentence_handler
from tracker.core.errors import InputError

from .support.pages import Pages

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO / "db" / "articles"
CLAIMS = REPO / "db" / "claims.yml"
GOLD = Path(__file__).parent / "gold" / "article_sentences.tsv"
ARTICLE_FILES = sorted(ARTICLES.glob("*.txt"))


def text_of(name: str) -> str:
    return (ARTICLES / f"{name}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def classifier():
    return SentenceClassifier(load_catalog(CLAIMS))


# ---- structure -----------------------------------------------------------------------------


def test_the_five_source_articles_are_in_db_articles():
    shared = Path(__file__).resolve().parents[2] / "shared" / "articles"
    assert [p.name for p in ARTICLE_FILES] == sorted(p.name for p in shared.glob("0*.txt"))
    for path in ARTICLE_FILES:
        assert path.read_bytes() == (shared / path.name).read_bytes()


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda p: p.stem[:3])
def test_every_piece_is_exactly_its_slice_of_the_text(path):
    text = path.read_text(encoding="utf-8")
    structure = parse_structure(text)
    for block in structure.blocks:
        assert text[block.start:block.end] == block.text
    previous_end = 0
    for sentence in structure.sentences:
        assert text[sentence.start:sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
        assert sentence.start >= previous_end  # in order, never overlapping
        previous_end = sentence.end
    # Sentences cover every non-space character of every block.
    for position, block in enumerate(structure.blocks):
        covered = "".join(s.text for s in structure.sentences if s.block == position)
        assert re.sub(r"\s", "", covered) == re.sub(r"\s", "", block.text)


def test_contents_list_format():
    structure = parse_structure(text_of("000_8afff2ce14173f35"))
    kinds = [b.kind for b in structure.blocks]
    assert kinds[:5] == ["summary", "teaser", "contents_item", "contents_item", "contents_item"]
    assert kinds[-1] == "closing"
    headings = [b.text for b in structure.blocks if b.kind == "heading"]
    assert headings == [b.text for b in structure.blocks if b.kind == "contents_item"]
    assert headings[2] == "Potential Benefits, Safety Precautions, and Dosage Guidelines for Kratom in Opioid Withdrawal"
    assert structure.title is None
    # Each paragraph knows its section.
    paragraph = next(b for b in structure.blocks if "Scientifically, kratom contains" in b.text)
    assert structure.blocks[paragraph.section].text == "The Science Behind Kratom and Its Active Compounds"


def test_title_headings_bullets_and_disclaimer():
    text = text_of("003_f6a46e9e997b1915")
    structure = parse_structure(text)
    assert structure.title == "Kratom and Opioid Withdrawal Relief: A Natural Approach to Recovery"
    items = [b for b in structure.blocks if b.kind == "list_item"]
    assert [b.text for b in items[:6]] == [
        "Nausea and Vomiting", "Muscle Aches and Pains", "Restlessness and Anxiety", "Insomnia",
        "Chills and Sweating", "Cravings for Opioids",
    ]
    assert all("•" not in text[b.start:b.end] for b in items)  # the bullet is not part of the item
    headings = [b.text for b in structure.blocks if b.kind == "heading"]
    assert "Alleviating Physical Symptoms" in headings and "Conclusion: A Potential Aid in Recovery" in headings
    assert structure.blocks[-1].kind == "disclaimer"
    assert structure.blocks[1].kind == "summary"


def test_abbreviation_with_full_stops_inside_and_at_the_end_of_sentences():
    sentences = [s.text for s in parse_structure(text_of("002_bfa00cc071a4ea70")).sentences]
    assert "Common O.P.M.S. include nausea, vomiting, diarrhea, muscle aches, anxiety, insomnia, and intense cravings." in sentences
    # "... a potential aid in O.P.M.S. Due to its ..." is two sentences.
    assert "Kratom, derived from the tropical plant Mitragyna speciosa, has gained attention as a potential aid in O.P.M.S." in sentences
    assert any(s.startswith("Due to its unique chemical composition, kratom interacts") for s in sentences)
    assert any(s.startswith("Kratom’s effectiveness in managing O.P.M.S. (opioid-induced withdrawal symptoms) varies") for s in sentences)


def test_curly_quotes_stay_with_their_sentences():
    structure = parse_structure(text_of("000_8afff2ce14173f35"))
    teaser = [s.text for s in structure.sentences if structure.blocks[s.block].kind == "teaser"]
    assert teaser[0] == "“Struggling with opioid withdrawal?"
    assert teaser[-1] == "Embrace a path to recovery with this natural solution.”"


def test_citation_numbers_end_a_sentence():
    # A sentence of article 002 with reference numbers appended, as agency pages print them.
    text = ("Kratom, derived from Mitragyna speciosa, offers potential relief through opioid receptor interactions.3,4 "
            "(See Why do people use kratom?) However, its variability in quality and risks necessitate caution.")
    sentences = [s.text for s in parse_structure(text).sentences]
    assert sentences == [
        "Kratom, derived from Mitragyna speciosa, offers potential relief through opioid receptor interactions.3,4 "
        "(See Why do people use kratom?)",
        "However, its variability in quality and risks necessitate caution.",
    ]


# ---- classification against the gold file ---------------------------------------------------


def test_gold_file_covers_every_sentence_of_the_five_articles():
    gold = read_gold(GOLD)
    for path in ARTICLE_FILES:
        text = path.read_text(encoding="utf-8")
        rows = [g for g in gold if g.article == path.stem]
        assert len(rows) == len(parse_structure(text).sentences)
        assert all(text[g.start:g.end] == g.text for g in rows)
    catalog = {c.id for c in load_catalog(CLAIMS)}
    assert all(set(g.claims) <= catalog for g in gold)
    assert all(g.claims for g in gold if g.label == "claim")


def test_claim_detection_and_matching_meet_their_targets():
    report = evaluate(read_gold(GOLD), ARTICLES, load_catalog(CLAIMS))
    figures = report.as_dict()
    assert figures["segmentation_misses"] == 0
    assert figures["claim_precision"] >= 0.9, report.errors
    assert figures["claim_recall"] >= 0.9, report.errors
    assert figures["claim_match_top1_accuracy"] >= 0.9, report.errors


def test_hedging_is_recorded():
    found = hedges_in("Studies suggest that kratom’s unique chemical composition may interact with opioid receptors")
    assert "may" in found and "studies suggest" in found
    assert hedges_in("It interacts with various medications.") == []


def test_advice_with_an_asserting_clause_is_a_claim(classifier):
    claim = classifier.classify(
        "It interacts with various medications, so consulting a healthcare professional before starting any "
        "supplement regimen is essential.", "paragraph", "Kratom ...")
    assert claim.label == "claim" and claim.matches[0].claim_id == "drug-interactions"
    advice = classifier.classify(
        "Always consult a healthcare professional before incorporating kratom into any regimen, considering its "
        "potential interactions with medications and liver effects.", "summary", "")
    assert advice.label == "advice"


def test_framing_is_not_a_claim(classifier):
    framing = classifier.classify(
        "Kratom, derived from the tropical plant Mitragyna speciosa, has gained attention as a potential aid for "
        "managing opioid withdrawal.", "paragraph", "")
    assert framing.label == "other" and framing.matches == []
    reasoned = classifier.classify(
        "Kratom, derived from the tropical plant Mitragyna speciosa, has gained attention as an alternative treatment "
        "for opioid withdrawal symptoms due to its potential analgesic and stimulant effects.", "paragraph", "")
    assert reasoned.label == "claim"
    assert {m.claim_id for m in reasoned.matches} == {"analgesic", "stimulant-effects"}


# ---- reading files and pages ------------------------------------------------------------------


def test_markdown_is_reduced_to_text_with_its_headings():
    text = text_of("003_f6a46e9e997b1915")
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    markdown = "# " + lines[0] + "\n\n" + lines[1] + "\n\n## " + lines[2] + "\n\n" + lines[3].replace(
        "uncomfortable", "**uncomfortable**") + "\n\n" + "\n".join("- " + line.lstrip("• ") for line in lines[5:8])
    plain, headings, title = markdown_to_text(markdown)
    assert title == lines[0]
    assert headings == [lines[0], lines[2]]
    assert "**" not in plain and lines[3] in plain
    structure = parse_structure(plain, headings)
    assert structure.title == lines[0]
    assert [b.kind for b in structure.blocks] == ["title", "summary", "heading", "paragraph"] + ["list_item"] * 3


def article_page(name: str) -> bytes:
    """An HTML page holding one source article, with site navigation and footer around it."""
    text = text_of(name)
    lines = [line.strip(" •") for line in text.split("\n") if line.strip()]
    structure = parse_structure(text)
    headings = {b.text for b in structure.blocks if b.kind in ("heading", "title")}
    body = []
    for line in lines:
        tag = "h1" if line == structure.title else ("h2" if line in headings else "p")
        body.append(f"<{tag}>{html.escape(line)}</{tag}>")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Site</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/shop'>Shop</a> <a href='/cart'>Cart</a></nav>"
        f"<main><article>{''.join(body)}</article></main>"
        "<footer><p>Subscribe to our newsletter</p><a href='/privacy'>Privacy policy</a></footer>"
        "<script>var tracking = 1;</script></body></html>"
    )
    return page.encode("utf-8")


def test_html_page_main_text_is_extracted(run, db):
    with Pages() as pages:
        url = pages.add("/kratom-withdrawal", article_page("003_f6a46e9e997b1915"))
        assert run("claims", "load", CLAIMS).exit_code == 0
        result = run("articles", "add", url)
    assert result.exit_code == 0, result.output
    article = next(db["articles"].rows)
    assert article["source"] == url and article["content_type"] == "text/html"
    assert article["title"] == "Kratom and Opioid Withdrawal Relief: A Natural Approach to Recovery"
    version = next(db["article_versions"].rows)
    assert "Privacy policy" not in version["text"] and "tracking" not in version["text"] and "Shop" not in version["text"]
    sentences = list(db["article_sentences"].rows)
    assert all(version["text"][s["start"]:s["end"]] == s["text"] for s in sentences)
    headings = [s["text"] for s in sentences if s["block_kind"] == "heading"]
    assert "Managing Cravings" in headings
    claims = {s["text"] for s in sentences if s["label"] == "claim"}
    assert "Strain Selection: Different strains of kratom can produce varying effects." in claims


# ---- storing, versions -------------------------------------------------------------------------


def test_adding_the_articles_twice_changes_nothing(run, db):
    first = run("claims", "load", CLAIMS)
    assert first.exit_code == 0
    result = run("articles", "add", ARTICLES)
    assert result.exit_code == 0, result.output
    counts = {t: db[t].count for t in ("articles", "article_versions", "article_blocks", "article_sentences", "claim_mentions")}
    assert counts["articles"] == 5 and counts["article_versions"] == 5
    assert counts["article_sentences"] == len(read_gold(GOLD))
    notes = {row["id"]: row["note"] for row in db["articles"].rows}
    assert all("URL and date unknown" in note for note in notes.values())
    again = run("articles", "add", ARTICLES)
    assert again.exit_code == 0
    assert again.output.count("unchanged") == 5
    assert counts == {t: db[t].count for t in counts}


def test_a_changed_article_becomes_a_new_version_and_the_old_claims_stay(run, db, tmp_path):
    path = tmp_path / "liver.txt"
    original = text_of("004_8b1ffd36f2c9c437")
    path.write_text(original, encoding="utf-8")
    assert run("claims", "load", CLAIMS).exit_code == 0
    assert run("articles", "add", path).exit_code == 0
    old_claims = db.execute(
        "SELECT count(*) FROM article_sentences WHERE article_id = 'liver' AND label = 'claim'").fetchone()[0]
    sentence = "It has liver-protective properties but requires careful use"
    path.write_text(original.replace(sentence, "It has no proven liver-protective properties and requires careful use"),
                    encoding="utf-8")
    result = run("articles", "add", path)
    assert result.exit_code == 0 and "new version v2" in result.output
    article = db["articles"].get("liver")
    assert article["current_version"] == 2 and article["versions"] == 2
    assert [r["is_current"] for r in db.query(
        "SELECT is_current FROM article_versions WHERE article_id = 'liver' ORDER BY version")] == [0, 1]
    # Version 1's claims and their matches are still there, marked not current.
    v1 = list(db.query(
        "SELECT s.id, s.is_current, m.claim_id FROM article_sentences s JOIN claim_mentions m ON m.sentence_id = s.id "
        "WHERE s.article_id = 'liver' AND s.version = 1 AND s.text LIKE ?", [sentence + "%"]))
    assert v1 and all(r["is_current"] == 0 for r in v1)
    assert "liver-protective" in {r["claim_id"] for r in v1}
    assert db.execute(
        "SELECT count(*) FROM article_sentences WHERE article_id = 'liver' AND version = 1 AND label = 'claim'"
    ).fetchone()[0] == old_claims


def test_a_failure_midway_leaves_nothing_half_stored(db, classifier, monkeypatch):
    document = read_article_file(ARTICLES / "001_59eb6e16f95a37e6.txt")
    calls = {"n": 0}
    real = classifier.classify

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 20:
            raise RuntimeError("disk full")
        return real(*args)

    monkeypatch.setattr(classifier, "classify", failing)
    with pytest.raises(RuntimeError):
        add_article(db, document, "001", sentence_handler(classifier))
    for table in ("articles", "article_versions", "article_blocks", "article_sentences", "claim_mentions"):
        assert db[table].count == 0, table


# ---- bad input ---------------------------------------------------------------------------------


def bad_inputs(tmp_path, pages):
    text = text_of("000_8afff2ce14173f35")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.md").write_text("\n\n   \n")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "latin1.txt").write_bytes(text.replace("’", "'").replace("“", '"').replace("”", '"')
                                          .replace("Kratom,", "Kratom \u00e9,").encode("latin-1"))
    (tmp_path / "huge.txt").write_text(text * 1100, encoding="utf-8")
    return {
        str(tmp_path / "empty.txt"): "empty",
        str(tmp_path / "blank.md"): "empty",
        str(tmp_path / "image.txt"): "binary",
        str(tmp_path / "latin1.txt"): "not valid UTF-8",
        str(tmp_path / "huge.txt"): "limit",
        str(tmp_path / "missing.txt"): "no such file",
        "http://127.0.0.1:9/unreachable": "cannot be reached",
        "ftp://example.org/article.txt": "only http and https",
        pages.add("/report.pdf", b"%PDF-1.4\n", "application/pdf"): "content type application/pdf",
        pages.add("/data.json", json.dumps({"a": 1}).encode(), "application/json"): "content type application/json",
        pages.add("/gone", b"gone", "text/html", status=410): "HTTP 410",
        pages.add("/empty-page", b"<html><body><nav>Home</nav></body></html>"): "no main text",
    }


def test_bad_input_gets_a_clear_error_and_stores_nothing(run, db, tmp_path):
    assert run("claims", "load", CLAIMS).exit_code == 0
    with Pages() as pages:
        cases = bad_inputs(tmp_path, pages)
        for source, expected in cases.items():
            result = run("articles", "add", source)
            assert result.exit_code == 1, source
            assert expected in result.output, (source, result.output)
            assert "Traceback" not in result.output
            for table in ("articles", "article_versions", "article_blocks", "article_sentences"):
                assert db[table].count == 0, (source, table)
        # A bad input among good ones: the good ones go in, the command still fails.
        result = run("articles", "add", ARTICLES / "003_f6a46e9e997b1915.txt", tmp_path / "empty.txt")
    assert result.exit_code == 1
    assert [row["id"] for row in db["articles"].rows] == ["003_f6a46e9e997b1915"]


def test_large_content_is_refused_before_it_is_all_read(tmp_path):
    from tracker.articles import source

    with Pages() as pages:
        url = pages.add("/big", b"<html><body><p>" + b"kratom " * (source.MAX_BYTES // 7 + 10) + b"</p></body></html>")
        with pytest.raises(InputError, match="limit"):
            source.fetch_article(url)


def test_a_folder_copy_of_the_articles(tmp_path, run, db):
    folder = tmp_path / "articles"
    shutil.copytree(ARTICLES, folder)
    assert run("claims", "load", CLAIMS).exit_code == 0
    result = run("articles", "add", folder)
    assert result.exit_code == 0
    assert db["articles"].count == 5  # README.md and index.yml are not articles


def test_an_article_without_a_title_is_named_in_words_never_by_a_path():
    from tracker.articles.store import article_name

    assert article_name({"id": "kratom-and-the_liver", "title": None, "note": None}) == "kratom and the liver"
    assert article_name({"id": "x", "title": None, "note": "A clinic's answer; URL unknown"}) == "A clinic's answer"
    assert article_name({"id": "x", "title": "Kratom and the liver", "note": "n"}) == "Kratom and the liver"
