// The `http` and `jsonrpc` writeback sinks: one ERP request over the shared HTTP client, with
// the auth, login session, CSRF token and If-Match ETag the ERP wants, and the answer handed
// back masked of every secret. Classifying and retrying are the engine's (daemon/writeback/).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "connectors/http_sink/spec.h"
#include "core/sink.h"
#include "http/client.h"
#include "http/session.h"

namespace fb::connectors::http_sink {

class HttpSink : public core::ErpSink {
public:
    explicit HttpSink(std::shared_ptr<const Spec> spec);
    ~HttpSink() override;
    // scheme://host:port the request goes to: the unit of the circuit breaker.
    std::string endpoint(const core::ErpRequest& request) const override;
    // One worker thread per sink calls this.
    core::ErpAnswer send(const core::ErpRequest& request, std::chrono::milliseconds timeout) override;

    void stop() override { stopping_ = true; }

    std::uint64_t logins() const { return session_ ? session_->logins() : 0; }

private:
    struct Exchange {
        http::ClientResult result;
        bool login_failed = false;
        std::string login_error;
        std::int64_t next_login_in_ms = -1;
    };
    void start(std::chrono::milliseconds timeout);
    std::string target(const std::string& url) const;  // the URL the request goes to
    std::string target(const std::string& url, const std::string& base) const;
    // Auth, cookies and the session on `request`, sent (logging in first when needed).
    Exchange exchange(http::ClientRequest request);
    void keep_cookies(const http::ClientResponse& response);
    std::optional<core::ErpAnswer> fetch_csrf(const std::string& url);
    std::optional<core::ErpAnswer> read_etag(const core::ErpRequest& request, const std::string& url,
                                             std::string& etag);
    core::ErpAnswer answer(const Exchange& exchange, const std::string& step) const;
    core::ErpAnswer send_request(const core::ErpRequest& request);
    // A request of the sink's own before the request, for the trace (masked when sent back).
    // `found`: the answer held what the step was for (a token, an ETag).
    void note_step(std::string kind, const std::string& request, const Exchange& ex, std::string what,
                   bool found = true);
    std::vector<std::string> secrets() const;

    std::shared_ptr<const Spec> spec_;
    std::unique_ptr<http::Client> client_;  // built on the first send, with writeback.timeout
    std::unique_ptr<http::Session> session_;
    std::map<std::string, std::string> cookies_;  // what the ERP set (SAP ties its CSRF token to them)
    std::string csrf_token_;
    std::string session_header_value(const std::string& session);
    std::string templated_for_, templated_;  // the session_header template's last session → value
    std::uint64_t rpc_id_ = 0;
    std::vector<core::ErpAnswer::Step> steps_;  // of the send in progress
    std::string login_request_;                 // "POST https://login/…" of the last login
    std::atomic<bool> stopping_{false};
};

}  // namespace fb::connectors::http_sink
