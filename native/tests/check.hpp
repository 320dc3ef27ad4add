// The tiny assertion helper the standalone native tests share.
#pragma once
#include <cstdio>

inline int& check_failures() {
  static int failures = 0;
  return failures;
}

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++check_failures();                                                            \
    }                                                                                \
  } while (0)

// Prints the summary line and returns the process exit code.
inline int check_report(const char* suite) {
  if (check_failures()) std::fprintf(stderr, "%s: %d check(s) failed\n", suite, check_failures());
  else std::printf("%s: all checks passed\n", suite);
  return check_failures() ? 1 : 0;
}
