// @ts-check
// The bell's rules, without the DOM: what a notification says, where it leads, whether it is
// unread, and which frames of the personal socket advance its resume cursor.
import { EVENTS } from "./constants.js";
import { userName } from "./ui.js";

/**
 * @typedef {{id?: number, type: string, text?: string, actor?: any, actors?: any[],
 *   target?: {type?: string, id?: number, post_id?: number, username?: string, conversation_id?: number},
 *   read?: boolean, read_at?: string | null, created_at?: string, priority?: string}} Notification
 */

const VERBS = /** @type {Record<string, string>} */ ({
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
});

/** @param {Notification} n */
export function notificationText(n) {
  if (n.text) return n.text;
  if (n.type === "item_processed") return VERBS.item_processed;
  const who = n.actors && n.actors.length ? n.actors.map(userName).join(", ") : userName(n.actor);
  return `${who} ${VERBS[n.type] || n.type}`;
}

/**
 * The page a notification leads to. Targets carry API urls; map them to pages.
 * @param {Notification} n
 * @returns {string | null}
 */
export function notificationLink(n) {
  const target = n.target || {};
  const actor = n.actor && n.actor.username;
  /** @param {string} name */
  const profile = (name) => `/u/${encodeURIComponent(name)}/`;
  switch (target.type) {
    case "user":
      return target.username ? profile(target.username) : null;
    case "message":
      return target.conversation_id ? `/chat/${target.conversation_id}/` : "/chat/";
    case "stream":
      return target.id ? `/live/${target.id}/` : "/live/";
    case "item":
      return "/items/";
    case "post":
      // The post page, its thread open (likes and mentions in a post).
      return target.id ? `/p/${target.id}/` : null;
    case "comment":
      // The comment in its thread (comments, replies, mentions in a comment).
      return target.post_id ? `/p/${target.post_id}/#comment-${target.id}` : null;
    default:
      return actor ? profile(actor) : null;
  }
}

/**
 * The REST list and the socket's `new_notification` share one shape (notifications/events.py): `read`.
 * @param {Notification} n
 */
export function isUnread(n) {
  return !n.read;
}

/** @param {unknown} count */
export function badgeText(count) {
  const value = Math.max(0, Number(count) || 0);
  return {
    value,
    text: value > 99 ? "99+" : String(value),
    label: value ? `Notifications (${value} unread)` : "Notifications",
  };
}

/** @param {Notification[] | undefined} list */
function maxId(list) {
  const ids = (list || []).map((n) => n.id).filter((id) => typeof id === "number");
  return ids.length ? Math.max(...ids) : undefined;
}

/**
 * Only notifications share the id sequence used for ?after= on the personal socket.
 * @param {{type: string, id?: any, data?: any}} frame
 */
export function notificationCursor(frame) {
  if (frame.type === EVENTS.NEW_NOTIFICATION) return frame.id ?? frame.data?.id;
  if (frame.type === EVENTS.NOTIFICATION_BATCH) return frame.id ?? maxId(frame.data?.notifications);
  return undefined;
}

/**
 * High-priority notifications (the server sends them first, unbatched) also pop up as a toast by the bell.
 * @param {{priority?: string}} n
 */
export function isUrgent(n) {
  return n.priority === "high";
}
