#include "http/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace fb::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

Response make_response(const Request& req, bhttp::status status, std::string body,
                       const char* content_type) {
    Response res{status, req.version()};
    res.set(bhttp::field::server, "fieldbridge");
    res.set(bhttp::field::content_type, content_type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Response error_response(const Request& req, bhttp::status status, const std::string& reason) {
    return make_response(req, status, boost::json::serialize(boost::json::object{{"error", reason}}));
}

Server::Server(asio::io_context& io, const config::HttpConfig& config, Handler handler)
    : io_(io), config_(config), handler_(std::move(handler)), acceptor_(io) {
    tcp::endpoint endpoint(asio::ip::make_address(config.address), config.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept(), asio::detached);
    asio::co_spawn(io_, sweep(), asio::detached);
}

void Server::stop() {
    asio::post(io_, [this] {
        stopping_ = true;
        boost::system::error_code ec;
        acceptor_.close(ec);
        for (auto& [socket, state] : open_)
            if (state.idle) socket->close(ec);
    });
}

asio::awaitable<void> Server::accept() {
    while (!stopping_) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (stopping_ || ec == asio::error::operation_aborted) co_return;
            spdlog::warn("http accept: {}", ec.message());
            continue;
        }
        if (open_.size() >= config_.max_connections) {
            // Memory stays bounded: beyond the limit a connection is closed at once.
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
}

// Timeouts without a timer per operation: each session keeps a deadline, and one sweep a second
// closes the sockets past theirs (re-arming a timer three times per request cost more syscalls
// than the request itself).
asio::awaitable<void> Server::sweep() {
    asio::steady_timer timer(io_);
    while (!stopping_) {
        timer.expires_after(std::chrono::seconds(1));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        auto now = std::chrono::steady_clock::now();
        boost::system::error_code ignored;
        for (auto& [socket, state] : open_)
            if (state.deadline < now) socket->close(ignored);
    }
}

asio::awaitable<void> Server::session(tcp::socket socket) {
    auto& state = open_[&socket];
    auto deadline = [&](std::chrono::milliseconds d, bool idle) {
        state.deadline = std::chrono::steady_clock::now() + d;
        state.idle = idle;
    };
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(16 * 1024);
        // Beast checks a Content-Length against the limit while parsing the header, before we
        // know the content type: start at the larger limit, apply the right one below.
        parser.body_limit(std::max(config_.max_body_bytes, config_.max_batch_body_bytes));
        deadline(config_.request_timeout * 3, true);  // keep-alive idle limit
        auto [ec, _] = co_await bhttp::async_read_header(socket, buffer, parser,
                                                         asio::as_tuple(asio::use_awaitable));
        if (ec) break;  // closed, timed out or garbage: nothing to answer
        auto type = parser.get()[bhttp::field::content_type];
        bool batch = type.starts_with("application/x-ndjson");
        auto limit = batch ? config_.max_batch_body_bytes : config_.max_body_bytes;
        parser.body_limit(limit);
        deadline(config_.request_timeout, false);
        if (parser.content_length() && *parser.content_length() > limit)
            ec = bhttp::error::body_limit;
        else {
            // Beast reads at most the buffer's free capacity per call (512 bytes when it is
            // small): let a body arrive in reads of up to 64 KiB, not thousands of tiny ones.
            if (auto n = parser.content_length().value_or(64 * 1024); !parser.is_done() && n > 512)
                buffer.reserve(buffer.size() + std::min<std::uint64_t>(n, 64 * 1024));
            std::tie(ec, std::ignore) = co_await bhttp::async_read(
                socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
        }
        Response res;
        bool close = false;
        if (ec == bhttp::error::body_limit) {
            res = error_response(parser.get(), bhttp::status::payload_too_large,
                                 "request body is over the limit of " + std::to_string(limit) +
                                     " bytes");
            close = true;  // the rest of the body is still on the wire
        } else if (ec) {
            if (ec.category() != bhttp::make_error_code(bhttp::error::end_of_stream).category() ||
                ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
                break;  // closed, reset or timed out mid-request: nobody to answer
            res = error_response(parser.get(), bhttp::status::bad_request,
                                 "malformed HTTP request: " + ec.message());
            close = true;
        } else {
            auto req = parser.release();
            ++in_progress_;
            try {
                res = co_await handler_(req);
            } catch (const std::exception& e) {
                spdlog::error("http {} {}: {}", std::string(req.method_string()),
                              std::string(req.target()), e.what());
                res = error_response(req, bhttp::status::internal_server_error, "internal error");
            }
            --in_progress_;
            close = !req.keep_alive();
        }
        if (close || stopping_) res.keep_alive(false);
        deadline(config_.request_timeout, false);
        std::tie(ec, std::ignore) =
            co_await bhttp::async_write(socket, res, asio::as_tuple(asio::use_awaitable));
        if (ec || !res.keep_alive()) break;
        if (buffer.capacity() > 16 * 1024) buffer.shrink_to_fit();  // idle connections stay small
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    open_.erase(&socket);
}

}  // namespace fb::http
