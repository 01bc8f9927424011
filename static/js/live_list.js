// @ts-check
// The live streams list: loaded once, then kept current by `stream_started` / `stream_ended`
// on the personal socket (every personal socket gets them: docs/protocol.md, "Live streams").
import { api, results } from "./api.js";
import { EVENTS } from "./constants.js";
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

const RANK = { live: 0, scheduled: 1 };

/** Live first, then scheduled, then ended; newest first inside each (livestream.selectors.stream_list). */
function byRank(a, b) {
  const rank = (s) => RANK[s.status] ?? 2;
  return rank(a) - rank(b) || String(b.created_at).localeCompare(String(a.created_at)) || b.id - a.id;
}

/**
 * @param {HTMLElement} root  <main>
 * @param {{personal?: import("./socket.js").Socket}} [context]
 */
export async function init(root, { personal } = {}) {
  const list = /** @type {HTMLElement} */ (root.querySelector("#streams"));
  /** @type {Map<number, any>} */
  const streams = new Map();
  const render = () => {
    const sorted = [...streams.values()].sort(byRank);
    list.replaceChildren(...sorted.map(renderStream));
    if (!sorted.length) list.append(el("li", { class: "muted" }, "Nobody is live right now."));
  };
  const load = async () => {
    try {
      const fresh = results(await api("/api/live/streams/", { params: { limit: 50 } }));
      streams.clear();
      for (const s of fresh) streams.set(s.id, s);
      render();
    } catch (err) {
      list.replaceChildren(el("li", { class: "muted" }, `Could not load streams: ${err.message}`));
    }
  };
  if (personal) {
    /** @param {any} data */
    const upsert = (data) => {
      if (!data || !data.stream) return;
      streams.set(data.stream.id, data.stream);
      render();
    };
    personal.on(EVENTS.STREAM_STARTED, upsert);
    personal.on(EVENTS.STREAM_ENDED, upsert);
    // After a reconnect, re-read: events sent while the socket was down are not replayed.
    let connections = 0;
    personal.on(EVENTS.CONNECTION_ESTABLISHED, () => {
      if (connections++) load();
    });
  }
  await load();
}
