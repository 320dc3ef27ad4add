// cudaStatus() and buildInfo(): what this binary was built with and what it can use.
#include "../native/cuda/cuda_status.hpp"
#include "bindings.hpp"
#include "convert.hpp"

namespace etb {
namespace {

Napi::Value CudaStatus(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    et::CudaStatus s = et::cuda_status();
    Napi::Object o = Napi::Object::New(env);
    o.Set("compiled", Napi::Boolean::New(env, s.compiled));
    o.Set("available", Napi::Boolean::New(env, s.available));
    o.Set("reason", Napi::String::New(env, s.reason));
    o.Set("deviceCount", Napi::Number::New(env, s.device_count));
    o.Set("deviceName", Napi::String::New(env, s.device_name));
    o.Set("computeCapability", Napi::String::New(env, std::to_string(s.compute_major) + "." + std::to_string(s.compute_minor)));
    o.Set("totalMemory", Napi::Number::New(env, double(s.total_memory)));
    o.Set("driverVersion", Napi::Number::New(env, s.driver_version));
    o.Set("runtimeVersion", Napi::Number::New(env, s.runtime_version));
    return o;
  });
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#ifdef ET_WITH_CUDA
  o.Set("cuda", Napi::Boolean::New(env, true));
#else
  o.Set("cuda", Napi::Boolean::New(env, false));
#endif
#ifdef ET_BUILD_SYSTEM
  o.Set("buildSystem", Napi::String::New(env, ET_BUILD_SYSTEM));
#endif
  o.Set("compiler", Napi::String::New(env, __VERSION__));
  return o;
}

}  // namespace

void register_backend(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaStatus", Napi::Function::New(env, CudaStatus, "cudaStatus"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  // The error-code table of native/common/error.hpp: [{ code, public, meaning }].
  Napi::Array codes = Napi::Array::New(env);
#define ET_ERROR_ROW(name, str, scope, meaning)          \
  {                                                        \
    Napi::Object row = Napi::Object::New(env);             \
    row.Set("code", str);                                  \
    row.Set("public", bool(scope));                        \
    row.Set("meaning", meaning);                           \
    codes.Set(codes.Length(), row);                        \
  }
  ET_ERROR_CODES(ET_ERROR_ROW)
#undef ET_ERROR_ROW
  exports.Set("errorCodes", codes);
}

}  // namespace etb
