#include "fanout/common/event_data.hpp"
