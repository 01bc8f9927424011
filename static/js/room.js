// @ts-check
// A P2P mesh room: signaling over /ws/rooms/<id>/, then data channels, camera and
// microphone (or a shared screen) directly between browsers. Each pair negotiates with
// the "perfect negotiation" pattern (rtc.js MeshPeer; the larger peer id is polite), so
// two people joining at the same moment still get one working connection.
//
// Before joining, a preview: camera and microphone on or off, which devices, and the name
// others will see. In the call: mute and camera toggles, screen sharing, a tile per person
// with their name, a speaking indicator and their sound controls, and a quality indicator
// per participant (reported to the server every few seconds for the metrics).
//
// Chat goes directly over data channels when every participant has one open; otherwise
// (data channels blocked, NAT without TURN) through the server's `broadcast`. Each
// message says which way it came ("direct" / "via server").
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
import { MeshPeer, getMedia, getScreen, iceConfig, replaceVideo } from "./rtc.js";
import { EVENTS, ROOM_MESSAGE_MAX_LENGTH } from "./constants.js";
import { soundGate, videoTile } from "./media.js";
import { QUALITY_INTERVAL_MS, qualityGrade, qualityText, summarizeStats } from "./quality.js";
import {
  CLOSED_TEXT,
  Lobby,
  REMOVED_TEXT,
  chatPath,
  closeText,
  errorEnding,
  isPolite,
  parseRoomMessage,
  removedText,
} from "./room_state.js";
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
  const micBox = $("use-mic");
  const cameraSelect = $("camera-select");
  const micSelect = $("mic-select");
  const prejoin = $("prejoin");
  const previewVideo = $("preview-video");
  const callControls = $("call-controls");
  const micToggle = $("mic-toggle");
  const cameraToggle = $("camera-toggle");
  const shareButton = $("share-screen");
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
  const sound = soundGate($("enable-sound"));
  $("joining-as").textContent = me.username || "you";

  // --- state ---------------------------------------------------------------------
  let room = null; // REST detail, when this user may see it
  let sock = null;
  /** @type {RTCConfiguration} */
  let config = { iceServers: [] };
  /** @type {MediaStream | null} */
  let media = null; // camera and/or microphone, from the preview
  /** @type {MediaStreamTrack | null} */
  let screenTrack = null;
  let myPeerId = "";
  let ending = null; // the message an event gave before the server closes the socket
  let admitted = false; // `admitted` came: keep saying so over the `room_joined` that follows
  /** @type {Promise<unknown>} */
  let events = Promise.resolve(); // socket frames are handled one at a time, in order
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let qualityTimer;
  let localTile = null;
  // peer id -> {peer (MeshPeer), user (from the server), channel, tile, quality, mark}
  const peers = new Map();
  const lobby = new Lobby();

  const isOwner = () => Boolean(room && (room.is_owner || userId(room.owner) === me.id));
  const ownerName = () => (room && room.owner ? userName(room.owner) : "the owner");

  // --- rendering -------------------------------------------------------------------
  function setStatus(text) {
    statusNode.textContent = text || "";
    statusNode.hidden = !text;
  }

  /**
   * @param {string | null} who
   * @param {string} text
   * @param {string} [kind]
   * @param {"direct" | "server" | null} [path]  which way the message came
   */
  function log(who, text, kind = "", path = null) {
    messages.append(
      el(
        "li",
        { class: kind, dataset: path ? { path } : {} },
        who ? el("strong", {}, `${who}: `) : null,
        text,
        path ? el("span", { class: "path muted small" }, path === "direct" ? " · direct" : " · via server") : null,
      ),
    );
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
    return entry.user ? userName(entry.user) : "unknown participant";
  }

  function peerState(entry) {
    if (entry.channel && entry.channel.readyState === "open") return "connected";
    if (entry.peer.pc.connectionState === "connected") return "connected";
    if (entry.channelFailed) return "chat via server";
    return "connecting";
  }

  function renderPeers() {
    peersNode.replaceChildren();
    for (const [id, p] of peers) {
      const state = peerState(p);
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
      const grade = p.quality ? qualityGrade(p.quality) : "unknown";
      peersNode.append(
        el(
          "li",
          { dataset: { peerId: id, userId: uid ?? "", quality: grade }, class: state.replaceAll(" ", "-") },
          el("span", { class: "dot", "aria-hidden": "true" }),
          `${name} `,
          el("span", { class: "muted small" }, `(${state})`),
          p.quality
            ? el(
                "span",
                { class: `quality quality-${grade}`, title: qualityText(p.quality) },
                `Connection ${qualityText(p.quality)}`,
              )
            : null,
          tools,
        ),
      );
    }
    if (!peers.size) peersNode.append(el("li", { class: "muted" }, sock ? "Nobody else here yet." : "Not in the call"));
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
      // The name is the one the server gave this connection's peer, whatever the payload claims.
      const { text, media: state } = parseRoomMessage(event.data);
      if (state) showMediaState(entry, state);
      else if (text !== undefined) log(peerLabel(entry), text.slice(0, ROOM_MESSAGE_MAX_LENGTH), "", "direct");
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
    const entry = { peer: null, user: user || null, channel: null, channelFailed: false, tile: null, quality: null };
    entry.peer = new MeshPeer(config, {
      polite: isPolite(myPeerId, peerId),
      sendDescription: (d) =>
        sock?.send(d.type === "offer" ? EVENTS.OFFER : EVENTS.ANSWER, { target: peerId, sdp: d.sdp }),
      onCandidate: (candidate) => sock?.send(EVENTS.ICE_CANDIDATE, { target: peerId, candidate }),
      onTrack: (event) => showRemote(peerId, event.streams[0] || new MediaStream([event.track])),
      onStateChange: (state) => {
        if (state === "failed") log(null, `Connection to ${peerLabel(entry)} failed.`, "muted");
        renderPeers();
      },
    });
    peers.set(peerId, entry);
    // Both sides open the same pre-agreed channel (negotiated, id 0): no race over who creates it.
    try {
      wireChannel(peerId, entry.peer.pc.createDataChannel("chat", { negotiated: true, id: 0 }));
    } catch (err) {
      console.warn("no data channel: chat goes through the server", err);
      entry.channelFailed = true;
    }
    if (media) {
      for (const track of media.getTracks()) {
        entry.peer.pc.addTrack(track.kind === "video" && screenTrack ? screenTrack : track, media);
      }
    } else if (screenTrack) entry.peer.pc.addTrack(screenTrack, new MediaStream([screenTrack]));
    renderPeers();
    return entry;
  }

  function removePeer(peerId) {
    const entry = peers.get(peerId);
    if (!entry) return;
    entry.peer.close();
    entry.tile?.stop();
    peers.delete(peerId);
    renderPeers();
  }

  /**
   * @param {string} peerId
   * @param {MediaStream} stream
   */
  function showRemote(peerId, stream) {
    const entry = peers.get(peerId);
    if (!entry) return;
    if (entry.tile) {
      entry.tile.setStream(stream);
      return;
    }
    entry.tile = videoTile({ id: peerId, name: peerLabel(entry), stream, play: sound.play });
    videos.append(entry.tile.node);
    if (entry.mediaState) showMediaState(entry, entry.mediaState);
  }

  /** @param {{microphone?: boolean, camera?: boolean, screen?: boolean}} state */
  function showMediaState(entry, state) {
    entry.mediaState = state;
    const words = [];
    if (state.microphone === false) words.push("microphone off");
    if (state.camera === false && !state.screen) words.push("camera off");
    if (state.screen) words.push("sharing the screen");
    entry.tile?.setStatus(words.join(", "));
  }

  function myMediaState() {
    const audio = media?.getAudioTracks()[0];
    const video = media?.getVideoTracks()[0];
    return {
      microphone: Boolean(audio && audio.enabled),
      camera: Boolean(video && video.enabled),
      screen: !!screenTrack,
    };
  }

  // Everyone sees whether my microphone and camera are on (through the server: it reaches all).
  function announceMediaState() {
    sock?.send(EVENTS.BROADCAST, { data: { media: myMediaState() } });
  }

  function renderCallControls() {
    const audio = media?.getAudioTracks()[0];
    const video = media?.getVideoTracks()[0];
    micToggle.hidden = !audio;
    cameraToggle.hidden = !video;
    if (audio) {
      micToggle.textContent = audio.enabled ? "Mute microphone" : "Unmute microphone";
      micToggle.setAttribute("aria-pressed", String(!audio.enabled));
    }
    if (video) {
      cameraToggle.textContent = video.enabled ? "Turn camera off" : "Turn camera on";
      cameraToggle.setAttribute("aria-pressed", String(!video.enabled));
    }
    shareButton.textContent = screenTrack ? "Stop sharing" : "Share screen";
    shareButton.setAttribute("aria-pressed", String(Boolean(screenTrack)));
    localTile?.setStatus(
      [audio && !audio.enabled ? "microphone off" : "", screenTrack ? "sharing the screen" : ""]
        .filter(Boolean)
        .join(", "),
    );
  }

  micToggle.addEventListener("click", () => {
    const audio = media?.getAudioTracks()[0];
    if (!audio) return;
    audio.enabled = !audio.enabled;
    renderCallControls();
    announceMediaState();
  });

  cameraToggle.addEventListener("click", () => {
    const video = media?.getVideoTracks()[0];
    if (!video) return;
    video.enabled = !video.enabled;
    renderCallControls();
    announceMediaState();
  });

  // Screen sharing replaces the camera's video on every connection (replaceTrack: no new offer).
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
    const shown = new MediaStream([track]);
    await replaceVideo(
      [...peers.values()].map((p) => p.peer.pc),
      track,
      media || shown,
    );
    showLocal(shown);
    renderCallControls();
    announceMediaState();
  });

  function stopSharing() {
    if (!screenTrack) return;
    screenTrack.stop();
    screenTrack = null;
    const camera = media?.getVideoTracks()[0] || null;
    replaceVideo(
      [...peers.values()].map((p) => p.peer.pc),
      camera,
    ).catch((err) => console.warn("could not switch back to the camera", err));
    showLocal(media);
    renderCallControls();
    announceMediaState();
  }

  /** @param {MediaStream | null} stream */
  function showLocal(stream) {
    if (!stream || !stream.getVideoTracks().length) {
      localTile?.stop();
      localTile = null;
      return;
    }
    if (localTile) localTile.setStream(stream);
    else {
      localTile = videoTile({ id: "me", name: `${me.username || "You"} (you)`, stream, local: true });
      videos.prepend(localTile.node);
    }
  }

  // Every few seconds: each connection's quality, shown beside the participant and reported
  // to the server (for the metrics); nothing is sent while nobody is connected.
  async function measureQuality() {
    for (const [peerId, entry] of peers) {
      if (entry.peer.pc.connectionState !== "connected") continue;
      try {
        const stats = await entry.peer.pc.getStats();
        const { summary, mark } = summarizeStats(stats.values(), entry.mark || null, Date.now());
        entry.mark = mark;
        entry.quality = summary;
        sock?.send(EVENTS.QUALITY_REPORT, { peer: peerId, ...summary });
      } catch (err) {
        console.warn("getStats failed", err);
      }
    }
    renderPeers();
  }

  // --- the preview before joining -------------------------------------------------------
  async function fillDevices() {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    for (const [select, kind, word] of [
      [cameraSelect, "videoinput", "Camera"],
      [micSelect, "audioinput", "Microphone"],
    ]) {
      const chosen = select.value;
      select.replaceChildren(
        ...devices
          .filter((d) => d.kind === kind)
          .map((d, i) => el("option", { value: d.deviceId }, d.label || `${word} ${i + 1}`)),
      );
      if (chosen) select.value = chosen;
    }
  }

  async function preview() {
    if (media) for (const track of media.getTracks()) track.stop();
    media = null;
    previewVideo.srcObject = null;
    if (!cameraBox.checked && !micBox.checked) return;
    try {
      media = await getMedia({
        video: cameraBox.checked,
        audio: micBox.checked,
        videoDevice: cameraSelect.value,
        audioDevice: micSelect.value,
      });
    } catch (err) {
      toast(`Camera or microphone unavailable: ${err.message}`, "error");
      return;
    }
    previewVideo.srcObject = media;
    await fillDevices();
  }

  for (const control of [cameraBox, micBox, cameraSelect, micSelect]) control.addEventListener("change", preview);

  // --- socket events -------------------------------------------------------------------
  // Handlers may await (ICE config, descriptions): frames are handled one at a time, in order.
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
      myPeerId = data.peer_id;
      myPeerNode.textContent = data.peer_id;
      log(null, `Joined room ${roomId}.`, "muted");
      for (const p of data.peers || []) addPeer(p.peer_id, p.user);
      if (media) announceMediaState();
      renderPeers();
      if (!room) loadRoom(); // admitted from the lobby: now allowed to see the room
    },
    [EVENTS.PEER_JOINED]: (data) => {
      addPeer(data.peer_id, data.user);
      log(null, `${userName(data.user)} joined.`, "muted");
      if (media) announceMediaState();
    },
    [EVENTS.PEER_LEFT]: (data) => {
      if (peers.has(data.peer_id)) log(null, `${peerLabel(peers.get(data.peer_id))} left.`, "muted");
      removePeer(data.peer_id);
    },
    // The server sets `from`; who that peer is was told by room_joined / peer_joined.
    [EVENTS.OFFER]: (data) => addPeer(data.from, null).peer.receiveDescription({ type: "offer", sdp: data.sdp }),
    [EVENTS.ANSWER]: (data) => peers.get(data.from)?.peer.receiveDescription({ type: "answer", sdp: data.sdp }),
    [EVENTS.ICE_CANDIDATE]: (data) => peers.get(data.from)?.peer.addCandidate(data.candidate),
    [EVENTS.BROADCAST]: (data) => {
      const entry = peers.get(data.from);
      const { text, media: state } = parseRoomMessage(data.data);
      if (state && entry) showMediaState(entry, state);
      else if (text !== undefined)
        log(entry ? peerLabel(entry) : "unknown participant", text.slice(0, ROOM_MESSAGE_MAX_LENGTH), "", "server");
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
    if ((cameraBox.checked || micBox.checked) && !media) await preview();
    previewVideo.srcObject = null;
    prejoin.hidden = true;
    callControls.hidden = false;
    showLocal(media);
    renderCallControls();
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
    qualityTimer = setInterval(measureQuality, QUALITY_INTERVAL_MS);
    connectButton.hidden = true;
    leaveButton.hidden = false;
    renderPeers();
  });

  function leave() {
    clearInterval(qualityTimer);
    for (const id of [...peers.keys()]) removePeer(id);
    sock?.close();
    sock = null;
    screenTrack?.stop();
    screenTrack = null;
    if (media) for (const track of media.getTracks()) track.stop();
    media = null;
    cameraBox.checked = false;
    micBox.checked = false;
    localTile?.stop();
    localTile = null;
    videos.replaceChildren();
    myPeerNode.textContent = "–";
    myPeerId = "";
    prejoin.hidden = false;
    callControls.hidden = true;
    connectButton.hidden = false;
    connectButton.disabled = false;
    leaveButton.hidden = true;
    if (statusNode.textContent.startsWith("Waiting for")) setStatus("");
    renderPeers();
  }

  leaveButton.addEventListener("click", leave);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim().slice(0, ROOM_MESSAGE_MAX_LENGTH);
    if (!text) return;
    const everyone = [...peers.values()];
    const path = sock ? chatPath(everyone) : null;
    if (!path) {
      toast(sock ? "Nobody else is in the room yet." : "Join the call to chat.", "error");
      return;
    }
    // No name in the payload: receivers know who is on the other end of each connection.
    const payload = { text };
    if (path === "direct") for (const p of everyone) p.channel.send(JSON.stringify(payload));
    else sock.send(EVENTS.BROADCAST, { data: payload });
    log("You", text, "mine", path);
    input.value = "";
  });

  $("copy-room-link").addEventListener("click", async () => {
    const link = `${location.origin}/rooms/${encodeURIComponent(roomId)}/`;
    const feedback = $("room-link-feedback");
    try {
      await navigator.clipboard.writeText(link);
      feedback.textContent = "Room link copied. People without an invite ask to join.";
    } catch {
      feedback.textContent = `Room link: ${link}`;
    }
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
    // Connect waits for the invite to be redeemed: a socket opened before that would knock at
    // the lobby (or be told the room does not exist) although the link lets this person in.
    connectButton.disabled = true;
    try {
      const token = new URLSearchParams(location.search).get("invite");
      if (token) await redeemInvite(token);
      await loadRoom();
    } finally {
      connectButton.disabled = false;
    }
  }

  return start();
}
