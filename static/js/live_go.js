// Go live: camera preview, one RTCPeerConnection per viewer (the streamer offers
// whenever a viewer asks with request_offer), viewer count, comments, moderation.
import { api, results } from "./api.js";
import { commentList } from "./comments.js";
import { Peer, getCamera, iceConfig } from "./rtc.js";
import { openSocket } from "./socket.js";
import { el, toast, userName } from "./ui.js";

const form = document.getElementById("go-form");
const titleInput = document.getElementById("stream-title");
const goButton = document.getElementById("go-button");
const endButton = document.getElementById("end-button");
const preview = document.getElementById("preview");
const statusNode = document.getElementById("live-status");
const viewerCount = document.getElementById("viewer-count");
const linkNode = document.getElementById("live-link");
const commentForm = document.getElementById("comment-form");
const commentInput = document.getElementById("comment-text");

let stream = null;
let sock = null;
let media = null;
let config = null;
const peers = new Map(); // viewer peer (connection) id -> Peer

function setStatus(text, live = false) {
  statusNode.textContent = text;
  statusNode.classList.toggle("is-live", live);
}

const comments = commentList(document.getElementById("comments"), {
  moderate: {
    remove: (comment) => sock && sock.send("delete_comment", { id: comment.id }),
    kick: (author) => {
      if (sock && confirm(`Kick ${userName(author)} from the stream?`)) sock.send("kick", { user: String(author.id ?? author.username) });
    },
  },
});

async function offerTo(peerId) {
  peers.get(peerId)?.close();
  const peer = new Peer(config, {
    onCandidate: (candidate) => sock.send("ice_candidate", { target: peerId, candidate }),
    onStateChange: (state) => {
      if (state === "failed" || state === "closed") dropPeer(peerId, peer);
    },
  });
  peers.set(peerId, peer);
  for (const track of media.getTracks()) peer.pc.addTrack(track, media);
  const sdp = await peer.offer();
  if (sdp && peers.get(peerId) === peer) sock.send("webrtc_offer", { target: peerId, sdp });
}

function dropPeer(peerId, peer) {
  const current = peers.get(peerId);
  if (current && (!peer || current === peer)) {
    current.close();
    peers.delete(peerId);
  }
}

function onEvent(frame) {
  const data = frame.data || {};
  switch (frame.type) {
    case "connection_established":
      viewerCount.textContent = String(data.viewers ?? 0);
      if (data.status === "live") {
        setStatus("LIVE", true);
        // After a reconnect: offer again to everyone still watching.
        for (const p of data.peers || []) offerTo(p.peer);
      } else {
        api(`/api/live/streams/${stream.id}/start/`, { method: "POST" }).catch(() => {});
      }
      break;
    case "stream_started":
      setStatus("LIVE", true);
      endButton.hidden = false;
      commentInput.disabled = false;
      commentForm.querySelector("button").disabled = false;
      break;
    case "request_offer":
      offerTo(data.from);
      break;
    case "user_joined":
      break;
    case "user_left":
      if (data.peer) dropPeer(data.peer);
      break;
    case "peer_left":
      dropPeer(data.peer);
      break;
    case "webrtc_answer":
      peers.get(data.from)?.acceptAnswer(data.sdp);
      break;
    case "ice_candidate":
      peers.get(data.from)?.addCandidate(data.candidate);
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
      finish("Stream ended.");
      break;
    case "error":
      if (data.code !== "unknown_target") toast(data.message || "Stream error", "error");
      break;
    default:
      break;
  }
}

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
  config = await iceConfig({ stream: stream.id });
  form.hidden = true;
  setStatus("Starting…");
  linkNode.replaceChildren("Viewers watch at ", el("a", { href: `/live/${stream.id}/` }, `${location.origin}/live/${stream.id}/`));
  try {
    for (const c of results(await api(`/api/live/streams/${stream.id}/comments/`, { quiet: true }))) comments.add(c);
  } catch {
    /* no history yet */
  }
  sock = openSocket(`/ws/live/${stream.id}/`, {
    onEvent,
    onClose(e) {
      if (e.code === 4410) finish("Stream ended.");
      else toast(`Disconnected from the stream (${e.code}).`, "error");
    },
  });
});

endButton.addEventListener("click", async () => {
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
  if (text && sock && sock.send("comment", { text })) commentInput.value = "";
});

window.addEventListener("beforeunload", () => {
  if (media) for (const track of media.getTracks()) track.stop();
});
