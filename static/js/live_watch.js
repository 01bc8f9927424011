// @ts-check
// Watch a stream: answer the streamer's offer, show the video with its sound (mute, volume,
// "click to enable sound" when autoplay is refused), theatre mode and fullscreen, comments with
// their times, the viewer count, and say clearly when the stream ends or you were kicked.
// Moderators of the channel get delete / kick / ban beside each comment. Every few seconds the
// connection's quality goes to the streamer (`quality_report`).
import { api, results } from "./api.js";
import { commentList } from "./comments.js";
import { CLOSE, EVENTS } from "./constants.js";
import { soundControls, soundGate } from "./media.js";
import { QUALITY_INTERVAL_MS, summarizeStats } from "./quality.js";
import { Peer, iceConfig } from "./rtc.js";
import { createSocket } from "./socket.js";
import { toast, userName } from "./ui.js";

/** @param {HTMLElement} root  <main> */
export async function init(root) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  const streamId = Number($("watch").dataset.streamId);
  const video = /** @type {HTMLVideoElement} */ ($("remote-video"));
  const statusNode = $("live-status");
  const viewerCount = $("viewer-count");
  const messageNode = $("stream-message");
  const commentForm = $("comment-form");
  const commentInput = /** @type {HTMLInputElement} */ ($("comment-text"));
  const comments = commentList($("comments"));
  const sound = soundGate(/** @type {HTMLButtonElement} */ ($("enable-sound")));
  $("sound-slot").replaceChildren(soundControls(video, "the stream"));
  const videoBox = $("video-box");
  const theatreButton = $("theatre-button");
  theatreButton.addEventListener("click", () => {
    const on = !videoBox.classList.contains("theatre");
    videoBox.classList.toggle("theatre", on);
    $("watch").classList.toggle("theatre-mode", on);
    theatreButton.setAttribute("aria-pressed", String(on));
  });
  $("fullscreen-button").addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else videoBox.requestFullscreen().catch((err) => toast(`Fullscreen is not available: ${err.message}`, "error"));
  });

  /** @type {Peer | null} */
  let peer = null;
  /** @type {RTCConfiguration} */
  let config = { iceServers: [] };
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retryTimer;
  let over = false;
  /** @type {import("./quality.js").ByteMark | null} */
  let mark = null;

  // Every few seconds: this connection's figures, to the streamer (and the metrics).
  const qualityTimer = setInterval(async () => {
    if (!peer || peer.pc.connectionState !== "connected") return;
    try {
      const result = summarizeStats((await peer.pc.getStats()).values(), mark, Date.now());
      mark = result.mark;
      sock.send(EVENTS.QUALITY_REPORT, result.summary);
    } catch (err) {
      console.warn("getStats failed", err);
    }
  }, QUALITY_INTERVAL_MS);

  // Why the socket closed for good, by close code.
  /** @type {Record<number, [message: string, status: string]>} */
  const CLOSED = {
    [CLOSE.GONE]: ["The stream has ended. Thanks for watching!", "Ended"],
    [CLOSE.FORBIDDEN]: ["You can't watch this stream: you were removed by a moderator.", "Removed"],
    [CLOSE.FULL]: ["This stream is full. Try again later.", "Full"],
    [CLOSE.NOT_FOUND]: ["This stream does not exist.", "Not found"],
  };

  const sock = createSocket(`/ws/live/${streamId}/`, {
    onClose(event) {
      if (over) return;
      const [message, status] = CLOSED[event.code] || [`Disconnected (${event.code}).`, "Offline"];
      stop(message, status);
    },
  });

  // --- rendering ---
  /**
   * @param {string} text
   * @param {boolean} [live]
   */
  function setStatus(text, live = false) {
    statusNode.textContent = text;
    statusNode.classList.toggle("is-live", live);
  }

  /** @param {string} text */
  function showMessage(text) {
    messageNode.textContent = text;
    messageNode.hidden = false;
  }

  /**
   * @param {string} message
   * @param {string} status
   */
  function stop(message, status) {
    over = true;
    clearTimeout(retryTimer);
    clearInterval(qualityTimer);
    viewerCount.textContent = "0";
    $("viewers-line").classList.add("muted");
    $("viewers-line").setAttribute("aria-disabled", "true");
    peer?.close();
    peer = null;
    video.srcObject = null;
    setStatus(status);
    showMessage(message);
    commentInput.disabled = true;
    /** @type {HTMLButtonElement} */ (commentForm.querySelector("button")).disabled = true;
  }

  // --- WebRTC ---
  // Ask the streamer for an offer; ask again if no video arrives (a lost frame, a streamer reconnect).
  function requestOffer() {
    clearTimeout(retryTimer);
    if (over) return;
    sock.send(EVENTS.REQUEST_OFFER, {});
    retryTimer = setTimeout(() => {
      if (!video.srcObject && !over) requestOffer();
    }, 10000);
  }

  /**
   * @param {string} from
   * @param {string} sdp
   */
  async function onOffer(from, sdp) {
    peer?.close();
    const current = new Peer(config, {
      onCandidate: (candidate) => sock.send(EVENTS.ICE_CANDIDATE, { target: from, candidate }),
      onTrack: (event) => {
        const stream = event.streams[0] || new MediaStream([event.track]);
        if (video.srcObject !== stream) {
          video.srcObject = stream;
          sound.play(video);
        }
        setStatus("LIVE", true);
      },
      onStateChange: (state) => {
        if (state === "failed" && peer === current) {
          video.srcObject = null;
          requestOffer();
        }
      },
    });
    peer = current;
    const answer = await current.answer(sdp);
    if (answer && peer === current) sock.send(EVENTS.WEBRTC_ANSWER, { target: from, sdp: answer });
  }

  // --- socket events ---
  sock.on(EVENTS.CONNECTION_ESTABLISHED, (data) => {
    viewerCount.textContent = String(data.viewers ?? 0);
    if (data.role === "moderator" || data.role === "streamer") enableModeration();
    if (data.status === "live") {
      setStatus("Connecting video…");
      requestOffer();
    } else setStatus("Waiting for the stream to start…");
  });
  sock.on(EVENTS.STREAM_STARTED, () => {
    setStatus("Connecting video…");
    requestOffer();
  });
  sock.on(EVENTS.WEBRTC_OFFER, (data) => onOffer(data.from, data.sdp));
  sock.on(EVENTS.ICE_CANDIDATE, (data) => peer?.addCandidate(data.candidate));
  sock.on(EVENTS.VIEWERS_UPDATE, (data) => {
    viewerCount.textContent = String(data.count ?? 0);
  });
  sock.on(EVENTS.COMMENT, (data) => comments.add(data));
  sock.on(EVENTS.COMMENT_DELETED, (data) => comments.remove(data.id));
  sock.on(EVENTS.STREAM_ENDED, () => stop("The stream has ended. Thanks for watching!", "Ended"));
  sock.on(EVENTS.KICKED, () => stop("You were removed from this stream by a moderator.", "Removed"));
  sock.on(EVENTS.ERROR, (data) => {
    if (data.code !== "streamer_offline") toast(data.message || "Stream error", "error");
  });

  // --- moderation (the channel's moderators) ---
  function enableModeration() {
    $("moderator-note").hidden = false;
    comments.setModerate({
      remove: (comment) => sock.send(EVENTS.DELETE_COMMENT, { id: comment.id }),
      kick: (author) => {
        if (confirm(`Kick ${userName(author)} from the stream?`)) {
          sock.send(EVENTS.KICK, { user: String(author.id ?? author.username) });
        }
      },
      ban: async (author) => {
        if (!confirm(`Ban ${userName(author)} from every stream of this channel?`)) return;
        try {
          await api(`/api/live/streams/${streamId}/ban/`, { method: "POST", body: { username: author.username } });
          toast(`${userName(author)} was banned.`);
        } catch {
          /* api() showed the error */
        }
      },
    });
  }

  // --- wiring ---
  commentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = commentInput.value.trim();
    if (text && sock.send(EVENTS.COMMENT, { text })) commentInput.value = "";
  });

  try {
    const info = await api(`/api/live/streams/${streamId}/`);
    $("stream-title").textContent = info.title || "Stream";
    $("stream-streamer").textContent = `by ${userName(info.streamer)}`;
    document.title = `${info.title} · Pulse`;
    if (info.status === "ended") stop("This stream has ended.", "Ended");
  } catch (err) {
    if (err.status === 404) stop("This stream does not exist.", "Not found");
  }
  if (over) return;
  config = await iceConfig({ stream: streamId });
  try {
    for (const c of results(await api(`/api/live/streams/${streamId}/comments/`, { quiet: true }))) comments.add(c);
  } catch {
    /* comments are optional */
  }
  sock.connect();
}
