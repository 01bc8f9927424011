// @ts-check
// Live comments list with role badges and (for moderators) delete / kick controls.
import { el, userName } from "./ui.js";

const BADGES = { streamer: "Streamer", moderator: "Mod", vip: "VIP" };

export function commentList(listNode, { moderate = null } = {}) {
  const nodes = new Map();
  function add(comment) {
    if (nodes.has(comment.id)) return;
    const author = comment.author || {};
    const badge = BADGES[comment.badge];
    const li = el(
      "li",
      { class: "comment", dataset: { id: comment.id } },
      badge ? el("span", { class: `badge-role badge-${comment.badge}`, title: badge }, badge) : null,
      el("strong", {}, userName(author)),
      " ",
      el("span", { class: "text" }, comment.text),
    );
    if (moderate) {
      const tools = el("span", { class: "mod-tools" });
      tools.append(
        el(
          "button",
          {
            type: "button",
            class: "link-button",
            "aria-label": `Delete comment by ${userName(author)}`,
            onclick: () => moderate.remove(comment),
          },
          "Delete",
        ),
      );
      if (comment.badge !== "streamer") {
        tools.append(
          el(
            "button",
            {
              type: "button",
              class: "link-button danger-text",
              "aria-label": `Kick ${userName(author)}`,
              onclick: () => moderate.kick(author),
            },
            "Kick",
          ),
        );
      }
      li.append(tools);
    }
    nodes.set(comment.id, li);
    const stick = listNode.scrollHeight - listNode.scrollTop - listNode.clientHeight < 60;
    listNode.append(li);
    if (stick) listNode.scrollTop = listNode.scrollHeight;
  }
  function remove(id) {
    nodes.get(id)?.remove();
    nodes.delete(id);
  }
  return { add, remove };
}
