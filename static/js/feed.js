// @ts-check
// The feed: write a post, read the posts of the people you follow.
import { api, results } from "./api.js";
import { fillPosts, renderPost } from "./posts.js";
import { el, toast } from "./ui.js";

/** @param {HTMLElement} root  <main> */
export async function init(root) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  const form = /** @type {HTMLFormElement} */ ($("post-form"));
  const text = /** @type {HTMLTextAreaElement} */ ($("post-text"));
  const feed = $("feed");
  const more = $("feed-more");
  /** @type {string | null} */
  let next = null;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));
    button.disabled = true;
    try {
      const post = await api("/api/posts/", { method: "POST", body: { text: value } });
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
    if (!next) return;
    const data = await api(next);
    for (const post of results(data)) feed.append(renderPost(post));
    next = data.next;
    more.hidden = !next;
  });

  try {
    next = await fillPosts(
      feed,
      "/api/feed/",
      { limit: 20 },
      "Nothing here yet. Follow people to see their posts, or write the first one.",
    );
    more.hidden = !next;
  } catch (err) {
    feed.replaceChildren(el("li", { class: "muted" }, `Could not load the feed: ${err.message}`));
  }
}
