"""Every WebSocket event type the code sends or accepts is documented in docs/protocol.md, field by field.

STYLE.md habits 5 and 13: each event type is declared once, in code and in the protocol document.

* server -> client: the event catalogue (`realtime.events.CATALOGUE`, every `@event` class of an
  app's `events.py`). `publish`, `apublish`, `build_message` and `send_event` accept nothing
  else, so the catalogue is every type the server can send. Each type must appear backticked in
  the section of docs/protocol.md of the app that declares it (outside its "Client → server"
  subsection, so a live-stream `comment` event is not "documented" by the notification type of
  the same name), and every shape the document gives for it (a table's data column, an inline
  `` `type` `{...}` ``, a JSON example) must name exactly the event's fields: no unknown key, no
  required field missing, and every optional field (`?` in the document) shown somewhere.
* client -> server: the type of every `@handles(type, Input)` on a consumer method (read with an
  AST walk), plus the types the base consumer answers itself (`if event_type == "ping"`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from realtime.events import CATALOGUE, load_catalogue

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "protocol.md"
SKIP_DIRS = {
    ".venv",
    "venv",
    "node_modules",
    "tests",
    "migrations",
    "bench",
    "scripts",
    "static",
    "templates",
    "artifacts",
    "docs",
}

# The "## " headings (the start of them) that document each app's socket.
SECTIONS: dict[str, tuple[str, ...]] = {
    # core frames: envelope, errors and the common events; the personal socket's own frames
    "realtime": ("## Envelope", "## Notifications socket"),
    "notifications": ("## Notifications socket",),
    "chat": ("## Chat socket",),
    "items": ("## Items events",),
    "social": ("## Social events",),
    "livestream": ("## Live streams",),
    "rtc": ("## P2P rooms",),
}
CLIENT_SUBSECTION = "### Client → server"


@dataclass
class Catalogue:
    server: dict[str, set[str]] = field(default_factory=dict)  # app -> types sent to clients (from CATALOGUE)
    client: dict[str, set[str]] = field(default_factory=dict)  # app -> types accepted from clients
    where: dict[tuple[str, str], str] = field(default_factory=dict)  # (app, type) -> "file:line", for messages

    def add(self, kind: str, app: str, event_type: str, origin: str) -> None:
        getattr(self, kind).setdefault(app, set()).add(event_type)
        self.where.setdefault((app, event_type), origin)


def _python_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]) or rel.name.startswith("test_"):
            continue
        if rel.name == "conftest.py":
            continue
        files.append(path)
    return sorted(files)


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "value"` assignments."""
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value.value
    return constants


def _resolve(node: ast.expr, local: dict[str, str], events_by_app: dict[str, dict[str, str]], app: str) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):  # a constant of this module
        return local.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "events":
        # `from <app> import events` (every app imports its own events module under that name)
        return events_by_app.get(app, {}).get(node.attr)
    return None  # a variable: its values are covered at the wrapper's call sites or by events.py


def _handles_arguments(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """The first argument of each `@handles(...)` decorator of a method."""
    return [
        decorator.args[0]
        for decorator in node.decorator_list
        if isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Name)
        and decorator.func.id == "handles"
        and decorator.args
    ]


def build_catalogue() -> Catalogue:
    trees = {path: ast.parse(path.read_text(), filename=str(path)) for path in _python_files()}
    events_by_app = {
        path.parent.name: _string_constants(tree) for path, tree in trees.items() if path.name == "events.py"
    }
    catalogue = Catalogue()

    for (app, event_type), event_class in load_catalogue().items():
        catalogue.add("server", app, event_type, f"{event_class.__module__}.{event_class.__qualname__}")

    for path, tree in trees.items():
        rel = path.relative_to(ROOT)
        app = rel.parts[0] if len(rel.parts) > 1 else ""
        local = _string_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                # `@handles("type", Input)` on a consumer method declares a client type
                for argument in _handles_arguments(node):
                    value = _resolve(argument, local, events_by_app, app)
                    if value is not None:
                        catalogue.add("client", app, value, f"{rel}:{node.lineno}")
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "event_type":
                # the base consumer answers some client types itself (`ping`)
                for comparator in node.comparators:
                    if isinstance(comparator, ast.Constant) and isinstance(comparator.value, str):
                        catalogue.add("client", app, comparator.value, f"{rel}:{node.lineno}")
    return catalogue


def _sections(text: str) -> dict[str, str]:
    """Each `## ` heading line -> the text up to the next `## ` heading."""
    parts = re.split(r"(?m)^(?=## )", text)
    return {part.splitlines()[0]: part for part in parts if part.startswith("## ")}


def _split_client(section: str) -> tuple[str, str]:
    """(text outside the "Client → server" subsection, text inside it)."""
    start = section.find(CLIENT_SUBSECTION)
    if start < 0:
        return section, ""
    rest = section[start + len(CLIENT_SUBSECTION) :]
    following = re.search(r"(?m)^### ", rest)
    end = start + len(CLIENT_SUBSECTION) + (following.start() if following else len(rest))
    return section[:start] + section[end:], section[start:end]


def _documented(name: str, text: str) -> bool:
    return f"`{name}`" in text


def _sections_for(app: str, sections: dict[str, str]) -> list[str]:
    found = []
    for heading in SECTIONS[app]:
        matches = [body for title, body in sections.items() if title.startswith(heading)]
        assert matches, f"docs/protocol.md has no section starting with {heading!r} for {app}"
        found.append(matches[0])
    return found


def _outside_client(app: str, sections: dict[str, str]) -> str:
    """The app's sections without their "Client → server" subsections."""
    return "\n".join(_split_client(section)[0] for section in _sections_for(app, sections))


def test_the_catalogue_finds_the_event_types_of_every_app() -> None:
    # Guards the AST walk itself: if it silently found nothing, the doc test below would pass.
    catalogue = build_catalogue()
    assert set(catalogue.server) >= {"realtime", "notifications", "chat", "items", "livestream", "rtc"}
    assert {"user_online", "user_offline", "pong", "error"} <= catalogue.server["realtime"]
    assert {"chat_message", "typing", "messages_read", "chat_update"} <= catalogue.server["chat"]
    assert {"viewers_update", "webrtc_offer", "kicked"} <= catalogue.server["livestream"]
    assert {"room_joined", "peer_left", "broadcast"} <= catalogue.server["rtc"]
    assert "notification_batch" in catalogue.server["notifications"]  # sent by the consumer itself
    assert {"chat_message", "typing", "message_delivered", "mark_read"} == catalogue.client["chat"]
    assert catalogue.client["notifications"] == {"mark_read", "mark_all_read"}  # its personal-socket hook
    assert catalogue.client["realtime"] == {"ping", "authenticate", "stats_subscribe", "stats_unsubscribe"}
    assert {"connection_established", "stats"} <= catalogue.server["realtime"]  # the personal socket's own
    assert set(catalogue.server) <= set(SECTIONS), (
        f"an app publishes events but has no section in SECTIONS: {set(catalogue.server) - set(SECTIONS)}"
    )


def test_every_server_event_type_is_documented_in_its_apps_section() -> None:
    catalogue = build_catalogue()
    sections = _sections(DOC.read_text())
    missing = []
    for app, types in sorted(catalogue.server.items()):
        outside_client = _outside_client(app, sections)
        for event_type in sorted(types):
            if not _documented(event_type, outside_client):
                missing.append(f"{app}: `{event_type}` (sent at {catalogue.where[(app, event_type)]})")
    assert not missing, "server → client event types missing from docs/protocol.md:\n" + "\n".join(missing)


def test_every_client_event_type_is_documented_in_its_apps_client_section() -> None:
    catalogue = build_catalogue()
    sections = _sections(DOC.read_text())
    missing = []
    for app, types in sorted(catalogue.client.items()):
        # the core's `ping` is documented in the common events table of the envelope section
        text = "\n".join(_split_client(section)[1] or section for section in _sections_for(app, sections))
        for event_type in sorted(types):
            if not _documented(event_type, text):
                missing.append(f"{app}: `{event_type}` (accepted at {catalogue.where[(app, event_type)]})")
    assert not missing, "client → server event types missing from docs/protocol.md:\n" + "\n".join(missing)


# --- field by field ----------------------------------------------------------------------

KEY = re.compile(r'^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?(\?)?')
CLOSERS = {"{": "}", "[": "]", "(": ")"}


def _balanced(text: str, start: int) -> str | None:
    """The `{...}` starting at `text[start]` (brackets balanced, quotes respected), or None."""
    depth, quote = 0, False
    for index in range(start, len(text)):
        char = text[index]
        if char == '"' and text[index - 1] != "\\":
            quote = not quote
        elif not quote and char in "{[(":
            depth += 1
        elif not quote and char in "}])":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return None


def _keys(shape: str) -> dict[str, bool]:
    """Top-level keys of a documented shape (`{a, b?: ..., "c": 1}`) -> optional?"""
    keys: dict[str, bool] = {}
    depth, quote = 0, False
    current: list[str] = []
    for char in shape[1:-1] + ",":
        if char == '"':
            quote = not quote
        if not quote and char in "{[(":
            depth += 1
        elif not quote and char in "}])":
            depth -= 1
        if char == "," and depth == 0 and not quote:
            segment = "".join(current).strip()
            current = []
            match = KEY.match(segment)
            if match and segment not in {"...", "…"}:
                keys[match.group(1)] = bool(match.group(2))
            continue
        current.append(char)
    return keys


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def _table_shapes(text: str, event_type: str) -> list[str]:
    """Data cells of table rows whose type column names `event_type`."""
    shapes = []
    lines = text.splitlines()
    header: list[str] | None = None
    for index, line in enumerate(lines):
        if not line.startswith("|"):
            header = None
            continue
        if index + 1 < len(lines) and re.match(r"^\|\s*:?-{3,}", lines[index + 1]):
            header = [cell.lower() for cell in _cells(line)]
            continue
        if header is None or "data" not in header or "type" not in header or re.match(r"^\|\s*:?-{3,}", line):
            continue
        cells = _cells(line)
        if len(cells) != len(header) or f"`{event_type}`" not in cells[header.index("type")]:
            continue
        data = cells[header.index("data")]
        brace = data.find("{")
        shape = _balanced(data, brace) if brace >= 0 else None
        if shape:
            shapes.append(shape)
    return shapes


def _inline_shapes(text: str, event_type: str) -> list[str]:
    """`` `type` `{...}` `` and JSON examples `{"type": "<type>", ..., "data": {...}}`."""
    shapes = []
    for match in re.finditer(rf"`{re.escape(event_type)}` `(\{{)", text):
        shape = _balanced(text, match.start(1))
        if shape:
            shapes.append(shape)
    for match in re.finditer(rf'"type":\s*"{re.escape(event_type)}"', text):
        data = re.compile(r'"data":\s*(\{)').search(text, match.end(), match.end() + 200)
        # the `data` of this frame, not of the next one (a frame ends at its line's `}` before a newline + `{`)
        if data and "\n{" not in text[match.end() : data.start()]:
            shape = _balanced(text, data.start(1))
            if shape:
                shapes.append(shape)
    return shapes


def test_every_documented_shape_names_exactly_the_events_fields() -> None:
    sections = _sections(DOC.read_text())
    problems = []
    for (app, event_type), event_class in sorted(load_catalogue().items()):
        outside_client = _outside_client(app, sections)
        fields = set(event_class.field_names())
        optional = set(event_class.optional_fields())
        shapes = _table_shapes(outside_client, event_type) + _inline_shapes(outside_client, event_type)
        if not shapes:
            problems.append(
                f"{app} `{event_type}`: no data shape documented (a table row with a data column, or an example)"
            )
            continue
        shown: set[str] = set()
        for shape in shapes:
            keys = _keys(shape)
            shown |= set(keys)
            unknown = set(keys) - fields
            missing = fields - optional - set(keys)
            if unknown or missing:
                problems.append(
                    f"{app} `{event_type}` {shape[:80]!r}: unknown {sorted(unknown)}, missing {sorted(missing)}"
                )
        if optional - shown:
            problems.append(f"{app} `{event_type}`: optional fields never documented: {sorted(optional - shown)}")
    assert not problems, "docs/protocol.md disagrees with the event catalogue:\n" + "\n".join(problems)


def test_the_shape_parser_reads_tables_inline_shapes_and_examples() -> None:
    assert _keys('{id, author: {id, username}, badge: "a" \\| "b", peers?: [{peer}]}') == {
        "id": False,
        "author": False,
        "badge": False,
        "peers": True,
    }
    assert _keys('{"code", "message", "type"?, ...}') == {"code": False, "message": False, "type": True}
    table = "| type | to | data |\n|---|---|---|\n| `a` / `b` | x | `{from, sdp}` |\n"
    assert _table_shapes(table, "b") == ["{from, sdp}"]
    example = '{"type":"t","id":1,"data":{"x":1,\n "y":{"z":2}}}'
    assert [_keys(s) for s in _inline_shapes(example, "t")] == [{"x": False, "y": False}]


def test_every_catalogued_event_declares_a_literal_type_and_no_extra_fields() -> None:
    import dataclasses
    import typing

    for (app, event_type), event_class in load_catalogue().items():
        assert event_class.app == app and event_class.type == event_type
        hints = typing.get_type_hints(
            event_class, include_extras=True, localns=vars(__import__(event_class.__module__, fromlist=["*"]))
        )
        assert typing.get_args(typing.get_args(hints["type"])[0]) == (event_type,), (
            f"{event_class}: type is not Literal[{event_type!r}]"
        )
        assert dataclasses.is_dataclass(event_class)
        required = {
            f.name: 0
            for f in dataclasses.fields(event_class)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        with pytest.raises(TypeError):
            event_class(**required, not_a_field=1)
    assert CATALOGUE
