"""Datasette plugin: the Atom feeds, valid when empty, served as Atom, linking to the tracker's pages.

datasette-atom takes the newest entry's date as the feed's `updated` and fails (HTTP 500) on a
query with no rows, which is every feed of a fresh install. This renderer hands rows to
datasette-atom and answers an empty query with an empty, valid feed dated now. Either way the
feed goes out as application/atom+xml (datasette-atom says application/xml), and an entry link
the query gives relative to its database ("claims/<id>") is made absolute against the request's URL.
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


ATOM = "application/atom+xml; charset=utf-8"


def render_feed(datasette, request, sql, columns, rows, database, table, query_name, view_name, data):
    if rows:
        if "atom_link" in columns:  # a page of this database ("claims/<id>"), made absolute
            base = f"{request.scheme}://{request.host}/{database}/"
            rows = [{**dict(zip(columns, row)), "atom_link": base + row["atom_link"]}
                    if not str(row["atom_link"] or "").startswith(("http://", "https://")) else row for row in rows]
        made = datasette_atom.render_atom(datasette, request, sql, columns, rows, database, table, query_name,
                                          view_name, data)
        return Response(made.body, status=made.status, content_type=ATOM)
    feed = FeedGenerator()
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.updated(datetime.now(timezone.utc))
    title = query_name or table or "feed"
    if query_name:
        queries = (datasette.metadata(database=database) or {}).get("queries") or {}
        title = (queries.get(query_name) or {}).get("title") or title
    feed.title(title)
    return Response(feed.atom_str(pretty=True), content_type=ATOM, status=200)
