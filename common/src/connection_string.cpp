#include "fanout/common/connection_string.hpp"
