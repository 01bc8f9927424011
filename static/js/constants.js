// @ts-check
// Every constant the client shares with the server, in one place.
//
// Event names are the protocol's (docs/protocol.md). Close codes and limits are the
// server's own values: templates/base.html writes them on <body> as data- attributes
// (web/context_processors.py reads realtime/closecodes.py and the settings), and
// `configure(document.body.dataset)` copies them here before any page starts.
// Nothing in this module touches the DOM.

/** WebSocket event types, both directions, by socket. */
export const EVENTS = Object.freeze({
  // every socket
  CONNECTION_ESTABLISHED: "connection_established",
  ERROR: "error",
  PING: "ping",
  PONG: "pong",
  // /ws/notifications/ (the personal socket)
  UNREAD_COUNT: "unread_count",
  NEW_NOTIFICATION: "new_notification",
  NOTIFICATION_BATCH: "notification_batch",
  NOTIFICATION_READ: "notification_read",
  MARK_ALL_READ: "mark_all_read",
  // staff stats page (personal socket)
  STATS: "stats",
  STATS_SUBSCRIBE: "stats_subscribe",
  STATS_UNSUBSCRIBE: "stats_unsubscribe",
  CHAT_UPDATE: "chat_update",
  ITEM_CREATED: "item_created",
  ITEM_UPDATED: "item_updated",
  ITEM_DELETED: "item_deleted",
  ITEMS_BULK_CREATED: "items_bulk_created",
  ITEMS_BULK_STATUS_UPDATED: "items_bulk_status_updated",
  POST_CREATED: "post_created",
  POST_COUNTS: "post_counts",
  COMMENT_ADDED: "comment_added",
  // /ws/chat/<id>/
  CHAT_MESSAGE: "chat_message",
  TYPING: "typing",
  MESSAGE_DELIVERED: "message_delivered",
  MARK_READ: "mark_read",
  MESSAGES_READ: "messages_read",
  USER_ONLINE: "user_online",
  USER_OFFLINE: "user_offline",
  // /ws/live/<id>/
  STREAM_STARTED: "stream_started",
  STREAM_ENDED: "stream_ended",
  REQUEST_OFFER: "request_offer",
  WEBRTC_OFFER: "webrtc_offer",
  WEBRTC_ANSWER: "webrtc_answer",
  ICE_CANDIDATE: "ice_candidate",
  VIEWERS_UPDATE: "viewers_update",
  COMMENT: "comment",
  COMMENT_DELETED: "comment_deleted",
  DELETE_COMMENT: "delete_comment",
  KICK: "kick",
  KICKED: "kicked",
  USER_JOINED: "user_joined",
  USER_LEFT: "user_left",
  PEER_LEFT: "peer_left",
  VIEWER_QUALITY: "viewer_quality",
  // live and rooms: a client's getStats() summary (docs/protocol.md)
  QUALITY_REPORT: "quality_report",
  // /ws/rooms/<id>/
  ROOM_JOINED: "room_joined",
  PEER_JOINED: "peer_joined",
  OFFER: "offer",
  ANSWER: "answer",
  BROADCAST: "broadcast",
  LOBBY_WAITING: "lobby_waiting",
  ADMITTED: "admitted",
  KNOCK: "knock",
  LOBBY: "lobby",
  LOBBY_UPDATE: "lobby_update",
  REMOVED: "removed",
  ROOM_CLOSED: "room_closed",
  // personal socket: a room's head count for the /rooms/ list
  ROOM_PRESENCE: "room_presence",
});

/**
 * WebSocket close codes by name (realtime/closecodes.py), filled by `configure`.
 * @type {Record<string, number>}
 */
export const CLOSE = {};

/**
 * @typedef {object} Limits
 * @property {number} chatMaxMessageLength     CHAT_MAX_MESSAGE_LENGTH
 * @property {number} chatTypingTimeoutMs      CHAT_TYPING_TIMEOUT_SECONDS, in ms: the server's "stopped typing"
 * @property {number} liveCommentMaxLength     LIVE_COMMENT_MAX_LENGTH
 * @property {number} commentMaxLength         social.models.COMMENT_MAX_LENGTH
 * @property {number} itemTitleMaxLength       items.models.TITLE_MAX_LENGTH
 * @property {number} itemDescriptionMaxLength items.models.DESCRIPTION_MAX_LENGTH
 * @property {string} roomIdPattern            rtc.models.ROOM_ID_PATTERN
 */

/** @type {Limits} */
export const LIMITS = {
  chatMaxMessageLength: 0,
  chatTypingTimeoutMs: 0,
  liveCommentMaxLength: 0,
  commentMaxLength: 0,
  itemTitleMaxLength: 0,
  itemDescriptionMaxLength: 0,
  roomIdPattern: "",
};

// Client-side timing policy (not server limits).
export const PING_MS = 25000;
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30000;
/** How often "still typing" is re-sent while the user keeps typing (below the server's expiry). */
export const TYPING_REFRESH_MS = 2000;
/** A typing indicator is dropped after twice the server's expiry even if the "stopped" frame was lost. */
export const TYPING_STALE_FACTOR = 2;
/** `error` frame codes the client acts on (not only shows); docs/protocol.md "Error codes". */
export const ERROR_CODES = Object.freeze({
  /** The database was briefly unavailable: nothing was done; send the frame again after a wait. */
  UNAVAILABLE: "unavailable",
});
/** A chat message with no echo from the server after this long is shown as failed, with Retry (same client_id). */
export const CHAT_SEND_TIMEOUT_MS = 8000;
/** How much of a data-channel chat message is sent or shown (peer to peer: the server never sees it). */
export const ROOM_MESSAGE_MAX_LENGTH = 2000;

/**
 * Codes after which a socket does not reconnect: auth, forbidden, not found, gone, full.
 * @returns {Set<number>}
 */
export function fatalCloseCodes() {
  return new Set([CLOSE.UNAUTHENTICATED, CLOSE.FORBIDDEN, CLOSE.NOT_FOUND, CLOSE.GONE, CLOSE.FULL]);
}

/**
 * Copies the server's close codes and limits from <body>'s data- attributes.
 * @param {Record<string, string | undefined>} dataset  document.body.dataset (or a plain object in tests)
 */
export function configure(dataset) {
  const codes = JSON.parse(dataset.closeCodes || "{}");
  for (const key of Object.keys(CLOSE)) delete CLOSE[key];
  Object.assign(CLOSE, codes);
  /** @param {string | undefined} value */
  const int = (value) => Number(value) || 0;
  LIMITS.chatMaxMessageLength = int(dataset.chatMaxMessageLength);
  LIMITS.chatTypingTimeoutMs = int(dataset.chatTypingTimeoutMs);
  LIMITS.liveCommentMaxLength = int(dataset.liveCommentMaxLength);
  LIMITS.commentMaxLength = int(dataset.commentMaxLength);
  LIMITS.itemTitleMaxLength = int(dataset.itemTitleMaxLength);
  LIMITS.itemDescriptionMaxLength = int(dataset.itemDescriptionMaxLength);
  LIMITS.roomIdPattern = dataset.roomIdPattern || "";
}
