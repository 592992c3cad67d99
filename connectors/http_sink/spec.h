// The `http` and `jsonrpc` writeback sinks' config (`writeback.sink`): where the ERP is, how to
// authenticate and log in, the CSRF token fetch and If-Match ETag of OData services, and the
// JSON-RPC envelope and error names of Odoo-style services.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/sink.h"
#include "http/auth.h"
#include "http/client.h"
#include "http/login.h"
#include "mapping/mapping.h"

namespace fb::config {
class Section;
}

namespace fb::connectors::http_sink {

struct Spec : core::SinkSpec {
    bool jsonrpc = false;  // type: jsonrpc
    // Where the ERP is: a relative request URL is appended to it, and an absolute one keeps its
    // path and query but goes to this scheme, host and port (mappings name a placeholder host).
    std::string base_url;
    http::ClientOptions client;  // timeout: writeback.timeout, set when the sink starts
    http::Auth auth;
    boost::json::object vars;  // $.vars of the login request (user, password, company…)
    std::vector<std::string> var_secrets;
    std::shared_ptr<const http::LoginSpec> login;
    // Where the login goes when it is not the ERP's host (an OAuth2 token endpoint such as
    // https://login.microsoftonline.com); empty = base_url, like every other request.
    std::string login_base_url;
    // How the session goes with each request: a cookie (login.from: cookie, by default) or a
    // header with an optional prefix ("Bearer ").
    std::string session_header, session_prefix;
    // Or a template of the mapping language over $.session (the value, as JSON when it is a
    // list or an object) and $.vars: "Session {{base64(...)}}" for Tryton.
    std::shared_ptr<const mapping::Mapping> session_template;

    struct Csrf {
        std::string url;                     // fetched with `<header>: Fetch`
        std::string header = "X-CSRF-Token";
    };
    std::shared_ptr<const Csrf> csrf;

    struct Etag {
        std::shared_ptr<const mapping::Mapping> read;  // GET, URL templated over $.request; null = same URL
        std::string header = "ETag";  // where the read's answer has it, or
        std::string body_path;        // a path into its JSON body ($.d.__metadata.etag)
        std::string send_as = "If-Match";
    };
    std::shared_ptr<const Etag> etag;

    struct JsonRpc {
        std::string method = "call";
        // error.data.name values: retried, or treated as an expired session (log in again);
        // any other error is permanent (AccessError, ValidationError, UserError, MissingError…).
        std::vector<std::string> retry_errors{"psycopg2.errors.SerializationFailure",
                                              "psycopg2.errors.LockNotAvailable",
                                              "psycopg2.OperationalError"};
        std::vector<std::string> session_expired{"odoo.http.SessionExpiredException"};
    } rpc;
};

// Reads `writeback.sink` of type http (jsonrpc = false) or jsonrpc; errors name file:line:col.
std::shared_ptr<const Spec> read_spec(config::Section& sink, const std::string& base_dir, bool jsonrpc);

// scheme://host:port of an absolute URL (the port filled in); empty when it is not one.
std::string origin_of(const std::string& url);

}  // namespace fb::connectors::http_sink
