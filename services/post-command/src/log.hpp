#pragma once
// post-command logs through the process logger of fanout/common/log.hpp.
#include "fanout/common/log.hpp"

namespace fanout::post_command {

using common::init_logging;
using common::log;
using common::LogFormat;

}  // namespace fanout::post_command
