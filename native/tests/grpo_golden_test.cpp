// GRPO advantages against the independent float64 reference in shared/golden/grpo.json (every
// "advantages" case: modes, std kinds, singleton rules, ragged groups). The file is read with a
// few lines of scanning rather than a JSON library: the core has no JSON dependency.
//   grpo_golden_test <shared/golden/grpo.json>     (exit 77 = skipped: file not found)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../grpo/grpo.hpp"
#include "check.hpp"

using namespace et::grpo;

namespace {

// The number array after `"key":` at or after `from`, within [from, end).
std::vector<double> numbers(const std::string& s, const std::string& key, size_t from, size_t end) {
  std::vector<double> out;
  size_t k = s.find("\"" + key + "\"", from);
  if (k == std::string::npos || k >= end) return out;
  size_t p = s.find('[', k), q = s.find(']', p);
  const char* c = s.c_str() + p + 1;
  while (c < s.c_str() + q) {
    while (*c == ' ' || *c == ',' || *c == '\n') ++c;
    if (c >= s.c_str() + q) break;
    if (std::string(c, 4) == "null") {
      out.push_back(std::nan(""));
      c += 4;
      continue;
    }
    char* e = nullptr;
    out.push_back(std::strtod(c, &e));
    c = e;
  }
  return out;
}

std::string text(const std::string& s, const std::string& key, size_t from) {
  size_t k = s.find("\"" + key + "\"", from);
  size_t a = s.find('"', s.find(':', k) + 1), b = s.find('"', a + 1);
  return s.substr(a + 1, b - a - 1);
}

double number(const std::string& s, const std::string& key, size_t from) {
  size_t k = s.find("\"" + key + "\"", from);
  return std::strtod(s.c_str() + s.find(':', k) + 1, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "../shared/golden/grpo.json";
  std::ifstream f(path);
  if (!f) {
    std::printf("grpo_golden_test: %s not found; skipped\n", path.c_str());
    return 77;
  }
  const std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::string marker = "\"kind\": \"advantages\"";
  size_t cases = 0;
  for (size_t at = s.find(marker); at != std::string::npos; at = s.find(marker, at + 1)) {
    const size_t end = std::min(s.find("\"kind\"", at + 1), s.size());
    AdvantageOptions o;
    const std::string mode = text(s, "mode", at), sd = text(s, "std", at), single = text(s, "singleton", at);
    o.mode = mode == "grpo" ? AdvMode::Grpo : mode == "dr_grpo" ? AdvMode::DrGrpo : AdvMode::Rloo;
    o.std = sd == "population" ? StdKind::Population : StdKind::Unbiased;
    o.singleton = single == "raw" ? Singleton::Raw : Singleton::Zero;
    o.eps = number(s, "eps", at);
    const std::vector<double> rewards = numbers(s, "rewards", at, end), off = numbers(s, "offsets", at, end);
    const std::vector<double> want = numbers(s, "advantages", s.find("\"outputs\"", at), end);
    const double tol = number(s, "tol", at);
    std::vector<uint32_t> offsets(off.begin(), off.end());
    Groups g;
    g.offsets = offsets.data();
    g.count = offsets.size() - 1;
    std::vector<double> got(rewards.size());
    group_advantages(rewards.data(), rewards.size(), g, o, got.data());
    CHECK(want.size() == got.size() && !got.empty());
    for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
      const bool ok = std::fabs(got[i] - want[i]) <= tol * std::max(1.0, std::fabs(want[i]));
      if (!ok) std::fprintf(stderr, "case %zu (%s/%s/%s) [%zu]: got %.17g want %.17g\n", cases, mode.c_str(), sd.c_str(), single.c_str(), i, got[i], want[i]);
      CHECK(ok);
    }
    ++cases;
  }
  CHECK(cases >= 6);
  std::printf("grpo_golden_test: %zu advantages cases\n", cases);
  return check_report("grpo_golden_test");
}
