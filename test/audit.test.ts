// `emotionthinker audit` (issue #17 §3): per-response verification and the per-model summary,
// checked against a truthful and a lying "model" whose claims are built from the measured levels;
// the HTML page loads in headless Chromium (as test/report.test.ts) with the expected bars.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { assignLevels, auditRecords, defaultModel, measureAudio, summarizeAudit, type AuditRecord } from '../src/index.js';

const root = path.resolve(__dirname, '..');
const RAVDESS = path.resolve(root, '../shared/data/ravdess');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-audit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CLIPS = ['03-01-05-02-01-01-01.wav', '03-01-04-01-01-01-02.wav', '03-01-03-02-02-01-05.wav', '03-01-06-01-01-02-08.wav'];
const EMO: Record<string, string> = { '05': 'angry', '04': 'sad', '03': 'happy', '06': 'fearful' };
const OPP: Record<string, string> = { low: 'high', high: 'low', normal: 'high', slow: 'fast', fast: 'slow' };

async function records(): Promise<AuditRecord[]> {
  const model = defaultModel();
  const out: AuditRecord[] = [];
  for (const c of CLIPS) {
    const m = await measureAudio(path.join(RAVDESS, c));
    const lv = assignLevels(m, model.file.calibration, { corpus: model.file.corpus });
    // Energy is judged by the vocal effort (gain-invariant) against the model's effort cut points.
    const ec = model.file.perception!.effortCuts;
    lv.energy_level = m.effortDb! < ec[0] ? 'low' : m.effortDb! >= ec[1] ? 'high' : 'normal';
    const emotion = EMO[c.split('-')[2]];
    const wrong = emotion === 'sad' ? 'happy' : 'sad';
    out.push({ audio: c, emotion, model: 'truthful', response: `<think>The pitch is ${lv.pitch_level}, the energy is ${lv.energy_level} and the rate is ${lv.speed_level}.</think><answer>${emotion}</answer>` });
    out.push({ audio: c, emotion, model: 'liar', response: `<think>The pitch is ${OPP[lv.pitch_level!]}, the energy is ${OPP[lv.energy_level!]} and the rate is ${OPP[lv.speed_level!]}.</think><answer>${wrong}</answer>` });
    out.push({ audio: c, emotion, model: 'vague', response: `<answer>${emotion}</answer>` });
  }
  return out;
}

describe('audit', () => {
  it('summarises per model: accuracy, FA share per cue, contradicted and unverifiable shares', async () => {
    const rows = await auditRecords(await records(), { baseDir: RAVDESS });
    expect(rows.every((r) => !('error' in r))).toBe(true);
    const s = Object.fromEntries(summarizeAudit(rows).map((m) => [m.model, m]));
    expect(Object.keys(s)).toEqual(['liar', 'truthful', 'vague']);
    expect(s.truthful).toMatchObject({ responses: 4, accuracy: 1, contradictedShare: 0, noVerifiableShare: 0 });
    expect(s.liar).toMatchObject({ responses: 4, accuracy: 0, contradictedShare: 1, noVerifiableShare: 0 });
    expect(s.vague).toMatchObject({ accuracy: 1, noVerifiableShare: 1, contradictedShare: 0 });
    for (const cue of ['pitch', 'energy', 'speed'] as const) {
      expect(s.truthful.faShare[cue]).toEqual({ claims: 4, share: 1 });
      expect(s.liar.faShare[cue]).toEqual({ claims: 4, share: 0 });
      expect(s.vague.faShare[cue]).toEqual({ claims: 0, share: null });
    }
    expect(s.truthful.meanReward).toBeGreaterThan(s.liar.meanReward);
  });

  it('CLI: JSONL out, failures named, and an HTML page that renders in Chromium with the expected bars', async () => {
    const recs = await records();
    const input = path.join(tmp, 'responses.jsonl');
    for (const r of recs) r.audio = path.join(RAVDESS, r.audio);
    writeFileSync(input, [...recs.map((r) => JSON.stringify(r)), '', '{not json', JSON.stringify({ audio: 'missing.wav', response: 'x' }), JSON.stringify({ audio: 3, response: 'x' })].join('\n') + '\n');
    const out = path.join(tmp, 'audit.jsonl');
    const html = path.join(tmp, 'audit.html');
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'audit', input, '--out', out, '--html', html], { encoding: 'utf8' });
    expect(r.status).toBe(1); // three lines failed
    expect(r.stdout).toMatch(/^model\s+n\s+accuracy/);
    expect(r.stdout).toMatch(/truthful\s+4\s+100\.0 %\s+100\.0 % \(4\)/);
    expect(r.stderr).toMatch(/line 14: not JSON .*\[ERR_INVALID_ARG\]/);
    expect(r.stderr).toMatch(/line 15: .*missing\.wav.*\[ERR_FILE\]/);
    expect(r.stderr).toMatch(/line 16: field "audio" must be a non-empty string .*\[ERR_INVALID_ARG\]/);
    expect(r.stderr).toMatch(/audit: 12 verified, 3 failed/);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(15);
    expect(lines[0]).toMatchObject({ line: 1, model: 'truthful', label: recs[0].emotion, correct: true });
    expect(lines[12]).toMatchObject({ line: 14, error: { code: 'ERR_INVALID_ARG' } });

    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: run scripts/setup.sh`).toBe(true);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const p = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
      const errors: string[] = [];
      p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      p.on('pageerror', (e) => errors.push(String(e)));
      p.on('request', (req) => !req.url().startsWith('file:') && errors.push(`network request: ${req.url()}`));
      await p.goto(`file://${html}`);
      expect(await p.locator('#summary tbody tr').count()).toBe(3);
      // FA chart: pitch/energy/speed bars for truthful and liar (vague has no claims; nobody claims intonation).
      const bars = await p.locator('#chart-fa rect.bar').evaluateAll((els) => els.map((e) => [e.getAttribute('data-model'), e.getAttribute('data-category'), Number(e.getAttribute('data-value')), e.getBoundingClientRect().height]));
      expect(bars).toHaveLength(6);
      const truthPitch = bars.find((b) => b[0] === 'truthful' && b[1] === 'pitch')!;
      expect(truthPitch[2]).toBe(1);
      expect(truthPitch[3] as number).toBeGreaterThan(100); // drawn at full height, not collapsed
      expect(bars.find((b) => b[0] === 'liar' && b[1] === 'pitch')![2]).toBe(0);
      expect(await p.locator('#chart-accuracy rect.bar').count()).toBe(3);
      expect(await p.locator('#rows tbody tr').count()).toBe(15);
      expect(await p.locator('#rows .contradicted').count()).toBe(12);
      expect(errors).toEqual([]);
      await p.screenshot({ path: path.join(tmp, 'audit.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
