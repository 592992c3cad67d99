// An ERP simulator for writeback tests: a real Beast server on 127.0.0.1 (tests/support/
// loopback_server.h) that records every request it receives and answers through a handler the
// test can change at any time (fail, hold past the timeout, recover). It can go down (its port
// then refuses connections) and come back up on the same port.
#pragma once

#include <boost/beast/http/field.hpp>

#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <vector>

#include "support/loopback_server.h"

namespace fb::testing {

struct Received {
    std::string method, target, body;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? "" : it->second;
    }
};

class ErpSimulator {
public:
    using Handle = std::function<std::optional<test::Response>(const Received&)>;
    explicit ErpSimulator(Handle handle) : handle_(std::move(handle)) { up(); }

    void up() {
        server_ = std::make_unique<test::LoopbackServer>(
            [this](const test::Request& req) {
                Received r{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
                for (const auto& f : req) {
                    std::string name(f.name_string());
                    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    r.headers[name] = std::string(f.value());
                }
                Handle handle;
                {
                    std::lock_guard lock(mutex_);
                    received_.push_back(r);
                    handle = handle_;
                }
                return handle(r);
            },
            std::nullopt, port_);
        port_ = server_->port();
    }
    void down() { server_.reset(); }  // connections to the port are refused until up()

    void set(Handle handle) {
        std::lock_guard lock(mutex_);
        handle_ = std::move(handle);
    }
    std::vector<Received> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    // Requests whose target starts with `prefix`.
    std::vector<Received> received(const std::string& method, const std::string& prefix) const {
        std::vector<Received> out;
        for (auto& r : received())
            if (r.method == method && r.target.rfind(prefix, 0) == 0) out.push_back(r);
        return out;
    }
    std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    unsigned short port() const { return port_; }

private:
    mutable std::mutex mutex_;
    Handle handle_;
    std::vector<Received> received_;
    unsigned short port_ = 0;
    std::unique_ptr<test::LoopbackServer> server_;
};

// An answer with extra headers.
inline test::Response answer(int status, std::string body,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto res = test::reply(status, std::move(body));
    for (auto& [k, v] : headers) res.insert(k, v);
    return res;
}

}  // namespace fb::testing
