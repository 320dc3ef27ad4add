// `emotionthinker listen` with real clients: headless Chromium running the example page
// (getUserMedia + AudioWorklet, the "microphone" a WAV of three RAVDESS clips with known pauses)
// and Node's ws client for the protocol's edges (token, bad URL, malformed messages, idle timeout,
// PCM split at odd byte offsets). Needs dist/ (npx tsc -p tsconfig.json).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { loadAudio, startListenServer } from '../src/index.js';

const root = path.resolve(__dirname, '..');
const DATA = path.resolve(root, '../shared/data/ravdess');
const CLIPS = ['03-01-03-02-01-01-05.wav', '03-01-05-02-02-01-08.wav', '03-01-06-01-01-02-11.wav'].map((f) => path.join(DATA, f));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-listen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pcm16Wav(x: Float32Array, rate: number): Buffer {
  const b = Buffer.alloc(44 + x.length * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + x.length * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(x.length * 2, 40);
  for (let i = 0; i < x.length; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i] * 32768))), 44 + 2 * i);
  return b;
}

/** Starts `emotionthinker listen` (dist/cli.js) on a free port; resolves with its URLs. */
function startCli(args: string[] = []): Promise<{ proc: ChildProcess; url: string; pageUrl: string }> {
  const proc = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'listen', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ proc, ...JSON.parse(line) });
    });
    proc.on('exit', (code) => reject(new Error(`listen exited with ${code}`)));
  });
}

describe('emotionthinker listen: the example page in headless Chromium', () => {
  let cli: Awaited<ReturnType<typeof startCli>>;
  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist', 'cli.js'))) throw new Error('build first: dist/cli.js is missing');
    cli = await startCli();
  });
  afterAll(() => {
    cli?.proc.kill('SIGINT');
  });

  it('streams the fake microphone (three clips, known pauses) and receives one utterance per clip', async () => {
    // 1 s of silence, then each clip followed by 1.5 s of silence.
    const clips = await Promise.all(CLIPS.map((f) => loadAudio(f)));
    const rate = 16000;
    const lead = rate, gap = rate * 1.5;
    const total = lead + clips.reduce((a, c) => a + c.samples.length + gap, 0);
    const x = new Float32Array(total);
    const offsets: number[] = [];
    let at = lead;
    for (const c of clips) {
      offsets.push(at / rate);
      x.set(c.samples, at);
      at += c.samples.length + gap;
    }
    // Where the energy VAD of the library finds the speech of each clip on its own (the reference).
    const wav = path.join(tmp, 'mic.wav');
    writeFileSync(wav, pcm16Wav(x, rate));
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: run scripts/setup.sh`).toBe(true);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--autoplay-policy=no-user-gesture-required', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}%noloop`],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${cli.pageUrl}?autostart=1`);
      await page.waitForFunction(() => (window as unknown as { __events: { type: string }[] }).__events.filter((e) => e.type === 'utterance').length >= 3, null, { timeout: 60_000 });
      // Let a possible extra turn (there should be none) show up.
      await page.waitForTimeout(1500);
      const events = await page.evaluate(() => (window as unknown as { __events: Record<string, unknown>[] }).__events);
      expect(errors).toEqual([]);
      expect(events[0].type).toBe('ready');
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      const utts = events.filter((e) => e.type === 'utterance') as { speechStart: number; speechEnd: number; emotion: string | null; reasoning: string }[];
      expect(utts.length).toBe(3);
      // The capture starts when getUserMedia does, so absolute times may shift by the start-up;
      // the spacing of the turns is the file's.
      const shift = utts[0].speechStart - offsets[0];
      expect(Math.abs(shift)).toBeLessThan(1);
      utts.forEach((u, i) => {
        expect(u.speechStart - shift).toBeGreaterThan(offsets[i] - 0.15);
        expect(u.speechEnd - shift).toBeLessThan(offsets[i] + clips[i].samples.length / rate + 0.15);
        expect(u.speechEnd - u.speechStart).toBeGreaterThan(0.5);
        expect(typeof u.emotion).toBe('string');
        expect(u.reasoning).toMatch(/<answer>/);
      });
      expect(events.filter((e) => e.type === 'frame').length).toBeGreaterThan(500);
      expect(await page.locator('.utt').count()).toBe(3);
    } finally {
      await browser.close();
    }
  });
});

describe('emotionthinker listen: protocol edges (ws client)', () => {
  const open = (url: string) =>
    new Promise<{ ws: WebSocket; events: Record<string, unknown>[]; closed: Promise<{ code: number; reason: string }> }>((resolve, reject) => {
      const ws = new WebSocket(url);
      const events: Record<string, unknown>[] = [];
      const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
      ws.on('message', (d, bin) => !bin && events.push(JSON.parse(d.toString())));
      ws.on('open', () => resolve({ ws, events, closed }));
      ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.on('error', (e) => reject(e));
    });
  const until = async (cond: () => boolean, ms = 20_000) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('refuses to bind beyond loopback without a token; checks the token, the rate and the path at the upgrade', async () => {
    await expect(startListenServer({ host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/token is required/) });
    const s = await startListenServer({ port: 0, token: 'sesame' });
    try {
      await expect(open(`${s.url}?rate=16000`)).rejects.toMatchObject({ status: 401 });
      await expect(open(`${s.url}?rate=16000&token=wrong!`)).rejects.toMatchObject({ status: 401 });
      await expect(open(`${s.url}?rate=abc&token=sesame`)).rejects.toMatchObject({ status: 400 });
      await expect(open(`${s.url}?rate=16000&vad=x&token=sesame`)).rejects.toMatchObject({ status: 400 });
      const c = await open(`${s.url}?rate=16000&token=sesame`);
      await until(() => c.events.length > 0);
      expect(c.events[0]).toMatchObject({ type: 'ready', sampleRate: 16000 });
      c.ws.close();
    } finally {
      await s.close();
    }
  });

  it('malformed messages get error events and the connection stays usable; PCM split at odd offsets; end flushes the turn', async () => {
    const s = await startListenServer({ port: 0 });
    try {
      const audio = await loadAudio(CLIPS[1]);
      const c = await open(`${s.url}?rate=16000&frames=0`);
      c.ws.send('not json');
      c.ws.send(JSON.stringify({ type: 'dance' }));
      c.ws.send(JSON.stringify({ type: 'ping' }));
      const bytes = pcm16Wav(audio.samples, 16000).subarray(44);
      for (let o = 0; o < bytes.length; o += 641) c.ws.send(bytes.subarray(o, Math.min(bytes.length, o + 641)));
      c.ws.send(JSON.stringify({ type: 'end' }));
      const closed = await c.closed;
      expect(closed.code).toBe(1000);
      const types = c.events.map((e) => e.type);
      expect(types.slice(0, 4)).toEqual(['ready', 'error', 'error', 'pong']);
      expect(String(c.events[1].message)).toMatch(/malformed message: text messages must be JSON/);
      expect(String(c.events[2].message)).toMatch(/unknown command "dance"/);
      expect(types.filter((t) => t === 'utterance').length).toBe(1);
      expect(types.at(-1)).toBe('end');
    } finally {
      await s.close();
    }
  });

  it('a client that stops reading loses frame events, keeps its turns, and is closed with 4001 once 8 × maxBufferedBytes wait', async () => {
    // maxBufferedBytes 4 KB: frames stop once 4 KB wait in the server's socket, the connection is
    // closed at 32 KB. The client pauses its socket (reads nothing) and sends 15 minutes of speech
    // at 8 kHz (a turn every ~3.5 s; frame events for all of it are ~10 MB, more than the kernel
    // buffers of both ends can hold, so the server's own buffer must grow). Once every byte it
    // sent has left (the server has read all but what the kernel holds), it reads again: it
    // then receives what the server buffered, and the close frame.
    const s = await startListenServer({ port: 0, maxBufferedBytes: 4096, idleSeconds: 600 });
    try {
      const clips = await Promise.all(CLIPS.map((f) => loadAudio(f, { sampleRate: 8000 })));
      const block = Buffer.concat(clips.map((c) => pcm16Wav(c.samples, 8000).subarray(44)));
      const seconds = 15 * 60;
      const c = await open(`${s.url}?rate=8000`);
      c.ws.pause();
      let sent = 0;
      while (sent < seconds * 16000) {
        const n = Math.min(block.length, seconds * 16000 - sent);
        await new Promise<void>((resolve, reject) => c.ws.send(block.subarray(0, n), (err) => (err ? reject(err) : resolve())));
        sent += n;
      }
      await until(() => c.ws.bufferedAmount === 0, 120_000);
      c.ws.resume();
      const closed = await c.closed;
      expect(closed).toEqual({ code: 4001, reason: 'client too slow' });
      const frames = c.events.filter((e) => e.type === 'frame').length;
      const ends = c.events.filter((e) => e.type === 'speech-end') as { time: number }[];
      const utts = c.events.filter((e) => e.type === 'utterance') as { speechEnd: number; emotion: unknown }[];
      // Frames were dropped, turns were not: turns went on well past the last frame received,
      // and the utterances received are those of the first turns, in order, none skipped (the
      // turns whose analysis was still running at the close have none).
      const lastFrameTime = Math.max(...(c.events.filter((e) => e.type === 'frame') as { time: number }[]).map((e) => e.time));
      console.log(`slow client: ${frames} frames (last ${lastFrameTime} s), ${ends.length} speech-ends, ${utts.length} utterances, last turn end ${ends.at(-1)?.time} s`);
      expect(frames).toBeGreaterThan(100);
      expect(utts.length).toBeGreaterThan(ends.length / 2);
      utts.forEach((u, i) => expect(u.speechEnd).toBe(ends[i].time));
      expect(ends.at(-1)!.time).toBeGreaterThan(lastFrameTime + 10);
    } finally {
      await s.close();
    }
  }, 180_000);

  it('a 10-minute chunk in one message is refused with 1009 (message above 1 MiB) and the server goes on serving', async () => {
    const s = await startListenServer({ port: 0 });
    try {
      const clip = await loadAudio(CLIPS[2]);
      const one = pcm16Wav(clip.samples, 16000).subarray(44);
      const ten = Buffer.alloc(600 * 16000 * 2);
      for (let o = 0; o + one.length <= ten.length; o += 16000 * 2 * 30) one.copy(ten, o);
      const c = await open(`${s.url}?rate=16000&frames=0`);
      c.ws.send(ten);
      const closed = await c.closed;
      expect(closed.code).toBe(1009);
      expect(c.events.filter((e) => e.type === 'utterance')).toEqual([]);
      // The same audio in messages under the limit is served: one turn per 30 s.
      const d = await open(`${s.url}?rate=16000&frames=0`);
      for (let o = 0; o < ten.length; o += 1 << 19) d.ws.send(ten.subarray(o, o + (1 << 19)));
      d.ws.send(JSON.stringify({ type: 'end' }));
      expect((await d.closed).code).toBe(1000);
      expect(d.events.filter((e) => e.type === 'utterance').length).toBe(20);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('a silent client is closed after the idle timeout; a client gone mid-utterance leaves the server serving', async () => {
    const s = await startListenServer({ port: 0, idleSeconds: 0.5 });
    try {
      const c = await open(`${s.url}?rate=8000`);
      const closed = await c.closed;
      expect(closed).toEqual({ code: 4000, reason: 'idle timeout' });
      expect(c.events.some((e) => e.type === 'error' && /idle timeout/.test(String(e.message)))).toBe(true);
      // Disconnect in the middle of speech, then a new client is served normally.
      const audio = await loadAudio(CLIPS[0]);
      const d = await open(`${s.url}?rate=16000`);
      const bytes = pcm16Wav(audio.samples, 16000).subarray(44);
      d.ws.send(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      d.ws.terminate();
      const e = await open(`${s.url}?rate=16000&frames=0`);
      for (let o = 0; o < bytes.length; o += 640) e.ws.send(bytes.subarray(o, o + 640));
      e.ws.send(JSON.stringify({ type: 'end' }));
      await e.closed;
      expect(e.events.filter((x) => x.type === 'utterance').length).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('handshakes ws refuses give their slot back (they kept it: then every client was a 503); idleSeconds past setTimeout is refused', async () => {
    const s = await startListenServer({ port: 0, maxConnections: 2 });
    try {
      const { port } = new URL(s.url);
      for (let i = 0; i < 5; i++) {
        // An upgrade without Sec-WebSocket-Key: ws answers 400 and closes the socket.
        const reply = await new Promise<string>((resolve) => {
          const sock = net.connect(Number(port), '127.0.0.1', () => sock.write('GET /stream?rate=16000 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n'));
          let got = '';
          sock.on('data', (d) => (got += d));
          sock.on('close', () => resolve(got));
        });
        expect(reply).toMatch(/^HTTP\/1\.1 400/);
      }
      const a = await open(`${s.url}?rate=16000`);
      const b = await open(`${s.url}?rate=16000`);
      await expect(open(`${s.url}?rate=16000`)).rejects.toMatchObject({ status: 503 });
      a.ws.close();
      await a.closed;
      const c = await open(`${s.url}?rate=16000`);
      b.ws.close(), c.ws.close();
    } finally {
      await s.close();
    }
    await expect(startListenServer({ port: 0, idleSeconds: 2147484 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/at most 2147483 s/) });
  });

  it('SIGTERM (and Ctrl-C) close the CLI server: clients hear 1001 "server shutting down" and the process exits 0', async () => {
    const { proc, url } = await startCli();
    const c = await open(`${url}?rate=16000`);
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await c.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await exited).toBe(0);
  });
});
