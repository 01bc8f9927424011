import assert from "node:assert/strict";
import { test } from "node:test";

import { configure } from "../constants.js";
import { Lobby, NOT_FOUND_TEXT, closeText, errorEnding, removedText } from "../room_state.js";

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
