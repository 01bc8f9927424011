// @ts-check
// The notifications bell in the top bar: its count and list, live from the personal socket.
import { api, results } from "./api.js";
import { EVENTS } from "./constants.js";
import { badgeText, isUnread, notificationLink, notificationText } from "./notifications_state.js";
import { el, me, timeAgo } from "./ui.js";

/**
 * @param {ParentNode} root  the document (the bell lives in the top bar)
 * @param {import("./socket.js").Socket} personal
 */
export function init(root, personal) {
  const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  const bellButton = byId("bell-button");
  const bellPanel = byId("bell-panel");
  const bellCount = byId("bell-count");
  const bellList = byId("bell-list");
  const markAllButton = byId("bell-mark-all");
  if (!bellButton) return;

  /** @type {Map<number, HTMLElement>} notification id -> <li>, once the dropdown has been opened */
  const loaded = new Map();
  let listLoaded = false;

  // --- rendering ---------------------------------------------------------------------
  /** @param {unknown} count */
  function setCount(count) {
    const { value, text, label } = badgeText(count);
    bellCount.dataset.count = String(value);
    bellCount.textContent = text;
    bellCount.hidden = value === 0;
    bellButton.setAttribute("aria-label", label);
  }

  function clearUnread() {
    setCount(0);
    for (const li of loaded.values()) li.classList.remove("unread");
  }

  /** @param {import("./notifications_state.js").Notification} n */
  function renderNotification(n) {
    const link = notificationLink(n, me.username);
    const li = el(
      "li",
      { class: `bell-item${isUnread(n) ? " unread" : ""}`, dataset: { id: n.id } },
      el(
        "button",
        {
          type: "button",
          class: "bell-item-button",
          onclick: async () => {
            if (li.classList.contains("unread")) {
              li.classList.remove("unread");
              try {
                await api(`/api/notifications/${n.id}/read/`, { method: "POST" });
              } catch {
                li.classList.add("unread");
                return;
              }
            }
            if (link) location.href = link;
          },
        },
        el("span", { class: "bell-text" }, notificationText(n)),
        el("time", { class: "muted", datetime: n.created_at }, timeAgo(n.created_at)),
      ),
    );
    return li;
  }

  /**
   * @param {import("./notifications_state.js").Notification} n
   * @param {{prepend?: boolean}} [options]
   */
  function addNotification(n, { prepend = true } = {}) {
    if (!listLoaded || n.id === undefined || loaded.has(n.id)) return;
    const li = renderNotification(n);
    loaded.set(n.id, li);
    bellList.querySelector(".muted:only-child")?.remove();
    if (prepend) bellList.prepend(li);
    else bellList.append(li);
  }

  async function loadList() {
    try {
      const data = await api("/api/notifications/", { params: { limit: 20 }, quiet: true });
      bellList.replaceChildren();
      loaded.clear();
      listLoaded = true;
      const items = results(data);
      for (const n of items) addNotification(n, { prepend: false });
      if (!items.length) bellList.append(el("li", { class: "muted" }, "No notifications yet."));
    } catch (err) {
      bellList.replaceChildren(el("li", { class: "muted" }, `Could not load notifications: ${err.message}`));
    }
  }

  /** @param {boolean} [open] */
  function togglePanel(open) {
    const show = open ?? bellPanel.hidden;
    bellPanel.hidden = !show;
    bellButton.setAttribute("aria-expanded", String(show));
    if (show) loadList();
  }

  // --- wiring ------------------------------------------------------------------------
  bellButton.addEventListener("click", (event) => {
    event.stopPropagation();
    togglePanel();
  });
  document.addEventListener("click", (event) => {
    if (!bellPanel.hidden && !bellPanel.contains(/** @type {Node} */ (event.target))) togglePanel(false);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !bellPanel.hidden) togglePanel(false);
  });
  markAllButton.addEventListener("click", async () => {
    const before = bellCount.dataset.count;
    clearUnread();
    try {
      await api("/api/notifications/read-all/", { method: "POST" });
    } catch {
      setCount(before);
    }
  });

  personal.on(EVENTS.UNREAD_COUNT, (data) => setCount(data.count));
  personal.on(EVENTS.NEW_NOTIFICATION, (data, frame) => addNotification({ id: frame.id, ...data }));
  personal.on(EVENTS.NOTIFICATION_BATCH, (data) => {
    for (const n of data.notifications || []) addNotification(n);
  });
  personal.on(EVENTS.NOTIFICATION_READ, (data) => loaded.get(data.id)?.classList.remove("unread"));
  personal.on(EVENTS.MARK_ALL_READ, clearUnread);
}
