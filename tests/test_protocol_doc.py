"""Every WebSocket event type the code sends or accepts is documented in docs/protocol.md.

STYLE.md habit 5: each event type is listed once, in code and in the protocol document. The
catalogue is read from the code itself (an AST walk, no server, no database), so a new event
type added anywhere fails this test until the document describes it:

* server -> client: every string constant of an app's `events.py`, plus the event type
  argument of every call to a function that takes an `event_type` parameter (`publish`,
  `publish_many`, `apublish`, `build_message`, `send_event`, `server_frame`, and the apps' own
  wrappers such as `publish_to_streamer`), resolved when it is a literal or a named constant;
  `error` comes from `error_frame`.
* client -> server: the type of every `@handles(type, Input)` on a consumer method, plus the types the base
  consumer answers itself (`if event_type == "ping"`).

Each type must appear backticked in the section of docs/protocol.md of the app that sends it
(server types outside its "Client → server" subsection, client types inside it), so a
live-stream `comment` event is not "documented" by the notification type of the same name.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "protocol.md"
SKIP_DIRS = {".venv", "venv", "node_modules", "tests", "migrations", "bench", "scripts", "static", "templates", "artifacts", "docs"}

# The "## " heading (a substring of it) that documents each app's socket.
SECTIONS = {
    "realtime": "## Envelope",  # core frames: envelope, errors and the common events
    "notifications": "## Notifications socket",
    "chat": "## Chat socket",
    "items": "## Items events",
    "livestream": "## Live streams",
    "rtc": "## P2P rooms",
}
CLIENT_SUBSECTION = "### Client → server"
# Non-type constants that live in events.py modules (tuples of types are skipped anyway).
NOT_EVENT_TYPES: set[str] = set()


@dataclass
class Catalogue:
    server: dict[str, set[str]] = field(default_factory=dict)  # app -> types sent to clients
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


def _event_type_functions(trees: dict[Path, ast.Module]) -> dict[str, int]:
    """Name of every function with an `event_type` parameter -> that parameter's positional index (self excluded)."""
    functions: dict[str, int] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
                if params and params[0] in {"self", "cls"}:
                    params = params[1:]
                if "event_type" in params:
                    functions[node.name] = params.index("event_type")
    return functions


def _resolve(node: ast.expr, local: dict[str, str], events_by_app: dict[str, dict[str, str]], app: str) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):  # a constant of this module
        return local.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "events":
        # `from <app> import events` (every app imports its own events module under that name)
        return events_by_app.get(app, {}).get(node.attr)
    return None  # a variable: its values are covered at the wrapper's call sites or by events.py


def build_catalogue() -> Catalogue:
    trees = {path: ast.parse(path.read_text(), filename=str(path)) for path in _python_files()}
    events_by_app = {path.parent.name: _string_constants(tree) for path, tree in trees.items() if path.name == "events.py"}
    functions = _event_type_functions(trees)
    catalogue = Catalogue()

    for app, constants in events_by_app.items():
        for name, value in constants.items():
            if value not in NOT_EVENT_TYPES:
                catalogue.add("server", app, value, f"{app}/events.py:{name}")

    for path, tree in trees.items():
        rel = path.relative_to(ROOT)
        app = rel.parts[0] if len(rel.parts) > 1 else ""
        local = _string_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""
                origin = f"{rel}:{node.lineno}"
                if name == "error_frame":
                    catalogue.add("server", "realtime", "error", origin)
                if name in functions:
                    index = functions[name]
                    arg = (
                        node.args[index]
                        if len(node.args) > index
                        else next((k.value for k in node.keywords if k.arg == "event_type"), None)
                    )
                    if arg is not None and not any(isinstance(a, ast.Starred) for a in node.args[: index + 1]):
                        value = _resolve(arg, local, events_by_app, app)
                        if value is not None:
                            catalogue.add("server", app, value, origin)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                # `@handles("type", Input)` on a consumer method declares a client type
                for decorator in node.decorator_list:
                    if (
                        isinstance(decorator, ast.Call)
                        and isinstance(decorator.func, ast.Name)
                        and decorator.func.id == "handles"
                        and decorator.args
                    ):
                        value = _resolve(decorator.args[0], local, events_by_app, app)
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


def _section_for(app: str, sections: dict[str, str]) -> str:
    heading = SECTIONS[app]
    matches = [body for title, body in sections.items() if title.startswith(heading)]
    assert matches, f"docs/protocol.md has no section starting with {heading!r} for {app}"
    return matches[0]


def test_the_catalogue_finds_the_event_types_of_every_app() -> None:
    # Guards the AST walk itself: if it silently found nothing, the doc test below would pass.
    catalogue = build_catalogue()
    assert set(catalogue.server) >= {"realtime", "notifications", "chat", "items", "livestream", "rtc"}
    assert {"user_online", "user_offline", "pong", "error"} <= catalogue.server["realtime"]
    assert {"chat_message", "typing", "messages_read", "chat_update"} <= catalogue.server["chat"]
    assert {"viewers_update", "webrtc_offer", "kicked"} <= catalogue.server["livestream"]
    assert {"room_joined", "peer_left", "broadcast"} <= catalogue.server["rtc"]
    assert "notification_batch" in catalogue.server["notifications"]  # sent by the consumer via server_frame
    assert {"chat_message", "typing", "message_delivered", "mark_read"} == catalogue.client["chat"]
    assert catalogue.client["notifications"] == {"mark_read", "mark_all_read"}
    assert catalogue.client["realtime"] == {"ping", "authenticate"}
    assert set(catalogue.server) <= set(SECTIONS), (
        f"an app publishes events but has no section in SECTIONS: {set(catalogue.server) - set(SECTIONS)}"
    )


def test_every_server_event_type_is_documented_in_its_apps_section() -> None:
    catalogue = build_catalogue()
    sections = _sections(DOC.read_text())
    missing = []
    for app, types in sorted(catalogue.server.items()):
        outside_client, _ = _split_client(_section_for(app, sections))
        for event_type in sorted(types):
            if not _documented(event_type, outside_client):
                missing.append(f"{app}: `{event_type}` (sent at {catalogue.where[(app, event_type)]})")
    assert not missing, "server → client event types missing from docs/protocol.md:\n" + "\n".join(missing)


def test_every_client_event_type_is_documented_in_its_apps_client_section() -> None:
    catalogue = build_catalogue()
    sections = _sections(DOC.read_text())
    missing = []
    for app, types in sorted(catalogue.client.items()):
        section = _section_for(app, sections)
        _, client_part = _split_client(section)
        # the core's `ping` is documented in the common events table of the envelope section
        text = client_part or section
        for event_type in sorted(types):
            if not _documented(event_type, text):
                missing.append(f"{app}: `{event_type}` (accepted at {catalogue.where[(app, event_type)]})")
    assert not missing, "client → server event types missing from docs/protocol.md:\n" + "\n".join(missing)
