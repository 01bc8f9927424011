// @ts-check
// One small client for every WebSocket of the UI, with subscriptions (Phoenix's `channel.on`):
//
//   const sock = createSocket("/ws/chat/7/", {after: 41, onClose(event) {...}});
//   sock.on("chat_message", (data, frame) => {...});
//   sock.connect();
//   sock.send("chat_message", {text, client_id});
//
// * Reconnects with exponential backoff and jitter (0.5 s doubling to 30 s).
// * Resumes with `?after=<last id seen>`: stored events carry an envelope "id";
//   the server replays what came after it, so nothing is missed across a drop.
// * Pings every 25 s (`ping` -> `pong`) so the server's idle timeout never fires.
// * Reports its state (connecting / online / offline / closed) to `onState` and
//   to the indicator in the top bar (the worst state of all open sockets).
// * Close codes that mean "don't try again" (auth, forbidden, not found, gone,
//   full) stop reconnecting and are passed to `onClose`.
import { CLOSE, EVENTS, PING_MS, RECONNECT_BASE_MS, RECONNECT_MAX_MS, fatalCloseCodes } from "./constants.js";

/**
 * @typedef {{type: string, id?: number | string, data?: any}} Frame
 * @typedef {"connecting" | "online" | "offline" | "closed"} SocketState
 * @typedef {(data: any, frame: Frame) => void} Handler
 * @typedef {object} SocketOptions
 * @property {(state: SocketState, detail?: CloseEvent) => void} [onState]
 * @property {(event: CloseEvent) => void} [onClose]  after a close code that stops reconnecting
 * @property {number | string | null} [after]  resume cursor for the first connection
 * @property {(frame: Frame) => (number | string | null | undefined)} [cursor]  which frames advance `after`
 * @property {Record<string, string>} [query]
 * @property {boolean} [queueWhileOffline]  keep frames sent while offline and send them on reconnect
 */

/** @type {Set<{state: SocketState}>} */
const sockets = new Set();

function renderIndicator() {
  const box = document.getElementById("conn-state");
  if (!box) return;
  const states = [...sockets].map((s) => s.state).filter((s) => s !== "closed");
  let state = "online";
  if (states.length === 0) state = box.dataset.state === "connecting" ? "connecting" : "online";
  if (states.includes("connecting")) state = "connecting";
  if (states.includes("offline")) state = "offline";
  box.dataset.state = state;
  const label = box.querySelector(".conn-label");
  if (label) label.textContent = state;
}

/**
 * @param {string} path
 * @param {number | string | null | undefined} after
 * @param {Record<string, string> | undefined} query
 * @param {string} base  the page's address
 */
export function wsUrl(path, after, query, base) {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  for (const [key, value] of Object.entries(query || {})) url.searchParams.set(key, value);
  if (after !== null && after !== undefined) url.searchParams.set("after", String(after));
  return url.toString();
}

/**
 * The wait before reconnect attempt `attempt` (0-based): "equal jitter", half fixed, half
 * random, so a server restart is not hit by every client at once.
 * @param {number} attempt
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * By default any frame with an envelope "id" advances the cursor; a socket can
 * pass `cursor(frame)` when only some event types share the id sequence.
 * @param {Frame} frame
 */
function defaultCursor(frame) {
  return frame.id;
}

/**
 * Handlers by event type. Kept apart from the socket so it can be tested without one.
 */
export class Subscriptions {
  constructor() {
    /** @type {Map<string, Set<Handler>>} */
    this.handlers = new Map();
  }

  /**
   * @param {string} type
   * @param {Handler} fn
   * @returns {() => void} unsubscribes
   */
  on(type, fn) {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(fn);
    return () => this.off(type, fn);
  }

  /**
   * @param {string} type
   * @param {Handler} [fn]  without it, every handler of `type`
   */
  off(type, fn) {
    if (fn === undefined) this.handlers.delete(type);
    else this.handlers.get(type)?.delete(fn);
  }

  /** @param {Frame} frame */
  dispatch(frame) {
    for (const fn of [...(this.handlers.get(frame.type) || [])]) {
      try {
        fn(frame.data || {}, frame);
      } catch (err) {
        console.error("socket handler failed", frame.type, err);
      }
    }
  }
}

/**
 * A socket that is not connected yet: subscribe with `on`, then `connect()`.
 * @param {string} path
 * @param {SocketOptions} [options]
 */
export function createSocket(
  path,
  { onState, onClose, after = null, cursor = defaultCursor, query, queueWhileOffline = false } = {},
) {
  /** @type {WebSocket | null} */
  let ws = null;
  let attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let reconnectTimer;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let pingTimer;
  let started = false;
  let stopped = false;
  /** @type {string[]} */
  const pending = [];
  const subscriptions = new Subscriptions();

  const handle = {
    /** @type {SocketState} */
    state: "connecting",
    /** @type {number | string | null} */
    lastId: after,
    on: subscriptions.on.bind(subscriptions),
    off: subscriptions.off.bind(subscriptions),
    connect,
    send,
    close,
    reconnectNow,
    get open() {
      return ws !== null && ws.readyState === WebSocket.OPEN;
    },
  };

  /**
   * @param {SocketState} state
   * @param {CloseEvent} [detail]
   */
  function setState(state, detail) {
    handle.state = state;
    renderIndicator();
    if (onState) onState(state, detail);
  }

  /** @param {number | string | null | undefined} id */
  function advance(id) {
    if (id === undefined || id === null) return;
    if (typeof id === "number" && typeof handle.lastId === "number" && id <= handle.lastId) return;
    handle.lastId = id;
  }

  function connect() {
    if (!started) {
      started = true;
      sockets.add(handle);
      window.addEventListener("online", reconnectNow);
    }
    clearTimeout(reconnectTimer);
    if (stopped) return handle;
    setState("connecting");
    ws = new WebSocket(wsUrl(path, handle.lastId, query, location.href));
    const current = ws;
    current.onopen = () => {
      attempt = 0;
      setState("online");
      startPing();
      while (pending.length && current.readyState === WebSocket.OPEN)
        current.send(/** @type {string} */ (pending.shift()));
    };
    current.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object") return;
      advance(cursor(frame));
      if (frame.type === EVENTS.PONG) return;
      subscriptions.dispatch(frame);
    };
    current.onclose = (event) => {
      stopPing();
      if (current !== ws) return;
      ws = null;
      if (stopped) {
        setState("closed");
        return;
      }
      if (fatalCloseCodes().has(event.code)) {
        stopped = true;
        setState("closed", event);
        if (onClose) onClose(event);
        return;
      }
      setState("offline", event);
      reconnectTimer = setTimeout(connect, backoffDelay(attempt));
      attempt += 1;
    };
    return handle;
  }

  function reconnectNow() {
    if (stopped || (ws && ws.readyState <= WebSocket.OPEN)) return;
    attempt = 0;
    connect();
  }

  function startPing() {
    stopPing();
    pingTimer = setInterval(() => send(EVENTS.PING, { ts: Date.now() }), PING_MS);
  }

  function stopPing() {
    clearInterval(pingTimer);
    pingTimer = undefined;
  }

  /**
   * Returns true when the frame went out now (or was queued with queueWhileOffline).
   * @param {string} type
   * @param {object} [data]
   */
  function send(type, data = {}) {
    const text = JSON.stringify({ type, data });
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(text);
      return true;
    }
    if (queueWhileOffline && type !== EVENTS.PING) {
      pending.push(text);
      return true;
    }
    return false;
  }

  function close() {
    stopped = true;
    clearTimeout(reconnectTimer);
    stopPing();
    sockets.delete(handle);
    window.removeEventListener("online", reconnectNow);
    if (ws) ws.close(CLOSE.NORMAL);
    ws = null;
    handle.state = "closed";
    renderIndicator();
  }

  return handle;
}

/** @typedef {ReturnType<typeof createSocket>} Socket */
