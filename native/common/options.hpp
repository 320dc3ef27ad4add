// Option tables: one definition per option set of each key, default, range and meaning.
//
// An option set is an X-macro list of entries
//   X(field, "jsKey", type, default, min, max, bounds, "unit", "meaning")
// (type: double, int, size_t or bool; bounds: ET_CLOSED [min, max], ET_OPEN_MIN (min, max],
// ET_OPEN_MAX [min, max) or ET_OPEN (min, max); min/max unused for bool). The same list declares
// the C++ struct's fields with their defaults (ET_OPTION_FIELD), builds the table the core
// validates against (ET_OPTION_SPEC) and that the addon exports as data (native.optionSpecs), from
// which the TypeScript layer takes keys, defaults and help texts. No other layer restates them.
// No Node headers.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "error.hpp"

namespace et {
namespace options {

enum class Kind { Number, Integer, Bool };
enum Bounds : unsigned { ET_CLOSED = 0, ET_OPEN_MIN = 1, ET_OPEN_MAX = 2, ET_OPEN = 3 };

template <typename T> constexpr Kind kind_of() {
  return std::is_same<T, bool>::value ? Kind::Bool : std::is_integral<T>::value ? Kind::Integer : Kind::Number;
}

// One option of a struct S.
template <typename S> struct Spec {
  const char* field;    // C++ field name
  const char* key;      // camelCase key at the JS boundary
  Kind kind;
  double def, min, max;
  unsigned bounds;
  const char* unit;
  const char* meaning;
  double (*get)(const S&);
  void (*set)(S&, double);
};

// The shortest decimal that reads back as v (1000000, 0.025, 1e-06), no exponent below 1e15.
inline std::string format_number(double v) {
  char buf[48];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, std::fabs(v) >= 1 && std::fabs(v) < 1e15 ? "%.*f" : "%.*g",
                  std::fabs(v) >= 1 && std::fabs(v) < 1e15 ? 0 : precision, v);
    if (std::strtod(buf, nullptr) == v) return buf;
    if (std::fabs(v) >= 1 && std::fabs(v) < 1e15) break;
  }
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// "[0.001, 0.1] s", "(0, 1]", "1..50" (integers).
template <typename S> std::string range_text(const Spec<S>& s) {
  std::string unit = *s.unit ? std::string(" ") + s.unit : "";
  if (s.kind == Kind::Integer) return format_number(s.min) + ".." + format_number(s.max) + unit;
  return std::string(s.bounds & ET_OPEN_MIN ? "(" : "[") + format_number(s.min) + ", " + format_number(s.max) +
         (s.bounds & ET_OPEN_MAX ? ")" : "]") + unit;
}

template <typename S> bool in_range(const Spec<S>& s, double v) {
  if (s.kind == Kind::Bool) return true;
  const bool lo = s.bounds & ET_OPEN_MIN ? v > s.min : v >= s.min;
  const bool hi = s.bounds & ET_OPEN_MAX ? v < s.max : v <= s.max;
  return lo && hi && (s.kind != Kind::Integer || v == std::floor(v));  // NaN fails lo
}

// Throws ERR_INVALID_ARG naming the first option outside its range, the range and the value.
template <typename S> void check_ranges(const Spec<S>* specs, size_t count, const S& o) {
  for (size_t i = 0; i < count; ++i) {
    const Spec<S>& s = specs[i];
    const double v = s.get(o);
    if (!in_range(s, v)) {
      throw Error(ErrorCode::InvalidArg, std::string("option \"") + s.key + "\" must be " +
                                             (s.kind == Kind::Integer ? "an integer in " : "in ") + range_text(s) +
                                             "; got " + format_number(v));
    }
  }
}

}  // namespace options
}  // namespace et

// Declares a struct field with its default from a table entry.
#define ET_OPTION_FIELD(field, key, type, def, min, max, bounds, unit, meaning) type field = def;
// A Spec<S> entry for a field reached as o.PATH field (PATH empty or "member.").
#define ET_OPTION_SPEC(S, PATH, field, key, type, def, mn, mx, b, unit, meaning)                          \
  {#field, key, ::et::options::kind_of<type>(), double(def), double(mn), double(mx), ::et::options::b, unit, meaning, \
   [](const S& o) { return double(o.PATH field); }, [](S& o, double v) { o.PATH field = static_cast<type>(v); }},

