// A meeting's media (docs/protocol.md, "Meetings"): the participant list, and the
// media path to the others, which is either
// - mesh: one CallSession per other participant (session "mesh"); in each pair the
//   participant whose id sorts first offers, so exactly one side starts;
// - sfu: a "publish" PeerConnection to the media worker (we offer, video as three
//   simulcast layers) and a "subscribe" one (the worker offers; every track's msid is
//   "<publisher participant_id> <track id>", so streams[0].id names the publisher).
// A `mode` message builds the new path next to the old one; the old one is closed only
// when every other publishing participant's media arrives over the new one, or after
// 5 s (make-before-break), and then `media-ready` tells convened.
//
// Remote media is exposed as one MediaStream per (participant, kind), kind "camera"
// (camera video plus audio) or "screen"; the app draws a tile per stream.

import { CallSession } from './call.js';

const SWITCH_TIMEOUT_MS = 5000;
const SWITCH_POLL_MS = 200;
const SPEAKER_POLL_MS = 500;
// Mean power (level squared) of quiet room noise stays well below this.
const SPEAKER_FLOOR = 0.0001;

// Simulcast layers of the camera: the worker forwards to each subscriber the layer
// that fits its tile and its bandwidth. Chromium announces rid layers (sendEncodings)
// with no a=ssrc line, and webrtcbin 1.22 makes no pad for an SSRC it finds in no
// a=ssrc line, so the layers are signalled by SSRC instead: the offer gets an
// a=ssrc-group:SIM with one SSRC per layer, lowest first (docs/architecture.md,
// "Simulcast"). `?simulcast=rid` sends rid layers, `?simulcast=0` one encoding.
const SIMULCAST_MODE = new URLSearchParams(window.location.search).get('simulcast') || 'ssrc';
const SIMULCAST = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
  { rid: 'f', maxBitrate: 1500000 },
];

// Adds SSRC-signalled simulcast (a=ssrc-group:SIM, plus an RTX SSRC per layer
// when the m-line has an FID group) to the m-line that sends `trackId` (its
// a=msid) in an offer. An offer that already has the group (Chromium keeps it
// after the first) is left alone.
export function addSimGroups(sdp, trackId) {
  if (!trackId) return sdp;
  const lines = sdp.split('\r\n').filter((l) => l.length > 0);
  const start = lines.findIndex((l) => l.startsWith('a=msid:') && l.endsWith(` ${trackId}`));
  if (start < 0) return sdp;
  let begin = start;
  while (begin > 0 && !lines[begin].startsWith('m=')) begin--;
  let end = lines.findIndex((l, i) => i > begin && l.startsWith('m='));
  if (end < 0) end = lines.length;
  const section = lines.slice(begin, end);
  if (section.some((l) => l.startsWith('a=ssrc-group:SIM'))) return sdp;
  const first = section.find((l) => /^a=ssrc:\d+ cname:/.test(l));
  if (!first) return sdp;
  const main = first.match(/^a=ssrc:(\d+) /)[1];
  const cname = first.match(/cname:(\S+)/)[1];
  const msidLine = section.find((l) => l.startsWith(`a=ssrc:${main} msid:`));
  const msid = msidLine ? msidLine.slice(`a=ssrc:${main} msid:`.length) : null;
  const fid = section.find((l) => l.startsWith(`a=ssrc-group:FID ${main} `));
  const fresh = () => String(1 + Math.floor(Math.random() * 0xfffffffe));
  const add = [];
  const layers = [main];
  const rtx = [];
  for (let i = 1; i < SIMULCAST.length; i++) layers.push(fresh());
  if (fid) for (let i = 1; i < SIMULCAST.length; i++) rtx.push(fresh());
  for (const x of [...layers.slice(1), ...rtx]) {
    add.push(`a=ssrc:${x} cname:${cname}`);
    if (msid) add.push(`a=ssrc:${x} msid:${msid}`);
  }
  add.push(`a=ssrc-group:SIM ${layers.join(' ')}`);
  rtx.forEach((r, i) => add.push(`a=ssrc-group:FID ${layers[i + 1]} ${r}`));
  lines.splice(end, 0, ...add);
  return `${lines.join('\r\n')}\r\n`;
}

function key(pid, kind) {
  return `${pid}|${kind}`;
}

// The msid track id of the m-section `mid` in `sdp`: the publisher's own name for
// the track. A receiver keeps the track id it got when its m-line was first used,
// so once the worker reuses an m-line for another track only the SDP says which.
function msidTrack(sdp, mid) {
  if (!sdp || mid === null || mid === undefined) return null;
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    if (!section.includes(`\na=mid:${mid}\r`) && !section.includes(`\na=mid:${mid}\n`)) continue;
    const m = section.match(/\na=msid:\S+ (\S+)/);
    return m ? m[1] : null;
  }
  return null;
}

// Inbound RTP that has carried packets, from one PeerConnection's stats.
async function inboundTracks(pc) {
  const out = [];
  if (!pc || pc.connectionState === 'closed') return out;
  const report = await pc.getStats();
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && (s.packetsReceived || 0) > 0) out.push(s);
  });
  return out;
}

// ---- mesh ------------------------------------------------------------------------

class MeshPath extends EventTarget {
  constructor(meeting) {
    super();
    this.mode = 'mesh';
    this.meeting = meeting;
    this.sessions = new Map(); // participant_id → CallSession
    this.streams = new Map(); // key(pid, kind) → MediaStream
    this.screen = null;
    this.energy = new Map(); // participant_id → last {e: totalAudioEnergy, d: totalSamplesDuration}
  }

  changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }

  start() {
    for (const pid of this.meeting.participants.keys()) this.addPeer(pid);
  }

  addPeer(pid) {
    if (this.sessions.has(pid) || pid === this.meeting.participantId) return this.sessions.get(pid);
    const m = this.meeting;
    // Byte order of ids made of [A-Za-z0-9._-] is the order of JS string comparison.
    const role = m.participantId < pid ? 'offerer' : 'answerer';
    const s = new CallSession({
      signaling: m.signaling,
      route: { meeting: m.id, to: pid, session: 'mesh' },
      peer: pid,
      role,
      iceServers: m.iceServers,
      relayOnly: m.relayOnly,
      localStream: m.localStream,
    });
    s.addEventListener('remotestream', (e) => {
      this.streams.set(key(pid, e.detail.slot), e.detail.stream);
      this.changed();
    });
    s.addEventListener('remotestreamgone', (e) => {
      this.streams.delete(key(pid, e.detail.slot));
      this.changed();
    });
    s.addEventListener('error', (e) => m.emit('error', { error: e.detail.error }));
    this.sessions.set(pid, s);
    s.start();
    if (this.screen) s.addScreen(this.screen);
    return s;
  }

  removePeer(pid) {
    const s = this.sessions.get(pid);
    if (!s) return;
    this.sessions.delete(pid);
    s.close();
    for (const kind of ['camera', 'screen']) this.streams.delete(key(pid, kind));
    this.changed();
  }

  // Only for participants we know: a late message from one who left must not
  // bring a session back.
  peerFor(pid) {
    return this.meeting.participants.has(pid) ? this.addPeer(pid) : null;
  }

  handleSdp(msg) {
    const s = this.peerFor(msg.from);
    if (s) s.handleSdp(msg);
  }

  handleIce(msg) {
    const s = this.peerFor(msg.from);
    if (s) s.handleIce(msg);
  }

  setScreen(stream) {
    this.screen = stream;
    for (const s of this.sessions.values()) {
      if (stream) s.addScreen(stream);
      else s.removeScreen();
    }
  }

  async receivingFrom(pid, kind) {
    const s = this.sessions.get(pid);
    return s ? (await inboundTracks(s.pc)).some((st) => st.kind === kind) : false;
  }

  // Nobody sends `active-speaker` in a mesh: the participant whose incoming audio
  // had the most energy since the last call (getStats' totalAudioEnergy over
  // totalSamplesDuration, so short sounds between two polls count) above a floor.
  async loudest() {
    let best = null;
    let level = SPEAKER_FLOOR;
    for (const [pid, s] of this.sessions) {
      for (const st of await inboundTracks(s.pc)) {
        if (st.kind !== 'audio' || typeof st.totalAudioEnergy !== 'number') continue;
        const prev = this.energy.get(pid);
        this.energy.set(pid, { e: st.totalAudioEnergy, d: st.totalSamplesDuration || 0 });
        if (!prev || st.totalSamplesDuration <= prev.d) continue;
        const power = (st.totalAudioEnergy - prev.e) / (st.totalSamplesDuration - prev.d);
        if (power > level) {
          level = power;
          best = pid;
        }
      }
    }
    return best;
  }

  pcs() {
    return [...this.sessions.values()].map((s) => s.pc);
  }

  close() {
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
    this.streams.clear();
  }
}

// ---- sfu -------------------------------------------------------------------------

class SfuPath extends EventTarget {
  constructor(meeting, sfu) {
    super();
    this.mode = 'sfu';
    this.meeting = meeting;
    this.sfu = sfu;
    this.streams = new Map();
    // Remote transceiver mid → publisher participant_id. Not by track id: every gst
    // bot names its camera video_sink_0, and Chromium keeps that id for each.
    this.trackOwner = new Map();
    this.closed = false;
    this.pubChain = Promise.resolve();
    this.subChain = Promise.resolve();
    this.pending = { publish: [], subscribe: [] };
    this.screenSender = null;
    this.subAnswered = false;
    const config = {
      iceServers: meeting.iceServers || [],
      iceTransportPolicy: meeting.relayOnly ? 'relay' : 'all',
    };
    this.pub = new RTCPeerConnection(config);
    this.sub = new RTCPeerConnection(config);
    this.pub.onicecandidate = (ev) => this.sendCandidate('publish', ev.candidate);
    this.sub.onicecandidate = (ev) => this.sendCandidate('subscribe', ev.candidate);
    this.pub.onnegotiationneeded = () => this.enqueue('pub', () => this.offerPublish());
    this.sub.ontrack = (ev) => this.onTrack(ev);
  }

  changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }

  enqueue(which, fn) {
    const name = which === 'pub' ? 'pubChain' : 'subChain';
    this[name] = this[name].then(async () => {
      if (this.closed) return;
      try {
        await fn();
      } catch (err) {
        this.meeting.emit('error', { error: err });
      }
    });
    return this[name];
  }

  start() {
    const local = this.meeting.localStream;
    for (const track of local.getAudioTracks()) {
      this.pub.addTransceiver(track, { direction: 'sendonly', streams: [local] });
    }
    for (const track of local.getVideoTracks()) {
      this.pub.addTransceiver(track, {
        direction: 'sendonly',
        streams: [local],
        ...(SIMULCAST_MODE === 'rid' ? { sendEncodings: SIMULCAST.map((e) => ({ ...e })) } : {}),
      });
    }
    if (this.meeting.screenStream) this.setScreen(this.meeting.screenStream);
  }

  async offerPublish() {
    if (this.pub.signalingState !== 'stable') return;
    if (this.pub.getTransceivers().length === 0) return;
    if (SIMULCAST_MODE === 'ssrc') {
      const offer = await this.pub.createOffer();
      const cam = this.camera();
      await this.pub.setLocalDescription({ type: 'offer', sdp: addSimGroups(offer.sdp, cam && cam.sender.track.id) });
      await this.scaleLayers();
    } else {
      await this.pub.setLocalDescription();
    }
    this.send('publish', { type: 'sdp', sdp_type: 'offer', sdp: this.pub.localDescription.sdp });
  }

  // The camera's transceiver (its sender carries the simulcast layers).
  camera() {
    return this.pub.getTransceivers().find((x) => x.sender.track
      && x.sender.track.kind === 'video' && !this.isScreen(x.sender.track)) || null;
  }

  isScreen(track) {
    const s = this.meeting.screenStream;
    return !!(s && s.getTracks().includes(track));
  }

  // Once the SIM group is set the sender has one encoding per layer: give them
  // the sizes and bitrates of SIMULCAST (lowest first, as in the group).
  async scaleLayers() {
    const t = this.camera();
    if (!t || this.layersScaled) return;
    const params = t.sender.getParameters();
    if (!params.encodings || params.encodings.length !== SIMULCAST.length) return;
    params.encodings.forEach((e, i) => {
      e.scaleResolutionDownBy = SIMULCAST[i].scaleResolutionDownBy || 1;
      e.maxBitrate = SIMULCAST[i].maxBitrate;
    });
    try {
      await t.sender.setParameters(params);
      this.layersScaled = true;
    } catch (e) {
      console.warn('simulcast layers:', e);
    }
  }

  send(session, msg) {
    this.meeting.signaling.send({ ...msg, meeting: this.meeting.id, to: this.sfu, session });
  }

  sendCandidate(session, c) {
    if (this.closed) return;
    if (c && c.candidate) {
      const msg = { type: 'ice', candidate: c.candidate, sdp_mline_index: c.sdpMLineIndex ?? 0 };
      if (c.sdpMid !== null && c.sdpMid !== undefined) msg.sdp_mid = c.sdpMid;
      this.send(session, msg);
    } else {
      this.send(session, { type: 'ice', candidate: '', sdp_mline_index: 0 });
    }
  }

  handleSdp(msg) {
    if (msg.from !== this.sfu) return;
    if (msg.session === 'publish') {
      // The worker only ever answers on the publish session.
      if (msg.sdp_type !== 'answer') return;
      this.enqueue('pub', async () => {
        if (this.pub.signalingState !== 'have-local-offer') return;
        await this.pub.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        await this.flush('publish', this.pub);
      });
    } else if (msg.session === 'subscribe' && msg.sdp_type === 'offer') {
      this.enqueue('sub', async () => {
        await this.sub.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
        await this.flush('subscribe', this.sub);
        const answer = await this.sub.createAnswer();
        if (!this.subAnswered) {
          // DTLS server on our side: webrtcbin as DTLS client retries a dropped
          // ClientHello only after 1 s, which a late joiner would see as a black tile.
          answer.sdp = answer.sdp.replace(/a=setup:active/g, 'a=setup:passive');
          this.subAnswered = true;
        }
        await this.sub.setLocalDescription(answer);
        this.send('subscribe', { type: 'sdp', sdp_type: 'answer', sdp: this.sub.localDescription.sdp });
      });
    }
  }

  handleIce(msg) {
    if (msg.from !== this.sfu) return;
    const session = msg.session === 'publish' ? 'publish' : 'subscribe';
    const pc = session === 'publish' ? this.pub : this.sub;
    const init = { candidate: msg.candidate, sdpMLineIndex: msg.sdp_mline_index };
    if (typeof msg.sdp_mid === 'string') init.sdpMid = msg.sdp_mid;
    this.enqueue(session === 'publish' ? 'pub' : 'sub', async () => {
      if (!pc.remoteDescription) {
        this.pending[session].push(init);
        return;
      }
      await this.addCandidate(pc, init);
    });
  }

  async flush(session, pc) {
    const list = this.pending[session];
    this.pending[session] = [];
    for (const c of list) await this.addCandidate(pc, c);
  }

  async addCandidate(pc, init) {
    try {
      await pc.addIceCandidate(init);
    } catch (err) {
      // End-of-candidates for an m-line that is gone fails harmlessly.
      if (init.candidate !== '') throw err;
    }
  }

  onTrack(ev) {
    const track = ev.track;
    const pid = ev.streams[0] ? ev.streams[0].id : null;
    if (!pid) return;
    if (ev.transceiver && ev.transceiver.mid) this.trackOwner.set(ev.transceiver.mid, pid);
    const published = msidTrack(this.sub.remoteDescription && this.sub.remoteDescription.sdp, ev.transceiver && ev.transceiver.mid);
    const kind = this.classify(pid, track, published || track.id);
    const k = key(pid, kind);
    let stream = this.streams.get(k);
    if (!stream) {
      stream = new MediaStream();
      this.streams.set(k, stream);
    }
    stream.addTrack(track);
    const gone = () => {
      if (!stream.getTracks().includes(track)) return;
      stream.removeTrack(track);
      if (stream.getVideoTracks().length === 0 && (kind === 'screen' || stream.getTracks().length === 0)) {
        if (this.streams.get(k) === stream) this.streams.delete(k);
      }
      this.changed();
    };
    // A re-offer without the track removes it from the publisher's stream.
    ev.streams[0].addEventListener('removetrack', (e) => {
      if (e.track === track) gone();
    });
    track.addEventListener('ended', gone);
    this.changed();
  }

  // Whose and what a remote track is: the publisher's `tracks` list says whether a
  // video is its screen; before that list arrives, a second video is the screen.
  classify(pid, track, publishedId) {
    if (track.kind === 'audio') return 'camera';
    const p = this.meeting.participants.get(pid);
    const t = p && p.tracks.find((x) => x.id === publishedId);
    if (t) return t.kind === 'screen' ? 'screen' : 'camera';
    const cam = this.streams.get(key(pid, 'camera'));
    return cam && cam.getVideoTracks().length > 0 ? 'screen' : 'camera';
  }

  setScreen(stream) {
    this.enqueue('pub', async () => {
      if (this.screenSender) {
        this.pub.removeTrack(this.screenSender);
        this.screenSender = null;
      }
      const track = stream && stream.getVideoTracks()[0];
      if (track) {
        if ('contentHint' in track) track.contentHint = 'detail';
        this.screenSender = this.pub.addTransceiver(track, { direction: 'sendonly', streams: [stream] }).sender;
      }
    });
  }

  // Packets arrived on the subscribe session for one of the publisher's tracks.
  async receivingFrom(pid, kind) {
    const stats = await inboundTracks(this.sub);
    return stats.some((s) => s.kind === kind && this.trackOwner.get(s.mid) === pid);
  }

  pcs() {
    return [this.pub, this.sub];
  }

  addPeer() {
    // The worker re-offers the subscribe session when someone joins.
  }

  removePeer(pid) {
    for (const kind of ['camera', 'screen']) this.streams.delete(key(pid, kind));
    this.changed();
  }

  close() {
    this.closed = true;
    for (const pc of [this.pub, this.sub]) {
      try {
        pc.close();
      } catch {
        // Already closed.
      }
    }
    this.streams.clear();
  }
}

// ---- the meeting ----------------------------------------------------------------

export class Meeting extends EventTarget {
  constructor({ signaling, id, iceServers, relayOnly, localStream }) {
    super();
    this.signaling = signaling;
    this.id = id;
    this.iceServers = iceServers;
    this.relayOnly = relayOnly;
    this.localStream = localStream;
    this.screenStream = null;
    this.participantId = null;
    this.participants = new Map(); // the others: participant_id → {participant_id, user, tracks}
    this.mode = null;
    this.sfu = null;
    this.path = null; // the path media is shown from
    this.next = null; // the path being built during a switch
    this.switchTimer = null;
    this.speakerTimer = null;
    this.switchStarted = 0;
    this.speaker = null;
    this.closed = false;
    this.lastSwitch = null; // {mode, ms, complete} of the last make-before-break
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  localTracks() {
    const tracks = [];
    for (const t of this.localStream.getAudioTracks()) tracks.push({ id: t.id, kind: 'audio' });
    for (const t of this.localStream.getVideoTracks()) tracks.push({ id: t.id, kind: 'video' });
    if (this.screenStream) for (const t of this.screenStream.getVideoTracks()) tracks.push({ id: t.id, kind: 'screen' });
    return tracks;
  }

  join() {
    return this.signaling.send({ type: 'join', meeting: this.id, tracks: this.localTracks() });
  }

  leave() {
    this.signaling.send({ type: 'leave', meeting: this.id });
    this.close();
  }

  // ---- server messages ----

  onJoined(msg) {
    this.participantId = msg.participant_id;
    this.participants.clear();
    for (const p of msg.participants || []) this.participants.set(p.participant_id, { ...p, tracks: p.tracks || [] });
    this.mode = msg.mode;
    this.sfu = msg.sfu || null;
    this.path = this.makePath(msg.mode, msg.sfu);
    this.path.start();
    this.speakerTimer = setInterval(() => this.pollSpeaker(), SPEAKER_POLL_MS);
    this.changed();
  }

  async pollSpeaker() {
    const path = this.path;
    if (!path || path.mode !== 'mesh' || this.closed) return;
    let pid;
    try {
      pid = await path.loudest();
    } catch {
      return;
    }
    // Silence keeps the last speaker highlighted, as a worker's events would.
    if (pid && pid !== this.speaker && path === this.path) {
      this.speaker = pid;
      this.changed();
    }
  }

  onParticipantJoined(msg) {
    const p = msg.participant;
    if (!p || p.participant_id === this.participantId) return;
    this.participants.set(p.participant_id, { ...p, tracks: p.tracks || [] });
    for (const path of [this.path, this.next]) if (path) path.addPeer(p.participant_id);
    this.changed();
  }

  onParticipantLeft(msg) {
    const pid = msg.participant_id;
    this.participants.delete(pid);
    for (const path of [this.path, this.next]) if (path) path.removePeer(pid);
    if (this.speaker === pid) this.speaker = null;
    this.changed();
  }

  onTracks(msg) {
    const p = this.participants.get(msg.participant_id);
    if (!p) return;
    p.tracks = msg.tracks || [];
    this.changed();
  }

  onActiveSpeaker(msg) {
    this.speaker = msg.participant_id;
    this.changed();
  }

  onMode(msg) {
    const sfu = msg.sfu || null;
    const target = this.next || this.path;
    if (target && target.mode === msg.mode && (msg.mode === 'mesh' || target.sfu === sfu)) return;
    this.mode = msg.mode;
    this.sfu = sfu;
    // A switch still under way is abandoned for the newer one; what is shown keeps
    // coming from the current path until the new one carries everyone.
    if (this.next) this.next.close();
    this.next = this.makePath(msg.mode, sfu);
    this.next.start();
    this.switchStarted = performance.now();
    this.pollSwitch();
    this.changed();
  }

  route(msg) {
    const wanted = msg.session === 'mesh' ? 'mesh' : 'sfu';
    // The path being built gets its messages before the one being replaced.
    for (const path of [this.next, this.path]) if (path && path.mode === wanted) return path;
    return null;
  }

  onSdp(msg) {
    const path = this.route(msg);
    if (path) path.handleSdp(msg);
  }

  onIce(msg) {
    const path = this.route(msg);
    if (path) path.handleIce(msg);
  }

  // ---- switching ----

  makePath(mode, sfu) {
    const path = mode === 'sfu' ? new SfuPath(this, sfu) : new MeshPath(this);
    path.addEventListener('change', () => {
      if (path === this.path) this.changed();
    });
    return path;
  }

  pollSwitch() {
    clearTimeout(this.switchTimer);
    this.switchTimer = setTimeout(async () => {
      const next = this.next;
      if (!next || this.closed) return;
      // Everyone who publishes something must be heard over the new path, and
      // seen if they publish video: a tile must not go black at the switch.
      const waitingFor = [...this.participants.values()].filter((p) => p.tracks.length > 0);
      let all = true;
      for (const p of waitingFor) {
        const kind = p.tracks.some((t) => t.kind !== 'audio') ? 'video' : 'audio';
        try {
          if (!(await next.receivingFrom(p.participant_id, kind))) all = false;
        } catch {
          all = false;
        }
        if (!all) break;
      }
      if (next !== this.next) return;
      const elapsed = performance.now() - this.switchStarted;
      if (all || elapsed >= SWITCH_TIMEOUT_MS) this.finishSwitch(all, elapsed);
      else this.pollSwitch();
    }, SWITCH_POLL_MS);
  }

  finishSwitch(complete, elapsed) {
    const old = this.path;
    this.path = this.next;
    this.next = null;
    if (old) old.close();
    this.lastSwitch = { mode: this.path.mode, ms: Math.round(elapsed), complete };
    this.signaling.send({ type: 'media-ready', meeting: this.id, mode: this.path.mode });
    this.changed();
  }

  // ---- local media changes ----

  setScreen(stream) {
    this.screenStream = stream;
    // Publish the new list first, so receivers know the new video is a screen.
    this.signaling.send({ type: 'tracks', meeting: this.id, tracks: this.localTracks() });
    for (const path of [this.path, this.next]) if (path) path.setScreen(stream);
  }

  sendView(participantId, track, width, height) {
    this.signaling.send({
      type: 'view', meeting: this.id, participant_id: participantId, track, width, height,
    });
  }

  // ---- state for the UI ----

  // One entry per remote stream of the path being shown.
  remoteStreams() {
    const out = [];
    if (!this.path) return out;
    for (const [k, stream] of this.path.streams) {
      const [pid, kind] = k.split('|');
      const p = this.participants.get(pid);
      if (!p) continue;
      out.push({ pid, user: p.user, kind, stream });
    }
    return out;
  }

  pcs() {
    return [this.path, this.next].filter(Boolean).flatMap((p) => p.pcs());
  }

  changed() {
    this.emit('change');
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.switchTimer);
    clearInterval(this.speakerTimer);
    for (const path of [this.path, this.next]) if (path) path.close();
    this.path = null;
    this.next = null;
  }
}
