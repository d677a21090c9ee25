"""The front door stays open: every relative link in README.md and docs/ leads somewhere (the file, and the
heading a #fragment names), every command a code block of README.md shows exists with the options it
shows, and README.md stays short enough to read in five minutes."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import click
from click.testing import CliRunner

from tracker.cli import cli

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]

LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def prose(text: str) -> str:
    """The text outside code blocks and inline code, where Markdown makes links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = INLINE_CODE.sub(lambda m: m.group(0)[1:-1], heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found, seen = set(), {}
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        if match := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line):
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    """Each relative link of `page` whose file, or whose #fragment's heading, does not exist."""
    broken = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
            continue
        path, _, fragment = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{page.name}: {target} (no such file)")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{page.name}: {target} (no heading #{fragment} in {resolved.name})")
    return broken


def shown_commands(text: str) -> list[str]:
    """The commands in the code blocks of a Markdown text: each line's pieces joined by && ; or |, with
    comments and leading VAR=value settings taken off, that start with `tracker`, a path to it, or scripts/."""
    commands = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M):
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            for piece in re.split(r"&&|;|\|", line):
                words = piece.split()
                while words and re.match(r"^[A-Z_]+=", words[0]):
                    words.pop(0)
                if words and (words[0].endswith("tracker") or words[0].startswith("scripts/")):
                    commands.append(" ".join(words))
    return commands


def command_problem(command: str) -> str | None:
    """What is wrong with a command shown in the docs, or None: a script that is not there and executable; a
    tracker command that does not exist, whose --help fails, or that does not take an option shown."""
    words = shlex.split(command)
    if words[0].startswith("scripts/"):
        script = REPO / words[0]
        return None if script.is_file() and os.access(script, os.X_OK) else f"{command}: {words[0]} is not an executable script"
    names, current, options = [], cli, {"--db", "--help"}
    options.update(o for p in cli.params for o in (*p.opts, *p.secondary_opts))
    for word in words[1:]:
        if word.startswith("-"):
            break
        if not isinstance(current, click.Group):
            break
        if word not in current.commands:
            return f"{command}: `tracker {' '.join(names + [word])}` is not a command"
        names.append(word)
        current = current.commands[word]
    if isinstance(current, click.Group) and not names:
        return f"{command}: names no command"
    result = CliRunner().invoke(cli, [*names, "--help"])
    if result.exit_code != 0:
        return f"{command}: `tracker {' '.join(names)} --help` exited {result.exit_code}"
    if current.context_settings.get("ignore_unknown_options"):
        return None  # its options belong to another parser (tracker bench NAME)
    options.update(o for p in current.params for o in (*p.opts, *p.secondary_opts))
    for word in words[1 + len(names):]:
        if word.startswith("-") and word.split("=")[0] not in options:
            return f"{command}: `tracker {' '.join(names)}` has no option {word.split('=')[0]}"
    return None


def test_every_relative_link_in_the_readme_and_docs_resolves():
    assert len(PAGES) >= 9  # README.md and a page per stage, at least
    assert [problem for page in PAGES for problem in broken_links(page)] == []


def test_every_command_the_readme_shows_exists_with_its_options():
    commands = shown_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert {"scripts/run", "scripts/test"} <= set(commands) and len(commands) >= 10
    assert [problem for command in commands if (problem := command_problem(command))] == []


def test_the_readme_is_short_and_starts_with_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    assert shown_commands(readme)[:2] == ["scripts/run", "scripts/test"]


def test_the_checks_catch_a_broken_link_and_a_broken_command(tmp_path):
    # The checkers themselves: each kind of break is reported, and what is right is not.
    (tmp_path / "there.md").write_text("# A heading\n\n## Twice\n\n## Twice\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("[ok](there.md) [ok](there.md#a-heading) [ok](there.md#twice-1) [gone](missing.md) "
                    "[bad](there.md#no-such) [web](https://example.org/x) `[code](missing.md)`\n\n"
                    "```\n[block](missing.md)\n```\n", encoding="utf-8")
    assert broken_links(page) == ["page.md: missing.md (no such file)",
                                  "page.md: there.md#no-such (no heading #no-such in there.md)"]
    assert command_problem("tracker export links --claim x -o y.csv") is None
    assert command_problem("tracker serve --decide --db other.db") is None
    assert "is not a command" in command_problem("tracker exports links")
    assert "has no option --stances" in command_problem("tracker export links --stances contradicts")
    assert "not an executable script" in command_problem("scripts/bench load")
    assert shown_commands("```sh\nTRACKER_SERVE=0 scripts/run --full  # a comment\n"
                          "17 3 * * * cd /opt/x && scripts/sync\n.venv/bin/tracker status --check | tee x\n```\n") == [
        "scripts/run --full", "scripts/sync", ".venv/bin/tracker status --check"]
