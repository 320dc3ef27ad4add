// prosodyF0 / prosodyAnalyze, sync and async (libuv pool), and the CUDA batch. Options arrive as a
// plain object with camelCase keys, read through the core's option tables (options.hpp); the core
// validates ranges once and names the field on error. NaN functionals become
// null here so that nothing downstream ever sees NaN in JSON.
#include <cmath>
#include <memory>

#include "../native/prosody/batch.hpp"
#include "../native/prosody/prosody.hpp"
#include "bindings.hpp"
#include "cancel.hpp"
#include "convert.hpp"
#include "input_copies.hpp"
#include "promise_worker.hpp"
#include "options.hpp"

namespace etb {
namespace {

using et::prosody::ProsodyOptions;
using et::prosody::ProsodyResult;

ProsodyOptions options_arg(const Napi::CallbackInfo& info, size_t index) {
  ProsodyOptions p;
  if (info.Length() <= index || info[index].IsUndefined() || info[index].IsNull()) return p;
  if (!info[index].IsObject()) throw invalid_arg(info.Env(), "options must be an object");
  Napi::Object o = info[index].As<Napi::Object>();
  read_options(o, et::prosody::kF0OptionSpecs, et::prosody::kF0OptionCount, p.f0);
  read_options(o, et::prosody::kEnergyOptionSpecs, et::prosody::kEnergyOptionCount, p);
  return p;  // ranges: the core's validate(), once, in the entry that runs
}

// The type only: the core checks the rate (prosody::prepare_input).
double rate_arg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsNumber()) throw invalid_arg(info.Env(), "sampleRate must be a number");
  return info[index].As<Napi::Number>().DoubleValue();
}

Napi::Value num_or_null(Napi::Env env, double v) {
  return std::isfinite(v) ? Napi::Value(Napi::Number::New(env, v)) : env.Null();
}

Napi::Object track_to_js(Napi::Env env, et::prosody::F0Track&& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("hopSeconds", Napi::Number::New(env, t.hop_seconds));
  o.Set("f0", to_float32_array(env, std::move(t.f0)));
  o.Set("bestF0", to_float32_array(env, std::move(t.best_f0)));
  o.Set("voicing", to_float32_array(env, std::move(t.voicing)));
  o.Set("nccf", to_float32_array(env, std::move(t.nccf)));
  return o;
}

Napi::Array segments_to_js(Napi::Env env, const std::vector<et::prosody::Segment>& s) {
  Napi::Array a = Napi::Array::New(env, s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("start", Napi::Number::New(env, s[i].start));
    o.Set("end", Napi::Number::New(env, s[i].end));
    o.Set("duration", Napi::Number::New(env, s[i].end - s[i].start));
    a.Set(uint32_t(i), o);
  }
  return a;
}

Napi::Object result_to_js(Napi::Env env, ProsodyResult&& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("hopSeconds", Napi::Number::New(env, r.hop_seconds));
  o.Set("duration", Napi::Number::New(env, r.duration));
  o.Set("analysisRate", Napi::Number::New(env, r.analysis_rate));
  o.Set("clippedRatio", Napi::Number::New(env, r.clipped_ratio));
  o.Set("dcOffset", Napi::Number::New(env, r.dc_offset));
  o.Set("silenceThresholdDb", num_or_null(env, r.silence_threshold_db));
  o.Set("track", track_to_js(env, std::move(r.f0)));
  o.Set("rmsDbfs", to_float32_array(env, std::move(r.rms_dbfs)));
  o.Set("intensityDb", to_float32_array(env, std::move(r.intensity_db)));
  o.Set("voiced", segments_to_js(env, r.voiced));
  o.Set("unvoiced", segments_to_js(env, r.unvoiced));
  o.Set("silences", segments_to_js(env, r.silences));
  o.Set("pauses", segments_to_js(env, r.pauses));
  o.Set("sounding", segments_to_js(env, r.sounding));
  Napi::Array nuc = Napi::Array::New(env, r.nuclei.size());
  for (size_t i = 0; i < r.nuclei.size(); ++i) {
    Napi::Object n = Napi::Object::New(env);
    n.Set("time", Napi::Number::New(env, r.nuclei[i].time));
    n.Set("intensityDb", Napi::Number::New(env, r.nuclei[i].intensity_db));
    nuc.Set(uint32_t(i), n);
  }
  o.Set("nuclei", nuc);
  const auto& f = r.fn;
  Napi::Object fn = Napi::Object::New(env);
#define ET_FN(key, field) fn.Set(key, num_or_null(env, f.field))
  ET_FN("f0MeanSt", f0_mean_st);
  ET_FN("f0SdSt", f0_sd_st);
  ET_FN("f0P5St", f0_p5_st);
  ET_FN("f0P20St", f0_p20_st);
  ET_FN("f0P50St", f0_p50_st);
  ET_FN("f0P80St", f0_p80_st);
  ET_FN("f0P95St", f0_p95_st);
  ET_FN("f0Range20to80St", f0_range_20_80_st);
  ET_FN("f0Range5to95St", f0_range_5_95_st);
  ET_FN("f0RisingSlopeStPerS", f0_rising_slope_st_s);
  ET_FN("f0FallingSlopeStPerS", f0_falling_slope_st_s);
  ET_FN("f0MedianHz", f0_median_hz);
  ET_FN("intensityMeanDb", intensity_mean_db);
  ET_FN("intensitySdDb", intensity_sd_db);
  ET_FN("intensityP5Db", intensity_p5_db);
  ET_FN("intensityP20Db", intensity_p20_db);
  ET_FN("intensityP50Db", intensity_p50_db);
  ET_FN("intensityP80Db", intensity_p80_db);
  ET_FN("intensityP95Db", intensity_p95_db);
  ET_FN("rmsMeanDbfs", rms_mean_dbfs);
  ET_FN("rmsSdDbfs", rms_sd_dbfs);
  ET_FN("rmsP5Dbfs", rms_p5_dbfs);
  ET_FN("rmsP20Dbfs", rms_p20_dbfs);
  ET_FN("rmsP50Dbfs", rms_p50_dbfs);
  ET_FN("rmsP80Dbfs", rms_p80_dbfs);
  ET_FN("rmsP95Dbfs", rms_p95_dbfs);
  ET_FN("voicedRatio", voiced_ratio);
  ET_FN("voicedSegmentsPerSecond", voiced_segments_per_second);
  ET_FN("voicedSegmentMeanS", voiced_segment_mean_s);
  ET_FN("voicedSegmentSdS", voiced_segment_sd_s);
  ET_FN("unvoicedSegmentMeanS", unvoiced_segment_mean_s);
  ET_FN("unvoicedSegmentSdS", unvoiced_segment_sd_s);
  ET_FN("pauseCount", pause_count);
  ET_FN("pauseRatePerS", pause_rate_per_s);
  ET_FN("pauseMeanS", pause_mean_s);
  ET_FN("pauseTotalS", pause_total_s);
  ET_FN("syllableCount", syllable_count);
  ET_FN("speechRate", speech_rate);
  ET_FN("articulationRate", articulation_rate);
  ET_FN("averageSyllableDurationS", average_syllable_duration_s);
  ET_FN("phonationTimeS", phonation_time_s);
  ET_FN("phonationRatio", phonation_ratio);
  ET_FN("durationS", duration_s);
#undef ET_FN
  o.Set("functionals", fn);
  const auto& in = r.intonation;
  Napi::Object io = Napi::Object::New(env);
  io.Set("label", Napi::String::New(env, in.label));
  io.Set("rangeClass", in.range_class.empty() ? env.Null() : Napi::Value(Napi::String::New(env, in.range_class)));
  io.Set("direction", in.direction.empty() ? env.Null() : Napi::Value(Napi::String::New(env, in.direction)));
  io.Set("turn", in.turn.empty() ? env.Null() : Napi::Value(Napi::String::New(env, in.turn)));
  io.Set("rangeSt", num_or_null(env, in.range_st));
  io.Set("directionSt", num_or_null(env, in.direction_st));
  io.Set("turnDepthSt", num_or_null(env, in.turn_depth_st));
  io.Set("curvatureSt", num_or_null(env, in.curvature_st));
  io.Set("r2Gain", num_or_null(env, in.r2_gain));
  io.Set("vertex", num_or_null(env, in.vertex));
  io.Set("voicedSeconds", Napi::Number::New(env, in.voiced_seconds));
  io.Set("confidence", Napi::Number::New(env, in.confidence));
  o.Set("intonation", io);
  return o;
}

struct Args {
  FloatView samples;
  double rate;
  ProsodyOptions options;
  bool has_speech = false;
  std::vector<et::prosody::Segment> speech;
};

// Speech segments from a VAD: a Float64Array of [start, end] pairs in seconds; undefined: none.
bool speech_arg(Napi::Value v, const std::string& name, std::vector<et::prosody::Segment>& out) {
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw invalid_arg(v.Env(), name + " must be a Float64Array of [start, end] pairs");
  Napi::Float64Array a = v.As<Napi::Float64Array>();
  if (a.ElementLength() % 2) throw invalid_arg(v.Env(), name + " must hold [start, end] pairs (an even length)");
  const double* d = a.Data();
  out.resize(a.ElementLength() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = {d[2 * i], d[2 * i + 1]};
  return true;
}

Args args(const Napi::CallbackInfo& info) {
  Args a{float32_arg(info, 0, "samples"), rate_arg(info, 1), ProsodyOptions()};
  a.options = options_arg(info, 2);
  return a;
}

Napi::Value ProsodyF0(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Args a = args(info);
    return track_to_js(info.Env(), et::prosody::analyze_f0(a.samples.data, a.samples.length, a.rate, a.options));
  });
}

Napi::Value ProsodyF0Async(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto a = std::make_shared<Args>(args(info));
    a->samples.own(inputs_private_arg(info, 4));
    auto cancel = cancel_flag_arg(info, 3);
    auto out = std::make_shared<et::prosody::F0Track>();
    return run_async(
        info.Env(),
        [a, out, cancel] {
          et::CancelScope scope(cancel->flag);
          *out = et::prosody::analyze_f0(a->samples.data, a->samples.length, a->rate, a->options);
        },
        [a, out](Napi::Env env) -> Napi::Value { return track_to_js(env, std::move(*out)); });
  });
}

Napi::Value ProsodyAnalyze(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Args a = args(info);
    return result_to_js(info.Env(), et::prosody::analyze(a.samples.data, a.samples.length, a.rate, a.options));
  });
}

Napi::Value ProsodyAnalyzeAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto a = std::make_shared<Args>(args(info));
    a->samples.own(inputs_private_arg(info, 5));
    auto cancel = cancel_flag_arg(info, 3);
    if (info.Length() > 4) a->has_speech = speech_arg(info[4], "speech", a->speech);
    auto out = std::make_shared<ProsodyResult>();
    return run_async(
        info.Env(),
        [a, out, cancel] {
          et::CancelScope scope(cancel->flag);
          *out = et::prosody::analyze(a->samples.data, a->samples.length, a->rate, a->options, a->has_speech ? &a->speech : nullptr);
        },
        [a, out](Napi::Env env) -> Napi::Value { return result_to_js(env, std::move(*out)); });
  });
}

// ---- CUDA batch: many clips in one GPU pass (native/prosody/batch.hpp) -----------------------

struct BatchInput {
  std::vector<FloatView> samples;  // owned copies: the worker reads them (see OwnedBytes)
  std::vector<std::vector<et::prosody::Segment>> speech;
  std::vector<et::prosody::BatchClip> clips;
};

// prosodyAnalyzeBatchCudaAsync(samples: Float32Array[], rates: number[], options, speech?: (Float64Array | undefined)[]) →
// Promise<(RawProsody | Error)[]>: per-clip input errors come back in place, not as a rejection.
Napi::Value ProsodyAnalyzeBatchCudaAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray())
      throw invalid_arg(env, "prosodyAnalyzeBatchCuda(samples[], rates[], options) needs two arrays");
    Napi::Array sa = info[0].As<Napi::Array>(), ra = info[1].As<Napi::Array>();
    if (sa.Length() != ra.Length()) throw invalid_arg(env, "samples and rates must have the same length");
    const bool speech = info.Length() > 3 && info[3].IsArray();
    if (info.Length() > 3 && !info[3].IsUndefined() && !speech) throw invalid_arg(env, "speech must be an array");
    auto in = std::make_shared<BatchInput>();
    in->samples.resize(sa.Length());
    in->speech.resize(sa.Length());
    in->clips.resize(sa.Length());
    for (uint32_t i = 0; i < sa.Length(); ++i) {  // JS arrays to C++ (translation only)
      Napi::Value v = sa.Get(i), r = ra.Get(i);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw invalid_arg(env, "samples[" + std::to_string(i) + "] must be a Float32Array");
      if (!r.IsNumber()) throw invalid_arg(env, "rates[" + std::to_string(i) + "] must be a number");
      Napi::Float32Array arr = v.As<Napi::Float32Array>();
      in->samples[i].data = arr.Data();
      in->samples[i].length = arr.ElementLength();
      in->samples[i].own();
      in->clips[i] = {in->samples[i].data, in->samples[i].length, r.As<Napi::Number>().DoubleValue(), nullptr};
      if (speech && speech_arg(info[3].As<Napi::Array>().Get(i), "speech[" + std::to_string(i) + "]", in->speech[i]))
        in->clips[i].speech = &in->speech[i];
    }
    const ProsodyOptions opt = et::prosody::cuda_batch_options(options_arg(info, 2));
    require_cuda(env);
#ifdef ET_WITH_CUDA
    auto out = std::make_shared<std::vector<et::prosody::BatchItem>>();
    return run_async(
        env,
        [in, out, opt] {
          *out = et::prosody::analyze_batch(in->clips, opt, [](const std::vector<et::cuda::ClipInput>& c, const ProsodyOptions& o) {
            return et::cuda::prosody_tracks_batch(c, o, nullptr, false, /*options_resolved=*/true);
          });
        },
        [in, out](Napi::Env env) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, out->size());
          for (uint32_t i = 0; i < out->size(); ++i) {  // C++ results to JS (translation only)
            auto& item = (*out)[i];
            if (!item.ok()) a.Set(i, make_error(env, item.error_code.c_str(), item.error_message).Value());
            else a.Set(i, result_to_js(env, std::move(item.result)));
          }
          return a;
        });
#else
    (void)opt;  // not reached: require_cuda throws in a build without CUDA
#endif
  });
}

// prosodyResolveOptions(options, entry: 'cpu' | 'cuda') → the options that entry would run with,
// every key of the tables filled in (defaults included). Resolves only: nothing is launched, so
// it answers without a GPU. The CPU entries resolve with validate(), the CUDA host entry with
// cuda_batch_options() (batch.hpp).
Napi::Value ProsodyResolveOptions(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const std::string entry = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    ProsodyOptions o = options_arg(info, 0);
    if (entry == "cpu") et::prosody::validate(o);
    else if (entry == "cuda") o = et::prosody::cuda_batch_options(o);
    else throw invalid_arg(env, "entry must be 'cpu' or 'cuda'");
    Napi::Object out = Napi::Object::New(env);
    options_to_js(out, et::prosody::kF0OptionSpecs, et::prosody::kF0OptionCount, o.f0);
    options_to_js(out, et::prosody::kEnergyOptionSpecs, et::prosody::kEnergyOptionCount, o);
    return out;
  });
}

// prosodyCudaBenchmarkAsync(clips: (Int16Array | Float32Array)[] at 16 kHz, options, repeats) →
// Promise<{ h2dMs, computeMs, d2hMs, gpuMs, totalMs, frames, samples }[]>: the GPU pipeline from
// page-locked host audio to per-frame tracks on the host (no functionals).
Napi::Value ProsodyCudaBenchmarkAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) throw invalid_arg(env, "clips must be an array of Int16Array or Float32Array");
    Napi::Array ca = info[0].As<Napi::Array>();
    struct Held {
      std::vector<OwnedBytes> copies;  // the worker reads copies (see OwnedBytes)
      std::vector<const void*> data;
      std::vector<size_t> n;
      bool s16 = false;
    };
    auto held = std::make_shared<Held>();
    for (uint32_t i = 0; i < ca.Length(); ++i) {
      Napi::Value v = ca.Get(i);
      const napi_typedarray_type want = i == 0 && v.IsTypedArray() ? v.As<Napi::TypedArray>().TypedArrayType() : napi_int16_array;
      if (i == 0) held->s16 = want == napi_int16_array;
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != (held->s16 ? napi_int16_array : napi_float32_array))
        throw invalid_arg(env, "clips[" + std::to_string(i) + "] must be an Int16Array or Float32Array, all of one type");
      Napi::TypedArray t = v.As<Napi::TypedArray>();
      TypedInfo ti = typed_info(t);
      held->copies.emplace_back();
      held->data.push_back(held->copies.back().assign(ti.data, ti.length * element_size(ti.type)));
      held->n.push_back(ti.length);
    }
    const ProsodyOptions opt = options_arg(info, 1);
    int repeats = 5;
    if (info.Length() > 2 && info[2].IsNumber()) repeats = info[2].As<Napi::Number>().Int32Value();
    if (repeats < 1 || repeats > 1000) throw invalid_arg(env, "repeats must be in 1..1000");
    require_cuda(env);
#ifdef ET_WITH_CUDA
    auto out = std::make_shared<std::vector<et::cuda::ProsodyTiming>>();
    return run_async(
        env,
        [held, out, opt, repeats] {
          std::vector<et::cuda::ClipInput> clips(held->data.size());
          for (size_t i = 0; i < clips.size(); ++i) {
            clips[i].n = held->n[i];
            if (held->s16) clips[i].s16 = static_cast<const int16_t*>(held->data[i]);
            else clips[i].f32 = static_cast<const float*>(held->data[i]);
          }
          *out = et::cuda::prosody_benchmark(clips, opt, repeats);
        },
        [held, out](Napi::Env env) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, out->size());
          for (uint32_t i = 0; i < out->size(); ++i) {
            const auto& t = (*out)[i];
            Napi::Object o = Napi::Object::New(env);
            o.Set("h2dMs", t.h2d_ms);
            o.Set("computeMs", t.compute_ms);
            o.Set("d2hMs", t.d2h_ms);
            o.Set("gpuMs", t.gpu_ms);
            o.Set("totalMs", t.total_ms);
            o.Set("frames", double(t.frames));
            o.Set("samples", double(t.samples));
            a.Set(i, o);
          }
          return a;
        });
#else
    (void)opt;  // not reached: require_cuda throws in a build without CUDA
#endif
  });
}

}  // namespace

void register_prosody(Napi::Env env, Napi::Object exports) {
  exports.Set("prosodyF0", Napi::Function::New(env, ProsodyF0, "prosodyF0"));
  exports.Set("prosodyF0Async", Napi::Function::New(env, ProsodyF0Async, "prosodyF0Async"));
  exports.Set("prosodyAnalyze", Napi::Function::New(env, ProsodyAnalyze, "prosodyAnalyze"));
  exports.Set("prosodyAnalyzeAsync", Napi::Function::New(env, ProsodyAnalyzeAsync, "prosodyAnalyzeAsync"));
  exports.Set("prosodyAnalyzeBatchCudaAsync",
              Napi::Function::New(env, ProsodyAnalyzeBatchCudaAsync, "prosodyAnalyzeBatchCudaAsync"));
  exports.Set("prosodyResolveOptions", Napi::Function::New(env, ProsodyResolveOptions, "prosodyResolveOptions"));
  Napi::Object specs = Napi::Object::New(env);
  specs.Set("f0", specs_to_js(env, et::prosody::kF0OptionSpecs, et::prosody::kF0OptionCount));
  specs.Set("energy", specs_to_js(env, et::prosody::kEnergyOptionSpecs, et::prosody::kEnergyOptionCount));
  exports.Set("prosodyOptionSpecs", specs);
  const auto& th = et::prosody::kIntonationThresholds;
  Napi::Object it = Napi::Object::New(env);
  it.Set("minVoicedSeconds", th.min_voiced_seconds);
  it.Set("minConfidence", th.min_confidence);
  it.Set("flatBelowSt", th.flat_below_st);
  it.Set("expressiveAboveSt", th.expressive_above_st);
  it.Set("directionSt", th.direction_st);
  it.Set("turnVertexMin", th.turn_vertex_min);
  it.Set("turnVertexMax", th.turn_vertex_max);
  it.Set("turnDepthSt", th.turn_depth_st);
  it.Set("turnR2Gain", th.turn_r2_gain);
  it.Freeze();
  exports.Set("intonationThresholds", it);
  exports.Set("prosodyCudaBenchmarkAsync", Napi::Function::New(env, ProsodyCudaBenchmarkAsync, "prosodyCudaBenchmarkAsync"));
}

}  // namespace etb
