#include <napi.h>

#include "bindings.hpp"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  etb::register_audio(env, exports);
  etb::register_backend(env, exports);
  etb::register_prosody(env, exports);
  etb::register_grpo(env, exports);
  etb::register_cuda(env, exports);
  etb::register_features(env, exports);
  etb::register_stream(env, exports);
  etb::register_resampler(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(emotionthinker, Init)
