// @ts-check
// The live feed's rules, without the DOM: which announced posts are new to this page, what the
// banner says, and the cursor of the next page.

/**
 * Posts announced by `post_created` but not shown yet: the banner counts them, a click shows them.
 */
export class PendingPosts {
  constructor() {
    /** @type {Set<number>} */
    this.shown = new Set();
    /** @type {Set<number>} */
    this.waiting = new Set();
  }

  /** @param {number} id  a post on the page (rendered from a page load, a click, or written here) */
  markShown(id) {
    this.shown.add(id);
    this.waiting.delete(id);
  }

  /**
   * @param {number} id  from `post_created`
   * @returns {boolean} whether the banner changes
   */
  announce(id) {
    if (this.shown.has(id) || this.waiting.has(id)) return false;
    this.waiting.add(id);
    return true;
  }

  get count() {
    return this.waiting.size;
  }

  /** The ids to fetch and show now; the banner goes away. */
  take() {
    const ids = [...this.waiting];
    this.waiting.clear();
    return ids;
  }
}

/** @param {number} count */
export function bannerText(count) {
  return count === 1 ? "1 new post" : `${count} new posts`;
}

/**
 * The next page after `posts` (newest first): the cursor is the last post's id, or null when the
 * server said there is no next page.
 * @param {{id: number}[]} posts
 * @param {boolean} hasMore
 * @returns {number | null}
 */
export function nextCursor(posts, hasMore) {
  return hasMore && posts.length ? posts[posts.length - 1].id : null;
}

/** @param {number} count */
export function commentsLabel(count) {
  return `${count} comment${count === 1 ? "" : "s"}`;
}
