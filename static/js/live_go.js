// @ts-check
// Go live: camera preview, one RTCPeerConnection per viewer (the streamer offers
// whenever a viewer asks with request_offer), viewer count, comments, moderation.
// While live: the title and "You are live", the time since the start, screen sharing
// (replaceTrack on every viewer's connection), each viewer's connection quality
// (`viewer_quality`); after the end, the form comes back to go live again. The channel's
// moderators, VIPs and bans are managed here too (REST: /api/live/moderators|vips|bans/).
import { api, results } from "./api.js";
import { commentList } from "./comments.js";
import { CLOSE, EVENTS } from "./constants.js";
import { qualityGrade, qualityText } from "./quality.js";
import { Peer, getCamera, getScreen, iceConfig, replaceVideo } from "./rtc.js";
import { createSocket } from "./socket.js";
import { el, toast, userName } from "./ui.js";

/**
 * "m:ss" or "h:mm:ss" since `since` (ms).
 * @param {number} since
 * @param {number} now
 */
export function elapsedText(since, now) {
  const total = Math.max(0, Math.floor((now - since) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** @param {HTMLElement} root  <main> */
export function init(root) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  const form = $("go-form");
  const titleInput = /** @type {HTMLInputElement} */ ($("stream-title"));
  const goButton = /** @type {HTMLButtonElement} */ ($("go-button"));
  const endButton = /** @type {HTMLButtonElement} */ ($("end-button"));
  const preview = /** @type {HTMLVideoElement} */ ($("preview"));
  const statusNode = $("live-status");
  const viewerCount = $("viewer-count");
  const linkNode = $("live-link");
  const commentForm = $("comment-form");
  const commentInput = /** @type {HTMLInputElement} */ ($("comment-text"));
  const commentButton = /** @type {HTMLButtonElement} */ (commentForm.querySelector("button"));
  const banner = $("live-banner");
  const elapsed = $("elapsed");
  const shareButton = /** @type {HTMLButtonElement} */ ($("share-screen"));
  const qualityList = $("viewer-quality");

  /** @type {{id: number} | null} */
  let stream = null;
  /** @type {import("./socket.js").Socket | null} */
  let sock = null;
  /** @type {MediaStream | null} */
  let media = null;
  /** @type {RTCConfiguration} */
  let config = {};
  /** @type {Map<string, Peer>} viewer peer (connection) id -> Peer */
  const peers = new Map();
  /** @type {MediaStreamTrack | null} */
  let screenTrack = null;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let clockTimer;
  /** @type {Map<string, {user: any, summary: import("./quality.js").QualitySummary}>} viewer peer id -> last report */
  const quality = new Map();

  function renderQuality() {
    qualityList.replaceChildren();
    for (const [peerId, { user, summary }] of quality) {
      const grade = qualityGrade(summary);
      qualityList.append(
        el(
          "li",
          { dataset: { peer: peerId, quality: grade } },
          el("strong", {}, userName(user)),
          el("span", { class: `quality quality-${grade}` }, qualityText(summary)),
        ),
      );
    }
    if (!quality.size) qualityList.append(el("li", { class: "muted" }, "No reports yet."));
  }

  /**
   * @param {string} text
   * @param {boolean} [live]
   */
  function setStatus(text, live = false) {
    statusNode.textContent = text;
    statusNode.classList.toggle("is-live", live);
  }

  const comments = commentList($("comments"), {
    moderate: {
      remove: (comment) => sock && sock.send(EVENTS.DELETE_COMMENT, { id: comment.id }),
      kick: (author) => {
        if (sock && confirm(`Kick ${userName(author)} from the stream?`)) {
          sock.send(EVENTS.KICK, { user: String(author.id ?? author.username) });
        }
      },
      ban: async (author) => {
        if (!stream || !confirm(`Ban ${userName(author)} from all your streams?`)) return;
        try {
          await api(`/api/live/streams/${stream.id}/ban/`, { method: "POST", body: { username: author.username } });
        } catch {
          return;
        }
        toast(`${userName(author)} was banned.`);
        loadRoles();
      },
    },
  });

  /** @param {string} peerId */
  async function offerTo(peerId) {
    if (!sock || !media) return;
    const socket = sock;
    peers.get(peerId)?.close();
    const peer = new Peer(config, {
      onCandidate: (candidate) => socket.send(EVENTS.ICE_CANDIDATE, { target: peerId, candidate }),
      onStateChange: (state) => {
        if (state === "failed" || state === "closed") dropPeer(peerId, peer);
      },
    });
    peers.set(peerId, peer);
    for (const track of media.getTracks())
      peer.pc.addTrack(track.kind === "video" && screenTrack ? screenTrack : track, media);
    const sdp = await peer.offer();
    if (sdp && peers.get(peerId) === peer) socket.send(EVENTS.WEBRTC_OFFER, { target: peerId, sdp });
  }

  /**
   * @param {string} peerId
   * @param {Peer} [peer]  only this connection (a newer one for the same viewer stays)
   */
  function dropPeer(peerId, peer) {
    const current = peers.get(peerId);
    if (current && (!peer || current === peer)) {
      current.close();
      peers.delete(peerId);
      if (quality.delete(peerId)) renderQuality();
    }
  }

  /** @param {string} message */
  function finish(message) {
    if (!stream) return;
    setStatus("Ended");
    for (const id of [...peers.keys()]) dropPeer(id);
    screenTrack?.stop();
    screenTrack = null;
    if (media) for (const track of media.getTracks()) track.stop();
    media = null;
    preview.srcObject = null;
    const socket = sock;
    sock = null;
    stream = null;
    socket?.close();
    clearInterval(clockTimer);
    endButton.hidden = true;
    shareButton.hidden = true;
    commentInput.disabled = true;
    commentButton.disabled = true;
    linkNode.textContent = message;
    viewerCount.textContent = "0";
    quality.clear();
    renderQuality();
    // Ready for the next one: the same form, the title kept.
    banner.textContent = `${message} You can go live again.`;
    $("go-heading").textContent = "Go live";
    goButton.textContent = "Go live again";
    goButton.disabled = false;
    form.hidden = false;
  }

  /** @param {string} title */
  function showLive(title) {
    setStatus("LIVE", true);
    $("go-heading").textContent = title;
    banner.textContent = "You are live";
    banner.hidden = false;
    endButton.hidden = false;
    shareButton.hidden = false;
    commentInput.disabled = false;
    commentButton.disabled = false;
    const started = Date.now();
    clearInterval(clockTimer);
    elapsed.textContent = elapsedText(started, started);
    clockTimer = setInterval(() => {
      elapsed.textContent = elapsedText(started, Date.now());
    }, 1000);
  }

  /** @param {{id: number}} created */
  function openStreamSocket(created) {
    const socket = createSocket(`/ws/live/${created.id}/`, {
      onClose(e) {
        if (e.code === CLOSE.GONE) finish("Stream ended.");
        else toast(`Disconnected from the stream (${e.code}).`, "error");
      },
    });
    socket.on(EVENTS.CONNECTION_ESTABLISHED, (data) => {
      viewerCount.textContent = String(data.viewers ?? 0);
      if (data.status === "live") {
        showLive(titleInput.value.trim());
        // After a reconnect: offer again to everyone still watching.
        for (const p of data.peers || []) offerTo(p.peer);
      } else {
        api(`/api/live/streams/${created.id}/start/`, { method: "POST" }).catch(() => {});
      }
    });
    socket.on(EVENTS.STREAM_STARTED, (data) => showLive(data.stream?.title || titleInput.value.trim()));
    socket.on(EVENTS.VIEWER_QUALITY, (data) => {
      quality.set(data.from, { user: data.user, summary: data });
      renderQuality();
    });
    socket.on(EVENTS.REQUEST_OFFER, (data) => offerTo(data.from));
    socket.on(EVENTS.USER_LEFT, (data) => {
      if (data.peer) dropPeer(data.peer);
    });
    socket.on(EVENTS.PEER_LEFT, (data) => dropPeer(data.peer));
    socket.on(EVENTS.WEBRTC_ANSWER, (data) => peers.get(data.from)?.acceptAnswer(data.sdp));
    socket.on(EVENTS.ICE_CANDIDATE, (data) => peers.get(data.from)?.addCandidate(data.candidate));
    socket.on(EVENTS.VIEWERS_UPDATE, (data) => {
      viewerCount.textContent = String(data.count ?? 0);
    });
    socket.on(EVENTS.COMMENT, (data) => comments.add(data));
    socket.on(EVENTS.COMMENT_DELETED, (data) => comments.remove(data.id));
    socket.on(EVENTS.STREAM_ENDED, () => finish("Stream ended."));
    socket.on(EVENTS.ERROR, (data) => {
      if (data.code !== "unknown_target") toast(data.message || "Stream error", "error");
    });
    return socket;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    goButton.disabled = true;
    try {
      media = await getCamera();
    } catch (err) {
      toast(`Camera unavailable: ${err.message}`, "error");
      goButton.disabled = false;
      return;
    }
    preview.srcObject = media;
    try {
      stream = await api("/api/live/streams/", { method: "POST", body: { title: titleInput.value.trim() } });
    } catch {
      goButton.disabled = false;
      return;
    }
    const created = /** @type {{id: number}} */ (stream);
    // TURN credentials are scoped to a stream: ask once it exists.
    config = await iceConfig({ stream: created.id });
    form.hidden = true;
    banner.hidden = true;
    comments.clear();
    setStatus("Starting…");
    linkNode.replaceChildren(
      "Viewers watch at ",
      el("a", { href: `/live/${created.id}/` }, `${location.origin}/live/${created.id}/`),
    );
    try {
      for (const c of results(await api(`/api/live/streams/${created.id}/comments/`, { quiet: true }))) comments.add(c);
    } catch {
      /* no history yet */
    }
    sock = openStreamSocket(created).connect();
  });

  endButton.addEventListener("click", async () => {
    if (!stream) return;
    endButton.disabled = true;
    try {
      await api(`/api/live/streams/${stream.id}/end/`, { method: "POST" });
      finish("Stream ended.");
    } finally {
      endButton.disabled = false;
    }
  });

  // Screen sharing: the screen replaces the camera on every viewer's connection (no new offer).
  shareButton.addEventListener("click", async () => {
    if (screenTrack) {
      stopSharing();
      return;
    }
    const track = await getScreen();
    if (!track) {
      toast("Screen sharing was cancelled or is not allowed.", "error");
      return;
    }
    screenTrack = track;
    track.addEventListener("ended", stopSharing);
    await replaceVideo(
      [...peers.values()].map((p) => p.pc),
      track,
    );
    preview.srcObject = new MediaStream([track]);
    shareButton.textContent = "Stop sharing";
    shareButton.setAttribute("aria-pressed", "true");
  });

  function stopSharing() {
    if (!screenTrack) return;
    screenTrack.stop();
    screenTrack = null;
    const camera = media?.getVideoTracks()[0] || null;
    replaceVideo(
      [...peers.values()].map((p) => p.pc),
      camera,
    ).catch((err) => console.warn("could not switch back to the camera", err));
    preview.srcObject = media;
    shareButton.textContent = "Share screen";
    shareButton.setAttribute("aria-pressed", "false");
  }

  // --- the channel: moderators, VIPs, bans -------------------------------------------------
  const ROLE_LISTS = [
    { key: "moderators", title: "Moderators", one: "moderator", remove: "Remove moderator" },
    { key: "vips", title: "VIPs", one: "VIP", remove: "Remove VIP" },
    { key: "bans", title: "Banned", one: "ban", remove: "Unban" },
  ];

  async function loadRoles() {
    const box = $("channel-roles");
    const sections = [];
    for (const list of ROLE_LISTS) {
      let entries = [];
      try {
        entries = await api(`/api/live/${list.key}/`, { quiet: true });
      } catch {
        /* shown as empty */
      }
      const inputId = `add-${list.key}`;
      const items = entries.map((/** @type {any} */ entry) => {
        const name = userName(entry.user);
        return el(
          "li",
          {},
          el("span", { class: "grow" }, name),
          el(
            "button",
            {
              type: "button",
              class: "link-button danger-text",
              "aria-label": `${list.remove} ${name}`,
              onclick: () => removeRole(list.key, entry.user.username),
            },
            list.remove,
          ),
        );
      });
      const addForm =
        list.key === "bans"
          ? null
          : el(
              "form",
              { class: "row", onsubmit: (/** @type {Event} */ e) => addRole(e, list.key, inputId) },
              el("label", { for: inputId, class: "sr-only" }, `Username to make ${list.one}`),
              el("input", { id: inputId, placeholder: "username", required: true, autocomplete: "off" }),
              el("button", { type: "submit", class: "secondary", "aria-label": `Add ${list.one}` }, "Add"),
            );
      sections.push(
        el("h3", { id: `${list.key}-title` }, list.title),
        el(
          "ul",
          { class: "people-list", "aria-labelledby": `${list.key}-title`, id: `${list.key}-list` },
          items.length ? items : el("li", { class: "muted" }, "Nobody."),
        ),
        addForm,
      );
    }
    box.replaceChildren(...sections.filter(Boolean));
  }

  /**
   * @param {Event} event
   * @param {string} key
   * @param {string} inputId
   */
  async function addRole(event, key, inputId) {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($(inputId));
    const username = input.value.trim();
    if (!username) return;
    try {
      await api(`/api/live/${key}/`, { method: "POST", body: { username } });
    } catch {
      return;
    }
    await loadRoles();
  }

  /**
   * @param {string} key
   * @param {string} username
   */
  async function removeRole(key, username) {
    try {
      await api(`/api/live/${key}/`, { method: "DELETE", params: { username } });
    } catch {
      return;
    }
    await loadRoles();
  }

  loadRoles();

  commentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = commentInput.value.trim();
    if (text && sock && sock.send(EVENTS.COMMENT, { text })) commentInput.value = "";
  });

  window.addEventListener("beforeunload", () => {
    if (media) for (const track of media.getTracks()) track.stop();
  });
}
