"""Reading the project's YAML files (searches, claims, an articles folder's notes) with errors a person can act on.

Aliases (`*name`) are refused: the files never need them, and nested aliases make a few hundred
bytes expand into gigabytes once the values are used (the YAML "billion laughs").
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InputError
from .files import reading


class _AliasFound(yaml.YAMLError):
    def __init__(self, anchor: str, line: int) -> None:
        super().__init__(anchor)
        self.anchor, self.line = anchor, line


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasFound(event.anchor, event.start_mark.line + 1)
        return super().compose_node(parent, index)


def load_yaml(text: str, where: str):
    """Parse YAML text safely (no tags, no aliases); InputError naming `where` otherwise."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
    except _AliasFound as error:
        raise InputError(f"{where}: line {error.line}: an alias (*{error.anchor}) is not allowed here; "
                         "write the value out in full") from None
    except yaml.YAMLError as error:
        raise InputError(f"{where}: not valid YAML: {error}") from None


def read_yaml_file(path: str | Path, where_it_lives: str):
    """A YAML file's content; refuses a missing, undecodable or malformed file."""
    path = Path(path)
    with reading(path, where_it_lives):
        return load_yaml(path.read_text(encoding="utf-8"), str(path)) or {}


def read_yaml_list(path: str | Path, key: str, where_it_lives: str, data=None) -> list:
    """The list under `key` in a YAML file (or in its `data`, already read); refuses a missing,
    undecodable or malformed file, or an empty list."""
    path = Path(path)
    data = read_yaml_file(path, where_it_lives) if data is None else data
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: expected a '{key}:' list with at least one entry")
    return entries
