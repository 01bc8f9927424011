// @ts-check
// Chat: conversation list (live via chat_update on the personal socket) and one
// conversation (history via REST, live via /ws/chat/<id>/ resumed with ?after=).
// State lives in chat_state.js; this module renders it and wires the page.
import { api, results } from "./api.js";
import {
  CHAT_SEND_TIMEOUT_MS,
  CLOSE,
  ERROR_CODES,
  EVENTS,
  LIMITS,
  TYPING_REFRESH_MS,
  TYPING_STALE_FACTOR,
} from "./constants.js";
import {
  ConversationState,
  applyChatUpdate,
  conversationTitle,
  sortConversations,
  startsGroup,
  typingText,
  UnavailableRetry,
} from "./chat_state.js";
import { backoffDelay, createSocket } from "./socket.js";
import { clock, el, me, timeAgo, toast, uuid } from "./ui.js";

/** @typedef {import("./chat_state.js").Conversation} Conversation */
/** @typedef {import("./chat_state.js").Message} Message */

/**
 * @param {HTMLElement} root  <main>
 * @param {{personal: import("./socket.js").Socket}} context
 */
export function init(root, { personal }) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  const currentId = Number($("chat").dataset.conversationId) || null;
  const listNode = $("conversations");
  /** @type {Map<number, Conversation>} */
  const conversations = new Map();

  // --- conversation list ---------------------------------------------------------
  /** @param {Conversation} c */
  function renderConversationItem(c) {
    const unread = c.id === currentId ? 0 : Number(c.unread_count || 0);
    const last = c.last_message;
    const preview = last ? `${last.sender && last.sender.id === me.id ? "You: " : ""}${last.text}` : "No messages yet";
    const title = conversationTitle(c, me.id);
    return el(
      "li",
      { dataset: { id: c.id }, class: c.id === currentId ? "active" : "" },
      el(
        "a",
        {
          href: `/chat/${c.id}/`,
          "aria-current": c.id === currentId ? "page" : null,
        },
        el("span", { class: "conv-title" }, title),
        // Named from its content (an aria-label would hide the preview the link shows).
        unread ? el("span", { class: "badge", "data-unread": unread, "aria-hidden": "true" }, String(unread)) : null,
        unread ? el("span", { class: "sr-only" }, `, ${unread} unread`) : null,
        el("span", { class: "conv-preview muted" }, preview),
        last ? el("time", { class: "conv-time muted", datetime: last.created_at }, timeAgo(last.created_at)) : null,
      ),
    );
  }

  function renderList() {
    const sorted = sortConversations(conversations.values());
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

  personal.on(EVENTS.CHAT_UPDATE, (data) => {
    if (applyChatUpdate(conversations, data)) renderList();
    else loadConversations();
  });

  const newChatInput = /** @type {HTMLInputElement} */ ($("new-chat-user"));
  const newChatError = $("new-chat-error");
  const suggestions = $("new-chat-suggestions");
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let suggestTimer;
  newChatInput.addEventListener("input", () => {
    newChatError.textContent = "";
    clearTimeout(suggestTimer);
    const search = newChatInput.value.trim().replace(/^@/, "");
    if (search.length < 1) return;
    suggestTimer = setTimeout(async () => {
      try {
        const data = await api("/api/users/", { params: { search, limit: 8 }, quiet: true });
        suggestions.replaceChildren(
          ...results(data)
            .filter((u) => u.id !== me.id)
            .map((u) => el("option", { value: u.username }, u.name && u.name !== u.username ? u.name : null)),
        );
      } catch {
        /* no suggestions: typing the name still works */
      }
    }, 200);
  });
  $("new-chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = newChatInput.value.trim().replace(/^@/, "");
    if (!user) return;
    try {
      const c = await api("/api/chat/conversations/", { method: "POST", body: { user }, quiet: true });
      location.href = `/chat/${c.id}/`;
    } catch (err) {
      // Said in words next to the field, not as "user: …".
      newChatError.textContent =
        err.body?.code === "unknown_user" || err.body?.errors?.user
          ? `No user named '${user}'.`
          : err.status
            ? `Could not start the chat: ${String(err.message).replace(/^\w+: /, "")}`
            : "Could not reach the server. Try again.";
      newChatInput.focus();
    }
  });

  loadConversations();
  if (currentId) openConversation(currentId);

  // --- one conversation ------------------------------------------------------------
  /** @param {number} conversationId */
  function openConversation(conversationId) {
    const scroller = $("messages-scroll");
    const list = $("messages");
    const olderButton = /** @type {HTMLButtonElement} */ ($("load-older"));
    const typingNode = $("typing");
    const membersNode = $("chat-members");
    const form = $("message-form");
    const input = /** @type {HTMLInputElement} */ ($("message-text"));

    const state = new ConversationState(me.id);
    /** @type {Map<number, HTMLElement>} message id -> <li> */
    const nodes = new Map();
    /** @type {Map<string, {text: string, node: HTMLElement, timer?: ReturnType<typeof setTimeout>}>} client_id -> not yet echoed */
    const pending = new Map();
    /** @type {number | null} */
    let oldestId = null;
    let hasMore = false;
    let lastReadSent = 0;
    let dividerPlaced = false;
    /** @type {Map<number, ReturnType<typeof setTimeout>>} */
    const typingTimers = new Map();
    let lastTypingSent = 0;

    const sock = createSocket(`/ws/chat/${conversationId}/`, {
      onClose(event) {
        if (event.code === CLOSE.FORBIDDEN) toast("You are no longer a member of this conversation.", "error");
        if (event.code === CLOSE.NOT_FOUND) toast("This conversation does not exist.", "error");
      },
    });

    const retry = new UnavailableRetry(
      () => {
        for (const clientId of pending.keys()) sendPending(clientId);
      },
      { delay: (attempt) => backoffDelay(attempt) },
    );

    // --- rendering ---
    const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    const scrollDown = () => {
      scroller.scrollTop = scroller.scrollHeight;
    };

    function refreshMarks() {
      for (const [id, node] of nodes) {
        const mark = /** @type {HTMLElement | null} */ (node.querySelector(".mark"));
        if (!mark) continue;
        const [text, label] = state.markFor(id);
        mark.textContent = text;
        mark.setAttribute("aria-label", label);
        mark.title = label;
        mark.dataset.state = label.toLowerCase();
      }
    }

    /**
     * @param {Partial<Message> & {client_id?: string}} m
     * @param {{isPending?: boolean}} [options]
     */
    function renderMessage(m, { isPending = false } = {}) {
      const mine = m.sender && m.sender.id === me.id;
      const meta = el("span", { class: "meta" }, el("time", { datetime: m.created_at }, clock(m.created_at)));
      const label = isPending ? "Sending" : "Sent";
      if (mine)
        meta.append(" ", el("span", { class: "mark", "aria-label": label, title: label }, isPending ? "…" : ""));
      return el(
        "li",
        {
          class: `message${mine ? " mine" : ""}${isPending ? " pending" : ""}`,
          dataset: {
            id: m.id ?? "",
            clientId: m.client_id || "",
            senderId: m.sender ? m.sender.id : "",
            createdAt: m.created_at || "",
          },
        },
        mine ? null : el("span", { class: "sender" }, m.sender ? m.sender.username : ""),
        el("span", { class: "text" }, m.text),
        meta,
      );
    }

    /** @param {Message & {client_id?: string}} m */
    function insertMessage(m) {
      if (nodes.has(m.id)) return false;
      const stick = nearBottom();
      const node = renderMessage(m);
      const waiting = m.client_id && pending.get(m.client_id);
      if (waiting && m.client_id) {
        clearTimeout(waiting.timer);
        pending.delete(m.client_id);
        waiting.node.replaceWith(node);
      } else {
        // Keep id order even if frames from two processes arrive out of order.
        const later = [...nodes.entries()].filter(([id]) => id > m.id).sort((a, b) => a[0] - b[0])[0];
        if (later) list.insertBefore(node, later[1]);
        else list.insertBefore(node, list.querySelector(".message.pending"));
      }
      nodes.set(m.id, node);
      if (oldestId === null || m.id < oldestId) oldestId = m.id;
      regroup();
      refreshMarks();
      if (stick || (m.sender && m.sender.id === me.id)) scrollDown();
      return true;
    }

    /** Consecutive messages of one sender within minutes form a group: the name shows once, on the first. */
    function regroup() {
      /** @type {{sender: {id: number}, created_at: string} | null} */
      let previous = null;
      for (const node of /** @type {NodeListOf<HTMLElement>} */ (list.querySelectorAll("li.message"))) {
        const current = { sender: { id: Number(node.dataset.senderId) }, created_at: node.dataset.createdAt || "" };
        node.classList.toggle("grouped", !startsGroup(previous, current));
        previous = current;
      }
    }

    function renderMembers() {
      const others = state.others();
      membersNode.replaceChildren(
        ...others.map((m) =>
          el(
            "li",
            { dataset: { userId: m.id }, class: m.online ? "online" : "offline" },
            el("span", { class: "dot", "aria-hidden": "true" }),
            el("a", { href: `/u/${encodeURIComponent(m.username)}/` }, m.username),
            el("span", { class: "sr-only" }, m.online ? " (online)" : " (offline)"),
          ),
        ),
      );
      const c = conversations.get(conversationId);
      const title = $("chat-title");
      // A group has its own title; a direct chat is named once, by the member link beside the presence dot.
      title.textContent = (c && c.title) || `Conversation with ${others.map((m) => m.username).join(", ") || "…"}`;
      title.classList.toggle("sr-only", !(c && c.title));
    }

    /**
     * @param {number} userId
     * @param {boolean} isTyping
     */
    function setTyping(userId, isTyping) {
      clearTimeout(typingTimers.get(userId));
      typingTimers.delete(userId);
      if (isTyping) {
        const stale = LIMITS.chatTypingTimeoutMs * TYPING_STALE_FACTOR;
        typingTimers.set(
          userId,
          setTimeout(() => setTyping(userId, false), stale),
        );
      }
      const names = [...typingTimers.keys()].map((id) => state.members.get(id)?.username || "Someone");
      typingNode.textContent = typingText(names);
    }

    // --- actions ---
    // Acknowledgements are coalesced: a burst of messages gets ONE mark_read (or, in a hidden tab,
    // one message_delivered) for the newest message shown, not one receipt per message.
    const ACK_DELAY_MS = 100;
    /** @type {ReturnType<typeof setTimeout> | null} */
    let ackTimer = null;
    let lastDeliveredSent = 0;
    let newestIncoming = 0;

    /** @param {number} messageId */
    function scheduleAck(messageId) {
      newestIncoming = Math.max(newestIncoming, messageId);
      if (ackTimer !== null) return;
      ackTimer = setTimeout(() => {
        ackTimer = null;
        if (document.visibilityState === "visible") markRead();
        else if (newestIncoming > Math.max(lastDeliveredSent, lastReadSent)) {
          if (sock.send(EVENTS.MESSAGE_DELIVERED, { message_id: newestIncoming })) lastDeliveredSent = newestIncoming;
        }
      }, ACK_DELAY_MS);
    }

    /**
     * Send (or resend, with the same client_id: the server stores it once) a message that has no echo yet.
     * Without an echo in CHAT_SEND_TIMEOUT_MS it turns "failed", with a Retry button.
     * @param {string} clientId
     */
    function sendPending(clientId) {
      const p = pending.get(clientId);
      if (!p) return;
      clearTimeout(p.timer);
      setMessageState(p.node, "pending");
      sock.send(EVENTS.CHAT_MESSAGE, { text: p.text, client_id: clientId });
      p.timer = setTimeout(() => {
        if (pending.has(clientId)) setMessageState(p.node, "failed", () => sendPending(clientId));
      }, CHAT_SEND_TIMEOUT_MS);
    }

    /**
     * @param {HTMLElement} node  a message of mine that has no echo yet
     * @param {"pending" | "failed"} state
     * @param {() => void} [retry]
     */
    function setMessageState(node, state, retry) {
      node.classList.toggle("pending", state === "pending");
      node.classList.toggle("failed", state === "failed");
      const mark = /** @type {HTMLElement} */ (node.querySelector(".mark"));
      node.querySelector(".retry")?.remove();
      const label = state === "failed" ? "Not sent" : "Sending";
      mark.textContent = state === "failed" ? "Not sent" : "…";
      mark.setAttribute("aria-label", label);
      mark.title = label;
      mark.dataset.state = state;
      if (retry) {
        mark.after(el("button", { type: "button", class: "link-button retry", onclick: retry }, "Retry"));
      }
    }

    /**
     * Once, when the socket first says how far I had read: a "New messages" line above the first
     * message from someone else that I had not read, scrolled into view (jump to unread).
     * @param {number} readUpTo
     */
    function placeUnreadDivider(readUpTo) {
      if (dividerPlaced) return;
      dividerPlaced = true;
      const first = [...nodes.entries()]
        .filter(([id, node]) => id > readUpTo && !node.classList.contains("mine"))
        .sort((a, b) => a[0] - b[0])[0];
      if (!first) return;
      // A list item (a role="separator" would break the list for screen readers), said as text.
      const divider = el("li", { class: "unread-divider" }, "New messages");
      list.insertBefore(divider, first[1]);
      divider.scrollIntoView({ block: "center" });
    }

    function markRead() {
      if (document.visibilityState !== "visible") return;
      const ids = [...nodes.keys()].filter((id) => id > lastReadSent);
      if (!ids.length) return;
      const newest = Math.max(...ids);
      if (sock.send(EVENTS.MARK_READ, { message_id: newest })) lastReadSent = newest;
    }

    async function loadOlder() {
      if (!hasMore || oldestId === null) return;
      olderButton.disabled = true;
      const before = scroller.scrollHeight - scroller.scrollTop;
      try {
        const page = await api(`/api/chat/conversations/${conversationId}/messages/`, {
          params: { before: oldestId, limit: 30 },
        });
        const rows = results(page).sort((a, b) => a.id - b.id);
        const anchor = list.firstChild;
        for (const m of rows) {
          if (nodes.has(m.id)) continue;
          const node = renderMessage(m);
          list.insertBefore(node, anchor);
          nodes.set(m.id, node);
          oldestId = Math.min(/** @type {number} */ (oldestId), m.id);
        }
        hasMore = Boolean(page.has_more);
        olderButton.hidden = !hasMore;
        refreshMarks();
        scroller.scrollTop = scroller.scrollHeight - before; // keep the view where it was
      } finally {
        olderButton.disabled = false;
      }
    }

    // --- socket events ---
    sock.on(EVENTS.CONNECTION_ESTABLISHED, (data) => {
      state.reset(data);
      placeUnreadDivider(state.myReadPosition());
      lastReadSent = Math.max(lastReadSent, state.myReadPosition());
      renderMembers();
      refreshMarks();
      // Resend what never got its echo (the server dedups by client_id).
      for (const clientId of pending.keys()) sendPending(clientId);
      markRead();
    });
    sock.on(EVENTS.CHAT_MESSAGE, (data) => {
      if (data.client_id && pending.has(data.client_id)) retry.echoed();
      const isNew = insertMessage(data);
      if (isNew && data.sender && data.sender.id !== me.id) {
        setTyping(data.sender.id, false);
        // Read implies delivered: an open, visible conversation sends only mark_read.
        scheduleAck(data.id);
      }
    });
    sock.on(EVENTS.TYPING, (data) => {
      if (data.user !== me.id) setTyping(data.user, data.is_typing);
    });
    sock.on(EVENTS.MESSAGE_DELIVERED, (data) => {
      state.delivered(data.user, data.message_id);
      refreshMarks();
    });
    sock.on(EVENTS.MESSAGES_READ, (data) => {
      state.readAll(data);
      refreshMarks();
    });
    sock.on(EVENTS.USER_ONLINE, (data) => {
      if (state.setOnline(data.user_id, true)) renderMembers();
    });
    sock.on(EVENTS.USER_OFFLINE, (data) => {
      if (state.setOnline(data.user_id, false)) renderMembers();
    });
    sock.on(EVENTS.ERROR, (data) => {
      // The database was briefly unavailable: nothing stored; the messages stay pending and go again.
      if (data.code === ERROR_CODES.UNAVAILABLE && data.type === EVENTS.CHAT_MESSAGE && pending.size) retry.refused();
      else toast(data.message || "Chat error", "error");
    });

    // --- wiring ---
    olderButton.addEventListener("click", loadOlder);
    scroller.addEventListener("scroll", () => {
      if (scroller.scrollTop < 40 && hasMore && !olderButton.disabled) loadOlder();
    });

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      const clientId = uuid();
      const node = renderMessage(
        {
          text,
          client_id: clientId,
          sender: { id: /** @type {number} */ (me.id), username: me.username },
          created_at: new Date().toISOString(),
        },
        { isPending: true },
      );
      list.append(node);
      pending.set(clientId, { text, node });
      regroup();
      scrollDown();
      input.value = "";
      lastTypingSent = 0;
      // Sent now if online; otherwise resent from `pending` when the socket is back.
      sendPending(clientId);
    });

    input.addEventListener("input", () => {
      const now = Date.now();
      if (!input.value) {
        if (lastTypingSent) sock.send(EVENTS.TYPING, { is_typing: false });
        lastTypingSent = 0;
        return;
      }
      // The server expires "typing" after a few seconds; refresh it while the user keeps typing.
      if (now - lastTypingSent > TYPING_REFRESH_MS) {
        if (sock.send(EVENTS.TYPING, { is_typing: true })) lastTypingSent = now;
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
      sock.lastId = newest;
      sock.connect();
    })();
  }
}
