// Summarises RTCPeerConnection.getStats() for the stats panel: path (direct or relay,
// from the selected candidate pair), RTT, send/receive bitrate, received resolution.

export class StatsSampler {
  constructor(pc) {
    this.pc = pc;
    this.prev = null;
  }

  async sample() {
    const report = await this.pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    let pair = null;
    for (const s of byId.values()) {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        pair = byId.get(s.selectedCandidatePairId) || pair;
      }
    }
    if (!pair) {
      for (const s of byId.values()) {
        if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) pair = s;
      }
    }
    let path = null;
    let rtt = null;
    if (pair) {
      const local = byId.get(pair.localCandidateId);
      const remote = byId.get(pair.remoteCandidateId);
      const relayed = (local && local.candidateType === 'relay') || (remote && remote.candidateType === 'relay');
      path = relayed ? 'relay' : 'direct';
      if (typeof pair.currentRoundTripTime === 'number') rtt = pair.currentRoundTripTime;
    }
    let sent = 0;
    let received = 0;
    let width = 0;
    let height = 0;
    let fps = 0;
    for (const s of byId.values()) {
      if (s.type === 'outbound-rtp') sent += s.bytesSent || 0;
      if (s.type === 'inbound-rtp') {
        received += s.bytesReceived || 0;
        // Largest incoming video: the screen share when there is one.
        if (s.kind === 'video' && (s.frameWidth || 0) * (s.frameHeight || 0) > width * height) {
          width = s.frameWidth;
          height = s.frameHeight;
          fps = s.framesPerSecond || 0;
        }
      }
    }
    const now = performance.now();
    let sendBps = null;
    let recvBps = null;
    if (this.prev) {
      const dt = (now - this.prev.t) / 1000;
      if (dt > 0) {
        sendBps = Math.max(0, ((sent - this.prev.sent) * 8) / dt);
        recvBps = Math.max(0, ((received - this.prev.received) * 8) / dt);
      }
    }
    this.prev = { t: now, sent, received };
    return { path, rtt, sendBps, recvBps, width, height, fps };
  }
}

export function formatBitrate(bps) {
  if (bps === null || bps === undefined) return '–';
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  return `${Math.round(bps / 1e3)} kbit/s`;
}
