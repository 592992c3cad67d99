// Waiting for a condition, never for a fixed time: `ok` is polled every 20 ms until it holds or
// a generous timeout passes (machines here differ two to three times in speed).
#pragma once

#include <chrono>
#include <thread>

namespace fb::testing {

template <class F>
bool eventually(F ok, int seconds = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (ok()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ok();
}

}  // namespace fb::testing
