// @ts-check
// Live comments list with role badges, times, and (for the streamer and moderators) delete / kick / ban.
import { clock, el, userName } from "./ui.js";

/** @type {Record<string, string>} */
const BADGES = { streamer: "Streamer", moderator: "Mod", vip: "VIP" };

/**
 * @typedef {{remove: (comment: any) => void, kick: (author: any) => void, ban?: (author: any) => void}} Moderation
 */

/**
 * @param {HTMLElement} listNode
 * @param {{moderate?: Moderation | null}} [options]
 */
export function commentList(listNode, { moderate = null } = {}) {
  /** @type {Map<number, HTMLElement>} */
  const nodes = new Map();
  /** @type {Map<number, any>} */
  const data = new Map();

  /**
   * @param {string} label
   * @param {string} text
   * @param {() => void} onclick
   * @param {string} [kind]
   */
  const tool = (label, text, onclick, kind = "link-button danger-text") =>
    el("button", { type: "button", class: kind, "aria-label": label, onclick }, text);

  /** @param {any} comment */
  function render(comment) {
    const author = comment.author || {};
    const badge = BADGES[comment.badge];
    const li = el(
      "li",
      { class: "comment", dataset: { id: comment.id } },
      badge ? el("span", { class: `badge-role badge-${comment.badge}`, title: badge }, badge) : null,
      el("strong", {}, userName(author)),
      " ",
      el("span", { class: "text" }, comment.text),
      comment.created_at ? el("time", { datetime: comment.created_at }, clock(comment.created_at)) : null,
    );
    if (moderate) {
      const name = userName(author);
      const tools = el("span", { class: "mod-tools" });
      tools.append(tool(`Delete comment by ${name}`, "Delete", () => moderate?.remove(comment), "link-button"));
      if (comment.badge !== "streamer") {
        tools.append(tool(`Kick ${name}`, "Kick", () => moderate?.kick(author)));
        if (moderate.ban) tools.append(tool(`Ban ${name}`, "Ban", () => moderate?.ban?.(author)));
      }
      li.append(tools);
    }
    return li;
  }

  /** @param {any} comment */
  function add(comment) {
    if (nodes.has(comment.id)) return;
    const li = render(comment);
    nodes.set(comment.id, li);
    data.set(comment.id, comment);
    const stick = listNode.scrollHeight - listNode.scrollTop - listNode.clientHeight < 60;
    listNode.append(li);
    if (stick) listNode.scrollTop = listNode.scrollHeight;
  }

  /** @param {number} id */
  function remove(id) {
    nodes.get(id)?.remove();
    nodes.delete(id);
    data.delete(id);
  }

  /**
   * Moderation tools appear (or go) on every comment, e.g. once the socket says this user moderates.
   * @param {Moderation | null} next
   */
  function setModerate(next) {
    moderate = next;
    for (const [id, comment] of data) {
      const li = render(comment);
      nodes.get(id)?.replaceWith(li);
      nodes.set(id, li);
    }
  }
  function clear() {
    for (const li of nodes.values()) li.remove();
    nodes.clear();
    data.clear();
  }
  return { add, remove, setModerate, clear };
}
