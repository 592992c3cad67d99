// What a writeback sink is to the engine: it takes one ERP request and returns the ERP's answer
// as it came. Classifying the answer, retrying and the circuit breaker are the engine's job
// (daemon/writeback/), the same for every sink.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fb::core {

struct ErpRequest {
    std::string method;
    std::string url;  // for file sinks: the file name in the export folder
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;             // serialised by the engine (JSON); the sink may re-encode it
    std::string idempotency_key;  // per (work order, transition); the same on every attempt
};

struct ErpAnswer {
    enum class Transport { answered, timeout, connection_error };
    Transport transport = Transport::answered;
    int status = 0;                             // HTTP status (file sinks answer 201 or 4xx)
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    bool body_over_limit = false;  // the answer's body was over the sink's max_body_bytes: not read
    std::string error;  // for timeout / connection_error: what happened
    // A sink that understands its protocol's answers says so here, and the engine need not trust
    // the status: JSON-RPC carries its errors in an HTTP 200, a login can fail before the request.
    enum class Refusal { none, retry, permanent };
    Refusal refusal = Refusal::none;
    std::string refusal_reason;  // what the sink read in the answer
    // The refusal is the sink's reading of the request's own answer (a JSON-RPC `error` in an
    // HTTP 200), which the mapping's `classify:` rules may overrule; otherwise it is a step
    // before the request (login, CSRF fetch, ETag read) and decides on its own.
    bool refusal_of_answer = false;
    // The sink's own "not before": a login backing off after a failure (its ms from now), so the
    // next attempt is made when a login will be tried, not earlier to fail fast again.
    std::int64_t retry_after_ms = -1;
    // For the trace: the requests the sink made of its own before this one (a login, a CSRF
    // token fetch, an ETag read), and what it added to the request (`If-Match: W/"3"`), so a
    // 412 that repeats or a login that keeps failing can be read off the attempts. Never a secret.
    struct Step {
        std::string kind;     // login | csrf_fetch | csrf_expired | etag_read
        std::string request;  // "GET https://erp/…"
        int status = 0;       // 0: no answer (or none kept)
        std::string result;   // success | failed
        std::string answer;   // what it yielded or why it failed, short
    };
    std::vector<Step> steps;
    std::string sent_with;
};

// A sink connector's typed config, read and validated when the config loads
// (connectors/<name>/spec.h derives from it).
struct SinkSpec {
    virtual ~SinkSpec() = default;
};

class ErpSink {
public:
    virtual ~ErpSink() = default;
    // The endpoint a request goes to ("erp.example.com:443", "file:/srv/export"): the unit of
    // the circuit breaker, so one ERP that is down never holds back another.
    virtual std::string endpoint(const ErpRequest& request) const = 0;
    virtual ErpAnswer send(const ErpRequest& request, std::chrono::milliseconds timeout) = 0;
    // From another thread, when the daemon stops: a request in flight may be abandoned (it ends
    // as a timeout and is sent again after the restart, under the same idempotency key).
    virtual void stop() {}
};

}  // namespace fb::core
