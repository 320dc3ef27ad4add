#!/usr/bin/env python3
"""Ratio table from check.mjs (ours) and torch_baseline.py (PyTorch) outputs of one run."""
import json
import sys

ours = json.load(open(sys.argv[1]))
try:
    pt = json.load(open(sys.argv[2]))
except Exception as e:  # the torch half may fail; still print ours
    pt = {}
    print('torch baseline missing:', e)
g = ours.get('golden', {})
print(f"golden cases checked: {g.get('checked')}, failed: {len(g.get('failed', []))}")
for f in g.get('failed', [])[:10]:
    print('  FAIL', f)
print('random vs CPU:', json.dumps(ours.get('random', {})))
t = ours.get('timings', {})
for k, v in list(t.items()) + [(k, v) for k, v in pt.items() if k.endswith('_error')]:
    if isinstance(v, dict) or k.endswith('_error'):
        print('  ERROR', k, v)
rows = [
    ('advantages+PTR 1M', t.get('ptr_advantages_1M_ms'), pt.get('advantages_eager_ms'), pt.get('advantages_compile_ms'), None),
    ('token loss 8.4M fwd+bwd', t.get('token_loss_8_4M_ms'), pt.get('token_loss_eager_ms'), pt.get('token_loss_compile_ms'), pt.get('token_loss_floor_ms')),
    ('logits 16384x151936 bf16', t.get('logits_bf16_16384x151936_ms'), pt.get('logits_loss_eager_ms'), pt.get('logits_loss_compile_ms'), pt.get('logits_loss_floor_ms')),
]
print(f"device: {pt.get('device')}  torch {pt.get('torch')}  copy {pt.get('copy_gbps', 0):.0f} GB/s")
print(f"{'kernel':28}{'ours ms':>10}{'eager ms':>10}{'compile ms':>11}{'floor ms':>10}{'vs eager':>9}{'vs compile':>11}{'x floor':>8}")
num = lambda v: v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
for name, o, e, c, fl in rows:
    o, e, c, fl = num(o), num(e), num(c), num(fl)
    f = lambda v: f"{v:10.4f}" if isinstance(v, (int, float)) else f"{'-':>10}"
    r = lambda a, b: f"{a / b:8.2f}x" if a and b else f"{'-':>9}"
    print(f"{name:28}{f(o)}{f(e)}{f(c)}{f(fl)}{r(e, o):>9}{r(c, o):>11}{(o / fl if o and fl else 0):8.2f}")
