import assert from "node:assert/strict";
import { test } from "node:test";

import { bulkItems, countText, isBusy, mergeItem, ownerLabel } from "../items_state.js";

test("a partial update merges into the row on screen", () => {
  const row = { id: 1, title: "A", status: "active" };
  assert.deepEqual(mergeItem(row, { id: 1, status: "processing" }, ""), { id: 1, title: "A", status: "processing" });
});

test("a new item hidden by the status filter is not shown; a shown one stays when its status changes", () => {
  assert.equal(mergeItem(undefined, { id: 2, status: "active" }, "pending"), null);
  assert.deepEqual(mergeItem(undefined, { id: 2, status: "pending" }, "pending"), { id: 2, status: "pending" });
  assert.deepEqual(mergeItem({ id: 2, status: "pending" }, { id: 2, status: "active" }, "pending"), {
    id: 2,
    status: "active",
  });
});

test("queued and processing items cannot be processed again", () => {
  assert.equal(isBusy({ id: 1, status: "queued" }), true);
  assert.equal(isBusy({ id: 1, status: "processing" }), true);
  assert.equal(isBusy({ id: 1, status: "processed" }), false);
});

test("counts and bulk titles", () => {
  assert.equal(countText(1), "1 item shown");
  assert.equal(countText(0), "0 items shown");
  const items = bulkItems("12:00");
  assert.equal(items.length, 5);
  assert.deepEqual(items[4], { title: "Bulk item 5 (12:00)", status: "active" });
});

test("the owner is named only on someone else's item", () => {
  assert.equal(ownerLabel({ id: 1, owner_username: "bob" }, "staff"), "Owner: bob");
  assert.equal(ownerLabel({ id: 1, owner_username: "staff" }, "staff"), null);
  assert.equal(ownerLabel({ id: 1 }, "staff"), null);
});

test("a stale answer does not undo a newer live status", () => {
  const live = { id: 1, status: "processing", updated_at: "2026-11-30T14:00:01.000Z" };
  const answer = { id: 1, status: "queued", updated_at: "2026-11-30T14:00:00.500Z" };
  assert.deepEqual(mergeItem(live, answer, ""), live);
  const done = { id: 1, status: "processed", updated_at: "2026-11-30T14:00:02.000Z" };
  assert.equal(mergeItem(live, done, "")?.status, "processed");
  assert.equal(mergeItem(live, { id: 1, status: "queued" }, "")?.status, "queued"); // no time: applied
});
