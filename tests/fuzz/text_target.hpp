#pragma once
// The entry point of a fuzz target whose input is one text: included by the
// target's source file, which defines fanout::fuzz::fuzz_text.
#include <string_view>

#include "fuzz_support.hpp"

namespace fanout::fuzz {

/// Runs the target on one input; a broken property aborts (check).
void fuzz_text(std::string_view text);

}  // namespace fanout::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fanout::fuzz::fuzz_text(fanout::fuzz::as_text(data, size));
    return 0;
}
