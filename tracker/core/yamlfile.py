"""Reading the project's YAML files (searches, claims, an articles folder's notes) with errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InputError
from .files import reading


def read_yaml_list(path: str | Path, key: str, where_it_lives: str) -> list:
    """The list under `key` in a YAML file; refuses a missing, undecodable or malformed file, or an empty list."""
    path = Path(path)
    try:
        with reading(path, where_it_lives):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}") from None
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: expected a '{key}:' list with at least one entry")
    return entries
