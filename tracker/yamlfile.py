"""Reading the project's YAML files (searches, claims, article notes) with errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InputError


def read_yaml_list(path: str | Path, key: str, where_it_lives: str) -> list:
    """The list under `key` in a YAML file; refuses a missing, undecodable or malformed file, or an empty list."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(f"{path}: no such file ({where_it_lives})") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}") from None
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: expected a '{key}:' list with at least one entry")
    return entries
