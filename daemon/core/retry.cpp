#include "core/retry.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace fb::core {

std::chrono::milliseconds RetryPolicy::delay(int failures, std::chrono::milliseconds retry_after) const {
    // The peer knows when it will be back: its word wins, up to an hour (a bogus value must not
    // park a source for days).
    if (retry_after.count() >= 0)
        return std::clamp(retry_after, std::chrono::milliseconds(100), std::chrono::milliseconds(3'600'000));
    double ceiling = static_cast<double>(initial.count()) *
                     std::pow(multiplier, std::clamp(failures - 1, 0, 60));
    auto top = static_cast<std::int64_t>(std::min(ceiling, static_cast<double>(max.count())));
    // Half fixed, half random: sources that failed together do not retry together, and the
    // wait still grows with every failure.
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> jitter(top / 2, std::max<std::int64_t>(top, 1));
    return std::chrono::milliseconds(jitter(rng));
}

}  // namespace fb::core
