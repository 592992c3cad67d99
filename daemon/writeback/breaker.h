// A circuit breaker per ERP endpoint: after `failures` retryable failures in a row the endpoint
// is left alone for `cooldown`, then one request probes it. Requests to other endpoints, and
// other flows, go on meanwhile.
#pragma once

#include <chrono>

namespace fb::writeback {

class Breaker {
public:
    using Clock = std::chrono::steady_clock;
    enum class State { closed = 0, open = 1, half_open = 2 };

    Breaker(int failures, std::chrono::milliseconds cooldown)
        : threshold_(failures), cooldown_(cooldown) {}

    // May a request go now? An open breaker past its cooldown lets one probe through.
    bool allow(Clock::time_point now) {
        if (state_ == State::open && now >= open_until_) state_ = State::half_open;
        return state_ != State::open;
    }
    void success() {
        failures_ = 0;
        state_ = State::closed;
    }
    void failure(Clock::time_point now) {
        if (state_ == State::half_open || ++failures_ >= threshold_) {
            state_ = State::open;
            open_until_ = now + cooldown_;
            ++openings_;
        }
    }
    State state() const { return state_; }
    Clock::time_point open_until() const { return open_until_; }
    int openings() const { return openings_; }

private:
    int threshold_;
    std::chrono::milliseconds cooldown_;
    int failures_ = 0;
    int openings_ = 0;
    State state_ = State::closed;
    Clock::time_point open_until_{};
};

}  // namespace fb::writeback
