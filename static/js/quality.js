// @ts-check
// Call quality from RTCPeerConnection.getStats(), without the DOM: a summary (round-trip
// time, packet loss, bitrate, frame rate) and a grade for the indicator. The summary is
// what clients report over the socket (`quality_report`, docs/protocol.md).

/** How often a client measures and reports, in ms. */
export const QUALITY_INTERVAL_MS = 5000;

/**
 * @typedef {{rtt_ms: number | null, packet_loss_pct: number | null, bitrate_kbps: number | null,
 *   fps: number | null}} QualitySummary
 * @typedef {{bytes: number, at: number}} ByteMark
 */

/**
 * Summarises one getStats() report. `previous` is the byte count and time of the last
 * call (for the bitrate); the new mark is returned beside the summary.
 * @param {Iterable<any>} reports  the values of an RTCStatsReport
 * @param {ByteMark | null} previous
 * @param {number} now  ms
 * @returns {{summary: QualitySummary, mark: ByteMark}}
 */
export function summarizeStats(reports, previous, now) {
  let rtt = null;
  let received = 0;
  let lost = 0;
  let bytes = 0;
  let fps = null;
  for (const r of reports) {
    if (r.type === "candidate-pair" && r.nominated && typeof r.currentRoundTripTime === "number") {
      rtt = r.currentRoundTripTime * 1000;
    }
    if (r.type === "inbound-rtp") {
      received += r.packetsReceived || 0;
      lost += Math.max(0, r.packetsLost || 0);
      bytes += r.bytesReceived || 0;
      if (r.kind === "video" && typeof r.framesPerSecond === "number") fps = r.framesPerSecond;
    }
    if (r.type === "outbound-rtp") {
      bytes += r.bytesSent || 0;
      if (r.kind === "video" && fps === null && typeof r.framesPerSecond === "number") fps = r.framesPerSecond;
    }
  }
  const seconds = previous ? (now - previous.at) / 1000 : 0;
  const bitrate = previous && seconds > 0 ? Math.max(0, ((bytes - previous.bytes) * 8) / 1000 / seconds) : null;
  const total = received + lost;
  return {
    summary: {
      rtt_ms: rtt === null ? null : Math.round(rtt),
      packet_loss_pct: total ? Math.round((lost / total) * 1000) / 10 : null,
      bitrate_kbps: bitrate === null ? null : Math.round(bitrate),
      fps: fps === null ? null : Math.round(fps),
    },
    mark: { bytes, at: now },
  };
}

/**
 * "good", "fair" or "poor" (or "unknown" before any figure): loss and round-trip time decide.
 * @param {QualitySummary} summary
 */
export function qualityGrade(summary) {
  const { rtt_ms: rtt, packet_loss_pct: loss } = summary;
  if (rtt === null && loss === null) return "unknown";
  if ((loss ?? 0) > 5 || (rtt ?? 0) > 400) return "poor";
  if ((loss ?? 0) > 1 || (rtt ?? 0) > 150) return "fair";
  return "good";
}

/**
 * The summary in words, for a tooltip or a screen reader.
 * @param {QualitySummary} summary
 */
export function qualityText(summary) {
  const parts = [];
  if (summary.rtt_ms !== null) parts.push(`${summary.rtt_ms} ms round trip`);
  if (summary.packet_loss_pct !== null) parts.push(`${summary.packet_loss_pct}% loss`);
  if (summary.bitrate_kbps !== null) parts.push(`${summary.bitrate_kbps} kbit/s`);
  if (summary.fps !== null) parts.push(`${summary.fps} fps`);
  return `${qualityGrade(summary)}${parts.length ? `: ${parts.join(", ")}` : ""}`;
}
