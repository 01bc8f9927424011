import assert from "node:assert/strict";
import { test } from "node:test";

import { configure } from "../constants.js";
import * as room from "../room_state.js";

configure({ closeCodes: JSON.stringify({ FORBIDDEN: 4403, NOT_FOUND: 4404, GONE: 4410, FULL: 4413 }) });

test("a close says why the room ended, by code", () => {
  assert.equal(room.closeText(4404), room.NOT_FOUND_TEXT);
  assert.equal(room.closeText(4410), "The owner closed this room.");
  assert.equal(room.closeText(4413), "The room is full.");
  assert.equal(room.closeText(4403), "You can't join this room.");
  assert.equal(room.closeText(1006), "Disconnected from the room (1006).");
});

test("removed and error frames end the visit with their own message; other errors do not", () => {
  assert.equal(room.removedText("banned"), "You were banned from this room by its owner.");
  assert.equal(room.removedText("kicked"), "You were removed from this room by its owner.");
  assert.equal(room.removedText(undefined), "You were removed from this room.");
  assert.equal(room.errorEnding("room_not_found", "alice"), room.NOT_FOUND_TEXT);
  assert.equal(room.errorEnding("invalid_room", "alice"), room.NOT_FOUND_TEXT);
  assert.equal(room.errorEnding("lobby_denied", "alice"), "alice did not let you in.");
  assert.equal(room.errorEnding("room_full", "alice"), "The room is full.");
  assert.equal(room.errorEnding("rate_limited", "alice"), null);
});

test("the lobby keeps one entry per knocking user", () => {
  const lobby = new room.Lobby();
  lobby.reset([{ user: { id: 2, username: "bob" }, since: "t1" }, { user: { username: "nobody" } }]);
  assert.deepEqual([...lobby.waiting.keys()], [2]);
  lobby.knock({ user: { id: 3, username: "carol" } }, "now");
  lobby.knock({ user: { id: 2, username: "bob" }, since: "t2" }, "now");
  assert.deepEqual(lobby.waiting.get(3), { user: { id: 3, username: "carol" }, since: "now" });
  assert.equal(lobby.waiting.get(2)?.since, "t2");
  lobby.answered(2);
  assert.deepEqual([...lobby.waiting.keys()], [3]);
});

test("one politeness rule: the larger peer id yields, and exactly one side of a pair is polite", () => {
  assert.equal(room.isPolite("b", "a"), true);
  assert.equal(room.isPolite("a", "b"), false);
  assert.notEqual(room.isPolite("9f1c", "0a2b"), room.isPolite("0a2b", "9f1c"));
});

test("chat goes direct only when every participant has an open data channel", () => {
  const open = { channel: { readyState: "open" } };
  assert.equal(room.chatPath([]), null);
  assert.equal(room.chatPath([open, open]), "direct");
  assert.equal(room.chatPath([open, { channel: { readyState: "connecting" } }]), "server");
  assert.equal(room.chatPath([open, { channel: null }]), "server");
});

test("room messages: chat text, a media state, a seed client's bare string, or nothing", () => {
  assert.deepEqual(room.parseRoomMessage('{"text":"hi"}'), { text: "hi" });
  assert.deepEqual(room.parseRoomMessage({ text: "hi" }), { text: "hi" });
  assert.deepEqual(room.parseRoomMessage("plain words"), { text: "plain words" });
  assert.deepEqual(room.parseRoomMessage({ media: { microphone: false, camera: 1 } }), {
    media: { microphone: false, camera: true, screen: false },
  });
  assert.deepEqual(room.parseRoomMessage({ muted: true }), {});
  assert.deepEqual(room.parseRoomMessage(null), {});
});
