// Device memory handles and the CUDA GRPO kernels. In a build without CUDA every function
// throws ERR_BACKEND_UNAVAILABLE with the reason, so the JS surface is the same in both builds.
#include <string>

#include "../native/cuda/grpo_cuda.hpp"
#include "bindings.hpp"
#include "convert.hpp"
#include "grpo_options.hpp"

namespace etb {
namespace {

// A device allocation owned by a JS External; freed by dispose() or, failing that, by the GC.
struct DevicePtr {
  void* ptr = nullptr;
  size_t bytes = 0;
};


DevicePtr* handle_arg(const Napi::CallbackInfo& info, size_t index, const char* name, bool optional = false) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || info[index].IsNull() || info[index].IsUndefined()) {
    if (optional) return nullptr;
    throw invalid_arg(env, std::string(name) + " must be a DeviceBuffer");
  }
  if (!info[index].IsExternal()) throw invalid_arg(env, std::string(name) + " must be a DeviceBuffer");
  DevicePtr* d = info[index].As<Napi::External<DevicePtr>>().Data();
  if (!d || !d->ptr) throw invalid_arg(env, std::string(name) + " is a disposed DeviceBuffer");
  return d;
}

size_t size_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsNumber()) throw invalid_arg(info.Env(), std::string(name) + " must be a number");
  double d = info[index].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != double(size_t(d))) throw invalid_arg(info.Env(), std::string(name) + " must be a non-negative integer");
  return size_t(d);
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    require_cuda(info.Env());
    size_t bytes = size_arg(info, 0, "byteLength");
    auto* d = new DevicePtr();
#ifdef ET_WITH_CUDA
    try {
      d->ptr = et::cuda::device_alloc(bytes);
    } catch (...) {
      delete d;
      throw;
    }
#endif
    d->bytes = bytes;
    return Napi::External<DevicePtr>::New(info.Env(), d, [](Napi::Env, DevicePtr* p) {
#ifdef ET_WITH_CUDA
      et::cuda::device_free(p->ptr);
#endif
      delete p;
    });
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsExternal()) {
    DevicePtr* d = info[0].As<Napi::External<DevicePtr>>().Data();
#ifdef ET_WITH_CUDA
    if (d && d->ptr) et::cuda::device_free(d->ptr);
#endif
    if (d) d->ptr = nullptr;
  }
  return info.Env().Undefined();
}

// (handle, typedArray, byteOffset): copies the typed array's bytes into the device buffer.
Napi::Value Upload(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    require_cuda(info.Env());
    DevicePtr* d = handle_arg(info, 0, "buffer");
    if (info.Length() < 2 || !info[1].IsTypedArray()) throw invalid_arg(info.Env(), "data must be a typed array");
    Napi::TypedArray arr = info[1].As<Napi::TypedArray>();
    size_t off = info.Length() > 2 ? size_arg(info, 2, "byteOffset") : 0;
    if (off + arr.ByteLength() > d->bytes) throw invalid_arg(info.Env(), "upload of " + std::to_string(arr.ByteLength()) +
                                                                             " bytes at offset " + std::to_string(off) +
                                                                             " overruns the device buffer of " + std::to_string(d->bytes));
#ifdef ET_WITH_CUDA
    et::cuda::copy_to_device(static_cast<char*>(d->ptr) + off,
                             static_cast<const char*>(typed_info(arr).data), arr.ByteLength());
#endif
    return info.Env().Undefined();
  });
}

// (handle, typedArray): fills the typed array from the start of the device buffer.
Napi::Value Download(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    require_cuda(info.Env());
    DevicePtr* d = handle_arg(info, 0, "buffer");
    if (info.Length() < 2 || !info[1].IsTypedArray()) throw invalid_arg(info.Env(), "target must be a typed array");
    Napi::TypedArray arr = info[1].As<Napi::TypedArray>();
    if (arr.ByteLength() > d->bytes) throw invalid_arg(info.Env(), "download target is larger than the device buffer");
#ifdef ET_WITH_CUDA
    et::cuda::copy_to_host(static_cast<char*>(typed_info(arr).data), d->ptr, arr.ByteLength());
#endif
    return info[1];
  });
}

#ifdef ET_WITH_CUDA
double num_opt(Napi::Object o, const char* key, double def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : def;
}

Napi::Object object_arg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() > index && info[index].IsObject()) return info[index].As<Napi::Object>();
  return Napi::Object::New(info.Env());
}

template <class T>
T* dev(DevicePtr* d) {
  return d ? static_cast<T*>(d->ptr) : nullptr;
}

et::cuda::DeviceGroups groups_arg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Object g = object_arg(info, index);
  et::cuda::DeviceGroups out;
  Napi::Value off = g.Get("offsets");
  if (off.IsExternal()) {
    DevicePtr* d = off.As<Napi::External<DevicePtr>>().Data();
    if (!d || !d->ptr) throw invalid_arg(info.Env(), "groups.offsets is a disposed DeviceBuffer");
    out.offsets = static_cast<const uint32_t*>(d->ptr);
    out.count = size_t(num_opt(g, "count", 0));
    out.max_size = size_t(num_opt(g, "maxSize", 0));
  } else {
    out.size = size_t(num_opt(g, "size", 0));
  }
  return out;
}

et::cuda::DeviceLayout layout_arg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Object o = object_arg(info, index);
  et::cuda::DeviceLayout L;
  Napi::Value off = o.Get("offsets");
  if (off.IsExternal()) {
    DevicePtr* d = off.As<Napi::External<DevicePtr>>().Data();
    if (!d || !d->ptr) throw invalid_arg(info.Env(), "layout.offsets is a disposed DeviceBuffer");
    L.offsets = static_cast<const uint32_t*>(d->ptr);
  }
  L.batch = size_t(num_opt(o, "batch", 0));
  L.length = size_t(num_opt(o, "length", 0));
  L.tokens = size_t(num_opt(o, "tokens", 0));
  return L;
}

#endif

// (rewards, n, groups, advOpts, out)
Napi::Value GroupAdvantages(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    require_cuda(info.Env());
#ifdef ET_WITH_CUDA
    et::cuda::group_advantages(dev<const float>(handle_arg(info, 0, "rewards")), size_arg(info, 1, "n"),
                               groups_arg(info, 2), grpo_opts::advantages(object_arg(info, 3)), dev<float>(handle_arg(info, 4, "out")));
#endif
    return info.Env().Undefined();
  });
}

// (correct, format, judge, n, groups, ptrOpts, advOpts, reasoning?, trust?, reward?, adv)
Napi::Value PtrAdvantages(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    require_cuda(info.Env());
#ifdef ET_WITH_CUDA
    et::grpo::PtrOptions p = grpo_opts::ptr(object_arg(info, 5));
    et::cuda::ptr_advantages(dev<const float>(handle_arg(info, 0, "correct")), dev<const float>(handle_arg(info, 1, "format")),
                             dev<const float>(handle_arg(info, 2, "judgeScores")), size_arg(info, 3, "n"), groups_arg(info, 4), p,
                             grpo_opts::advantages(object_arg(info, 6)), dev<float>(handle_arg(info, 7, "reasoning", true)),
                             dev<float>(handle_arg(info, 8, "trust", true)), dev<float>(handle_arg(info, 9, "reward", true)),
                             dev<float>(handle_arg(info, 10, "advantages")));
#endif
    return info.Env().Undefined();
  });
}

// (logp, old, ref?, adv, advPerToken, mask?, layout, opts, grad?)
Napi::Value TokenLoss(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    require_cuda(info.Env());
#ifdef ET_WITH_CUDA
    auto m = et::cuda::token_loss(dev<const float>(handle_arg(info, 0, "logp")), dev<const float>(handle_arg(info, 1, "oldLogp")),
                                  dev<const float>(handle_arg(info, 2, "refLogp", true)),
                                  dev<const float>(handle_arg(info, 3, "advantages")), info[4].ToBoolean().Value(),
                                  dev<const float>(handle_arg(info, 5, "mask", true)), layout_arg(info, 6),
                                  grpo_opts::loss(object_arg(info, 7)), dev<float>(handle_arg(info, 8, "grad", true)));
    return grpo_opts::metrics(info.Env(), m);
#else
    return info.Env().Undefined();
#endif
  });
}

// (logits, bf16, rows, vocab, labels, old, ref?, adv, mask?, layout, opts (with temperature), logp?, entropy?, grad?)
Napi::Value LogitsLoss(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    require_cuda(info.Env());
#ifdef ET_WITH_CUDA
    auto m = et::cuda::logits_loss(
        dev<const void>(handle_arg(info, 0, "logits")), info[1].ToBoolean().Value(), size_arg(info, 2, "rows"),
        size_arg(info, 3, "vocab"), dev<const int32_t>(handle_arg(info, 4, "labels")),
        dev<const float>(handle_arg(info, 5, "oldLogp")), dev<const float>(handle_arg(info, 6, "refLogp", true)),
        dev<const float>(handle_arg(info, 7, "advantages")), dev<const float>(handle_arg(info, 8, "mask", true)),
        layout_arg(info, 9), grpo_opts::logits(object_arg(info, 10)), dev<float>(handle_arg(info, 11, "logp", true)),
        dev<float>(handle_arg(info, 12, "entropy", true)), dev<void>(handle_arg(info, 13, "grad", true)));
    return grpo_opts::metrics(info.Env(), m);
#else
    return info.Env().Undefined();
#endif
  });
}

// (op, a, b, repeats) → median kernel milliseconds
Napi::Value Benchmark(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    require_cuda(info.Env());
#ifdef ET_WITH_CUDA
    double ms = et::cuda::benchmark_kernel(int(size_arg(info, 0, "op")), size_arg(info, 1, "a"), size_arg(info, 2, "b"),
                                           int(size_arg(info, 3, "repeats")));
    return Napi::Number::New(info.Env(), ms);
#else
    return info.Env().Undefined();
#endif
  });
}

}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("alloc", Napi::Function::New(env, Alloc, "alloc"));
  c.Set("free", Napi::Function::New(env, Free, "free"));
  c.Set("upload", Napi::Function::New(env, Upload, "upload"));
  c.Set("download", Napi::Function::New(env, Download, "download"));
  c.Set("groupAdvantages", Napi::Function::New(env, GroupAdvantages, "groupAdvantages"));
  c.Set("ptrAdvantages", Napi::Function::New(env, PtrAdvantages, "ptrAdvantages"));
  c.Set("tokenLoss", Napi::Function::New(env, TokenLoss, "tokenLoss"));
  c.Set("logitsLoss", Napi::Function::New(env, LogitsLoss, "logitsLoss"));
  c.Set("benchmark", Napi::Function::New(env, Benchmark, "benchmark"));
  exports.Set("cuda", c);
}

}  // namespace etb
