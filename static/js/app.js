// Loaded on every page for a logged-in user: the personal socket
// (/ws/notifications/), the notifications bell and the connection indicator.
// Pages listen to `personal` for chat_update / item_updated / ... frames.
import { api, results } from "./api.js";
import { openSocket } from "./socket.js";
import { el, me, timeAgo, userName } from "./ui.js";

export const personal = new EventTarget();

const bellButton = document.getElementById("bell-button");
const bellPanel = document.getElementById("bell-panel");
const bellCount = document.getElementById("bell-count");
const bellList = document.getElementById("bell-list");
const markAllButton = document.getElementById("bell-mark-all");

const loaded = new Map(); // notification id -> <li>, once the dropdown has been opened
let listLoaded = false;

function setCount(count) {
  const value = Math.max(0, Number(count) || 0);
  bellCount.dataset.count = String(value);
  bellCount.textContent = value > 99 ? "99+" : String(value);
  bellCount.hidden = value === 0;
  bellButton.setAttribute("aria-label", value ? `Notifications (${value} unread)` : "Notifications");
}

function notificationText(n) {
  if (n.text) return n.text;
  const who = n.actors && n.actors.length ? n.actors.map(userName).join(", ") : userName(n.actor);
  const verbs = {
    follow: "followed you",
    follow_back: "followed you back",
    like: "liked your post",
    comment: "commented on your post",
    reply: "replied to your comment",
    mention_post: "mentioned you in a post",
    mention_comment: "mentioned you in a comment",
    chat_message: "sent you a message",
    stream_started: "went live",
    item_processed: "Your item was processed",
  };
  return n.type === "item_processed" ? verbs.item_processed : `${who} ${verbs[n.type] || n.type}`;
}

// The page a notification leads to. Targets carry API urls; map them to pages.
function notificationLink(n) {
  const target = n.target || {};
  const actor = n.actor && n.actor.username;
  switch (target.type) {
    case "user":
      return target.username ? `/u/${encodeURIComponent(target.username)}/` : null;
    case "message":
      return target.conversation_id ? `/chat/${target.conversation_id}/` : "/chat/";
    case "stream":
      return target.id ? `/live/${target.id}/` : "/live/";
    case "item":
      return "/items/";
    case "post":
      // Likes and comments are on my posts; a mention is in the actor's post.
      return n.type === "mention_post" && actor ? `/u/${encodeURIComponent(actor)}/` : `/u/${encodeURIComponent(me.username)}/`;
    case "comment":
      return n.type === "comment" ? `/u/${encodeURIComponent(me.username)}/` : actor ? `/u/${encodeURIComponent(actor)}/` : null;
    default:
      return actor ? `/u/${encodeURIComponent(actor)}/` : null;
  }
}

function isUnread(n) {
  if ("is_read" in n) return !n.is_read;
  if ("read" in n) return !n.read;
  return !n.read_at;
}

function renderNotification(n) {
  const link = notificationLink(n);
  const li = el(
    "li",
    { class: `bell-item${isUnread(n) ? " unread" : ""}`, dataset: { id: n.id } },
    el(
      "button",
      {
        type: "button",
        class: "bell-item-button",
        onclick: async () => {
          if (li.classList.contains("unread")) {
            li.classList.remove("unread");
            try {
              await api(`/api/notifications/${n.id}/read/`, { method: "POST" });
            } catch {
              li.classList.add("unread");
              return;
            }
          }
          if (link) location.href = link;
        },
      },
      el("span", { class: "bell-text" }, notificationText(n)),
      el("time", { class: "muted", datetime: n.created_at }, timeAgo(n.created_at)),
    ),
  );
  return li;
}

function addNotification(n, { prepend = true } = {}) {
  if (!listLoaded || n.id === undefined || loaded.has(n.id)) return;
  const li = renderNotification(n);
  loaded.set(n.id, li);
  bellList.querySelector(".muted:only-child")?.remove();
  if (prepend) bellList.prepend(li);
  else bellList.append(li);
}

async function loadList() {
  try {
    const data = await api("/api/notifications/", { params: { limit: 20 }, quiet: true });
    bellList.replaceChildren();
    loaded.clear();
    listLoaded = true;
    const items = results(data);
    for (const n of items) addNotification(n, { prepend: false });
    if (!items.length) bellList.append(el("li", { class: "muted" }, "No notifications yet."));
  } catch (err) {
    bellList.replaceChildren(el("li", { class: "muted" }, `Could not load notifications: ${err.message}`));
  }
}

function togglePanel(open) {
  const show = open ?? bellPanel.hidden;
  bellPanel.hidden = !show;
  bellButton.setAttribute("aria-expanded", String(show));
  if (show) loadList();
}

bellButton.addEventListener("click", (event) => {
  event.stopPropagation();
  togglePanel();
});
document.addEventListener("click", (event) => {
  if (!bellPanel.hidden && !bellPanel.contains(event.target)) togglePanel(false);
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !bellPanel.hidden) togglePanel(false);
});

markAllButton.addEventListener("click", async () => {
  const before = bellCount.dataset.count;
  setCount(0);
  for (const li of loaded.values()) li.classList.remove("unread");
  try {
    await api("/api/notifications/read-all/", { method: "POST" });
  } catch {
    setCount(before);
  }
});

function maxId(list) {
  const ids = (list || []).map((n) => n.id).filter((id) => typeof id === "number");
  return ids.length ? Math.max(...ids) : undefined;
}

// Only notifications share the id sequence used for ?after= on this socket.
function cursor(frame) {
  if (frame.type === "new_notification") return frame.id ?? frame.data?.id;
  if (frame.type === "notification_batch") return frame.id ?? maxId(frame.data?.notifications);
  return undefined;
}

function onEvent(frame) {
  const data = frame.data || {};
  switch (frame.type) {
    case "unread_count":
      setCount(data.count);
      break;
    case "new_notification":
      addNotification({ id: frame.id, ...data });
      break;
    case "notification_batch":
      for (const n of data.notifications || []) addNotification(n);
      break;
    case "notification_read":
      loaded.get(data.id)?.classList.remove("unread");
      break;
    case "mark_all_read":
      setCount(0);
      for (const li of loaded.values()) li.classList.remove("unread");
      break;
    default:
      break;
  }
  personal.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
}

export const personalSocket = openSocket("/ws/notifications/", { onEvent, cursor });
