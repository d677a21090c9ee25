"""docs/exports.md, generated from the column lists in tables.py so the two never disagree."""

from __future__ import annotations

from .tables import TABLES

_HEAD = """# Exports: formats and columns

Generated from `tracker/export/tables.py` by `tracker docs exports`; a test fails when this file is out of date.

`tracker export WHAT [--format F] [-o FILE] [filters]`; `-o -` or no `-o` writes to standard output.
A file is written under a temporary name and renamed when complete: a failed export leaves no partial
file and keeps an older file at that path as it was. `tracker export TABLE --columns` lists a table's
columns with what each means, as below.

```
tracker export links --claim liver-protective -o liver.csv        # one row per claim-paper link
tracker export links --stance contradicts --level case-report -f json
tracker export papers --stance contradicts -f bibtex -o contradicting.bib
tracker export papers --since 2020 -f ris -o kratom-since-2020.ris
tracker export report -o report.md                               # one section per claim
tracker export report --article 004_8b1ffd36f2c9c437 -o scorecard.md  # one article's claims against the literature
tracker export curation -o db/curation.csv                       # `tracker curate` reads it back unchanged
```

Tests read every format back with a real parser (csv, json, markdown-it-py, rispy, bibtexparser 2
with names split and LaTeX decoded by pylatexenc back to the original, citeproc-py rendering a
bibliography in the Harvard style) on every real fixture record, including `<i>`-markup titles,
non-ASCII authors, CollectiveName groups and a book.

| WHAT | formats | filters |
| --- | --- | --- |
| links, papers | csv, tsv, json, jsonl, md (papers also ris, bibtex, csljson) | --claim, --category, --stance, --level, --since |
| claims, mentions | csv, tsv, json, jsonl, md | --claim, --category |
| report | md | --claim, --category, --stance, --level, --since, --article |
| curation | csv | none |

Filters: `--claim ID`, `--category NAME`, `--stance supports|contradicts|mentions|unrelated|undecided` and
`--level LEVEL` may be repeated (any of the values). `--since DATE` keeps papers published on or after
the date, compared at the paper's own precision (a paper dated only "2021" counts for `--since 2021-06`).
Retired claims are left out unless named with `--claim` or `--all-claims` is given. A filter that does
not apply to WHAT, or names nothing known, is refused before anything is written.

## Cells

- **csv** and **tsv**: UTF-8, a header row, CRLF line ends, fields quoted only when needed (so a
  value may hold commas, quotes, tabs or line breaks and still reads back whole with Python's csv
  module or a spreadsheet). `--bom` starts the file with a byte order mark so Excel reads UTF-8.
  No value is an empty cell; lists are joined with `; `; flags are 1 or 0; numbers as Python writes
  them (a float reads back equal).
- **Formulas made inert (csv, tsv, curation)**: Excel and LibreOffice run a cell that starts with
  `=`, `+`, `-`, `@`, a tab or a carriage return as a formula (`=HYPERLINK(...)` in a hostile title
  would open a link). Following OWASP's advice on CSV injection, such a text cell is written with one
  apostrophe in front (`'=HYPERLINK(...)`), which spreadsheets show as text. Numbers are never changed
  (`-0.5` stays a number). A text that already starts with an apostrophe followed by one of those
  characters or another apostrophe gets one more, so the rule is reversible: `tracker curate` takes
  one apostrophe off such cells and reads back exactly the notes that were exported. JSON, JSON Lines,
  Markdown and the citation formats keep the original value.
- **json** (one array) and **jsonl** (one object per line): the same columns in the same order;
  lists are arrays, flags true/false, no value null.
- **md**: a Markdown table; Markdown's own characters are backslash-escaped and line breaks become
  `<br>`, so every cell renders as the value.

## Citations (`export papers --format ris|bibtex|csljson`)

| | RIS | BibTeX | CSL-JSON |
| --- | --- | --- | --- |
| PMID | `AN` (with `DB  - PubMed`), `UR` the PubMed page | `pmid`, and `eprint` with `eprinttype = {pubmed}` (biblatex) | `PMID` |
| DOI | `DO` | `doi` | `DOI` (and `URL`) |
| PMCID | `C2` (where EndNote keeps it) | `pmcid` | `PMCID` |
| type | `JOUR`, `BOOK`, `CHAP` | `@article`, `@book`, `@incollection` | `article-journal`, `book`, `chapter` |
| group author | `AU` as written (RIS cannot mark a name as a group's) | braced whole: `{Canadian Respiratory Research Network}` | `{"literal": ...}` |
| retracted | `N1` note | `note` | `note` |

BibTeX keys are `pmid<PMID>`, stable across exports. LaTeX's special characters (`# $ % & _ { } ~ ^ \\`)
and non-ASCII characters with a LaTeX command (accents, Greek, dashes) are written as commands
(`Gir{\\~a}o`); words of a title with capitals are braced so styles keep them. PubMed's shortened page
ranges are written out (`179-91` becomes `179--191`, `SP 179`/`EP 191`, `179-191`).

## Report (`export report`)

One section per claim: the statement, its id and category, the verdict flags, the counts by stance
and by kind of evidence, each article sentence that makes the claim (quoted), and the evidence table:
papers a person judged (contradicting first), then the `--candidates` strongest undecided ones
(default 10). The date at the top is that of the newest change to papers, links or decisions, not
the clock's, so unchanged data gives an identical report (a nightly export commits only real changes).

`--article ID` starts with that article's scorecard: each claim it makes, with its verdict in words
(contradicted, supported, supported only by animal or in-vitro work, not yet decided, no evidence)
and the basis ("contradicted by 7 human case series and case reports and 1 narrative review; no
supporting study"), resting on decisions only, with the papers awaiting a decision counted apart;
then a section for each of those claims.

## Curation (`export curation`)

The decisions file as `tracker curate` loaded it: every row, in order, conflicting rows included.
`tracker curate` on the output changes nothing. Each decision is one line (line breaks in a note are
written as spaces). `tracker curate` refuses a whole file, naming the line and changing nothing, when
it does not parse cleanly: an unclosed quote, a row with more or fewer fields than the header, a PMID
that is not 1 to 10 digits, a date that is not a real YYYY-MM-DD date. A byte order mark is allowed.
"""


def exports_markdown() -> str:
    parts = [_HEAD]
    for table in TABLES.values():
        parts.append(f"\n## Columns of `export {table.name}`\n\n{table.description}\n\n| column | meaning |\n| --- | --- |\n")
        for column in table.columns:
            parts.append(f"| `{column.name}` | {column.description.replace('|', '/')} |\n")
    return "".join(parts)
