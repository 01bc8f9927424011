// @ts-check
// The rooms page: create an owned room, and the rooms I may join (mine, the ones I
// was invited to or admitted into, and public ones) with their live head counts.
import { api, results } from "./api.js";
import { LIMITS } from "./constants.js";
import { el, me, userName } from "./ui.js";

// The head counts live in the presence store; there is no socket for the list,
// so it is re-read while the page is visible.
const REFRESH_MS = 15000;

function roomPath(roomId) {
  return `/rooms/${encodeURIComponent(roomId)}/`;
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
    el("span", { class: `pill${count ? " is-busy" : ""}` }, `${count} in the room`),
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

/** @param {HTMLElement} root  <main> */
export function init(root) {
  if (!me.id) return;
  wireForm(root.querySelector("#room-form"));
  const list = root.querySelector("#rooms");
  loadRooms(list);
  setInterval(() => {
    if (document.visibilityState === "visible") loadRooms(list);
  }, REFRESH_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") loadRooms(list);
  });
}
