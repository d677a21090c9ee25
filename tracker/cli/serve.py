"""`tracker serve`: Datasette on the tracker database."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import click

from ..core.errors import InputError
from ..core.paths import curation_file
from ..link.curate import start_curation_file
from ..serve import decide
from ..serve.datasette import datasette_args
from .common import db_path, open_database


def _password_hash(password_file: Path | None) -> str | None:
    if password_file is not None:
        try:
            hashed = password_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise InputError(f"{password_file}: cannot read the password hash ({error.strerror})") from None
        source = str(password_file)
    else:
        hashed = os.environ.get(decide.PASSWORD_HASH, "").strip()
        source = decide.PASSWORD_HASH
        if not hashed:
            return None
    if not decide.valid_hash(hashed):
        raise InputError(f"{source} does not hold a password hash made by `tracker serve --hash-password` "
                         "(pbkdf2_sha256$...); never put the password itself there")
    return hashed


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--decide", "decide_enabled", is_flag=True,
              help="Let people record stances from the claim, paper and to-review pages; each decision is "
                   "appended to the curation file and loaded at once. Off: the server is read-only.")
@click.option("--curation", "curation_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --decide: the curation file decisions are appended to [default: the database's own, "
                   "curation.csv beside it; started from the decisions the database holds if missing].")
@click.option("--reviewer", default=None, help="With --decide: the reviewer written with each decision "
                                               "[default: your user name].")
@click.option("--password-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="With --decide: a file holding the reviewers' password hash (from --hash-password); or set "
                   f"{decide.PASSWORD_HASH}. Required when --host is not a loopback address.")
@click.option("--hash-password", "make_hash", is_flag=True,
              help="Ask for a password, print its salted hash for --password-file, and stop.")
@click.pass_context
def serve(ctx, host, port, decide_enabled, curation_path, reviewer, password_file, make_hash):
    """Browse the claims, articles, papers and links in Datasette (read-only unless --decide)."""
    if make_hash:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < 10:
            raise InputError("use a password of 10 characters or more")
        click.echo(decide.hash_password(password))
        return
    environment = {key: value for key, value in os.environ.items()
                   if key not in (decide.ENABLED, decide.CURATION_FILE, decide.PASSWORD_HASH, decide.REVIEWER)}
    if decide_enabled:
        hashed = _password_hash(password_file)
        if hashed is None and not decide.is_loopback(host):
            raise InputError(f"deciding on {host} (reachable from other machines) needs a password: make a hash with "
                             "`tracker serve --hash-password`, then pass --password-file FILE or set "
                             f"{decide.PASSWORD_HASH}; or serve on 127.0.0.1")
        curation_path = (curation_path or curation_file(db_path(ctx))).resolve()
        if not curation_path.parent.is_dir():
            raise InputError(f"{curation_path}: its folder does not exist")
        if not curation_path.exists():  # appending to an empty file would drop the decisions already loaded
            start_curation_file(open_database(ctx), curation_path)
        environment.update({decide.ENABLED: "1", decide.CURATION_FILE: str(curation_path),
                            decide.REVIEWER: reviewer or getpass.getuser()})
        if hashed:
            environment[decide.PASSWORD_HASH] = hashed
    open_database(ctx)  # create or upgrade first, so every table and view the pages use exists
    mode = (f"decisions go to {curation_path}" + (" (password required)" if environment.get(decide.PASSWORD_HASH)
                                                  else "")) if decide_enabled else "read-only"
    click.echo(f"Serving {db_path(ctx)} at http://{host}:{port}/ ({mode}; Ctrl-C to stop)")
    os.execve(sys.executable, [sys.executable, "-m", "datasette", *datasette_args(db_path(ctx), host, port)],
              environment)


COMMANDS = (serve,)
