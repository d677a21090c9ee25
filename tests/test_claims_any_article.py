"""Claims from articles the catalog was not written from: polarity, several claims in a sentence,
proposals for what the catalog lacks, what a page says of itself, and the measured figures."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pytest
import yaml

from tracker.articles.source import slug
from tracker.claims.catalog import read_catalog
from tracker.claims.classify import SentenceClassifier
from tracker.claims.evaluate import evaluate, read_gold
from tracker.core import paths

from .support.pages import Pages

REPO = Path(__file__).resolve().parents[1]
CLAIMS = REPO / "db" / "claims.yml"
DEV_ARTICLES = REPO.parent / "shared" / "articles-dev"
needs_dev_articles = pytest.mark.skipif(not DEV_ARTICLES.is_dir(), reason="../shared/articles-dev is not beside the checkout")


@pytest.fixture(scope="module")
def classifier():
    catalog = read_catalog(CLAIMS)
    return SentenceClassifier(catalog.claims, catalog.categories)


def readings(classifier, sentence: str) -> set[str]:
    """The claims a sentence in a kratom paragraph makes ('id') or denies ('-id')."""
    result = classifier.classify(sentence, "paragraph", "Kratom is a tree of Southeast Asia. " + sentence)
    assert result.label == "claim", result.reason
    return {m.claim_id if m.polarity == "asserts" else "-" + m.claim_id for m in result.matches}


def reads_as(classifier, sentence: str, expected: set[str], never: set[str]) -> None:
    found = readings(classifier, sentence)
    assert expected <= found, found
    assert not (never & found), found


# The first four are the misses the issue quotes from real articles of the same family.
@pytest.mark.parametrize("sentence, expected, never", [
    ("It is popular for offering relief without the risk of addiction.", {"-dependence-risk"}, {"dependence-risk"}),
    ("Research suggests moderate kratom use may be safe for the liver.", {"-liver-injury-long-term"},
     {"liver-injury-long-term", "users-report-benefit"}),
    ("Long-term use may lead to conditions like steatosis and hepatitis.", {"liver-injury-long-term"}, set()),
    ("Kratom does not cause liver damage.", {"-liver-injury-long-term"}, {"liver-injury-long-term"}),
    ("Kratom is non-addictive.", {"-dependence-risk"}, {"dependence-risk"}),
    ("There is no evidence that kratom causes liver damage.", {"-liver-injury-long-term"}, {"liver-injury-long-term"}),
    ("Kratom has no side effects.", {"-adverse-effects"}, {"adverse-effects"}),
    # a comparison is neither the harm nor its absence: the claim that compares says it
    ("Kratom has fewer side effects than opioids.", {"safer-than-opioids"}, {"adverse-effects", "-adverse-effects"}),
    ("Kratom carries a lower risk of addiction than opioids.", {"lower-addiction-risk"},
     {"dependence-risk", "-dependence-risk"}),
    # double negation and 'not only' assert
    ("While kratom is considered less addictive than opioids, it is not without risks of addiction.",
     {"lower-addiction-risk", "dependence-risk"}, {"-dependence-risk"}),
    ("Kratom is not only a pain reliever but also a stimulant.", {"analgesic", "stimulant-effects"}, {"-analgesic"}),
])
def test_polarity_is_read_and_never_reversed(classifier, sentence, expected, never):
    reads_as(classifier, sentence, expected, never)


@pytest.mark.parametrize("sentence, expected, never", [
    ("Kratom acts on opioid receptors, which can worsen the urge to use, instead of helping one to finally detox.",
     {"opioid-receptor-interaction", "-eases-withdrawal-symptoms"}, {"eases-withdrawal-symptoms"}),
    # a comparing claim is never made by shared words alone
    ("Heavy use can lead to seizures, depression and impaired breathing.", set(),
     {"less-respiratory-depression", "lower-addiction-risk", "safer-than-opioids"}),
])
def test_what_a_clause_denies_and_what_shared_words_cannot_claim(classifier, sentence, expected, never):
    reads_as(classifier, sentence, expected, never)


@pytest.mark.parametrize("sentence, expected, never", [
    # cravings are only reduced when a verb says so; cravings for kratom itself are dependence
    ("Kratom may curb cravings for opioids.", {"reduces-cravings"}, set()),
    ("Over time, regular users may develop cravings for kratom.", {"dependence-risk"}, {"reduces-cravings"}),
    # what is said of the thing compared with is not said of kratom
    ("Unlike methadone, which often leads to dependence, kratom binds to opioid receptors.",
     {"opioid-receptor-interaction"}, {"dependence-risk"}),
    ("It gives pain relief with a lower risk of dependence than opioids.", {"lower-addiction-risk"},
     {"dependence-risk", "-dependence-risk"}),
    # "without the same risks" compares; it denies nothing
    ("It relieves pain without the same overdose risks as prescription opioids.", {"analgesic", "safer-than-opioids"},
     {"-adverse-effects", "-safer-than-opioids"}),
    # effects named one by one, and harm to the liver in plain words
    ("Heavy kratom use can lead to hallucinations, seizures and coma.", {"adverse-effects"}, set()),
    ("It is also known to be harmful to the liver.", {"liver-injury-long-term"}, set()),
    ("Kratom consists of many alkaloids.", {"active-alkaloids"}, set()),
    # a comparison survives the framing that introduces it
    ("This remedy has sparked interest among doctors as a potentially safer option for people addicted to opioids.",
     {"safer-than-opioids"}, set()),
    ("Kratom is often used for its pain-relieving effects.", {"analgesic"}, set()),
    # a use or a portrayal ends with its clause: what follows is still read
    ("Kratom, marketed as an energy booster, can cause liver damage.", {"liver-injury-long-term"}, set()),
    ("Many people use kratom for energy but it can cause seizures.", {"adverse-effects"}, set()),
    # a study not yet done denies; "responsible for" is a cause, not the advice to be responsible
    ("No study has yet shown that kratom is responsible for scarring of the liver.", {"-liver-injury-long-term"},
     {"liver-injury-long-term"}),
])
def test_causes_comparisons_and_plain_words_are_read(classifier, sentence, expected, never):
    reads_as(classifier, sentence, expected, never)


# Article 004's two sentences as the issue quotes them, and sentences written here for the same readings.
@pytest.mark.parametrize("sentence, expected, never", [
    ("Moreover, kratom is known for its potential liver-protective properties, as some research indicates it can "
     "have beneficial effects on liver health, which is particularly relevant when considering long-term use and "
     "potential side effects.", {"liver-protective"},
     {"liver-injury-long-term", "liver-enzyme-elevation", "adverse-effects"}),
    ("Kratom has emerged as a potential natural solution for managing opioid withdrawal symptoms, offering relief "
     "without some of the adverse effects associated with traditional treatments.",
     {"safer-than-opioids", "eases-withdrawal-symptoms"}, {"-adverse-effects", "adverse-effects"}),
    # a benefit to the liver is no report of harm to it, unless the sentence says so in a clause of its own or
    # names an injury
    ("Some say kratom has beneficial effects on liver health with long-term use.", {"liver-protective"},
     {"liver-injury-long-term", "liver-enzyme-elevation"}),
    ("It has liver-protective properties, but long-term heavy use can lead to severe issues.",
     {"liver-protective", "liver-injury-long-term"}, set()),
    ("Kratom, praised as liver-protective, has been linked to cholestatic hepatitis after long-term use.",
     {"liver-protective", "liver-injury-long-term"}, set()),
    # what a practice prevents is not said to happen; "without the same level of" compares
    ("Taking regular breaks helps prevent tolerance and potential side effects.", {"dependence-risk"},
     {"adverse-effects"}),
    ("It may ease withdrawal without causing the same level of addiction risk as prescription opioids.",
     {"eases-withdrawal-symptoms", "lower-addiction-risk"}, {"dependence-risk", "-dependence-risk"}),
    # "without" reaches across a list joined by "or"; a clause of its own ends it
    ("It eases pain without the risk of addiction or harmful side effects.",
     {"analgesic", "-adverse-effects", "-dependence-risk"}, {"adverse-effects", "dependence-risk"}),
    ("It is sold without a prescription or any warning, and it can cause nausea and dizziness.", {"adverse-effects"},
     {"-adverse-effects"}),
])
def test_a_sentence_is_credited_only_with_what_it_says(classifier, sentence, expected, never):
    reads_as(classifier, sentence, expected, never)


# What a claim word is said of: the receptors a compound interacts with are no medication, opioid use disorder
# is no dependence on kratom, ADHD as the condition other drugs treat is no benefit, "managing withdrawal" as a
# topic is no relief, and the damage enzymes indicate is not said to happen. Sentences written here.
@pytest.mark.parametrize("sentence, expected, never", [
    ("Its alkaloids interact with opioid receptors, offering an alternative to prescription medications.",
     {"opioid-receptor-interaction", "alternative-to-oud-treatment"}, {"drug-interactions"}),
    ("Kratom can interact with several prescription medications.", {"drug-interactions"}, set()),
    ("Kratom may reduce cravings in people with opioid use disorder.", {"reduces-cravings"}, {"dependence-risk"}),
    ("Its interaction with drugs taken for conditions like ADHD is not well studied.", {"drug-interactions"},
     {"adhd-focus"}),
    ("Kratom can sharpen focus.", {"adhd-focus"}, set()),
    ("Its effectiveness in managing withdrawal varies from person to person.", {"effects-vary-individually"},
     {"eases-withdrawal-symptoms"}),
    ("The plant offers a natural approach to managing opioid withdrawal.", {"alternative-to-oud-treatment"},
     {"eases-withdrawal-symptoms"}),
    ("It may lessen cravings and withdrawal pain.", {"reduces-cravings", "eases-withdrawal-symptoms"}, set()),
    ("Kratom can raise liver enzymes, which are markers of liver damage.", {"liver-enzyme-elevation"},
     {"liver-injury-long-term"}),
    ("Kratom has emerged as a natural alternative to methadone for people in recovery.",
     {"alternative-to-oud-treatment"}, set()),
])
def test_a_claim_word_counts_only_for_what_it_is_said_of(classifier, sentence, expected, never):
    reads_as(classifier, sentence, expected, never)


# Readings learned from blind round C's errors (after it was measured); sentences written here.
@pytest.mark.parametrize("sentence, expected, never", [
    # "non-" negates its own word only; "far from" and "a mistaken belief that" deny
    ("It is taken in non-clinical settings to ease pain.", {"analgesic"}, {"-analgesic"}),
    ("Kratom is non-addictive.", {"-dependence-risk"}, {"dependence-risk"}),
    ("Kratom is far from harmless.", {"-minimal-risk-healthy"}, {"minimal-risk-healthy"}),
    ("It is a mistaken belief that kratom is harmless.", {"-minimal-risk-healthy"}, {"minimal-risk-healthy"}),
    # who reports is not what kratom is used for; a report of harm is no report of benefit
    ("People who use kratom report nausea and other side effects.", {"adverse-effects"}, {"users-report-benefit"}),
    ("Many users report that kratom helped them through withdrawal.", {"users-report-benefit"}, set()),
    # a gap in a term spans a list's commas
    ("Heavy use can lead to seizures, psychosis, addiction or death.", {"adverse-effects", "dependence-risk"}, set()),
    ("It can be habit forming.", {"dependence-risk"}, set()),
    ("Regular users build up a tolerance.", {"dependence-risk"}, set()),
    ("It is much easier to taper off than heroin.", {"lower-addiction-risk"}, set()),
    ("Kratom partially activates the mu-opioid receptor.", {"partial-agonist"}, set()),
    ("The potency of kratom products varies widely.", {"product-variability-recall"}, {"effects-vary-individually"}),
    ("Some kratom has been linked to salmonella.", {"product-variability-recall"}, set()),
    ("Taking it with other medications is risky.", {"drug-interactions"}, set()),
    ("There are no clinical trials of kratom for withdrawal.", {"evidence-limited"}, {"-evidence-limited"}),
    # what a definition says the thing does is read
    ("Kratom refers to a plant that can produce opioid-like effects.", {"opioid-like-effects"}, set()),
    # (from the rounds and articles already read) "does not have the same risk" compares; a concern names; the
    # use of kratom for X is a use; "However, unlike opioids, ..." is said of opioids
    ("Kratom does not have the same risk of overdose or death as heroin.", set(), {"adverse-effects", "-adverse-effects"}),
    ("It eases cravings, but concerns about its impact on liver health persist.", {"reduces-cravings"},
     {"liver-enzyme-elevation", "liver-injury-long-term"}),
    ("The use of kratom for pain relief is controversial, and it can cause nausea.", {"adverse-effects"}, {"analgesic"}),
    ("However, unlike methadone, which is an opioid treatment, kratom can cause constipation.", {"adverse-effects"},
     {"alternative-to-oud-treatment"}),
    # (from the final blind round, after it was measured) what is undecided is neither said nor denied, and
    # "without the intensity of" compares
    ("Experts say it is too early to determine if kratom causes liver damage.", {"evidence-limited"},
     {"liver-injury-long-term", "-liver-injury-long-term"}),
    ("It has effects like opioids but without the intensity of their addictive properties.",
     {"opioid-like-effects", "lower-addiction-risk"}, {"dependence-risk", "-dependence-risk"}),
])
def test_readings_learned_from_a_blind_round(classifier, sentence, expected, never):
    reads_as(classifier, sentence, expected, never)


@pytest.mark.parametrize("sentence, label", [
    ("If you have a problem with kratom, see a doctor.", "advice"),
    ("Kratom is best avoided by anyone in withdrawal.", "advice"),
])
def test_advice_worded_plainly_is_advice(classifier, sentence, label):
    assert classifier.classify(sentence, "paragraph", sentence).label == label


@pytest.mark.parametrize("sentence", [
    # uses (after a "who" clause too) and treatment offered for kratom addiction are not what kratom does
    "Many people who live with back pain turn to kratom as an alternative to prescription painkillers.",
    "Some users continue to use strong kratom for pain relief.",
    "Kratom addiction treatment follows the same steps as any other rehab programme.",
])
def test_uses_and_treatment_offered_are_not_claims(classifier, sentence):
    paragraph = "Kratom is a tree of Southeast Asia. " + sentence
    assert classifier.classify(sentence, "paragraph", paragraph).label == "other"


def test_a_sentence_about_another_drug_is_not_about_kratom(classifier):
    paragraph = "Kratom comes from a tree. Opium, too, comes from a plant, and it is far from harmless."
    sentence = paragraph.split(". ", 1)[1]
    assert classifier.classify(sentence, "paragraph", paragraph).label == "other"


def test_a_bare_relief_follows_the_relief_the_sentence_before_gave(classifier):
    paragraph = ("Kratom acts on opioid receptors to provide relief from withdrawal symptoms. "
                 "It provides physical and mental relief.")
    sentence = paragraph.split(". ", 1)[1]
    result = classifier.classify(sentence, "paragraph", paragraph)
    assert "eases-withdrawal-symptoms" in {m.claim_id for m in result.matches}, result


@pytest.mark.parametrize("paragraph, expected", [
    # a bare "relief" relieves the problem the paragraph opened on ...
    ("Opioid withdrawal is a hard process with intense cravings. Kratom offers natural relief.",
     {"eases-withdrawal-symptoms"}),
    # ... and nothing in particular when the sentence before speaks of kratom itself
    ("Kratom is a tree of Southeast Asia. It offers natural relief.", set()),
])
def test_a_bare_relief_relieves_what_the_paragraph_opened_on(classifier, paragraph, expected):
    sentence = paragraph.split(". ", 1)[1]
    result = classifier.classify(sentence, "paragraph", paragraph)
    assert {m.claim_id for m in result.matches if m.method == "rule"} == expected, result


def test_attention_a_remedy_gained_is_framing_where_emerging_as_one_is_a_claim(classifier):
    framed = "Kratom has gained attention as a potential aid for managing opioid withdrawal."
    assert classifier.classify(framed, "paragraph", framed).label == "other"
    assert "eases-withdrawal-symptoms" in readings(
        classifier, "Kratom has emerged as a potential natural solution for managing opioid withdrawal symptoms.")


def test_a_contrary_claim_names_a_claim_of_the_catalog(tmp_path):
    text = CLAIMS.read_text(encoding="utf-8").replace("contrary: [liver-injury-long-term, liver-enzyme-elevation]",
                                                      "contrary: [liver-injury, liver-enzyme-elevation]")
    (tmp_path / "claims.yml").write_text(text, encoding="utf-8")
    from tracker.core.errors import InputError

    with pytest.raises(InputError, match="claim liver-protective: 'contrary' names liver-injury, not a claim"):
        read_catalog(tmp_path / "claims.yml")


@pytest.mark.parametrize("sentence, label", [
    ("Some individuals use it to relieve symptoms of opioid withdrawal.", "other"),  # a use, not an effect
    ("Advertisers portray kratom as a legal way to feel good.", "other"),
    ("If a remedy can damage your body, you would not take it.", "other"),  # a hypothetical
    ("Kratom addiction refers to the compulsive use of the plant despite harm.", "other"),  # a definition
    ("It's easy to assume that herbal products don't pose any risks.", "other"),
    ("Understanding kratom's role here is crucial, as it may serve as an alternative to opioid medications.", "claim"),
])
def test_uses_portrayals_hypotheticals_and_definitions_are_not_claims(classifier, sentence, label):
    result = classifier.classify(sentence, "paragraph", "Kratom is a tree of Southeast Asia. " + sentence)
    assert result.label == label, result.reason


def test_a_star_ends_any_word_of_a_term():
    from tracker.claims.catalog import compile_term

    pattern = re.compile(compile_term("build* a tolerance"))
    assert pattern.search("users builds a tolerance quickly") and pattern.search("building a tolerance")
    assert not pattern.search("build* a tolerance") or pattern.search("build a tolerance")
    assert not pattern.search("rebuild a tolerance")


def paragraph_labels(classifier, paragraph: str, heading: str = "") -> list[str]:
    """Each sentence of one paragraph, labelled as the store labels it."""
    from tracker.articles.structure import split_sentences

    return [classifier.classify(paragraph[a:b], "paragraph", paragraph, heading).label
            for a, b in split_sentences(paragraph, 0, len(paragraph))]


def test_a_demonstrative_points_back_to_kratom_and_a_pronoun_to_what_came_before(classifier):
    # "this plant" names kratom wherever it stands; the paragraph itself never says "kratom"
    assert paragraph_labels(classifier, "Experts report that this plant contains alkaloids that bind to opioid "
                                        "receptors.") == ["claim"]
    # an "It" after a sentence about the liver speaks of the liver, even in a paragraph that names kratom
    labels = paragraph_labels(classifier, "The liver filters the blood. It helps remove toxins and makes bile. "
                                          "Kratom can cause liver injury.")
    assert labels == ["other", "other", "claim"]


@pytest.mark.parametrize("sentence", [
    "Several studies have investigated the link between kratom and liver damage.",
    "Concerns have been raised about the harm kratom may cause to the liver.",
    "Sold as an energy booster and pain reliever, kratom has become popular.",
    "About one in a hundred people reported using kratom last year.",
])
def test_research_done_concern_and_use_are_not_findings(classifier, sentence):
    result = classifier.classify(sentence, "paragraph", sentence)
    assert not result.matches, result.matches


def test_a_question_heading_heads_its_section(classifier):
    from tracker.articles.structure import parse_structure

    text = "A guide\n\nWhat Is Kratom?\n\nMild side effects such as nausea have been reported.\n"
    structure = parse_structure(text)
    question, body = structure.blocks[1], structure.blocks[2]
    assert question.kind == "heading" and body.section == 1
    assert classifier.classify(question.text, question.kind, question.text).label == "question"
    result = classifier.classify(body.text, body.kind, body.text, heading=question.text)
    assert result.label == "claim" and [m.claim_id for m in result.matches] == ["adverse-effects"]
    # two questions on one line are two sentences, not a heading
    assert parse_structure("A guide\n\nWhat is it? Is it safe?\n\nIt is a tree.\n").blocks[1].kind != "heading"


def test_a_sentence_is_matched_to_every_claim_it_makes(classifier):
    found = readings(classifier, "Its alkaloids give pain relief through the opioid receptors, but heavy use carries "
                                 "risks like fatty liver, hepatitis, and cirrhosis.")
    assert {"analgesic", "opioid-receptor-interaction", "liver-injury-long-term"} <= found


def test_list_items_completing_a_lead_in_about_kratom_are_claims(classifier):
    item = classifier.classify("Eliminating pain", "list_item", "- Eliminating pain", heading="It’s capable of:")
    assert item.label == "claim" and [m.claim_id for m in item.matches] == ["analgesic"]
    symptom = classifier.classify("Nausea and Vomiting", "list_item", "- Nausea and Vomiting",
                                  heading="Common withdrawal symptoms")
    assert symptom.label == "other"


def test_unmatched_claims_get_the_catalog_category(classifier):
    result = classifier.classify("Kratom is legal in most parts of the world, though regulations vary.", "paragraph", "")
    assert result.label == "claim" and result.matches == [] and result.category == "product-regulation"


def test_categories_and_term_lists_come_from_the_catalog_file(tmp_path):
    project = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    project["categories"] = [c for c in project["categories"] if c["name"] != "liver"]
    path = tmp_path / "claims.yml"
    path.write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    from tracker.core.errors import InputError

    with pytest.raises(InputError, match="category 'liver' is not one of the file's categories"):
        read_catalog(path)
    catalog = read_catalog(CLAIMS)
    liver = next(c for c in catalog.claims if c.id == "liver-injury-long-term")
    assert "cirrhosis" in " ".join(" ".join(rule) for rule in liver.match)  # @liver-injury expanded


@needs_dev_articles
def test_the_development_articles_meet_the_targets():
    catalog = read_catalog(CLAIMS)
    report = evaluate(read_gold(paths.DEV_GOLD), DEV_ARTICLES, catalog.claims, catalog.categories)
    figures = report.as_dict()
    assert figures["segmentation_misses"] == 0
    assert figures["claim_recall"] >= 0.9, report.errors
    assert figures["claim_precision"] >= 0.89, report.errors  # question headings and lists of uses are not claims
    assert figures["claim_matched_right"] >= 0.9, report.errors
    assert figures["polarity_reversals"] == 0, report.errors


def test_the_five_articles_keep_what_they_reached():
    catalog = read_catalog(CLAIMS)
    figures = evaluate(read_gold(paths.GOLD), paths.ARTICLES, catalog.claims, catalog.categories).as_dict()
    assert figures["claim_recall"] == 1.0 and figures["claim_precision"] >= 0.987  # every gold claim sentence found
    assert figures["claim_match_top1_accuracy"] >= 0.961 and figures["claim_match_set_recall"] >= 0.98
    assert figures["claim_matched_right"] >= 0.90 and figures["claim_match_set_precision"] >= 0.97
    assert figures["polarity_reversals"] == 0
    assert figures["scorecards"]["004_8b1ffd36f2c9c437"] == {"credited_wrongly": [], "left_off": []}
    reading = figures["reading_ms_per_page"]  # reported, never a pass mark: timing depends on the machine
    assert reading["longest"] >= reading["mean"] > 0


@needs_dev_articles
def test_proposals_group_unmatched_sentences_into_entries_a_person_can_paste(run, db, tmp_path):
    before = hashlib.sha256(CLAIMS.read_bytes()).hexdigest()
    assert run("articles", "add", DEV_ARTICLES).exit_code == 0
    unmatched = {row["id"] for row in db.query(
        "SELECT id FROM article_sentences s WHERE label = 'claim' AND NOT EXISTS "
        "(SELECT 1 FROM claim_mentions m WHERE m.sentence_id = s.id)")}
    assert unmatched
    result = run("claims", "propose")
    assert result.exit_code == 0, result.output
    entries = yaml.safe_load(result.output.replace("CHOOSE-A-CATEGORY", "safety"))
    covered = [line.split(":")[0].strip(" #") for line in result.output.splitlines() if line.startswith("  #   ")]
    assert sorted(covered) == sorted(unmatched)  # every unmatched sentence in exactly one proposal
    assert len(entries) < len(unmatched)  # some were grouped
    project = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    project["claims"] += entries
    pasted = tmp_path / "claims.yml"
    pasted.write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    assert len(read_catalog(pasted).claims) == len(project["claims"])  # each entry is a valid catalog entry
    assert hashlib.sha256(CLAIMS.read_bytes()).hexdigest() == before  # nothing entered the catalog


# A stand-in page made for this test around the opening of a real article (../shared/articles-dev,
# whose README gives its address); the author and date are placeholders for the parser to find.
PAGE_URL = "https://puritykratom.com/blogs/news/kratom-dosage-guide"


def saved_page(author_and_date: bool = True) -> bytes:
    text = (DEV_ARTICLES / "puritykratom_dosage_guide.txt").read_text(encoding="utf-8").split("\n")
    body = "".join(f"<h1>{html.escape(line)}</h1>" if i == 0 else f"<p>{html.escape(line)}</p>"
                   for i, line in enumerate(text) if line.strip())
    meta = ('<meta name="author" content="Example Author">'
            '<meta property="article:published_time" content="2024-03-05T10:00:00+00:00">') if author_and_date else ""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{text[0]}</title>'
            f'<link rel="canonical" href="{PAGE_URL}"><meta property="og:site_name" content="puritykratom.com">'
            f'{meta}</head><body><article>{body}</article></body></html>').encode("utf-8")


@needs_dev_articles
def test_a_saved_page_keeps_what_it_says_of_itself(run, db, tmp_path):
    path = tmp_path / "saved.html"
    path.write_bytes(saved_page())
    result = run("articles", "add", path)
    assert result.exit_code == 0, result.output
    article = next(db["articles"].rows)
    assert article["id"] == "saved"  # a file keeps the name a person gave it
    assert article["title"] == "Kratom Dosage Guide" and article["url"] == PAGE_URL
    assert article["site"] == "puritykratom.com"
    assert article["author"] == "Example Author" and article["published"] == "2024-03-05"


@needs_dev_articles
def test_a_page_gets_a_readable_id_from_its_title_and_keeps_it(run, db):
    with Pages() as pages:
        url = pages.add("/blogs/news/kratom-dosage-guide", saved_page(author_and_date=False))
        first = run("articles", "add", url)
        again = run("articles", "add", url)
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    rows = list(db["articles"].rows)
    assert [r["id"] for r in rows] == [slug("Kratom Dosage Guide")] == ["kratom-dosage-guide"]
    assert rows[0]["author"] is None and rows[0]["published"] is None and rows[0]["url"] == PAGE_URL
    assert "unchanged" in again.output


def test_errors_per_claim_say_what_was_missed_over_read_or_reversed_and_what_the_scorecard_shows():
    from tracker.claims.evaluate import GoldClaim, GoldSentence, Report, Scorecard, _tally_claims, per_claim_lines
    from tracker.claims.match import ASSERTS, DENIES

    item = GoldSentence("a", 0, 10, "claim", False, [GoldClaim.parse("liver-protective"), GoldClaim.parse("?analgesic")],
                        "")
    report = Report()
    _tally_claims(report, item, {("liver-protective", ASSERTS), ("liver-injury-long-term", ASSERTS)})
    _tally_claims(report, item, {("liver-protective", DENIES)})
    _tally_claims(report, item, set())
    assert report.by_claim["liver-protective"] == {"right": 1, "reversed": 1, "missed": 1}
    assert report.by_claim["liver-injury-long-term"] == {"over-read": 1}
    assert "analgesic" not in report.by_claim  # may be read or not
    report.scorecards["a"] = Scorecard(required={("liver-protective", ASSERTS)}, allowed=item.allowed,
                                       read={("liver-injury-long-term", ASSERTS), ("analgesic", ASSERTS)})
    lines = per_claim_lines(report)
    assert lines[0] == "liver-protective: 1 missed, 1 reversed; 1 read right"
    assert "scorecard of a: credited with liver-injury-long-term (no sentence makes it); misses liver-protective" in lines
    # On the five source articles: every required claim missed or reversed is one the sentence figures count.
    catalog = read_catalog(CLAIMS)
    five = evaluate(read_gold(paths.GOLD), paths.ARTICLES, catalog.claims, catalog.categories)
    assert sum(n["missed"] + n["reversed"] for n in five.by_claim.values()) == five.set_fn
    assert set(five.scorecards) == {s.article for s in read_gold(paths.GOLD)}
