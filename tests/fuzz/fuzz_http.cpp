// Fuzz target: the HTTP request path without a network. The input is what a client sends on one
// connection (any number of keep-alive requests); it is read exactly as Server::session in
// daemon/http/server.cpp reads a socket (same parser, header limit, body limit chosen by content
// type, Content-Length checked before the body), in reads of a size the first byte picks. Each
// request is answered through the server's make_response / error_response by a stand-in for
// App::handle (routes, method, webhook signature; the real one needs the state store and Kafka).
// Checked: a body never passes its limit, chunked or not, and every answer is a well-formed
// HTTP response.
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "connectors/webhook/signature.h"
#include "config/config.h"
#include "http/server.h"

namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

// Small limits (any value is a valid configuration) so that inputs of a few KiB reach them.
fb::config::HttpConfig limits() {
    fb::config::HttpConfig c;
    c.max_body_bytes = 2048;
    c.max_batch_body_bytes = 8192;
    return c;
}
const fb::config::HttpConfig config = limits();
const std::string secret = "fuzz-secret";

[[noreturn]] void broken(const std::string& what) {
    std::fprintf(stderr, "http: %s\n", what.c_str());
    std::abort();
}

// What the client sent, handed out `chunk` bytes per read, then end of stream.
struct ClientBytes {
    std::string_view rest;
    std::size_t chunk;

    template <class Buffers>
    std::size_t read_some(const Buffers& buffers, error_code& ec) {
        ec = {};
        if (rest.empty()) {
            ec = asio::error::eof;
            return 0;
        }
        std::size_t n =
            asio::buffer_copy(buffers, asio::buffer(rest.data(), std::min(chunk, rest.size())));
        rest.remove_prefix(n);
        return n;
    }
    template <class Buffers>
    std::size_t read_some(const Buffers& buffers) {
        error_code ec;
        std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
};

// What the server wrote back.
struct ServerBytes {
    std::string written;

    template <class Buffers>
    std::size_t write_some(const Buffers& buffers, error_code& ec) {
        ec = {};
        std::size_t n = 0;
        for (auto b : beast::buffers_range_ref(buffers)) {
            written.append(static_cast<const char*>(b.data()), b.size());
            n += b.size();
        }
        return n;
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers) {
        error_code ec;
        return write_some(buffers, ec);
    }
};

fb::http::Response answer(const fb::http::Request& req) {
    auto target = std::string_view(req.target());
    if (auto q = target.find('?'); q != target.npos) target = target.substr(0, q);
    if (target == "/healthz")
        return fb::http::make_response(req, bhttp::status::ok, R"({"status":"ok"})");
    constexpr std::string_view hooks = "/webhooks/";
    if (!target.starts_with(hooks))
        return fb::http::error_response(req, bhttp::status::not_found, "no such endpoint");
    auto name = std::string(target.substr(hooks.size()));
    if (name != "shipments")
        return fb::http::error_response(req, bhttp::status::not_found,
                                        "unknown flow `" + name.substr(0, 100) + "`");
    if (req.method() != bhttp::verb::post)
        return fb::http::error_response(req, bhttp::status::method_not_allowed,
                                        "webhooks take POST");
    if (!fb::connectors::webhook::signature_valid(secret, req.body(), req["X-Signature"]))
        return fb::http::error_response(req, bhttp::status::unauthorized,
                                        "missing or wrong X-Signature signature");
    return fb::http::make_response(req, bhttp::status::accepted,
                                   "{\"bytes\":" + std::to_string(req.body().size()) + "}");
}

// The server's answers must read back as HTTP responses, one after another.
void check_responses(std::string_view written, std::size_t expected) {
    beast::flat_buffer buffer;
    ClientBytes stream{written, written.size()};
    for (std::size_t i = 0; i < expected; ++i) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(1u << 20);
        error_code ec;
        bhttp::read(stream, buffer, parser, ec);
        if (ec) broken("answer " + std::to_string(i + 1) + " is not HTTP: " + ec.message());
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::size_t chunk = data[0] & 0x80 ? std::size_t(-1) : (data[0] & 0x7F) + 1u;
    ClientBytes socket{std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), chunk};
    ServerBytes out;
    std::size_t answered = 0;

    beast::flat_buffer buffer;
    for (;;) {  // Server::session, with a stream of bytes for the socket
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(std::max(config.max_body_bytes, config.max_batch_body_bytes));
        error_code ec;
        bhttp::read_header(socket, buffer, parser, ec);
        if (ec) break;
        auto type = parser.get()[bhttp::field::content_type];
        bool batch = type.starts_with("application/x-ndjson");
        auto limit = batch ? config.max_batch_body_bytes : config.max_body_bytes;
        parser.body_limit(limit);
        if (parser.content_length() && *parser.content_length() > limit)
            ec = bhttp::error::body_limit;
        else {
            if (auto n = parser.content_length().value_or(64 * 1024); !parser.is_done() && n > 512)
                buffer.reserve(buffer.size() + std::min<std::uint64_t>(n, 64 * 1024));
            bhttp::read(socket, buffer, parser, ec);
        }
        fb::http::Response res;
        bool close = false;
        if (ec == bhttp::error::body_limit) {
            res = fb::http::error_response(
                parser.get(), bhttp::status::payload_too_large,
                "request body is over the limit of " + std::to_string(limit) + " bytes");
            close = true;
        } else if (ec) {
            if (ec.category() != bhttp::make_error_code(bhttp::error::end_of_stream).category() ||
                ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
                break;
            res = fb::http::error_response(parser.get(), bhttp::status::bad_request,
                                           "malformed HTTP request: " + ec.message());
            close = true;
        } else {
            auto req = parser.release();
            if (req.body().size() > limit)
                broken("a body of " + std::to_string(req.body().size()) +
                       " bytes passed the limit of " + std::to_string(limit));
            res = answer(req);
            close = !req.keep_alive();
        }
        if (close) res.keep_alive(false);
        bhttp::write(out, res, ec);
        if (ec) broken("cannot write an answer: " + ec.message());
        ++answered;
        if (!res.keep_alive()) break;
        if (buffer.capacity() > 16 * 1024) buffer.shrink_to_fit();
    }
    check_responses(out.written, answered);
    return 0;
}
