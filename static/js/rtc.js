// @ts-check
// WebRTC helpers shared by the live and room pages.
import { api } from "./api.js";

// RTCConfiguration from the server (STUN, time-limited TURN credentials, policies),
// for one room or one live stream: iceConfig({room: "standup"}) or iceConfig({stream: 7}).
// The server hands TURN credentials only to someone who may join that room or stream;
// without them the peers still try direct (host/STUN) candidates.
/**
 * @param {{room?: string, stream?: number}} [scope]
 * @returns {Promise<RTCConfiguration>}
 */
export async function iceConfig({ room, stream } = {}) {
  try {
    const { ttl, ...config } = await api("/api/rtc/config/", { quiet: true, params: { room, stream } });
    return config;
  } catch {
    return { iceServers: [] };
  }
}

// One RTCPeerConnection with the two things every page needs: remote ICE
// candidates queued until the remote description is set, and operations on
// the connection run one at a time, in arrival order.
export class Peer {
  /**
   * @param {RTCConfiguration} config
   * @param {{onCandidate?: (candidate: RTCIceCandidateInit) => void, onTrack?: (event: RTCTrackEvent) => void,
   *   onDataChannel?: (channel: RTCDataChannel) => void, onStateChange?: (state: RTCPeerConnectionState) => void}} [handlers]
   */
  constructor(config, { onCandidate, onTrack, onDataChannel, onStateChange } = {}) {
    this.pc = new RTCPeerConnection(config);
    this.remoteSet = false;
    /** @type {RTCIceCandidateInit[]} */
    this.pendingCandidates = [];
    /** @type {Promise<any>} */
    this.chain = Promise.resolve();
    this.pc.onicecandidate = (event) => {
      // End-of-candidates (null) is not sent: every browser copes without it.
      if (event.candidate && onCandidate) onCandidate(event.candidate.toJSON());
    };
    if (onTrack) this.pc.ontrack = onTrack;
    if (onDataChannel) this.pc.ondatachannel = (event) => onDataChannel(event.channel);
    if (onStateChange) this.pc.onconnectionstatechange = () => onStateChange(this.pc.connectionState);
  }

  run(step) {
    this.chain = this.chain.then(step).catch((err) => console.warn("webrtc step failed", err));
    return this.chain;
  }

  offer() {
    return this.run(async () => {
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      return this.pc.localDescription.sdp;
    });
  }

  // Sets the remote offer and returns our answer's SDP.
  answer(sdp) {
    let result = null;
    return this.run(async () => {
      await this.applyRemote({ type: "offer", sdp });
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      result = this.pc.localDescription.sdp;
    }).then(() => result);
  }

  acceptAnswer(sdp) {
    return this.run(() => this.applyRemote({ type: "answer", sdp }));
  }

  async applyRemote(description) {
    await this.pc.setRemoteDescription(description);
    this.remoteSet = true;
    for (const candidate of this.pendingCandidates.splice(0)) await this.pc.addIceCandidate(candidate).catch(() => {});
  }

  addCandidate(candidate) {
    if (!candidate || !candidate.candidate) return this.chain;
    return this.run(async () => {
      if (this.remoteSet) await this.pc.addIceCandidate(candidate);
      else this.pendingCandidates.push(candidate);
    });
  }

  close() {
    try {
      this.pc.close();
    } catch {
      /* already closed */
    }
  }
}

export async function getCamera() {
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
  } catch {
    return navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  }
}

/** How long a mesh connection may stay "connecting" before the impolite side restarts ICE, in ms. */
export const MESH_RESTART_MS = 8000;

/**
 * One connection of a room's mesh, negotiated with the "perfect negotiation" pattern
 * (docs/protocol.md, "Building a mesh without glare"): either side offers whenever it
 * needs to (`negotiationneeded`: a data channel, a track); when two offers cross, the
 * polite side (the larger peer id) rolls back and answers, the impolite side ignores
 * the incoming offer. Both sides compute `polite` the same way, so no offer is lost.
 *
 * The first offer is always the impolite side's: the polite side waits for it (it answers,
 * then offers whatever that offer did not cover). Both sides create the connection at
 * the same moment (`room_joined` / `peer_joined`), so letting both offer made every join a
 * glare, and Chromium can lose a connection to that rollback: a polite side that rolls its
 * first offer back just as ICE gathering starts answers with a transport that never gathers
 * a candidate nor checks one, and stays "new" whatever the other side restarts.
 */
export class MeshPeer {
  /**
   * @param {RTCConfiguration} config
   * @param {{polite: boolean, sendDescription: (d: RTCSessionDescription) => void,
   *   onCandidate?: (candidate: RTCIceCandidateInit) => void, onTrack?: (event: RTCTrackEvent) => void,
   *   onStateChange?: (state: RTCPeerConnectionState) => void}} options
   */
  constructor(config, { polite, sendDescription, onCandidate, onTrack, onStateChange }) {
    this.pc = new RTCPeerConnection(config);
    this.polite = polite;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.answerPending = false;
    this.pc.onnegotiationneeded = async () => {
      // Polite and nothing negotiated yet: the impolite side's offer is on its way. Chromium
      // fires negotiationneeded again once we have answered, if that offer did not cover it all.
      if (this.polite && !this.pc.remoteDescription) return;
      try {
        this.makingOffer = true;
        await this.pc.setLocalDescription();
        if (this.pc.localDescription) sendDescription(this.pc.localDescription);
      } catch (err) {
        console.warn("offer failed", err);
      } finally {
        this.makingOffer = false;
      }
    };
    this.pc.onicecandidate = (event) => {
      if (event.candidate && onCandidate) onCandidate(event.candidate.toJSON());
    };
    if (onTrack) this.pc.ontrack = onTrack;
    if (onStateChange) this.pc.onconnectionstatechange = () => onStateChange(this.pc.connectionState);
    // A failed ICE check is retried with fresh credentials, by the impolite side only (the
    // two restarts' offers would cross); its offer goes through negotiationneeded like any other.
    this.pc.oniceconnectionstatechange = () => {
      if (!polite && this.pc.iceConnectionState === "failed") this.pc.restartIce();
    };
    this.sendDescription = sendDescription;
    // Still not connected after a while: the impolite side restarts ICE once (one side only, so
    // the two restarts never cross).
    this.watchdog = polite
      ? undefined
      : setTimeout(() => {
          if (["new", "connecting"].includes(this.pc.connectionState) && this.pc.signalingState === "stable") {
            this.pc.restartIce();
          }
        }, MESH_RESTART_MS);
  }

  /**
   * An `offer` or `answer` from the other side.
   * @param {RTCSessionDescriptionInit} description
   */
  async receiveDescription(description) {
    const pc = this.pc;
    const readyForOffer = !this.makingOffer && (pc.signalingState === "stable" || this.answerPending);
    const collision = description.type === "offer" && !readyForOffer;
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    this.answerPending = description.type === "answer";
    await pc.setRemoteDescription(description); // a polite peer's own offer is rolled back here
    this.answerPending = false;
    if (description.type === "offer") {
      await pc.setLocalDescription();
      if (pc.localDescription) this.sendDescription(pc.localDescription);
    }
  }

  /** @param {RTCIceCandidateInit} candidate */
  async addCandidate(candidate) {
    if (!candidate || !candidate.candidate) return;
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (err) {
      // Candidates of an offer we ignored fail by design; anything else is worth a log line.
      if (!this.ignoreOffer) console.warn("ICE candidate refused", err);
    }
  }

  close() {
    clearTimeout(this.watchdog);
    try {
      this.pc.close();
    } catch {
      /* already closed */
    }
  }
}

/**
 * Camera and/or microphone, optionally from chosen devices.
 * @param {{video?: boolean, audio?: boolean, videoDevice?: string, audioDevice?: string}} choice
 * @returns {Promise<MediaStream>}
 */
export function getMedia({ video = true, audio = true, videoDevice = "", audioDevice = "" }) {
  const videoConstraints = videoDevice ? { deviceId: { exact: videoDevice } } : { width: 640, height: 360 };
  return navigator.mediaDevices.getUserMedia({
    video: video ? videoConstraints : false,
    audio: audio ? (audioDevice ? { deviceId: { exact: audioDevice } } : true) : false,
  });
}

/**
 * The screen (or a window) as a video track, or null when the person cancels.
 * @returns {Promise<MediaStreamTrack | null>}
 */
export async function getScreen() {
  try {
    const screen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    return screen.getVideoTracks()[0] || null;
  } catch {
    return null;
  }
}

/**
 * Puts `track` in place of the video every connection sends (replaceTrack: no renegotiation).
 * A connection that sends no video yet gets the track added (its negotiation runs as usual).
 * @param {RTCPeerConnection[]} connections
 * @param {MediaStreamTrack | null} track
 * @param {MediaStream} [stream]  the stream to add the track under, when it has to be added
 */
export async function replaceVideo(connections, track, stream) {
  for (const pc of connections) {
    if (pc.connectionState === "closed") continue;
    // The transceiver's receiver tells its kind even while the sender has no track.
    const video = pc
      .getTransceivers()
      .find((t) => t.receiver.track.kind === "video" && t.currentDirection !== "stopped");
    if (video && (video.sender.track || video.direction.startsWith("send"))) await video.sender.replaceTrack(track);
    else if (track) pc.addTrack(track, stream || new MediaStream([track]));
  }
}
