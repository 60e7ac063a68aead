#pragma once
// Environment references and secret files in fanoutd's configuration values:
// `${NAME}`, `${NAME:-fallback}`, `${file:PATH}` and `$$`, expanded by the
// rules both services share (fanout/common/config_expand.hpp).
#include "fanout/common/config_expand.hpp"

namespace fanout::daemon {

using common::EnvironmentLookup;
using common::expand_environment;
using common::expand_value;
using common::process_environment;
using common::SecretFileReader;

}  // namespace fanout::daemon
