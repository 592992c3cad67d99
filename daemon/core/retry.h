// The one retry policy: exponential backoff with full jitter, capped, honouring the peer's
// Retry-After. Used by every source (and the sinks) alike.
#pragma once

#include <chrono>
#include <cstdint>

namespace fb::core {

struct RetryPolicy {
    std::chrono::milliseconds initial{1000};
    std::chrono::milliseconds max{5 * 60 * 1000};
    double multiplier = 2.0;

    // The wait before attempt `failures` + 1 (failures >= 1): a random time in
    // [ceiling/2, ceiling] with ceiling = min(max, initial * multiplier^(failures-1)). A
    // Retry-After (>= 0) is the wait, up to an hour.
    std::chrono::milliseconds delay(int failures,
                                    std::chrono::milliseconds retry_after = std::chrono::milliseconds(-1)) const;
};

}  // namespace fb::core
