#include "convert.hpp"

#include <memory>
#include <string>
#include <utility>

#include "../native/cuda/cuda_status.hpp"

namespace etb {

TypedInfo typed_info(Napi::TypedArray arr) {
  TypedInfo t;
  napi_value buffer = nullptr;
  napi_status s = napi_get_typedarray_info(arr.Env(), arr, &t.type, &t.length, &t.data, &buffer, nullptr);
  NAPI_THROW_IF_FAILED(arr.Env(), s, t);
  bool plain = true;
  s = napi_is_arraybuffer(arr.Env(), buffer, &plain);
  NAPI_THROW_IF_FAILED(arr.Env(), s, t);
  t.shared = !plain;
  return t;
}

size_t element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    default: return 8;
  }
}

uint32_t uint32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsNumber()) {
    throw invalid_arg(env, std::string(name) + " must be a number");
  }
  double d = info[index].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != double(uint32_t(d))) {
    throw invalid_arg(env, std::string(name) + " must be an integer in 0..4294967295; got " + std::to_string(d));
  }
  return uint32_t(d);
}

Napi::Float32Array to_float32_array(Napi::Env env, std::vector<float>&& values) {
  size_t n = values.size();
  if (n == 0) return Napi::Float32Array::New(env, 0);
  std::unique_ptr<std::vector<float>> holder(new std::vector<float>(std::move(values)));
  // node-addon-api frees its own finalizer record but not our hint when creation fails (as it does
  // while the environment is shutting down): keep ownership until the buffer exists.
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(
      env, holder->data(), n * sizeof(float),
      [](Napi::Env, void*, std::vector<float>* h) { delete h; }, holder.get());
  holder.release();
  return Napi::Float32Array::New(env, n, buf, 0);
}

#ifdef ET_WITH_CUDA
void require_cuda(Napi::Env env) {
  static const et::CudaStatus status = et::cuda_status();
  if (!status.available) throw make_error(env, et::ErrorCode::BackendUnavailable, "CUDA is not available: " + status.reason);
}
#else
void require_cuda(Napi::Env env) {
  throw make_error(env, et::ErrorCode::BackendUnavailable, "CUDA is not available: " + et::cuda_status().reason);
}
#endif

}  // namespace etb
