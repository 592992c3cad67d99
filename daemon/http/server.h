// One Beast listener for everything HTTP: webhooks, /metrics, /healthz, /readyz, the admin API.
// A timeout before every operation, a body limit on every parser, a clean stop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <chrono>
#include <map>

#include "config/config.h"

namespace fb::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// A response with a JSON or text body; `reason` bodies are {"error": …}.
Response make_response(const Request& req, boost::beast::http::status status, std::string body,
                       const char* content_type = "application/json");
Response error_response(const Request& req, boost::beast::http::status status,
                        const std::string& reason);

class Server {
public:
    Server(boost::asio::io_context& io, const config::HttpConfig& config, Handler handler);
    unsigned short port() const { return port_; }
    void stop();  // stop accepting; open connections close after their current request
    int requests_in_progress() const { return in_progress_; }

private:
    boost::asio::awaitable<void> accept();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
    boost::asio::awaitable<void> sweep();

    boost::asio::io_context& io_;
    const config::HttpConfig& config_;
    Handler handler_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    bool stopping_ = false;
    int in_progress_ = 0;  // requests read and not yet answered (io thread only)
    struct Session {
        std::chrono::steady_clock::time_point deadline;
        bool idle = true;  // waiting for a request: closed at once on stop()
    };
    std::map<boost::asio::ip::tcp::socket*, Session> open_;  // io thread only
};

}  // namespace fb::http
