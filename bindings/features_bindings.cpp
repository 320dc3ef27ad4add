// spectralStats(samples, rate, options?) sync and async.
#include <memory>

#include "../native/features/spectral.hpp"
#include "bindings.hpp"
#include "convert.hpp"

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
    double rate = rate_arg(info);
    auto opt = spectral_options(info, 2);
    auto out = std::make_shared<et::features::SpectralStats>();
    return run_async(
        info.Env(), [x, rate, opt, out] { *out = et::features::spectral_stats(x->data, x->length, rate, opt); },
        [x, out](Napi::Env env) -> Napi::Value { return stats_to_js(env, *out); });
  });
}

}  // namespace

void register_features(Napi::Env env, Napi::Object exports) {
  exports.Set("spectralStats", Napi::Function::New(env, SpectralStats, "spectralStats"));
  exports.Set("spectralStatsAsync", Napi::Function::New(env, SpectralStatsAsync, "spectralStatsAsync"));
}

}  // namespace etb
