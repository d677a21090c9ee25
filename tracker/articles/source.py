"""Reading an article: plain text, Markdown or HTML files, and http(s) URLs.

Whatever comes in becomes plain text with one block per line (headings, paragraphs, "- " list
items), which is what gets stored and what every offset refers to. HTML pages go through
trafilatura, a maintained library made to find a page's main text (no hand-written tag
stripping); Markdown is reduced to its text. Every refusal says what was wrong and stores nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from ..core.deadline import DeadlineExceeded, TooLarge, read_body, total_deadline
from ..core.errors import InputError
from ..core.sniff import looks_like_html
from ..core.urls import origin
from ..core.yamlfile import read_yaml_list

MAX_BYTES = 5 * 1024 * 1024  # a long web article is well under 1 MB
FETCH_TIMEOUT_SECONDS = 20  # for the whole page, however slowly it comes
MAX_REDIRECTS = 5
MIN_PAGE_WORDS = 20  # less than this from a page is navigation, not an article
TEXT_SUFFIXES = {".txt": "text/plain", ".text": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown",
                 ".html": "text/html", ".htm": "text/html", ".xhtml": "text/html"}
HTML_TYPES = ("text/html", "application/xhtml+xml")
ACCEPTED_TYPES = HTML_TYPES + ("text/plain", "text/markdown", "text/x-markdown")
USER_AGENT = "kratom-claims-tracker/0.1 (article import; +https://pubmed.ncbi.nlm.nih.gov/)"


@dataclass
class Document:
    source: str  # path or URL
    content_type: str  # text/plain | text/markdown | text/html
    text: str  # plain text, one block per line
    title: str | None = None
    headings: list[str] = field(default_factory=list)  # lines the source marked as headings
    # What the page says of itself (HTML metadata, Open Graph, JSON-LD), or db/articles/index.yml:
    url: str | None = None  # the page's own (canonical) address
    site: str | None = None
    author: str | None = None
    published: str | None = None  # YYYY-MM-DD

    def known(self) -> dict:
        return {"url": self.url, "site": self.site, "author": self.author, "published": self.published}


ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
INDEX_FILE = "index.yml"  # in an articles folder: notes on each article, by id
_URL = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://")


def is_url(source: str) -> bool:
    return bool(_URL.match(source))


INDEX_FIELDS = ("note", "title", "url", "site", "author", "published")


def expand_inputs(inputs) -> list[tuple[str, dict]]:
    """Inputs as (path or URL, what is known of it). A folder stands for its article files, with what its
    index.yml says of each (note, title, url, site, author, published), by id (the file name without suffix)."""
    expanded = []
    for item in inputs:
        path = Path(item)
        if is_url(item) or not path.is_dir():
            expanded.append((item, {}))
            continue
        known = {}
        if (path / INDEX_FILE).exists():
            entries = read_yaml_list(path / INDEX_FILE, "articles", "what is known of the folder's articles, by id")
            known = {str(e["id"]): {k: " ".join(str(e[k]).split()) for k in INDEX_FIELDS if e.get(k)}
                     for e in entries if isinstance(e, dict) and e.get("id")}
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES and p.name.lower() != "readme.md")
        if not files:
            raise InputError(f"{path}: no article files (.txt, .md, .html) in this folder")
        expanded.extend((str(p), known.get(p.stem, {})) for p in files)
    return expanded


def with_known(document: Document, known: dict) -> Document:
    """The document with what an index says of it filled in (the index is a person's word, so it wins)."""
    for name in ("title", "url", "site", "author", "published"):
        if known.get(name):
            setattr(document, name, known[name])
    return document


def read_article(source: str) -> "Document":
    """An article from a file or an http(s) URL."""
    return fetch_article(source) if is_url(source) else read_article_file(source)


ID_MAX_CHARS = 60


def slug(text: str, limit: int = ID_MAX_CHARS) -> str:
    """Lowercase words joined by '-', cut at a word boundary."""
    words = re.sub(r"[^a-z0-9]+", " ", text.lower().replace("'", "").replace("’", "")).split()
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > limit:
            break
        out = f"{out}-{word}" if out else word
    return out or (words[0][:limit] if words else "")


def article_id_for(source: str, document: Document | None = None) -> str:
    """A readable id: for a page, a slug of its title, else of the URL's last path segment (else its
    host); for a file, its name without suffix (the name a person gave it)."""
    if re.match(r"(?i)^https?://", source):
        parts = urlsplit(source)
        segments = [p for p in parts.path.split("/") if p]
        last = re.sub(r"\.(?:html?|php|aspx?)$", "", segments[-1]) if segments else ""
        return (slug(document.title) if document and document.title else "") or slug(last) or slug(parts.netloc) or "article"
    return Path(source).stem


def decode_text(data: bytes, where: str, encoding: str | None = None) -> str:
    """Bytes to text, refusing binary data and text that is not in the expected encoding."""
    if not data.strip():
        raise InputError(f"{where}: the file is empty; nothing to add")
    if b"\x00" in data[:8192]:
        raise InputError(f"{where}: this is a binary file, not text (an article must be text, Markdown or HTML)")
    encoding = encoding or "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise InputError(
            f"{where}: not valid {encoding.upper()} text ({error.reason} at byte {error.start}); "
            "convert it to UTF-8 first, e.g. `iconv -f latin1 -t utf-8`"
        ) from None
    except LookupError:
        raise InputError(f"{where}: unknown character encoding {encoding!r}") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\t\f")
    if controls > 8:
        raise InputError(f"{where}: this looks like a binary file, not text ({controls} control characters)")
    return text


def _sniff_type(path: Path, text: str) -> str:
    if path.suffix.lower() in TEXT_SUFFIXES:
        return TEXT_SUFFIXES[path.suffix.lower()]
    return "text/html" if looks_like_html(text) else "text/plain"


def read_article_file(path: str | Path) -> Document:
    path = Path(path)
    where = str(path)
    if path.is_dir():
        raise InputError(f"{where}: is a folder; name the article files in it")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{where}: no such file") from None
    if size > MAX_BYTES:
        raise InputError(f"{where}: {size:,} bytes is more than the {MAX_BYTES:,}-byte limit for one article")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{where}: cannot read it: {error.strerror}") from None
    text = decode_text(data, where)
    return to_document(text, _sniff_type(path, text), where)


def fetch_article(url: str, session: requests.Session | None = None) -> Document:
    """Fetch a web page (http/https only) within a total deadline, with a size cap and its content type checked.

    Redirects are followed only on the same host and port (or from http to https on that host): a
    page must not lead the tracker to another machine, such as one on the local network.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise InputError(f"{url}: only http and https URLs can be fetched")
    session = session or requests.Session()
    try:
        with total_deadline(FETCH_TIMEOUT_SECONDS) as ends:
            response, data = _get_following_same_site(session, url, ends)
    except DeadlineExceeded as error:
        raise InputError(f"{url}: {error} (the limit for one article); try again later") from None
    except requests.exceptions.Timeout:
        raise InputError(f"{url}: no answer within {FETCH_TIMEOUT_SECONDS} s; try again later") from None
    except requests.exceptions.RequestException as error:
        raise InputError(f"{url}: cannot be reached ({type(error).__name__}); check the address and the network") from None
    content_type = _content_type(response)
    encoding = response.encoding if "charset" in response.headers.get("Content-Type", "").lower() else None
    if encoding is None and content_type in HTML_TYPES:
        declared_meta = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", data[:4096], re.IGNORECASE)
        encoding = declared_meta.group(1).decode("ascii") if declared_meta else None
    text = decode_text(data, url, encoding)
    if content_type in HTML_TYPES or looks_like_html(text):  # an HTML page served as text/plain is still HTML
        kind = "text/html"
    else:
        kind = "text/markdown" if "markdown" in content_type else "text/plain"
    return to_document(text, kind, url)


def _get_following_same_site(session: requests.Session, url: str, ends: float) -> tuple[requests.Response, bytes]:
    for _ in range(MAX_REDIRECTS + 1):
        response = session.get(url, timeout=FETCH_TIMEOUT_SECONDS, stream=True, headers={"User-Agent": USER_AGENT},
                               allow_redirects=False)
        if response.is_redirect:
            response.close()
            target = urljoin(url, response.headers["Location"])
            if not _same_site(url, target):
                raise InputError(f"{url}: redirects to {target}, on another host or port; not followed. "
                                 "If that page is the article, add its URL directly")
            url = target
            continue
        with response:
            return response, _body(response, url, ends)
    raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects; not followed further")


def _same_site(url: str, target: str) -> bool:
    """The same scheme, host and port, or http on port 80 upgraded to https on 443 of the same host."""
    here, there = origin(url), origin(target)
    return here == there or (here == ("http", there[1], 80) and there == ("https", here[1], 443))


def _content_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _body(response: requests.Response, url: str, ends: float) -> bytes:
    if response.status_code >= 400:
        raise InputError(f"{url}: the server answered HTTP {response.status_code} {response.reason}")
    content_type = _content_type(response)
    if content_type not in ACCEPTED_TYPES:
        raise InputError(
            f"{url}: content type {content_type or 'missing'!s} is not an article "
            "(accepted: HTML, plain text, Markdown)"
        )
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        raise InputError(f"{url}: {int(declared):,} bytes is more than the {MAX_BYTES:,}-byte limit")
    try:
        return read_body(response, MAX_BYTES, ends, FETCH_TIMEOUT_SECONDS)
    except TooLarge:
        raise InputError(f"{url}: the page is larger than the {MAX_BYTES:,}-byte limit") from None
    except requests.exceptions.RequestException as error:
        raise InputError(f"{url}: the download broke off ({type(error).__name__})") from None


def to_document(text: str, content_type: str, where: str) -> Document:
    if content_type == "text/html":
        return _from_html(text, where)
    if content_type == "text/markdown":
        plain, headings, title = markdown_to_text(text)
        return _checked(Document(where, content_type, plain, title, headings))
    return _checked(Document(where, "text/plain", text))


def _checked(document: Document) -> Document:
    if not document.text.strip():
        raise InputError(f"{document.source}: no text found in it; nothing to add")
    return document


def _from_html(html: str, where: str) -> Document:
    import trafilatura

    markdown = trafilatura.extract(
        html, output_format="markdown", include_comments=False, include_tables=False,
        include_links=False, include_images=False, favor_recall=True,
    )
    if not markdown or len(markdown.split()) < MIN_PAGE_WORDS:
        raise InputError(f"{where}: no main text found in the page (is it an article?)")
    metadata = trafilatura.extract_metadata(html)  # <meta>, Open Graph and JSON-LD, in that library's order
    plain, headings, title = markdown_to_text(markdown)
    page_title = metadata.title if metadata and metadata.title else None
    if page_title and not title:
        # Put the page title on the first line so that it is part of the text and has offsets.
        plain = page_title + "\n\n" + plain
        headings = [page_title] + headings
        title = page_title
    document = Document(where, "text/html", plain, title, headings)
    if metadata:
        document.url = metadata.url if metadata.url and is_url(metadata.url) else None
        document.site = metadata.sitename or metadata.hostname or None
        document.author = metadata.author or None
        document.published = metadata.date if metadata.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", metadata.date) else None
    if is_url(where):
        document.url = document.url or where
        document.site = document.site or urlsplit(where).hostname
    return _checked(document)


_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_ESCAPABLE = r"""!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"""  # what CommonMark lets a backslash escape
_ESCAPED = re.compile(r"\\([" + _ESCAPABLE + r"])")
_LINK_TARGET = r"\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)"  # one level of parentheses inside, a title
_INLINE = [
    (re.compile(r"!\[([^\]]*)\]" + _LINK_TARGET), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]" + _LINK_TARGET), r"\1"),  # links -> their text
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"<[^>\n]+>"), ""),  # inline HTML tags inside Markdown
]
# Escaped characters are set aside as private-use code points while markup is removed, then put back.
_HELD = 0xF0000


def _inline(text: str) -> str:
    text = _ESCAPED.sub(lambda m: chr(_HELD + ord(m.group(1))), text)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    text = "".join(chr(ord(c) - _HELD) if _HELD <= ord(c) < _HELD + 128 else c for c in text)
    return " ".join(text.split())


def markdown_to_text(markdown: str) -> tuple[str, list[str], str | None]:
    """Markdown to one block per line: '# X' -> 'X' (a heading), lists -> '- item', paragraphs joined."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    blocks: list[str] = []
    headings: list[str] = []
    title = None
    paragraph: list[str] = []
    in_code = False

    def flush():
        if paragraph:
            blocks.append(_inline(" ".join(paragraph)))
            paragraph.clear()

    for index, line in enumerate(lines):
        if line.strip().startswith(("```", "~~~")):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        heading = _ATX.match(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if heading:
            flush()
            text = _inline(heading.group(2))
            if text:
                blocks.append(text)
                headings.append(text)
                if len(heading.group(1)) == 1 and title is None:
                    title = text
            continue
        if line.strip() and re.fullmatch(r"\s*(=+|-+)\s*", following) and not paragraph and not _LIST.match(line):
            flush()
            text = _inline(line)
            blocks.append(text)
            headings.append(text)
            if following.strip().startswith("=") and title is None:
                title = text
            continue
        if re.fullmatch(r"\s*(=+|-{3,}|\*{3,}|_{3,})\s*", line):
            flush()
            continue
        item = _LIST.match(line)
        if item:
            flush()
            blocks.append("- " + _inline(item.group(1)))
            continue
        if not line.strip():
            flush()
            continue
        paragraph.append(line.strip().lstrip(">").strip())
    flush()
    return "\n\n".join(b for b in blocks if b.strip("- ")) + "\n", headings, title
