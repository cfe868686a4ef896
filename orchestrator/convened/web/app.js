// Convene browser client: sign-in, contacts with presence, 1:1 calls with camera,
// mic and screen share, and meetings (group calls, meeting.js). Protocol:
// docs/protocol.md.
//
// Deep links (also used by the end-to-end tests):
//   ?token=T         sign in with T
//   &call=USER       call USER once connected (once per page load)
//   &autoaccept=1    accept incoming calls without a click
//   &relay=1         iceTransportPolicy 'relay' (TURN only)
//   &screen=1        share the screen from the start of each call
//   &meeting=ID      join meeting ID once connected (again after a reconnect)

import { Signaling } from './signaling.js';
import { CallSession } from './call.js';
import { Meeting } from './meeting.js';
import { StatsSampler, formatBitrate, statsMessage } from './stats.js';

const params = new URLSearchParams(location.search);
const opts = {
  call: params.get('call'),
  autoaccept: params.get('autoaccept') === '1',
  relay: params.get('relay') === '1',
  screen: params.get('screen') === '1',
  meeting: params.get('meeting'),
};

// `view` is sent once tile sizes settle, not on every frame of a resize.
const VIEW_DEBOUNCE_MS = 300;

const $ = (id) => document.getElementById(id);

const app = {
  state: 'signed-out', // signed-out | connecting | idle | outgoing | incoming | in-call
  user: null,
  iceServers: [],
  contacts: new Map(),
  call: null, // { id, peer, direction, phase, session, role }
  localStream: null,
  screenStream: null,
  micOn: true,
  cameraOn: true,
  lastError: null,
  deepLinkDone: false,
  signaling: null,
  reconnectDelay: 1000,
  statsTimer: null,
  media: 'new',
  meeting: null, // Meeting while joining or joined
  meetingLeft: false, // the user left: a reconnect does not join again
  views: new Map(), // `${pid}|${track id}` → "WxH" last sent
  viewSfu: null, // the worker `views` were sent for
  viewTimer: null,
};

// Read-only view for tests and debugging; the app's own objects stay private.
Object.defineProperty(window, 'convene', {
  value: Object.freeze({
    get state() { return app.state; },
    get user() { return app.user; },
    get callId() { return app.call ? app.call.id : null; },
    get peer() { return app.call ? app.call.peer : null; },
    get role() { return app.call ? app.call.role || null : null; },
    get connectionState() { return app.media; },
    get lastError() { return app.lastError; },
    get contacts() {
      return [...app.contacts.values()].map((c) => ({ ...c }));
    },
    get meeting() {
      const m = app.meeting;
      if (!m) return null;
      return Object.freeze({
        id: m.id,
        mode: m.path ? m.path.mode : null,
        pendingMode: m.next ? m.next.mode : null,
        participantId: m.participantId,
        sfu: m.sfu,
        speaker: m.speaker,
        lastSwitch: m.lastSwitch ? { ...m.lastSwitch } : null,
        participants: [...m.participants.values()].map((p) => ({
          participant_id: p.participant_id, user: p.user, tracks: p.tracks.map((t) => ({ ...t })),
        })),
      });
    },
  }),
  writable: false,
  configurable: false,
});

function setState(state) {
  app.state = state;
  document.body.dataset.state = state;
  renderCall();
  renderContacts();
}

function showError(text) {
  app.lastError = text;
  const el = $('error');
  el.textContent = text;
  el.hidden = !text;
}

// ---- sign-in and connection ------------------------------------------------

function signIn(token) {
  $('signin').hidden = true;
  $('app').hidden = false;
  app.token = token;
  connect();
}

function connect() {
  setState('connecting');
  setConn('connecting');
  const sig = new Signaling(app.token);
  app.signaling = sig;
  sig.addEventListener('welcome', (e) => onWelcome(e.detail));
  sig.addEventListener('presence', (e) => onPresence(e.detail));
  sig.addEventListener('calling', (e) => onCalling(e.detail));
  sig.addEventListener('ringing', (e) => onRinging(e.detail));
  sig.addEventListener('incoming', (e) => onIncoming(e.detail));
  sig.addEventListener('accepted', (e) => onAccepted(e.detail));
  sig.addEventListener('ended', (e) => onEnded(e.detail));
  sig.addEventListener('sdp', (e) => onSdp(e.detail));
  sig.addEventListener('ice', (e) => onIce(e.detail));
  sig.addEventListener('joined', (e) => withMeeting(e.detail, (m) => {
    m.onJoined(e.detail);
    setState('in-meeting');
  }));
  sig.addEventListener('participant-joined', (e) => withMeeting(e.detail, (m) => m.onParticipantJoined(e.detail)));
  sig.addEventListener('participant-left', (e) => withMeeting(e.detail, (m) => m.onParticipantLeft(e.detail)));
  sig.addEventListener('tracks', (e) => withMeeting(e.detail, (m) => m.onTracks(e.detail)));
  sig.addEventListener('mode', (e) => withMeeting(e.detail, (m) => m.onMode(e.detail)));
  sig.addEventListener('active-speaker', (e) => withMeeting(e.detail, (m) => m.onActiveSpeaker(e.detail)));
  sig.addEventListener('recording', (e) => withMeeting(e.detail, () => onRecording(e.detail)));
  sig.addEventListener('notification', (e) => onNotification(e.detail));
  sig.addEventListener('error', (e) => onServerError(e.detail));
  sig.addEventListener('close', (e) => onClose(e.detail));
  sig.connect();
}

function setConn(status) {
  const el = $('conn-status');
  el.dataset.status = status;
  el.textContent = status;
}

function onWelcome(msg) {
  app.user = msg.user;
  app.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
  app.contacts.clear();
  for (const c of msg.contacts || []) app.contacts.set(c.user, { ...c });
  app.reconnectDelay = 1000;
  $('me').textContent = `Signed in as ${msg.user}`;
  setConn('connected');
  showError('');
  setState('idle');
  if (opts.meeting && !app.meetingLeft) {
    joinMeeting(opts.meeting);
  } else if (opts.call && !app.deepLinkDone) {
    app.deepLinkDone = true;
    startCall(opts.call);
  }
}

function onClose({ code, reason }) {
  setConn('disconnected');
  if (app.call) teardownCall('connection lost');
  if (app.meeting) teardownMeeting('connection lost');
  if (code === 1008) {
    // Policy close: bad or expired token. Retrying with it cannot succeed.
    setState('signed-out');
    showError(app.lastError || `Signed out by the server (${reason || 'policy'})`);
    $('signin').hidden = false;
    $('app').hidden = true;
    return;
  }
  setState('connecting');
  const delay = app.reconnectDelay;
  app.reconnectDelay = Math.min(app.reconnectDelay * 2, 15000);
  setTimeout(() => {
    if (app.state === 'connecting') connect();
  }, delay);
}

function onServerError(msg) {
  showError(`${msg.code}: ${msg.message || ''}`.trim());
  // A refused `call` leaves no call behind on the server.
  if (msg.ref === 'call' && app.call && !app.call.id) teardownCall(msg.code);
  // A refused `join` leaves us outside the meeting.
  if (msg.ref === 'join' && app.meeting && !app.meeting.participantId) teardownMeeting(msg.code);
}

// ---- contacts and presence -------------------------------------------------

function onPresence(msg) {
  const c = app.contacts.get(msg.user) || { user: msg.user };
  c.status = msg.status;
  c.last_seen = msg.last_seen;
  app.contacts.set(msg.user, c);
  renderContacts();
}

function lastSeenText(c) {
  if (c.status === 'online') return 'online';
  if (c.status === 'busy') return 'in a call';
  if (!c.last_seen) return 'offline';
  const s = Math.max(0, Math.round((Date.now() - c.last_seen) / 1000));
  if (s < 60) return 'last seen just now';
  if (s < 3600) return `last seen ${Math.round(s / 60)} min ago`;
  if (s < 86400) return `last seen ${Math.round(s / 3600)} h ago`;
  return `last seen ${new Date(c.last_seen).toLocaleDateString()}`;
}

function renderContacts() {
  const ul = $('contacts');
  const names = [...app.contacts.keys()].sort();
  const existing = new Map([...ul.children].map((li) => [li.dataset.user, li]));
  for (const [name, li] of existing) if (!app.contacts.has(name)) li.remove();
  for (const name of names) {
    const c = app.contacts.get(name);
    let li = existing.get(name);
    if (!li) {
      li = document.createElement('li');
      li.dataset.user = name;
      li.innerHTML = '<span class="dot"></span><span class="who"><span class="name"></span>'
        + '<span class="seen"></span></span><button class="call-button">Call</button>';
      li.querySelector('.name').textContent = name;
      li.querySelector('button').addEventListener('click', () => startCall(name));
      li.querySelector('button').dataset.call = name;
    }
    ul.appendChild(li); // keeps the sorted order
    li.dataset.status = c.status || 'offline';
    li.querySelector('.seen').textContent = lastSeenText(c);
    li.querySelector('button').disabled = app.state !== 'idle' || c.status !== 'online';
  }
}

// ---- local media -----------------------------------------------------------

async function getLocalMedia() {
  if (app.localStream) return app.localStream;
  const attempts = [{ audio: true, video: { width: 640, height: 480 } }, { audio: true }, { video: true }];
  let stream = null;
  for (const c of attempts) {
    try {
      stream = await navigator.mediaDevices.getUserMedia(c);
      break;
    } catch (err) {
      showError(`camera/microphone: ${err.name}`);
    }
  }
  // Without any device the call still works, receive-only.
  app.localStream = stream || new MediaStream();
  for (const t of app.localStream.getAudioTracks()) t.enabled = app.micOn;
  for (const t of app.localStream.getVideoTracks()) t.enabled = app.cameraOn;
  $('local-video').srcObject = app.localStream;
  return app.localStream;
}

async function startScreen() {
  if (app.screenStream || !(app.call || app.meeting)) return;
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (err) {
    showError(`screen share: ${err.name}`);
    return;
  }
  if (!(app.call || app.meeting)) {
    for (const t of stream.getTracks()) t.stop();
    return;
  }
  app.screenStream = stream;
  // The browser's own "Stop sharing" ends the track.
  stream.getVideoTracks()[0].addEventListener('ended', () => stopScreen());
  $('local-screen').srcObject = stream;
  $('local-screen').hidden = false;
  if (app.call && app.call.session) app.call.session.addScreen(stream);
  if (app.meeting) app.meeting.setScreen(stream);
  renderCall();
}

function stopScreen() {
  const stream = app.screenStream;
  if (!stream) return;
  app.screenStream = null;
  if (app.call && app.call.session) app.call.session.removeScreen();
  if (app.meeting && !app.meeting.closed) app.meeting.setScreen(null);
  for (const t of stream.getTracks()) t.stop();
  $('local-screen').srcObject = null;
  $('local-screen').hidden = true;
  renderCall();
}

function releaseLocalMedia() {
  stopScreen();
  if (app.localStream) for (const t of app.localStream.getTracks()) t.stop();
  app.localStream = null;
  $('local-video').srcObject = null;
}

// ---- calls -----------------------------------------------------------------

async function startCall(peer) {
  if (app.call || app.state !== 'idle') return;
  app.call = { id: null, peer, direction: 'outgoing', phase: 'calling', session: null };
  setState('outgoing');
  await getLocalMedia();
  if (!app.call) return;
  if (opts.screen) await startScreen();
  if (!app.call) return;
  if (!app.signaling.send({ type: 'call', to: peer })) teardownCall('not connected');
}

function onCalling(msg) {
  if (!app.call) {
    // Hung up before the server named the call: cancel it now that it has a name.
    app.signaling.send({ type: 'cancel', call_id: msg.call_id });
    return;
  }
  if (app.call.direction !== 'outgoing' || app.call.id) return;
  app.call.id = msg.call_id;
  renderCall();
}

function onRinging(msg) {
  if (!app.call || app.call.id !== msg.call_id) return;
  app.call.phase = 'ringing';
  renderCall();
}

function onIncoming(msg) {
  if (app.call || app.meeting) {
    // One call at a time: the server should not ring a busy user, but another tab
    // of ours may have started a call a moment ago.
    app.signaling.send({ type: 'reject', call_id: msg.call_id });
    return;
  }
  app.call = { id: msg.call_id, peer: msg.peer, direction: 'incoming', phase: 'incoming', session: null };
  setState('incoming');
  if (opts.autoaccept) acceptCall();
}

async function acceptCall() {
  const call = app.call;
  if (!call || call.direction !== 'incoming' || call.phase !== 'incoming') return;
  call.phase = 'accepting';
  renderCall();
  await getLocalMedia();
  if (app.call !== call) return;
  if (opts.screen) await startScreen();
  if (app.call !== call) return;
  app.signaling.send({ type: 'accept', call_id: call.id });
}

function rejectCall() {
  const call = app.call;
  if (!call || call.direction !== 'incoming') return;
  app.signaling.send({ type: 'reject', call_id: call.id });
  teardownCall('rejected');
}

function hangup() {
  const call = app.call;
  if (!call) return;
  if (call.id) {
    const type = call.direction === 'outgoing' && call.phase !== 'accepted' ? 'cancel' : 'hangup';
    app.signaling.send({ type, call_id: call.id });
  }
  // The server confirms with `ended`; the UI does not wait for it.
  teardownCall('hung up');
}

function onAccepted(msg) {
  const call = app.call;
  if (!call || call.id !== msg.call_id) return;
  call.phase = 'accepted';
  call.role = msg.role;
  const session = new CallSession({
    signaling: app.signaling,
    callId: call.id,
    peer: call.peer,
    role: msg.role,
    iceServers: app.iceServers,
    relayOnly: opts.relay,
    localStream: app.localStream || new MediaStream(),
  });
  call.session = session;
  session.setMicEnabled(app.micOn);
  session.setCameraEnabled(app.cameraOn);
  session.addEventListener('remotestream', (e) => showRemote(call.peer, e.detail.slot, e.detail.stream));
  session.addEventListener('remotestreamgone', (e) => removeRemote(call.peer, e.detail.slot));
  session.addEventListener('connectionstate', (e) => {
    app.media = e.detail.state;
    renderCall();
  });
  session.addEventListener('error', (e) => showError(`media: ${e.detail.error && e.detail.error.message}`));
  session.start();
  if (app.screenStream) session.addScreen(app.screenStream);
  app.media = 'new';
  setState('in-call');
  startStats(session);
}

function onEnded(msg) {
  if (!app.call || (app.call.id && app.call.id !== msg.call_id)) return;
  teardownCall(msg.reason);
}

function onSdp(msg) {
  if (msg.meeting !== undefined) {
    withMeeting(msg, (m) => m.onSdp(msg));
    return;
  }
  if (app.call && app.call.session && app.call.id === msg.call_id) app.call.session.handleSdp(msg);
}

function onIce(msg) {
  if (msg.meeting !== undefined) {
    withMeeting(msg, (m) => m.onIce(msg));
    return;
  }
  if (app.call && app.call.session && app.call.id === msg.call_id) app.call.session.handleIce(msg);
}

function teardownCall(reason) {
  const call = app.call;
  app.call = null;
  if (call && call.session) call.session.close();
  stopStats();
  releaseLocalMedia();
  $('remote-videos').replaceChildren();
  app.media = 'closed';
  app.lastEnded = reason;
  if (app.state !== 'connecting' && app.state !== 'signed-out') setState('idle');
  const peer = call ? call.peer : '';
  $('call-status').textContent = reason ? `Call with ${peer} ended (${reason})` : 'No call';
}

function showRemote(peer, slot, stream) {
  const sel = `video[data-user="${CSS.escape(peer)}"][data-kind="${slot}"]`;
  let v = $('remote-videos').querySelector(sel);
  if (!v) {
    v = document.createElement('video');
    v.dataset.user = peer;
    v.dataset.kind = slot;
    v.autoplay = true;
    v.playsInline = true;
    // The screen share carries no sound; the camera element plays the peer's audio.
    v.muted = slot === 'screen';
    $('remote-videos').appendChild(v);
  }
  if (v.srcObject !== stream) v.srcObject = stream;
  v.play().catch(() => {
    // Autoplay with sound needs a user gesture; play muted rather than not at all.
    v.muted = true;
    v.play().catch(() => {});
  });
}

function removeRemote(peer, slot) {
  const v = $('remote-videos').querySelector(`video[data-user="${CSS.escape(peer)}"][data-kind="${slot}"]`);
  if (v) v.remove();
}

// ---- meetings --------------------------------------------------------------------

function withMeeting(msg, fn) {
  const m = app.meeting;
  if (!m || m.closed || msg.meeting !== m.id) return;
  fn(m);
}

async function joinMeeting(id) {
  if (app.meeting || app.call) return;
  setState('joining');
  const localStream = await getLocalMedia();
  if (app.state !== 'joining') return;
  const m = new Meeting({
    signaling: app.signaling, id, iceServers: app.iceServers, relayOnly: opts.relay, localStream,
  });
  app.meeting = m;
  m.addEventListener('change', () => {
    if (app.meeting !== m) return;
    renderTiles();
    renderCall();
  });
  m.addEventListener('error', (e) => showError(`media: ${e.detail.error && e.detail.error.message}`));
  if (!m.join()) {
    teardownMeeting('not connected');
    return;
  }
  if (opts.screen) await startScreen();
  renderCall();
}

function leaveMeeting() {
  if (!app.meeting) return;
  app.meetingLeft = true;
  app.meeting.leave();
  teardownMeeting('left');
}

function teardownMeeting(reason) {
  const m = app.meeting;
  app.meeting = null;
  app.recording = null;
  if (m) m.close();
  releaseLocalMedia();
  $('remote-videos').replaceChildren();
  app.views.clear();
  if (app.state !== 'connecting' && app.state !== 'signed-out') setState('idle');
  $('call-status').textContent = `Meeting ${m ? m.id : ''} ${reason === 'left' ? 'left' : `ended (${reason})`}`;
}

// One tile per remote stream: <div class="tile"> holding
// <video data-user data-participant data-kind> and the participant's name.
function renderTiles() {
  const m = app.meeting;
  const box = $('remote-videos');
  if (!m) return;
  const want = new Map(m.remoteStreams().map((r) => [`${r.pid}|${r.kind}`, r]));
  for (const tile of [...box.children]) {
    if (!want.has(tile.dataset.key)) tile.remove();
  }
  for (const [k, r] of want) {
    let tile = box.querySelector(`.tile[data-key="${CSS.escape(k)}"]`);
    if (!tile) {
      tile = document.createElement('div');
      tile.className = 'tile';
      tile.dataset.key = k;
      tile.dataset.kind = r.kind;
      const v = document.createElement('video');
      v.dataset.user = r.user;
      v.dataset.participant = r.pid;
      v.dataset.kind = r.kind;
      v.autoplay = true;
      v.playsInline = true;
      // The camera tile plays the participant's audio; the screen carries none.
      v.muted = r.kind === 'screen';
      const label = document.createElement('span');
      label.className = 'name';
      label.textContent = r.kind === 'screen' ? `${r.user} (screen)` : r.user;
      tile.append(v, label);
      box.appendChild(tile);
      tileResize.observe(v);
    }
    tile.classList.toggle('speaking', m.speaker === r.pid);
    const v = tile.querySelector('video');
    if (v.srcObject !== r.stream) {
      v.srcObject = r.stream;
      v.play().catch(() => {
        v.muted = true;
        v.play().catch(() => {});
      });
    }
  }
  scheduleViews();
}

// The SFU sends each tile the simulcast layer that fits it: tell it the sizes.
const tileResize = new ResizeObserver(() => scheduleViews());

function scheduleViews() {
  clearTimeout(app.viewTimer);
  app.viewTimer = setTimeout(sendViews, VIEW_DEBOUNCE_MS);
}

// Sizes are reported in every mode (convened drops them while there is no worker)
// and all again for each new worker, which starts knowing none. The track named is
// the one the participant published (its `tracks`), as the worker knows it.
function sendViews() {
  const m = app.meeting;
  if (!m || !m.participantId) return;
  if (app.viewSfu !== m.sfu) {
    app.viewSfu = m.sfu;
    app.views.clear();
  }
  const seen = new Set();
  for (const v of $('remote-videos').querySelectorAll('video[data-participant]')) {
    const p = m.participants.get(v.dataset.participant);
    const wanted = v.dataset.kind === 'screen' ? 'screen' : 'video';
    const track = p && p.tracks.find((t) => t.kind === wanted);
    if (!track) continue;
    const width = Math.round(v.clientWidth * devicePixelRatio);
    const height = Math.round(v.clientHeight * devicePixelRatio);
    const k = `${p.participant_id}|${track.id}`;
    seen.add(k);
    if (app.views.get(k) === `${width}x${height}`) continue;
    app.views.set(k, `${width}x${height}`);
    m.sendView(p.participant_id, track.id, width, height);
  }
  // A tile that went away is no longer shown anywhere: 0×0 lets the worker stop it.
  for (const k of [...app.views.keys()]) {
    if (seen.has(k)) continue;
    app.views.delete(k);
    const [pid, track] = k.split('|');
    if (m.participants.has(pid)) m.sendView(pid, track, 0, 0);
  }
}

// ---- recording ---------------------------------------------------------------

// The grants of the token (its payload is not secret): the Record button is
// only offered with "record". The server checks again.
function tokenGrants(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
    return Array.isArray(claims.grants) ? claims.grants : [];
  } catch {
    return [];
  }
}

function onRecording(msg) {
  app.recording = msg.state === 'started' ? msg.recording_id : null;
  renderRecording();
}

function toggleRecording() {
  const m = app.meeting;
  if (!m) return;
  app.signaling.send({ type: 'record', meeting: m.id, action: app.recording ? 'stop' : 'start' });
}

function renderRecording() {
  const inMeeting = !!app.meeting;
  const canRecord = inMeeting && tokenGrants(app.token || '').includes('record');
  const button = $('record-button');
  button.hidden = !canRecord;
  button.textContent = app.recording ? 'Stop recording' : 'Record';
  button.setAttribute('aria-pressed', String(!!app.recording));
  $('rec-indicator').hidden = !(inMeeting && app.recording);
}

function onNotification(msg) {
  const item = document.createElement('li');
  item.dataset.kind = msg.kind;
  item.dataset.recording = msg.recording_id;
  if (msg.kind === 'recording-ready') {
    const link = document.createElement('a');
    link.href = `${msg.url}?token=${encodeURIComponent(app.token)}`;
    link.textContent = `Recording of ${msg.meeting} is ready`;
    item.append(link);
  } else {
    item.textContent = `Recording of ${msg.meeting} failed: ${msg.error || 'unknown error'}`;
  }
  $('notifications').append(item);
  $('notifications').hidden = false;
}

// ---- stats report ---------------------------------------------------------------

// Every 5 s the client tells the server its own view (protocol "stats"): of
// the 1:1 call, or of the meeting's first media session.
const STATS_REPORT_MS = 5000;

function startStatsReport() {
  const samplers = new WeakMap();
  setInterval(async () => {
    let pc = null;
    let scope = null;
    if (app.call && app.call.session && app.call.id) {
      pc = app.call.session.pc;
      scope = { call_id: app.call.id };
    } else if (app.meeting && !app.meeting.closed && app.meeting.sessions) {
      const first = app.meeting.sessions.values().next().value;
      pc = first && first.pc;
      scope = { meeting: app.meeting.id };
    }
    if (!pc || !app.signaling) return;
    if (!samplers.has(pc)) samplers.set(pc, new StatsSampler(pc));
    try {
      const sample = await samplers.get(pc).sample();
      app.signaling.send(statsMessage(sample, scope));
    } catch {
      // A closed connection has no stats; the next round picks another.
    }
  }, STATS_REPORT_MS);
}

// ---- stats panel -----------------------------------------------------------

function startStats(session) {
  stopStats();
  const sampler = new StatsSampler(session.pc);
  app.statsTimer = setInterval(async () => {
    if (session.closed) return;
    let s;
    try {
      s = await sampler.sample();
    } catch {
      return;
    }
    $('stat-path').textContent = s.path || '–';
    $('stat-rtt').textContent = s.rtt === null ? '–' : `${Math.round(s.rtt * 1000)} ms`;
    $('stat-send').textContent = formatBitrate(s.sendBps);
    $('stat-recv').textContent = formatBitrate(s.recvBps);
    $('stat-res').textContent = s.width ? `${s.width}×${s.height} @ ${Math.round(s.fps)} fps` : '–';
    document.getElementById('stats').dataset.path = s.path || '';
  }, 1000);
}

function stopStats() {
  if (app.statsTimer) clearInterval(app.statsTimer);
  app.statsTimer = null;
  for (const id of ['stat-path', 'stat-rtt', 'stat-send', 'stat-recv', 'stat-res']) $(id).textContent = '–';
}

// ---- rendering -------------------------------------------------------------

function renderCall() {
  renderRecording();
  const call = app.call;
  const m = app.meeting;
  const inCall = !!(call && call.phase === 'accepted') || !!(m && m.participantId);
  document.body.dataset.mode = m || opts.meeting ? 'meeting' : 'calls';
  $('leave-button').hidden = !m;
  $('hangup-button').hidden = !!m;
  $('incoming').hidden = !(call && call.direction === 'incoming' && call.phase === 'incoming');
  if (call && call.direction === 'incoming') $('incoming-text').textContent = `${call.peer} is calling…`;
  const status = $('call-status');
  if (call) {
    if (call.phase === 'calling') status.textContent = `Calling ${call.peer}…`;
    else if (call.phase === 'ringing') status.textContent = `Ringing ${call.peer}…`;
    else if (call.phase === 'incoming') status.textContent = `Incoming call from ${call.peer}`;
    else if (call.phase === 'accepting') status.textContent = `Connecting to ${call.peer}…`;
    else status.textContent = `In call with ${call.peer} (media: ${app.media})`;
  } else if (m) {
    const n = m.participants.size + 1;
    status.textContent = m.participantId
      ? `Meeting ${m.id}: ${n} participant${n === 1 ? '' : 's'} (${m.path ? m.path.mode : '…'}${m.next ? ` → ${m.next.mode}` : ''})`
      : `Joining meeting ${m.id}…`;
  }
  $('hangup-button').disabled = !call || call.phase === 'incoming';
  $('hangup-button').textContent = call && call.phase !== 'accepted' && call.direction === 'outgoing' ? 'Cancel' : 'Hang up';
  $('mute-button').disabled = !call && !m;
  $('camera-button').disabled = !call && !m;
  $('screen-button').disabled = !inCall;
  $('mute-button').setAttribute('aria-pressed', String(!app.micOn));
  $('mute-button').textContent = app.micOn ? 'Mute mic' : 'Unmute mic';
  $('camera-button').setAttribute('aria-pressed', String(!app.cameraOn));
  $('camera-button').textContent = app.cameraOn ? 'Camera off' : 'Camera on';
  $('screen-button').setAttribute('aria-pressed', String(!!app.screenStream));
  $('screen-button').textContent = app.screenStream ? 'Stop sharing' : 'Share screen';
}

function wireControls() {
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token-input').value.trim();
    if (token) signIn(token);
  });
  $('accept-button').addEventListener('click', () => acceptCall());
  $('reject-button').addEventListener('click', () => rejectCall());
  $('hangup-button').addEventListener('click', () => hangup());
  $('leave-button').addEventListener('click', () => leaveMeeting());
  $('record-button').addEventListener('click', () => toggleRecording());
  $('mute-button').addEventListener('click', () => {
    app.micOn = !app.micOn;
    if (app.call && app.call.session) app.call.session.setMicEnabled(app.micOn);
    else if (app.localStream) for (const t of app.localStream.getAudioTracks()) t.enabled = app.micOn;
    renderCall();
  });
  $('camera-button').addEventListener('click', () => {
    app.cameraOn = !app.cameraOn;
    if (app.call && app.call.session) app.call.session.setCameraEnabled(app.cameraOn);
    else if (app.localStream) for (const t of app.localStream.getVideoTracks()) t.enabled = app.cameraOn;
    renderCall();
  });
  $('screen-button').addEventListener('click', () => {
    if (app.screenStream) stopScreen();
    else startScreen();
  });
  // Presence "last seen" texts age while the page is open.
  setInterval(renderContacts, 30000);
}

wireControls();
startStatsReport();
const token = params.get('token');
if (token) {
  signIn(token);
} else {
  $('signin').hidden = false;
  setState('signed-out');
}
