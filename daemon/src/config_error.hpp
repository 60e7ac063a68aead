#pragma once
// fanoutd's configuration errors are the common ConfigError (file:line:col).
#include "fanout/common/config_error.hpp"

namespace fanout::daemon {

using common::ConfigError;

}  // namespace fanout::daemon
