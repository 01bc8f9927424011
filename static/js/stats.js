// Staff stats page: `stats_subscribe` on the personal socket (again after every reconnect),
// then a `stats` frame every few seconds: figures, two sparklines, one row per process.
import { personal, personalSocket } from "./app.js";
import { el } from "./ui.js";

const HISTORY = 150; // samples kept for the charts (5 minutes at the default 2 s)
const history = { sockets: [], messages: [] };

function pick(data, path) {
  return path.split(".").reduce((value, key) => (value == null ? value : value[key]), data);
}

function spark(svg, values) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 300 / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(58 - (v / max) * 56).toFixed(1)}`).join(" ");
  svg.replaceChildren();
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points);
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "2");
  svg.append(line);
  svg.dataset.samples = String(values.length);
  svg.dataset.last = String(values.at(-1) ?? "");
}

function push(series, value) {
  series.push(value);
  if (series.length > HISTORY) series.shift();
}

function render(data) {
  for (const node of document.querySelectorAll("[data-stat]")) {
    const value = pick(data, node.dataset.stat);
    node.textContent = value == null ? "–" : String(value);
  }
  push(history.sockets, data.sockets);
  push(history.messages, data.messages_per_second);
  spark(document.getElementById("chart-sockets"), history.sockets);
  spark(document.getElementById("chart-messages"), history.messages);
  document.getElementById("stats-updated").textContent = `Updated ${new Date(data.ts).toLocaleTimeString()}.`;
  document.getElementById("stats-processes").replaceChildren(
    ...(data.processes || []).map((p) =>
      el("tr", {}, el("td", {}, p.process), el("td", {}, String(p.sockets)), el("td", {}, String(p.messages)), el("td", {}, new Date(p.started * 1000).toLocaleString())),
    ),
  );
}

function subscribe() {
  personalSocket.send("stats_subscribe", {});
}

personal.addEventListener("stats", (event) => render(event.detail.data || {}));
personal.addEventListener("connection_established", subscribe);
if (personalSocket.open) subscribe();
