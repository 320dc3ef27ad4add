// The audit as one self-contained HTML page: the per-model table and bar charts drawn as inline
// SVG (nothing fetched, no script needed), then the responses with their claims and verdicts.
import { AUDIT_CUES, type AuditRow, type ModelSummary } from './audit.js';

/** Rows listed on the page; the JSONL output has them all. */
export const AUDIT_HTML_MAX_ROWS = 2000;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);
const COLORS = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5'];

/** A grouped bar chart of shares in [0, 1]: one group per category, one bar per model. */
function barChart(id: string, title: string, categories: string[], models: string[], value: (model: number, cat: number) => number | null): string {
  const W = 760, H = 260, left = 48, bottom = 40, top = 28;
  const gw = (W - left - 10) / categories.length;
  const bw = Math.min(36, (gw - 16) / Math.max(1, models.length));
  const y = (v: number) => top + (H - top - bottom) * (1 - v);
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = t / 4;
    parts.push(`<line x1="${left}" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${100 * v}%</text>`);
  }
  categories.forEach((cat, ci) => {
    const x0 = left + ci * gw + (gw - bw * models.length) / 2;
    models.forEach((m, mi) => {
      const v = value(mi, ci);
      if (v === null) return;
      const x = x0 + mi * bw;
      parts.push(`<rect class="bar" data-model="${esc(m)}" data-category="${esc(cat)}" data-value="${v}" x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="${COLORS[mi % COLORS.length]}"><title>${esc(m)} · ${esc(cat)}: ${pct(v)}</title></rect>`);
    });
    parts.push(`<text x="${(left + ci * gw + gw / 2).toFixed(1)}" y="${H - bottom + 18}" text-anchor="middle" font-size="12">${esc(cat)}</text>`);
  });
  const legend = models.map((m, mi) => `<span><i style="background:${COLORS[mi % COLORS.length]}"></i>${esc(m)}</span>`).join(' ');
  return `<figure><figcaption>${esc(title)}</figcaption><svg id="${id}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg><div class="legend">${legend}</div></figure>`;
}

export function auditHtml(summary: readonly ModelSummary[], rows: readonly AuditRow[], title = 'emotionthinker audit'): string {
  const models = summary.map((s) => s.model);
  const table = summary
    .map((s) => `<tr><td>${esc(s.model)}</td><td>${s.responses}</td><td>${pct(s.accuracy)}</td>${AUDIT_CUES.map((c) => `<td>${pct(s.faShare[c].share)} <small>(${s.faShare[c].claims})</small></td>`).join('')}<td>${pct(s.contradictedShare)}</td><td>${pct(s.noVerifiableShare)}</td><td>${s.meanReward.toFixed(3)}</td></tr>`)
    .join('\n');
  const charts = [
    barChart('chart-accuracy', 'Answer accuracy (responses with a reference emotion)', ['accuracy'], models, (m) => summary[m].accuracy),
    barChart('chart-fa', 'Factual alignment per cue: share of verifiable claims the audio supports', [...AUDIT_CUES], models, (m, c) => summary[m].faShare[AUDIT_CUES[c]].share),
    barChart('chart-grounding', 'Explanations citing a contradicted cue / citing no verifiable cue', ['contradicted cue', 'no verifiable cue'], models, (m, c) => (c === 0 ? summary[m].contradictedShare : summary[m].noVerifiableShare)),
  ].join('\n');
  const shown = rows.slice(0, AUDIT_HTML_MAX_ROWS);
  const rowHtml = shown
    .map((r) => {
      if ('error' in r) return `<tr class="err"><td>${r.line}</td><td>${esc(r.model ?? '')}</td><td>${esc(r.audio ?? '')}</td><td colspan="3">${esc(r.error.code)}: ${esc(r.error.message)}</td></tr>`;
      const claims = r.claims.map((c) => `<span class="${c.verdict}">${esc(c.cue)} ${c.negated ? 'not ' : ''}${esc(c.value)}</span>`).join(' ') || '<em>none</em>';
      return `<tr><td>${r.line}</td><td>${esc(r.model)}</td><td>${esc(r.audio)}</td><td>${esc(r.answer ?? '—')} → ${esc(r.label ?? '?')}${r.emotion ? ` <small>(ref ${esc(r.emotion)})</small>` : ''}</td><td>${claims}</td><td>${r.reward.toFixed(3)}</td></tr>`;
    })
    .join('\n');
  const more = rows.length > shown.length ? `<p>${rows.length - shown.length} more rows in the JSONL output.</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f4f4f4}figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}.legend span{margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.supported{color:#1a7f37}.contradicted{color:#cf222e;font-weight:600}.unverifiable{color:#888}tr.err td{color:#cf222e}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${rows.length} lines (${rows.filter((r) => 'error' in r).length} failed), ${summary.length} model${summary.length === 1 ? '' : 's'}. Claims are checked against prosody measured in each clip (emotionthinker verifyReasoning).</p>
<table id="summary"><thead><tr><th>model</th><th>n</th><th>accuracy</th>${AUDIT_CUES.map((c) => `<th>FA ${c}</th>`).join('')}<th>contradicted</th><th>no verifiable</th><th>mean reward</th></tr></thead><tbody>
${table}
</tbody></table>
${charts}
<h2>Responses</h2>
<table id="rows"><thead><tr><th>line</th><th>model</th><th>audio</th><th>answer</th><th>claims</th><th>reward</th></tr></thead><tbody>
${rowHtml}
</tbody></table>${more}
</body></html>
`;
}
