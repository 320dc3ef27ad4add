// `emotionthinker serve` (issue #17 §2): the real server started through the CLI, called over
// HTTP and through the Python shims (integrations/python, standard library only) with python3.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { groupAdvantages, loadAudio, ptrRewards, verifyReasoning } from '../src/index.js';
import { makeWav } from './helpers/wav.js';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const RAVDESS = path.resolve(root, '../shared/data/ravdess');
const ANGRY = '03-01-05-02-01-01-01.wav';
const SAD = '03-01-04-01-01-01-02.wav';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-serve-'));
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Server {
  url: string;
  proc: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function start(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const proc = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], { env: { ...process.env, ...env } });
  children.push(proc);
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(JSON.parse(line).listening);
    });
    exited.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { url, proc, stderr: () => err, exited };
}

async function stop(s: Server): Promise<number | null> {
  s.proc.kill('SIGTERM');
  return s.exited;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, any> };
}

/** A voiced synthetic clip: a harmonic tone with a slow pitch glide and syllable-rate loudness. */
function voiced(seconds: number): Uint8Array {
  const sr = 16000;
  const x = new Float32Array(sr * seconds);
  let phase = 0;
  for (let i = 0; i < x.length; i++) {
    const t = i / sr;
    const f0 = 140 + 30 * Math.sin(2 * Math.PI * 0.3 * t);
    phase += (2 * Math.PI * f0) / sr;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    x[i] = 0.2 * env * (Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase));
  }
  return makeWav(x);
}
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

const GOOD = '<think>The speaker is shouting with a high pitch and a fast tempo.</think><answer>angry</answer>';
const RESPONSES = [
  GOOD,
  '<think>The pitch is low and the voice is quiet.</think><answer>sad</answer>',
  'Answer: anger',
  '<think>Loud.</think><answer>angry</answer> trailing',
  '',
  '<think>No cue.</think><answer>bored</answer>',
  '<think>The intonation rises.</think><answer>happy</answer>',
  '<think>The pitch is not high at all.</think><answer>angry</answer>',
];

describe('emotionthinker serve', () => {
  it('/get_reward (OpenRLHF form) and /v1/rewards match the library, and the gate survives a restart', async () => {
    const state = path.join(tmp, 'gates.json');
    const s = await start(['--audio-root', RAVDESS, '--state', state, '--gate-window', '2', '--gate-threshold', '0.5']);
    const health = await (await fetch(`${s.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', inFlight: 0 });

    const angryBytes = new Uint8Array(readFileSync(path.join(RAVDESS, ANGRY)));
    const prompt = '<|user|>What emotion? <|assistant|>';
    const r = await post(`${s.url}/get_reward`, {
      query: [prompt + GOOD, RESPONSES[1], RESPONSES[2]],
      prompts: [prompt, '', ''],
      labels: [{ audio: ANGRY, emotion: 'angry' }, JSON.stringify({ audio: b64(angryBytes), emotion: 'angry' }), { audio: path.join(RAVDESS, SAD), emotion: 'sad' }],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const want = [
      await verifyReasoning(path.join(RAVDESS, ANGRY), GOOD, { emotion: 'angry' }),
      await verifyReasoning(path.join(RAVDESS, ANGRY), RESPONSES[1], { emotion: 'angry' }),
      await verifyReasoning(path.join(RAVDESS, SAD), RESPONSES[2], { emotion: 'sad' }),
    ];
    expect(r.json.rewards).toEqual(want.map((w) => w.reward));
    expect(r.json.scores).toEqual(r.json.rewards);
    expect(r.json.extra_logs.fa).toEqual(want.map((w) => w.scores.fa));
    // The path and the base64 copy of the same clip share one cache entry.
    const h2 = await (await fetch(`${s.url}/health`)).json();
    expect(h2.cache.entries).toBe(2);

    let base = s.url;
    const group = (run: string) => post(`${base}/v1/rewards`, { run, audio: ANGRY, emotion: 'angry', responses: RESPONSES });
    const g1 = await group('exp');
    expect(g1.status, JSON.stringify(g1.json)).toBe(200);
    const rewards = g1.json.responses.map((x: { reward: number }) => x.reward);
    expect(g1.json.advantages).toEqual(Array.from(groupAdvantages(rewards, RESPONSES.length)));
    expect(g1.json.reasoningEnabled).toBe(false);
    for (const x of g1.json.responses) expect(x.reward).toBeCloseTo(0.3 * x.format + 1.0 * x.outcome, 12);
    expect(g1.json.responses[0]).toMatchObject({ label: 'angry', format: 1, outcome: 1 });
    expect(g1.json.responses[4]).toMatchObject({ answer: null, label: null, format: 0, outcome: 0, fs: 1 });
    const acc = g1.json.responses.filter((x: { outcome: number }) => x.outcome).length / RESPONSES.length;
    expect(acc).toBe(0.5); // four of the eight answers are right: the gate (threshold 0.5, window 2) opens after step 2
    expect(g1.json.gate).toMatchObject({ step: 1, history: [acc] });
    const g2 = await group('exp');
    expect(g2.json.reasoningEnabled).toBe(false); // the gate decides from the steps before this one
    expect(g2.json.gate.open).toBe(true);
    expect(await stop(s)).toBe(0);

    const saved = JSON.parse(readFileSync(state, 'utf8'));
    expect(saved.runs.exp.gate.step).toBe(2);
    const s2 = await start(['--audio-root', RAVDESS, '--state', state, '--gate-window', '2']);
    base = s2.url;
    const g3 = await group('exp');
    expect(g3.json.gate.step).toBe(3);
    expect(g3.json.reasoningEnabled).toBe(true);
    for (const x of g3.json.responses) {
      expect(x.trust).toBe(g3.json.trust);
      expect(x.gatedReasoningReward).toBeCloseTo(g3.json.trust * x.reasoningReward, 12);
      expect(x.reward).toBeCloseTo(0.3 * x.format + x.outcome + 0.5 * x.gatedReasoningReward, 12);
    }
    // Another run has its own gate.
    expect((await group('other')).json.gate.step).toBe(1);
    expect(await stop(s2)).toBe(0);
  });

  it('rewards do not follow the recording gain: the same clip at −20 dB and +10 dB (float WAV) gets equal rewards', async () => {
    // Energy claims are judged by the vocal effort (issue #16), not the absolute level; before,
    // "loud" on the +10 dB copy and "quiet" on the −20 dB copy of one clip were both "true".
    const { samples } = await loadAudio(path.join(RAVDESS, SAD), { sampleRate: 16000, mono: true });
    let peak = 0;
    for (const v of samples) peak = Math.max(peak, Math.abs(v));
    expect(peak * 10 ** (10 / 20)).toBeLessThan(1); // no clipping at +10 dB
    const copy = (db: number) => b64(makeWav(samples.map((v) => v * 10 ** (db / 20)), { format: 'f32' }));
    const [quiet, loud] = [copy(-20), copy(10)];
    const texts = [
      '<think>The voice is loud and the pitch is high.</think><answer>angry</answer>',
      '<think>She speaks quietly, with low energy and a slow pace.</think><answer>sad</answer>',
      '<think>The intensity is normal.</think><answer>sad</answer>',
      '<think>High energy, shouting.</think><answer>sad</answer>',
    ];
    // Window 1, threshold 0: the gate opens after each run's first step, so the second step's
    // rewards carry the reasoning term that the energy verdicts enter.
    const s = await start(['--audio-root', RAVDESS, '--gate-window', '1', '--gate-threshold', '0']);
    const group = async (run: string, audio: string) => {
      await post(`${s.url}/v1/rewards`, { run, audio, emotion: 'sad', responses: texts });
      const g = await post(`${s.url}/v1/rewards`, { run, audio, emotion: 'sad', responses: texts, claims: true });
      expect(g.status, JSON.stringify(g.json)).toBe(200);
      expect(g.json.reasoningEnabled).toBe(true);
      return g.json;
    };
    const gq = await group('quiet', quiet);
    const gl = await group('loud', loud);
    const rewardsOf = (g: Record<string, any>) => g.responses.map((x: { reward: number }) => x.reward);
    expect(rewardsOf(gl)).toEqual(rewardsOf(gq));
    expect(gl.advantages).toEqual(gq.advantages);
    const verdicts = (g: Record<string, any>) => g.responses.map((x: any) => x.claims.map((c: any) => `${c.cue}=${c.value}:${c.verdict}`));
    expect(verdicts(gl)).toEqual(verdicts(gq));
    for (const x of gl.responses) for (const c of x.claims.filter((c: any) => c.cue === 'energy')) expect(c.measurement.name).toBe('effortDb');
    // The energy verdicts do move the reward: "loud" and "quiet" are not both supported.
    expect(gq.responses[0].fa).not.toBe(gq.responses[1].fa);

    const r = await post(`${s.url}/get_reward`, { query: [...texts, ...texts], labels: [...texts.map(() => ({ audio: quiet, emotion: 'sad' })), ...texts.map(() => ({ audio: loud, emotion: 'sad' }))] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.rewards.slice(texts.length)).toEqual(r.json.rewards.slice(0, texts.length));
    // The same again, now from the cache: the cached measurement is the one computed (effort included).
    const again = await post(`${s.url}/get_reward`, { query: texts, labels: texts.map(() => ({ audio: loud, emotion: 'sad' })) });
    expect(again.json.rewards).toEqual(r.json.rewards.slice(0, texts.length));
    const h = await (await fetch(`${s.url}/health`)).json();
    expect(h.cache).toMatchObject({ entries: 2, misses: 2 });
    expect(await stop(s)).toBe(0);
  });

  it('the prosody cache is bounded by bytes, and groups of one step are pooled before the gate moves', async () => {
    const s = await start(['--audio-root', RAVDESS, '--cache-bytes', '3000', '--gate-window', '1', '--gate-threshold', '0.75']);
    const health = async () => (await fetch(`${s.url}/health`)).json();
    const one = (audio: string, step: number, responses: string[]) => post(`${s.url}/v1/rewards`, { run: 'steps', step, audio, emotion: 'angry', responses });
    // Step 0: two groups, accuracies 1/2 and 2/2 → pooled 3/4 ≥ 0.75 once step 1 arrives.
    const a = await one(ANGRY, 0, [GOOD, RESPONSES[1]]);
    expect(a.json.gate.step).toBe(0);
    expect((await health()).cache).toMatchObject({ entries: 1, misses: 1 });
    const b = await one(SAD, 0, [GOOD, GOOD]);
    expect(b.json.reasoningEnabled).toBe(false);
    const h = await health();
    // One measurement is ~1–2 KB of JSON: a 3000-byte cache keeps one clip, so the first was evicted.
    expect(h.cache.entries).toBe(1);
    expect(h.cache.bytes).toBeLessThanOrEqual(3000);
    await one(ANGRY, 0, [GOOD]);
    expect((await health()).cache.misses).toBe(3);
    const c = await one(ANGRY, 1, [RESPONSES[1]]);
    expect(c.json.gate).toMatchObject({ step: 1, history: [4 / 5], open: true });
    expect(c.json.reasoningEnabled).toBe(true);
    expect(await stop(s)).toBe(0);
  });

  it('responses already read are kept per text (bounded by bytes) and score the same about any clip', async () => {
    const s = await start(['--audio-root', RAVDESS, '--text-cache-bytes', '3000']);
    const health = async () => (await fetch(`${s.url}/health`)).json();
    const texts = [GOOD, GOOD, RESPONSES[1], GOOD];
    const a = await post(`${s.url}/v1/rewards`, { audio: ANGRY, emotion: 'angry', responses: texts, claims: true });
    // GOOD was read once and found again twice; the other text once.
    expect((await health()).textCache).toMatchObject({ entries: 2, hits: 2, misses: 2 });
    // The same texts about another clip: read from the cache, judged against that clip's measurements.
    const b = await post(`${s.url}/v1/rewards`, { audio: SAD, emotion: 'sad', responses: texts, claims: true });
    expect((await health()).textCache).toMatchObject({ hits: 6, misses: 2 });
    for (const [r, file, emotion] of [[a, ANGRY, 'angry'], [b, SAD, 'sad']] as const) {
      for (const [i, t] of texts.entries()) {
        const want = await verifyReasoning(path.join(RAVDESS, file), t, { emotion });
        expect(r.json.responses[i].claims).toEqual(JSON.parse(JSON.stringify(want.claims)));
        expect([r.json.responses[i].fa, r.json.responses[i].cc, r.json.responses[i].iq, r.json.responses[i].fs]).toEqual([want.scores.fa, want.scores.cc, want.scores.iq, want.scores.fs]);
      }
    }
    // Bounded: long distinct texts push the older entries out.
    const long = Array.from({ length: 4 }, (_, i) => `<think>The pitch is high. ${'Nothing else. '.repeat(40)} Take ${i}.</think><answer>angry</answer>`);
    await post(`${s.url}/v1/rewards`, { audio: ANGRY, emotion: 'angry', responses: long });
    const h = await health();
    expect(h.textCache.bytes).toBeLessThanOrEqual(3000);
    expect(h.textCache.entries).toBeLessThan(6);
    await post(`${s.url}/v1/rewards`, { audio: ANGRY, emotion: 'angry', responses: [GOOD] });
    expect((await health()).textCache.misses).toBe(2 + 4 + 1);
    expect(await stop(s)).toBe(0);
  });

  it('a clip replaced in place under the same name is measured again once the path memo (1 s) has expired', async () => {
    const root = mkdtempSync(path.join(tmp, 'memo-'));
    const clip = path.join(root, 'clip.wav');
    writeFileSync(clip, readFileSync(path.join(RAVDESS, ANGRY)));
    const s = await start(['--audio-root', root]);
    const ask = async () => (await post(`${s.url}/v1/rewards`, { audio: 'clip.wav', emotion: 'angry', responses: [GOOD], claims: true })).json.responses[0].claims;
    const first = await ask();
    expect(first).toEqual(JSON.parse(JSON.stringify((await verifyReasoning(path.join(RAVDESS, ANGRY), GOOD)).claims)));
    writeFileSync(clip, readFileSync(path.join(RAVDESS, SAD)));
    await new Promise((r) => setTimeout(r, 1200));
    const second = await ask();
    expect(second).toEqual(JSON.parse(JSON.stringify((await verifyReasoning(path.join(RAVDESS, SAD), GOOD)).claims)));
    expect(second).not.toEqual(first);
    expect((await (await fetch(`${s.url}/health`)).json()).cache.misses).toBe(2);
    expect(await stop(s)).toBe(0);
  });

  it('security: loopback by default, a token beyond it (401), audio roots (403), body limit (413)', async () => {
    const corrupt = path.join(tmp, 'corrupt-gates.json');
    writeFileSync(corrupt, '{"format": "emotionthinker-gates", "version": 1, "runs": {"r": {"gate": {"version": 1}, "step": null, "correct": 0, "total": 0}}}');
    const bad = spawnSync(process.execPath, [cli, 'serve', '--port', '0', '--state', corrupt], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/corrupt-gates\.json: run "r": .*\[ERR_MODEL_FORMAT\]/);
    const refused = spawnSync(process.execPath, [cli, 'serve', '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8', env: { ...process.env, EMOTIONTHINKER_TOKEN: '' } });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/binding to 0\.0\.0\.0 .* needs a token .*\[ERR_INVALID_ARG\]/);

    const outside = mkdtempSync(path.join(tmp, 'outside-'));
    writeFileSync(path.join(outside, 'secret.wav'), readFileSync(path.join(RAVDESS, ANGRY)));
    const audioRoot = mkdtempSync(path.join(tmp, 'root-'));
    writeFileSync(path.join(audioRoot, 'ok.wav'), readFileSync(path.join(RAVDESS, ANGRY)));
    symlinkSync(path.join(outside, 'secret.wav'), path.join(audioRoot, 'link.wav'));
    const s = await start(['--host', '0.0.0.0', '--audio-root', audioRoot, '--body-limit', '20000'], { EMOTIONTHINKER_TOKEN: 'sekrit-token' });
    const url = s.url.replace('0.0.0.0', '127.0.0.1');
    const body = { query: ['x'], labels: [{ audio: 'ok.wav', emotion: 'angry' }] };
    const none = await post(`${url}/get_reward`, body);
    expect(none.status).toBe(401);
    expect(none.json.error).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/Authorization: Bearer/) });
    expect((await post(`${url}/get_reward`, body, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await fetch(`${url}/health`)).status).toBe(401);
    const auth = { authorization: 'Bearer sekrit-token' };
    expect((await post(`${url}/get_reward`, body, auth)).status).toBe(200);
    for (const audio of ['../outside/secret.wav', path.join(outside, 'secret.wav'), 'link.wav', 'sub/../../x.wav']) {
      const r = await post(`${url}/get_reward`, { query: ['x'], labels: [{ audio, emotion: 'angry' }] }, auth);
      expect(r.status, audio).toBe(403);
      expect(r.json.error.message).toMatch(/labels\[0\]\.audio/);
    }
    const missing = await post(`${url}/get_reward`, { query: ['x'], labels: [{ audio: 'nope.wav' }] }, auth);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('ERR_FILE');
    const big = await post(`${url}/get_reward`, { query: ['x'.repeat(30000)], labels: [{ audio: 'ok.wav' }] }, auth);
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('ERR_INVALID_ARG');
    expect(await stop(s)).toBe(0);
  });

  it('a burst of mixed bad requests, then a good one: the server stays up', async () => {
    const s = await start(['--audio-root', RAVDESS, '--body-limit', String(16 * 1024 * 1024)]);
    const silence = b64(makeWav(new Float32Array(16000)));
    const bads: [unknown, number][] = [
      ['{not json', 400],
      [[], 400],
      [{ query: 'x', labels: [] }, 400],
      [{ query: ['a', 'b'], labels: [{ audio: ANGRY }] }, 400],
      [{ query: ['a'], prompts: ['p', 'q'], labels: [{ audio: ANGRY }] }, 400],
      [{ query: [42], labels: [{ audio: ANGRY }] }, 400],
      [{ query: ['a'], labels: ['not json'] }, 400],
      [{ query: ['a'], labels: [{ audio: 7 }] }, 400],
      [{ query: ['a'], labels: [{ audio: 'missing.wav' }] }, 404],
      [{ query: ['a'], labels: [{ audio: 'base64:' + Buffer.from('garbage bytes, not audio').toString('base64') }] }, 422],
      [{ query: ['a'], labels: [{ audio: '/etc/passwd' }] }, 403],
    ];
    const results = await Promise.all(bads.map(([b]) => post(`${s.url}/get_reward`, b as object)));
    results.forEach((r, i) => {
      expect(r.status, JSON.stringify(bads[i][0]).slice(0, 80)).toBe(bads[i][1]);
      expect(typeof r.json.error.code).toBe('string');
    });
    const groupBads = await Promise.all([
      post(`${s.url}/v1/rewards`, { audio: ANGRY, responses: ['x'] }),
      post(`${s.url}/v1/rewards`, { audio: ANGRY, emotion: 'angry', responses: [] }),
      post(`${s.url}/v1/rewards`, { audio: ANGRY, emotion: 'angry', responses: ['x'], mode: 'nonsense' }),
      post(`${s.url}/v1/rewards`, { audio: ANGRY, emotion: 'angry', responses: ['x'], step: -1 }),
      fetch(`${s.url}/nowhere`).then(async (r) => ({ status: r.status, json: await r.json() })),
    ]);
    expect(groupBads.map((r) => r.status)).toEqual([400, 400, 400, 400, 404]);
    expect(groupBads[2].json.error.message).toMatch(/mode/);
    // Silence is a clear result: every claim unverifiable.
    const sil = await post(`${s.url}/v1/rewards`, { audio: silence, emotion: 'angry', responses: [GOOD], claims: true });
    expect(sil.status).toBe(200);
    expect(sil.json.responses[0].claims.every((c: { verdict: string }) => c.verdict === 'unverifiable')).toBe(true);
    // 2 MB of text in one request (scored with turns of the event loop in between): answered, and the server still serves others.
    const heavy = post(`${s.url}/v1/rewards`, { audio: ANGRY, emotion: 'angry', responses: Array.from({ length: 8 }, () => 'The pitch is high and the pace is slow. '.repeat(6_000)) });
    const during = await fetch(`${s.url}/health`);
    expect(during.status).toBe(200);
    const heavyDone = await heavy;
    expect(heavyDone.status).toBe(200);
    expect(heavyDone.json.responses).toHaveLength(8);
    const tooLong = await post(`${s.url}/v1/rewards`, { audio: ANGRY, emotion: 'angry', responses: ['ok', 'x'.repeat(262_145)] });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error.message).toMatch(/^responses\[1\]: text is 262145 characters; at most 262144/);
    const good = await post(`${s.url}/get_reward`, { query: [GOOD], labels: [{ audio: ANGRY, emotion: 'angry' }] });
    expect(good.status).toBe(200);
    expect(good.json.rewards).toHaveLength(1);
    expect(await stop(s)).toBe(0);
  });

  it('429 when saturated, 504 past the deadline, and SIGTERM drains in-flight requests', async () => {
    const s = await start(['--max-concurrent', '1']);
    const long = b64(voiced(115));
    const slow = post(`${s.url}/v1/rewards`, { audio: long, emotion: 'angry', responses: [GOOD] });
    for (let i = 0; i < 2000; i++) {
      const h = await (await fetch(`${s.url}/health`)).json();
      if (h.inFlight === 1) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    const busy = await post(`${s.url}/v1/rewards`, { audio: long, emotion: 'angry', responses: [GOOD] });
    expect(busy.status).toBe(429);
    expect(busy.json.error.message).toMatch(/limit/);
    // SIGTERM while the slow request runs: it still completes, then the process exits 0.
    s.proc.kill('SIGTERM');
    const done = await slow;
    expect(done.status).toBe(200);
    expect(await s.exited).toBe(0);
    // Past the deadline while working: the clip is named by path (a body of a few bytes, received
    // at once, so the 408 of a body not received in time cannot come first on a loaded machine).
    const longDir = mkdtempSync(path.join(tmp, 'long-'));
    writeFileSync(path.join(longDir, 'long.wav'), voiced(90));
    const t = await start(['--timeout-ms', '20', '--audio-root', longDir]);
    const late = await post(`${t.url}/v1/rewards`, { audio: 'long.wav', emotion: 'angry', responses: [GOOD] });
    expect(late.status).toBe(504);
    expect(late.json.error).toMatchObject({ code: 'ABORT_ERR', message: expect.stringMatching(/longer than 20 ms/) });
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    expect(await stop(t)).toBe(0);
  });

  it('clients that leave mid-upload or mid-work free their slot; a trickled body is a 408 in the error shape; an unknown reference emotion is a 400', async () => {
    const s = await start(['--max-concurrent', '2', '--timeout-ms', '1500']);
    const { port } = new URL(s.url);
    const raw = (text: string) => {
      const sock = net.connect(Number(port), '127.0.0.1');
      sock.write(text);
      return sock;
    };
    const health = async () => (await (await fetch(`${s.url}/health`)).json()) as { inFlight: number };
    // Three uploads cut off mid-body: before, each kept its slot and every later POST was a 429.
    for (let i = 0; i < 3; i++) {
      const sock = raw('POST /v1/rewards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"audio":');
      await new Promise((r) => setTimeout(r, 150));
      sock.destroy();
    }
    // A whole slow request whose client leaves before the answer.
    const body = JSON.stringify({ audio: b64(voiced(100)), emotion: 'angry', responses: [GOOD] });
    const gone = raw(`POST /v1/rewards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await new Promise((r) => setTimeout(r, 200));
    gone.destroy();
    // Two requests pipelined on one socket, the client gone before either answer: the queued one
    // never gets its own close (its slot leaked until the socket's close released it too). Each
    // names a long clip by path, so both are in flight at once.
    const pipeDir = mkdtempSync(path.join(tmp, 'pipe-'));
    writeFileSync(path.join(pipeDir, 'a.wav'), voiced(60));
    writeFileSync(path.join(pipeDir, 'b.wav'), voiced(61));
    const p = await start(['--max-concurrent', '4', '--audio-root', pipeDir]);
    const pport = Number(new URL(p.url).port);
    const request = (clip: string) => {
      const b = JSON.stringify({ audio: clip, emotion: 'angry', responses: [GOOD] });
      return `POST /v1/rewards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`;
    };
    const pHealth = async () => (await (await fetch(`${p.url}/health`)).json()) as { inFlight: number };
    const piped = net.connect(pport, '127.0.0.1');
    piped.write(request('a.wav') + request('b.wav'));
    for (let i = 0; i < 500 && (await pHealth()).inFlight < 2; i++) await new Promise((r) => setTimeout(r, 5));
    piped.destroy();
    for (let i = 0; i < 400 && (await pHealth()).inFlight > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await pHealth()).inFlight).toBe(0);
    expect(await stop(p)).toBe(0);
    for (let i = 0; i < 200 && (await health()).inFlight > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await health()).inFlight).toBe(0);
    const both = await Promise.all([1, 2].map(() => post(`${s.url}/v1/rewards`, { audio: b64(voiced(2)), emotion: 'angry', responses: [GOOD] })));
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    const ok = await post(`${s.url}/v1/rewards`, { audio: b64(voiced(2)), emotion: 'angry', responses: [GOOD] });
    expect(ok.status).toBe(200);
    // A body trickled a byte at a time: answered 408 in {error: {code, message, status}} at the deadline.
    const trickle = raw('POST /v1/rewards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n');
    const drip = setInterval(() => trickle.write(' '), 200);
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      trickle.on('data', (d) => (got += d));
      trickle.on('close', () => resolve(got));
    });
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error).toMatchObject({ status: 408, message: expect.stringMatching(/not received within 1500 ms/) });
    expect((await health()).inFlight).toBe(0);
    // The reference emotion: a form of a label is that label ("anger" for angry); anything else is named.
    const clip = b64(voiced(2));
    const byForm = await post(`${s.url}/v1/rewards`, { audio: clip, emotion: 'Anger', responses: [GOOD] });
    const byLabel = await post(`${s.url}/v1/rewards`, { audio: clip, emotion: 'angry', responses: [GOOD] });
    expect(byForm.status).toBe(200);
    expect(byForm.json.rewards).toEqual(byLabel.json.rewards);
    const unknown = await post(`${s.url}/v1/rewards`, { audio: clip, emotion: 'zzz', responses: [GOOD] });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toMatch(/reference emotion "zzz" is not one of the labels/);
    expect(await stop(s)).toBe(0);
  });

  it('a client that never reads its answer loses its connection once the answer has had the deadline plus 10 s to leave; its slot comes back', async () => {
    const s = await start(['--max-concurrent', '1', '--timeout-ms', '500']);
    const { port } = new URL(s.url);
    // A Python client with a 4 KB receive buffer posts a group whose answer (every claim of 4096
    // responses) is megabytes, and never reads it; it reports when the server cuts it.
    const clip = path.join(tmp, 'noread.wav');
    writeFileSync(clip, voiced(2));
    const script = `
import socket, json, base64, sys, time
text = "<think>The pitch is high, the voice is loud, the pace is fast and the intonation rises at the end.</think><answer>anger</answer>"
body = json.dumps({"audio": "base64:" + base64.b64encode(open(sys.argv[2], "rb").read()).decode(), "emotion": "angry", "claims": True, "responses": [text + " " * (i % 7) for i in range(4096)]}).encode()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096); s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/rewards HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
t0 = time.time()
time.sleep(30)
print("still open after 30 s")
`;
    const client = spawn('python3', ['-c', script, port, clip]);
    const health = async () => (await (await fetch(`${s.url}/health`)).json()) as { inFlight: number };
    for (let i = 0; i < 300 && (await health()).inFlight === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await health()).inFlight).toBe(1);
    // Before: held for as long as the client stayed. Now: released within the deadline + 10 s.
    for (let i = 0; i < 100 && (await health()).inFlight > 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect((await health()).inFlight).toBe(0);
    expect((await post(`${s.url}/v1/rewards`, { audio: b64(voiced(2)), emotion: 'angry', responses: [GOOD] })).status).toBe(200);
    client.kill();
    expect(await stop(s)).toBe(0);
  }, 60_000);

  it('--state: an unwritable location fails the start (it crashed at the first gate write); a run named __proto__ is saved and restored', async () => {
    const nowhere = path.join(tmp, 'no-such-dir', 'gates.json');
    const r = spawnSync(process.execPath, [cli, 'serve', '--port', '0', '--state', nowhere], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${nowhere}: the output directory ${path.dirname(nowhere)} does not exist (ENOENT) [ERR_FILE]`);
    expect(r.stdout).toBe('');
    const state = path.join(tmp, 'proto-gates.json');
    const s = await start(['--state', state]);
    const clip = b64(voiced(2));
    for (const run of ['__proto__', 'exp1']) expect((await post(`${s.url}/v1/rewards`, { run, audio: clip, emotion: 'angry', responses: [GOOD] })).status).toBe(200);
    expect(await stop(s)).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(state, 'utf8')).runs).sort()).toEqual(['__proto__', 'exp1']);
    const again = await start(['--state', state]);
    const h = (await (await fetch(`${again.url}/health`)).json()) as { runs: number };
    expect(h.runs).toBe(2);
    const next = await post(`${again.url}/v1/rewards`, { run: '__proto__', audio: clip, emotion: 'angry', responses: [GOOD] });
    expect(next.json.gate.step).toBe(2);
    expect(await stop(again)).toBe(0);
  });

  it('/get_reward with a run: the gate and per-group trust apply (OpenRLHF URL ?run=, TRL shim with trainer_state), and survive a restart', async () => {
    const state = path.join(tmp, 'gates-get-reward.json');
    const args = ['--audio-root', RAVDESS, '--state', state, '--gate-window', '1', '--gate-threshold', '0.5'];
    const s = await start(args);
    // One batch of two interleaved groups: prompt A about the angry clip, prompt B about the sad one.
    const A = '<|user|>A? <|assistant|>';
    const B = '<|user|>B? <|assistant|>';
    const items: [string, string, string, string][] = [
      [A, GOOD, ANGRY, 'angry'],
      [B, RESPONSES[1], SAD, 'sad'],
      [A, RESPONSES[1], ANGRY, 'angry'],
      [B, RESPONSES[7], SAD, 'sad'],
      [A, RESPONSES[3], ANGRY, 'angry'],
    ];
    const body = { query: items.map(([p, r]) => p + r), prompts: items.map(([p]) => p), labels: items.map(([, , audio, emotion]) => JSON.stringify({ audio, emotion })) };
    const script = `
import json, os, sys, urllib.request
sys.path.insert(0, ${JSON.stringify(path.join(root, 'integrations', 'python'))})
from emotionthinker_reward import trl_reward, compute_score
url = os.environ["EMOTIONTHINKER_URL"]
def openrlhf(route, body):
    # What OpenRLHF's remote reward model does: POST {query, prompts, labels} as JSON to --remote_rm_url.
    req = urllib.request.Request(url + route, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
body = json.loads(sys.argv[1])
out = {"plain": openrlhf("/get_reward", body), "r1": openrlhf("/get_reward?run=rl", body), "r2": openrlhf("/get_reward?run=rl", body)}
class State:
    def __init__(self, step):
        self.global_step = step
kw = dict(completions=[${JSON.stringify(GOOD)}, ${JSON.stringify(RESPONSES[1])}], audio=[${JSON.stringify(ANGRY)}] * 2, emotion=["angry"] * 2, prompts=["p", "p"], run="trl")
out["t0a"] = trl_reward(trainer_state=State(0), **kw)
out["t0b"] = trl_reward(trainer_state=State(0), **kw)
out["t1"] = trl_reward(trainer_state=State(1), **kw)
# verl: run and step in extra_info; a second step sees the first one's accuracy (1/1).
out["v0"] = compute_score("ravdess", ${JSON.stringify(GOOD)}, "angry", {"audio": ${JSON.stringify(ANGRY)}, "run": "verl", "step": 0})
out["v1"] = compute_score("ravdess", ${JSON.stringify(GOOD)}, "angry", {"audio": ${JSON.stringify(ANGRY)}, "run": "verl", "step": 1})
print(json.dumps(out))
`;
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const py = spawnSync(python, ['-c', script, JSON.stringify(body)], { encoding: 'utf8', env: { ...process.env, EMOTIONTHINKER_URL: s.url } });
    expect(py.status, py.stderr).toBe(0);
    const out = JSON.parse(py.stdout);
    const parts = (r: { extra_logs: Record<string, number[]> }) => r.extra_logs;
    // The same scores with and without a run; only the combination differs.
    expect(parts(out.r1).fa).toEqual(parts(out.plain).fa);
    // Without a run: τ = 1 and the reasoning term on, as before.
    expect(out.plain.run).toBeUndefined();
    // First batch of run "rl": the gate has seen nothing, so the reasoning term is off.
    expect(out.r1).toMatchObject({ run: 'rl', step: null, reasoningEnabled: false, gate: { step: 1 } });
    const l = parts(out.r1);
    out.r1.rewards.forEach((r: number, i: number) => expect(r).toBeCloseTo(0.3 * l.format[i] + l.outcome[i], 12));
    expect(out.r1.rewards).not.toEqual(out.plain.rewards);
    expect(l.reasoning_enabled).toEqual([0, 0, 0, 0, 0]);
    // The batch accuracy (3 of 5) opened the gate (threshold 0.5, window 1): the second batch has the
    // reasoning term, with the trust of each response's own group (A: items 0, 2, 4; B: items 1, 3).
    const acc = l.outcome.reduce((a, b) => a + b, 0) / 5;
    expect(acc).toBe(0.6);
    expect(out.r1.gate).toMatchObject({ history: [acc], open: true });
    expect(out.r2.reasoningEnabled).toBe(true);
    const order = [0, 2, 4, 1, 3];
    const judge = order.flatMap((i) => [l.fa[i], l.iq[i], l.cc[i], l.fs[i]]);
    const want = ptrRewards({ correct: order.map((i) => l.outcome[i]), format: order.map((i) => l.format[i]), judgeScores: judge, groups: [0, 3, 5] }, { reasoningEnabled: true });
    order.forEach((i, k) => {
      expect(out.r2.rewards[i]).toBeCloseTo(want.reward[k], 12);
      expect(out.r2.extra_logs.trust[i]).toBeCloseTo(want.trust[k < 3 ? 0 : 1], 12);
    });
    // With the gate open and trust 1 the reward is the plain one (the reasoning term at full weight).
    if (want.trust[0] === 1 && want.trust[1] === 1) expect(out.r2.rewards).toEqual(out.plain.rewards);
    // TRL: two batches of step 0 are pooled (gate closed for both), step 1 sees the pooled accuracy (1/2 ≥ 0.5).
    expect(out.t0a).toEqual(out.t0b);
    expect(out.t0a).toEqual([0.3 * 1 + 1, 0.3 * 1 + 0]);
    const two = (await post(`${s.url}/get_reward`, { query: [GOOD, RESPONSES[1]], labels: [{ audio: ANGRY, emotion: 'angry' }, { audio: ANGRY, emotion: 'angry' }] })).json.extra_logs;
    const t1 = ptrRewards({ correct: two.outcome, format: two.format, judgeScores: [0, 1].flatMap((i) => [two.fa[i], two.iq[i], two.cc[i], two.fs[i]]), groups: 2 }, { reasoningEnabled: true });
    out.t1.forEach((r: number, i: number) => expect(r).toBeCloseTo(t1.reward[i], 12));
    expect(out.t1[0]).toBeGreaterThan(out.t0a[0]);
    expect(out.v0).toBe(0.3 + 1);
    // Step 1 with the gate open: a group of one (τ = 1) gets the plain reward, reasoning term included.
    expect(out.v1).toBe((await post(`${s.url}/get_reward`, { query: [GOOD], labels: [{ audio: ANGRY, emotion: 'angry' }] })).json.rewards[0]);
    expect(out.v1).toBeGreaterThan(out.v0);
    expect((await (await fetch(`${s.url}/health`)).json()).runs).toBe(3);

    // One run per request: the query string, the body and the labels must agree; a step needs a run.
    const conflict = await post(`${s.url}/get_reward?run=rl`, { ...body, run: 'other' });
    expect(conflict.status).toBe(400);
    expect(conflict.json.error.message).toMatch(/run is "other" but the query string's run is "rl"/);
    const labelConflict = await post(`${s.url}/get_reward`, { query: ['a', 'b'], labels: [{ audio: ANGRY, emotion: 'angry', run: 'x' }, { audio: ANGRY, emotion: 'angry', run: 'y' }] });
    expect(labelConflict.json.error.message).toMatch(/labels\[1\]\.run is "y" but labels\[0\]\.run is "x"/);
    expect((await post(`${s.url}/get_reward?step=3`, body)).status).toBe(400);
    expect((await post(`${s.url}/get_reward?run=rl&step=-1`, body)).status).toBe(400);
    // A run in the labels (the dataset's) works like the query string's.
    const inLabels = await post(`${s.url}/get_reward`, { ...body, labels: items.map(([, , audio, emotion]) => ({ audio, emotion, run: 'rl' })) });
    expect(inLabels.json).toMatchObject({ run: 'rl', reasoningEnabled: true, gate: { step: 3 } });
    expect(await stop(s)).toBe(0);

    // The run's gate was saved and is read back by a new server.
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    expect(saved.runs.rl.gate.step).toBe(3);
    const s2 = await start(args);
    const again = await post(`${s2.url}/get_reward?run=rl`, body);
    expect(again.json).toMatchObject({ reasoningEnabled: true, gate: { step: 4 } });
    expect(again.json.rewards).toEqual(out.r2.rewards);
    expect(await stop(s2)).toBe(0);
  });

  it('the Python shims (TRL reward function, verl compute_score, group form) call the server', async () => {
    const s = await start(['--audio-root', RAVDESS, '--token', 'py-token']);
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(path.join(root, 'integrations', 'python'))})
from emotionthinker_reward import trl_reward, compute_score, group_rewards, RewardServerError
out = {}
out["trl"] = trl_reward(completions=[${JSON.stringify(GOOD)}, [{"role": "assistant", "content": ${JSON.stringify(RESPONSES[1])}}]], audio=[${JSON.stringify(ANGRY)}, ${JSON.stringify(ANGRY)}], emotion=["angry", "angry"], prompts=["p", "p"])
out["verl"] = compute_score("ravdess", ${JSON.stringify(GOOD)}, "angry", {"audio": ${JSON.stringify(ANGRY)}})
out["verl_json"] = compute_score("ravdess", ${JSON.stringify(GOOD)}, json.dumps({"audio": ${JSON.stringify(ANGRY)}, "emotion": "angry"}))
g = group_rewards(${JSON.stringify(ANGRY)}, "angry", [${JSON.stringify(GOOD)}, ""], run="py")
out["group"] = g["advantages"]
try:
    trl_reward(completions=["x"], audio=["../x.wav"], emotion=["angry"])
except RewardServerError as e:
    out["error"] = [e.status, e.code]
print(json.dumps(out))
`;
    // The distribution's interpreter when there is one (standard library only).
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const py = spawnSync(python, ['-c', script], { encoding: 'utf8', env: { ...process.env, EMOTIONTHINKER_URL: s.url, EMOTIONTHINKER_TOKEN: 'py-token' } });
    expect(py.status, py.stderr).toBe(0);
    const out = JSON.parse(py.stdout);
    const direct = await post(`${s.url}/get_reward`, { query: [GOOD, RESPONSES[1]], labels: [{ audio: ANGRY, emotion: 'angry' }, { audio: ANGRY, emotion: 'angry' }] }, { authorization: 'Bearer py-token' });
    expect(out.trl).toEqual(direct.json.rewards);
    expect(out.verl).toBe(direct.json.rewards[0]);
    expect(out.verl_json).toBe(direct.json.rewards[0]);
    expect(out.group).toHaveLength(2);
    expect(out.group[0]).toBeGreaterThan(out.group[1]);
    expect(out.error).toEqual([403, 'ERR_INVALID_ARG']);
    expect(await stop(s)).toBe(0);
  });
});
