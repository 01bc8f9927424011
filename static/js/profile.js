// @ts-check
// A profile: name, bio, counts, follow / message buttons, and the user's posts.
import { api } from "./api.js";
import { fillPosts, followLive } from "./posts.js";
import { el, plural, toast } from "./ui.js";

/**
 * The first of `keys` that `obj` has (the API's field names differ between endpoints).
 * @param {Record<string, any>} obj
 * @param {...string} keys
 */
const first = (obj, ...keys) => keys.map((k) => obj[k]).find((v) => v !== undefined && v !== null);

/**
 * @param {HTMLElement} root  <main>
 * @param {{personal: import("./socket.js").Socket}} context
 */
export async function init(root, { personal }) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  const username = /** @type {string} */ ($("profile").dataset.username);
  const followButton = /** @type {HTMLButtonElement | null} */ (root.querySelector("#follow-button"));
  const messageButton = /** @type {HTMLButtonElement | null} */ (root.querySelector("#message-button"));
  let following = false;

  function renderFollow() {
    if (!followButton) return;
    followButton.textContent = following ? "Unfollow" : "Follow";
    followButton.className = following ? "secondary" : "primary";
    followButton.setAttribute("aria-pressed", String(following));
  }

  /** @param {number} count */
  function setFollowers(count) {
    const node = $("profile-followers");
    node.dataset.count = String(count);
    node.textContent = plural(count, "follower");
  }

  async function loadProfile() {
    const user = await api(`/api/users/${encodeURIComponent(username)}/`);
    $("profile-name").textContent = user.display_name || user.name || user.username;
    $("profile-bio").textContent = user.bio || "";
    setFollowers(Number(first(user, "followers_count", "follower_count", "followers") ?? 0));
    $("profile-following").textContent = first(user, "following_count", "followings_count", "following") ?? "–";
    following = Boolean(first(user, "is_following", "followed_by_me", "following_by_me"));
    renderFollow();
    if (followButton) followButton.disabled = false;
    return user;
  }

  followButton?.addEventListener("click", async () => {
    followButton.disabled = true;
    try {
      await api(`/api/users/${encodeURIComponent(username)}/follow/`, { method: following ? "DELETE" : "POST" });
      following = !following;
      renderFollow();
      toast(following ? `You follow ${username}.` : `You unfollowed ${username}.`);
      const n = Number($("profile-followers").dataset.count);
      if (!Number.isNaN(n)) setFollowers(n + (following ? 1 : -1));
    } catch {
      /* shown by api() */
    } finally {
      followButton.disabled = false;
    }
  });

  messageButton?.addEventListener("click", async () => {
    messageButton.disabled = true;
    try {
      const conversation = await api("/api/chat/conversations/", { method: "POST", body: { user: username } });
      location.href = `/chat/${conversation.id}/`;
    } catch {
      messageButton.disabled = false;
    }
  });

  followLive(personal);
  const posts = $("profile-posts");
  try {
    const user = await loadProfile();
    await fillPosts(posts, "/api/posts/", { author: user.username, limit: 20 }, "No posts yet.");
  } catch (err) {
    posts.replaceChildren(el("li", { class: "muted" }, err.message));
  }
}
