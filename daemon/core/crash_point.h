// Test hook: a progress point where the process kills itself (SIGKILL, as kill -9 would) when
// FIELDBRIDGE_TEST_CRASH_AT names it, so crash tests hit the exact moment, not a lucky one.
#pragma once

#include <string_view>

namespace fb::core {

void crash_point(std::string_view name);

}  // namespace fb::core
