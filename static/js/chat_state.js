// @ts-check
// Chat's state, without the DOM: the conversation list and, for one conversation,
// members, delivery/read positions and the receipt marks they imply.

/**
 * @typedef {{id: number, username: string, online?: boolean}} Member
 * @typedef {{id: number, text: string, created_at?: string, sender?: {id: number, username?: string}}} Message
 * @typedef {{id: number, title?: string, members?: Member[], unread_count?: number,
 *   last_message?: Message | null, last_message_at?: string, created_at?: string}} Conversation
 * @typedef {{delivered: number, read: number}} Position
 */

/**
 * @param {Conversation} c
 * @param {number | null} myId
 */
export function conversationTitle(c, myId) {
  if (c.title) return c.title;
  const others = (c.members || []).filter((m) => m.id !== myId).map((m) => m.username);
  return others.join(", ") || "Just you";
}

/**
 * Newest activity first, then newest conversation.
 * @param {Iterable<Conversation>} conversations
 */
export function sortConversations(conversations) {
  /** @param {Conversation} c */
  const at = (c) => c.last_message_at || c.last_message?.created_at || c.created_at || "";
  return [...conversations].sort((a, b) => at(b).localeCompare(at(a)) || b.id - a.id);
}

/**
 * Applies a `chat_update` from the personal socket; false when the conversation is unknown (reload the list).
 * @param {Map<number, Conversation>} conversations
 * @param {{conversation: number, last_message?: Message | null, unread_count?: number}} update
 */
export function applyChatUpdate(conversations, update) {
  const known = conversations.get(update.conversation);
  if (!known) return false;
  known.last_message = update.last_message || known.last_message;
  known.last_message_at = update.last_message?.created_at || known.last_message_at;
  known.unread_count = update.unread_count;
  return true;
}

/** Members, positions and what has been marked read, for one open conversation. */
export class ConversationState {
  /** @param {number | null} myId */
  constructor(myId) {
    this.myId = myId;
    /** @type {Map<number, Member>} */
    this.members = new Map();
    /** @type {Map<number, Position>} */
    this.positions = new Map();
  }

  /**
   * From `connection_established`: who is in the conversation and how far each has got.
   * @param {{members?: Member[], positions?: {user: number, last_delivered?: number, last_read?: number}[]}} data
   */
  reset(data) {
    this.members.clear();
    for (const m of data.members || []) this.members.set(m.id, m);
    for (const p of data.positions || []) {
      this.positions.set(p.user, { delivered: p.last_delivered || 0, read: p.last_read || 0 });
    }
  }

  /** How far this user has read, as the server knows it. */
  myReadPosition() {
    return (this.myId !== null && this.positions.get(this.myId)?.read) || 0;
  }

  /**
   * @param {number} userId
   * @param {number} messageId
   */
  delivered(userId, messageId) {
    const p = this.positions.get(userId) || { delivered: 0, read: 0 };
    p.delivered = Math.max(p.delivered || 0, messageId);
    this.positions.set(userId, p);
  }

  /**
   * Read implies delivered.
   * @param {number} userId
   * @param {number} upTo
   */
  read(userId, upTo) {
    const p = this.positions.get(userId) || { delivered: 0, read: 0 };
    p.read = Math.max(p.read || 0, upTo);
    p.delivered = Math.max(p.delivered || 0, upTo);
    this.positions.set(userId, p);
  }

  /**
   * A `messages_read` frame: one per conversation per server window, with every reader's position
   * in `readers` (`user` / `up_to` alone from servers that predate it).
   * @param {{user: number, up_to: number, readers?: {user: number, up_to: number}[]}} data
   */
  readAll(data) {
    for (const r of data.readers || [{ user: data.user, up_to: data.up_to }]) this.read(r.user, r.up_to);
  }

  /**
   * @param {number} userId
   * @param {boolean} online
   * @returns {boolean} whether the user is a member
   */
  setOnline(userId, online) {
    const m = this.members.get(userId);
    if (!m) return false;
    m.online = online;
    return true;
  }

  others() {
    return [...this.members.values()].filter((m) => m.id !== this.myId);
  }

  /**
   * ✓ once every other member's device has it, ✓✓ once every other member has read it.
   * @param {number} messageId
   * @returns {[mark: string, label: string]}
   */
  markFor(messageId) {
    const others = [...this.positions.entries()].filter(([uid]) => uid !== this.myId).map(([, p]) => p);
    if (!others.length) return ["", ""];
    if (others.every((p) => (p.read || 0) >= messageId)) return ["✓✓", "Read"];
    // WhatsApp's marks, which people know: ✓ sent, ✓✓ delivered, ✓✓ in colour read (the label says which).
    if (others.every((p) => Math.max(p.delivered || 0, p.read || 0) >= messageId)) return ["✓✓", "Delivered"];
    return ["✓", "Sent"];
  }
}

/**
 * "alice is typing…" / "alice, bob are typing…" / "".
 * @param {string[]} names
 */
export function typingText(names) {
  return names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

/** Unread counts per conversation, for the Chat tab's badge (the last count the server sent wins). */
export class UnreadTotals {
  constructor() {
    /** @type {Map<number, number>} */
    this.counts = new Map();
  }

  /**
   * A count from the page's first load; a live update that came first is newer and is kept.
   * @param {number} conversation
   * @param {number} count
   */
  seed(conversation, count) {
    if (!this.counts.has(conversation)) this.counts.set(conversation, count);
  }

  /**
   * @param {number} conversation
   * @param {number} count
   * @returns {boolean} whether this conversation's count went up (a new message to tell about)
   */
  apply(conversation, count) {
    const before = this.counts.get(conversation) ?? 0;
    this.counts.set(conversation, count);
    return count > before;
  }

  total() {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }
}

/**
 * Whether a message starts a new group (another sender, or more than five minutes after the previous one).
 * @param {{sender?: {id: number} | null, created_at?: string} | null} previous
 * @param {{sender?: {id: number} | null, created_at?: string}} message
 */
export function startsGroup(previous, message) {
  if (!previous || !previous.sender || !message.sender || previous.sender.id !== message.sender.id) return true;
  const gap = new Date(message.created_at || 0).getTime() - new Date(previous.created_at || 0).getTime();
  return !(gap >= 0 && gap < 5 * 60 * 1000);
}

/**
 * Retries chat messages after the server refused one with `error` `unavailable` (the database was
 * briefly down; nothing was stored, the socket stays open): every message still without an echo
 * is sent again with its own client_id (the server stores each once), after a backoff that doubles
 * with each refusal in a row (`backoffDelay`: 0.5 s up to 30 s, jittered) and starts over once a
 * message is echoed. The Python fault client (tests/faults) does the same.
 */
export class UnavailableRetry {
  /**
   * @param {() => void} resend  sends every message that has no echo yet, with its client_id
   * @param {{delay: (attempt: number) => number, schedule?: (fn: () => void, ms: number) => unknown,
   *   cancel?: (timer: unknown) => void}} timing
   */
  constructor(resend, { delay, schedule = setTimeout, cancel = (t) => clearTimeout(/** @type {any} */ (t)) }) {
    this.resend = resend;
    this.delay = delay;
    this.schedule = schedule;
    this.cancel = cancel;
    this.attempt = 0;
    /** @type {unknown} */
    this.timer = null;
  }

  /** The server refused a `chat_message` with `unavailable`: one resend is scheduled (refusals meanwhile add none). */
  refused() {
    if (this.timer !== null) return null;
    const ms = this.delay(this.attempt++);
    this.timer = this.schedule(() => {
      this.timer = null;
      this.resend();
    }, ms);
    return ms;
  }

  /** A message was echoed: the database answers again, the next refusal starts from the shortest wait. */
  echoed() {
    this.attempt = 0;
  }

  stop() {
    if (this.timer !== null) this.cancel(this.timer);
    this.timer = null;
  }
}
