// The tables of the prosody option sets, generated from their definitions (ET_F0_OPTIONS in
// f0.hpp, ET_ENERGY_OPTIONS in prosody.hpp), and the validation against them.
#include "prosody.hpp"

namespace et {
namespace prosody {

using namespace et::options;

#define ET_F0_SPEC(...) ET_OPTION_SPEC(F0Options, , __VA_ARGS__)
const Spec<F0Options> kF0OptionSpecs[] = {ET_F0_OPTIONS(ET_F0_SPEC)};
const size_t kF0OptionCount = sizeof kF0OptionSpecs / sizeof kF0OptionSpecs[0];
#undef ET_F0_SPEC

#define ET_ENERGY_SPEC(...) ET_OPTION_SPEC(ProsodyOptions, , __VA_ARGS__)
const Spec<ProsodyOptions> kEnergyOptionSpecs[] = {ET_ENERGY_OPTIONS(ET_ENERGY_SPEC)};
const size_t kEnergyOptionCount = sizeof kEnergyOptionSpecs / sizeof kEnergyOptionSpecs[0];
#undef ET_ENERGY_SPEC

void validate(const F0Options& o) {
  check_ranges(kF0OptionSpecs, kF0OptionCount, o);
  if (!(o.f0_min < o.f0_max)) {
    throw Error(ErrorCode::InvalidArg, "option \"f0Min\" must be below f0Max; got f0Min " + format_number(o.f0_min) +
                                           ", f0Max " + format_number(o.f0_max));
  }
}

void validate(const ProsodyOptions& o) {
  validate(o.f0);
  check_ranges(kEnergyOptionSpecs, kEnergyOptionCount, o);
}

}  // namespace prosody
}  // namespace et
