// meeting-switch: the client's SFU path and mesh ↔ SFU switching, against a
// stand-in worker (standin-worker.sh as [meetings] worker-command, the worker's
// protocol side played in a third Chromium page by standin-sfu.mjs). With
// mesh-max=1, two pages make convened start the worker; the pages, first in a
// mesh, switch make-before-break to publish + subscribe sessions and decode each
// other through it (tracks mapped to participants by msid), send `view` with their
// tile sizes, highlight the speaker the worker names, and see a screen share as its
// own tile. A killed worker is replaced and the pages move to its successor; a late
// joiner starts on the SFU at once. When the meeting shrinks to one, it goes back to
// mesh and convened stops the worker.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Convened, launchBrowser, newUserContext, openPage, tileMedia, openPcCount, waitFor, note, cleanupAll, tmpDir,
} from './harness.mjs';
import { standinSfu } from './standin-sfu.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MEETING = 'switch-1';
const USERS = ['alice', 'bob'];
let server;
let browser;
let standin;
let standinDir;
const pages = new Map();

test.after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  cleanupAll();
});

const meetingOf = (page) => page.evaluate(() => window.convene.meeting);

async function apiMeetings() {
  const res = await fetch(`${server.url}/api/meetings`, { headers: { authorization: `Bearer ${adminToken}` } });
  assert.equal(res.status, 200);
  return (await res.json()).meetings;
}
let adminToken;

// In the page: the longest time each tile's <video> went without a new frame, from
// now on (the tile element stays when its stream moves to another path).
function watchGaps() {
  const gaps = {};
  window.tileGaps = gaps;
  for (const v of document.querySelectorAll('#remote-videos video[data-participant]')) {
    const k = `${v.dataset.user}/${v.dataset.kind}`;
    let frames = v.getVideoPlaybackQuality().totalVideoFrames;
    let at = performance.now();
    gaps[k] = 0;
    setInterval(() => {
      const n = v.getVideoPlaybackQuality().totalVideoFrames;
      const now = performance.now();
      if (n !== frames) {
        frames = n;
        at = now;
      }
      gaps[k] = Math.max(gaps[k], Math.round(now - at));
    }, 20);
  }
}

// The arguments convened gave a stand-in worker it started and the test has not
// taken yet, as NAME=value pairs (plus `pid`, the process to kill).
const taken = new Set();
function workerArgs() {
  const file = fs.readdirSync(standinDir).find((f) => f.endsWith('.args') && !taken.has(f));
  if (!file) return null;
  taken.add(file);
  const lines = fs.readFileSync(path.join(standinDir, file), 'utf8').trim().split('\n');
  const args = Object.fromEntries(lines.filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  args.pid = Number(file.match(/worker-(\d+)\.args/)[1]);
  return args;
}

// Plays the worker given by `args` in a new page; resolves to its participant_id.
async function startStandin(args) {
  const ctx = await browser.newContext();
  standin = await ctx.newPage();
  standin.consoleLines = [];
  standin.on('pageerror', (e) => standin.consoleLines.push(`pageerror: ${e.message}`));
  // Any page of convened's origin will do: the stand-in only needs WebSocket and WebRTC.
  await standin.goto(`${server.url}/standin-worker`);
  await standin.evaluate(standinSfu, { wsUrl: args.SIGNALING_URI, token: args.WORKER_TOKEN, meeting: MEETING });
  return waitFor(() => standin.evaluate(() => window.standin.participantId), { what: 'the stand-in worker joined' });
}

// Both pages decode each other's camera, frames still rising.
async function bothDecode(what) {
  for (const [u, page] of pages) {
    const other = [...pages.keys()].find((x) => x !== u);
    const base = new Map();
    await waitFor(async () => {
      const t = (await tileMedia(page)).find((x) => x.user === other && x.kind === 'camera');
      if (!t || t.framesDecoded === 0) return false;
      if (!base.has(other)) base.set(other, t.framesDecoded);
      return t.framesDecoded >= base.get(other) + 10 && t.playing && t.audioPackets > 0;
    }, { timeout: 20000, what: `${u} decodes (and hears) ${other} ${what}` });
  }
}

let workerArgsNow;
const switched = new Map(); // user → its lastSwitch to the SFU

test('two pages outgrow mesh-max=1: convened starts the worker, both switch to it', async () => {
  standinDir = tmpDir('standin');
  // Inherited by convened, and from it by the worker command.
  process.env.CONVENE_STANDIN_DIR = standinDir;
  server = await new Convened({
    users: [...USERS, 'carol'],
    // mesh-linger long enough that a late joiner arriving right after a leave
    // still finds the meeting on the SFU.
    sets: ['meetings.mesh-max=1', 'meetings.mesh-linger=6', `meetings.worker-command=${path.join(HERE, 'standin-worker.sh')}`],
  }).start();
  adminToken = server.cli(['token', '--user', 'alice', '--grants', 'admin']).split(/\s+/).find((w) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(w));
  browser = await launchBrowser();
  for (const u of USERS) {
    const ctx = await newUserContext(browser);
    pages.set(u, await openPage(ctx, `${server.url}/?token=${server.token(u, { meeting: MEETING })}&meeting=${MEETING}`));
  }
  const args = await waitFor(() => workerArgs(), { timeout: 15000, what: 'convened to start the worker command' });
  assert.equal(args.MEETING_ID, MEETING);
  // Until the worker joins, the pair talks over the mesh.
  for (const [u, page] of pages) {
    const other = USERS.find((x) => x !== u);
    await waitFor(async () => {
      const m = await meetingOf(page);
      const t = (await tileMedia(page)).find((x) => x.user === other && x.kind === 'camera');
      return m && m.mode === 'mesh' && t && t.framesDecoded > 10;
    }, { timeout: 20000, what: `${u} decodes ${other} over the mesh first` });
    await page.evaluate(watchGaps);
  }
  workerArgsNow = args;
  const tStart = Date.now();
  const sfuId = await startStandin(args);
  for (const [u, page] of pages) {
    await waitFor(async () => {
      const m = await meetingOf(page);
      return m && m.mode === 'sfu' && !m.pendingMode && m.sfu === sfuId;
    }, { timeout: 20000, what: `${u} switched to the SFU` });
    const m = await meetingOf(page);
    note(`${u}: switch to sfu ${m.lastSwitch.complete ? 'complete' : 'timed out'} after ${m.lastSwitch.ms} ms (worker joined ${Date.now() - tStart} ms ago)`);
    // The contract: the mesh is closed once the SFU carries everyone, or after 5 s.
    // The stand-in decodes and re-encodes in a page, so on a machine loaded by
    // other work its media can take longer than that.
    assert.ok(m.lastSwitch.complete || m.lastSwitch.ms >= 5000, `${u} kept the mesh until the SFU carried everyone or 5 s passed`);
    switched.set(u, m.lastSwitch);
    assert.ok(!m.participants.some((p) => p.participant_id === sfuId), 'the worker is not a participant tile');
  }
});

test('each page decodes the other through the worker, over publish + subscribe only', async () => {
  await bothDecode('through the worker');
  for (const [u, page] of pages) {
    const other = USERS.find((x) => x !== u);
    assert.equal(await openPcCount(page), 2, `${u}: the mesh PeerConnection is closed, publish and subscribe remain`);
    // Make-before-break: the tile never froze for long while its stream moved.
    const gaps = await page.evaluate(() => window.tileGaps);
    note(`${u}: longest frame gap per tile across the mesh → SFU switch: ${JSON.stringify(gaps)} ms`);
    if (switched.get(u).complete) assert.ok(gaps[`${other}/camera`] < 1000, `${u}: ${other}'s tile kept playing across the switch`);
    // The publish offer announces the three simulcast layers by SSRC
    // (a=ssrc-group:SIM, lowest first; docs/architecture.md "Simulcast").
    const offered = await page.evaluate(() => window.__pcs.filter((pc) => pc.connectionState !== 'closed')
      .map((pc) => (pc.localDescription && pc.localDescription.type === 'offer' ? pc.localDescription.sdp : ''))
      .find((sdp) => /a=ssrc-group:SIM/.test(sdp)) || '');
    assert.match(offered, /a=ssrc-group:SIM \d+ \d+ \d+\r\n/);
  }
  const peers = await standin.evaluate(() => window.standin.peers);
  assert.deepEqual(peers.map((p) => [p.publish, p.subscribe]), [['connected', 'connected'], ['connected', 'connected']]);
});

test('view: each page tells the worker the size it shows the other at', async () => {
  const ids = new Map();
  for (const [u, page] of pages) ids.set(u, (await meetingOf(page)).participantId);
  for (const [u, page] of pages) {
    const other = USERS.find((x) => x !== u);
    // The track is named as its publisher published it (its `tracks`).
    const shown = await page.evaluate((pid) => {
      const v = document.querySelector(`video[data-participant="${pid}"][data-kind="camera"]`);
      const p = window.convene.meeting.participants.find((x) => x.participant_id === pid);
      return { track: p.tracks.find((t) => t.kind === 'video').id, width: v.clientWidth * devicePixelRatio };
    }, ids.get(other));
    const view = await waitFor(async () => (await standin.evaluate(() => window.standin.views))
      .filter((v) => v.from === ids.get(u) && v.participant_id === ids.get(other) && v.track === shown.track).pop(),
    { what: `${u}'s view of ${other}` });
    assert.ok(view.width > 0 && view.height > 0 && Math.abs(view.width - shown.width) <= 1, `view ${JSON.stringify(view)} matches the tile (${shown.width} wide)`);
  }
});

test('active-speaker from the worker highlights that tile', async () => {
  const aliceId = (await meetingOf(pages.get('alice'))).participantId;
  await standin.evaluate((pid) => window.standin.speak(pid), aliceId);
  await waitFor(() => pages.get('bob').evaluate((pid) => {
    const v = document.querySelector('#remote-videos .tile.speaking video');
    return v && v.dataset.participant === pid && window.convene.meeting.speaker === pid;
  }, aliceId), { what: "alice's tile highlighted at bob" });
});

test('a screen share through the worker arrives as its own tile', async () => {
  await pages.get('alice').click('#screen-button');
  const bob = pages.get('bob');
  await waitFor(async () => {
    const t = (await tileMedia(bob)).find((x) => x.user === 'alice' && x.kind === 'screen');
    return t && t.framesDecoded > 5;
  }, { timeout: 20000, what: "alice's screen decoding at bob" });
  const cam = (await tileMedia(bob)).find((x) => x.user === 'alice' && x.kind === 'camera');
  assert.ok(cam && cam.framesDecoded > 0, "alice's camera keeps its tile");
  await pages.get('alice').click('#screen-button');
  await waitFor(async () => !(await tileMedia(bob)).some((x) => x.user === 'alice' && x.kind === 'screen'),
    { timeout: 15000, what: "alice's screen tile removed at bob" });
});

test('the worker dies: convened starts another, both pages rebuild their sessions with it', async () => {
  const old = await standin.evaluate(() => window.standin.participantId);
  const t0 = Date.now();
  // Like a crash: the connection drops and the process is gone.
  await standin.context().close();
  process.kill(workerArgsNow.pid, 'SIGKILL');
  workerArgsNow = await waitFor(() => workerArgs(), { timeout: 15000, what: 'convened to restart the worker' });
  const sfuId = await startStandin(workerArgsNow);
  assert.notEqual(sfuId, old);
  for (const [u, page] of pages) {
    await waitFor(async () => {
      const m = await meetingOf(page);
      return m.mode === 'sfu' && m.sfu === sfuId && !m.pendingMode;
    }, { timeout: 15000, what: `${u} on the new worker` });
  }
  await bothDecode('through the new worker');
  note(`worker killed → both pages decode through its successor after ${Date.now() - t0} ms`);
  for (const [u, page] of pages) assert.equal(await openPcCount(page), 2, `${u}: the dead worker's sessions are closed`);
});

// The page's own errors: console, and anything convened refused (view, tracks,
// media-ready, sdp, ice).
async function assertNoErrors(u, page) {
  const errors = page.consoleLines.filter((l) => l.startsWith('pageerror') || l.startsWith('error'));
  assert.deepEqual(errors, [], `no page errors at ${u}`);
  assert.equal(await page.evaluate(() => window.convene.lastError || ''), '', `no server error at ${u}`);
}

// `u` leaves by the button; the others see its tiles go.
async function leave(u) {
  const id = (await meetingOf(pages.get(u))).participantId;
  await pages.get(u).click('#leave-button');
  await assertNoErrors(u, pages.get(u));
  await pages.get(u).context().close();
  pages.delete(u);
  for (const [o, page] of pages) {
    await waitFor(async () => {
      const m = await meetingOf(page);
      return !m.participants.some((p) => p.participant_id === id) && !(await tileMedia(page)).some((t) => t.pid === id);
    }, { what: `${u}'s tiles gone at ${o}` });
  }
}

test('a late joiner starts on the SFU path at once and decodes through it', async () => {
  await leave('bob');
  const sfuId = await standin.evaluate(() => window.standin.participantId);
  const t0 = Date.now();
  const carol = await openPage(await newUserContext(browser), `${server.url}/?token=${server.token('carol', { meeting: MEETING })}&meeting=${MEETING}`);
  pages.set('carol', carol);
  await waitFor(async () => {
    const m = await meetingOf(carol);
    return m && m.mode === 'sfu' && m.sfu === sfuId && m.participants.length === 1;
  }, { what: 'carol joined on the SFU path' });
  assert.equal((await meetingOf(carol)).lastSwitch, null, 'no switch: the SFU path from the join on');
  await waitFor(async () => {
    const t = (await tileMedia(carol)).find((x) => x.user === 'alice' && x.kind === 'camera');
    return t && t.framesDecoded > 0;
  }, { timeout: 20000, what: 'carol decodes alice' });
  note(`late joiner: first frame of alice at carol ${Date.now() - t0} ms after opening the page`);
  await bothDecode('through the worker after a late join');
  assert.equal(await openPcCount(carol), 2, 'carol: publish and subscribe only');
});

test('one leaves: the other goes back to mesh, convened stops the worker', async () => {
  await leave('carol');
  const alice = pages.get('alice');
  await waitFor(async () => {
    const m = await meetingOf(alice);
    return m.mode === 'mesh' && !m.pendingMode;
  }, { timeout: 20000, what: 'alice back in mesh after mesh-linger' });
  assert.equal(await openPcCount(alice), 0, 'alone in a mesh: no PeerConnection');
  // media-ready for mesh from the only participant lets convened stop the worker
  // at once instead of after its 10 s wait.
  const t0 = Date.now();
  await waitFor(async () => {
    const [m] = await apiMeetings();
    return m && m.mode === 'mesh' && m.worker === null;
  }, { timeout: 8000, what: 'the worker stopped' });
  note(`worker stopped ${Date.now() - t0} ms after alice was back in mesh`);
  assert.deepEqual(await standin.evaluate(() => window.standin.errors), []);
  for (const [u, page] of pages) await assertNoErrors(u, page);
});
