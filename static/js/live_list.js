// @ts-check
// The live streams list.
import { api, results } from "./api.js";
import { el, timeAgo, userName } from "./ui.js";

/** @param {{id: number, title?: string, status: string, streamer?: any, current_viewers?: number, started_at?: string, created_at?: string}} s */
function renderStream(s) {
  const live = s.status === "live";
  return el(
    "li",
    { class: live ? "is-live" : "" },
    el("a", { href: `/live/${s.id}/` }, el("strong", {}, s.title || `Stream ${s.id}`)),
    el("span", { class: "muted" }, ` by ${userName(s.streamer)}`),
    el(
      "span",
      { class: `pill${live ? " is-live" : ""}` },
      live ? `LIVE · ${s.current_viewers ?? 0} watching` : s.status,
    ),
    el("time", { class: "muted small", datetime: s.started_at || s.created_at }, timeAgo(s.started_at || s.created_at)),
  );
}

/** @param {HTMLElement} root  <main> */
export async function init(root) {
  const list = /** @type {HTMLElement} */ (root.querySelector("#streams"));
  try {
    const streams = results(await api("/api/live/streams/", { params: { limit: 50 } }));
    list.replaceChildren(...streams.map(renderStream));
    if (!streams.length) list.append(el("li", { class: "muted" }, "Nobody is live right now."));
  } catch (err) {
    list.replaceChildren(el("li", { class: "muted" }, `Could not load streams: ${err.message}`));
  }
}
