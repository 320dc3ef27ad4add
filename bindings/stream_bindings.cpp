// ProsodyStream (native/prosody/stream.hpp) as a JS class: translation only. push() runs on the
// calling thread (a 20 ms chunk costs microseconds), pushAsync()/finishAsync() on the libuv pool
// for large chunks; either returns what the stream decided meanwhile: frame arrays and the 16 kHz
// samples. One call at a time per stream: a call while an async one runs is refused
// (ERR_INVALID_ARG), so the worker thread never shares the stream.
#include <atomic>
#include <cstring>
#include <memory>

#include "../native/prosody/stream.hpp"
#include "bindings.hpp"
#include "convert.hpp"
#include "input_copies.hpp"
#include "promise_worker.hpp"
#include "options.hpp"

namespace etb {
namespace {

using et::prosody::ProsodyStream;
using et::prosody::StreamFrame;

struct Output {
  std::vector<StreamFrame> frames;
  std::vector<float> samples16k;
  std::vector<et::prosody::StreamEnergy> energies;
};

// JS-owned arrays filled by copy: a 20 ms push yields two frames and 320 samples, where an
// external buffer with a finalizer per array would cost more than the copy.
Napi::Float32Array copy_f32(Napi::Env env, const float* data, size_t n) {
  Napi::Float32Array a = Napi::Float32Array::New(env, n);
  if (n) std::memcpy(a.Data(), data, n * sizeof(float));
  return a;
}

// Frames packed as one Float32Array of kFrameFields values per frame (f0, bestF0, voicing, nccf,
// rmsDbfs, intensityDb) plus their indices; energies likewise (rmsDbfs only).
constexpr size_t kFrameFields = 6;

Napi::Object output_to_js(Napi::Env env, Output&& out) {
  const size_t n = out.frames.size();
  Napi::Float64Array index = Napi::Float64Array::New(env, n);
  Napi::Float32Array fields = Napi::Float32Array::New(env, n * kFrameFields);
  for (size_t i = 0; i < n; ++i) {
    const StreamFrame& f = out.frames[i];
    index[i] = double(f.index);
    float* d = fields.Data() + i * kFrameFields;
    d[0] = f.f0;
    d[1] = f.best_f0;
    d[2] = f.voicing;
    d[3] = f.nccf;
    d[4] = f.rms_dbfs;
    d[5] = f.intensity_db;
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", index);
  o.Set("fields", fields);
  o.Set("samples16k", copy_f32(env, out.samples16k.data(), out.samples16k.size()));
  // Energies ahead of the F0 frames (turn segmentation need not wait for the F0 decoder).
  const size_t m = out.energies.size();
  Napi::Float64Array eindex = Napi::Float64Array::New(env, m);
  Napi::Float32Array erms = Napi::Float32Array::New(env, m);
  for (size_t i = 0; i < m; ++i) {
    eindex[i] = double(out.energies[i].index);
    erms[i] = out.energies[i].rms_dbfs;
  }
  o.Set("energyIndex", eindex);
  o.Set("energyRmsDbfs", erms);
  return o;
}

class StreamWrap : public Napi::ObjectWrap<StreamWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ProsodyStream",
                       {InstanceMethod("push", &StreamWrap::Push), InstanceMethod("pushAsync", &StreamWrap::PushAsync),
                        InstanceMethod("finish", &StreamWrap::Finish), InstanceMethod("finishAsync", &StreamWrap::FinishAsync),
                        InstanceMethod("lagBoundSeconds", &StreamWrap::LagBound),
                        InstanceMethod("hopSeconds", &StreamWrap::Hop)});
  }

  // new ProsodyStream(sampleRate, options): options hold prosody (F0/energy) and stream keys.
  explicit StreamWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StreamWrap>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsNumber()) throw invalid_arg(env, "sampleRate must be a number");
      et::prosody::ProsodyOptions po;
      et::prosody::StreamOptions so;
      if (info.Length() > 1 && info[1].IsObject()) {
        Napi::Object o = info[1].As<Napi::Object>();
        read_options(o, et::prosody::kF0OptionSpecs, et::prosody::kF0OptionCount, po.f0);
        read_options(o, et::prosody::kEnergyOptionSpecs, et::prosody::kEnergyOptionCount, po);
        read_options(o, et::prosody::kStreamOptionSpecs, et::prosody::kStreamOptionCount, so);
      }
      stream_ = std::make_shared<ProsodyStream>(info[0].As<Napi::Number>().DoubleValue(), po, so);
      return env.Undefined();
    });
  }

 private:
  std::shared_ptr<ProsodyStream> stream_;
  std::shared_ptr<std::atomic<bool>> busy_ = std::make_shared<std::atomic<bool>>(false);

  void check_idle(Napi::Env env) {
    if (busy_->load()) throw invalid_arg(env, "the stream is busy: one call at a time (await the previous one)");
  }

  Napi::Value Push(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_idle(env);
      FloatView v = float32_arg(info, 0, "samples");
      Output out;
      stream_->push(v.data, v.length);
      stream_->take(out.frames, out.samples16k, &out.energies);
      return output_to_js(env, std::move(out));
    });
  }

  Napi::Value PushAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_idle(env);
      auto v = std::make_shared<FloatView>(float32_arg(info, 0, "samples"));
      v->own(inputs_private_arg(info, 1));
      return start(env, [v](ProsodyStream& s) { s.push(v->data, v->length); }, v);
    });
  }

  Napi::Value Finish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_idle(env);
      Output out;
      stream_->finish();
      stream_->take(out.frames, out.samples16k, &out.energies);
      return output_to_js(env, std::move(out));
    });
  }

  Napi::Value FinishAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_idle(env);
      return start(env, [](ProsodyStream& s) { s.finish(); }, nullptr);
    });
  }

  template <class Op>
  Napi::Value start(Napi::Env env, Op op, std::shared_ptr<FloatView> keep) {
    auto stream = stream_;
    auto busy = busy_;
    auto out = std::make_shared<Output>();
    busy->store(true);
    return run_async(
        env,
        [stream, busy, out, op]() {
          struct Clear {
            std::atomic<bool>& b;
            ~Clear() { b.store(false); }
          } clear{*busy};
          op(*stream);
          stream->take(out->frames, out->samples16k, &out->energies);
        },
        [out, keep](Napi::Env e) -> Napi::Value { return output_to_js(e, std::move(*out)); });
  }

  Napi::Value LagBound(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), stream_->lag_bound_seconds()); }
  Napi::Value Hop(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), stream_->hop_seconds()); }
};

}  // namespace

void register_stream(Napi::Env env, Napi::Object exports) {
  exports.Set("ProsodyStream", StreamWrap::Define(env));
  exports.Set("streamOptionSpecs", specs_to_js(env, et::prosody::kStreamOptionSpecs, et::prosody::kStreamOptionCount));
}

}  // namespace etb
