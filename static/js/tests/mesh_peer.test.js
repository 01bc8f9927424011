import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { MeshPeer } from "../rtc.js";

// A stand-in for RTCPeerConnection with the signaling state machine of JSEP (offer,
// answer, implicit rollback), negotiationneeded as Chromium fires it (when stable; again
// after a negotiation if something is still not negotiated), and ICE candidates that are
// refused without a remote description. SDP is a list of what it negotiates ("data,video").
class FakePeerConnection {
  static made = /** @type {FakePeerConnection[]} */ ([]);

  constructor() {
    this.signalingState = "stable";
    this.connectionState = "new";
    this.iceConnectionState = "new";
    /** @type {{type: string, sdp: string} | null} */
    this.localDescription = null;
    /** @type {{type: string, sdp: string} | null} */
    this.remoteDescription = null;
    this.wants = new Set(); // what this side needs negotiated (data channel, tracks)
    this.negotiated = new Set();
    this.needed = false;
    this.rollbacks = 0;
    this.offersMade = 0;
    this.candidates = /** @type {string[]} */ ([]);
    this.refused = /** @type {string[]} */ ([]);
    this.generation = 0;
    /** @type {(() => void) | null} */
    this.onnegotiationneeded = null;
    /** @type {((event: any) => void) | null} */
    this.onicecandidate = null;
    FakePeerConnection.made.push(this);
  }

  createDataChannel() {
    this.want("data");
    return { readyState: "connecting" };
  }

  /** @param {{kind: string}} track */
  addTrack(track) {
    this.want(track.kind);
  }

  /** @param {string} kind */
  want(kind) {
    this.wants.add(kind);
    this.updateNeeded();
  }

  // Chromium: the event fires when the flag turns true in "stable", or when a negotiation
  // ends in "stable" with the flag still true.
  updateNeeded(wasNeeded = false) {
    const before = this.needed || wasNeeded;
    this.needed = [...this.wants].some((kind) => !this.negotiated.has(kind));
    if (this.needed && (!before || wasNeeded) && this.signalingState === "stable") {
      setTimeout(() => {
        if (this.needed && this.signalingState === "stable") this.onnegotiationneeded?.();
      }, 0);
    }
  }

  async setLocalDescription() {
    await Promise.resolve();
    if (this.signalingState === "have-remote-offer") {
      const offered = new Set(/** @type {any} */ (this.remoteDescription).sdp.split(","));
      this.localDescription = { type: "answer", sdp: [...offered].join(",") };
      this.negotiated = offered;
      this.signalingState = "stable";
      this.updateNeeded(this.needed);
    } else {
      this.offersMade += 1;
      this.localDescription = { type: "offer", sdp: [...this.wants].join(",") };
      this.signalingState = "have-local-offer";
    }
    const candidate = `candidate ${FakePeerConnection.made.indexOf(this)}-${this.generation++}`;
    setTimeout(() => this.onicecandidate?.({ candidate: { toJSON: () => ({ candidate, sdpMid: "0" }) } }), 0);
  }

  /** @param {{type: string, sdp: string}} description */
  async setRemoteDescription(description) {
    await Promise.resolve();
    if (description.type === "offer") {
      if (this.signalingState === "have-local-offer") {
        this.rollbacks += 1; // the implicit rollback of a polite peer's own offer
        this.localDescription = null;
        this.signalingState = "stable";
      }
      if (this.signalingState !== "stable") throw new Error("InvalidStateError: offer in " + this.signalingState);
      this.remoteDescription = description;
      this.signalingState = "have-remote-offer";
    } else {
      if (this.signalingState !== "have-local-offer") throw new Error("InvalidStateError: answer in stable");
      this.remoteDescription = description;
      this.negotiated = new Set(description.sdp.split(","));
      this.signalingState = "stable";
      this.updateNeeded(this.needed);
    }
  }

  /** @param {{candidate: string}} candidate */
  async addIceCandidate(candidate) {
    await Promise.resolve();
    if (!this.remoteDescription) {
      this.refused.push(candidate.candidate);
      throw new Error("InvalidStateError: The remote description was null");
    }
    this.candidates.push(candidate.candidate);
  }

  restartIce() {}

  close() {
    this.signalingState = "closed";
  }
}

const realPeerConnection = globalThis.RTCPeerConnection;
/** @type {MeshPeer[]} */
let opened = [];

afterEach(() => {
  for (const peer of opened) peer.close();
  opened = [];
  FakePeerConnection.made = [];
  /** @type {any} */ (globalThis).RTCPeerConnection = realPeerConnection;
});

/**
 * Two peers of a room wired like room.js wires them: each side's frames reach the other
 * through the server, in order, handled one at a time.
 * @param {{aWants?: string[], bWants?: string[]}} [media]
 */
function pair({ aWants = [], bWants = [] } = {}) {
  /** @type {any} */ (globalThis).RTCPeerConnection = FakePeerConnection;
  const queues = { a: Promise.resolve(), b: Promise.resolve() };
  /** @type {Record<string, MeshPeer>} */
  const peers = {};
  /**
   * @param {"a" | "b"} to
   * @param {(peer: MeshPeer) => Promise<unknown> | undefined} step
   */
  const deliver = (to, step) => {
    setTimeout(() => {
      queues[to] = queues[to].then(() => step(peers[to])).catch(() => {});
    }, 1);
  };
  for (const [me, other] of /** @type {const} */ ([
    ["a", "b"],
    ["b", "a"],
  ])) {
    peers[me] = new MeshPeer(
      {},
      {
        polite: me > other, // room_state.isPolite: the larger peer id is polite
        sendDescription: (d) => deliver(other, (peer) => peer.receiveDescription({ type: d.type, sdp: d.sdp })),
        onCandidate: (candidate) => deliver(other, (peer) => peer.addCandidate(candidate)),
      },
    );
    opened.push(peers[me]);
  }
  // Both sides open the pre-negotiated data channel and add their tracks at once, as addPeer does.
  for (const [me, wants] of /** @type {const} */ ([
    ["a", aWants],
    ["b", bWants],
  ])) {
    peers[me].pc.createDataChannel("chat", { negotiated: true, id: 0 });
    for (const kind of wants) peers[me].pc.addTrack(/** @type {any} */ ({ kind }), /** @type {any} */ ({}));
  }
  return { a: /** @type {any} */ (peers.a.pc), b: /** @type {any} */ (peers.b.pc) };
}

/** @param {() => boolean} done */
async function settle(done) {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

test("two peers that meet at once negotiate with one offer: no glare, no rollback", async () => {
  const { a, b } = pair();
  const connected = () =>
    [a, b].every((pc) => pc.signalingState === "stable" && pc.remoteDescription && pc.candidates.length);
  await settle(connected);
  assert.ok(connected(), "both sides have the other's description and candidates");
  assert.equal(a.rollbacks + b.rollbacks, 0, "no offer was rolled back");
  assert.deepEqual([a.offersMade, b.offersMade], [1, 0], "the impolite side (smaller id) made the one offer");
  assert.deepEqual([...a.refused, ...b.refused], [], "no candidate was refused");
  assert.deepEqual([...a.negotiated], ["data"]);
});

test("the polite side offers afterwards what the first offer did not cover", async () => {
  const { a, b } = pair({ bWants: ["audio", "video"] });
  const done = () => b.offersMade === 1 && [a, b].every((pc) => pc.signalingState === "stable" && !pc.needed);
  await settle(done);
  assert.ok(done(), "the polite side's own offer went through once the first one was answered");
  assert.equal(a.rollbacks + b.rollbacks, 0);
  assert.deepEqual([...a.negotiated].sort(), ["audio", "data", "video"]);
  assert.deepEqual([...b.negotiated].sort(), ["audio", "data", "video"]);
  assert.deepEqual([...a.refused, ...b.refused], []);
});

test("offers that still cross later (a track added on both sides) end in one negotiation", async () => {
  const { a, b } = pair();
  await settle(() => [a, b].every((pc) => pc.signalingState === "stable" && pc.remoteDescription));
  a.addTrack({ kind: "video" });
  b.addTrack({ kind: "video" });
  const done = () => [a, b].every((pc) => pc.signalingState === "stable" && pc.negotiated.has("video") && !pc.needed);
  await settle(done);
  assert.ok(done(), "both end stable with the video negotiated");
});
