"""Classifying every sentence of an article: claim, advice, heading, question or other.

The rules, in order (each decision records its reason):
1. Titles, headings and contents items are `heading` (but a lead-in that ends in ':' and says
   something, "Kratom's effects depend on dosage:", is read as a sentence); a sentence ending in
   '?' is a `question`; a short list item without a verb ("Nausea and Vomiting") is `other`,
   unless it completes a lead-in about kratom ("It's capable of:" / "Eliminating pain").
2. Framing is masked before anything else is read: "has gained attention as a potential aid...",
   "this article explores...", "further research is needed..." assert nothing checkable.
3. A sentence is about kratom when it names kratom or its alkaloids, opens on a word for it ("It",
   "The herb", "This substance", "Red vein strains"), points back to it anywhere ("experts say this
   plant ...", "if you take this ..."), or stands in a paragraph or under a heading that names it
   and does not open on a subject of its own (opioids, withdrawal, the liver). An "It" right after
   a sentence about such a subject speaks of that subject ("The liver filters the blood. It ...").
4. About kratom and matching a canonical claim: `claim`, unless it is advice ("should", "consult",
   "it's crucial to") and asserts nothing in a clause of its own ("have reported", "can cause").
   About kratom with an assertion ("can cause", "is considered") but no catalog match: `claim`,
   kept for review as unmatched.
5. Otherwise advice cues make `advice`; the rest is `other` (background, framing, marketing).
Hedging ("may", "potentially", "research suggests") is recorded for every sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .catalog import Category, Claim, normalise
from .match import Match, Matcher


def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


KRATOM = _any(r"\bkratom", r"\bmitragyn", r"\bmitraginin", r"hydroxymitragynine", r"\bspeciosa\b", r"\bketum\b")
# Words for kratom that open a sentence in an article about it: "It", "The herb", "This natural substance".
KRATOM_REFERENCE = _any(
    r"^\W*(?:(?:what's more|also|and|but|however|moreover|in addition|plus),?\s+)?(?:it|its|it's)\b",
    r"^\W*(?:(?:what's more|also|and|but|however|moreover|in addition|plus),?\s+)?(?:the|this|these|such|each|every|"
    r"different)\s+(?:[\w-]+\s+){0,3}?(?:herb|herbs|plant|leaf|leaves|substance|strain|strains|alkaloids?|compounds?|"
    r"tree|botanical|powder|tea|supplement)\b",
    r"\b(?:red|white|green|yellow|gold)[\s-]+vein\b",
    # "Experts revealed that this plant contains ...": a demonstrative points back to kratom anywhere.
    r"\b(?:this|these)\s+(?:[\w-]+\s+){0,2}?(?:herb|herbs|plant|leaf|leaves|substance|supplement|botanical|"
    r"tree|drug|extract|product|products|kratom)\b",
    r"\b(?:take|taking|consume|consuming) (?:this|it)\b",
)
# Verbs that assert an effect only when kratom is the sentence's own subject ("It provides pain
# relief"), not when a paragraph about it says "Knowing these differences helps you".
EFFECT_VERB = _any(r"\b(?:helps?|provides?|offers?|brings?|eases?|relieves?|reduces?|improves?|enhances?|treats?)\b")
LEAD_IN_MIN_WORDS = 4  # "It's capable of:" only introduces; "Kratom's effects depend on dosage:" says something
# A sentence that opens on a subject of its own is background, even in a paragraph about kratom.
BACKGROUND_OPENING = _any(
    r"^\W*(opioids?|withdrawal|cravings|common|these symptoms|the symptoms|these drugs|the brain|the severity)\b",
    # other organs and other products: "The liver works as a detoxifier", "Herbal dietary supplements cause HILI"
    r"^\W*(the liver|bile|the body|dili|hili|herbal (?:and )?dietary supplements)\b",
    # other drugs, and the crisis around them: "Opium, too, comes from a plant ... it is far from harmless"
    r"^\W*(opium|heroin|morphine|fentanyl|methadone|buprenorphine|the opioid (?:crisis|epidemic))\b",
    r"^\W*many (individuals|people) (going through|in|with)\b",
    r"^\W*(when|if) (individuals|someone|use|you)\b",
)
# The rest of a clause: up to a comma, a stop or a word that opens another ("but", "because").
_CLAUSE_REST = r"[^,.;]*?(?=[,.;]|\b(?:but|while|yet|because|due to)\b|$)"
# Where attention and popularity end: a reason ("due to ..."), an asserted effect ("offering ..."), or a
# comparison, which is a claim of its own ("sparked interest as a potentially safer option").
_FRAMING_ENDS = r",|;|\.|\bdue to\b|\bbecause\b|\boffering\b|\bas an? (?:[\w-]+ )?(?:safer|less|lower|milder)\b"
FRAMING = _any(
    # attention and popularity, up to where they end
    rf"\b(?:has |have |is )?(?:gained|gaining|sparked|growing)\b.*?(?={_FRAMING_ENDS}|$)",
    # "has emerged" frames too, up to what kratom is said to be: "emerged as a natural solution (an alternative)
    # for managing withdrawal" claims it is one, where "gained attention as a potential aid for ..." reports attention
    rf"\b(?:has |have |is )?(?:emerged|emerges)\b.*?"
    rf"(?={_FRAMING_ENDS}|\bas an? (?:[\w-]+ ){{0,3}}(?:solution|remedy|treatment|alternative)s? (?:for|to|in)\b|$)",
    r"\b(?:led|leading) (?:some |many )?(?:individuals|people|users) to (?:explore|try|consider)[^,.;]*",
    # the article talking about itself
    r"\b(?:this|the) (?:comprehensive )?(?:article|guide|blog|post)\b[^.;]*",
    r"\bin this (?:comprehensive )?(?:article|guide|blog|post)\b[^.;]*",
    r"\bwe(?:'ll| will)? (?:also )?(?:explore|delve|cover|discuss|look)\b[^.;]*",
    # research still to be done
    r"\bfurther (?:research|studies|study|exploration)\b[^,.;]*",
    r"\b(?:research|studies)\b[^,.;]*?\b(?:is|are) (?:still )?(?:ongoing|evolving)\b[^,.;]*",
    r"^[^,.;]*\bis a topic of (?:ongoing )?(?:research|debate|discussion)\b[^,.;]*",
    r"\bresearch ongoing\b",
    # concern and research that was done, not what it found
    r"\bconcerns? (?:have |has )?(?:been )?raised\b[^.;]*",
    r"\b(?:worries|concerns?|questions) (?:about|regarding|over) how\b[^.;]*",
    r"\bgrowing concern\b[^.;]*",
    r"\b(?:studies|research|researchers|scientists) (?:have )?(?:investigated|examined|explored|looked at)\b[^.;]*",
    # how it is sold is marketing, not an effect ("Sold as an energy booster, ...")
    r"^\W*(?:sold|marketed|advertised|promoted) as\b[^;]*?(?=,[^,]*$|$)",
    # what is said of the thing kratom is compared with: "Unlike prescription medications, which often lead to ..."
    r"^\W*(?:(?:however|but|yet|and|moreover),?\s+)?unlike [^,;]*(?:,\s*which [^,;]*)?(?=,)",
    # what people assume, and what a word means, assert nothing about kratom
    r"\b(?:it's|it is) easy to (?:assume|think|believe)\b[^.;]*",
    # ... up to what the definition says the thing does ("refers to a substance that can produce ...")
    r"^[^,.;]*\b(?:refers? to|is defined as|is a term for)\b.*?(?=\b(?:that|which)\b|$)",
    # history of use, and interest in it, are not effects
    r"\b(?:traditionally|historically)\b[^.;]*",
    r"\b(?:has|have|had) (?:been )?used\b[^.;]*",
    r"\breport(?:s|ed|ing)? (?:using|taking)\b[^.;]*",
    # what people use it for is not what it does ("some individuals use it to relieve ...", "people who suffer
    # from chronic pain turn to kratom", "continue to use most potent kratom"), but "used for its pain-relieving
    # effects" says it has them, and "people who use kratom report ..." names who reports; each up to the end of
    # its clause
    r"\b(?:individuals|people|users|many|some|others)(?: who [^,.;]*?)? (?:(?!who\b)\w+ )?(?:continue to |still )?"
    r"(?:use|take|turn to) (?:it|kratom|this \w+|(?:[\w-]+ ){1,2}kratom)\b"
    r"(?! for its\b)" + _CLAUSE_REST,
    r"\b(?:is|are) (?:widely |commonly |often |also )?used (?:to|as|for(?! its\b))\b" + _CLAUSE_REST,
    # (but "positive experiences using kratom to alleviate ..." reports that it helped)
    r"(?<!experiences )(?<!experience )\busing (?:it|kratom|this \w+) (?:to|for(?! its\b))\b" + _CLAUSE_REST,
    r"\bthe use of (?:it|kratom|this \w+) (?:to|for(?! its\b))\b" + _CLAUSE_REST,
    # how it is portrayed or promoted, anywhere in the sentence
    r"\b(?:portray(?:s|ed)?|promoted|marketed|advertised|touted) (?:\w+ )?as\b" + _CLAUSE_REST,
    # a hypothetical opening clause ("If a drug can cause ..., you would ..."), and a question asked
    r"^\W*if [^,;]*,",
    r"\bthe question (?:arises|is|remains)\b[^.;]*",
    r"\bself-treat\w*\b[^.;]*",
    # treatment for kratom addiction, offered: "kratom addiction treatment follows the same principles as ..."
    r"\b(?:kratom )?(?:addiction|dependence|substance abuse) (?:treatment|help|programs?|rehab|specialists?|services)\b"
    + _CLAUSE_REST,
    r"\bprompting (?:interest|curiosity)\b[^.;]*",
    r"\boffers? hope\b[^,.;]*",
    # marketing imperatives ("Embrace a path to recovery ...")
    r"^\W*(?:embrace|experience|discover|unlock|join|say goodbye)\b[^.;]*",
)
ADVICE = _any(
    r"\bshould\b",
    r"\bmust\b",
    r"\bconsult",
    r"\bit(?:'s| is) (?:crucial|essential|important|vital|recommended|advisable|wise|best)\b(?! to note)",
    r"\bis (?:crucial|essential|vital|recommended|advised|paramount|critical)\b",
    r"\b(?:are|remain) (?:critical|paramount|essential|crucial)\b",
    r"\brequires? careful\b",
    r"\bwith caution\b",
    r"\bnecessitates? caution\b",
    r"\bsafety precautions\b",
    r"\bresponsibl(?:y|e(?! for))\b",  # "is responsible for" says what causes something
    r"\bguidelines\b",
    r"\bseek(?:ing)? (?:professional|medical|guidance)",
    r"\bsee (?:a|your) (?:doctor|physician|healthcare|health care|medical)\b",
    r"\b(?:is|are) best avoided\b",
    r"\bsafe (?:kratom )?(?:use|usage) (?:involves|requires|means)\b",
    r"^\W*(?:always|never|consult|start|begin|avoid|seek|talk|speak|ask|check|monitor|keep|"
    r"research and choose|choose|do not|don't|remember|try|use)\b",
)
# A clause that asserts something, as opposed to advice that merely mentions a risk.
ASSERTION = _any(
    r"\binteracts?\b",
    r"\b(?:can|may|could|will|might) (?:also |potentially |even |still )?(?:cause|lead|help|provide|produce|vary|"
    r"prevent|raise|increase|damage|create|destroy|harm|induce|trigger|result|worsen|exacerbate|impair|give|affect)\b",
    r"\b(?:has|have|possess(?:es)?) (?:the )?(?:ability|potential|capacity) to\b",
    r"\bpossess(?:es)? an?\b",
    r"\blacks?\b",
    r"\b(?:has|have) been proven\b|\bproven to\b",
    r"\bbreaks? down\b",
    r"\baffects?\b",
    r"\b(?:can|may|could) have\b",
    r"\b(?:can|may|could|might) (?:also )?serve as\b",
    r"\b(?:is|are) (?:not )?(?:an? )?(?:controlled|scheduled)\b",
    r"\b(?:causes?|caused|leads? to)\b",
    r"(?<!\bto )\bprevents?\b",  # "to prevent liver damage" is a purpose, not an assertion
    r"\b(?:is|are) considered\b",
    r"\b(?:has|have) (?:reported|found|shown|been shown|been linked)\b",
    r"\bexists?\b",
    r"\bvouch",
    r"\b(?:suggests?|indicates?|shows?)\b",
    r"\b(?:is|are) (?:also |well |widely )?known\b",
    r"\b(?:is|are) responsible for\b",
    r"\bposes?\b",
    r"\bhighlight\w*",
    r"\bplays? an? (?:\w+ )?role\b",
    r"\bpersists?\b",
    r"\bcontains?\b",
    r"\baccording to (?:research|studies|science|experts)\b",
    r"\bbinds?\b",
    r"\b(?:linked|associated) (?:to|with)\b",
    r"\bis (?:safe|addictive|dangerous|toxic|illegal|legal|banned|regulated|scheduled)\b",
    r"\b(?:vary|varies|varying|depends? on|differs?)\b",
    r"\b(?:works?|acts?) (?:as|like|the same|in a similar|similarly)\b",
    r"\b(?:is|are) (?:said|shown|believed|thought|reported) to\b",
    r"\b(?:is|are) (?:not )?(?:an?|the) (?:opioid|drug|medicine|stimulant|sedative)\b",
    r"\btends? to\b",
    r"\b(?:known|used|associated) for\b",
    r"\b(?:has|have|had) found\b",
    r"\b(?:approved?|recogni[sz]e|regulated?|unregulated|unapproved|permitted|legal|illegal|banned|bans)\b",
    r"\bis absent\b",
    r"\b(?:has|have) (?:\w+ ){0,2}(?:effects?|properties)\b",
    r"\b(?:is|are) (?:often |typically |generally )?the (?:preferred|best|most)\b",
)
HEDGES = _any(
    r"\bmay\b",
    r"\bmight\b",
    r"\bcould\b",
    r"\bpotential(?:ly)?\b",
    r"\bpossibl[ey]\b",
    r"\b(?:research|studies|evidence|findings) (?:suggests?|indicates?)\b",
    r"\bsuggests?\b",
    r"\bsome (?:studies|research)\b",
    r"\b(?:is|are) considered\b",
    r"\bappears?\b",
    r"\blikely\b",
    r"\bfurther (?:research|studies)\b",
    r"\binitial findings\b",
    r"\banecdotal\b",
    r"\bwhile promising\b",
)
LIST_FRAGMENT_MAX_WORDS = 6


@dataclass
class Classification:
    label: str  # claim | advice | heading | question | other
    reason: str
    hedges: list[str] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    category: str | None = None

    @property
    def hedged(self) -> bool:
        return bool(self.hedges)


def mask_framing(text: str) -> str:
    """The sentence with framing phrases blanked out (same length, so offsets still hold)."""
    plain = normalise(text)
    for match in FRAMING.finditer(plain):
        plain = plain[: match.start()] + " " * (match.end() - match.start()) + plain[match.end():]
    return plain


def hedges_in(text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in HEDGES.finditer(normalise(text))})


def category_of(text: str, matches: list[Match], claims: dict[str, Claim], categories: list[Category]) -> str | None:
    """The best match's category, else the first catalog category whose words the sentence has."""
    if matches:
        return claims[matches[0].claim_id].category
    plain = normalise(text)
    return next((c.name for c in categories if c.pattern is not None and c.pattern.search(plain)), None)


def is_lead_in(text: str, block_kind: str) -> bool:
    """A heading-like line that ends in ':' and introduces a list."""
    return block_kind == "heading" and text.rstrip().endswith(":")


def names_kratom(text: str) -> bool:
    plain = normalise(text)
    return bool(KRATOM.search(plain) or KRATOM_REFERENCE.search(plain))


def previous_sentence(text: str, block_text: str) -> str:
    """The sentence before `text` in its block ("" when it opens the block)."""
    at = block_text.find(text)
    before = block_text[:at].strip() if at > 0 else ""
    return re.split(r"(?<=[.!?])\s+", before)[-1] if before else ""


def opens_on_background(sentence: str) -> bool:
    """A sentence (normalised) about something other than kratom ("The liver controls ...", "Opioid withdrawal
    is ...")."""
    return bool(sentence) and not names_kratom(sentence) and bool(BACKGROUND_OPENING.search(sentence))


def continues_background(text: str, block_text: str) -> bool:
    """An "It ..." that follows a sentence about something else ("The liver controls ... It helps remove
    toxins") speaks of that, not of kratom."""
    plain = normalise(text)
    if KRATOM.search(plain) or not re.match(r"\W*(?:it|its|it's|they|their)\b", plain, re.IGNORECASE):
        return False
    return opens_on_background(normalise(previous_sentence(text, block_text)))


# "offers relief", with nothing said of what is relieved (before it, "pain relief", or after it, "relief from")
BARE_RELIEF = re.compile(r"(?<!pain )(?<!withdrawal )(?<!anxiety )(?<!stress )(?<!symptom )\brelief\b"
                         r"(?!\s+(?:from|of|for|in|to|without)\b)")
# The subject a background sentence opens on, up to its verb: "Opioid withdrawal management (O.P.M.S.)"
_OPENING_SUBJECT = re.compile(
    r"^\W*([^,;:]*?)\s+(?:is|are|was|were|faces?|presents?|can|may|has|have|brings?|causes?)\b")
# What the sentence before gave relief from: "relief from the most severe withdrawal symptoms"
_RELIEF_OBJECT = re.compile(r"\b(?:relief (?:from|of)|reliev(?:e|es|ing)) ([^,.;]+)")


def relieved(text: str, masked: str, block_text: str) -> str:
    """What a bare "relief" relieves, as "relief from <it>", to be read with the sentence: what the sentence
    before it in its block gave relief from ("... provide relief from withdrawal symptoms. It provides physical
    and mental relief"), or the problem other than kratom that sentence opens on ("Opioid withdrawal is a
    challenging process ... Kratom offers natural relief"). Otherwise "" (and when the relief is in framing,
    `masked` out)."""
    if not BARE_RELIEF.search(masked):
        return ""
    previous = normalise(previous_sentence(text, block_text))
    given = _RELIEF_OBJECT.search(previous)
    if given:
        return "relief from " + given.group(1)
    subject = _OPENING_SUBJECT.match(previous)
    if not subject or not opens_on_background(previous):
        return ""
    return "relief from " + subject.group(1)


class SentenceClassifier:
    def __init__(self, claims: list[Claim], categories: list[Category] | None = None):
        self.claims = {c.id: c for c in claims}
        self.categories = categories or []
        self.matcher = Matcher(claims)

    def classify(self, text: str, block_kind: str, block_text: str, heading: str = "") -> Classification:
        """Label one sentence of a block (`block_text`) that falls under `heading` (its section's heading)."""
        hedges = hedges_in(text)
        stripped = re.sub(r"\s*\([^()]*\)$", "", text.strip().rstrip("”\"’ ")).rstrip("”\"’ ")
        lead_in = is_lead_in(text, block_kind) and len(text.split()) >= LEAD_IN_MIN_WORDS
        if block_kind in ("title", "heading", "contents_item") and not lead_in:
            if stripped.endswith("?") and block_kind == "heading":
                return Classification("question", "a heading that asks a question", hedges)
            return Classification("heading", f"a {block_kind.replace('_', ' ')}", hedges)
        if re.fullmatch(r"\(\s*see\b[^()]*\)\W*", text.strip(), re.IGNORECASE):
            return Classification("other", "a cross-reference", hedges)
        if stripped.endswith("?"):
            return Classification("question", "ends with a question mark", hedges)
        completes = block_kind == "list_item" and is_lead_in(heading, "heading") and names_kratom(heading)
        fragment = block_kind == "list_item" and len(text.split()) <= LIST_FRAGMENT_MAX_WORDS and stripped[-1:] not in ".!"
        if fragment and not completes:
            return Classification("other", "a list item without a sentence", hedges)

        masked = mask_framing(text)
        plain = normalise(text)
        about = not continues_background(text, block_text) and (names_kratom(plain) or completes or (
            (bool(KRATOM.search(normalise(block_text))) or names_kratom(heading))
            and not BACKGROUND_OPENING.search(plain)
        ))
        advice = ADVICE.search(plain)
        assertion = (ASSERTION.search(masked) or (names_kratom(plain) and EFFECT_VERB.search(masked))
                     or (completes and ASSERTION.search(normalise(heading))))
        relief_of = relieved(text, masked, block_text)
        matches = self.matcher.match(masked + (f" ({relief_of})" if relief_of else "")) if about else []
        rule_matches = [m for m in matches if m.method == "rule"]

        if rule_matches and (not advice or assertion):
            why = "matches a canonical claim" + (f" and asserts ('{assertion.group(0)}')" if advice else "")
            return self._claim(text, rule_matches, why, hedges)
        if about and assertion and not advice and not rule_matches:
            return self._claim(text, matches, f"asserts ('{assertion.group(0)}') about kratom", hedges)
        if advice:
            return Classification("advice", f"advice ('{advice.group(0).strip()}')", hedges)
        if not about:
            return Classification("other", "not about kratom (background)", hedges)
        return Classification("other", "no checkable assertion (framing or marketing)", hedges)

    def _claim(self, text, matches, why, hedges) -> Classification:
        return Classification("claim", why, hedges, matches, category_of(text, matches, self.claims, self.categories))
