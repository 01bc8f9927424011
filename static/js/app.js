// @ts-check
// The one entry point, loaded on every page for a logged-in user (templates/base.html):
// read the server's constants from <body>, open the personal socket (/ws/notifications/),
// start the bell, then `init(root, {personal})` of the page module named by
// <main data-module="...">. Pages subscribe to the personal socket with `personal.on(type, fn)`.
import * as bell from "./bell.js";
import { configure } from "./constants.js";
import { notificationCursor } from "./notifications_state.js";
import { createSocket } from "./socket.js";
import { setMe } from "./ui.js";

/** @type {Record<string, () => Promise<{init: (root: HTMLElement, context: PageContext) => unknown}>>} */
const PAGES = {
  chat: () => import("./chat.js"),
  feed: () => import("./feed.js"),
  items: () => import("./items.js"),
  live_go: () => import("./live_go.js"),
  live_list: () => import("./live_list.js"),
  live_watch: () => import("./live_watch.js"),
  profile: () => import("./profile.js"),
  room: () => import("./room.js"),
  rooms: () => import("./rooms.js"),
};

/** @typedef {{personal: import("./socket.js").Socket}} PageContext */

/** @param {Document} doc */
export async function start(doc) {
  configure(doc.body.dataset);
  setMe(doc.body.dataset);
  const personal = createSocket("/ws/notifications/", { cursor: notificationCursor });
  bell.init(doc, personal);
  const main = /** @type {HTMLElement | null} */ (doc.querySelector("main[data-module]"));
  const load = main && PAGES[main.dataset.module || ""];
  // Subscriptions first, then connect: no frame arrives before a page listens.
  const page = load ? await load() : null;
  const ready = page && main ? page.init(main, { personal }) : null;
  personal.connect();
  return ready;
}

start(document);
