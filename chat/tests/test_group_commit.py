"""Group commit of chat messages (`services.messages_create_batch` and the socket's batcher).

What `message_create` promises, for every message of a batch: membership and text checks with
one bad message rejected alone, idempotency by client_id (also inside one batch), per-conversation
ids in commit order (`?after=` gap-free with two writers at once), events only after commit.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from dataclasses import replace

import pytest
from django.db import connections

from chat.models import Membership, Message
from chat.selectors import messages_after
from chat.services import MessageDraft, MessageResult, conversation_create_group, message_create, messages_create_batch
from realtime.batching import Batcher
from realtime.errors import Forbidden, InvalidInput, NotFound
from realtime.groups import conversation_group, user_group


@pytest.mark.django_db
def test_a_batch_stores_the_good_messages_once_rejects_the_bad_alone_and_publishes_after_commit(
    make_user, sent, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a, b, c, stranger = make_user(), make_user(), make_user(), make_user()
    group = conversation_create_group(creator=a, title="batch", members=[b, c])
    stored, _ = message_create(sender=b, conversation_id=group.pk, text="earlier", client_id="b-0")
    sent.clear()
    drafts = [
        MessageDraft(a, group.pk, "one", "a-1"),
        MessageDraft(a, group.pk, "   "),  # blank
        MessageDraft(stranger, group.pk, "let me in"),  # not a member
        MessageDraft(b, group.pk, "two", "b-1"),
        MessageDraft(a, group.pk, "one again", "a-1"),  # resent inside this batch
        MessageDraft(b, group.pk, "earlier again", "b-0"),  # resent from an earlier commit
        MessageDraft(a, 999_999_999, "nowhere"),
        MessageDraft(a, group.pk, "three"),
    ]
    # Everybody has the chat open (the socket path): no notification statements in the count.
    drafts = [replace(d, viewing={a.pk, b.pk, c.pk}) for d in drafts]
    with django_capture_on_commit_callbacks(execute=False) as callbacks, CaptureQueriesContext(connection) as ctx:
        results = messages_create_batch(drafts=drafts)
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    # lock, members, stored client_ids, one INSERT, one conversation UPDATE, the senders' positions
    assert len(statements) == 6, statements
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert isinstance(results[1], InvalidInput) and results[1].code == "blank"
    assert isinstance(results[2], Forbidden) and results[2].code == "not_a_member"
    assert isinstance(results[6], NotFound)
    one, two, again, earlier, three = results[0], results[3], results[4], results[5], results[7]
    assert isinstance(one, tuple) and isinstance(two, tuple) and isinstance(three, tuple)
    assert one[1] and two[1] and three[1]
    assert again == (one[0], False) and isinstance(earlier, tuple) and earlier[0].pk == stored.pk and not earlier[1]
    assert one[0].pk < two[0].pk < three[0].pk  # arrival order
    texts = list(Message.objects.filter(conversation=group).order_by("id").values_list("text", flat=True))
    assert texts == ["earlier", "one", "two", "three"]
    assert [f["id"] for g, e, f in sent if e == "chat_message"] == [one[0].pk, two[0].pk, three[0].pk]
    # One chat_update per member for the whole batch: the last message and the final unread count.
    updates = {g: f["data"] for g, e, f in sent if e == "chat_update"}
    assert len([e for _, e, _ in sent if e == "chat_update"]) == 3
    assert {g: (d["last_message"]["id"], d["unread_count"]) for g, d in updates.items()} == {
        user_group(a.pk): (three[0].pk, 0),
        user_group(b.pk): (three[0].pk, 1),  # b's own "two" moved b's position; "three" is unread
        user_group(c.pk): (three[0].pk, 4),
    }
    positions = dict(Membership.objects.filter(conversation=group).values_list("user_id", "last_read_message_id"))
    assert positions == {a.pk: three[0].pk, b.pk: two[0].pk, c.pk: 0}
    group.refresh_from_db()
    assert group.last_message_id == three[0].pk
    assert all(g == conversation_group(group.pk) for g, e, _ in sent if e == "chat_message")


@pytest.mark.django_db
def test_a_batch_that_fails_in_the_database_is_written_message_by_message(
    make_user, sent, django_capture_on_commit_callbacks, monkeypatch
):
    from chat import selectors

    a, b = make_user(), make_user()
    group = conversation_create_group(creator=a, title="fallback", members=[b])
    monkeypatch.setattr(selectors, "messages_by_client_id", lambda **_: 1 / 0)  # the batch statement fails
    with django_capture_on_commit_callbacks(execute=True):
        results = messages_create_batch(
            drafts=[MessageDraft(a, group.pk, "x", "1"), MessageDraft(b, group.pk, "y", "1"), MessageDraft(a, 7, "")]
        )
    assert [type(r).__name__ for r in results] == ["tuple", "tuple", "InvalidInput"]
    assert [f["data"]["text"] for _, e, f in sent if e == "chat_message"] == ["x", "y"]
    assert Message.objects.filter(conversation=group).count() == 2


def _thread(target: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    """A thread with its own database connection (as another server process), closed at the end."""

    def run() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def _read_with_after(conversation_id: int, done: threading.Event, seen: list[int]) -> None:
    """Page with `?after=` from the last id seen, as a resuming socket does, until the writers are done."""
    cursor = 0
    while True:
        finished = done.is_set()  # read before the page: a page after "done" sees everything
        page = messages_after(conversation_id=conversation_id, after_id=cursor, limit=1000)
        seen.extend(m.pk for m in page)
        cursor = page[-1].pk if page else cursor
        if finished and not page:
            return


@pytest.mark.django_db(transaction=True)
def test_two_writers_on_one_conversation_commit_in_id_order_so_after_never_skips_a_message(make_user):
    """Two threads (two database connections, as two server processes) write batches to one conversation
    while a reader pages with `?after=`: if an id ever became visible before a smaller one, the reader
    would step past the smaller one and miss it."""
    users = [make_user() for _ in range(3)]
    group = conversation_create_group(creator=users[0], title="race", members=users[1:])
    everybody = {u.pk for u in users}  # all viewing: no notifications, only the chat path
    rounds, per_batch = 12, 6
    done = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []
    results: dict[int, list[list[MessageResult]]] = {1: [], 2: []}

    def writer(n: int) -> None:
        for r in range(rounds):
            texts = [f"{n}-{r}-{i}" for i in range(per_batch)]
            drafts = [MessageDraft(users[n], group.pk, text, text, everybody) for text in texts]
            drafts.append(MessageDraft(users[n], group.pk, "resend", f"{n}-{r}-0", everybody))  # resent in the batch
            results[n].append(messages_create_batch(drafts=drafts))

    reader = _thread(lambda: _read_with_after(group.pk, done, seen), errors)
    writers = [_thread(functools.partial(writer, n), errors) for n in (1, 2)]
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    reader.join()
    assert errors == []
    stored = list(Message.objects.filter(conversation=group).order_by("id").values_list("id", "text"))
    assert len(stored) == 2 * rounds * per_batch  # the resends stored nothing
    assert seen == [pk for pk, _ in stored]  # every id, once, in order: no gap for ?after=
    for batch in results[1] + results[2]:
        created = [r[0].pk for r in batch[:per_batch] if isinstance(r, tuple) and r[1]]
        assert len(created) == per_batch and created == sorted(created)
        assert batch[-1] == (batch[0][0], False)  # the resend answers the batch's first
    for n in (1, 2):  # each writer's messages are stored in the order it sent them
        mine = [text for _, text in stored if text.startswith(f"{n}-")]
        assert mine == [f"{n}-{r}-{i}" for r in range(rounds) for i in range(per_batch)]


async def test_the_batcher_gathers_what_arrives_within_its_window_and_answers_each_alone() -> None:
    batches: list[list[int]] = []

    async def apply(batch: list[int]) -> list[int | BaseException]:
        batches.append(batch)
        return [ValueError(n) if n == 3 else n * 10 for n in batch]

    batcher: Batcher[int, int] = Batcher(apply, window=0.05)
    results = await asyncio.gather(*(batcher.submit(n) for n in (1, 2, 3, 4)), return_exceptions=True)
    assert batches == [[1, 2, 3, 4]]
    assert results[:2] == [10, 20] and isinstance(results[2], ValueError) and results[3] == 40
    assert await batcher.submit(5) == 50 and batches[-1] == [5] and not batcher.draining


@pytest.mark.django_db
def test_a_batch_over_several_conversations_takes_the_same_six_statements(
    make_user, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a, b = make_user(), make_user()
    groups = [conversation_create_group(creator=a, title=f"g{n}", members=[b]) for n in range(3)]
    drafts = [
        MessageDraft(sender, g.pk, f"{g.title} from {sender.pk}", f"c-{g.pk}-{sender.pk}", viewing={a.pk, b.pk})
        for g in groups
        for sender in (a, b)
    ]
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        results = messages_create_batch(drafts=drafts)
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(statements) == 6, statements
    for g in groups:
        g.refresh_from_db()
        newest = max(r[0].pk for r in results if isinstance(r, tuple) and r[0].conversation_id == g.pk)
        assert g.last_message_id == newest and g.last_message_at == Message.objects.get(pk=newest).created_at
