#include "stream.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "../audio/limits.hpp"
#include "../common/error.hpp"
#include "energy_steps.hpp"
#include "f0_path.hpp"

namespace et {
namespace prosody {

using namespace steps;

#define ET_STREAM_SPEC(...) ET_OPTION_SPEC(StreamOptions, , __VA_ARGS__)
const options::Spec<StreamOptions> kStreamOptionSpecs[] = {ET_STREAM_OPTIONS(ET_STREAM_SPEC)};
const size_t kStreamOptionCount = sizeof kStreamOptionSpecs / sizeof kStreamOptionSpecs[0];
#undef ET_STREAM_SPEC

namespace {

constexpr double kStreamRate = 16000.0;  // the analysis rate the stream runs at (track_f0's 16 → 8 kHz path)
constexpr int kDecimHalf = kDecimationTaps / 2;
constexpr size_t kSlice = 8192;  // input samples per step of push(): bounds the intermediate signal
// Level histogram (dB re full scale): 0.02 dB bins from −150 dB (digital silence below) to +30 dB.
constexpr double kLevelLoDb = -150.0, kLevelBinDb = 0.02;
constexpr size_t kLevelBins = 9000;
constexpr double kPriorBin = 1.0 / 1200.0;  // octaves: 1-cent bins of log2 F0

}  // namespace

RunningQuantile::RunningQuantile(double lo, double width, size_t bins, size_t window)
    : lo_(lo), width_(width), hist_(bins, 0), ring_(std::max<size_t>(1, window), 0), window_(std::max<size_t>(1, window)) {}

void RunningQuantile::add(double v) {
  const double pos = (v - lo_) / width_;
  const size_t b = !(pos >= 0) ? 0 : pos >= double(hist_.size() - 1) ? hist_.size() - 1 : size_t(pos);
  if (n_ == window_) {
    const uint32_t old = ring_[head_];
    --hist_[old];
    if (old < cur_) --below_;
  } else {
    ++n_;
  }
  ring_[head_] = uint32_t(b);
  head_ = (head_ + 1) % window_;
  ++hist_[b];
  if (b < cur_) ++below_;
}

size_t RunningQuantile::rank_bin(size_t r) {
  while (below_ > r) {
    --cur_;
    below_ -= hist_[cur_];
  }
  while (below_ + hist_[cur_] <= r) {
    below_ += hist_[cur_];
    ++cur_;
  }
  return cur_;
}

ProsodyStream::ProsodyStream(double input_rate, const ProsodyOptions& o, const StreamOptions& so)
    : o_(o),
      so_(so),
      rs_(uint32_t(limits::rate_ok(input_rate) ? input_rate : kStreamRate), uint32_t(kStreamRate)),
      ref_q_(kLevelLoDb, kLevelBinDb, kLevelBins, 1),
      prior_q_(0, kPriorBin, 1, 1) {
  validate(o_);
  options::check_ranges(kStreamOptionSpecs, kStreamOptionCount, so_);
  limits::check_rate_arg(input_rate, "sampleRate");
  if (o_.analysis_rate != kStreamRate) {
    throw Error(ErrorCode::InvalidArg, "option \"analysisRate\" must be 16000 for a stream; got " +
                                           options::format_number(o_.analysis_rate));
  }
  if (!(input_rate >= 2 * o_.f0.f0_max)) {
    throw Error(ErrorCode::InvalidArg, "sampleRate " + options::format_number(input_rate) +
                                           " Hz must be at least twice f0Max (" + options::format_number(o_.f0.f0_max) + " Hz)");
  }
  rs_ = StreamResampler(uint32_t(input_rate), uint32_t(kStreamRate));
  prm_ = make_params(o_.f0);
  stride_ = prm_.max_candidates + 1;
  H_ = std::max<long>(1, prm_.trend_frames);
  A_ = std::max(H_, long(std::lround(so_.reference_lookahead_seconds / o_.f0.hop_seconds)));
  const double hop = o_.f0.hop_seconds;
  lag_frames_ = size_t(std::max(1L, std::lround(so_.max_lag_seconds / hop)));
  cap_ = lag_frames_ + 2;
  cands_.resize(cap_ * size_t(stride_));
  count_.assign(cap_, 1);
  on_.assign(cap_, 0.f);
  off_.assign(cap_, 0.f);
  back_.assign(cap_ * size_t(stride_), 0);
  r_.assign(size_t(prm_.nk), 0.f);
  loc_.assign(size_t(2 * H_ + 1), 0.f);
  path_.assign(cap_, 0);
  ref_q_ = RunningQuantile(kLevelLoDb, kLevelBinDb, kLevelBins, size_t(std::lround(so_.reference_seconds / hop)));
  const double plo = std::log2(o_.f0.f0_min) - 0.01, phi = std::log2(o_.f0.f0_max) + 0.01;
  prior_q_ = RunningQuantile(plo, kPriorBin, size_t(std::ceil((phi - plo) / kPriorBin)) + 1,
                             size_t(std::lround(so_.prior_seconds / hop)));
  ref_floor_ = std::pow(10.0, so_.reference_floor_db / 20.0);
  intensity_w_ = intensity_window(o_.intensity_min_pitch, kStreamRate, &intensity_wsum_);
  rms_len_ = std::max(1L, long(std::lround(o_.rms_window_seconds * kStreamRate)));
  // The zero padding before the 8 kHz signal (track_f0's buffer starts with `pad` zeros).
  x8_.assign(size_t(prm_.pad), 0.f);
  P_.assign(size_t(prm_.pad) + 1, 0.0);
}

double ProsodyStream::lag_bound_seconds() const {
  // Worst of the data needs (level of frame i + H, the energy windows), then the decoder's lag,
  // then the 16 kHz resampler and the decimation filter.
  const double level = double(A_) * o_.f0.hop_seconds + double(prm_.pad) / kAnalysisRate;
  const double energy = double(std::max<size_t>(intensity_w_.size() / 2 + 1, size_t(rms_len_))) / kStreamRate;
  return std::max(level, energy) + double(lag_frames_) * o_.f0.hop_seconds + 2 * (kDecimHalf + 1) / kStreamRate + 0.01;
}

size_t ProsodyStream::buffered() const {
  return x16_.size() + x8_.size() + P_.size() + levels_.size() + energies_.size() + decided_.size();
}

uint64_t ProsodyStream::frames_known() const {
  return finished_ ? total_frames_ : frame_count(size_t(n16_), kStreamRate, o_.f0.hop_seconds, o_.f0.window_seconds);
}

long ProsodyStream::centre16(uint64_t i) const { return long(std::lround(double(i) * o_.f0.hop_seconds * kStreamRate)); }

double ProsodyStream::energy8(long s, int len) const {
  const size_t a = size_t(s - long(x8_base_));
  return std::max(0.0, P_[a + size_t(len)] - P_[a]);
}

void ProsodyStream::append8(float v) {
  x8_.push_back(v);
  P_.push_back(P_.back() + double(v) * v);
}

void ProsodyStream::push(const float* x, size_t n) {
  if (finished_) throw Error(ErrorCode::InvalidArg, "write after end: the stream has ended");
  limits::check_samples(x, n, 1, ErrorCode::InvalidArg, "");
  for (size_t b = 0; b < n; b += kSlice) {
    slice16_.clear();
    rs_.push(x + b, std::min(kSlice, n - b), slice16_);
    process16(slice16_.data(), slice16_.size());
  }
}

void ProsodyStream::finish() {
  if (finished_) return;
  slice16_.clear();
  rs_.finish(slice16_);
  process16(slice16_.data(), slice16_.size());
  finished_ = true;
  total_frames_ = frame_count(size_t(n16_), kStreamRate, o_.f0.hop_seconds, o_.f0.window_seconds);
  decimate_available();
  // track_f0's buffer ends with `pad` zeros after the signal.
  for (long k = 0; k < prm_.pad; ++k) append8(0.f);
  x8_tail_ = true;
  advance();
  decide(true);
  flush_ready();
}

void ProsodyStream::take(std::vector<StreamFrame>& frames, std::vector<float>& samples16k, std::vector<StreamEnergy>* energies) {
  if (energies) energies->insert(energies->end(), energy_out_.begin(), energy_out_.end());
  energy_out_.clear();
  frames.insert(frames.end(), ready_.begin(), ready_.end());
  ready_.clear();
  samples16k.insert(samples16k.end(), out16_.begin(), out16_.end());
  out16_.clear();
}

void ProsodyStream::process16(const float* x, size_t n) {
  if (n == 0) return;
  x16_.insert(x16_.end(), x, x + n);
  out16_.insert(out16_.end(), x, x + n);
  n16_ += n;
  decimate_available();
  advance();
}

// 8 kHz samples whose decimation window is complete (all of them once finished), as decimate2
// computes them: the dot product inside the signal, decimate_sample at its edges.
void ProsodyStream::decimate_available() {
  const uint64_t total8 = (n16_ + 1) / 2;
  for (;;) {
    const uint64_t j = n8_;
    const long s = long(2 * j) - kDecimHalf;
    if (finished_ ? j >= total8 : uint64_t(s + kDecimationTaps) > n16_) break;
    float y;
    if (s >= 0 && uint64_t(s) + kDecimationTaps <= n16_) {
      y = nccf_dot(x16_.data() + (uint64_t(s) - x16_base_), prm_.taps, kDecimationTaps);
    } else {
      y = decimate_sample(prm_, [this](size_t i) { return x16_at(i); }, size_t(n16_), size_t(j));
    }
    append8(condition_sample(prm_, cond_, y));
    ++n8_;
  }
}

bool ProsodyStream::level_ready(uint64_t i) const {
  if (i >= frames_known()) return false;
  const long need = centre8(i) - prm_.level_len / 2 + prm_.level_len;
  return x8_tail_ || uint64_t(need) <= x8_base_ + x8_.size();
}

bool ProsodyStream::energy_ready(uint64_t i) const {
  if (i >= frames_known()) return false;
  if (finished_) return true;
  const long c = centre16(i), half = long(intensity_w_.size()) / 2;
  const long need = std::max(c - rms_len_ / 2 + rms_len_, c - half + long(intensity_w_.size()));
  return uint64_t(std::max(0L, need)) <= n16_;
}

bool ProsodyStream::candidates_ready(uint64_t i) const {
  if (i >= frames_known()) return false;
  // Levels of frames i − H .. i + H (clamped to the last frame once the stream has ended).
  const uint64_t last = finished_ ? std::min<uint64_t>(i + uint64_t(A_), total_frames_ - 1) : i + uint64_t(A_);
  if (next_level_ <= last) return false;
  const long c = centre8(i);
  const long need = c + (std::max(prm_.W, prm_.Ws) + prm_.k_hi + 1) / 2 + 2;
  return x8_tail_ || uint64_t(need) <= x8_base_ + x8_.size();
}

void ProsodyStream::compute_energy(uint64_t i) {
  const long c = centre16(i), n = long(n16_);
  // Frame RMS over rms_len_ samples about the centre (compute_tracks' loop, no clip mean).
  const long s = c - rms_len_ / 2;
  double acc = 0;
  for (long j = std::max(0L, s); j < std::min(n, s + rms_len_); ++j) {
    const double v = x16_at(uint64_t(j));
    acc += v * v;
  }
  const float rms = rms_dbfs_of(acc / double(rms_len_));
  // Intensity: the Praat window about the centre, zeros beyond the ends.
  const long L = long(intensity_w_.size()), si = c - L / 2;
  float db;
  if (si >= 0 && si + L <= n) {
    db = intensity_db_of_window(x16_.data() + (uint64_t(si) - x16_base_), intensity_w_.data(), int(L), intensity_wsum_);
  } else {
    std::vector<float> buf(size_t(L), 0.f);
    for (long k = 0; k < L; ++k)
      if (si + k >= 0 && si + k < n) buf[size_t(k)] = x16_at(uint64_t(si + k));
    db = intensity_db_of_window(buf.data(), intensity_w_.data(), int(L), intensity_wsum_);
  }
  energies_.emplace_back(rms, db);
  energy_out_.push_back({i, rms, db});
}

void ProsodyStream::advance() {
  for (;;) {
    bool moved = false;
    while (level_ready(next_level_)) {
      const float lv = frame_level(prm_, centre8(next_level_), [this](long s, int len) { return energy8(s, len); });
      levels_.push_back(lv);
      ++next_level_;
      moved = true;
    }
    while (energy_ready(next_energy_)) {
      compute_energy(next_energy_);
      ++next_energy_;
      moved = true;
    }
    while (candidates_ready(win_end_)) {
      enter_frame(win_end_);
      moved = true;
    }
    if (!moved) break;
  }
  flush_ready();
  trim();
}

void ProsodyStream::enter_frame(uint64_t i) {
  const size_t slot = size_t(i % cap_);
  Candidate* cs = &cands_[slot * size_t(stride_)];
  // The levels around frame i as a local array (index H_ is frame i), clamped like track_f0's.
  float* loc = loc_.data();
  const long span = 2 * H_ + 1;
  const uint64_t last = finished_ ? total_frames_ - 1 : UINT64_MAX;
  for (long k = 0; k < span; ++k) {
    const long g = long(i) - H_ + k;
    const uint64_t idx = std::min<uint64_t>(uint64_t(std::max(0L, g)), last);
    loc[k] = levels_[size_t(idx - lev_base_)];
  }
  // The reference level from the levels up to frame i + A (the lookahead): the
  // same history whatever the chunking, so the output does not depend on how audio arrives.
  for (; ref_fed_ < lev_base_ + levels_.size() && ref_fed_ <= std::min<uint64_t>(i + uint64_t(A_), last); ++ref_fed_) {
    const float lv = levels_[size_t(ref_fed_ - lev_base_)];
    ref_q_.add(lv > 0 ? 20.0 * std::log10(double(lv)) : -1e300);
  }
  const size_t rb = ref_q_.rank_bin(size_t(prm_.level_quantile * double(ref_q_.size() - 1)));
  const double ref = std::max(rb == 0 ? 0.0 : std::pow(10.0, ref_q_.centre(rb) / 20.0), ref_floor_);
  cs[0] = {0.f, unvoiced_strength(prm_, loc, size_t(span), size_t(H_), ref), 0.f};
  int m = 1;
  if (loc[H_] > 0) {
    const long c = centre8(i) - long(x8_base_);
    auto dot = [](const float* a, const float* b, int n) { return nccf_dot(a, b, n); };
    auto energy = [this](long s, int len) { return energy8(s + long(x8_base_), len); };
    frame_nccf(prm_, x8_.data(), c, dot, energy, r_.data());
    m = frame_candidates(prm_, r_.data(), [&](int k) { return frame_short_nccf(prm_, x8_.data(), c, dot, energy, k); }, cs);
  }
  // Range prior around the median F0 of the voiced frames decided so far.
  if (o_.f0.range_prior_cost > 0 && prior_q_.size() >= std::max<size_t>(1, prm_.prior_min_voiced)) {
    const float med = float(prior_q_.centre(prior_q_.rank_bin(prior_q_.size() / 2)));
    for (int j = 1; j < m; ++j) {
      const float pen = range_prior_penalty(prm_, log2_or_zero(cs[j].f), med);
      if (pen > 0) cs[j].strength -= pen;
    }
  }
  count_[slot] = m;
  if (i == 0) {
    on_[slot] = off_[slot] = prm_.vuv;
  } else {
    vuv_costs(prm_, loc, size_t(span), size_t(H_), ref, &on_[slot], &off_[slot]);
  }
  if (i == 0) {
    for (int j = 0; j < m; ++j) {
      score_[j] = cs[j].strength;
      lf_[j] = log2_or_zero(cs[j].f);
    }
  } else {
    const size_t ps = size_t((i - 1) % cap_);
    float sc[kMaxKept], lf[kMaxKept];
    viterbi_step(&cands_[ps * size_t(stride_)], count_[ps], lf_, score_, cs, m, on_[slot], off_[slot], prm_.jump, lf, sc,
                 &back_[slot * size_t(stride_)]);
    std::copy(sc, sc + m, score_);
    std::copy(lf, lf + m, lf_);
  }
  // Scores are relative: shift them when they grow large, so float precision holds for hours
  // (below this, the arithmetic is track_f0's exactly).
  float top = -INFINITY;
  for (int j = 0; j < m; ++j) top = std::max(top, score_[j]);
  if (std::fabs(top) > 4096.f)
    for (int j = 0; j < m; ++j) score_[j] -= top;
  win_end_ = i + 1;
  decide(false);
}

void ProsodyStream::restart_pinned(uint64_t from, int state) {
  const size_t fs = size_t(from % cap_);
  const Candidate* c0 = &cands_[fs * size_t(stride_)];
  float sc[kMaxKept], lf[kMaxKept];
  for (int j = 0; j < count_[fs]; ++j) {
    sc[j] = j == state ? 0.f : -INFINITY;
    lf[j] = log2_or_zero(c0[j].f);
  }
  for (uint64_t f = from + 1; f < win_end_; ++f) {
    const size_t ps = size_t((f - 1) % cap_), s = size_t(f % cap_);
    float nsc[kMaxKept], nlf[kMaxKept];
    viterbi_step(&cands_[ps * size_t(stride_)], count_[ps], lf, sc, &cands_[s * size_t(stride_)], count_[s], on_[s], off_[s],
                 prm_.jump, nlf, nsc, &back_[s * size_t(stride_)]);
    std::copy(nsc, nsc + count_[s], sc);
    std::copy(nlf, nlf + count_[s], lf);
  }
  const size_t ts = size_t((win_end_ - 1) % cap_);
  std::copy(sc, sc + count_[ts], score_);
  std::copy(lf, lf + count_[ts], lf_);
}

void ProsodyStream::decide(bool at_end) {
  for (;;) {
    if (win_start_ >= win_end_) return;
    const uint64_t t = win_end_ - 1;
    const int mt = count_[size_t(t % cap_)];
    auto best_state = [&]() {  // track_f0's end state: the first maximum
      int state = 0;
      float best = score_[0];
      for (int j = 1; j < mt; ++j)
        if (score_[j] > best) {
          best = score_[j];
          state = j;
        }
      return state;
    };
    auto trace = [&](uint64_t from, int state, uint64_t down_to, bool emit_all) {
      // Follows the back pointers from (from, state) down to frame down_to; emits those frames.
      if (path_.size() < from - down_to + 1) path_.resize(size_t(from - down_to + 1));
      int* p = path_.data();
      p[from - down_to] = state;
      for (uint64_t f = from; f > down_to; --f) {
        state = back_[size_t(f % cap_) * size_t(stride_) + size_t(state)];
        p[f - 1 - down_to] = state;
      }
      if (emit_all)
        for (uint64_t f = down_to; f <= from; ++f) emit(f, p[f - down_to]);
      return p[0];
    };
    if (at_end) {
      trace(t, best_state(), win_start_, true);
      win_start_ = win_end_;
      return;
    }
    // Where do the back pointers of every live state at t meet?
    uint64_t mask = 0;
    for (int j = 0; j < mt; ++j)
      if (score_[j] > -INFINITY) mask |= uint64_t(1) << j;
    uint64_t k = t;
    bool met = false;
    for (;;) {
      if (__builtin_popcountll(mask) == 1) {
        met = true;
        break;
      }
      if (k == win_start_) break;
      uint64_t prev = 0;
      const uint8_t* bk = &back_[size_t(k % cap_) * size_t(stride_)];
      for (uint64_t mm = mask; mm; mm &= mm - 1) prev |= uint64_t(1) << bk[__builtin_ctzll(mm)];
      mask = prev;
      --k;
    }
    if (met) {
      trace(k, __builtin_ctzll(mask), win_start_, true);
      win_start_ = k + 1;
    }
    if (win_end_ - win_start_ <= lag_frames_) return;
    // Undecided for maxLagSeconds: the oldest frame takes the best path's state, and the decoder
    // restarts from it.
    const int s0 = trace(t, best_state(), win_start_, false);
    ++forced_;
    emit(win_start_, s0);
    ++win_start_;
    restart_pinned(win_start_ - 1, s0);
  }
}

void ProsodyStream::emit(uint64_t i, int state) {
  const size_t slot = size_t(i % cap_);
  const Candidate* cs = &cands_[slot * size_t(stride_)];
  StreamFrame fr;
  fr.index = i;
  frame_output(cs, count_[slot], state, &fr.f0, &fr.best_f0, &fr.voicing, &fr.nccf);
  if (std::isnan(fr.f0)) {
    unvoiced_guess(cs, count_[slot], has_voiced_, has_voiced_ ? last_voiced_f0_ : 0.f, &fr.best_f0, &fr.nccf);
  } else {
    has_voiced_ = true;
    last_voiced_f0_ = fr.f0;
    prior_q_.add(double(log2_or_zero(fr.f0)));
  }
  decided_.push_back(fr);
}

void ProsodyStream::flush_ready() {
  while (!decided_.empty() && decided_.front().index < next_energy_) {
    StreamFrame fr = decided_.front();
    decided_.pop_front();
    const auto& e = energies_[size_t(fr.index - en_base_)];
    fr.rms_dbfs = e.first;
    fr.intensity_db = e.second;
    ready_.push_back(fr);
    ++emitted_;
  }
}

void ProsodyStream::trim() {
  // Energies of emitted frames.
  while (!energies_.empty() && en_base_ < emitted_) {
    energies_.pop_front();
    ++en_base_;
  }
  // Levels before frame win_end_ − H (the oldest a future frame reads).
  while (!levels_.empty() && lev_base_ + uint64_t(H_) < win_end_) {
    levels_.pop_front();
    ++lev_base_;
  }
  // 8 kHz signal before the windows of the next level / candidate frame.
  {
    const uint64_t f = std::min(next_level_, win_end_);
    const long keep = centre8(f) - prm_.pad;
    if (keep > long(x8_base_) && uint64_t(keep) - x8_base_ >= 4096 && uint64_t(keep) - x8_base_ >= x8_.size() / 2) {
      const size_t d = size_t(uint64_t(keep) - x8_base_);
      x8_.erase(x8_.begin(), x8_.begin() + long(d));
      P_.erase(P_.begin(), P_.begin() + long(d));
      x8_base_ += d;
    }
  }
  // 16 kHz signal before the next decimation window and the next energy windows.
  {
    const long half = std::max(long(intensity_w_.size()) / 2, rms_len_ / 2) + 1;
    const long keep = std::min(long(2 * n8_) - kDecimHalf, centre16(next_energy_) - half);
    if (keep > long(x16_base_) && uint64_t(keep) - x16_base_ >= 8192 && uint64_t(keep) - x16_base_ >= x16_.size() / 2) {
      const size_t d = size_t(uint64_t(keep) - x16_base_);
      x16_.erase(x16_.begin(), x16_.begin() + long(d));
      x16_base_ += d;
    }
  }
}

}  // namespace prosody
}  // namespace et
