// @ts-check
// The one entry point, loaded on every page (templates/base.html); for a logged-in user it goes on to
// read the server's constants from <body>, open the personal socket (/ws/notifications/),
// start the bell, then `init(root, {personal})` of the page module named by
// <main data-module="...">. Pages subscribe to the personal socket with `personal.on(type, fn)`.
import * as bell from "./bell.js";
import * as chat from "./chat.js";
import * as chatBadge from "./chat_badge.js";
import { configure } from "./constants.js";
import * as feed from "./feed.js";
import * as items from "./items.js";
import * as live_go from "./live_go.js";
import * as live_list from "./live_list.js";
import * as live_watch from "./live_watch.js";
import { notificationCursor } from "./notifications_state.js";
import * as post from "./post.js";
import * as profile from "./profile.js";
import * as room from "./room.js";
import * as rooms from "./rooms.js";
import * as stats from "./stats.js";
import * as theme from "./theme.js";
import { createSocket } from "./socket.js";
import { setMe } from "./ui.js";

/** @typedef {{personal: import("./socket.js").Socket}} PageContext */

// Imported statically (not with import()) so every page module has run its `init` before the
// page's load event: a click right after load finds its listeners in place.
/** @type {Record<string, {init: (root: HTMLElement, context: PageContext) => unknown}>} */
const PAGES = { chat, feed, items, live_go, live_list, live_watch, post, profile, room, rooms, stats };

/**
 * @param {Document} doc
 * @returns {unknown} what the page's init returned (a promise for pages that load data)
 */
export function start(doc) {
  configure(doc.body.dataset);
  setMe(doc.body.dataset);
  theme.init(doc);
  // Logged out (log in, sign up): the theme toggle is all there is.
  if (!doc.body.dataset.userId) return null;
  const main = /** @type {HTMLElement | null} */ (doc.querySelector("main[data-module]"));
  const personal = createSocket("/ws/notifications/", { cursor: notificationCursor });
  bell.init(doc, personal);
  chatBadge.init(doc, personal, { onChatPage: main?.dataset.module === "chat" });
  const page = main ? PAGES[main.dataset.module || ""] : undefined;
  // Subscriptions first, then connect: no frame arrives before a page listens.
  const ready = page && main ? page.init(main, { personal }) : null;
  personal.connect();
  return ready;
}

start(document);
