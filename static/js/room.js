// @ts-check
// A P2P mesh room: signaling over /ws/rooms/<id>/, then data channels (and
// optionally camera video) directly between browsers. The newcomer offers to
// every peer already in the room; the others answer.
//
// Rooms are owned: the owner sees the invite link, the lobby (Admit / Deny) and
// Kick / Ban beside each participant. A visitor with `?invite=<token>` becomes a
// member first; anyone else knocks and waits in the lobby (or is told the room
// does not exist, which is also what a private room looks like to a stranger).
//
// Who said what in the data-channel chat comes from the server: a message is
// shown under the user the server announced for the peer connection it arrived
// on (`room_joined.peers` / `peer_joined`), never under a name in the payload.
import { api, results } from "./api.js";
import { Peer, getCamera, iceConfig } from "./rtc.js";
import { EVENTS, ROOM_MESSAGE_MAX_LENGTH } from "./constants.js";
import { CLOSED_TEXT, Lobby, REMOVED_TEXT, closeText, errorEnding, removedText } from "./room_state.js";
import { createSocket } from "./socket.js";
import { el, me, timeAgo, toast, userId, userName } from "./ui.js";

/** @param {HTMLElement} root  <main> */
export function init(root) {
  const roomId = /** @type {string} */ (/** @type {HTMLElement} */ (root.querySelector("#room")).dataset.roomId);
  const base = `/api/rtc/rooms/${encodeURIComponent(roomId)}/`;
  // Every element of the page is looked up by id; `any` because they are inputs, buttons and lists alike.
  const $ = (/** @type {string} */ id) => /** @type {any} */ (root.querySelector(`#${id}`));
  const connectButton = $("connect-button");
  const leaveButton = $("leave-button");
  const cameraBox = $("use-camera");
  const myPeerNode = $("my-peer-id");
  const peersNode = $("peers");
  const videos = $("videos");
  const messages = $("room-messages");
  const form = $("room-message-form");
  const input = $("room-message");
  const statusNode = $("room-status");
  const ownerPanel = $("owner-panel");
  const inviteInput = $("invite-link");
  const inviteFeedback = $("invite-feedback");
  const lobbyNode = $("lobby");

  // --- state ---------------------------------------------------------------------
  let room = null; // REST detail, when this user may see it
  let sock = null;
  /** @type {RTCConfiguration} */
  let config = { iceServers: [] };
  let media = null;
  let ending = null; // the message an event gave before the server closes the socket
  let admitted = false; // `admitted` came: keep saying so over the `room_joined` that follows
  /** @type {Promise<unknown>} */
  let events = Promise.resolve(); // socket frames are handled one at a time, in order
  const peers = new Map(); // peer id -> {peer, user (from the server), channel}
  const lobby = new Lobby();

  const isOwner = () => Boolean(room && (room.is_owner || userId(room.owner) === me.id));
  const ownerName = () => (room && room.owner ? userName(room.owner) : "the owner");

  // --- rendering -------------------------------------------------------------------
  function setStatus(text) {
    statusNode.textContent = text || "";
    statusNode.hidden = !text;
  }

  function log(who, text, kind = "") {
    messages.append(el("li", { class: kind }, who ? el("strong", {}, `${who}: `) : null, text));
    messages.scrollTop = messages.scrollHeight;
  }

  function renderRoom() {
    if (!room) return;
    const title = $("room-title");
    title.replaceChildren(room.title || "Room ", room.title ? " " : null, el("code", {}, roomId));
    document.title = `${room.title || `Room ${roomId}`} · Pulse`;
    const owner = $("room-owner");
    owner.textContent = isOwner() ? "You own this room." : `Owner: ${ownerName()}`;
    owner.hidden = false;
    ownerPanel.hidden = !isOwner();
    if (isOwner() && room.invite_url) inviteInput.value = new URL(room.invite_url, location.origin).href;
  }

  function peerLabel(entry) {
    return entry.user ? userName(entry.user) : "unknown peer";
  }

  function renderPeers() {
    peersNode.replaceChildren();
    for (const [id, p] of peers) {
      const state = p.channel && p.channel.readyState === "open" ? "connected" : "connecting";
      const name = peerLabel(p);
      const uid = userId(p.user);
      const tools =
        isOwner() && uid && uid !== me.id
          ? el(
              "span",
              { class: "mod-tools" },
              el(
                "button",
                {
                  type: "button",
                  class: "link-button danger-text",
                  "aria-label": `Kick ${name}`,
                  onclick: () => moderate("kick", p.user),
                },
                "Kick",
              ),
              el(
                "button",
                {
                  type: "button",
                  class: "link-button danger-text",
                  "aria-label": `Ban ${name}`,
                  onclick: () => moderate("ban", p.user),
                },
                "Ban",
              ),
            )
          : null;
      peersNode.append(
        el(
          "li",
          { dataset: { peerId: id, userId: uid ?? "" }, class: state },
          el("span", { class: "dot", "aria-hidden": "true" }),
          `${name} `,
          el("span", { class: "muted small" }, `(${state})`),
          tools,
        ),
      );
    }
    if (!peers.size) peersNode.append(el("li", { class: "muted" }, sock ? "Nobody else here yet." : "Not connected"));
  }

  function renderLobby() {
    lobbyNode.replaceChildren();
    for (const [uid, { user, since }] of lobby.waiting) {
      const name = userName(user);
      lobbyNode.append(
        el(
          "li",
          { dataset: { userId: uid } },
          `${name} `,
          since ? el("span", { class: "muted small" }, `(knocked ${timeAgo(since)}) `) : null,
          el(
            "span",
            { class: "mod-tools" },
            el(
              "button",
              {
                type: "button",
                class: "primary",
                "aria-label": `Admit ${name}`,
                onclick: () => answerKnock(uid, "admit"),
              },
              "Admit",
            ),
            " ",
            el(
              "button",
              {
                type: "button",
                class: "secondary",
                "aria-label": `Deny ${name}`,
                onclick: () => answerKnock(uid, "deny"),
              },
              "Deny",
            ),
          ),
        ),
      );
    }
    if (!lobby.waiting.size) lobbyNode.append(el("li", { class: "muted" }, "Nobody is waiting."));
  }

  /** @param {import("./room_state.js").Knock[] | undefined} waiting */
  function setLobby(waiting) {
    lobby.reset(waiting);
    renderLobby();
  }

  // --- owner actions (REST: the same path with or without a socket) -----------------
  async function answerKnock(uid, verb) {
    const name = userName(lobby.waiting.get(uid)?.user);
    try {
      await api(`${base}lobby/${encodeURIComponent(uid)}/${verb}/`, { method: "POST", quiet: true });
      toast(verb === "admit" ? `${name} was let in.` : `${name} was turned away.`);
    } catch (err) {
      // 404: they stopped waiting (closed the page) before the owner answered.
      toast(err.status === 404 ? `${name} is no longer waiting.` : err.message, "error");
      if (err.status !== 404) return;
    }
    lobby.answered(uid);
    renderLobby();
  }

  async function moderate(verb, user) {
    try {
      await api(`${base}${verb}/`, { method: "POST", body: { user_id: userId(user) } });
    } catch {
      return;
    }
    toast(verb === "ban" ? `${userName(user)} was banned.` : `${userName(user)} was removed.`);
  }

  $("copy-invite").addEventListener("click", async () => {
    inviteInput.focus();
    inviteInput.select();
    try {
      await navigator.clipboard.writeText(inviteInput.value);
      inviteFeedback.textContent = "Invite link copied.";
    } catch {
      // No clipboard permission (or an insecure origin): the link is selected in the field.
      inviteFeedback.textContent = "Copy the selected link (Ctrl+C or ⌘C).";
    }
  });

  $("rotate-invite").addEventListener("click", async () => {
    try {
      room = { ...room, ...(await api(`${base}invite/`, { method: "POST" })) };
    } catch {
      return;
    }
    renderRoom();
    inviteFeedback.textContent = "New link made: the old one no longer works.";
  });

  $("delete-room").addEventListener("click", async () => {
    if (!window.confirm(`Delete the room ${roomId}? Everyone in it is disconnected.`)) return;
    try {
      await api(base, { method: "DELETE" });
    } catch {
      return;
    }
    location.href = "/rooms/";
  });

  // --- the mesh ----------------------------------------------------------------------
  function wireChannel(peerId, channel) {
    const entry = peers.get(peerId);
    if (!entry) return;
    entry.channel = channel;
    channel.onopen = renderPeers;
    channel.onclose = renderPeers;
    channel.onmessage = (event) => {
      let text;
      try {
        const msg = JSON.parse(event.data);
        text = msg && typeof msg === "object" ? msg.text : msg;
      } catch {
        text = event.data;
      }
      // The name is the one the server gave this connection's peer, whatever the payload claims.
      log(peerLabel(entry), String(text ?? "").slice(0, ROOM_MESSAGE_MAX_LENGTH));
    };
    renderPeers();
  }

  function addPeer(peerId, user) {
    const existing = peers.get(peerId);
    if (existing) {
      if (!existing.user && user) {
        existing.user = user;
        renderPeers();
      }
      return existing;
    }
    const entry = { peer: null, user: user || null, channel: null };
    entry.peer = new Peer(config, {
      onCandidate: (candidate) => sock?.send(EVENTS.ICE_CANDIDATE, { target: peerId, candidate }),
      onDataChannel: (channel) => wireChannel(peerId, channel),
      onTrack: (event) => showVideo(peerId, event.streams[0] || new MediaStream([event.track])),
      onStateChange: (state) => {
        if (state === "failed") log(null, `Connection to ${peerLabel(entry)} failed.`, "muted");
        renderPeers();
      },
    });
    if (media) for (const track of media.getTracks()) entry.peer.pc.addTrack(track, media);
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
    let video = /** @type {HTMLVideoElement | null} */ (document.getElementById(`video-${peerId}`));
    if (!video) {
      const who = peerId === "me" ? "you" : peerLabel(peers.get(peerId) || {});
      video = /** @type {HTMLVideoElement} */ (
        el("video", {
          id: `video-${peerId}`,
          autoplay: true,
          muted: true,
          playsinline: true,
          "aria-label": `Video of ${who}`,
        })
      );
      video.muted = true;
      videos.append(video);
    }
    video.srcObject = stream;
  }

  async function offerTo(peerId, user) {
    const entry = addPeer(peerId, user);
    wireChannel(peerId, entry.peer.pc.createDataChannel("chat"));
    const sdp = await entry.peer.offer();
    if (sdp) sock?.send(EVENTS.OFFER, { target: peerId, sdp });
  }

  // --- socket events -------------------------------------------------------------------
  // Handlers may await (ICE config, answers): frames are handled one at a time, in order.
  /** @type {Record<string, (data: any) => unknown>} */
  const handlers = {
    [EVENTS.LOBBY_WAITING]: (data) =>
      setStatus(`Waiting for ${data.owner ? userName(data.owner) : ownerName()} to let you in…`),
    [EVENTS.ADMITTED]: () => {
      admitted = true;
      setStatus("You were let in.");
    },
    [EVENTS.ROOM_JOINED]: async (data) => {
      // A (re)join gets a new peer id: rebuild the mesh from scratch. TURN credentials
      // are handed out only to someone who may be in the room, so ask now.
      for (const id of [...peers.keys()]) removePeer(id);
      config = await iceConfig({ room: roomId });
      if (!admitted) setStatus("");
      admitted = false;
      myPeerNode.textContent = data.peer_id;
      log(null, `Joined room ${roomId}.`, "muted");
      for (const p of data.peers || []) offerTo(p.peer_id, p.user);
      renderPeers();
      if (!room) loadRoom(); // admitted from the lobby: now allowed to see the room
    },
    [EVENTS.PEER_JOINED]: (data) => {
      addPeer(data.peer_id, data.user);
      log(null, `${userName(data.user)} joined.`, "muted");
    },
    [EVENTS.PEER_LEFT]: (data) => {
      if (peers.has(data.peer_id)) log(null, `${peerLabel(peers.get(data.peer_id))} left.`, "muted");
      removePeer(data.peer_id);
    },
    [EVENTS.OFFER]: async (data) => {
      // The server sets `from`; who that peer is was told by room_joined / peer_joined.
      const entry = addPeer(data.from, null);
      const sdp = await entry.peer.answer(data.sdp);
      if (sdp) sock?.send(EVENTS.ANSWER, { target: data.from, sdp });
    },
    [EVENTS.ANSWER]: (data) => peers.get(data.from)?.peer.acceptAnswer(data.sdp),
    [EVENTS.ICE_CANDIDATE]: (data) => peers.get(data.from)?.peer.addCandidate(data.candidate),
    [EVENTS.BROADCAST]: (data) => {
      const entry = peers.get(data.from);
      log(
        entry ? peerLabel(entry) : "unknown peer",
        typeof data.data === "string" ? data.data : JSON.stringify(data.data),
      );
    },
    [EVENTS.KNOCK]: (data) => {
      lobby.knock(data, new Date().toISOString());
      renderLobby();
      log(null, `${userName(data.user)} is asking to join.`, "muted");
    },
    [EVENTS.LOBBY]: (data) => {
      if (Array.isArray(data.waiting)) setLobby(data.waiting);
    },
    [EVENTS.LOBBY_UPDATE]: (data) => {
      if (Array.isArray(data.waiting)) setLobby(data.waiting);
    },
    [EVENTS.REMOVED]: (data) => {
      ending = removedText(data.reason);
    },
    [EVENTS.ROOM_CLOSED]: () => {
      ending = CLOSED_TEXT;
    },
    [EVENTS.ERROR]: (data) => {
      const end = errorEnding(data.code, room && room.owner ? ownerName() : "The owner");
      if (end) ending = end;
      else toast(data.message || "Room error", "error");
    },
  };

  /** @param {() => unknown} step */
  function enqueue(step) {
    events = events.then(step).catch((err) => console.warn("room event failed", err));
  }

  connectButton.addEventListener("click", async () => {
    connectButton.disabled = true;
    ending = null;
    setStatus("");
    if (cameraBox.checked) {
      try {
        media = await getCamera();
        showVideo("me", media);
      } catch (err) {
        toast(`Camera unavailable: ${err.message}`, "error");
      }
    }
    cameraBox.disabled = true;
    sock = createSocket(`/ws/rooms/${encodeURIComponent(roomId)}/`, {
      onClose(event) {
        // Let the frames that came before the close (removed, room_closed, error) be handled first.
        enqueue(() => {
          setStatus(ending || closeText(event.code));
          leave();
        });
      },
    });
    for (const [type, handler] of Object.entries(handlers)) {
      /** @type {import("./socket.js").Socket} */ (sock).on(type, (data) => enqueue(() => handler(data)));
    }
    sock.connect();
    connectButton.hidden = true;
    leaveButton.hidden = false;
    renderPeers();
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
    if (statusNode.textContent.startsWith("Waiting for")) setStatus("");
    renderPeers();
  }

  leaveButton.addEventListener("click", leave);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim().slice(0, ROOM_MESSAGE_MAX_LENGTH);
    if (!text) return;
    const open = [...peers.values()].filter((p) => p.channel && p.channel.readyState === "open");
    if (!open.length) {
      toast("No peer connected yet.", "error");
      return;
    }
    // No name in the payload: receivers know who is on the other end of each connection.
    const payload = JSON.stringify({ text });
    for (const p of open) p.channel.send(payload);
    log("You", text, "mine");
    input.value = "";
  });

  // --- the room itself ---------------------------------------------------------------
  async function loadRoom() {
    try {
      room = await api(base, { quiet: true });
    } catch {
      return; // not a member (yet): the socket says whether there is a lobby or nothing
    }
    renderRoom();
    renderPeers();
    if (isOwner()) {
      try {
        setLobby(results(await api(`${base}lobby/`, { quiet: true })));
      } catch {
        /* the socket's `lobby` frame fills it in */
      }
    }
  }

  async function redeemInvite(token) {
    try {
      await api(`${base}join/`, { method: "POST", body: { invite: token }, quiet: true });
      setStatus("Invite accepted: you are a member of this room. Connect to join the call.");
    } catch (err) {
      if (err.status === 403) setStatus(REMOVED_TEXT.banned);
      else setStatus("This invite link is not valid (any more). Ask the owner for a new one.");
    } finally {
      // Used or refused, the token has done its job: keep it out of the history, bookmarks and screenshares.
      const url = new URL(location.href);
      url.searchParams.delete("invite");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }

  async function start() {
    renderPeers();
    renderLobby();
    const token = new URLSearchParams(location.search).get("invite");
    if (token) await redeemInvite(token);
    await loadRoom();
  }

  return start();
}
