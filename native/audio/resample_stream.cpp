#include "resample_stream.hpp"

#include "../common/error.hpp"
#include "limits.hpp"

namespace et {

StreamResampler::StreamResampler(uint32_t from_rate, uint32_t to_rate, const ResampleQuality& quality) {
  limits::check_rate_arg(from_rate, "fromRate");
  limits::check_rate_arg(to_rate, "toRate");
  validate(quality);
  if (from_rate == to_rate) {
    through_ = true;
    return;
  }
  bank_ = resample_detail::make_bank(from_rate, to_rate, quality, &up_, &down_, &exact_);
  // resample() places input sample 0 at padded index half − 1.
  buf_.assign(bank_.half - 1, 0.f);
}

// Outputs n < limit whose window [i, i + taps) lies inside the buffer.
void StreamResampler::produce(uint64_t limit, std::vector<float>& out) {
  const uint64_t have = base_ + buf_.size();
  while (out_n_ < limit) {
    const uint64_t num = out_n_ * down_, i = num / up_;
    if (i + bank_.taps > have) break;
    out.push_back(resample_detail::bank_output(bank_, buf_.data() + (i - base_), num % up_, up_, exact_));
    ++out_n_;
  }
  // Drop input no later output reads (amortised: only once the dead prefix is large).
  const uint64_t keep_from = out_n_ * down_ / up_;
  if (keep_from > base_ && keep_from - base_ >= 4096 && keep_from - base_ >= buf_.size() / 2) {
    buf_.erase(buf_.begin(), buf_.begin() + long(keep_from - base_));
    base_ = keep_from;
  }
}

void StreamResampler::push(const float* x, size_t n, std::vector<float>& out) {
  if (finished_) throw Error(ErrorCode::InvalidArg, "stream resampler: push after finish");
  in_ += n;
  if (through_) {
    out.insert(out.end(), x, x + n);
    out_n_ += n;
    return;
  }
  buf_.insert(buf_.end(), x, x + n);
  produce(UINT64_MAX, out);
}

void StreamResampler::finish(std::vector<float>& out) {
  if (finished_) return;
  finished_ = true;
  if (through_) return;
  const uint64_t total = (in_ * up_ + down_ - 1) / down_;  // resampled_length
  // Zeros after the input, as resample()'s padded buffer has.
  buf_.resize(buf_.size() + 2 * bank_.taps + 8, 0.f);
  produce(total, out);
}

}  // namespace et
