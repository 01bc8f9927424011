import assert from "node:assert/strict";
import { test } from "node:test";

import { PendingPosts, bannerText, commentsLabel, nextCursor } from "../feed_state.js";

test("a post already on the page or announced twice does not raise the banner", () => {
  const pending = new PendingPosts();
  pending.markShown(1);
  assert.equal(pending.announce(1), false);
  assert.equal(pending.announce(2), true);
  assert.equal(pending.announce(2), false);
  assert.equal(pending.announce(3), true);
  assert.equal(pending.count, 2);
  assert.deepEqual(pending.take(), [2, 3]);
  assert.equal(pending.count, 0);
  pending.markShown(4);
  assert.equal(pending.announce(4), false);
});

test("the banner and the comment button count in words", () => {
  assert.equal(bannerText(1), "1 new post");
  assert.equal(bannerText(3), "3 new posts");
  assert.equal(commentsLabel(0), "0 comments");
  assert.equal(commentsLabel(1), "1 comment");
});

test("the next page starts after the last post shown, and only if there is one", () => {
  assert.equal(nextCursor([{ id: 9 }, { id: 5 }], true), 5);
  assert.equal(nextCursor([{ id: 9 }, { id: 5 }], false), null);
  assert.equal(nextCursor([], true), null);
});
