// @ts-check
// The notifications bell in the top bar: its count and list, live from the personal socket.
import { api, results } from "./api.js";
import { EVENTS } from "./constants.js";
import { badgeText, isUnread, isUrgent, notificationLink, notificationText } from "./notifications_state.js";
import { el, timeAgo } from "./ui.js";

/** How long an urgent toast stays when nobody dismisses it. */
const URGENT_TOAST_MS = 12000;

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
  const urgentBox = byId("bell-toasts");
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
    const spoken = bellButton.querySelector("#bell-label");
    if (spoken) spoken.textContent = label;
  }

  function clearUnread() {
    setCount(0);
    for (const li of loaded.values()) li.classList.remove("unread");
  }

  /** @param {import("./notifications_state.js").Notification} n */
  function renderNotification(n) {
    const link = notificationLink(n);
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
              if (!(await markRead(n))) {
                li.classList.add("unread");
                return;
              }
            }
            if (link) follow(link);
          },
        },
        el("span", { class: "bell-text" }, notificationText(n)),
        el("time", { class: "muted", datetime: n.created_at }, timeAgo(n.created_at)),
      ),
    );
    return li;
  }

  /** @param {import("./notifications_state.js").Notification} n */
  async function markRead(n) {
    try {
      await api(`/api/notifications/${n.id}/read/`, { method: "POST" });
      return true;
    } catch {
      return false;
    }
  }

  /** @param {string} link  a page, maybe this one with another #comment */
  function follow(link) {
    const target = new URL(link, location.href);
    const samePage = target.pathname === location.pathname && target.search === location.search;
    location.assign(target.href);
    // Same page, new #comment: assign() only scrolls, so reload to bring that comment up in its thread.
    if (samePage && target.hash) location.reload();
  }

  /**
   * A high-priority notification as a toast by the bell: announced, with a link and a Dismiss button.
   * @param {import("./notifications_state.js").Notification} n
   */
  function showUrgent(n) {
    if (!urgentBox || !isUrgent(n)) return;
    const link = notificationLink(n);
    const text = notificationText(n);
    const box = el("div", { class: "bell-toast", role: "alert", dataset: { id: n.id } });
    const dismiss = () => box.remove();
    box.append(
      link
        ? el(
            "a",
            {
              href: link,
              class: "bell-toast-text",
              onclick: async (/** @type {MouseEvent} */ event) => {
                event.preventDefault();
                dismiss();
                await markRead(n);
                follow(link);
              },
            },
            text,
          )
        : el("span", { class: "bell-toast-text" }, text),
      el(
        "button",
        { type: "button", class: "icon-button", "aria-label": "Dismiss notification", onclick: dismiss },
        el("span", { "aria-hidden": "true" }, "×"),
      ),
    );
    urgentBox.prepend(box);
    setTimeout(dismiss, URGENT_TOAST_MS);
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

  /**
   * @param {boolean} [open]
   * @param {{refocus?: boolean}} [options]  closing with the keyboard puts focus back on the bell
   */
  function togglePanel(open, { refocus = false } = {}) {
    const show = open ?? bellPanel.hidden;
    bellPanel.hidden = !show;
    bellButton.setAttribute("aria-expanded", String(show));
    if (show) loadList();
    else if (refocus || bellPanel.contains(document.activeElement)) bellButton.focus();
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
    if (event.key === "Escape" && !bellPanel.hidden) togglePanel(false, { refocus: true });
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
  personal.on(EVENTS.NEW_NOTIFICATION, (data, frame) => {
    addNotification({ id: frame.id, ...data });
    showUrgent({ id: frame.id, ...data });
  });
  personal.on(EVENTS.NOTIFICATION_BATCH, (data) => {
    for (const n of data.notifications || []) addNotification(n);
  });
  personal.on(EVENTS.NOTIFICATION_READ, (data) => loaded.get(data.id)?.classList.remove("unread"));
  personal.on(EVENTS.MARK_ALL_READ, clearUnread);
}
