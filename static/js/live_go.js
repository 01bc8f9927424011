// @ts-check
// Go live: camera preview, one RTCPeerConnection per viewer (the streamer offers
// whenever a viewer asks with request_offer), viewer count, comments, moderation.
import { api, results } from "./api.js";
import { commentList } from "./comments.js";
import { CLOSE, EVENTS } from "./constants.js";
import { Peer, getCamera, iceConfig } from "./rtc.js";
import { createSocket } from "./socket.js";
import { el, toast, userName } from "./ui.js";

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
    for (const track of media.getTracks()) peer.pc.addTrack(track, media);
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
    }
  }

  /** @param {string} message */
  function finish(message) {
    setStatus("Ended");
    for (const id of [...peers.keys()]) dropPeer(id);
    if (media) for (const track of media.getTracks()) track.stop();
    if (sock) sock.close();
    endButton.hidden = true;
    commentInput.disabled = true;
    linkNode.textContent = message;
    viewerCount.textContent = "0";
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
        setStatus("LIVE", true);
        // After a reconnect: offer again to everyone still watching.
        for (const p of data.peers || []) offerTo(p.peer);
      } else {
        api(`/api/live/streams/${created.id}/start/`, { method: "POST" }).catch(() => {});
      }
    });
    socket.on(EVENTS.STREAM_STARTED, () => {
      setStatus("LIVE", true);
      endButton.hidden = false;
      commentInput.disabled = false;
      commentButton.disabled = false;
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

  commentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = commentInput.value.trim();
    if (text && sock && sock.send(EVENTS.COMMENT, { text })) commentInput.value = "";
  });

  window.addEventListener("beforeunload", () => {
    if (media) for (const track of media.getTracks()) track.stop();
  });
}
