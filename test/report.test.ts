import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(__dirname, '..');
const clip = path.resolve(root, '../shared/data/ravdess/03-01-04-01-02-01-14.wav');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Debian's chromium (installed by scripts/setup.sh); playwright downloads no browser here.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('emotionthinker report', () => {
  it('writes a self-contained page that loads in headless Chromium without errors, with the expected plots', async () => {
    const out = path.join(tmp, 'report.html');
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'report', clip, '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing fetched: opens offline
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: run scripts/setup.sh`).toBe(true);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (req) => !req.url().startsWith('file:') && errors.push(`network request: ${req.url()}`));
      await page.goto(`file://${out}`);
      await page.waitForFunction(() => (window as unknown as { __charts?: unknown[] }).__charts?.length === 3);
      const charts = await page.evaluate(() =>
        (window as unknown as { __charts: { id: string; u: { series: unknown[]; data: unknown[][] } }[] }).__charts.map((c) => ({
          id: c.id,
          series: c.u.series.length - 1,
          points: c.u.data[0].length,
        })),
      );
      const frames = Math.round(await page.evaluate(() => (window as unknown as { D: { frames: { t: number[] } } }).D?.frames.t.length ?? -1));
      expect(errors).toEqual([]);
      expect(charts.map((c) => [c.id, c.series])).toEqual([['wave', 2], ['f0', 2], ['intensity', 3]]);
      // 2000-column waveform envelope; F0 and intensity one point per 10 ms frame of the 3.9 s clip.
      expect(charts[0].points).toBeGreaterThan(1900);
      expect(charts[0].points).toBeLessThanOrEqual(2000);
      expect(charts[1].points).toBe(charts[2].points);
      expect(charts[1].points).toBeGreaterThan(350);
      expect(frames === -1 || frames === charts[1].points).toBe(true);
      const claims = await page.locator('#claims tr').count();
      expect(claims).toBeGreaterThan(1);
      expect(await page.locator('#reasoning').textContent()).toMatch(/<answer>/);
      const shot = path.join(tmp, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('refuses to overwrite without --force and names a missing input', () => {
    const out = path.join(tmp, 'report.html');
    const again = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'report', clip, '--out', out], { encoding: 'utf8' });
    expect(again.status).toBe(2);
    const missing = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'report', '/nope.wav', '--out', path.join(tmp, 'x.html')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\/nope\.wav: cannot read audio file \(ENOENT\)/);
  });
});
