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
