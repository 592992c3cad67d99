// A real Beast HTTP(S) server on 127.0.0.1, port 0, for tests: ERP simulators and the HTTP
// client's own tests. The handler runs on the server's thread, one request at a time.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace fb::test {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// nullopt: never answer (the connection is held open until the server stops), to test timeouts.
using Handler = std::function<std::optional<Response>(const Request&)>;

Response reply(int status, std::string body, std::string content_type = "application/json");

struct TlsFiles {
    std::string cert, key;  // PEM files
};

class LoopbackServer {
public:
    // `port` 0: any free one; another: that one (an ERP that comes back up where it was).
    explicit LoopbackServer(Handler handler, std::optional<TlsFiles> tls = std::nullopt,
                            unsigned short port = 0);
    ~LoopbackServer();
    unsigned short port() const;
    std::string url(const std::string& path = "/") const;  // http(s)://127.0.0.1:port/path
    int requests() const;  // answered or held

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A self-signed certificate for 127.0.0.1 and localhost in `dir`, made with the openssl tool.
TlsFiles make_self_signed(const std::string& dir, const std::string& san = "IP:127.0.0.1,DNS:localhost");

}  // namespace fb::test
