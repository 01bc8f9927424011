"""The event catalogue: every server -> client WebSocket event is a typed class, declared once.

Each app declares its events in `<app>/events.py` with the `@event` decorator:

    @event("viewers_update")
    class ViewersUpdate(Event):
        count: int

An event is a keyword-only dataclass: its fields are exactly the keys of the frame's `data`
(a field left at `OMIT` is not sent, for the few documented optional keys), so an unknown
key is a TypeError where the event is built, not a surprise in a client. Object shapes that
several events (or a REST output) share are `@payload` dataclasses (`UserBrief`, a chat
message). `publish` / `apublish` / `build_message` / `BaseConsumer.send_event` accept only
`Event` instances; docs/protocol.md is checked field by field against `CATALOGUE`
(tests/test_protocol_doc.py), and every frame a test client receives is checked against it
(conftest.py). This module also holds the core's own events (pong, authenticated, error,
user_online/user_offline).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar, dataclass_transform

T = TypeVar("T")


class _Omit:
    """A field value meaning "leave this key out of the frame" (documented optional keys only)."""

    _instance: _Omit | None = None

    def __new__(cls) -> _Omit:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "OMIT"

    def __bool__(self) -> bool:
        return False


OMIT: Any = _Omit()


class Payload:
    """An object shape sent inside events (and by REST outputs). Subclasses are `@payload` dataclasses."""

    # (attribute, JSON key): a trailing underscore is dropped (`from_` -> "from", `type_` -> "type")
    _keys: ClassVar[tuple[tuple[str, str], ...]] = ()
    _optional: ClassVar[frozenset[str]] = frozenset()

    def data(self) -> dict[str, Any]:
        """The JSON-ready dict (datetimes are encoded by the envelope), without the OMIT keys: a fresh copy."""
        return {key: _nested(value, shared=False) for key, value in self._items()}

    def wire(self) -> dict[str, Any]:
        """`data()` as the envelope encodes it, built once per payload and shared: never mutate it.

        A payload shared by many events (`chat_update.last_message`, one per member on the chat
        fan-out path) is turned into a dict once, not once per event and not by the JSON
        encoder's Python-level `default` per frame (bench/chat_fanout).
        """
        values = self.__dict__
        cached = values.get("_wire")
        if cached is None:
            cached = {}
            for name, key in self._keys:
                value = values[name]
                if type(value) in _SCALARS:  # most fields: no conversion, no isinstance chain
                    cached[key] = value
                elif value is not OMIT:
                    cached[key] = _nested(value, shared=True)
            values["_wire"] = cached
        return cached

    def _items(self) -> list[tuple[str, Any]]:
        values = self.__dict__
        return [(key, values[name]) for name, key in self._keys if values[name] is not OMIT]

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The keys of `data()`, in order."""
        return tuple(key for _, key in cls._keys)

    @classmethod
    def optional_fields(cls) -> frozenset[str]:
        """Fields that may be left out of a frame (their default is OMIT)."""
        return cls._optional


class Event(Payload):
    """A server -> client event; `type` is a class-level literal, the fields are the frame's `data`."""

    type: ClassVar[str]
    app: ClassVar[str]


def _nested(value: Any, *, shared: bool) -> Any:
    """A field's value with payloads as dicts: fresh copies (`data()`) or their cached, shared `wire()` dicts."""
    if isinstance(value, Payload):
        return value.wire() if shared else value.data()
    if isinstance(value, list | tuple):
        return [_nested(v, shared=shared) for v in value]
    return value


_SCALARS = frozenset({int, str, bool, float, type(None), datetime})


# (app, type) -> event class. Only classes declared in an `<app>/events.py` module (and this one) are catalogued.
CATALOGUE: dict[tuple[str, str], type[Event]] = {}
# type -> every class declaring it, tests' own events included (for `check_frame`)
_BY_TYPE: dict[str, list[type[Event]]] = {}


def _prepare(cls: type[T]) -> type[T]:
    dc: Any = dataclass(kw_only=True)(cls)
    dc._keys = tuple((f.name, f.name.removesuffix("_")) for f in fields(dc))
    dc._optional = frozenset(f.name.removesuffix("_") for f in fields(dc) if f.default is OMIT)
    return dc


@dataclass_transform(kw_only_default=True)
def payload(cls: type[T]) -> type[T]:
    """Declare a shared object shape (a keyword-only dataclass)."""
    return _prepare(cls)


@dataclass_transform(kw_only_default=True)
def event(event_type: str) -> Callable[[type[T]], type[T]]:
    """Declare an event of type `event_type` and add it to the catalogue under its app (its module's first part).

    The class declares only its fields; the decorator gives it `type: ClassVar[Literal[event_type]]`.
    """
    if not isinstance(event_type, str) or not event_type:
        raise TypeError('declare an event as @event("its_type")')

    def declare(cls: type[T]) -> type[T]:
        cls.type = event_type  # type: ignore[attr-defined]
        cls.__annotations__ = {"type": ClassVar[Literal[event_type]], **inspect.get_annotations(cls)}
        dc = _prepare(cls)
        module = dc.__module__
        app = module.split(".")[0]
        dc.app = app  # type: ignore[attr-defined]
        _BY_TYPE.setdefault(event_type, []).append(dc)  # type: ignore[arg-type]
        if module.endswith(".events"):
            key = (app, event_type)
            if key in CATALOGUE and CATALOGUE[key].__qualname__ != dc.__qualname__:
                raise TypeError(f"{app} declares event type {event_type!r} twice")
            CATALOGUE[key] = dc  # type: ignore[assignment]
        return dc

    return declare


def require_event(value: Any) -> Event:
    if not isinstance(value, Event):
        raise TypeError(
            f"expected an event from an app's events.py (a realtime.events.Event), got {type(value).__name__}"
        )
    return value


def check_frame(frame: Any) -> str | None:
    """Why a server frame is not a catalogued event with exactly its declared fields (None if it is).

    Tests call it on every frame a socket sends (conftest.py): no type outside the catalogue
    (or a test's own `@event`), no missing or unknown key.
    """
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str) or not isinstance(frame.get("data"), dict):
        return f"not an event frame: {str(frame)[:120]}"
    event_type, keys = frame["type"], set(frame["data"])
    classes = [
        c
        for c in _BY_TYPE.get(event_type, [])
        if c.__module__.endswith(".events") or ".tests." in c.__module__ or c.__module__.startswith("tests.")
    ]
    if not classes:
        return f"`{event_type}` is not in the event catalogue"
    for cls in classes:
        fields_ = set(cls.field_names())
        if keys <= fields_ and fields_ - cls.optional_fields() <= keys:
            return None
    declared = ", ".join(c.__qualname__ for c in classes)
    return f"`{event_type}` data keys {sorted(keys)} match no declared event ({declared})"


def load_catalogue() -> dict[tuple[str, str], type[Event]]:
    """Import every installed app's `events` module, then return the full catalogue."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        name = f"{config.name}.events"
        if find_spec(name) is not None:
            import_module(name)
    return CATALOGUE


# --- the one user-brief shape ---------------------------------------------------------


@payload
class UserBrief(Payload):
    """A user inside another object, on every socket and in REST (`realtime.outputs.UserBriefOutput`)."""

    # None only for a user known from a presence entry whose row is gone (live-stream peers)
    id: int | None
    username: str | None

    @classmethod
    def of(cls, user: Any) -> UserBrief:
        return cls(id=user.pk, username=user.username)


@payload
class NamedUserBrief(UserBrief):
    """The user brief plus the display name, where a page shows who someone is (authors, actors, lobby).

    REST: `realtime.outputs.NamedUserBriefOutput`.
    """

    name: str

    @classmethod
    def of(cls, user: Any) -> NamedUserBrief:
        return cls(id=user.pk, username=user.username, name=user.name)


# --- the core's own events --------------------------------------------------------


@event("pong")
class Pong(Event):
    ts: int | float | str = OMIT


@event("authenticated")
class Authenticated(Event):
    user_id: int
    expires_at: str | None


@event("error")
class Error(Event):
    """A client frame was refused or failed; the extras are the documented ones only."""

    code: str
    message: str
    # the client frame type the error answers
    type_: str = OMIT
    errors: dict[str, Any] = OMIT
    supported: list[str] = OMIT
    max_participants: int = OMIT
    max_viewers: int = OMIT


@event("user_online")
class UserOnline(Event):
    user_id: int
    username: str


@event("user_offline")
class UserOffline(Event):
    user_id: int
    username: str


def error(code: str, message: str, *, type: str = OMIT, **extra: Any) -> Error:
    """An `error` event; `type` is the client frame type it answers. Unknown extras are a TypeError."""
    return Error(code=code, message=message, type_=type, **extra)


# --- the personal socket's own events (realtime/personal.py) -----------------------------


@event("connection_established")
class ConnectionEstablished(Event):
    """The personal socket's first frame (realtime/personal.py)."""

    user: UserBrief


@event("stats")
class Stats(Event):
    """Staff only, on request (`stats_subscribe`): cluster figures every STATS_REPORT_SECONDS (realtime.stats)."""

    ts: str
    sockets: int
    online_users: int
    presence_entries: int
    active_conversations: int
    messages_last_minute: int
    messages_per_second: float
    live: dict[str, Any]
    rooms: dict[str, Any]
    tasks: dict[str, Any]
    processes: list[dict[str, Any]]
