// A log sink that writes each message's control characters out (support/control_chars.h) before
// the sink it wraps formats it: an ERP's answer quoted in a log line cannot add a forged line of
// its own, nor send escape sequences to the operator's terminal.
#pragma once

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <mutex>
#include <string>

#include "support/control_chars.h"

namespace fb::support {

class EscapingSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit EscapingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string_view payload(msg.payload.data(), msg.payload.size());
        if (!has_control(payload)) return inner_->log(msg);
        auto escaped = escape_control(payload);
        spdlog::details::log_msg copy(msg);
        copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
        inner_->log(copy);
    }
    void flush_() override { inner_->flush(); }
    void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
    void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
        inner_->set_formatter(std::move(formatter));
    }

private:
    std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace fb::support
