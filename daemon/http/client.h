// The one HTTP client: HTTP/1.1 and HTTPS (peers verified by default), a timeout on every
// operation, limits on what the peer may send, redirects handed back instead of followed. Used
// by the poll sources and the ERP sinks alike; blocking, so call it from a source's or a sink's
// own thread, never from the HTTP server's.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fb::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; empty when absent.
std::string_view find_header(const Headers& headers, std::string_view name);

struct ClientRequest {
    std::string method = "GET";
    std::string url;  // http:// or https://
    Headers headers;
    std::string body;
};

struct ClientResponse {
    int status = 0;
    Headers headers;
    std::string body;
    std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

// What went wrong below HTTP. An answer with any status code is not a transport error.
enum class TransportError {
    none,
    bad_url,    // not an http(s) URL the client can use: permanent
    resolve,    // the host name did not resolve
    connect,    // refused, unreachable
    tls,        // handshake failed or the certificate was not trusted: permanent until fixed
    timeout,    // an operation took longer than the timeout
    too_large,  // the header or the body was over its limit: permanent
    protocol,   // not HTTP, or the connection closed mid-answer
};
const char* to_string(TransportError error);
// Worth another attempt later (the network or the peer may recover); false for mistakes in the
// request or the configuration.
bool retryable(TransportError error);

struct ClientResult {
    TransportError error = TransportError::none;
    std::string message;  // for a transport error: what happened, naming host and operation
    // With `too_large` for a body over max_body_bytes: the answer's status and headers (the
    // header was read), its body empty — a write the ERP applied is not mistaken for a refusal.
    ClientResponse response;
    bool ok() const { return error == TransportError::none; }
    // A 3xx answer: never followed silently; the caller decides (and usually reports it).
    bool redirected() const { return ok() && response.status >= 300 && response.status < 400; }
};

struct ClientOptions {
    std::chrono::milliseconds timeout{30000};  // per operation: resolve, connect, handshake, write, read
    std::size_t max_body_bytes = 16u << 20;
    std::size_t max_header_bytes = 64u << 10;
    bool verify_peer = true;  // off only for a test ERP on a self-signed certificate
    std::string ca_file;      // PEM bundle; empty = the system's trust store
    std::string user_agent = "fieldbridge";
};

class Client {
public:
    explicit Client(ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Thread-safe; one exchange on a fresh connection. Never throws on anything the peer does.
    ClientResult send(const ClientRequest& request) const;
    // Asked every 100 ms while a request is in flight: once true, the request is abandoned (its
    // connection closed) and ends as a timeout, so a hung peer cannot hold a shutdown for the
    // whole timeout. Set it before the client is shared between threads.
    void abandon_when(std::function<bool()> stopping) { stopping_ = std::move(stopping); }
    const ClientOptions& options() const { return options_; }

private:
    struct Tls;
    ClientOptions options_;
    std::unique_ptr<Tls> tls_;  // built once: loading a trust store is slow
    std::function<bool()> stopping_;
};

// "Retry-After" as a delay: seconds, or an HTTP date; negative when absent or unreadable.
std::chrono::milliseconds retry_after(const ClientResponse& response);

}  // namespace fb::http
