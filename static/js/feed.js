// @ts-check
// The feed: write a post, read the posts of the people you follow. Live: a followed user's new
// post raises a "N new posts" banner (shown on click, so nothing moves while you read), counts
// and open threads follow the personal socket, and "Load more" pages with a cursor.
import { api, results } from "./api.js";
import { EVENTS } from "./constants.js";
import { PendingPosts, bannerText, nextCursor } from "./feed_state.js";
import { fillPosts, followLive, renderPost } from "./posts.js";
import { el, toast } from "./ui.js";

const PAGE_SIZE = 20;

/**
 * @param {HTMLElement} root  <main>
 * @param {{personal: import("./socket.js").Socket}} context
 */
export async function init(root, { personal }) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  const form = /** @type {HTMLFormElement} */ ($("post-form"));
  const text = /** @type {HTMLTextAreaElement} */ ($("post-text"));
  const feed = $("feed");
  const more = $("feed-more");
  const banner = /** @type {HTMLButtonElement} */ ($("feed-new"));
  const pending = new PendingPosts();
  /** @type {number | null} */
  let before = null;

  /** @param {any[]} posts */
  const shown = (posts) => posts.forEach((post) => pending.markShown(post.id));
  const renderBanner = () => {
    banner.hidden = pending.count === 0;
    banner.textContent = `${bannerText(pending.count)} · show`;
  };

  followLive(personal);
  personal.on(EVENTS.POST_CREATED, (data) => {
    if (pending.announce(data.id)) renderBanner();
  });

  banner.addEventListener("click", async () => {
    const ids = pending.take();
    renderBanner();
    if (!ids.length) return;
    try {
      // The newest page holds every announced post unless more than a page came in meanwhile.
      const data = await api("/api/feed/", { params: { limit: Math.max(ids.length, PAGE_SIZE) } });
      const fresh = results(data).filter((post) => ids.includes(post.id));
      feed.querySelector(".empty")?.remove();
      for (const post of fresh.reverse()) feed.prepend(renderPost(post));
      shown(fresh);
      feed.querySelector(".post")?.scrollIntoView({ block: "start" });
    } catch {
      /* shown by api() */
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));
    button.disabled = true;
    try {
      const post = await api("/api/posts/", { method: "POST", body: { text: value } });
      pending.markShown(post.id);
      renderBanner();
      feed.querySelector(".empty")?.remove();
      feed.prepend(renderPost(post));
      text.value = "";
      toast("Posted.");
    } catch {
      /* shown by api() */
    } finally {
      button.disabled = false;
    }
  });

  more.addEventListener("click", async () => {
    if (before === null) return;
    const data = await api("/api/feed/", { params: { limit: PAGE_SIZE, before } });
    const posts = results(data);
    for (const post of posts) feed.append(renderPost(post));
    shown(posts);
    before = nextCursor(posts, Boolean(data.next));
    more.hidden = before === null;
  });

  try {
    const { posts, hasMore } = await fillPosts(
      feed,
      "/api/feed/",
      { limit: PAGE_SIZE },
      "Nothing here yet. Follow people to see their posts, or write the first one.",
    );
    shown(posts);
    before = nextCursor(posts, hasMore);
    more.hidden = before === null;
  } catch (err) {
    feed.replaceChildren(el("li", { class: "muted" }, `Could not load the feed: ${err.message}`));
  }
}
