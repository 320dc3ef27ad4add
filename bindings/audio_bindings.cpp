// decodeWav / resample / mixToMono, sync and async.
#include <memory>

#include "../native/audio/limits.hpp"
#include "../native/audio/resample.hpp"
#include "../native/audio/wav.hpp"
#include "bindings.hpp"
#include "cancel.hpp"
#include "convert.hpp"
#include "input_copies.hpp"
#include "promise_worker.hpp"
#include "options.hpp"

namespace etb {
namespace {

Napi::Object decoded_to_js(Napi::Env env, et::DecodedAudio&& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("sampleRate", Napi::Number::New(env, a.sample_rate));
  o.Set("channels", Napi::Number::New(env, a.channels));
  o.Set("encoding", Napi::String::New(env, a.encoding));
  o.Set("bitsPerSample", Napi::Number::New(env, a.bits_per_sample));
  o.Set("dataSizeRepaired", Napi::Boolean::New(env, a.data_size_repaired));
  o.Set("dataTruncated", Napi::Boolean::New(env, a.data_truncated));
  o.Set("samples", to_float32_array(env, std::move(a.samples)));
  return o;
}

Napi::Value DecodeWav(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    BytesView bytes = bytes_arg(info, 0, "bytes");
    return decoded_to_js(info.Env(), et::decode_wav(bytes.data, bytes.length));
  });
}

Napi::Value DecodeWavAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto bytes = std::make_shared<BytesView>(bytes_arg(info, 0, "bytes"));
    bytes->own(inputs_private_arg(info, 2));
    auto cancel = cancel_flag_arg(info, 1);
    auto result = std::make_shared<et::DecodedAudio>();
    return run_async(
        info.Env(),
        [bytes, result, cancel] {
          et::CancelScope scope(cancel->flag);
          et::check_cancel();
          *result = et::decode_wav(bytes->data, bytes->length);
        },
        [bytes, result](Napi::Env env) -> Napi::Value { return decoded_to_js(env, std::move(*result)); });
  });
}

struct ResampleArgs {
  FloatView input;
  uint32_t channels, from, to;
  bool mono;
  uint32_t threads;
};

// (samples, channels, fromRate, toRate, mono, threads)
ResampleArgs resample_args(const Napi::CallbackInfo& info) {
  ResampleArgs a{float32_arg(info, 0, "samples"), uint32_arg(info, 1, "channels"), uint32_arg(info, 2, "fromRate"),
                 uint32_arg(info, 3, "toRate"), info.Length() > 4 && info[4].ToBoolean().Value(),
                 info.Length() > 5 ? uint32_arg(info, 5, "threads") : 1u};
  if (a.channels == 0) throw invalid_arg(info.Env(), "channels must be at least 1; got 0");
  if (a.input.length % a.channels != 0) {
    throw invalid_arg(info.Env(), "samples length " + std::to_string(a.input.length) +
                                      " is not a multiple of the channel count " + std::to_string(a.channels));
  }
  return a;
}

Napi::Value Resample(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    ResampleArgs a = resample_args(info);
    return to_float32_array(info.Env(), et::resample(a.input.data, a.input.length / a.channels, a.channels, a.from, a.to,
                                                     et::ResampleQuality(), a.mono, a.threads));
  });
}

Napi::Value ResampleAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto a = std::make_shared<ResampleArgs>(resample_args(info));
    a->input.own(inputs_private_arg(info, 7));
    auto cancel = cancel_flag_arg(info, 6);
    auto out = std::make_shared<std::vector<float>>();
    return run_async(
        info.Env(),
        [a, out, cancel] {
          et::CancelScope scope(cancel->flag);
          *out = et::resample(a->input.data, a->input.length / a->channels, a->channels, a->from, a->to,
                              et::ResampleQuality(), a->mono, a->threads);
        },
        [a, out](Napi::Env env) -> Napi::Value { return to_float32_array(env, std::move(*out)); });
  });
}

Napi::Value MixToMono(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    FloatView in = float32_arg(info, 0, "samples");
    uint32_t channels = uint32_arg(info, 1, "channels");
    if (channels == 0 || in.length % channels != 0) {
      throw invalid_arg(info.Env(), "samples length " + std::to_string(in.length) +
                                        " is not a positive multiple of the channel count " + std::to_string(channels));
    }
    return to_float32_array(info.Env(), et::mix_to_mono(in.data, in.length / channels, channels));
  });
}

}  // namespace

void register_audio(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeWav", Napi::Function::New(env, DecodeWav, "decodeWav"));
  exports.Set("decodeWavAsync", Napi::Function::New(env, DecodeWavAsync, "decodeWavAsync"));
  exports.Set("resample", Napi::Function::New(env, Resample, "resample"));
  exports.Set("resampleOptionSpecs", specs_to_js(env, et::kResampleOptionSpecs, et::kResampleOptionCount));
  exports.Set("resampleAsync", Napi::Function::New(env, ResampleAsync, "resampleAsync"));
  exports.Set("mixToMono", Napi::Function::New(env, MixToMono, "mixToMono"));
  // The core's audio limits (native/audio/limits.hpp), so TypeScript checks the same numbers.
  Napi::Object lim = Napi::Object::New(env);
  lim.Set("minSampleRate", Napi::Number::New(env, et::limits::kMinSampleRate));
  lim.Set("maxSampleRate", Napi::Number::New(env, et::limits::kMaxSampleRate));
  lim.Set("maxAbsSample", Napi::Number::New(env, et::limits::kMaxAbsSample));
  lim.Set("maxAbsSampleDbfs", Napi::Number::New(env, et::limits::kMaxAbsSampleDbfs));
  lim.Set("maxSamples", Napi::Number::New(env, double(et::limits::kMaxSamples)));
  lim.Set("maxFilterTaps", Napi::Number::New(env, double(et::limits::kMaxFilterTaps)));
  lim.Set("maxFilterTableEntries", Napi::Number::New(env, double(et::limits::kMaxFilterTableEntries)));
  exports.Set("audioLimits", lim);
}

}  // namespace etb
