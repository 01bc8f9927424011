import { api, results } from "./api.js";
import { fillPosts, renderPost } from "./posts.js";
import { toast } from "./ui.js";

const form = document.getElementById("post-form");
const text = document.getElementById("post-text");
const feed = document.getElementById("feed");
const more = document.getElementById("feed-more");
let next = null;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = text.value.trim();
  if (!value) return;
  const button = form.querySelector("button[type=submit]");
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
  next = await fillPosts(feed, "/api/feed/", { limit: 20 }, "Nothing here yet. Follow people to see their posts, or write the first one.");
  more.hidden = !next;
} catch (err) {
  feed.replaceChildren();
  feed.append(Object.assign(document.createElement("li"), { className: "muted", textContent: `Could not load the feed: ${err.message}` }));
}
