import { api } from "./api.js";
import { fillPosts } from "./posts.js";
import { toast } from "./ui.js";

const root = document.getElementById("profile");
const username = root.dataset.username;
const followButton = document.getElementById("follow-button");
const messageButton = document.getElementById("message-button");
let following = false;

const first = (obj, ...keys) => keys.map((k) => obj[k]).find((v) => v !== undefined && v !== null);

function renderFollow() {
  if (!followButton) return;
  followButton.textContent = following ? "Unfollow" : "Follow";
  followButton.className = following ? "secondary" : "primary";
  followButton.setAttribute("aria-pressed", String(following));
}

async function loadProfile() {
  const user = await api(`/api/users/${encodeURIComponent(username)}/`);
  document.getElementById("profile-name").textContent = user.display_name || user.name || user.username;
  document.getElementById("profile-bio").textContent = user.bio || "";
  document.getElementById("profile-followers").textContent = first(user, "followers_count", "follower_count", "followers") ?? "–";
  document.getElementById("profile-following").textContent = first(user, "following_count", "followings_count", "following") ?? "–";
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
    const counter = document.getElementById("profile-followers");
    const n = Number(counter.textContent);
    if (!Number.isNaN(n)) counter.textContent = String(n + (following ? 1 : -1));
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

const posts = document.getElementById("profile-posts");
try {
  const user = await loadProfile();
  await fillPosts(posts, "/api/posts/", { author: user.username, limit: 20 }, "No posts yet.");
} catch (err) {
  posts.replaceChildren(Object.assign(document.createElement("li"), { className: "muted", textContent: err.message }));
}
