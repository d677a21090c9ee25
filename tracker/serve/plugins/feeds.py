"""Datasette plugin: the Atom feeds stay valid when there is nothing in them yet.

datasette-atom takes the newest entry's date as the feed's `updated` and fails (HTTP 500) on a
query with no rows, which is every feed of a fresh install. This renderer hands rows to
datasette-atom and answers an empty query with an empty, valid feed dated now.
"""

from __future__ import annotations

from datetime import datetime, timezone

import datasette_atom
from datasette import hookimpl
from datasette.utils.asgi import Response
from feedgen.feed import FeedGenerator


@hookimpl(trylast=True)  # called last, so this "atom" renderer replaces datasette-atom's
def register_output_renderer():
    return {"extension": "atom", "render": render_feed, "can_render": datasette_atom.can_render_atom}


def render_feed(datasette, request, sql, columns, rows, database, table, query_name, view_name, data):
    if rows:
        return datasette_atom.render_atom(datasette, request, sql, columns, rows, database, table, query_name,
                                          view_name, data)
    feed = FeedGenerator()
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.updated(datetime.now(timezone.utc))
    title = query_name or table or "feed"
    if query_name:
        queries = (datasette.metadata(database=database) or {}).get("queries") or {}
        title = (queries.get(query_name) or {}).get("title") or title
    feed.title(title)
    return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8", status=200)
