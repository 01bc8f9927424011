import { api } from "./api.js";
import { el } from "./ui.js";

document.getElementById("room-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = document.getElementById("room-id").value.trim();
  if (id) location.href = `/rooms/${encodeURIComponent(id)}/`;
});

const list = document.getElementById("rooms");
try {
  const rooms = await api("/api/rtc/rooms/", { quiet: true });
  list.replaceChildren();
  for (const room of Array.isArray(rooms) ? rooms : rooms.results || []) {
    list.append(
      el(
        "li",
        {},
        el("a", { href: `/rooms/${encodeURIComponent(room.room_id)}/` }, room.room_id),
        el("span", { class: "pill" }, `${room.participants} in the room`),
      ),
    );
  }
  if (!list.children.length) list.append(el("li", { class: "muted" }, "No active rooms. Open one above."));
} catch (err) {
  list.replaceChildren(el("li", { class: "muted" }, `Could not load rooms: ${err.message}`));
}
