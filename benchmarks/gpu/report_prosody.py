#!/usr/bin/env python3
"""Prosody report from prosody-check.mjs (ours) and torch_yin.py (PyTorch) outputs of one run."""
import json
import sys


def load(p):
    try:
        return json.load(open(p))
    except Exception as e:  # a cut half still lets the other print
        print('missing', p, e)
        return {}


ours, yin = load(sys.argv[1]), load(sys.argv[2])
for k, v in ours.items():
    if k.endswith('_error'):
        print('  ERROR', k, v)
for corpus, p in ours.get('parity', {}).items():
    if not isinstance(p, dict):
        print(f'  {corpus}: {p}')
        continue
    print(f"parity {corpus}: {p['clips']} clips, errors {p['errors']}, frame-count mismatches {p['lenMismatch']}, "
          f"same voicing {100 * p['sameVoicing']:.3f}% (goal 99.5), <1 cent {100 * p['within1Cent']:.3f}% "
          f"(worst {p['worstCent']:.3f} c), functionals within 1e-3 {100 * p['functionalsWithin1e3']:.3f}% "
          f"misses {p['functionalMisses']}")
h = ours.get('timings', {}).get('hour_int16')
if h:
    print(f"1 h int16 → tracks on host (events): {h['gpuMs']:.2f} ms (min {h['minGpuMs']:.2f}; goal ≤ 7.2) = {h['xRealTime']:,.0f}x real time; "
          f"h2d {h['h2dMs']:.2f}, compute {h['computeMs']:.2f}, d2h {h['d2hMs']:.2f} ms; wall clock with host work {h['totalMs']:.2f} ms; {h['frames']} frames")
f = ours.get('timings', {}).get('hour_float32')
if f:
    print(f"1 h float32: {f['gpuMs']:.2f} ms (h2d {f['h2dMs']:.2f}, compute {f['computeMs']:.2f}; wall {f['totalMs']:.2f})")
if yin:
    print(f"PyTorch {yin.get('torch')} on {yin.get('device')}: FFT-YIN eager {yin.get('yin_eager_ms')} ms, "
          f"compile {yin.get('yin_compile_ms', yin.get('yin_compile_error'))}, its int16 h2d {yin.get('h2d_int16_ms')} ms")
    if h and yin.get('yin_eager_ms'):
        best = min(v for v in [yin.get('yin_eager_ms'), yin.get('yin_compile_ms')] if isinstance(v, (int, float)))
        print(f"ours vs best PyTorch: {best / h['gpuMs']:.2f}x faster (goal ≥ 3; both from pinned int16 to host tracks)")
print(f"{'clip s':>7}{'clips':>7}{'gpu ms':>10}{'wall ms':>10}{'compute ms':>11}{'x real time':>14}")
for c in ours.get('curve', []):
    print(f"{c['clipSeconds']:>7}{c['clips']:>7}{c['gpuMs']:>10.2f}{c['totalMs']:>10.2f}{c['computeMs']:>11.2f}{c['xRealTime']:>14,.0f}")
