"""The tracker's own pages inside Datasette: home, claim, paper and article pages, search, to-review,
deciding from the page; claim ids linked and flags written as words in every table.

The data of each page comes from tracker/serve/pages.py (plain functions on a database); this
file only wires them into Datasette. Pages find the tracker's database by its tables, not by its
file name, so a copy served as `copy.db` shows the same pages.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import Forbidden, NotFound, Response
from markupsafe import Markup, escape

from tracker.core.errors import TrackerError
from tracker.serve import decide, pages, search

STYLE = Path(__file__).resolve().parent.parent / "static" / "tracker.css"
ROW_PAGES = {"claims": "_tracker_claim.html", "papers": "_tracker_paper.html", "articles": "_tracker_article.html"}
ACTOR = "tracker-reviewer"

# 0/1 flags, as the words a reader needs; the names below are flags in every table and view
# that has them (a canned query's `relevant` may be a count, so it is not among them).
FLAG_WORDS = {
    "contradicted_by_human": "contradicted by human evidence",
    "supported_only_preclinical": "supported only by animal or in-vitro work",
    "relies_on_retracted": "relies on a retracted paper",
    "no_evidence": "no paper linked yet",
    "retracted": "retracted",
    "has_erratum": "erratum",
    "is_seed": "starter record (not yet synced)",
    "hedged": "hedged",
    "is_current": "current version",
}
LINK_FLAG_WORDS = {"relevant": "on the claim's topic", "in_last_run": "in the last link run"}
LINK_TABLES = ("claim_evidence", "claim_papers")


async def _tracker_database(datasette, name: str | None = None):
    """The served database that holds the tracker's tables (the named one, or the first). Found once
    per server: asking each request cost two round trips to the database's thread."""
    known = getattr(datasette, "tracker_database_name", None)
    if known is not None and known in datasette.databases and (name is None or name == known):
        return datasette.get_database(known)
    names = [name] if name else list(datasette.databases)
    for candidate in names:
        if candidate not in datasette.databases or candidate.startswith("_"):
            continue
        db = datasette.get_database(candidate)
        if await db.table_exists("claims") and "claim_evidence" in await db.view_names():
            datasette.tracker_database_name = candidate
            return db
    return None


async def _run(db, function, *args):
    return await db.execute_fn(lambda conn: function(sqlite_utils.Database(conn), *args))


def _decide_context(datasette, request) -> dict:
    settings = decide.settings()
    needs_login = settings.password_hash is not None
    allowed = settings.enabled and (not needs_login or (request is not None and _logged_in(request)))
    return {"decide_enabled": settings.enabled, "decide_allowed": allowed, "decide_needs_login": needs_login,
            "stances": decide.STANCES, "here": _here(request)}


def _logged_in(request) -> bool:
    return bool(request.actor and request.actor.get("id") == ACTOR)


def _here(request) -> str:
    if request is None:
        return "/"
    return request.path + (("?" + request.query_string) if request.query_string else "")


@hookimpl
def extra_css_urls():
    return ["/-/tracker/style.css"]


# Column headings in words on every table page (db/templates/_table.html); any other column is its
# name with spaces for underscores.
COLUMN_LABELS = {
    "pmid": "PMID", "is_seed": "starter record", "pub_year": "year", "pub_date": "published", "doi": "DOI",
    "pmcid": "PMC id", "claim_id": "claim", "in_last_run": "in the last linking", "content_hash": "content hash",
    "record_source": "record from", "fts_score": "full-text score", "fts_rank": "full-text rank",
    "suggested_stance": "suggestion", "suggestion_confidence": "suggestion score", "first_seen": "first stored",
    "iso_abbreviation": "journal abbreviation", "claim_status": "claim status", "claim_about": "claim about",
}


def column_label(name: str) -> str:
    return COLUMN_LABELS.get(name, name.replace("_", " "))


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    async def compute():
        context = {"column_label": column_label}
        if view_name == "row" and table in ROW_PAGES and request is not None:
            db = await _tracker_database(datasette, database)
            if db is not None:
                key = request.url_vars.get("pks", "")
                from datasette.utils import tilde_decode

                key = tilde_decode(key)
                if table == "claims":
                    data = await _run(db, pages.claim_page, key)
                elif table == "papers":
                    data = await _run(db, pages.paper_page, int(key)) if key.isdigit() else None
                else:
                    data = await _run(db, pages.article_page, key)
                if data is not None:
                    context.update(tracker_page=ROW_PAGES[table], page=data, tracker_db=db.name)
        if "page" in context:
            context.update(_decide_context(datasette, request))
            context["decided_now"] = request.args.get("decided") if request is not None else None
        return context

    return compute


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "claim_id" and isinstance(value, str) and value and table != "claims":
        return Markup(f'<a href="/{quote(database)}/claims/{quote(value)}">{escape(value)}</a>')
    if column == "retracted" and value == 0 and _is_seed(row):
        return Markup('<span class="flag-none">not checked yet (starter record)</span>')
    words = FLAG_WORDS.get(column) or (LINK_FLAG_WORDS.get(column) if table in LINK_TABLES else None)
    if words and value in (0, 1):
        return Markup(f'<span class="flag-word">{escape(words)}</span>' if value else '<span class="flag-none">no</span>')
    return None


def _is_seed(row) -> bool:
    try:
        return bool(row["is_seed"])
    except (KeyError, IndexError, TypeError):
        return False


@hookimpl
def register_routes():
    return [
        (r"^/$", home),
        (r"^/-/tracker/style\.css$", style),
        (r"^/-/tracker/search$", search_page),
        (r"^/-/tracker/review$", review),
        (r"^/-/tracker/decide$", decide_view),
        (r"^/-/tracker/login$", login),
    ]


async def home(datasette, request, send):
    """The home page: the claims and their verdicts. Datasette's own index (which reads every table's
    columns, keys and counts to list them) only where no tracker database is served."""
    db = await _tracker_database(datasette)
    if db is None:
        from datasette.views.index import IndexView

        return await IndexView.as_view(datasette)(request, send)
    context = {"tracker_home": await _run(db, pages.home_page), "tracker_db": db.name, "databases": [],
               "metadata": datasette.metadata(), **_decide_context(datasette, request),
               "decided_now": request.args.get("decided")}
    return await _page(datasette, request, "index.html", context)


async def style():
    return Response(STYLE.read_text(encoding="utf-8"), content_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=300"})


async def _page(datasette, request, template: str, context: dict, status: int = 200):
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


async def search_page(datasette, request):
    db = await _tracker_database(datasette)
    if db is None:
        raise NotFound("No tracker database is served")
    query, shortened = search.shorten_query(request.args.get("q") or "")
    result = await _run(db, search.search, query) if query else None
    return await _page(datasette, request, "tracker_search.html",
                       {"query": query, "result": result, "tracker_db": db.name, "shortened": shortened,
                        "limit": search.QUERY_LIMIT})


async def review(datasette, request):
    db = await _tracker_database(datasette)
    if db is None:
        raise NotFound("No tracker database is served")
    offset = request.args.get("offset") or "0"
    decided_now = request.args.get("decided")
    just = decided_now.split(":")[:2] if decided_now and decided_now.count(":") >= 2 else None
    data = await _run(db, pages.review_page, 50, int(offset) if offset.isdigit() else 0,
                      request.args.get("claim") or None, request.args.get("suggestion") or None,
                      request.args.get("state") or "undecided",
                      (just[0], int(just[1])) if just and just[1].isdigit() else None)
    context = {"page": data, "tracker_db": db.name, "decided_now": decided_now, **_decide_context(datasette, request)}
    return await _page(datasette, request, "tracker_review.html", context)


def _safe_next(target: str | None) -> str:
    """Only a path on this server: never an open redirect."""
    parts = urlsplit(target or "/")
    if parts.scheme or parts.netloc or not (parts.path or "/").startswith("/") or (parts.path or "").startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _with(path: str, **params) -> str:
    parts = urlsplit(path)
    kept = "&".join(p for p in parts.query.split("&") if p and not any(p.startswith(k + "=") for k in params))
    query = "&".join(filter(None, [kept, urlencode(params)]))
    return parts.path + ("?" + query if query else "")


async def decide_view(datasette, request):
    if request.method != "POST":
        return Response.text("Decisions are sent with POST from a claim, paper or to-review page.", status=405)
    settings = decide.settings()
    if not settings.enabled:
        raise Forbidden("Deciding is off on this server: start it with `tracker serve --decide` to record decisions "
                        "from the page (or edit db/curation.csv and run `tracker curate`).")
    if settings.password_hash and not _logged_in(request):
        raise Forbidden("Log in first (/-/tracker/login): this server asks for the reviewers' password.")
    db = await _tracker_database(datasette)
    if db is None:
        raise NotFound("No tracker database is served")
    form = await request.post_vars()
    stance = form.get("stance") or ""
    try:
        result = await asyncio.to_thread(
            decide.record_decision, db.path, settings.curation, form.get("claim_id") or "", form.get("pmid") or "",
            stance, form.get("note") or "", form.get("reviewer") or "")
    except TrackerError as error:
        return await _page(datasette, request, "tracker_message.html",
                           {"title": "The decision was not recorded", "message": str(error),
                            "back": _safe_next(form.get("next"))}, status=400)
    target = _safe_next(form.get("next"))
    done = f"{form.get('claim_id')}:{form.get('pmid')}:{stance.strip().lower()}"
    if result.conflicts:
        done += ":conflict"
    return Response.redirect(_with(target, decided=done) + f"#pmid-{quote(str(form.get('pmid') or ''))}", status=303)


async def login(datasette, request):
    settings = decide.settings()
    next_page = _safe_next(request.args.get("next"))
    if not settings.password_hash:
        return await _page(datasette, request, "tracker_message.html",
                           {"title": "No login needed", "message": "This server asks for no password"
                            + ("." if settings.enabled else "; deciding is off (tracker serve --decide)."),
                            "back": next_page})
    error = None
    if request.method == "POST":
        form = await request.post_vars()
        next_page = _safe_next(form.get("next"))
        if decide.check_password(form.get("password") or "", settings.password_hash):
            response = Response.redirect(next_page, status=303)
            response.set_cookie("ds_actor", datasette.sign({"a": {"id": ACTOR}}, "actor"), httponly=True,
                                samesite="lax")
            return response
        error = "That password is not the one this server was started with."
    return await _page(datasette, request, "tracker_login.html", {"next": next_page, "error": error},
                       status=403 if error else 200)
