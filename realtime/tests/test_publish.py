"""realtime.publish: events leave after commit, and one group gets one commit's events in order."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers, get_channel_layer
from django.conf import settings
from django.db import transaction

from realtime.events import Event, event
from realtime.publish import build_message, publish, publish_messages

pytestmark = [pytest.mark.django_db(transaction=True)]

T = TypeVar("T")


@event("step")
class Step(Event):
    n: int


class Listener:
    """A channel layer's receiving side in an event loop of its own (a thread), alive for the whole test.

    With the pub/sub layer (CHANNEL_LAYER=pubsub) subscriptions belong to one event loop and only
    see what is published while they exist, so subscribing and receiving in short-lived loops (one
    per async_to_sync call) would miss everything; the core and in-memory layers work either way.
    """

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="layer-listener", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def close(self) -> None:
        if hasattr(type(self.layer), "close_pools"):  # not hasattr(layer): pub/sub proxies every name to a loop
            self.run(self.layer.close_pools())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()  # the pub/sub layer unsubscribes and closes its connections here


@pytest.fixture
def layer(request: pytest.FixtureRequest) -> Iterator[Listener]:
    """A listening layer of its own: receiving on the process-wide layer from these short-lived
    event loops would tie its receive state to a dead loop for every later test."""
    if settings.REDIS_URL:  # the layer CI runs on; a missing Redis fails there instead of skipping
        request.getfixturevalue("redis_url")
    backend = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    if get_channel_layer().__class__.__name__ == "InMemoryChannelLayer":
        backend = get_channel_layer()  # in-memory layers do not share state between instances
    listener = Listener(backend)
    yield listener
    listener.close()


def _listen(listener: Listener, *groups: str) -> str:
    channel = listener.run(listener.layer.new_channel())
    for group in groups:
        listener.run(listener.layer.group_add(group, channel))
    return channel


def _receive(listener: Listener, wanted: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """`wanted[channel]` messages from each channel, all received in the listener's event loop."""

    async def collect() -> dict[str, list[dict[str, Any]]]:
        return {
            channel: [await listener.layer.receive(channel) for _ in range(count)] for channel, count in wanted.items()
        }

    return listener.run(collect())


def _numbers(messages: list[dict[str, Any]]) -> list[int]:
    return [json.loads(m["text"])["data"]["n"] for m in messages]


def test_one_commits_events_reach_a_group_in_the_order_they_were_published(layer: Listener) -> None:
    channel = _listen(layer, "order-a")
    with transaction.atomic():
        publish_messages([("order-a", build_message(Step(n=n))) for n in range(60)])
    assert _numbers(_receive(layer, {channel: 60})[channel]) == list(range(60))


def test_each_group_keeps_its_order_when_one_commit_publishes_to_several(layer: Listener) -> None:
    first, second = _listen(layer, "order-b"), _listen(layer, "order-c")
    pairs = []
    for n in range(30):
        pairs += [("order-b", build_message(Step(n=n))), ("order-c", build_message(Step(n=n)))]
    with transaction.atomic():
        publish_messages(pairs)
    received = _receive(layer, {first: 30, second: 30})
    assert _numbers(received[first]) == list(range(30)) and _numbers(received[second]) == list(range(30))


def test_nothing_is_sent_when_the_transaction_rolls_back(layer: Listener) -> None:
    channel = _listen(layer, "order-d")
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("order-d", Step(n=1))
        raise RuntimeError("rollback")
    publish("order-d", Step(n=2))  # no transaction open: sent at once
    assert json.loads(_receive(layer, {channel: 1})[channel][0]["text"])["data"] == {"n": 2}


def test_successive_commits_to_one_group_arrive_in_commit_order(layer: Listener) -> None:
    channel = _listen(layer, "order-e")
    for start in range(0, 100, 20):  # one send per commit, back to back within the same clock tick
        with transaction.atomic():
            publish_messages([("order-e", build_message(Step(n=n))) for n in range(start, start + 20)])
    assert _numbers(_receive(layer, {channel: 100})[channel]) == list(range(100))


def test_every_member_of_every_group_gets_each_of_its_groups_messages_once(layer: Listener) -> None:
    both, only_f, outsider = _listen(layer, "fan-f", "fan-g"), _listen(layer, "fan-f"), _listen(layer, "fan-h")
    with transaction.atomic():
        publish_messages([("fan-f", build_message(Step(n=1))), ("fan-g", build_message(Step(n=2)))])
    publish("fan-h", Step(n=3))  # sent after the others: once it is in, nothing more is on its way
    received = _receive(layer, {both: 2, only_f: 1, outsider: 1})
    assert _numbers(received[both]) == [1, 2] and _numbers(received[only_f]) == [1]
    assert _numbers(received[outsider]) == [3]

    async def nothing_left(channel: str) -> bool:
        try:
            await asyncio.wait_for(layer.layer.receive(channel), timeout=0.2)
        except TimeoutError:
            return True
        return False

    assert layer.run(nothing_left(both)) and layer.run(nothing_left(only_f))


def test_a_burst_beyond_the_redis_pool_waits_for_a_connection_instead_of_failing(redis_url: str) -> None:
    from realtime.layers import RedisChannelLayer, group_send_many

    small = RedisChannelLayer(hosts=[{"address": redis_url}], prefix="pooltest", pool_size=2, pool_timeout=10)

    async def burst() -> list[dict[str, Any]]:
        channel = await small.new_channel()
        await small.group_add("burst", channel)
        await asyncio.gather(*(group_send_many(small, [("burst", build_message(Step(n=n)))]) for n in range(40)))
        received = [await small.receive(channel) for _ in range(40)]
        await small.flush()
        await small.close_pools()
        return received

    assert sorted(_numbers(asyncio.run(burst()))) == list(range(40))
