// @ts-check
// One post with its thread open (/p/<id>/, where notifications lead); `#comment-<id>` brings that
// comment into view. Counts and the thread stay live like the feed's.
import { api } from "./api.js";
import { followLive, renderPost } from "./posts.js";
import { el } from "./ui.js";

/**
 * @param {HTMLElement} root  <main>
 * @param {{personal: import("./socket.js").Socket}} context
 */
export async function init(root, { personal }) {
  const page = /** @type {HTMLElement} */ (root.querySelector("#post-page"));
  const list = /** @type {HTMLElement} */ (root.querySelector("#post"));
  const match = /^#comment-(\d+)$/.exec(location.hash);
  followLive(personal);
  try {
    const post = await api(`/api/posts/${page.dataset.postId}/`);
    list.replaceChildren(renderPost(post, { open: true, highlight: match ? Number(match[1]) : null }));
  } catch (err) {
    list.replaceChildren(el("li", { class: "muted" }, `Could not load the post: ${err.message}`));
  }
}
