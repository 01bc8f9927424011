// A P2P mesh room: signaling over /ws/rooms/<id>/, then data channels (and
// optionally camera video) directly between browsers. The newcomer offers to
// every peer already in the room; the others answer.
import { Peer, getCamera, iceConfig } from "./rtc.js";
import { openSocket } from "./socket.js";
import { el, me, toast, userName } from "./ui.js";

const root = document.getElementById("room");
const roomId = root.dataset.roomId;
const connectButton = document.getElementById("connect-button");
const leaveButton = document.getElementById("leave-button");
const cameraBox = document.getElementById("use-camera");
const myPeerNode = document.getElementById("my-peer-id");
const peersNode = document.getElementById("peers");
const videos = document.getElementById("videos");
const messages = document.getElementById("room-messages");
const form = document.getElementById("room-message-form");
const input = document.getElementById("room-message");

let sock = null;
let config = { iceServers: [] };
let media = null;
const peers = new Map(); // peer id -> {peer, user, channel, state}

function log(who, text, kind = "") {
  messages.append(el("li", { class: kind }, who ? el("strong", {}, `${who}: `) : null, text));
  messages.scrollTop = messages.scrollHeight;
}

function renderPeers() {
  peersNode.replaceChildren();
  for (const [id, p] of peers) {
    const state = p.channel && p.channel.readyState === "open" ? "connected" : "connecting";
    peersNode.append(
      el(
        "li",
        { dataset: { peerId: id }, class: state },
        el("span", { class: "dot", "aria-hidden": "true" }),
        `${userName(p.user)} `,
        el("span", { class: "muted small" }, `(${state})`),
      ),
    );
  }
  if (!peers.size) peersNode.append(el("li", { class: "muted" }, sock ? "Nobody else here yet." : "Not connected"));
}

function wireChannel(peerId, channel) {
  const entry = peers.get(peerId);
  if (!entry) return;
  entry.channel = channel;
  channel.onopen = renderPeers;
  channel.onclose = renderPeers;
  channel.onmessage = (event) => {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      msg = { text: String(event.data) };
    }
    log(msg.from || userName(entry.user), msg.text);
  };
  renderPeers();
}

function addPeer(peerId, user) {
  const existing = peers.get(peerId);
  if (existing) return existing;
  const peer = new Peer(config, {
    onCandidate: (candidate) => sock.send("ice_candidate", { target: peerId, candidate }),
    onDataChannel: (channel) => wireChannel(peerId, channel),
    onTrack: (event) => showVideo(peerId, event.streams[0] || new MediaStream([event.track])),
    onStateChange: (state) => {
      if (state === "failed") log(null, `Connection to ${userName(user)} failed.`, "muted");
      renderPeers();
    },
  });
  if (media) for (const track of media.getTracks()) peer.pc.addTrack(track, media);
  const entry = { peer, user, channel: null };
  peers.set(peerId, entry);
  renderPeers();
  return entry;
}

function removePeer(peerId) {
  const entry = peers.get(peerId);
  if (!entry) return;
  entry.peer.close();
  peers.delete(peerId);
  document.getElementById(`video-${peerId}`)?.remove();
  renderPeers();
}

function showVideo(peerId, stream) {
  let video = document.getElementById(`video-${peerId}`);
  if (!video) {
    video = el("video", { id: `video-${peerId}`, autoplay: true, muted: true, playsinline: true, "aria-label": `Video of ${userName(peers.get(peerId)?.user)}` });
    video.muted = true;
    videos.append(video);
  }
  video.srcObject = stream;
}

async function offerTo(peerId, user) {
  const entry = addPeer(peerId, user);
  wireChannel(peerId, entry.peer.pc.createDataChannel("chat"));
  const sdp = await entry.peer.offer();
  if (sdp) sock.send("offer", { target: peerId, sdp });
}

function onEvent(frame) {
  const data = frame.data || {};
  switch (frame.type) {
    case "room_joined":
    case "connection_established":
      // A (re)join gets a new peer id: rebuild the mesh from scratch.
      for (const id of [...peers.keys()]) removePeer(id);
      myPeerNode.textContent = data.peer_id;
      log(null, `Joined room ${roomId}.`, "muted");
      for (const p of data.peers || []) offerTo(p.peer_id, p.user);
      renderPeers();
      break;
    case "peer_joined":
      addPeer(data.peer_id, data.user);
      log(null, `${userName(data.user)} joined.`, "muted");
      break;
    case "peer_left":
      if (peers.has(data.peer_id)) log(null, `${userName(peers.get(data.peer_id).user)} left.`, "muted");
      removePeer(data.peer_id);
      break;
    case "offer": {
      const entry = addPeer(data.from, data.user || peers.get(data.from)?.user);
      entry.peer.answer(data.sdp).then((sdp) => sdp && sock.send("answer", { target: data.from, sdp }));
      break;
    }
    case "answer":
      peers.get(data.from)?.peer.acceptAnswer(data.sdp);
      break;
    case "ice_candidate":
      peers.get(data.from)?.peer.addCandidate(data.candidate);
      break;
    case "broadcast":
      log(userName(peers.get(data.from)?.user), typeof data.data === "string" ? data.data : JSON.stringify(data.data));
      break;
    case "error":
      toast(data.message || "Room error", "error");
      break;
    default:
      break;
  }
}

connectButton.addEventListener("click", async () => {
  connectButton.disabled = true;
  if (cameraBox.checked) {
    try {
      media = await getCamera();
      showVideo("me", media);
    } catch (err) {
      toast(`Camera unavailable: ${err.message}`, "error");
    }
  }
  cameraBox.disabled = true;
  config = await iceConfig();
  sock = openSocket(`/ws/rooms/${encodeURIComponent(roomId)}/`, {
    onEvent,
    onClose(event) {
      toast(event.code === 4413 ? "The room is full." : `Disconnected from the room (${event.code}).`, "error");
      leave();
    },
  });
  connectButton.hidden = true;
  leaveButton.hidden = false;
});

function leave() {
  for (const id of [...peers.keys()]) removePeer(id);
  sock?.close();
  sock = null;
  if (media) for (const track of media.getTracks()) track.stop();
  media = null;
  videos.replaceChildren();
  myPeerNode.textContent = "–";
  connectButton.hidden = false;
  connectButton.disabled = false;
  cameraBox.disabled = false;
  leaveButton.hidden = true;
  renderPeers();
}

leaveButton.addEventListener("click", leave);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  const open = [...peers.values()].filter((p) => p.channel && p.channel.readyState === "open");
  if (!open.length) {
    toast("No peer connected yet.", "error");
    return;
  }
  const payload = JSON.stringify({ from: me.username, text });
  for (const p of open) p.channel.send(payload);
  log("You", text, "mine");
  input.value = "";
});

renderPeers();
