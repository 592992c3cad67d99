#include "connectors/http_sink/spec.h"

#include <boost/url/parse.hpp>

#include "config/section.h"
#include "http/endpoint_config.h"

namespace fb::connectors::http_sink {

std::string origin_of(const std::string& url) {
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u || !u->has_authority() || u->host().empty()) return "";
    std::string scheme(u->scheme());
    std::string port(u->port());
    if (port.empty()) port = scheme == "https" ? "443" : "80";
    return scheme + "://" + std::string(u->encoded_host()) + ":" + port;
}

namespace {

// A template of the mapping language, compiled as the URL of a request mapping of its own so
// that it has the language's paths, functions and errors.
std::shared_ptr<const mapping::Mapping> compile_template(config::Section& s, const std::string& key,
                                                        const std::string& name, const std::string& text) {
    std::string yaml = "name: " + name + "\nrequest:\n  method: GET\n  url: { template: \"";
    for (char c : text) {
        if (c == '"' || c == '\\') yaml += '\\';
        yaml += c;
    }
    yaml += "\" }\n";
    try {
        return mapping::Mapping::compile(yaml, s.file() + " (" + s.where() + "." + key + ")");
    } catch (const std::exception& ex) {
        s.fail(s.get(key), s.where() + "." + key + " is not a template: " + ex.what());
    }
    return nullptr;
}

std::shared_ptr<const Spec::Etag> read_etag(config::Section& parent, const YAML::Node& node) {
    auto s = parent.child(node, parent.where() + ".etag");
    auto e = std::make_shared<Spec::Etag>();
    auto url = s.string("url", "same");
    if (url != "same") {
        // The read is a request mapping of its own, so its URL template has the mapping
        // language's paths and errors: {{$.request.query.DeliveryDocument}}, {{$.request.body.id}}.
        std::string yaml = "name: etag-read\nrequest:\n  method: GET\n  url: { template: \"";
        for (char c : url) {
            if (c == '"' || c == '\\') yaml += '\\';
            yaml += c;
        }
        yaml += "\" }\n";
        try {
            e->read = mapping::Mapping::compile(yaml, s.file() + " (" + s.where() + ".url)");
        } catch (const std::exception& ex) {
            s.fail(s.get("url"), s.where() + ".url is not a template over $.request: " + ex.what());
        }
    }
    e->header = s.string("header", e->header);
    e->body_path = http::read_path(s, "body");
    if (s.has("header") && !e->body_path.empty())
        s.fail(s.get("body"), s.where() + ": the ETag comes from a `header` or from the `body`, not both");
    e->send_as = s.string("send_as", e->send_as);
    s.reject_unknown();
    return e;
}

}  // namespace

std::shared_ptr<const Spec> read_spec(config::Section& s, const std::string& base_dir, bool jsonrpc) {
    auto spec = std::make_shared<Spec>();
    spec->jsonrpc = jsonrpc;
    spec->base_url = s.string("base_url", "");
    while (spec->base_url.ends_with("/")) spec->base_url.pop_back();
    if (!spec->base_url.empty() && origin_of(spec->base_url).empty())
        s.fail(s.get("base_url"), s.where() + ".base_url must be an http(s) URL, found `" + spec->base_url + "`");
    if (!spec->base_url.empty() && !spec->base_url.starts_with("http://") && !spec->base_url.starts_with("https://"))
        s.fail(s.get("base_url"), s.where() + ".base_url must start with http:// or https://");
    http::read_client_limits(s, base_dir, spec->client);
    spec->auth = http::read_auth(s);
    http::read_vars(s, spec->vars, spec->var_secrets);
    spec->login = http::read_login(s, "login", base_dir);
    spec->login_base_url = s.string("login_base_url", "");
    while (spec->login_base_url.ends_with("/")) spec->login_base_url.pop_back();
    if (!spec->login_base_url.empty()) {
        if (origin_of(spec->login_base_url).empty() ||
            !(spec->login_base_url.starts_with("http://") || spec->login_base_url.starts_with("https://")))
            s.fail(s.get("login_base_url"), s.where() + ".login_base_url must be an http(s) URL, found `" +
                                                spec->login_base_url + "`");
        if (!spec->login) s.fail(s.get("login_base_url"), s.where() + ".login_base_url needs `login`");
    }
    if (auto h = s.get("session_header")) {
        auto hs = s.child(h, s.where() + ".session_header");
        spec->session_header = hs.string("name", "", true);
        spec->session_prefix = hs.string("prefix", "");
        if (hs.has("template")) {
            if (hs.has("prefix")) hs.fail(hs.get("template"), hs.where() + ": a `template` or a `prefix`, not both");
            spec->session_template = compile_template(hs, "template", "session-header", hs.string("template", ""));
        }
        hs.reject_unknown();
        if (!spec->login) s.fail(h, s.where() + ".session_header needs `login`");
    } else if (spec->login && spec->login->session.from == http::SessionSpec::From::header) {
        spec->session_header = spec->login->session.name;  // sent back as it came
    } else if (spec->login && spec->login->session.from == http::SessionSpec::From::body) {
        s.fail(s.get("login"), s.where() + ".login takes the session from the body: say how it goes "
                               "with each request, e.g. session_header: { name: Authorization, prefix: \"Bearer \" }");
    }

    if (auto c = s.get("csrf")) {
        if (jsonrpc) s.fail(c, s.where() + ".csrf is for OData-style http sinks, not jsonrpc");
        auto cs = s.child(c, s.where() + ".csrf");
        auto csrf = std::make_shared<Spec::Csrf>();
        csrf->url = cs.string("url", "", true);
        csrf->header = cs.string("header", csrf->header);
        cs.reject_unknown();
        spec->csrf = csrf;
    }
    if (auto e = s.get("etag")) {
        if (jsonrpc) s.fail(e, s.where() + ".etag is for OData-style http sinks, not jsonrpc");
        spec->etag = read_etag(s, e);
    }
    if (auto r = s.get("jsonrpc")) {
        if (!jsonrpc) s.fail(r, s.where() + ".jsonrpc options need `type: jsonrpc`");
        auto rs = s.child(r, s.where() + ".jsonrpc");
        spec->rpc.method = rs.string("method", spec->rpc.method);
        if (rs.has("retry_errors")) spec->rpc.retry_errors = rs.strings("retry_errors");
        if (rs.has("session_expired")) spec->rpc.session_expired = rs.strings("session_expired");
        rs.reject_unknown();
    }
    return spec;
}

}  // namespace fb::connectors::http_sink
