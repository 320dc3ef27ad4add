// Internal helpers shared by the GRPO translation units.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../common/error.hpp"
#include "grpo.hpp"

namespace et::grpo::detail {

// Shortest round-trip-ish rendering of a number for error messages ("NaN", "Infinity", 1e-06).
inline std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the shorter %g form when it round-trips.
  char shortbuf[32];
  std::snprintf(shortbuf, sizeof shortbuf, "%g", v);
  if (std::strtod(shortbuf, nullptr) == v) return shortbuf;
  return buf;
}

[[noreturn]] inline void invalid(const std::string& message) { throw Error(ErrorCode::InvalidArg, message); }

// ERR_INVALID_ARG unless kMinTemperature ≤ T ≤ kMaxTemperature (shared by the CPU and CUDA paths).
inline void check_temperature(double t) {
  const options::Spec& s = options::spec(options::kLogits, "temperature");
  if (!options::accepts(s, t)) invalid("temperature must be " + options::expected_text(s) + "; got " + num(t));
}

}  // namespace et::grpo::detail
