// @ts-check
// Items: CRUD, status filter, bulk create and bulk status, and "Process" whose
// progress arrives live as item_updated on the personal socket.
import { api, results } from "./api.js";
import { EVENTS, LIMITS } from "./constants.js";
import { USER_STATUSES, bulkItems, countText, isBusy, mergeItem, ownerLabel } from "./items_state.js";
import { el, me, timeAgo, toast } from "./ui.js";

/** @typedef {import("./items_state.js").Item} Item */

/**
 * @param {HTMLElement} root  <main>
 * @param {{personal: import("./socket.js").Socket}} context
 */
export function init(root, { personal }) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  const list = $("items");
  const filter = /** @type {HTMLSelectElement} */ ($("status-filter"));
  const countNode = $("items-count");
  const selectAll = /** @type {HTMLInputElement} */ ($("select-all"));
  /** @type {Map<number, {item: Item, node: HTMLElement}>} */
  const rows = new Map();

  // --- rendering ---
  /** @param {string | undefined} status */
  function statusPill(status) {
    return el("span", { class: "pill status", dataset: { status }, "aria-label": `Status: ${status}` }, status);
  }

  /** @param {Item} item */
  function renderItem(item) {
    const checkbox = el("input", {
      type: "checkbox",
      class: "select",
      "aria-label": `Select ${item.title}`,
      value: item.id,
    });
    const button = (/** @type {string} */ label, /** @type {() => void} */ onclick, extra = {}) =>
      el(
        "button",
        { type: "button", class: "link-button", "aria-label": `${label} ${item.title}`, onclick, ...extra },
        label,
      );
    return el(
      "li",
      { class: "item", dataset: { id: item.id, status: item.status } },
      checkbox,
      el(
        "div",
        { class: "grow" },
        el("strong", { class: "item-title" }, item.title),
        item.description ? el("div", { class: "muted" }, item.description) : null,
        ownerLabel(item, me.username) ? el("div", { class: "muted small owner" }, ownerLabel(item, me.username)) : null,
      ),
      statusPill(item.status),
      el(
        "div",
        { class: "item-actions" },
        button("Edit", () => startEdit(item.id)),
        button("Process", () => processItem(item.id), { disabled: isBusy(item) }),
        button("Delete", () => deleteItem(item.id), { class: "link-button danger-text" }),
      ),
      el("time", { class: "muted small", datetime: item.updated_at }, timeAgo(item.updated_at)),
    );
  }

  /**
   * @param {Item} item
   * @param {{prepend?: boolean}} [options]
   */
  function upsert(item, { prepend = false } = {}) {
    const existing = rows.get(item.id);
    const merged = mergeItem(existing?.item, item, filter.value);
    if (!merged) return;
    const node = renderItem(merged);
    if (existing) {
      const box = /** @type {HTMLInputElement} */ (node.querySelector(".select"));
      box.checked = /** @type {HTMLInputElement | null} */ (existing.node.querySelector(".select"))?.checked ?? false;
      existing.node.replaceWith(node);
    } else if (prepend) list.prepend(node);
    else list.append(node);
    rows.set(item.id, { item: merged, node });
    list.querySelector(".empty")?.remove();
    updateCount();
  }

  /** @param {number} id */
  function remove(id) {
    rows.get(id)?.node.remove();
    rows.delete(id);
    updateCount();
  }

  function updateCount() {
    countNode.textContent = countText(rows.size);
    if (!rows.size && !list.querySelector(".empty")) list.append(el("li", { class: "muted empty" }, "No items."));
  }

  /** @param {number} id */
  function startEdit(id) {
    const row = rows.get(id);
    if (!row) return;
    const { item, node } = row;
    const titleId = `edit-title-${id}`;
    const descId = `edit-desc-${id}`;
    const statusId = `edit-status-${id}`;
    // A worker's status (queued, processing, …) is kept unless the person picks one of theirs.
    const statusSelect = el(
      "select",
      { id: statusId, name: "status" },
      USER_STATUSES.includes(item.status || "") ? null : el("option", { value: "" }, `${item.status} (keep)`),
      USER_STATUSES.map((status) => el("option", { value: status, selected: status === item.status }, status)),
    );
    const form = /** @type {HTMLFormElement} */ (
      el(
        "form",
        { class: "edit-form" },
        el("label", { for: titleId }, "Title"),
        el("input", {
          id: titleId,
          name: "title",
          value: item.title,
          required: true,
          maxlength: LIMITS.itemTitleMaxLength,
        }),
        el("label", { for: descId }, "Description"),
        el("input", {
          id: descId,
          name: "description",
          value: item.description || "",
          maxlength: LIMITS.itemDescriptionMaxLength,
        }),
        el("label", { for: statusId }, "Status"),
        statusSelect,
        el(
          "div",
          { class: "row" },
          el("button", { type: "submit", class: "primary" }, "Save"),
          el("button", { type: "button", class: "secondary", onclick: () => upsert(item) }, "Cancel"),
        ),
      )
    );
    const field = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const updated = await api(`/api/items/${id}/`, {
          method: "PATCH",
          body: {
            title: field("title").value,
            description: field("description").value,
            ...(field("status").value ? { status: field("status").value } : {}),
          },
        });
        upsert(updated);
        toast("Saved.");
      } catch {
        /* shown by api() */
      }
    });
    const li = el("li", { class: "item editing", dataset: { id } }, form);
    node.replaceWith(li);
    rows.set(id, { item, node: li });
    field("title").focus();
  }

  // --- actions ---
  async function load() {
    try {
      const data = await api("/api/items/", { params: { status: filter.value, limit: 100 } });
      list.replaceChildren();
      rows.clear();
      for (const item of results(data)) upsert(item);
      updateCount();
    } catch (err) {
      list.replaceChildren(el("li", { class: "muted" }, `Could not load items: ${err.message}`));
    }
  }

  /** @param {number} id */
  async function processItem(id) {
    try {
      upsert(await api(`/api/items/${id}/process/`, { method: "POST" }));
    } catch {
      /* shown by api() */
    }
  }

  /** @param {number} id */
  async function deleteItem(id) {
    const row = rows.get(id);
    if (!row || !confirm(`Delete "${row.item.title}"?`)) return;
    try {
      await api(`/api/items/${id}/`, { method: "DELETE" });
      remove(id);
    } catch {
      /* shown by api() */
    }
  }

  // --- wiring ---
  $("item-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    const field = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
    try {
      const item = await api("/api/items/", {
        method: "POST",
        body: { title: field("title").value, description: field("description").value, status: field("status").value },
      });
      upsert(item, { prepend: true });
      form.reset();
    } catch {
      /* shown by api() */
    }
  });

  $("bulk-create").addEventListener("click", async (event) => {
    const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
    button.disabled = true;
    const items = bulkItems(new Date().toLocaleTimeString());
    try {
      const data = await api("/api/items/bulk/", { method: "POST", body: { items } });
      for (const item of [...(data.items || [])].reverse()) upsert(item, { prepend: true });
      toast(`Created ${data.count ?? items.length} items.`);
    } catch {
      /* shown by api() */
    } finally {
      button.disabled = false;
    }
  });

  const checkboxes = () => /** @type {NodeListOf<HTMLInputElement>} */ (list.querySelectorAll("input.select"));
  selectAll.addEventListener("change", () => {
    for (const box of checkboxes()) box.checked = selectAll.checked;
  });

  $("bulk-apply").addEventListener("click", async () => {
    const ids = [...checkboxes()].filter((box) => box.checked).map((box) => Number(box.value));
    if (!ids.length) {
      toast("Select some items first.", "error");
      return;
    }
    const status = /** @type {HTMLSelectElement} */ ($("bulk-status")).value;
    try {
      await api("/api/items/bulk/status/", { method: "PATCH", body: { ids, status } });
      for (const id of ids) upsert({ id, status });
      selectAll.checked = false;
      for (const box of checkboxes()) box.checked = false;
      toast(`Updated ${ids.length} item${ids.length === 1 ? "" : "s"}.`);
    } catch {
      /* shown by api() */
    }
  });

  filter.addEventListener("change", load);

  // Live updates from the personal socket (processing progress, other tabs).
  personal.on(EVENTS.ITEM_UPDATED, (data) => {
    if (rows.has(data.id)) upsert(data);
  });
  personal.on(EVENTS.ITEM_CREATED, (data) => {
    if (!rows.has(data.id)) upsert(data, { prepend: true });
  });
  personal.on(EVENTS.ITEM_DELETED, (data) => remove(data.id));
  personal.on(EVENTS.ITEMS_BULK_STATUS_UPDATED, (data) => {
    for (const id of data.ids || []) if (rows.has(id)) upsert({ id, status: data.status });
  });
  personal.on(EVENTS.ITEMS_BULK_CREATED, (data) => {
    if ((data.ids || []).some((/** @type {number} */ id) => !rows.has(id))) load();
  });

  load();
}
