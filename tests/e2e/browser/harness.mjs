// Shared harness for the browser end-to-end tests: starts convened, coturn, the gst
// test peer and headless Chromium (playwright-core, system Chromium), each as its own
// process group that is killed on every exit path, and reads media results from the
// page through a wrapped RTCPeerConnection, independent of the app's own code.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const CHROMIUM = process.env.CONVENE_CHROMIUM || '/usr/bin/chromium';

const children = new Set();
const tmpDirs = new Set();

function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

export function cleanupAll() {
  for (const c of children) killGroup(c, 'SIGKILL');
  children.clear();
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  tmpDirs.clear();
}

// A crashed or interrupted test must not leave convened, coturn or Chromium behind.
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanupAll();
    process.exit(128 + os.constants.signals[sig]);
  });
}

export function tmpDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `convene-${prefix}-`));
  tmpDirs.add(d);
  return d;
}

export function requireEnv(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this test through meson (tests/meson.build test_env)`);
  return v;
}

// Missing tools are failures, never skips: the suite installs them (scripts/deps.sh test).
export function requireExecutable(file, what) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(`${what} not found or not executable at ${file}`);
  }
  return file;
}

export function which(name) {
  for (const dir of (process.env.PATH || '').split(':')) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // Not in this PATH entry.
    }
  }
  throw new Error(`${name} not found in PATH`);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Polls fn until it returns a truthy value; fails with the last value seen.
export async function waitFor(fn, { timeout = 20000, interval = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = null;
      if (last) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const detail = lastErr ? `error: ${lastErr.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (${detail})`);
    }
    await sleep(interval);
  }
}

// stdin 'pipe' is for programs that stop when their stdin closes (kafka-mock): the
// pipe stays open until the child is stopped or the test process dies.
export function spawnTracked(cmd, args, { env, name, logFile, stdin = 'ignore' } = {}) {
  const child = spawn(cmd, args, {
    env: { ...process.env, ...(env || {}) },
    detached: true, // own process group, so a kill reaches its children too
    stdio: [stdin, 'pipe', 'pipe'],
  });
  children.add(child);
  child.name = name || path.basename(cmd);
  child.output = [];
  const log = logFile ? fs.createWriteStream(logFile) : null;
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      child.output.push(line);
      if (child.output.length > 2000) child.output.shift();
      if (log) log.write(`${line}\n`);
      child.emit('line', line, stream === child.stdout ? 'stdout' : 'stderr');
    });
  }
  child.exited = new Promise((resolve) => child.on('exit', (code, sig) => {
    children.delete(child);
    if (log) log.end();
    resolve({ code, sig });
  }));
  return child;
}

export async function stopChild(child, timeout = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  killGroup(child, 'SIGTERM');
  const t = setTimeout(() => killGroup(child, 'SIGKILL'), timeout);
  await child.exited;
  clearTimeout(t);
}

export function waitForLine(child, re, timeout, what) {
  return new Promise((resolve, reject) => {
    const found = child.output.map((l) => l.match(re)).find(Boolean);
    if (found) {
      resolve(found);
      return;
    }
    const onLine = (line) => {
      const m = line.match(re);
      if (m) {
        done();
        resolve(m);
      }
    };
    const onExit = () => {
      done();
      reject(new Error(`${child.name} exited before ${what}:\n${child.output.slice(-30).join('\n')}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what} from ${child.name}:\n${child.output.slice(-30).join('\n')}`));
    }, timeout);
    function done() {
      clearTimeout(timer);
      child.off('line', onLine);
      child.off('exit', onExit);
    }
    child.on('line', onLine);
    child.on('exit', onExit);
  });
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---- convened ----------------------------------------------------------------

export class Convened {
  constructor({ sets = [], users = ['alice', 'bob'] } = {}) {
    this.bin = requireExecutable(requireEnv('CONVENE_BIN'), 'convened');
    this.webDir = requireEnv('CONVENE_WEB_DIR');
    this.dataDir = tmpDir('data');
    this.sets = sets;
    this.users = users;
  }

  cli(args) {
    const r = spawnSync(this.bin, ['--data-dir', this.dataDir, ...args], { encoding: 'utf8', timeout: 20000 });
    if (r.status !== 0) {
      throw new Error(`convened ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
    }
    return r.stdout.trim();
  }

  addUser(name) {
    this.cli(['user', 'add', name]);
  }

  // `meeting` scopes the token to one meeting (joining it creates it).
  token(name, { meeting } = {}) {
    const out = this.cli(['token', '--user', name, ...(meeting ? ['--meeting', meeting] : [])]);
    const tok = out.split(/\s+/).find((w) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(w));
    if (!tok) throw new Error(`no JWT in the output of convened token: ${out}`);
    return tok;
  }

  async start() {
    for (const u of this.users) this.addUser(u);
    const args = ['--listen', '127.0.0.1:0', '--data-dir', this.dataDir];
    for (const s of this.sets) args.push('--set', s);
    this.proc = spawnTracked(this.bin, args, {
      env: { CONVENE_WEB_DIR: this.webDir },
      name: 'convened',
      logFile: path.join(this.dataDir, 'convened.log'),
    });
    const m = await waitForLine(this.proc, /listening on (http:\/\/127\.0\.0\.1:(\d+))\/?/, 15000, 'the listening line');
    this.url = m[1];
    this.port = Number(m[2]);
    this.wsUrl = `ws://127.0.0.1:${this.port}/ws`;
    return this;
  }

  async stop() {
    await stopChild(this.proc);
  }
}

// ---- coturn --------------------------------------------------------------------

export class Coturn {
  constructor({ secret }) {
    this.secret = secret;
    this.bin = which('turnserver');
  }

  async start() {
    let lastErr;
    // A free port found by binding port 0 may be taken again before coturn binds it.
    for (let attempt = 0; attempt < 5; attempt++) {
      const dir = tmpDir('coturn');
      const port = await freePort();
      const minPort = 20000 + Math.floor(Math.random() * 20000);
      this.logFile = path.join(dir, 'turn.log');
      const args = ['-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
        `--min-port=${minPort}`, `--max-port=${minPort + 200}`, '--use-auth-secret',
        `--static-auth-secret=${this.secret}`, '--realm=convene', '--allow-loopback-peers', '--no-cli',
        '--no-tls', '--no-dtls', '--denied-peer-ip=10.0.0.0-10.255.255.255',
        '--denied-peer-ip=172.16.0.0-172.31.255.255', '--denied-peer-ip=192.168.0.0-192.168.255.255',
        '--log-file=stdout', '--simple-log', `--pidfile=${path.join(dir, 'turn.pid')}`,
        `--userdb=${path.join(dir, 'turn.db')}`, '--no-stun-backward-compatibility'];
      const proc = spawnTracked(this.bin, args, { name: 'turnserver', logFile: this.logFile });
      try {
        await waitFor(async () => {
          if (proc.exitCode !== null) throw new Error(`turnserver exited: ${proc.output.slice(-10).join('\n')}`);
          return tcpConnects(port);
        }, { timeout: 8000, what: 'coturn to answer on its port' });
        this.proc = proc;
        this.port = port;
        this.uri = `turn:127.0.0.1:${port}`;
        return this;
      } catch (err) {
        lastErr = err;
        await stopChild(proc);
      }
    }
    throw lastErr;
  }

  log() {
    return this.proc ? this.proc.output.join('\n') : '';
  }

  async stop() {
    await stopChild(this.proc);
  }
}

// coturn listens on TCP too: a TCP connect proves it is up and bound.
function tcpConnects(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

// ---- gst test peer -------------------------------------------------------------

export class TestPeer {
  constructor(args, name = 'testpeer') {
    const root = requireEnv('CONVENE_BUILD_ROOT');
    this.bin = requireExecutable(process.env.CONVENE_TESTPEER || path.join(root, 'tests', 'e2e', 'convene-testpeer'), 'convene-testpeer');
    this.args = args;
    this.name = name;
    this.last = null;
    this.lines = [];
  }

  start() {
    this.proc = spawnTracked(this.bin, this.args, { name: this.name });
    this.proc.on('line', (line, stream) => {
      if (stream !== 'stdout' || !line.startsWith('{')) return;
      try {
        this.last = JSON.parse(line);
        this.lines.push(this.last);
      } catch {
        // A partial line is followed by a full one a second later.
      }
    });
    return this;
  }

  alive() {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  describe() {
    return `${this.name} last=${JSON.stringify(this.last)}\n${this.proc.output.slice(-20).join('\n')}`;
  }

  async stop() {
    await stopChild(this.proc);
  }
}

// ---- Chromium --------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
];

// Every RTCPeerConnection the page makes is recorded, with the candidates it
// gathered, so the tests judge media from getStats() and not from the app's word.
const INIT_SCRIPT = `(() => {
  const Native = window.RTCPeerConnection;
  const pcs = [];
  Object.defineProperty(window, '__pcs', { value: pcs });
  class Wrapped extends Native {
    constructor(...args) {
      super(...args);
      this.__gathered = [];
      this.__config = args[0] || {};
      this.addEventListener('icecandidate', (e) => {
        if (e.candidate && e.candidate.candidate) this.__gathered.push(e.candidate.candidate);
      });
      pcs.push(this);
    }
  }
  window.RTCPeerConnection = Wrapped;
})();`;

let playwright;
async function loadPlaywright() {
  if (!playwright) {
    try {
      playwright = await import('playwright-core');
    } catch (err) {
      throw new Error(`playwright-core is not installed (run scripts/deps.sh test): ${err.message}`);
    }
  }
  return playwright;
}

// Returns a Browser; each user gets its own context (browser.newContext()).
export async function launchBrowser({ extraArgs = [] } = {}) {
  requireExecutable(CHROMIUM, 'Chromium');
  const { chromium } = await loadPlaywright();
  const userDataDir = tmpDir('chromium');
  // --disable-features is last-one-wins, and Playwright passes its own: so Playwright's
  // default arguments are dropped and the whole command line is ours, with one merged
  // --disable-features.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    ignoreDefaultArgs: true,
    args: [
      '--headless', '--remote-debugging-pipe', '--no-startup-window', `--user-data-dir=${userDataDir}`,
      ...CHROMIUM_ARGS, '--mute-audio', '--hide-scrollbars', '--disable-dev-shm-usage',
      '--disable-field-trial-config', '--disable-breakpad', '--disable-extensions',
      '--disable-features=WebRtcHideLocalIpsWithMdns,Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider',
      ...extraArgs,
    ],
    timeout: 30000,
  });
  return browser;
}

export async function newUserContext(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(INIT_SCRIPT);
  return context;
}

export async function openPage(context, url) {
  const page = await context.newPage();
  page.consoleLines = [];
  page.on('console', (m) => page.consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => page.consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return page;
}

// Summary of every RTCPeerConnection on the page, straight from getStats().
export async function pageMedia(page) {
  return page.evaluate(async () => {
    const out = [];
    for (const pc of window.__pcs || []) {
      const report = await pc.getStats();
      const byId = new Map();
      report.forEach((s) => byId.set(s.id, s));
      const inboundVideo = [];
      const outboundVideo = [];
      let audioIn = 0;
      let pair = null;
      for (const s of byId.values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          inboundVideo.push({ mid: s.mid, framesDecoded: s.framesDecoded || 0, width: s.frameWidth || 0, height: s.frameHeight || 0 });
        }
        if (s.type === 'inbound-rtp' && s.kind === 'audio') audioIn += s.packetsReceived || 0;
        if (s.type === 'outbound-rtp' && s.kind === 'video') {
          outboundVideo.push({ mid: s.mid, framesEncoded: s.framesEncoded || 0, width: s.frameWidth || 0 });
        }
        if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId) || pair;
      }
      let selected = null;
      if (pair) {
        const l = byId.get(pair.localCandidateId);
        const r = byId.get(pair.remoteCandidateId);
        selected = { local: l && l.candidateType, remote: r && r.candidateType, rtt: pair.currentRoundTripTime ?? null };
      }
      const senders = pc.getSenders().filter((s) => s.track).map((s) => ({ kind: s.track.kind, enabled: s.track.enabled, label: s.track.label }));
      out.push({
        connectionState: pc.connectionState,
        signalingState: pc.signalingState,
        policy: pc.__config.iceTransportPolicy || 'all',
        gathered: pc.__gathered.map((c) => (c.match(/ typ (\w+)/) || [])[1]),
        inboundVideo,
        outboundVideo,
        audioIn,
        selected,
        senders,
      });
    }
    return out;
  });
}

export function lastPc(media) {
  return media.length ? media[media.length - 1] : null;
}

export function decoded(pc) {
  return pc ? pc.inboundVideo.map((v) => v.framesDecoded) : [];
}

// TAP diagnostics that meson shows with --print-errorlogs.
export function note(...parts) {
  console.log(`# ${parts.join(' ')}`);
}

// Meeting tiles (<video data-participant>) with the decoding stats of the tracks they
// show: each tile's track is found through its transceiver's mid among the inbound-rtp
// of every RTCPeerConnection on the page, so the figures come from getStats(), not
// from the app. Not by track id: gst bots name every track video_sink_0 /
// audio_sink_0, so in an SFU subscribe session several remote tracks share one id.
export async function tileMedia(page) {
  return page.evaluate(async () => {
    const byTrack = new Map();
    for (const pc of window.__pcs || []) {
      if (pc.connectionState === 'closed') continue;
      const byMid = new Map();
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.mid !== undefined) byMid.set(s.mid, s);
      });
      for (const tr of pc.getTransceivers()) {
        const s = tr.mid !== null ? byMid.get(tr.mid) : null;
        if (s && tr.receiver.track) byTrack.set(tr.receiver.track, s);
      }
    }
    return [...document.querySelectorAll('#remote-videos video[data-participant]')].map((v) => {
      const track = v.srcObject && v.srcObject.getVideoTracks()[0];
      const s = track ? byTrack.get(track) : null;
      const audio = v.srcObject && v.srcObject.getAudioTracks()[0];
      const a = audio ? byTrack.get(audio) : null;
      return {
        user: v.dataset.user,
        pid: v.dataset.participant,
        kind: v.dataset.kind,
        framesDecoded: s ? s.framesDecoded || 0 : 0,
        width: s ? s.frameWidth || 0 : 0,
        height: s ? s.frameHeight || 0 : 0,
        playing: !v.paused && v.videoWidth > 0,
        // Audio packets of the participant's audio track, which the camera tile plays.
        audioPackets: a ? a.packetsReceived || 0 : 0,
      };
    });
  });
}

// The PeerConnections of the page that are not closed.
export async function openPcCount(page) {
  return page.evaluate(() => (window.__pcs || []).filter((pc) => pc.connectionState !== 'closed').length);
}

// Every open PeerConnection's RTP streams as getStats() sees them, and its sending
// transceivers (mid:direction/currentDirection), for a failure's diagnosis.
export async function pcSummary(page) {
  return page.evaluate(async () => {
    const out = [];
    for (const pc of window.__pcs.filter((x) => x.connectionState !== 'closed')) {
      const rtp = [];
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp') rtp.push(`in ${s.kind} mid=${s.mid} ${s.trackIdentifier} pkts=${s.packetsReceived} frames=${s.framesDecoded ?? '-'} kf=${s.keyFramesDecoded ?? '-'} pli=${s.pliCount ?? '-'}`);
        if (s.type === 'outbound-rtp') rtp.push(`out ${s.kind} rid=${s.rid ?? '-'} pkts=${s.packetsSent} ${s.frameWidth ?? ''}x${s.frameHeight ?? ''} plis=${s.pliCount ?? '-'}`);
      });
      const sending = pc.getTransceivers().filter((t) => t.direction === 'sendonly' || t.currentDirection === 'sendonly' || t.currentDirection === 'inactive')
        .map((t) => `${t.mid}:${t.direction}/${t.currentDirection}`);
      const remote = pc.remoteDescription ? pc.remoteDescription.sdp : '';
      out.push({ state: pc.connectionState, signaling: pc.signalingState, sending, rtp, remote: remote.match(/^(m=\S+ \S+|a=msid:.*|a=(sendonly|recvonly|inactive|sendrecv))$/gm) });
    }
    return out;
  });
}
