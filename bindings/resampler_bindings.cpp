// StreamResampler (native/audio/resample_stream.hpp) as a JS class: translation only. Used by the
// compressed-audio decoder (src/audio-wasm.ts) to resample each decoded piece as it comes, so a
// long file never exists at its source rate in memory. push() runs on the calling thread: the
// caller hands it pieces small enough for that (tens of thousands of samples).
#include <cstring>
#include <memory>

#include "../native/audio/resample_stream.hpp"
#include "bindings.hpp"
#include "convert.hpp"
#include "input_copies.hpp"

namespace etb {
namespace {

Napi::Float32Array to_js(Napi::Env env, const std::vector<float>& v) {
  Napi::Float32Array a = Napi::Float32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(float));
  return a;
}

class ResamplerWrap : public Napi::ObjectWrap<ResamplerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Resampler",
                       {InstanceMethod("push", &ResamplerWrap::Push), InstanceMethod("finish", &ResamplerWrap::Finish)});
  }

  // new Resampler(fromRate, toRate): the core checks the rates (ERR_INVALID_ARG naming them).
  explicit ResamplerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ResamplerWrap>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&]() -> Napi::Value {
      if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) throw invalid_arg(env, "Resampler(fromRate, toRate): two numbers expected");
      const double from = info[0].As<Napi::Number>().DoubleValue(), to = info[1].As<Napi::Number>().DoubleValue();
      if (!(from >= 0 && from <= 4294967295.0 && from == double(uint32_t(from))) || !(to >= 0 && to <= 4294967295.0 && to == double(uint32_t(to)))) {
        throw invalid_arg(env, "Resampler: rates must be non-negative integers");
      }
      rs_ = std::make_unique<et::StreamResampler>(uint32_t(from), uint32_t(to));
      return env.Undefined();
    });
  }

 private:
  std::unique_ptr<et::StreamResampler> rs_;

  Napi::Value Push(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      FloatView v = float32_arg(info, 0, "samples");
      std::vector<float> out;
      out.reserve(size_t(double(v.length) * 1.01) + 64);
      rs_->push(v.data, v.length, out);
      return to_js(env, out);
    });
  }

  Napi::Value Finish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      std::vector<float> out;
      rs_->finish(out);
      return to_js(env, out);
    });
  }
};

}  // namespace

void register_resampler(Napi::Env env, Napi::Object exports) { exports.Set("Resampler", ResamplerWrap::Define(env)); }

}  // namespace etb
