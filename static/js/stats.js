// @ts-check
// Staff stats page: `stats_subscribe` on the personal socket (again after every reconnect),
// then a `stats` frame every few seconds: figures, two sparklines, one row per process.
import { EVENTS } from "./constants.js";
import { el } from "./ui.js";

const HISTORY = 150; // samples kept for the charts (5 minutes at the default 2 s)

/**
 * @param {any} data
 * @param {string} path  "live.count"
 * @returns {unknown}
 */
export function pick(data, path) {
  return path.split(".").reduce((value, key) => (value == null ? value : value[key]), data);
}

/**
 * @param {number[]} series
 * @param {number} value
 */
export function push(series, value) {
  series.push(value);
  if (series.length > HISTORY) series.shift();
}

/**
 * @param {SVGElement} svg
 * @param {number[]} values
 */
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

/**
 * @param {HTMLElement} root  <main>
 * @param {{personal: import("./socket.js").Socket}} context
 */
export function init(root, { personal }) {
  /** @type {{sockets: number[], messages: number[]}} */
  const history = { sockets: [], messages: [] };
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));

  /** @param {any} data */
  function render(data) {
    for (const node of root.querySelectorAll("[data-stat]")) {
      const value = pick(data, /** @type {HTMLElement} */ (node).dataset.stat || "");
      node.textContent = value == null ? "–" : String(value);
    }
    push(history.sockets, data.sockets);
    push(history.messages, data.messages_per_second);
    spark(/** @type {SVGElement} */ (/** @type {unknown} */ ($("chart-sockets"))), history.sockets);
    spark(/** @type {SVGElement} */ (/** @type {unknown} */ ($("chart-messages"))), history.messages);
    $("stats-updated").textContent = `Updated ${new Date(data.ts).toLocaleTimeString()}.`;
    $("stats-processes").replaceChildren(
      ...(data.processes || []).map((/** @type {any} */ p) =>
        el(
          "tr",
          {},
          el("td", {}, p.process),
          el("td", {}, String(p.sockets)),
          el("td", {}, String(p.messages)),
          el("td", {}, new Date(p.started * 1000).toLocaleString()),
        ),
      ),
    );
  }

  personal.on(EVENTS.STATS, (data) => render(data || {}));
  // Every (re)connect starts without a subscription on the server: ask again.
  personal.on(EVENTS.CONNECTION_ESTABLISHED, () => personal.send(EVENTS.STATS_SUBSCRIBE, {}));
}
