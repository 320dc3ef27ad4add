#!/usr/bin/env python3
"""PyTorch batched FFT-YIN baseline for the CUDA prosody pipeline (run by benchmarks/gpu/run.sh).

Same audio as prosody-check.mjs (the raw int16 hour it writes), same contract as our timing:
page-locked host int16 → device → per-frame F0, voicing and RMS energy back on the host, CUDA
events around the whole thing, median of repeats. YIN (de Cheveigné & Kawahara 2002): difference
function from FFT autocorrelation and prefix energies, cumulative-mean normalisation, absolute
threshold 0.1 with the first dip, parabolic refinement. 10 ms hop, 32 ms integration window, lags
for 60–600 Hz, frames centred like ours (zero padding at both ends).
Usage: torch_yin.py <hour.s16> [repeats]   → one JSON object on stdout.
"""
import json
import sys
import time

import numpy as np
import torch

RATE, HOP, W = 16000, 160, 512
TAU_MIN, TAU_MAX = RATE // 600, RATE // 60 + 1
N = W + TAU_MAX  # samples per frame
NFFT = 2048      # ≥ N + W − 1: linear (not circular) correlation


def yin(x16: torch.Tensor, chunk_frames: int = 1 << 16):
    """x16: int16 on the device. Returns f0 (Hz, 0 = unvoiced), aperiodicity, rms dBFS per frame."""
    x = x16.float() * (1.0 / 32768.0)
    frames = x.numel() // HOP + 1
    pad_l = N // 2
    xp = torch.nn.functional.pad(x, (pad_l, N))
    f0s, aps, rmss = [], [], []
    lags = torch.arange(TAU_MAX + 1, device=x.device)
    for a in range(0, frames, chunk_frames):
        b = min(frames, a + chunk_frames)
        fr = xp[a * HOP:(b - 1) * HOP + N].unfold(0, N, HOP)  # [F, N] view
        # r(τ) = Σ_{j<W} x_j x_{j+τ} by FFT (template = first W samples)
        spec = torch.fft.rfft(fr, NFFT)
        tmpl = torch.fft.rfft(fr[:, :W], NFFT)
        r = torch.fft.irfft(spec * tmpl.conj(), NFFT)[:, :TAU_MAX + 1]
        sq = torch.nn.functional.pad(torch.cumsum(fr * fr, dim=1), (1, 0))
        e0 = sq[:, W:W + 1]
        e_tau = sq[:, lags + W] - sq[:, lags]
        d = (e0 + e_tau - 2 * r).clamp_min(0)
        # cumulative mean normalised difference
        cm = torch.cumsum(d[:, 1:], dim=1) / torch.arange(1, TAU_MAX + 1, device=x.device)
        dn = torch.ones_like(d)
        dn[:, 1:] = d[:, 1:] / cm.clamp_min(1e-12)
        seg = dn[:, TAU_MIN:TAU_MAX]
        below = seg < 0.1
        # first dip under the threshold: first index below, then walk to the local minimum
        # (approximated by the minimum over the next 1/600 s), else the global minimum
        first = torch.where(below.any(1), below.float().argmax(1), seg.argmin(1))
        win = torch.clamp(first.unsqueeze(1) + torch.arange(0, TAU_MIN, device=x.device), max=seg.shape[1] - 1)
        loc = torch.gather(seg, 1, win).argmin(1) + first
        t = (loc + TAU_MIN).clamp(1, TAU_MAX - 1)
        y0 = torch.gather(dn, 1, (t - 1).unsqueeze(1)).squeeze(1)
        y1 = torch.gather(dn, 1, t.unsqueeze(1)).squeeze(1)
        y2 = torch.gather(dn, 1, (t + 1).unsqueeze(1)).squeeze(1)
        den = y0 - 2 * y1 + y2
        delta = torch.where(den > 0, 0.5 * (y0 - y2) / den, torch.zeros_like(den)).clamp(-0.5, 0.5)
        ap = y1
        f0 = torch.where(ap < 0.1, RATE / (t.float() + delta), torch.zeros_like(ap))
        ms = e0.squeeze(1) / W
        rms = 10 * torch.log10(ms.clamp_min(1e-12))
        f0s.append(f0)
        aps.append(ap)
        rmss.append(rms)
    return torch.cat(f0s), torch.cat(aps), torch.cat(rmss)


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    out = {'torch': torch.__version__, 'device': torch.cuda.get_device_name(0)}
    host = torch.from_numpy(np.fromfile(path, dtype=np.int16)).pin_memory()
    out['seconds'] = host.numel() / RATE

    def once():
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        dev = host.to('cuda', non_blocking=True)
        f0, ap, rms = yin(dev)
        res = [f0.cpu(), ap.cpu(), rms.cpu()]
        e.record()
        torch.cuda.synchronize()
        return s.elapsed_time(e), res

    def copy_only():
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        host.to('cuda', non_blocking=True)
        e.record()
        torch.cuda.synchronize()
        return s.elapsed_time(e)

    once()  # warm-up: cuFFT plans, allocator
    times = [once()[0] for _ in range(repeats)]
    out['yin_eager_ms'] = float(np.median(times))
    out['h2d_int16_ms'] = float(np.median([copy_only() for _ in range(repeats)]))
    _, res = once()
    f0 = res[0].numpy()
    out['frames'] = int(f0.size)
    out['voiced_share'] = float((f0 > 0).mean())
    try:
        t0 = time.time()
        compiled = torch.compile(yin)

        def once_compiled():
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            dev = host.to('cuda', non_blocking=True)
            [v.cpu() for v in compiled(dev)]
            e.record()
            torch.cuda.synchronize()
            return s.elapsed_time(e)

        once_compiled()
        out['compile_seconds'] = time.time() - t0
        out['yin_compile_ms'] = float(np.median([once_compiled() for _ in range(repeats)]))
    except Exception as e:  # compile may fail or time out; eager stands
        out['yin_compile_error'] = str(e)[:300]
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
