// Streaming form of resample() (mono): samples go in as they arrive, in chunks of any size, and
// come out as soon as the filter has seen enough input. The concatenated output equals
// resample() of the concatenated input sample for sample (same filter bank, same dot product,
// same zero padding at both ends once finish() is called). Memory: the filter table plus about one
// filter length of input, whatever the stream's length. No Node headers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "resample_detail.hpp"

namespace et {

class StreamResampler {
 public:
  // Throws ERR_INVALID_ARG for rates resample() refuses. from_rate == to_rate passes samples through.
  StreamResampler(uint32_t from_rate, uint32_t to_rate, const ResampleQuality& quality = ResampleQuality());
  // Appends n input samples; appends the outputs now computable to out.
  void push(const float* x, size_t n, std::vector<float>& out);
  // End of input: appends the remaining outputs (ceil(total_in · to / from) in all). Idempotent.
  void finish(std::vector<float>& out);
  uint64_t samples_in() const { return in_; }
  uint64_t samples_out() const { return out_n_; }

 private:
  bool through_ = false, finished_ = false;
  resample_detail::FilterBank bank_;
  uint64_t up_ = 1, down_ = 1;
  bool exact_ = true;
  std::vector<float> buf_;  // padded input from padded index base_ on
  uint64_t base_ = 0;       // padded index of buf_[0]
  uint64_t in_ = 0, out_n_ = 0;
  void produce(uint64_t limit, std::vector<float>& out);
};

}  // namespace et
