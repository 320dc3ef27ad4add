#!/usr/bin/env python3
"""PyTorch baselines for the GRPO kernels, on the same sizes as benchmarks/gpu/check.mjs.

Eager and torch.compile versions of the docs/formulas.md GRPO formulas (advantages, token loss fwd+bwd,
logits loss fwd+bwd), plus the device-to-device copy bandwidth that defines the HBM floor.
Prints one JSON object. Run on the GPU machine by benchmarks/gpu/run.sh."""
import json
import sys

import torch


def median_ms(fn, repeats=20):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def advantages(r, g):
    x = r.view(-1, g).double()
    mean = x.mean(1, keepdim=True)
    std = x.std(1, keepdim=True)
    const = (x.max(1, keepdim=True).values == x.min(1, keepdim=True).values)
    a = torch.where(const, torch.zeros_like(x), (x - mean) / (std + 1e-6))
    return a.float().view(-1)


def token_term(lp, old, ref, A, clip, c, beta):
    """Per-token objective of docs/formulas.md#token-loss: clipped ratio term with dual clip c, plus beta * k3 KL."""
    d = (lp - old).clamp(-20, 20)
    rho = d.exp()
    l1 = -A * rho
    l2 = -A * rho.clamp(1 - clip, 1 + clip)
    L = torch.maximum(l1, l2)
    L = torch.where(A < 0, torch.minimum(L, -c * A), L)
    u = (ref - lp).clamp(-20, 20)
    k3 = (u.exp() - u - 1).clamp(-10, 10)
    return L + beta * k3


def token_loss(lp, old, ref, adv, mask, clip=0.2, c=3.0, beta=0.04):
    L = token_term(lp, old, ref, adv[:, None], clip, c, beta)
    return (L * mask).sum() / mask.sum().clamp(min=1)


def logits_loss(z, labels, old, ref, adv, clip=0.2, c=3.0, beta=0.04):
    # The configuration our 'logits-bf16' benchmark runs: dual clip c = 3 and the k3 KL term
    # (beta 0.04) against ref log-probs, token-mean. (Ours also writes the per-token entropy,
    # which this baseline does not compute: that only makes the comparison harder for us.)
    lp_all = torch.log_softmax(z.float(), dim=-1)
    lp = lp_all.gather(-1, labels[:, None]).squeeze(-1)
    return token_term(lp, old, ref, adv, clip, c, beta).mean()


def main():
    dev = torch.device('cuda')
    out = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__}
    g = torch.Generator(device=dev).manual_seed(0)

    def section(name, fn):
        # One failing section (OOM, a compile error) must not lose the others' numbers.
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            out[name + '_error'] = f'{type(e).__name__}: {e}'[:500]
        torch.cuda.synchronize()
        torch.cuda.empty_cache()

    def copy_floor():
        # HBM floor: device-to-device copy of 4 GiB.
        src = torch.empty(1 << 30, dtype=torch.float32, device=dev)
        dst = torch.empty_like(src)
        ms = median_ms(lambda: dst.copy_(src), 10)
        out['copy_gbps'] = 2 * src.numel() * 4 / (ms * 1e-3) / 1e9

    def adv_section():
        r = torch.rand(1 << 20, device=dev, generator=g)
        out['advantages_eager_ms'] = median_ms(lambda: advantages(r, 8))
        comp = torch.compile(advantages)
        out['advantages_compile_ms'] = median_ms(lambda: comp(r, 8))

    def token_section():
        B, L = 2048, 4096  # 8.4M tokens
        lp = (-5 * torch.rand(B, L, device=dev, generator=g)).requires_grad_(True)
        old = -5 * torch.rand(B, L, device=dev, generator=g)
        ref = -5 * torch.rand(B, L, device=dev, generator=g)
        adv = torch.rand(B, device=dev, generator=g) * 2 - 1
        mask = torch.ones(B, L, device=dev)

        def tl_eager():
            lp.grad = None
            token_loss(lp, old, ref, adv, mask).backward()

        tl_c = torch.compile(token_loss)

        def tl_compiled():
            lp.grad = None
            tl_c(lp, old, ref, adv, mask).backward()

        out['token_loss_eager_ms'] = median_ms(tl_eager)
        out['token_loss_compile_ms'] = median_ms(tl_compiled)
        if 'copy_gbps' in out:
            out['token_loss_floor_ms'] = (B * L * (4 * 4 + 4)) / (out['copy_gbps'] * 1e9) * 1e3

    def logits_section():
        # Memory (eager, unchunked): z bf16 5.0 GB; forward z.float() 10 GB (transient) and the
        # fp32 log_softmax output 10 GB (saved for backward); backward: the gather's dense
        # gradient 10 GB, log_softmax's input gradient 10 GB, z.grad bf16 5.0 GB. Peak about
        # 35-40 GB: it fits an 80 GB H100 without chunking (logits_loss_eager_peak_gb reports it).
        N, V = 16384, 151936
        z = torch.empty(N, V, device=dev, dtype=torch.bfloat16)
        for i in range(0, N, 1024):  # filled in slices: no 10 GB fp32 temporary
            z[i:i + 1024] = (torch.rand(min(1024, N - i), V, device=dev, generator=g) * 16 - 8).to(torch.bfloat16)
        z.requires_grad_(True)
        labels = torch.randint(0, V, (N,), device=dev, generator=g)
        old = -10 - 2 * torch.rand(N, device=dev, generator=g)
        ref = -10 - 2 * torch.rand(N, device=dev, generator=g)
        adv = torch.rand(N, device=dev, generator=g) * 2 - 1
        torch.cuda.reset_peak_memory_stats()

        def ll_eager():
            z.grad = None
            logits_loss(z, labels, old, ref, adv).backward()

        out['logits_loss_eager_ms'] = median_ms(ll_eager, 5)
        out['logits_loss_eager_peak_gb'] = torch.cuda.max_memory_allocated() / 1e9
        z.grad = None
        torch.cuda.empty_cache()
        ll_c = torch.compile(logits_loss)

        def ll_compiled():
            z.grad = None
            ll_c(z, labels, old, ref, adv).backward()

        torch.cuda.reset_peak_memory_stats()
        out['logits_loss_compile_ms'] = median_ms(ll_compiled, 5)
        out['logits_loss_compile_peak_gb'] = torch.cuda.max_memory_allocated() / 1e9
        if 'copy_gbps' in out:
            out['logits_loss_floor_ms'] = (2 * N * V * 2) / (out['copy_gbps'] * 1e9) * 1e3

    section('copy', copy_floor)
    section('advantages', adv_section)
    section('token_loss', token_section)
    section('logits_loss', logits_section)
    json.dump(out, sys.stdout)
    print()


if __name__ == '__main__':
    main()
