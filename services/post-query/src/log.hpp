#pragma once
// post-query logs through the process logger of fanout/common/log.hpp.
#include "fanout/common/log.hpp"

namespace fanout::post_query {

using common::init_logging;
using common::log;
using common::LogFormat;

}  // namespace fanout::post_query
