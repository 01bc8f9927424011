import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ConversationState,
  UnavailableRetry,
  applyChatUpdate,
  conversationTitle,
  sortConversations,
  typingText,
} from "../chat_state.js";
import { backoffDelay } from "../socket.js";

const ME = 1;

function twoPeople() {
  const state = new ConversationState(ME);
  state.reset({
    members: [
      { id: ME, username: "me" },
      { id: 2, username: "bob" },
      { id: 3, username: "carol" },
    ],
    positions: [
      { user: ME, last_read: 7 },
      { user: 2, last_delivered: 5, last_read: 3 },
      { user: 3, last_delivered: 4, last_read: 4 },
    ],
  });
  return state;
}

test("a message is read once every other member has read it, delivered once every device has it", () => {
  const state = twoPeople();
  assert.deepEqual(state.markFor(3), ["✓✓", "Read"]);
  assert.deepEqual(state.markFor(4), ["✓✓", "Delivered"]);
  assert.deepEqual(state.markFor(5), ["✓", "Sent"]);
  state.delivered(3, 5);
  assert.deepEqual(state.markFor(5), ["✓✓", "Delivered"]);
});

test("read implies delivered, and positions never move back", () => {
  const state = twoPeople();
  state.read(2, 9);
  state.read(3, 9);
  assert.deepEqual(state.markFor(9), ["✓✓", "Read"]);
  state.read(2, 1);
  state.delivered(2, 1);
  assert.deepEqual(state.positions.get(2), { delivered: 9, read: 9 });
});

test("my own position does not count towards the marks, and is what I have read", () => {
  const state = new ConversationState(ME);
  state.reset({ members: [{ id: ME, username: "me" }], positions: [{ user: ME, last_read: 7 }] });
  assert.deepEqual(state.markFor(1), ["", ""]);
  assert.equal(state.myReadPosition(), 7);
  assert.equal(new ConversationState(ME).myReadPosition(), 0);
});

test("online changes apply to members only", () => {
  const state = twoPeople();
  assert.equal(state.setOnline(2, true), true);
  assert.equal(state.members.get(2)?.online, true);
  assert.equal(state.setOnline(99, true), false);
  assert.deepEqual(
    state.others().map((m) => m.username),
    ["bob", "carol"],
  );
});

test("a conversation is named by its title, else by the other members", () => {
  assert.equal(conversationTitle({ id: 1, title: "Team" }, ME), "Team");
  const members = [
    { id: ME, username: "me" },
    { id: 2, username: "bob" },
  ];
  assert.equal(conversationTitle({ id: 1, members }, ME), "bob");
  assert.equal(conversationTitle({ id: 1, members: [{ id: ME, username: "me" }] }, ME), "Just you");
});

test("the list shows the latest activity first", () => {
  const sorted = sortConversations([
    { id: 1, created_at: "2026-01-01T00:00:00Z" },
    { id: 2, last_message: { id: 9, text: "x", created_at: "2026-03-01T00:00:00Z" } },
    { id: 3, last_message_at: "2026-02-01T00:00:00Z" },
    { id: 4, created_at: "2026-01-01T00:00:00Z" },
  ]);
  assert.deepEqual(
    sorted.map((c) => c.id),
    [2, 3, 4, 1],
  );
});

test("chat_update updates a known conversation and asks for a reload of an unknown one", () => {
  const conversations = new Map([[5, { id: 5, unread_count: 0 }]]);
  const last = { id: 3, text: "hi", created_at: "2026-03-01T00:00:00Z" };
  assert.equal(applyChatUpdate(conversations, { conversation: 5, last_message: last, unread_count: 2 }), true);
  assert.deepEqual(conversations.get(5), {
    id: 5,
    unread_count: 2,
    last_message: last,
    last_message_at: last.created_at,
  });
  assert.equal(applyChatUpdate(conversations, { conversation: 6, unread_count: 1 }), false);
});

test("typing text names who is typing", () => {
  assert.equal(typingText([]), "");
  assert.equal(typingText(["bob"]), "bob is typing…");
  assert.equal(typingText(["bob", "carol"]), "bob, carol are typing…");
});

test("a coalesced messages_read moves every reader it lists; an old-style frame moves its one user", () => {
  const state = twoPeople();
  state.readAll({
    user: 2,
    up_to: 6,
    readers: [
      { user: 2, up_to: 6 },
      { user: 3, up_to: 6 },
    ],
  });
  assert.deepEqual(state.markFor(6), ["✓✓", "Read"]);
  const old = twoPeople();
  old.readAll({ user: 2, up_to: 6 });
  assert.deepEqual(old.markFor(6), ["✓", "Sent"]); // carol has only 4
});

test("the Chat tab counts every conversation's unread messages, a live count beating the first load", async () => {
  const { UnreadTotals, startsGroup } = await import("../chat_state.js");
  const totals = new UnreadTotals();
  assert.equal(totals.apply(1, 2), true);
  totals.seed(1, 0);
  totals.seed(2, 3);
  assert.equal(totals.total(), 5);
  assert.equal(totals.apply(2, 0), false);
  assert.equal(totals.total(), 2);
  const at = (minute) => `2026-11-30T14:${String(minute).padStart(2, "0")}:00Z`;
  assert.equal(startsGroup(null, { sender: { id: 1 }, created_at: at(0) }), true);
  assert.equal(startsGroup({ sender: { id: 1 }, created_at: at(0) }, { sender: { id: 1 }, created_at: at(2) }), false);
  assert.equal(startsGroup({ sender: { id: 1 }, created_at: at(0) }, { sender: { id: 2 }, created_at: at(1) }), true);
  assert.equal(startsGroup({ sender: { id: 1 }, created_at: at(0) }, { sender: { id: 1 }, created_at: at(9) }), true);
});

test("a chat_message refused as unavailable is sent again with backoff, once per wait, until one is echoed", () => {
  const timers = [];
  let resends = 0;
  const retry = new UnavailableRetry(() => resends++, {
    delay: (attempt) => backoffDelay(attempt, () => 1),
    schedule: (fn, ms) => timers.push({ fn, ms }),
    cancel: () => {},
  });
  assert.equal(retry.refused(), 500);
  assert.equal(retry.refused(), null); // a second refusal while waiting schedules nothing more
  timers.shift().fn();
  assert.equal(resends, 1);
  assert.equal(retry.refused(), 1000);
  timers.shift().fn();
  assert.equal(retry.refused(), 2000);
  timers.shift().fn();
  retry.echoed(); // the database answers again
  assert.equal(retry.refused(), 500);
  assert.equal(timers.length, 1);
  retry.stop();
  assert.equal(retry.refused(), 1000); // stopped: the pending resend was cancelled, a new one can start
});
