#include "convert.hpp"

#include "../native/cuda/cuda_status.hpp"

namespace etb {

BytesView bytes_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsTypedArray()) {
    throw invalid_arg(env, std::string(name) + " must be a Uint8Array or Buffer");
  }
  Napi::TypedArray arr = info[index].As<Napi::TypedArray>();
  if (arr.TypedArrayType() != napi_uint8_array) {
    throw invalid_arg(env, std::string(name) + " must be a Uint8Array or Buffer");
  }
  BytesView v;
  v.data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  v.size = arr.ByteLength();
  v.keep = Napi::Persistent(arr.As<Napi::Object>());
  return v;
}

FloatView float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw invalid_arg(env, std::string(name) + " must be a Float32Array");
  }
  Napi::Float32Array arr = info[index].As<Napi::Float32Array>();
  FloatView v;
  v.data = arr.Data();
  v.length = arr.ElementLength();
  v.keep = Napi::Persistent(arr.As<Napi::Object>());
  return v;
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
  auto* holder = new std::vector<float>(std::move(values));
  size_t n = holder->size();
  if (n == 0) {
    delete holder;
    return Napi::Float32Array::New(env, 0);
  }
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(
      env, holder->data(), n * sizeof(float),
      [](Napi::Env, void*, std::vector<float>* h) { delete h; }, holder);
  return Napi::Float32Array::New(env, n, buf, 0);
}

#ifdef ET_WITH_CUDA
void require_cuda(Napi::Env env) {
  static const et::CudaStatus status = et::cuda_status();
  if (!status.available) throw make_error(env, "ERR_BACKEND_UNAVAILABLE", "CUDA is not available: " + status.reason);
}
#else
void require_cuda(Napi::Env env) {
  throw make_error(env, "ERR_BACKEND_UNAVAILABLE", "CUDA is not available: " + et::cuda_status().reason);
}
#endif

}  // namespace etb
