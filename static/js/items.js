// Items: CRUD, status filter, bulk create and bulk status, and "Process" whose
// progress arrives live as item_updated on the personal socket.
import { api, results } from "./api.js";
import { personal } from "./app.js";
import { el, timeAgo, toast } from "./ui.js";

const list = document.getElementById("items");
const filter = document.getElementById("status-filter");
const countNode = document.getElementById("items-count");
const selectAll = document.getElementById("select-all");
const rows = new Map(); // id -> {item, node}

function statusPill(status) {
  return el("span", { class: "pill status", dataset: { status }, "aria-label": `Status: ${status}` }, status);
}

function renderItem(item) {
  const checkbox = el("input", { type: "checkbox", class: "select", "aria-label": `Select ${item.title}`, value: item.id });
  const busy = item.status === "queued" || item.status === "processing";
  const node = el(
    "li",
    { class: "item", dataset: { id: item.id, status: item.status } },
    checkbox,
    el("div", { class: "grow" }, el("strong", { class: "item-title" }, item.title), item.description ? el("div", { class: "muted" }, item.description) : null),
    statusPill(item.status),
    el(
      "div",
      { class: "item-actions" },
      el("button", { type: "button", class: "link-button", "aria-label": `Edit ${item.title}`, onclick: () => startEdit(item.id) }, "Edit"),
      el("button", { type: "button", class: "link-button", "aria-label": `Process ${item.title}`, disabled: busy, onclick: () => processItem(item.id) }, "Process"),
      el("button", { type: "button", class: "link-button danger-text", "aria-label": `Delete ${item.title}`, onclick: () => deleteItem(item.id) }, "Delete"),
    ),
    el("time", { class: "muted small", datetime: item.updated_at }, timeAgo(item.updated_at)),
  );
  return node;
}

function upsert(item, { prepend = false } = {}) {
  const existing = rows.get(item.id);
  const merged = existing ? { ...existing.item, ...item } : item;
  if (filter.value && merged.status !== filter.value && !existing) return;
  const node = renderItem(merged);
  if (existing) {
    node.querySelector(".select").checked = existing.node.querySelector(".select").checked;
    existing.node.replaceWith(node);
  } else if (prepend) list.prepend(node);
  else list.append(node);
  rows.set(item.id, { item: merged, node });
  list.querySelector(".empty")?.remove();
  updateCount();
}

function remove(id) {
  rows.get(id)?.node.remove();
  rows.delete(id);
  updateCount();
}

function updateCount() {
  countNode.textContent = `${rows.size} item${rows.size === 1 ? "" : "s"} shown`;
  if (!rows.size && !list.querySelector(".empty")) list.append(el("li", { class: "muted empty" }, "No items."));
}

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

function startEdit(id) {
  const { item, node } = rows.get(id);
  const titleId = `edit-title-${id}`;
  const descId = `edit-desc-${id}`;
  const form = el(
    "form",
    { class: "edit-form" },
    el("label", { for: titleId }, "Title"),
    el("input", { id: titleId, name: "title", value: item.title, required: true, maxlength: 200 }),
    el("label", { for: descId }, "Description"),
    el("input", { id: descId, name: "description", value: item.description || "", maxlength: 2000 }),
    el("div", { class: "row" }, el("button", { type: "submit", class: "primary" }, "Save"), el("button", { type: "button", class: "secondary", onclick: () => upsert(item) }, "Cancel")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const updated = await api(`/api/items/${id}/`, {
        method: "PATCH",
        body: { title: form.elements.title.value, description: form.elements.description.value },
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
  form.elements.title.focus();
}

async function processItem(id) {
  try {
    const item = await api(`/api/items/${id}/process/`, { method: "POST" });
    upsert(item);
  } catch {
    /* shown by api() */
  }
}

async function deleteItem(id) {
  const { item } = rows.get(id);
  if (!confirm(`Delete "${item.title}"?`)) return;
  try {
    await api(`/api/items/${id}/`, { method: "DELETE" });
    remove(id);
  } catch {
    /* shown by api() */
  }
}

document.getElementById("item-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const item = await api("/api/items/", {
      method: "POST",
      body: { title: form.elements.title.value, description: form.elements.description.value, status: form.elements.status.value },
    });
    upsert(item, { prepend: true });
    form.reset();
  } catch {
    /* shown by api() */
  }
});

document.getElementById("bulk-create").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  const stamp = new Date().toLocaleTimeString();
  const items = Array.from({ length: 5 }, (_, i) => ({ title: `Bulk item ${i + 1} (${stamp})`, status: "active" }));
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

selectAll.addEventListener("change", () => {
  for (const box of list.querySelectorAll("input.select")) box.checked = selectAll.checked;
});

document.getElementById("bulk-apply").addEventListener("click", async () => {
  const ids = [...list.querySelectorAll("input.select:checked")].map((box) => Number(box.value));
  if (!ids.length) {
    toast("Select some items first.", "error");
    return;
  }
  const status = document.getElementById("bulk-status").value;
  try {
    await api("/api/items/bulk/status/", { method: "PATCH", body: { ids, status } });
    for (const id of ids) upsert({ id, status });
    selectAll.checked = false;
    for (const box of list.querySelectorAll("input.select")) box.checked = false;
    toast(`Updated ${ids.length} item${ids.length === 1 ? "" : "s"}.`);
  } catch {
    /* shown by api() */
  }
});

filter.addEventListener("change", load);

// Live updates from the personal socket (processing progress, other tabs).
personal.addEventListener("item_updated", (event) => {
  const data = event.detail.data;
  if (rows.has(data.id)) upsert(data);
});
personal.addEventListener("item_created", (event) => {
  if (!rows.has(event.detail.data.id)) upsert(event.detail.data, { prepend: true });
});
personal.addEventListener("item_deleted", (event) => remove(event.detail.data.id));
personal.addEventListener("items_bulk_status_updated", (event) => {
  for (const id of event.detail.data.ids || []) if (rows.has(id)) upsert({ id, status: event.detail.data.status });
});
personal.addEventListener("items_bulk_created", (event) => {
  if ((event.detail.data.ids || []).some((id) => !rows.has(id))) load();
});

load();
