import assert from "node:assert/strict";
import { test } from "node:test";

import {
  badgeText,
  isUnread,
  isUrgent,
  notificationCursor,
  notificationLink,
  notificationText,
} from "../notifications_state.js";

test("unread is the one `read` field the REST list and the socket both send", () => {
  assert.equal(isUnread({ type: "like", read: false }), true);
  assert.equal(isUnread({ type: "like", read: true, read_at: "2026-01-01T00:00:00Z" }), false);
});

test("a notification says who did what", () => {
  assert.equal(notificationText({ type: "follow", actor: { id: 2, username: "bob" } }), "bob followed you");
  assert.equal(
    notificationText({ type: "like", actors: [{ username: "bob" }, { username: "carol" }] }),
    "bob, carol liked your post",
  );
  assert.equal(notificationText({ type: "item_processed" }), "Your item was processed");
  assert.equal(notificationText({ type: "like", text: "Custom" }), "Custom");
  assert.equal(notificationText({ type: "new_kind", actor: "bob" }), "bob new_kind");
});

test("a notification leads to the page of its target", () => {
  const bob = { username: "bob" };
  assert.equal(notificationLink({ type: "follow", target: { type: "user", username: "bob" } }, "me"), "/u/bob/");
  assert.equal(
    notificationLink({ type: "chat_message", target: { type: "message", conversation_id: 4 } }, "me"),
    "/chat/4/",
  );
  assert.equal(notificationLink({ type: "stream_started", target: { type: "stream", id: 7 } }, "me"), "/live/7/");
  assert.equal(notificationLink({ type: "item_processed", target: { type: "item", id: 1 } }, "me"), "/items/");
  assert.equal(notificationLink({ type: "like", actor: bob, target: { type: "post", id: 3 } }, "me"), "/p/3/");
  assert.equal(notificationLink({ type: "mention_post", actor: bob, target: { type: "post", id: 3 } }, "me"), "/p/3/");
  assert.equal(
    notificationLink({ type: "comment", actor: bob, target: { type: "comment", id: 8, post_id: 3 } }, "me"),
    "/p/3/#comment-8",
  );
  assert.equal(
    notificationLink({ type: "reply", actor: bob, target: { type: "comment", id: 9, post_id: 3 } }, "me"),
    "/p/3/#comment-9",
  );
  assert.equal(notificationLink({ type: "like", actor: bob, target: { type: "post" } }, "me"), null);
  assert.equal(notificationLink({ type: "other" }, "me"), null);
});

test("the badge caps at 99+ and names the count for screen readers", () => {
  assert.deepEqual(badgeText(0), { value: 0, text: "0", label: "Notifications" });
  assert.deepEqual(badgeText("3"), { value: 3, text: "3", label: "Notifications (3 unread)" });
  assert.deepEqual(badgeText(120).text, "99+");
  assert.equal(badgeText(-4).value, 0);
  assert.equal(badgeText(undefined).value, 0);
});

test("only notification frames advance the personal socket's resume cursor", () => {
  assert.equal(notificationCursor({ type: "new_notification", id: 5 }), 5);
  assert.equal(notificationCursor({ type: "new_notification", data: { id: 6 } }), 6);
  assert.equal(notificationCursor({ type: "notification_batch", data: { notifications: [{ id: 3 }, { id: 9 }] } }), 9);
  assert.equal(notificationCursor({ type: "notification_batch", data: { notifications: [] } }), undefined);
  assert.equal(notificationCursor({ type: "chat_update", id: 100 }), undefined);
  assert.equal(notificationCursor({ type: "unread_count", data: { count: 1 } }), undefined);
});

test("only high-priority notifications pop up as a toast", () => {
  assert.equal(isUrgent({ priority: "high" }), true);
  assert.equal(isUrgent({ priority: "medium" }), false);
  assert.equal(isUrgent({}), false);
});
