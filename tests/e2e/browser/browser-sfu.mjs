// browser-sfu: two Chromium pages in one meeting with mesh-max=1, so convened runs
// the real media worker (convene-worker with pipelines/meeting.pipeline): both pages
// publish to it (simulcast) and subscribe from it, and each decodes the other's
// camera through it, mapped to the right participant by msid.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  Convened, launchBrowser, newUserContext, openPage, tileMedia, openPcCount, waitFor, note, cleanupAll,
  requireEnv, requireExecutable,
} from './harness.mjs';

const MEETING = 'sfu-1';
const USERS = ['alice', 'bob'];
let server;
let browser;
const pages = new Map();

test.after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  cleanupAll();
});

// Every open PeerConnection's RTP streams as getStats() sees them.
function pcSummary(page) {
  return page.evaluate(async () => {
    const out = [];
    for (const pc of window.__pcs.filter((x) => x.connectionState !== 'closed')) {
      const rtp = [];
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp') rtp.push(`in ${s.kind} ${s.trackIdentifier} pkts=${s.packetsReceived} frames=${s.framesDecoded ?? '-'} kf=${s.keyFramesDecoded ?? '-'} pli=${s.pliCount ?? '-'}`);
        if (s.type === 'outbound-rtp') rtp.push(`out ${s.kind} rid=${s.rid ?? '-'} pkts=${s.packetsSent} ${s.frameWidth ?? ''}x${s.frameHeight ?? ''} plis=${s.pliCount ?? '-'}`);
      });
      const remote = pc.remoteDescription ? pc.remoteDescription.sdp : '';
      out.push({ state: pc.connectionState, signaling: pc.signalingState, rtp, remote: remote.match(/^(m=\S+ \S+|a=msid:.*|a=(sendonly|recvonly|inactive|sendrecv))$/gm) });
    }
    return out;
  });
}

const meetingOf = (page) => page.evaluate(() => window.convene.meeting);

// What convened printed (the worker's stderr included), for a failure's diagnosis.
function serverTail() {
  return server ? server.proc.output.slice(-40).join('\n') : '';
}

test('two pages above mesh-max=1 move to the worker', async () => {
  const worker = requireExecutable(path.join(requireEnv('CONVENE_BUILD_ROOT'), 'orchestrator', 'worker', 'convene-worker'), 'convene-worker');
  // In the loopback-only namespace the worker's ICE must gather on 127.0.0.1: the
  // pipeline's ALLOW_LOOPBACK variable, appended after convened's arguments.
  const command = `sh -c 'exec "$0" "$@" ALLOW_LOOPBACK=true' ${worker}`;
  server = await new Convened({ users: USERS, sets: ['meetings.mesh-max=1', `meetings.worker-command=${command}`] }).start();
  browser = await launchBrowser();
  for (const u of USERS) {
    const ctx = await newUserContext(browser);
    pages.set(u, await openPage(ctx, `${server.url}/?token=${server.token(u, { meeting: MEETING })}&meeting=${MEETING}`));
  }
  for (const [u, page] of pages) {
    try {
      await waitFor(async () => {
        const m = await meetingOf(page);
        return m && m.mode === 'sfu' && m.sfu && !m.pendingMode;
      }, { timeout: 30000, what: `${u} on the SFU path` });
    } catch (err) {
      throw new Error(`${err.message}\nconvened:\n${serverTail()}`);
    }
    const m = await meetingOf(page);
    note(`${u}: switched to sfu (${m.lastSwitch.complete ? 'complete' : 'timed out'}) after ${m.lastSwitch.ms} ms`);
  }
});

test('each page decodes the other through the worker', async () => {
  const t0 = Date.now();
  for (const [u, page] of pages) {
    const other = USERS.find((x) => x !== u);
    const base = new Map();
    assert.equal((await meetingOf(page)).mode, 'sfu', `${u} is on the SFU path`);
    try {
      await waitFor(async () => {
        const t = (await tileMedia(page)).find((x) => x.user === other && x.kind === 'camera');
        if (!t || t.framesDecoded === 0) return false;
        if (!base.has(other)) {
          base.set(other, t.framesDecoded);
          note(`${u}: first frame of ${other} through the worker ${Date.now() - t0} ms after both switched`);
        }
        return t.framesDecoded >= base.get(other) + 10 && t.playing && t.audioPackets > 0;
      }, { timeout: 20000, what: `${u} decodes ${other} through the worker` });
    } catch (err) {
      const all = [];
      for (const [name, p] of pages) {
        all.push(`${name}'s PeerConnections: ${JSON.stringify(await pcSummary(p))}`);
        all.push(`${name}'s last error: ${await p.evaluate(() => window.convene.lastError)}; console: ${p.consoleLines.slice(-5).join(' | ')}`);
      }
      throw new Error(`${err.message}\n${all.join('\n')}\nconvened:\n${serverTail()}`);
    }
    assert.equal(await openPcCount(page), 2, `${u}: publish and subscribe only`);
  }
  for (const [u, page] of pages) {
    assert.equal(await page.evaluate(() => window.convene.lastError || ''), '', `no server error at ${u}`);
  }
});
