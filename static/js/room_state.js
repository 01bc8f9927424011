// @ts-check
// A room's rules, without the DOM: what to tell a visitor when the room ends for them,
// and the lobby (who is knocking).
import { CLOSE } from "./constants.js";
import { userId } from "./ui.js";

export const NOT_FOUND_TEXT = "This room does not exist or you are not invited";
export const CLOSED_TEXT = "The owner closed this room.";
export const FULL_TEXT = "The room is full.";
/** @type {Record<string, string>} */
export const REMOVED_TEXT = {
  kicked: "You were removed from this room by its owner.",
  banned: "You were banned from this room by its owner.",
};

/**
 * Why the socket ended, in words, by close code (used when no event said more).
 * @param {number} code
 */
export function closeText(code) {
  /** @type {Record<number, string>} */
  const texts = {
    [CLOSE.FORBIDDEN]: "You can't join this room.",
    [CLOSE.NOT_FOUND]: NOT_FOUND_TEXT,
    [CLOSE.GONE]: CLOSED_TEXT,
    [CLOSE.FULL]: FULL_TEXT,
  };
  return texts[code] || `Disconnected from the room (${code}).`;
}

/** @param {string | undefined} reason  of a `removed` event */
export function removedText(reason) {
  return (reason && REMOVED_TEXT[reason]) || "You were removed from this room.";
}

/**
 * What an `error` frame means for the visitor: the message to end with, or null when it is
 * only a passing error (shown as a toast).
 * @param {string | undefined} code
 * @param {string} owner  how to name the owner ("The owner" when unknown)
 */
export function errorEnding(code, owner) {
  switch (code) {
    case "room_not_found":
    case "invalid_room":
      return NOT_FOUND_TEXT;
    case "lobby_denied":
      return `${owner} did not let you in.`;
    case "room_full":
      return FULL_TEXT;
    case "banned":
      return REMOVED_TEXT.banned;
    default:
      return null;
  }
}

/** @typedef {{user: any, since?: string}} Knock */

/** Who is waiting in the lobby, by user id. */
export class Lobby {
  constructor() {
    /** @type {Map<number, Knock>} */
    this.waiting = new Map();
  }

  /**
   * Replaces the list (`lobby` / `lobby_update` frames, the REST list).
   * @param {Knock[] | undefined} waiting
   */
  reset(waiting) {
    this.waiting.clear();
    for (const w of waiting || [])
      if (userId(w.user)) this.waiting.set(userId(w.user), { user: w.user, since: w.since });
  }

  /**
   * @param {Knock} knock
   * @param {string} now  ISO time, when the frame has none
   */
  knock(knock, now) {
    if (userId(knock.user)) this.waiting.set(userId(knock.user), { user: knock.user, since: knock.since || now });
  }

  /** @param {number} uid */
  answered(uid) {
    this.waiting.delete(uid);
  }
}

/**
 * The politeness rule of perfect negotiation (docs/protocol.md): of two peers, the one with
 * the lexicographically larger peer id is polite (it yields when offers cross).
 * @param {string} mine
 * @param {string} theirs
 */
export function isPolite(mine, theirs) {
  return mine > theirs;
}

/**
 * Which way a chat message goes: "direct" when every participant has an open data channel,
 * else "server" (one `broadcast` reaches them all). Nobody there: null.
 * @param {Array<{channel: {readyState: string} | null}>} participants
 * @returns {"direct" | "server" | null}
 */
export function chatPath(participants) {
  if (!participants.length) return null;
  return participants.every((p) => p.channel && p.channel.readyState === "open") ? "direct" : "server";
}

/**
 * What a room message carries, from a data channel (a JSON string) or a `broadcast`'s
 * `data` (any JSON; the gRTC seed's clients send a bare string): chat text, a media state
 * (`{media: {microphone, camera, screen}}`), or nothing we show.
 * @param {unknown} payload
 * @returns {{text?: string, media?: {microphone?: boolean, camera?: boolean, screen?: boolean}}}
 */
export function parseRoomMessage(payload) {
  let value = payload;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return { text: /** @type {string} */ (payload) };
    }
  }
  if (typeof value === "string" || typeof value === "number") return { text: String(value) };
  if (!value || typeof value !== "object") return {};
  const obj = /** @type {any} */ (value);
  if (typeof obj.text === "string") return { text: obj.text };
  if (obj.media && typeof obj.media === "object") {
    const { microphone, camera, screen } = obj.media;
    return { media: { microphone: Boolean(microphone), camera: Boolean(camera), screen: Boolean(screen) } };
  }
  return {};
}
