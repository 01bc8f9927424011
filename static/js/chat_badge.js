// @ts-check
// The Chat tab's unread badge on every page, and a toast when a message arrives while the person
// is on another page; both from `chat_update` on the personal socket.
import { api, results } from "./api.js";
import { EVENTS } from "./constants.js";
import { UnreadTotals } from "./chat_state.js";
import { el, me, toast } from "./ui.js";

/**
 * @param {Document} doc
 * @param {import("./socket.js").Socket} personal
 * @param {{onChatPage: boolean}} options  the chat page shows its own list and messages: no toast there
 */
export function init(doc, personal, { onChatPage }) {
  const link = /** @type {HTMLAnchorElement | null} */ (doc.querySelector('.nav a[href="/chat/"]'));
  if (!link) return;
  const badge = el("span", { class: "badge nav-badge", "aria-hidden": "true", hidden: true });
  const spoken = el("span", { class: "sr-only" });
  link.append(badge, spoken);
  const totals = new UnreadTotals();

  const render = () => {
    const total = totals.total();
    badge.hidden = total === 0;
    badge.textContent = total > 99 ? "99+" : String(total);
    spoken.textContent = total ? ` (${total} unread)` : "";
  };

  personal.on(EVENTS.CHAT_UPDATE, (data) => {
    const grew = totals.apply(data.conversation, data.unread_count);
    render();
    const last = data.last_message;
    if (grew && !onChatPage && last && last.sender && last.sender.id !== me.id) {
      toast(`New message from ${last.sender.username}: ${last.text}`);
    }
  });

  api("/api/chat/conversations/", { params: { limit: 50 }, quiet: true })
    .then((data) => {
      for (const c of results(data)) totals.seed(c.id, Number(c.unread_count || 0));
      render();
    })
    .catch(() => {
      /* the badge stays hidden; live updates still count */
    });
}
