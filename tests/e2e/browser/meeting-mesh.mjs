// meeting-mesh: three Chromium pages (one browser, three contexts) join one meeting
// through the deep link ?token=T&meeting=ID. With the default mesh-max every pair has
// its own PeerConnection: each page decodes video from both others, in tiles named
// after the user; a screen share reaches both others as a tile of its own; when one
// participant leaves, its tiles disappear at the others and their pair keeps flowing.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  Convened, launchBrowser, newUserContext, openPage, tileMedia, openPcCount, waitFor, note, cleanupAll,
} from './harness.mjs';

const MEETING = 'standup-1';
const USERS = ['alice', 'bob', 'carol'];
let server;
let browser;
const pages = new Map(); // user → page

test.after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  cleanupAll();
});

function meetingOf(page) {
  return page.evaluate(() => window.convene.meeting);
}

// Waits until `page` decodes camera video from each of `users` with the frame count
// still rising (10 more frames than first seen), the tile playing, and the
// participant's audio arriving with it.
async function waitCameras(page, users, what) {
  const base = new Map();
  await waitFor(async () => {
    const tiles = await tileMedia(page);
    return users.every((u) => {
      const t = tiles.find((x) => x.user === u && x.kind === 'camera');
      if (!t || t.framesDecoded === 0) return false;
      if (!base.has(u)) base.set(u, t.framesDecoded);
      return t.framesDecoded >= base.get(u) + 10 && t.playing && t.audioPackets > 0;
    });
  }, { timeout: 30000, what });
}

// First decoded frame of every remote participant's camera at `page`, in ms from the
// moment the later page of the pair was opened.
async function firstFrames(u, page, openedAt) {
  const others = USERS.filter((x) => x !== u);
  const first = new Map();
  await waitFor(async () => {
    const tiles = await tileMedia(page);
    for (const o of others) {
      const t = tiles.find((x) => x.user === o && x.kind === 'camera');
      if (t && t.framesDecoded > 0 && !first.has(o)) first.set(o, Date.now() - Math.max(openedAt.get(u), openedAt.get(o)));
    }
    return first.size === others.length;
  }, { timeout: 45000, interval: 100, what: `first frames from ${others.join(' and ')} at ${u}` });
  return first;
}

let firstFramesDone;

test('three pages join one meeting in mesh mode', async () => {
  server = await new Convened({ users: USERS }).start();
  browser = await launchBrowser();
  const contexts = await Promise.all(USERS.map(() => newUserContext(browser)));
  const openedAt = new Map();
  // Opened together, and watched from the start, so first-frame times are the pairs' own.
  await Promise.all(USERS.map(async (u, i) => {
    const token = server.token(u, { meeting: MEETING });
    openedAt.set(u, Date.now());
    pages.set(u, await openPage(contexts[i], `${server.url}/?token=${token}&meeting=${MEETING}`));
  }));
  firstFramesDone = Promise.all(USERS.map(async (u) => [u, await firstFrames(u, pages.get(u), openedAt)]));
  firstFramesDone.catch(() => {});
  for (const [u, page] of pages) {
    await waitFor(async () => {
      const m = await meetingOf(page);
      return m && m.participantId && m.mode === 'mesh' && m.participants.length === 2;
    }, { what: `${u} in the meeting with two others` });
  }
  const ids = new Set();
  for (const [u, page] of pages) {
    const m = await meetingOf(page);
    ids.add(m.participantId);
    assert.equal(m.id, MEETING);
    assert.deepEqual(m.participants.map((p) => p.user).sort(), USERS.filter((x) => x !== u));
    for (const p of m.participants) {
      assert.deepEqual(p.tracks.map((t) => t.kind).sort(), ['audio', 'video'], `${p.user} publishes audio and video`);
    }
  }
  assert.equal(ids.size, 3, 'every page is its own participant');
});

test('each page decodes video from both others, one PeerConnection per pair', async () => {
  for (const [u, first] of await firstFramesDone) {
    note(`${u}: first decoded frame ${[...first].map(([o, ms]) => `from ${o} ${ms} ms`).join(', ')} (from opening the later page of the pair)`);
  }
  for (const [u, page] of pages) {
    const others = USERS.filter((x) => x !== u);
    await waitCameras(page, others, `${u} decodes video from ${others.join(' and ')}`);
    assert.equal(await openPcCount(page), 2, `${u} has one PeerConnection per other participant`);
    const tiles = await tileMedia(page);
    const m = await meetingOf(page);
    for (const t of tiles) {
      const p = m.participants.find((x) => x.participant_id === t.pid);
      assert.ok(p, `tile for a participant of the meeting (${t.pid})`);
      assert.equal(t.user, p.user, 'the tile is named after its participant');
    }
  }
});

test('the loudest participant is highlighted as the speaker', async () => {
  // Chromium's fake microphone beeps; in a mesh each page picks the loudest
  // incoming audio itself (no worker sends active-speaker).
  const bob = pages.get('bob');
  await waitFor(() => bob.evaluate(() => {
    const tile = document.querySelector('#remote-videos .tile.speaking video');
    return tile && window.convene.meeting.speaker === tile.dataset.participant;
  }), { timeout: 15000, what: 'a speaking tile at bob' });
});

test('mute and camera buttons act on the tracks sent to every participant', async () => {
  const alice = pages.get('alice');
  const enabled = (kind) => alice.evaluate((k) => window.__pcs.filter((pc) => pc.connectionState !== 'closed')
    .flatMap((pc) => pc.getSenders().filter((s) => s.track && s.track.kind === k).map((s) => s.track.enabled)), kind);
  assert.deepEqual(await enabled('audio'), [true, true]);
  await alice.click('#mute-button');
  await alice.click('#camera-button');
  assert.deepEqual(await enabled('audio'), [false, false]);
  assert.deepEqual(await enabled('video'), [false, false]);
  assert.equal(await alice.getAttribute('#mute-button', 'aria-pressed'), 'true');
  await alice.click('#mute-button');
  await alice.click('#camera-button');
  assert.deepEqual(await enabled('audio'), [true, true]);
  assert.deepEqual(await enabled('video'), [true, true]);
});

test('a screen share reaches both others as a tile of its own', async () => {
  const alice = pages.get('alice');
  await alice.click('#screen-button');
  for (const u of ['bob', 'carol']) {
    const page = pages.get(u);
    await waitFor(async () => {
      const t = (await tileMedia(page)).find((x) => x.user === 'alice' && x.kind === 'screen');
      return t && t.framesDecoded > 5 && t.width === 1280;
    }, { timeout: 25000, what: `alice's screen (1280 wide) decoding at ${u}` });
    // The camera keeps its own tile next to the screen.
    const cam = (await tileMedia(page)).find((x) => x.user === 'alice' && x.kind === 'camera');
    assert.ok(cam && cam.framesDecoded > 0, `alice's camera still shown at ${u}`);
    const m = await meetingOf(page);
    const a = m.participants.find((p) => p.user === 'alice');
    assert.deepEqual(a.tracks.map((t) => t.kind).sort(), ['audio', 'screen', 'video']);
  }
  // The screen tile is the large one.
  const sizes = await pages.get('bob').evaluate(() => {
    const w = (sel) => document.querySelector(sel).getBoundingClientRect().width;
    return { screen: w('video[data-user="alice"][data-kind="screen"]'), camera: w('video[data-user="alice"][data-kind="camera"]') };
  });
  assert.ok(sizes.screen > sizes.camera * 1.5, `screen tile larger than camera tiles (${JSON.stringify(sizes)})`);
  const shot = path.join(process.env.CONVENE_BUILD_ROOT || '.', 'meeting-mesh-screen.png');
  await pages.get('bob').screenshot({ path: shot, fullPage: true });
  note(`screenshot: ${shot}`);
  await alice.click('#screen-button');
  for (const u of ['bob', 'carol']) {
    await waitFor(async () => !(await tileMedia(pages.get(u))).some((x) => x.user === 'alice' && x.kind === 'screen'),
      { timeout: 15000, what: `alice's screen tile removed at ${u}` });
  }
});

test('one leaves: its tiles disappear at the others, the remaining pair keeps flowing', async () => {
  const carol = pages.get('carol');
  const carolId = (await meetingOf(carol)).participantId;
  await carol.click('#leave-button');
  await waitFor(async () => (await openPcCount(carol)) === 0, { what: 'carol closed her PeerConnections' });
  assert.equal(await carol.evaluate(() => window.convene.meeting), null);
  for (const [u, other] of [['alice', 'bob'], ['bob', 'alice']]) {
    const page = pages.get(u);
    await waitFor(async () => {
      const m = await meetingOf(page);
      const tiles = await tileMedia(page);
      return m.participants.length === 1 && !tiles.some((t) => t.pid === carolId);
    }, { timeout: 15000, what: `carol's tiles gone at ${u}` });
    assert.equal(await page.locator(`video[data-participant="${carolId}"]`).count(), 0);
    await waitCameras(page, [other], `${u} still decodes ${other}`);
    assert.equal(await openPcCount(page), 1, `${u} has one PeerConnection left`);
  }
  for (const [u, page] of pages) {
    const errors = page.consoleLines.filter((l) => l.startsWith('pageerror') || l.startsWith('error'));
    assert.deepEqual(errors, [], `no page errors at ${u}`);
    // Nothing the client sent was refused (view, tracks, media-ready, sdp, ice).
    assert.equal(await page.evaluate(() => window.convene.lastError || ''), '', `no server error at ${u}`);
  }
});
