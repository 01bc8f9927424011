import assert from "node:assert/strict";
import { test } from "node:test";

import { CLOSE, LIMITS, configure, fatalCloseCodes } from "../constants.js";
import { Subscriptions, backoffDelay, wsUrl } from "../socket.js";

test("handlers receive the data and the frame of their type only, and off stops them", () => {
  const subs = new Subscriptions();
  const seen = [];
  const fn = (data, frame) => seen.push([frame.type, data]);
  subs.on("chat_message", fn);
  subs.on("typing", (data) => seen.push(["typing", data]));
  subs.dispatch({ type: "chat_message", id: 4, data: { text: "hi" } });
  subs.dispatch({ type: "other", data: {} });
  subs.dispatch({ type: "typing" });
  subs.off("chat_message", fn);
  subs.dispatch({ type: "chat_message", data: { text: "again" } });
  assert.deepEqual(seen, [
    ["chat_message", { text: "hi" }],
    ["typing", {}],
  ]);
});

test("on returns an unsubscribe function; a failing handler does not stop the others", (t) => {
  const subs = new Subscriptions();
  const seen = [];
  t.mock.method(console, "error", () => {});
  subs.on("x", () => {
    throw new Error("boom");
  });
  const off = subs.on("x", () => seen.push(1));
  subs.dispatch({ type: "x" });
  off();
  subs.dispatch({ type: "x" });
  assert.deepEqual(seen, [1]);
  assert.equal(console.error.mock.callCount(), 2);
});

test("the socket url follows the page's scheme and carries the resume cursor", () => {
  assert.equal(
    wsUrl("/ws/chat/7/", 41, undefined, "https://pulse.example/chat/7/"),
    "wss://pulse.example/ws/chat/7/?after=41",
  );
  assert.equal(wsUrl("/ws/x/", null, { a: "b" }, "http://localhost:8000/"), "ws://localhost:8000/ws/x/?a=b");
  assert.equal(wsUrl("/ws/x/", 0, undefined, "http://localhost/"), "ws://localhost/ws/x/?after=0");
});

test("reconnect delays double from half a second up to 30 s, with equal jitter", () => {
  // [attempt, Math.random() result, delay in ms]
  const cases = [
    [0, 0, 250],
    [0, 1, 500],
    [3, 1, 4000],
    [20, 1, 30000],
    [20, 0, 15000],
  ];
  for (const [attempt, random, delay] of cases) {
    assert.equal(
      backoffDelay(attempt, () => random),
      delay,
      `attempt ${attempt}, random ${random}`,
    );
  }
});

test("close codes and limits come from the page's data- attributes", () => {
  configure({
    closeCodes: JSON.stringify({
      NORMAL: 1000,
      UNAUTHENTICATED: 4401,
      FORBIDDEN: 4403,
      NOT_FOUND: 4404,
      GONE: 4410,
      FULL: 4413,
      TOO_MANY: 4429,
    }),
    chatMaxMessageLength: "4000",
    chatTypingTimeoutMs: "3000",
    roomIdPattern: "[a-z]{1,3}",
  });
  assert.equal(CLOSE.FORBIDDEN, 4403);
  assert.equal(LIMITS.chatMaxMessageLength, 4000);
  assert.equal(LIMITS.chatTypingTimeoutMs, 3000);
  assert.equal(LIMITS.roomIdPattern, "[a-z]{1,3}");
  assert.deepEqual([...fatalCloseCodes()].sort(), [4401, 4403, 4404, 4410, 4413]);
  assert.equal(fatalCloseCodes().has(4429), false);
});
