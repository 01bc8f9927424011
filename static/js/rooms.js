// @ts-check
// The rooms page: create an owned room, and the rooms I may join (mine, the ones I
// was invited to or admitted into, and public ones) with their live head counts.
import { api, results } from "./api.js";
import { EVENTS, LIMITS } from "./constants.js";
import { el, me, userName } from "./ui.js";

// The head counts come live from `room_presence` on the personal socket (docs/protocol.md,
// "P2P rooms"). Only while that socket is down is the list re-read, every FALLBACK_MS.
const FALLBACK_MS = 15000;

function roomPath(roomId) {
  return `/rooms/${encodeURIComponent(roomId)}/`;
}

/** @param {number} count */
function countPill(count) {
  return el("span", { class: `pill${count ? " is-busy" : ""}`, dataset: { count: "" } }, `${count} in the room`);
}

function renderRoom(room) {
  const owner = room.is_owner ? "you" : userName(room.owner);
  const count = Number(room.participants) || 0;
  return el(
    "li",
    { dataset: { roomId: room.room_id } },
    el("a", { href: roomPath(room.room_id), class: "grow" }, room.title || room.room_id),
    el("span", { class: "muted small" }, `${room.room_id} · owned by ${owner}`),
    el("span", { class: "pill" }, room.visibility === "public" ? "Public" : "Private"),
    countPill(count),
  );
}

async function loadRooms(list) {
  try {
    const rooms = results(await api("/api/rtc/rooms/", { quiet: true, params: { limit: 100 } }));
    list.replaceChildren(...rooms.map(renderRoom));
    if (!rooms.length)
      list.append(el("li", { class: "muted" }, "No rooms yet. Create one above, or open an invite link."));
  } catch (err) {
    list.replaceChildren(el("li", { class: "muted" }, `Could not load rooms: ${err.message}`));
  }
}

function wireForm(form) {
  const idInput = form.querySelector("#room-id");
  const errorNode = form.querySelector("#room-form-error");
  const button = form.querySelector("button[type=submit]");
  const showError = (message) => {
    errorNode.textContent = message;
    errorNode.hidden = !message;
    idInput.setAttribute("aria-invalid", message ? "true" : "false");
  };
  idInput.addEventListener("input", () => showError(""));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const roomId = idInput.value.trim();
    if (roomId && !new RegExp(`^${LIMITS.roomIdPattern}$`).test(roomId)) {
      showError("A room id uses letters, digits, _ and - only, at most 64.");
      idInput.focus();
      return;
    }
    const body = {
      title: form.querySelector("#room-title").value.trim(),
      visibility: form.querySelector("#room-public").checked ? "public" : "private",
      lobby_enabled: form.querySelector("#room-lobby").checked,
    };
    if (roomId) body.room_id = roomId;
    button.disabled = true;
    try {
      const room = await api("/api/rtc/rooms/", { method: "POST", body, quiet: true });
      location.href = roomPath(room.room_id);
    } catch (err) {
      const body = err.body || {};
      const fieldError = body.errors && Array.isArray(body.errors.room_id) ? String(body.errors.room_id[0]) : "";
      showError(
        body.code === "room_id_taken"
          ? `The id “${roomId}” is taken. Pick another one, or leave it empty.`
          : fieldError || err.message,
      );
      idInput.focus();
      button.disabled = false;
    }
  });
}

/**
 * A room's new head count: its row's pill changes; a room not listed yet (a public room just
 * created, an invitation accepted elsewhere) makes the list re-read.
 * @param {HTMLElement} list
 * @param {{room: string, participants: number}} data
 * @param {() => void} reload
 */
export function applyPresence(list, data, reload) {
  const row = [...list.querySelectorAll("li[data-room-id]")].find(
    (li) => /** @type {HTMLElement} */ (li).dataset.roomId === data.room,
  );
  if (!row) {
    reload();
    return;
  }
  const pill = row.querySelector("[data-count]");
  if (pill) pill.replaceWith(countPill(Number(data.participants) || 0));
}

/**
 * @param {HTMLElement} root  <main>
 * @param {{personal?: import("./socket.js").Socket}} [context]
 */
export function init(root, { personal } = {}) {
  if (!me.id) return;
  wireForm(root.querySelector("#room-form"));
  const list = /** @type {HTMLElement} */ (root.querySelector("#rooms"));
  let reloading = null;
  const reload = () => {
    reloading ??= loadRooms(list).finally(() => (reloading = null));
  };
  reload();
  if (personal) {
    personal.on(EVENTS.ROOM_PRESENCE, (data) => applyPresence(list, data, reload));
    let connections = 0;
    personal.on(EVENTS.CONNECTION_ESTABLISHED, () => {
      if (connections++) reload(); // counts changed while the socket was down are not replayed
    });
  }
  setInterval(() => {
    if (document.visibilityState === "visible" && !(personal && personal.open)) reload();
  }, FALLBACK_MS);
}
