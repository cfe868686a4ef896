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
    let lost = 0;
    let packets = 0;
    for (const s of byId.values()) {
      if (s.type === 'outbound-rtp') sent += s.bytesSent || 0;
      if (s.type === 'inbound-rtp') {
        received += s.bytesReceived || 0;
        lost += Math.max(0, s.packetsLost || 0);
        packets += s.packetsReceived || 0;
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
    const loss = lost + packets > 0 ? lost / (lost + packets) : null;
    return { path, rtt, sendBps, recvBps, width, height, fps, loss };
  }
}

export function formatBitrate(bps) {
  if (bps === null || bps === undefined) return '–';
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  return `${Math.round(bps / 1e3)} kbit/s`;
}

// The protocol's "stats" message (docs/protocol.md) from a sample: only the
// fields that are known, each within the server's range.
export function statsMessage(sample, scope) {
  const msg = { type: 'stats', ...scope };
  const num = (v, max) => (typeof v === 'number' && Number.isFinite(v) ? Math.min(Math.max(v, 0), max) : null);
  const put = (k, v) => { if (v !== null && v !== undefined) msg[k] = v; };
  if (sample.width) {
    put('width', Math.min(Math.round(sample.width), 16384));
    put('height', Math.min(Math.round(sample.height), 16384));
    put('frame_rate', num(sample.fps, 1000));
  }
  put('send_bitrate', num(sample.sendBps, 1e10));
  put('recv_bitrate', num(sample.recvBps, 1e10));
  put('loss', num(sample.loss, 1));
  put('rtt_ms', sample.rtt === null ? null : num(sample.rtt * 1000, 600000));
  put('path', sample.path);
  const ua = navigator.userAgent || '';
  put('device', /iPad|Tablet/.test(ua) ? 'tablet' : /Mobi|Android/.test(ua) ? 'mobile' : 'desktop');
  const conn = navigator.connection;
  const kinds = ['bluetooth', 'cellular', 'ethernet', 'none', 'mixed', 'other', 'unknown', 'wifi', 'wimax'];
  if (conn && kinds.includes(conn.type)) put('network', conn.type);
  return msg;
}
