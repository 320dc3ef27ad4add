// The one JS → C++ conversion of the GRPO option sets and the one C++ → JS conversion of the loss
// metrics, used by the CPU entry points (grpo_bindings.cpp) and the CUDA ones (cuda_bindings.cpp)
// alike: both take the same resolved option objects (string enums, src/grpo-options.ts) and give
// the same metrics object. Keys, defaults and choices come from native/grpo/options.hpp; range
// checks are the core's (validate_loss_options and friends), so nothing is restated here.
#pragma once
#include <napi.h>

#include <string>

#include "../native/grpo/grpo.hpp"
#include "convert.hpp"

namespace etb::grpo_opts {

namespace o = et::grpo::options;

// The value of one option row from a JS object: the row's default when absent; Enum rows give
// the choice's index, Bool rows 0/1, a nullable row's null gives 0 (off).
inline double read(Napi::Object obj, const o::Spec& s) {
  Napi::Env env = obj.Env();
  Napi::Value v = obj.Get(s.key);
  if (v.IsUndefined() || (v.IsNull() && !s.nullable)) return s.dflt;
  if (v.IsNull()) return 0;
  switch (s.kind) {
    case o::Kind::Enum: {
      if (!v.IsString()) throw invalid_arg(env, std::string("option ") + s.key + " must be " + o::expected_text(s));
      const std::string name = v.As<Napi::String>().Utf8Value();
      const int i = o::choice_index(s, name);
      if (i < 0) throw invalid_arg(env, std::string("option ") + s.key + " must be " + o::expected_text(s) + "; got '" + name + "'");
      return i;
    }
    case o::Kind::Bool: return v.ToBoolean().Value() ? 1 : 0;
    default:
      if (!v.IsNumber()) throw invalid_arg(env, std::string("option ") + s.key + " must be a number");
      return v.As<Napi::Number>().DoubleValue();
  }
}

template <size_t N>
double read(Napi::Object obj, const o::Spec (&table)[N], const char* key) {
  return read(obj, o::spec(table, key));
}

inline unsigned threads(Napi::Object obj, const o::Spec& s) {
  const double t = read(obj, s);
  if (!o::accepts(s, t)) throw invalid_arg(obj.Env(), std::string("option threads must be ") + o::expected_text(s));
  return unsigned(t);
}

inline et::grpo::AdvantageOptions advantages(Napi::Object obj) {
  et::grpo::AdvantageOptions a;
  a.mode = et::grpo::AdvMode(int(read(obj, o::kAdvantages, "mode")));
  a.std = et::grpo::StdKind(int(read(obj, o::kAdvantages, "std")));
  a.eps = read(obj, o::kAdvantages, "eps");
  a.singleton = et::grpo::Singleton(int(read(obj, o::kAdvantages, "singleton")));
  a.threads = threads(obj, o::spec(o::kAdvantages, "threads"));
  return a;
}

// judgeWeights: a Float64Array or an array of numbers (absent: empty, the core's equal weights).
inline et::grpo::PtrOptions ptr(Napi::Object obj) {
  Napi::Env env = obj.Env();
  et::grpo::PtrOptions p;
  p.alpha_format = read(obj, o::kPtr, "alphaFormat");
  p.alpha_outcome = read(obj, o::kPtr, "alphaOutcome");
  p.alpha_reasoning = read(obj, o::kPtr, "alphaReasoning");
  p.reasoning_enabled = read(obj, o::kPtr, "reasoningEnabled") != 0;
  Napi::Value w = obj.Get("judgeWeights");
  if (w.IsTypedArray()) {
    TypedInfo t = typed_info(w.As<Napi::TypedArray>());
    if (t.type != napi_float64_array) throw invalid_arg(env, "judgeWeights must be a Float64Array");
    const double* d = static_cast<const double*>(t.data);
    p.judge_weights.assign(d, d + t.length);
  } else if (w.IsArray()) {
    Napi::Array arr = w.As<Napi::Array>();
    for (uint32_t j = 0; j < arr.Length(); ++j) {
      Napi::Value e = arr.Get(j);
      if (!e.IsNumber()) throw invalid_arg(env, "judgeWeights[" + std::to_string(j) + "] must be a number");
      p.judge_weights.push_back(e.As<Napi::Number>().DoubleValue());
    }
  } else if (!w.IsUndefined() && !w.IsNull()) {
    throw invalid_arg(env, "judgeWeights must be a Float64Array or an array of numbers");
  }
  if (!w.IsUndefined() && !w.IsNull() && p.judge_weights.empty()) throw invalid_arg(env, "judgeWeights must not be empty");
  return p;
}

inline et::grpo::LossOptions loss(Napi::Object obj) {
  et::grpo::LossOptions l;
  l.clip_low = read(obj, o::kLoss, "clipLow");
  l.clip_high = read(obj, o::kLoss, "clipHigh");
  l.clip_c = read(obj, o::kLoss, "clipC");
  l.beta = read(obj, o::kLoss, "beta");
  l.kl = et::grpo::KlKind(int(read(obj, o::kLoss, "kl")));
  l.agg = et::grpo::Agg(int(read(obj, o::kLoss, "agg")));
  l.norm_len = read(obj, o::kLoss, "normLen");
  l.threads = threads(obj, o::spec(o::kLoss, "threads"));
  return l;
}

inline et::grpo::LogitsOptions logits(Napi::Object obj) {
  et::grpo::LogitsOptions l;
  l.loss = loss(obj);
  l.temperature = read(obj, o::kLogits, "temperature");
  return l;
}

inline Napi::Object metrics(Napi::Env env, const et::grpo::LossMetrics& m) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("loss", Napi::Number::New(env, m.loss));
  r.Set("tokens", Napi::Number::New(env, m.tokens));
  r.Set("clipFracLow", Napi::Number::New(env, m.clip_frac_low));
  r.Set("clipFracHigh", Napi::Number::New(env, m.clip_frac_high));
  r.Set("clipFracDual", Napi::Number::New(env, m.clip_frac_dual));
  r.Set("klMean", Napi::Number::New(env, m.kl_mean));
  r.Set("ratioMean", Napi::Number::New(env, m.ratio_mean));
  r.Set("entropyMean", Napi::Number::New(env, m.entropy_mean));
  return r;
}

// The option tables as plain data: { advantages, ptr, loss, logits } → rows of
// { key, kind, default, min, max, minOpen, maxOpen, choices?, nullable, derived?, expected, meaning }.
template <size_t N>
Napi::Array table_js(Napi::Env env, const o::Spec (&table)[N]) {
  static const char* const kinds[] = {"number", "integer", "enum", "bool", "weights"};
  Napi::Array rows = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; ++i) {
    const o::Spec& s = table[i];
    Napi::Object r = Napi::Object::New(env);
    r.Set("key", s.key);
    r.Set("kind", kinds[int(s.kind)]);
    r.Set("min", s.min);
    r.Set("max", s.max);
    r.Set("minOpen", s.min_open);
    r.Set("maxOpen", s.max_open);
    r.Set("nullable", s.nullable);
    r.Set("expected", o::expected_text(s));
    r.Set("meaning", s.meaning);
    if (s.kind == o::Kind::Enum) {
      Napi::Array c = Napi::Array::New(env);
      std::string cur;
      for (const char* p = s.choices;; ++p) {
        if (*p == '|' || *p == '\0') {
          c.Set(c.Length(), cur);
          cur.clear();
          if (*p == '\0') break;
        } else {
          cur += *p;
        }
      }
      r.Set("choices", c);
      r.Set("default", c.Get(uint32_t(s.dflt)));
    } else if (s.kind == o::Kind::Bool) {
      r.Set("default", s.dflt != 0);
    } else {
      r.Set("default", s.dflt);
    }
    if (s.derived) r.Set("derived", s.derived);
    rows.Set(uint32_t(i), r);
  }
  return rows;
}

inline Napi::Object specs_js(Napi::Env env) {
  Napi::Object t = Napi::Object::New(env);
  t.Set("advantages", table_js(env, o::kAdvantages));
  t.Set("ptr", table_js(env, o::kPtr));
  t.Set("loss", table_js(env, o::kLoss));
  t.Set("logits", table_js(env, o::kLogits));
  t.Set("weightSumTolerance", o::kWeightSumTolerance);
  return t;
}

}  // namespace etb::grpo_opts
