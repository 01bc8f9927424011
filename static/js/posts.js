// @ts-check
// Rendering of a post with likes and threaded comments (feed and profile pages).
import { api, results } from "./api.js";
import { EVENTS, LIMITS } from "./constants.js";
import { commentsLabel } from "./feed_state.js";
import { el, richText, timeAgo, userName } from "./ui.js";

/**
 * Every post rendered on this page, by id (a post can be on a page once per list): what a live
 * `post_counts` or `comment_added` updates.
 * @typedef {{setCounts: (likes: number, comments: number) => void, addLive: (comment: any) => void}} PostView
 * @type {Map<number, Set<PostView>>}
 */
const rendered = new Map();

/**
 * Live counts and comments for every post on the page, from the personal socket (social events).
 * @param {import("./socket.js").Socket} personal
 */
export function followLive(personal) {
  personal.on(EVENTS.POST_COUNTS, (data) => {
    for (const view of rendered.get(data.id) || []) view.setCounts(data.likes_count, data.comments_count);
  });
  personal.on(EVENTS.COMMENT_ADDED, (data) => {
    for (const view of rendered.get(data.post) || []) view.addLive(data);
  });
}

const first = (obj, ...keys) => {
  for (const key of keys) if (obj && obj[key] !== undefined && obj[key] !== null) return obj[key];
  return undefined;
};

function authorLink(user) {
  const name = userName(user);
  const username = (user && user.username) || name;
  return el("a", { href: `/u/${encodeURIComponent(username)}/`, class: "author" }, name);
}

function renderComment(comment, post, thread) {
  const li = el(
    "li",
    { class: "comment", id: `comment-${comment.id}`, tabindex: "-1", dataset: { id: comment.id } },
    el("div", {}, authorLink(comment.author || comment.user), " ", richText(comment.text)),
    el("div", { class: "meta" }, el("time", { datetime: comment.created_at }, timeAgo(comment.created_at)), " "),
  );
  if (!first(comment, "parent", "parent_id")) {
    const reply = el(
      "button",
      { type: "button", class: "link-button", "aria-label": `Reply to ${userName(comment.author)}` },
      "Reply",
    );
    reply.addEventListener("click", () => {
      thread.replyTo = comment.id;
      thread.input.placeholder = `Reply to ${userName(comment.author)}…`;
      thread.input.focus();
    });
    li.querySelector(".meta").append(reply);
    li.append(el("ol", { class: "replies" }));
  }
  return li;
}

/** @returns {boolean} whether it was new to the list */
function addComment(list, comment, post, thread) {
  // The answer to my POST and the live `comment_added` may both bring it.
  if (list.querySelector(`li.comment[data-id="${comment.id}"]`)) return false;
  const parentId = first(comment, "parent", "parent_id");
  const parentNode = parentId && list.querySelector(`li.comment[data-id="${parentId}"] > ol.replies`);
  const node = renderComment(comment, post, thread);
  (parentNode || list).append(node);
  return true;
}

/**
 * @param {any} post
 * @param {{open?: boolean, highlight?: number | null}} [options]  open its comments; bring one comment into view
 */
export function renderPost(post, { open = false, highlight = null } = {}) {
  let liked = Boolean(first(post, "liked", "is_liked", "liked_by_me", "has_liked"));
  let likes = Number(first(post, "like_count", "likes_count", "likes") || 0);
  let commentCount = Number(first(post, "comment_count", "comments_count") || 0);

  const likeButton = el("button", { type: "button", class: "link-button like" });
  const renderLike = () => {
    // Seen: "♥ 3"; heard: "Unlike (3 likes)", from the content (no aria-label to disagree with the text).
    likeButton.replaceChildren(
      el("span", { "aria-hidden": "true" }, `${liked ? "♥" : "♡"} ${likes}`),
      el("span", { class: "sr-only" }, `${liked ? "Unlike" : "Like"} (${likes} likes)`),
    );
    likeButton.setAttribute("aria-pressed", String(liked));
  };
  renderLike();
  likeButton.addEventListener("click", async () => {
    const method = liked ? "DELETE" : "POST";
    liked = !liked;
    likes += liked ? 1 : -1;
    renderLike();
    try {
      const data = await api(`/api/posts/${post.id}/like/`, { method });
      const count = first(data || {}, "like_count", "likes_count");
      if (count !== undefined) {
        likes = Number(count);
        renderLike();
      }
    } catch {
      liked = !liked;
      likes += liked ? 1 : -1;
      renderLike();
    }
  });

  const commentsBox = el("div", { class: "comments-box", hidden: true });
  const commentList = el("ol", { class: "comment-list" });
  const input = el("input", {
    type: "text",
    placeholder: "Write a comment… (@mention people)",
    required: true,
    maxlength: LIMITS.commentMaxLength,
  });
  const inputId = `comment-text-${post.id}`; // not comment-<id>: that is a comment's anchor
  input.id = inputId;
  const thread = { replyTo: null, input };
  const form = el(
    "form",
    { class: "composer" },
    el("label", { for: inputId, class: "sr-only" }, "Comment"),
    input,
    el("button", { type: "submit", class: "secondary" }, "Comment"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { text: input.value.trim() };
    if (!body.text) return;
    if (thread.replyTo) body.parent = thread.replyTo;
    try {
      const comment = await api(`/api/posts/${post.id}/comments/`, { method: "POST", body });
      // Counted here unless `comment_added` brought it first (then its `post_counts` has counted it).
      if (addComment(commentList, { parent: thread.replyTo, ...comment }, post, thread)) {
        commentCount += 1;
        renderToggle();
      }
      input.value = "";
      thread.replyTo = null;
      input.placeholder = "Write a comment… (@mention people)";
    } catch {
      /* shown by api() */
    }
  });
  commentsBox.append(commentList, form);

  let loadedComments = false;
  const toggle = el("button", { type: "button", class: "link-button comments-toggle", "aria-expanded": "false" });
  const renderToggle = () => {
    toggle.textContent = commentsLabel(commentCount);
  };
  renderToggle();
  const showComments = async () => {
    commentsBox.hidden = !commentsBox.hidden;
    toggle.setAttribute("aria-expanded", String(!commentsBox.hidden));
    if (!commentsBox.hidden && !loadedComments) {
      loadedComments = true;
      try {
        const data = await api(`/api/posts/${post.id}/comments/`, { params: { limit: 100 } });
        const all = results(data);
        // Top-level first so replies find their parent.
        const flat = [];
        for (const c of all) {
          flat.push(c);
          for (const r of c.replies || []) flat.push({ parent: c.id, ...r });
        }
        flat.sort(
          (a, b) => Number(Boolean(first(a, "parent", "parent_id"))) - Number(Boolean(first(b, "parent", "parent_id"))),
        );
        for (const c of flat) addComment(commentList, c, post, thread);
        const target = highlight && commentList.querySelector(`li.comment[data-id="${highlight}"]`);
        if (target) {
          target.classList.add("highlight");
          target.scrollIntoView({ block: "center" });
          /** @type {HTMLElement} */ (target).focus({ preventScroll: true });
        }
      } catch {
        loadedComments = false;
      }
    }
  };
  toggle.addEventListener("click", showComments);
  if (open) showComments();

  /** @type {PostView} */
  const view = {
    setCounts(likeCount, comments) {
      likes = likeCount;
      renderLike();
      commentCount = comments;
      renderToggle();
    },
    addLive(comment) {
      if (loadedComments) addComment(commentList, comment, post, thread);
    },
  };
  if (!rendered.has(post.id)) rendered.set(post.id, new Set());
  rendered.get(post.id).add(view);

  return el(
    "li",
    { class: "post card", dataset: { id: post.id } },
    el(
      "div",
      { class: "post-head" },
      authorLink(post.author || post.user),
      el("time", { class: "muted", datetime: post.created_at }, timeAgo(post.created_at)),
    ),
    el("p", { class: "post-text" }, richText(post.text)),
    el("div", { class: "post-actions" }, likeButton, toggle),
    commentsBox,
  );
}

/**
 * Fills `list` from a paginated endpoint.
 * @returns {Promise<{posts: any[], hasMore: boolean}>} what was shown, and whether a next page exists
 */
export async function fillPosts(list, url, params, emptyText) {
  const data = await api(url, { params });
  list.replaceChildren();
  const posts = results(data);
  for (const post of posts) list.append(renderPost(post));
  if (!posts.length) list.append(el("li", { class: "muted empty" }, emptyText));
  return { posts, hasMore: Boolean(data && data.next) };
}
