// spectralStats(samples, rate, options?) and voiceStats(samples, rate, f0, hopSeconds, options?),
// sync and async.
#include <cmath>
#include <memory>

#include "../native/features/spectral.hpp"
#include "../native/features/voice.hpp"
#include "bindings.hpp"
#include "cancel.hpp"
#include "convert.hpp"
#include "input_copies.hpp"
#include "promise_worker.hpp"
#include "options.hpp"

namespace etb {
namespace {

et::features::SpectralOptions spectral_options(const Napi::CallbackInfo& info, size_t index) {
  et::features::SpectralOptions o;
  if (info.Length() <= index || !info[index].IsObject()) return o;
  Napi::Object obj = info[index].As<Napi::Object>();
  auto num = [&](const char* k, double d) { Napi::Value v = obj.Get(k); return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : d; };
  o.mel_bands = int(num("melBands", o.mel_bands));
  o.mfcc = int(num("mfcc", o.mfcc));
  o.fmin = num("fmin", o.fmin);
  o.fmax = num("fmax", o.fmax);
  o.floor_db = num("floorDb", o.floor_db);
  return o;
}

Napi::Float32Array copy_floats(Napi::Env env, const std::vector<float>& v) {
  std::vector<float> c(v);
  return to_float32_array(env, std::move(c));
}

Napi::Object stats_to_js(Napi::Env env, const et::features::SpectralStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("frames", Napi::Number::New(env, double(s.frames)));
  o.Set("usedFrames", Napi::Number::New(env, double(s.used_frames)));
  o.Set("melMean", copy_floats(env, s.mel_mean));
  o.Set("melStd", copy_floats(env, s.mel_std));
  o.Set("mfccMean", copy_floats(env, s.mfcc_mean));
  o.Set("mfccStd", copy_floats(env, s.mfcc_std));
  o.Set("deltaMfccStd", copy_floats(env, s.delta_mfcc_std));
  return o;
}

double rate_arg(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[1].IsNumber()) throw invalid_arg(info.Env(), "sampleRate must be a number");
  return info[1].As<Napi::Number>().DoubleValue();
}

Napi::Value SpectralStats(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    FloatView x = float32_arg(info, 0, "samples");
    return stats_to_js(info.Env(), et::features::spectral_stats(x.data, x.length, rate_arg(info), spectral_options(info, 2)));
  });
}

Napi::Value SpectralStatsAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto x = std::make_shared<FloatView>(float32_arg(info, 0, "samples"));
    x->own(inputs_private_arg(info, 4));
    double rate = rate_arg(info);
    auto opt = spectral_options(info, 2);
    auto cancel = cancel_flag_arg(info, 3);
    auto out = std::make_shared<et::features::SpectralStats>();
    return run_async(
        info.Env(),
        [x, rate, opt, out, cancel] {
          et::CancelScope scope(cancel->flag);
          *out = et::features::spectral_stats(x->data, x->length, rate, opt);
        },
        [x, out](Napi::Env env) -> Napi::Value { return stats_to_js(env, *out); });
  });
}

et::features::VoiceOptions voice_options(const Napi::CallbackInfo& info, size_t index) {
  et::features::VoiceOptions o;
  if (info.Length() <= index || info[index].IsUndefined() || info[index].IsNull()) return o;
  if (!info[index].IsObject()) throw invalid_arg(info.Env(), "options must be an object");
  read_options(info[index].As<Napi::Object>(), et::features::kVoiceOptionSpecs, et::features::kVoiceOptionCount, o);
  return o;  // ranges: the core's validate(), once per call
}

Napi::Object voice_to_js(Napi::Env env, const et::features::VoiceStats& s) {
  Napi::Object o = Napi::Object::New(env);
  auto put = [&](const char* k, double v) { o.Set(k, std::isfinite(v) ? Napi::Value(Napi::Number::New(env, v)) : env.Null()); };
  o.Set("voicedFrames", Napi::Number::New(env, double(s.voiced_frames)));
  o.Set("unvoicedFrames", Napi::Number::New(env, double(s.unvoiced_frames)));
  o.Set("periods", Napi::Number::New(env, double(s.periods)));
  put("hnrMean", s.hnr_mean), put("hnrSd", s.hnr_sd);
  put("jitterLocal", s.jitter_local), put("shimmerLocal", s.shimmer_local), put("shimmerDb", s.shimmer_db);
  put("alphaRatioMean", s.alpha_mean), put("alphaRatioSd", s.alpha_sd);
  put("hammarbergMean", s.hammarberg_mean), put("hammarbergSd", s.hammarberg_sd);
  put("slope0to500Mean", s.slope_lo_mean), put("slope0to500Sd", s.slope_lo_sd);
  put("slope500to1500Mean", s.slope_hi_mean), put("slope500to1500Sd", s.slope_hi_sd);
  put("h1h2Mean", s.h1h2_mean), put("h1h2Sd", s.h1h2_sd);
  put("fluxMean", s.flux_mean), put("fluxSd", s.flux_sd);
  put("alphaRatioUv", s.alpha_uv), put("hammarbergUv", s.hammarberg_uv);
  put("slope0to500Uv", s.slope_lo_uv), put("slope500to1500Uv", s.slope_hi_uv);
  return o;
}

double hop_arg(const Napi::CallbackInfo& info) {
  if (info.Length() < 4 || !info[3].IsNumber()) throw invalid_arg(info.Env(), "hopSeconds must be a number");
  return info[3].As<Napi::Number>().DoubleValue();
}

Napi::Value VoiceStats(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    FloatView x = float32_arg(info, 0, "samples");
    double rate = rate_arg(info);
    FloatView f0 = float32_arg(info, 2, "f0");
    return voice_to_js(info.Env(), et::features::voice_stats(x.data, x.length, rate, f0.data, f0.length, hop_arg(info), voice_options(info, 4)));
  });
}

Napi::Value VoiceStatsAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto x = std::make_shared<FloatView>(float32_arg(info, 0, "samples"));
    x->own(inputs_private_arg(info, 6));
    double rate = rate_arg(info);
    auto f0 = std::make_shared<FloatView>(float32_arg(info, 2, "f0"));
    f0->own(inputs_private_arg(info, 6));
    double hop = hop_arg(info);
    auto opt = voice_options(info, 4);
    auto cancel = cancel_flag_arg(info, 5);
    auto out = std::make_shared<et::features::VoiceStats>();
    return run_async(
        info.Env(),
        [x, f0, rate, hop, opt, out, cancel] {
          et::CancelScope scope(cancel->flag);
          *out = et::features::voice_stats(x->data, x->length, rate, f0->data, f0->length, hop, opt);
        },
        [x, f0, out](Napi::Env env) -> Napi::Value { return voice_to_js(env, *out); });
  });
}

}  // namespace

void register_features(Napi::Env env, Napi::Object exports) {
  exports.Set("spectralStats", Napi::Function::New(env, SpectralStats, "spectralStats"));
  exports.Set("spectralStatsAsync", Napi::Function::New(env, SpectralStatsAsync, "spectralStatsAsync"));
  exports.Set("voiceStats", Napi::Function::New(env, VoiceStats, "voiceStats"));
  exports.Set("voiceOptionSpecs", specs_to_js(env, et::features::kVoiceOptionSpecs, et::features::kVoiceOptionCount));
  exports.Set("voiceStatsAsync", Napi::Function::New(env, VoiceStatsAsync, "voiceStatsAsync"));
}

}  // namespace etb
