// One registration function per binding file; addon.cpp calls them all.
#pragma once
#include <napi.h>

namespace etb {
void register_audio(Napi::Env env, Napi::Object exports);
void register_backend(Napi::Env env, Napi::Object exports);
void register_prosody(Napi::Env env, Napi::Object exports);
void register_grpo(Napi::Env env, Napi::Object exports);
void register_cuda(Napi::Env env, Napi::Object exports);
void register_features(Napi::Env env, Napi::Object exports);
void register_stream(Napi::Env env, Napi::Object exports);
void register_resampler(Napi::Env env, Napi::Object exports);
}  // namespace etb
