// Options across the boundary, driven by the core's option tables (native/common/options.hpp):
// reading translates types only (a number, an integer, a boolean); the ranges are the core's
// to check, once. The tables also go out as data (native.optionSpecs) for the TypeScript layer.
#pragma once
#include <cmath>
#include <string>

#include <napi.h>

#include "../native/common/options.hpp"
#include "convert.hpp"

namespace etb {

// Sets every key of `specs` present in `o` (undefined = absent); throws ERR_INVALID_ARG naming a
// key of the wrong type.
template <typename S>
void read_options(Napi::Object o, const et::options::Spec<S>* specs, size_t count, S& dst) {
  using et::options::Kind;
  for (size_t i = 0; i < count; ++i) {
    const auto& s = specs[i];
    if (!o.Has(s.key)) continue;
    Napi::Value v = o.Get(s.key);
    if (v.IsUndefined()) continue;
    const std::string name = std::string("option \"") + s.key + "\"";
    if (s.kind == Kind::Bool) {
      if (!v.IsBoolean()) throw invalid_arg(o.Env(), name + " must be a boolean");
      s.set(dst, v.As<Napi::Boolean>().Value() ? 1 : 0);
      continue;
    }
    if (!v.IsNumber()) throw invalid_arg(o.Env(), name + " must be a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d)) throw invalid_arg(o.Env(), name + " must be finite");
    // An integer field cannot hold 2.5 or 1e12: that is the value's type, not its range.
    if (s.kind == Kind::Integer && !(d == std::floor(d) && std::fabs(d) < 2147483648.0)) {
      throw invalid_arg(o.Env(), name + " must be an integer in " + et::options::range_text(s));
    }
    s.set(dst, d);
  }
}

template <typename S>
Napi::Array specs_to_js(Napi::Env env, const et::options::Spec<S>* specs, size_t count) {
  using et::options::Kind;
  Napi::Array a = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; ++i) {
    const auto& s = specs[i];
    Napi::Object e = Napi::Object::New(env);
    e.Set("key", s.key);
    e.Set("type", s.kind == Kind::Bool ? "boolean" : s.kind == Kind::Integer ? "integer" : "number");
    e.Set("default", s.kind == Kind::Bool ? Napi::Value(Napi::Boolean::New(env, s.def != 0)) : Napi::Value(Napi::Number::New(env, s.def)));
    if (s.kind != Kind::Bool) {
      e.Set("min", s.min);
      e.Set("max", s.max);
      e.Set("minExclusive", bool(s.bounds & et::options::ET_OPEN_MIN));
      e.Set("maxExclusive", bool(s.bounds & et::options::ET_OPEN_MAX));
      e.Set("range", et::options::range_text(s));
    }
    e.Set("unit", s.unit);
    e.Set("meaning", s.meaning);
    a.Set(uint32_t(i), e);
  }
  return a;
}

// Resolved options as a plain object (what an entry would run with), keyed by the tables.
template <typename S>
void options_to_js(Napi::Object out, const et::options::Spec<S>* specs, size_t count, const S& o) {
  for (size_t i = 0; i < count; ++i) {
    const auto& s = specs[i];
    const double v = s.get(o);
    out.Set(s.key, s.kind == et::options::Kind::Bool ? Napi::Value(Napi::Boolean::New(out.Env(), v != 0))
                                                     : Napi::Value(Napi::Number::New(out.Env(), v)));
  }
}

}  // namespace etb
