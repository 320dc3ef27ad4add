#include "error.hpp"

namespace et {

const char* error_code_name(ErrorCode code) {
  switch (code) {
#define ET_ERROR_NAME(name, str, scope, meaning) \
  case ErrorCode::name: return str;
    ET_ERROR_CODES(ET_ERROR_NAME)
#undef ET_ERROR_NAME
  }
  return error_code_name(ErrorCode::Internal);
}

}  // namespace et
