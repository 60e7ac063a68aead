#pragma once
// Everything a plugin includes.
#include "fanout/abi.hpp"
#include "fanout/context.hpp"
#include "fanout/event.hpp"
#include "fanout/options.hpp"
#include "fanout/outcome.hpp"
#include "fanout/plugin.hpp"
#include "fanout/timestamp.hpp"
