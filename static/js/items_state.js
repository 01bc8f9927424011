// @ts-check
// The items list's rules, without the DOM.

/**
 * @typedef {{id: number, title?: string, description?: string, status?: string, updated_at?: string,
 *   owner_username?: string}} Item
 */

/** The statuses a person sets (the others are the worker's). */
export const USER_STATUSES = Object.freeze(["active", "inactive", "pending"]);

/**
 * Whose item it is, said only when it is not mine (staff see everyone's items).
 * @param {Item} item
 * @param {string} myName
 * @returns {string | null}
 */
export function ownerLabel(item, myName) {
  return item.owner_username && item.owner_username !== myName ? `Owner: ${item.owner_username}` : null;
}

/** Statuses during which "Process" is pointless. */
const BUSY = new Set(["queued", "processing"]);

/** @param {Item} item */
export function isBusy(item) {
  return BUSY.has(item.status || "");
}

/**
 * What to show after `patch` (a REST answer or an event, possibly partial) arrives:
 * null when the row is not shown and the filter hides it.
 * @param {Item | undefined} existing  the row on screen
 * @param {Item} patch
 * @param {string} filter  the status filter ("" = all)
 * @returns {Item | null}
 */
export function mergeItem(existing, patch, filter) {
  // An answer that left the server before a live update it races with is older: the live one stays.
  // (Under `make run` the task starts while the "Process" request is still answering.)
  if (existing && isOlder(patch, existing)) return existing;
  const merged = existing ? { ...existing, ...patch } : patch;
  if (filter && merged.status !== filter && !existing) return null;
  return merged;
}

/** @param {number} count */
export function countText(count) {
  return `${count} item${count === 1 ? "" : "s"} shown`;
}

/**
 * Five titles for "Create 5 items (bulk)".
 * @param {string} stamp
 */
export function bulkItems(stamp) {
  return Array.from({ length: 5 }, (_, i) => ({ title: `Bulk item ${i + 1} (${stamp})`, status: "active" }));
}

/**
 * @param {Item} a
 * @param {Item} b
 */
function isOlder(a, b) {
  if (!a.updated_at || !b.updated_at) return false;
  return new Date(a.updated_at).getTime() < new Date(b.updated_at).getTime();
}
