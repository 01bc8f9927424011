import assert from "node:assert/strict";
import { test } from "node:test";

import { configure } from "../constants.js";
import {
  Lobby,
  NOT_FOUND_TEXT,
  chatPath,
  closeText,
  errorEnding,
  isPolite,
  parseRoomMessage,
  removedText,
} from "../room_state.js";

configure({ closeCodes: JSON.stringify({ FORBIDDEN: 4403, NOT_FOUND: 4404, GONE: 4410, FULL: 4413 }) });

test("a close says why the room ended, by code", () => {
  assert.equal(closeText(4404), NOT_FOUND_TEXT);
  assert.equal(closeText(4410), "The owner closed this room.");
  assert.equal(closeText(4413), "The room is full.");
  assert.equal(closeText(4403), "You can't join this room.");
  assert.equal(closeText(1006), "Disconnected from the room (1006).");
});

test("removed and error frames end the visit with their own message; other errors do not", () => {
  assert.equal(removedText("banned"), "You were banned from this room by its owner.");
  assert.equal(removedText("kicked"), "You were removed from this room by its owner.");
  assert.equal(removedText(undefined), "You were removed from this room.");
  assert.equal(errorEnding("room_not_found", "alice"), NOT_FOUND_TEXT);
  assert.equal(errorEnding("invalid_room", "alice"), NOT_FOUND_TEXT);
  assert.equal(errorEnding("lobby_denied", "alice"), "alice did not let you in.");
  assert.equal(errorEnding("room_full", "alice"), "The room is full.");
  assert.equal(errorEnding("rate_limited", "alice"), null);
});

test("the lobby keeps one entry per knocking user", () => {
  const lobby = new Lobby();
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
  assert.equal(isPolite("b", "a"), true);
  assert.equal(isPolite("a", "b"), false);
  assert.notEqual(isPolite("9f1c", "0a2b"), isPolite("0a2b", "9f1c"));
});

test("chat goes direct only when every participant has an open data channel", () => {
  const open = { channel: { readyState: "open" } };
  assert.equal(chatPath([]), null);
  assert.equal(chatPath([open, open]), "direct");
  assert.equal(chatPath([open, { channel: { readyState: "connecting" } }]), "server");
  assert.equal(chatPath([open, { channel: null }]), "server");
});

test("room messages: chat text, a media state, a seed client's bare string, or nothing", () => {
  assert.deepEqual(parseRoomMessage('{"text":"hi"}'), { text: "hi" });
  assert.deepEqual(parseRoomMessage({ text: "hi" }), { text: "hi" });
  assert.deepEqual(parseRoomMessage("plain words"), { text: "plain words" });
  assert.deepEqual(parseRoomMessage({ media: { microphone: false, camera: 1 } }), {
    media: { microphone: false, camera: true, screen: false },
  });
  assert.deepEqual(parseRoomMessage({ muted: true }), {});
  assert.deepEqual(parseRoomMessage(null), {});
});
