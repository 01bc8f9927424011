import { api, results } from "./api.js";
import { el, timeAgo, userName } from "./ui.js";

const list = document.getElementById("streams");
try {
  const streams = results(await api("/api/live/streams/", { params: { limit: 50 } }));
  list.replaceChildren();
  for (const s of streams) {
    list.append(
      el(
        "li",
        { class: s.status === "live" ? "is-live" : "" },
        el("a", { href: `/live/${s.id}/` }, el("strong", {}, s.title || `Stream ${s.id}`)),
        el("span", { class: "muted" }, ` by ${userName(s.streamer)}`),
        el("span", { class: `pill${s.status === "live" ? " is-live" : ""}` }, s.status === "live" ? `LIVE · ${s.current_viewers ?? 0} watching` : s.status),
        el("time", { class: "muted small", datetime: s.started_at || s.created_at }, timeAgo(s.started_at || s.created_at)),
      ),
    );
  }
  if (!streams.length) list.append(el("li", { class: "muted" }, "Nobody is live right now."));
} catch (err) {
  list.replaceChildren(el("li", { class: "muted" }, `Could not load streams: ${err.message}`));
}
