// One small client for every WebSocket of the UI.
//
//   const sock = openSocket("/ws/chat/7/", {onEvent(frame) {...}, onState(state) {...}, after: 41});
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

const FATAL_CODES = new Set([4401, 4403, 4404, 4410, 4413]);
const PING_MS = 25000;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;

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
  box.querySelector(".conn-label").textContent = state;
}

function wsUrl(path, after, query) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  for (const [key, value] of Object.entries(query || {})) url.searchParams.set(key, value);
  if (after !== null && after !== undefined) url.searchParams.set("after", after);
  return url.toString();
}

// By default any frame with an envelope "id" advances the cursor; a page can
// pass `cursor(frame)` when only some event types share the id sequence.
function defaultCursor(frame) {
  return frame.id;
}

export function openSocket(path, { onEvent, onState, onClose, after = null, cursor = defaultCursor, query, queueWhileOffline = false } = {}) {
  let ws = null;
  let attempt = 0;
  let reconnectTimer = null;
  let pingTimer = null;
  let stopped = false;
  const pending = [];

  const handle = {
    state: "connecting",
    lastId: after,
    send,
    close,
    reconnectNow,
    get open() {
      return ws !== null && ws.readyState === WebSocket.OPEN;
    },
  };
  sockets.add(handle);

  function setState(state, detail) {
    handle.state = state;
    renderIndicator();
    if (onState) onState(state, detail);
  }

  function advance(id) {
    if (id === undefined || id === null) return;
    if (typeof id === "number" && typeof handle.lastId === "number" && id <= handle.lastId) return;
    handle.lastId = id;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (stopped) return;
    setState("connecting");
    ws = new WebSocket(wsUrl(path, handle.lastId, query));
    const current = ws;
    current.onopen = () => {
      attempt = 0;
      setState("online");
      startPing();
      while (pending.length && current.readyState === WebSocket.OPEN) current.send(pending.shift());
    };
    current.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      advance(cursor(frame));
      if (frame.type === "pong") return;
      if (onEvent) {
        try {
          onEvent(frame);
        } catch (err) {
          console.error("socket handler failed", frame.type, err);
        }
      }
    };
    current.onclose = (event) => {
      stopPing();
      if (current !== ws) return;
      ws = null;
      if (stopped) {
        setState("closed");
        return;
      }
      if (FATAL_CODES.has(event.code)) {
        stopped = true;
        setState("closed", event);
        renderIndicator();
        if (onClose) onClose(event);
        return;
      }
      setState("offline", event);
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
    attempt += 1;
    // "Equal jitter": half fixed, half random, so a server restart is not hit by every client at once.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (stopped || (ws && ws.readyState <= WebSocket.OPEN)) return;
    attempt = 0;
    connect();
  }

  function startPing() {
    stopPing();
    pingTimer = setInterval(() => send("ping", { ts: Date.now() }), PING_MS);
  }

  function stopPing() {
    clearInterval(pingTimer);
    pingTimer = null;
  }

  // Returns true when the frame went out now (or was queued with queueWhileOffline).
  function send(type, data = {}) {
    const text = JSON.stringify({ type, data });
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(text);
      return true;
    }
    if (queueWhileOffline && type !== "ping") {
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
    if (ws) ws.close(1000);
    ws = null;
    handle.state = "closed";
    renderIndicator();
  }

  window.addEventListener("online", reconnectNow);
  connect();
  return handle;
}
