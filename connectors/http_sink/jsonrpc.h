// JSON-RPC 2.0 as Odoo speaks it: the mapping's body becomes the `params` of a call, and an
// answer's `error` (in an HTTP 200) is read by its name, Odoo's `error.data.name`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fb::connectors::http_sink {

// {"jsonrpc":"2.0","method":…,"params":<params_json>,"id":id}; empty with `error` set when the
// params are not a JSON object or array.
std::string rpc_envelope(std::string_view params_json, const std::string& method, std::uint64_t id,
                         std::string& error);

struct RpcAnswer {
    enum class Kind { result, error, not_rpc };
    Kind kind = Kind::not_rpc;
    std::string name;     // error.data.name (odoo.exceptions.ValidationError), else error.code
    std::string message;  // error.data.message, else error.message
};

// What a JSON-RPC answer body says (size and depth limited: the answer is untrusted).
RpcAnswer read_rpc_answer(std::string_view body);

}  // namespace fb::connectors::http_sink
