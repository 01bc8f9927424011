import assert from "node:assert/strict";
import { test } from "node:test";

import { qualityGrade, qualityText, summarizeStats } from "../quality.js";

const REPORT = [
  { type: "candidate-pair", nominated: true, currentRoundTripTime: 0.042 },
  { type: "inbound-rtp", kind: "audio", packetsReceived: 980, packetsLost: 20, bytesReceived: 50_000 },
  {
    type: "inbound-rtp",
    kind: "video",
    packetsReceived: 1000,
    packetsLost: 0,
    bytesReceived: 950_000,
    framesPerSecond: 29.6,
  },
  { type: "outbound-rtp", kind: "video", bytesSent: 1_000_000, framesPerSecond: 30 },
];

test("a getStats report becomes round trip, loss, bitrate since the last mark, and the received frame rate", () => {
  const first = summarizeStats(REPORT, null, 1000);
  assert.deepEqual(first.summary, { rtt_ms: 42, packet_loss_pct: 1, bitrate_kbps: null, fps: 30 });
  assert.deepEqual(first.mark, { bytes: 2_000_000, at: 1000 });
  const second = summarizeStats(REPORT, { bytes: 1_000_000, at: 0 }, 2000);
  assert.equal(second.summary.bitrate_kbps, 4000); // 1 MB more in 2 s
});

test("an empty report measures nothing, and the grade follows loss and round trip", () => {
  const { summary } = summarizeStats([], null, 0);
  assert.deepEqual(summary, { rtt_ms: null, packet_loss_pct: null, bitrate_kbps: null, fps: null });
  assert.equal(qualityGrade(summary), "unknown");
  assert.equal(qualityGrade({ ...summary, rtt_ms: 40, packet_loss_pct: 0 }), "good");
  assert.equal(qualityGrade({ ...summary, rtt_ms: 200, packet_loss_pct: 0 }), "fair");
  assert.equal(qualityGrade({ ...summary, rtt_ms: 40, packet_loss_pct: 8 }), "poor");
  assert.equal(
    qualityText({ rtt_ms: 40, packet_loss_pct: 0, bitrate_kbps: 900, fps: 30 }),
    "good: 40 ms round trip, 0% loss, 900 kbit/s, 30 fps",
  );
});
