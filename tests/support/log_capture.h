// What the daemon logs while a test runs: spdlog's default logger writes to memory instead of
// stderr, for tests that assert what an operator would read (and that secrets are not in it).
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>

namespace fb::testing {

class LogCapture {
public:
    LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<Sink>()) {
        auto logger = std::make_shared<spdlog::logger>("test", sink_);
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(logger);
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    std::string text() const { return sink_->text(); }
    bool contains(const std::string& needle) const { return text().find(needle) != std::string::npos; }

private:
    class Sink : public spdlog::sinks::base_sink<std::mutex> {
    public:
        std::string text() const {
            std::lock_guard lock(text_mutex_);
            return text_;
        }

    protected:
        void sink_it_(const spdlog::details::log_msg& msg) override {
            std::lock_guard lock(text_mutex_);
            text_ += spdlog::level::to_string_view(msg.level).data();
            text_ += ' ';
            text_.append(msg.payload.data(), msg.payload.size());
            text_ += '\n';
        }
        void flush_() override {}

    private:
        mutable std::mutex text_mutex_;
        std::string text_;
    };
    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<Sink> sink_;
};

}  // namespace fb::testing
