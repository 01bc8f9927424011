// Chat: conversation list (live via chat_update on the personal socket) and one
// conversation (history via REST, live via /ws/chat/<id>/ resumed with ?after=).
import { api, results } from "./api.js";
import { personal } from "./app.js";
import { openSocket } from "./socket.js";
import { clock, el, me, timeAgo, toast, uuid } from "./ui.js";

const root = document.getElementById("chat");
const currentId = Number(root.dataset.conversationId) || null;
const listNode = document.getElementById("conversations");
const conversations = new Map(); // id -> conversation summary

// --- conversation list ---------------------------------------------------------

function conversationTitle(c) {
  if (c.title) return c.title;
  const others = (c.members || []).filter((m) => m.id !== me.id).map((m) => m.username);
  return others.join(", ") || "Just you";
}

function renderConversationItem(c) {
  const unread = c.id === currentId ? 0 : Number(c.unread_count || 0);
  const last = c.last_message;
  const preview = last ? `${last.sender && last.sender.id === me.id ? "You: " : ""}${last.text}` : "No messages yet";
  const title = conversationTitle(c);
  return el(
    "li",
    { dataset: { id: c.id }, class: c.id === currentId ? "active" : "" },
    el(
      "a",
      { href: `/chat/${c.id}/`, "aria-current": c.id === currentId ? "page" : null, "aria-label": `${title}${unread ? `, ${unread} unread` : ""}` },
      el("span", { class: "conv-title" }, title),
      unread ? el("span", { class: "badge", "data-unread": unread }, String(unread)) : null,
      el("span", { class: "conv-preview muted" }, preview),
      last ? el("time", { class: "conv-time muted", datetime: last.created_at }, timeAgo(last.created_at)) : null,
    ),
  );
}

function renderList() {
  const sorted = [...conversations.values()].sort((a, b) => {
    const at = a.last_message_at || a.last_message?.created_at || a.created_at || "";
    const bt = b.last_message_at || b.last_message?.created_at || b.created_at || "";
    return bt.localeCompare(at) || b.id - a.id;
  });
  listNode.replaceChildren(...sorted.map(renderConversationItem));
  if (!sorted.length) listNode.append(el("li", { class: "muted" }, "No conversations yet."));
}

async function loadConversations() {
  try {
    const data = await api("/api/chat/conversations/", { params: { limit: 50 } });
    for (const c of results(data)) conversations.set(c.id, c);
    renderList();
  } catch (err) {
    listNode.replaceChildren(el("li", { class: "muted" }, `Could not load conversations: ${err.message}`));
  }
}

personal.addEventListener("chat_update", async (event) => {
  const data = event.detail.data;
  const known = conversations.get(data.conversation);
  if (!known) {
    await loadConversations();
    return;
  }
  known.last_message = data.last_message || known.last_message;
  known.last_message_at = data.last_message?.created_at || known.last_message_at;
  known.unread_count = data.unread_count;
  renderList();
});

document.getElementById("new-chat-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("new-chat-user");
  const user = input.value.trim().replace(/^@/, "");
  if (!user) return;
  try {
    const c = await api("/api/chat/conversations/", { method: "POST", body: { user } });
    location.href = `/chat/${c.id}/`;
  } catch {
    /* shown by api() */
  }
});

loadConversations();

// --- one conversation ------------------------------------------------------------

if (currentId) openConversation(currentId);

function openConversation(conversationId) {
  const scroller = document.getElementById("messages-scroll");
  const list = document.getElementById("messages");
  const olderButton = document.getElementById("load-older");
  const typingNode = document.getElementById("typing");
  const membersNode = document.getElementById("chat-members");
  const form = document.getElementById("message-form");
  const input = document.getElementById("message-text");

  const nodes = new Map(); // message id -> <li>
  const pending = new Map(); // client_id -> {text, node}
  const members = new Map(); // user id -> {id, username, online}
  const positions = new Map(); // user id -> {delivered, read}
  let oldestId = null;
  let hasMore = false;
  let lastReadSent = 0;
  const typingTimers = new Map();
  let lastTypingSent = 0;

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const scrollDown = () => {
    scroller.scrollTop = scroller.scrollHeight;
  };

  function othersPositions() {
    return [...positions.entries()].filter(([uid]) => uid !== me.id).map(([, p]) => p);
  }

  // ✓ once every other member's device has it, ✓✓ once every other member has read it.
  function markFor(messageId) {
    const others = othersPositions();
    if (!others.length) return ["", ""];
    if (others.every((p) => (p.read || 0) >= messageId)) return ["✓✓", "Read"];
    if (others.every((p) => Math.max(p.delivered || 0, p.read || 0) >= messageId)) return ["✓", "Delivered"];
    return ["", "Sent"];
  }

  function refreshMarks() {
    for (const [id, node] of nodes) {
      const mark = node.querySelector(".mark");
      if (!mark) continue;
      const [text, label] = markFor(id);
      mark.textContent = text;
      mark.setAttribute("aria-label", label);
      mark.title = label;
      mark.dataset.state = label.toLowerCase();
    }
  }

  function renderMessage(m, { isPending = false } = {}) {
    const mine = m.sender && m.sender.id === me.id;
    const meta = el("span", { class: "meta" }, el("time", { datetime: m.created_at }, clock(m.created_at)));
    if (mine) meta.append(" ", el("span", { class: "mark", "aria-label": isPending ? "Sending" : "Sent", title: isPending ? "Sending" : "Sent" }, isPending ? "…" : ""));
    return el(
      "li",
      { class: `message${mine ? " mine" : ""}${isPending ? " pending" : ""}`, dataset: { id: m.id ?? "", clientId: m.client_id || "" } },
      mine ? null : el("span", { class: "sender" }, m.sender ? m.sender.username : ""),
      el("span", { class: "text" }, m.text),
      meta,
    );
  }

  function insertMessage(m) {
    if (nodes.has(m.id)) return false;
    const stick = nearBottom();
    let node;
    const waiting = m.client_id && pending.get(m.client_id);
    if (waiting) {
      pending.delete(m.client_id);
      node = renderMessage(m);
      waiting.node.replaceWith(node);
    } else {
      node = renderMessage(m);
      // Keep id order even if frames from two processes arrive out of order.
      const later = [...nodes.entries()].filter(([id]) => id > m.id).sort((a, b) => a[0] - b[0])[0];
      if (later) list.insertBefore(node, later[1]);
      else {
        const firstPending = list.querySelector(".message.pending");
        list.insertBefore(node, firstPending);
      }
    }
    nodes.set(m.id, node);
    if (oldestId === null || m.id < oldestId) oldestId = m.id;
    refreshMarks();
    if (stick || (m.sender && m.sender.id === me.id)) scrollDown();
    return true;
  }

  function markRead() {
    if (document.visibilityState !== "visible") return;
    const ids = [...nodes.keys()].filter((id) => id > lastReadSent);
    if (!ids.length) return;
    const newest = Math.max(...ids);
    if (sock.send("mark_read", { message_id: newest })) lastReadSent = newest;
  }

  function renderMembers() {
    membersNode.replaceChildren(
      ...[...members.values()]
        .filter((m) => m.id !== me.id)
        .map((m) =>
          el(
            "li",
            { dataset: { userId: m.id }, class: m.online ? "online" : "offline" },
            el("span", { class: "dot", "aria-hidden": "true" }),
            el("a", { href: `/u/${encodeURIComponent(m.username)}/` }, m.username),
            el("span", { class: "sr-only" }, m.online ? " (online)" : " (offline)"),
          ),
        ),
    );
    const others = [...members.values()].filter((m) => m.id !== me.id);
    const c = conversations.get(conversationId);
    document.getElementById("chat-title").textContent = (c && c.title) || others.map((m) => m.username).join(", ") || "Conversation";
  }

  function setTyping(userId, isTyping) {
    clearTimeout(typingTimers.get(userId));
    typingTimers.delete(userId);
    if (isTyping) typingTimers.set(userId, setTimeout(() => setTyping(userId, false), 6000));
    const names = [...typingTimers.keys()].map((id) => members.get(id)?.username || "Someone");
    typingNode.textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
  }

  function onEvent(frame) {
    const data = frame.data || {};
    switch (frame.type) {
      case "connection_established": {
        members.clear();
        for (const m of data.members || []) members.set(m.id, m);
        for (const p of data.positions || []) {
          positions.set(p.user, { delivered: p.last_delivered || 0, read: p.last_read || 0 });
        }
        const mine = positions.get(me.id);
        if (mine) lastReadSent = Math.max(lastReadSent, mine.read || 0);
        renderMembers();
        refreshMarks();
        // Resend what never got its echo (the server dedups by client_id).
        for (const [clientId, p] of pending) sock.send("chat_message", { text: p.text, client_id: clientId });
        markRead();
        break;
      }
      case "chat_message": {
        const isNew = insertMessage(data);
        if (isNew && data.sender && data.sender.id !== me.id) {
          setTyping(data.sender.id, false);
          // Read implies delivered: an open, visible conversation sends only mark_read.
          if (document.visibilityState === "visible") markRead();
          else sock.send("message_delivered", { message_id: data.id });
        }
        break;
      }
      case "typing":
        if (data.user !== me.id) setTyping(data.user, data.is_typing);
        break;
      case "message_delivered": {
        const p = positions.get(data.user) || { delivered: 0, read: 0 };
        p.delivered = Math.max(p.delivered || 0, data.message_id);
        positions.set(data.user, p);
        refreshMarks();
        break;
      }
      case "messages_read": {
        const p = positions.get(data.user) || { delivered: 0, read: 0 };
        p.read = Math.max(p.read || 0, data.up_to);
        p.delivered = Math.max(p.delivered || 0, data.up_to);
        positions.set(data.user, p);
        refreshMarks();
        break;
      }
      case "user_online":
      case "user_offline": {
        const m = members.get(data.user_id);
        if (m) {
          m.online = frame.type === "user_online";
          renderMembers();
        }
        break;
      }
      case "error":
        toast(data.message || "Chat error", "error");
        break;
      default:
        break;
    }
  }

  // Until the socket exists, writes are no-ops and messages stay pending.
  let sock = { send: () => false };

  async function loadOlder() {
    if (!hasMore || oldestId === null) return;
    olderButton.disabled = true;
    const before = scroller.scrollHeight - scroller.scrollTop;
    try {
      const page = await api(`/api/chat/conversations/${conversationId}/messages/`, { params: { before: oldestId, limit: 30 } });
      const rows = results(page).sort((a, b) => a.id - b.id);
      const anchor = list.firstChild;
      for (const m of rows) {
        if (nodes.has(m.id)) continue;
        const node = renderMessage(m);
        list.insertBefore(node, anchor);
        nodes.set(m.id, node);
        oldestId = Math.min(oldestId, m.id);
      }
      hasMore = Boolean(page.has_more);
      olderButton.hidden = !hasMore;
      refreshMarks();
      scroller.scrollTop = scroller.scrollHeight - before; // keep the view where it was
    } finally {
      olderButton.disabled = false;
    }
  }

  olderButton.addEventListener("click", loadOlder);
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < 40 && hasMore && !olderButton.disabled) loadOlder();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const clientId = uuid();
    const node = renderMessage({ text, client_id: clientId, sender: { id: me.id, username: me.username }, created_at: new Date().toISOString() }, { isPending: true });
    list.append(node);
    pending.set(clientId, { text, node });
    scrollDown();
    input.value = "";
    lastTypingSent = 0;
    // Sent now if online; otherwise resent from `pending` when the socket is back.
    sock.send("chat_message", { text, client_id: clientId });
  });

  input.addEventListener("input", () => {
    const now = Date.now();
    if (!input.value) {
      if (lastTypingSent) sock.send("typing", { is_typing: false });
      lastTypingSent = 0;
      return;
    }
    // The server expires "typing" after a few seconds; refresh it while the user keeps typing.
    if (now - lastTypingSent > 2000) {
      if (sock.send("typing", { is_typing: true })) lastTypingSent = now;
    }
  });

  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);

  (async () => {
    let newest = 0;
    try {
      const page = await api(`/api/chat/conversations/${conversationId}/messages/`, { params: { limit: 30 } });
      const rows = results(page).sort((a, b) => a.id - b.id);
      for (const m of rows) insertMessage(m);
      hasMore = Boolean(page.has_more);
      olderButton.hidden = !hasMore;
      newest = rows.length ? rows[rows.length - 1].id : 0;
      scrollDown();
    } catch (err) {
      list.append(el("li", { class: "muted" }, `Could not load messages: ${err.message}`));
      if (err.status === 404) return;
    }
    // Resume from the newest message we have: the socket replays anything newer, then live ones.
    sock = openSocket(`/ws/chat/${conversationId}/`, {
      after: newest,
      onEvent,
      onClose(event) {
        if (event.code === 4403) toast("You are no longer a member of this conversation.", "error");
        if (event.code === 4404) toast("This conversation does not exist.", "error");
      },
    });
  })();
}
