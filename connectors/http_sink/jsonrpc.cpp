#include "connectors/http_sink/jsonrpc.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace fb::connectors::http_sink {
namespace json = boost::json;

namespace {

json::value parse_limited(std::string_view text, boost::system::error_code& ec) {
    json::parse_options limits;
    limits.max_depth = 64;
    return json::parse(text, ec, {}, limits);
}

std::string text(const json::value* v) {
    if (!v) return "";
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_null()) return "";
    return json::serialize(*v);
}

}  // namespace

std::string rpc_envelope(std::string_view params_json, const std::string& method, std::uint64_t id,
                         std::string& error) {
    boost::system::error_code ec;
    auto params = parse_limited(params_json.empty() ? "{}" : params_json, ec);
    if (ec || !(params.is_object() || params.is_array())) {
        error = "a JSON-RPC call's params must be a JSON object or array (the mapping's `body:`)";
        return "";
    }
    json::object call{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}, {"id", id}};
    return json::serialize(call);
}

RpcAnswer read_rpc_answer(std::string_view body) {
    RpcAnswer out;
    boost::system::error_code ec;
    auto v = parse_limited(body, ec);
    if (ec || !v.is_object()) return out;
    const auto& o = v.get_object();
    if (const auto* e = o.if_contains("error"); e && !e->is_null()) {
        out.kind = RpcAnswer::Kind::error;
        const json::object* data = nullptr;
        if (e->is_object())
            if (const auto* d = e->get_object().if_contains("data"); d && d->is_object()) data = &d->get_object();
        out.name = data && data->contains("name") ? text(data->if_contains("name"))
                   : e->is_object()                ? text(e->get_object().if_contains("code"))
                                                   : "";
        out.message = data && data->contains("message") ? text(data->if_contains("message"))
                      : e->is_object()                   ? text(e->get_object().if_contains("message"))
                                                         : text(e);
        return out;
    }
    if (o.contains("result")) out.kind = RpcAnswer::Kind::result;
    return out;
}

}  // namespace fb::connectors::http_sink
