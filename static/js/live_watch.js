// Watch a stream: answer the streamer's offer, show the video, comments, viewer
// count, and say clearly when the stream ends or you were kicked.
import { api, results } from "./api.js";
import { commentList } from "./comments.js";
import { Peer, iceConfig } from "./rtc.js";
import { openSocket } from "./socket.js";
import { toast, userName } from "./ui.js";

const root = document.getElementById("watch");
const streamId = Number(root.dataset.streamId);
const video = document.getElementById("remote-video");
const statusNode = document.getElementById("live-status");
const viewerCount = document.getElementById("viewer-count");
const messageNode = document.getElementById("stream-message");
const commentForm = document.getElementById("comment-form");
const commentInput = document.getElementById("comment-text");
const comments = commentList(document.getElementById("comments"));

let peer = null;
let config = { iceServers: [] };
let sock = null;
let retryTimer = null;
let over = false;

function setStatus(text, live = false) {
  statusNode.textContent = text;
  statusNode.classList.toggle("is-live", live);
}

function showMessage(text) {
  messageNode.textContent = text;
  messageNode.hidden = false;
}

function stop(message, status) {
  over = true;
  clearTimeout(retryTimer);
  peer?.close();
  peer = null;
  video.srcObject = null;
  setStatus(status);
  showMessage(message);
  commentInput.disabled = true;
  commentForm.querySelector("button").disabled = true;
}

// Ask the streamer for an offer; ask again if no video arrives (a lost frame, a streamer reconnect).
function requestOffer() {
  clearTimeout(retryTimer);
  if (over) return;
  sock.send("request_offer", {});
  retryTimer = setTimeout(() => {
    if (!video.srcObject && !over) requestOffer();
  }, 10000);
}

async function onOffer(from, sdp) {
  peer?.close();
  const current = new Peer(config, {
    onCandidate: (candidate) => sock.send("ice_candidate", { target: from, candidate }),
    onTrack: (event) => {
      video.srcObject = event.streams[0] || new MediaStream([event.track]);
      video.play().catch(() => {});
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
  if (answer && peer === current) sock.send("webrtc_answer", { target: from, sdp: answer });
}

function onEvent(frame) {
  const data = frame.data || {};
  switch (frame.type) {
    case "connection_established":
      viewerCount.textContent = String(data.viewers ?? 0);
      if (data.status === "live") {
        setStatus("Connecting video…");
        requestOffer();
      } else setStatus("Waiting for the stream to start…");
      break;
    case "stream_started":
      setStatus("Connecting video…");
      requestOffer();
      break;
    case "webrtc_offer":
      onOffer(data.from, data.sdp);
      break;
    case "ice_candidate":
      peer?.addCandidate(data.candidate);
      break;
    case "viewers_update":
      viewerCount.textContent = String(data.count ?? 0);
      break;
    case "comment":
      comments.add(data);
      break;
    case "comment_deleted":
      comments.remove(data.id);
      break;
    case "stream_ended":
      stop("The stream has ended. Thanks for watching!", "Ended");
      break;
    case "kicked":
      stop("You were removed from this stream by a moderator.", "Removed");
      break;
    case "error":
      if (data.code !== "streamer_offline") toast(data.message || "Stream error", "error");
      break;
    default:
      break;
  }
}

commentForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = commentInput.value.trim();
  if (text && sock.send("comment", { text })) commentInput.value = "";
});

try {
  const info = await api(`/api/live/streams/${streamId}/`);
  document.getElementById("stream-title").textContent = info.title || "Stream";
  document.getElementById("stream-streamer").textContent = `by ${userName(info.streamer)}`;
  document.title = `${info.title} · Pulse`;
  if (info.status === "ended") stop("This stream has ended.", "Ended");
} catch (err) {
  if (err.status === 404) stop("This stream does not exist.", "Not found");
}
if (!over) {
  config = await iceConfig({ stream: streamId });
  try {
    for (const c of results(await api(`/api/live/streams/${streamId}/comments/`, { quiet: true }))) comments.add(c);
  } catch {
    /* comments are optional */
  }
  sock = openSocket(`/ws/live/${streamId}/`, {
    onEvent,
    onClose(event) {
      if (over) return;
      if (event.code === 4410) stop("The stream has ended. Thanks for watching!", "Ended");
      else if (event.code === 4403) stop("You can't watch this stream: you were removed by a moderator.", "Removed");
      else if (event.code === 4413) stop("This stream is full. Try again later.", "Full");
      else if (event.code === 4404) stop("This stream does not exist.", "Not found");
      else stop(`Disconnected (${event.code}).`, "Offline");
    },
  });
}
