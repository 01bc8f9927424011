// @ts-check
// Small DOM helpers shared by the pages (no framework). Nothing runs at import time.

// el("li", {class: "x", dataset: {id: 1}, onclick: fn}, "text", childNode)
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = el("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 6000 : 3500);
}

export function timeAgo(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

// Text with @mentions turned into profile links; everything else stays text (no HTML injection).
export function richText(text) {
  const frag = document.createDocumentFragment();
  const re = /@([\w.@+-]{1,150})/g;
  let last = 0;
  for (const match of String(text || "").matchAll(re)) {
    frag.append(text.slice(last, match.index));
    const name = match[1].replace(/[.]+$/, "");
    frag.append(el("a", { href: `/u/${encodeURIComponent(name)}/`, class: "mention" }, `@${name}`));
    last = match.index + 1 + name.length;
  }
  frag.append(String(text || "").slice(last));
  return frag;
}

// A user in a payload may be an object ({id, username}) or a bare name or id. Every page names a user the
// same way: the display name, else the name, else the username (feed and profile agree).
export function userName(user) {
  if (user === null || user === undefined) return "someone";
  if (typeof user === "object") return user.display_name || user.name || user.username || `user ${user.id}`;
  return String(user);
}

export function userId(user) {
  if (user && typeof user === "object") return user.id ?? user.user_id;
  return user;
}

/**
 * The logged-in user, filled by `setMe(document.body.dataset)` at start-up.
 * @type {{id: number | null, username: string}}
 */
export const me = { id: null, username: "" };

/** @param {Record<string, string | undefined>} dataset */
export function setMe(dataset) {
  me.id = Number(dataset.userId) || null;
  me.username = dataset.username || "";
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`;
}

/**
 * "1 follower", "2 followers": a count with its noun in the right number.
 * @param {number} count
 * @param {string} singular
 * @param {string} [plural]
 */
export function plural(count, singular, plural = `${singular}s`) {
  return `${count} ${count === 1 ? singular : plural}`;
}
