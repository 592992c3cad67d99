#include "operator/pause_command.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <ostream>

#include "http/client.h"
#include "operator/pauses.h"
#include "store/database.h"

namespace fb::operator_page {
namespace json = boost::json;

namespace {

// Where the daemon of this config listens, as seen from this machine.
std::string local_url(const config::HttpConfig& http) {
    std::string host = http.address;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::" || host == "[::]") host = "::1";
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    return "http://" + host + ":" + std::to_string(http.port);
}

std::string describe(const Pause& p) {
    if (!p.any()) return "running (nothing held)";
    std::string s = std::string("intake ") + (p.intake ? "paused" : "running") + ", writeback " +
                    (p.writeback ? "paused" : "running") + " since " + p.since;
    return p.reason.empty() ? s : s + " (" + p.reason + ")";
}

Pause from_json(const json::value& paused) {
    Pause p;
    if (!paused.is_object()) return p;
    const auto& o = paused.as_object();
    auto flag = [&](const char* k) { return o.contains(k) && o.at(k).is_bool() && o.at(k).as_bool(); };
    auto text = [&](const char* k) {
        return o.contains(k) && o.at(k).is_string() ? std::string(o.at(k).as_string()) : std::string();
    };
    return Pause{flag("intake"), flag("writeback"), text("reason"), text("since")};
}

}  // namespace

int pause_command(const config::Config& config, const PauseCommand& c, std::ostream& out, std::ostream& err) {
    if (std::none_of(config.flows.begin(), config.flows.end(), [&](const auto& f) { return f.name == c.flow; })) {
        err << "fieldbridge: no flow `" << c.flow << "` in the config; its flows:";
        for (const auto& f : config.flows) err << " " << f.name;
        err << "\n";
        return 2;
    }
    bool intake = c.only != "writeback", writeback = c.only != "intake";
    const std::string verb = c.on ? "pause" : "resume";
    const std::string base = c.url.empty() ? local_url(config.http) : c.url;

    json::object body{{"intake", intake}, {"writeback", writeback}};
    if (c.on && !c.reason.empty()) body["reason"] = c.reason;
    http::ClientOptions options;
    options.timeout = std::chrono::seconds(10);
    options.max_body_bytes = 64u << 10;
    http::Client client(options);
    http::ClientRequest request{"POST", base + "/api/flows/" + c.flow + "/" + verb,
                                {{"Content-Type", "application/json"},
                                 {"Authorization", "Bearer " + config.http.admin_token}},
                                json::serialize(body)};
    auto result = client.send(request);

    if (!result.ok()) {
        // Nobody listens at the config's address: the daemon is stopped. Record the change where
        // its next start reads it. An explicit --url that does not answer is an error instead.
        if (result.error != http::TransportError::connect || !c.url.empty()) {
            err << "fieldbridge: the daemon at " << base << " did not answer: " << result.message << "\n";
            return 1;
        }
        store::Database db(config.state.path, store::Database::Mode::read_write, config.state.synchronous,
                           config.state.wal_max_bytes);  // creates and migrates the state file
        Pauses pauses(config);
        auto now = pauses.change(c.flow, c.on, intake, writeback, c.reason);
        out << "flow " << c.flow << ": " << describe(now) << "\n"
            << "no daemon answers at " << base << ": recorded in " << config.state.path
            << "; the daemon holds it from its next start\n";
        return 0;
    }
    const auto& res = result.response;
    boost::system::error_code ec;
    json::parse_options limits;
    limits.max_depth = 8;
    auto answer = json::parse(res.body, ec, {}, limits);
    if (res.status != 200 || ec || !answer.is_object() || !answer.as_object().contains("paused")) {
        std::string why = res.body.substr(0, 300);
        if (!ec && answer.is_object() && answer.as_object().contains("error") && answer.at("error").is_string())
            why = std::string(answer.at("error").as_string());
        err << "fieldbridge: the daemon at " << base << " refused the " << verb << " (HTTP " << res.status
            << "): " << why << "\n";
        if (res.status == 403)
            err << "  its admin API is off: set http.admin_token in the config and restart it (or stop it: "
                   "a pause given while it is stopped holds from its next start)\n";
        return 1;
    }
    out << "flow " << c.flow << ": " << describe(from_json(answer.at("paused"))) << "\n";
    return 0;
}

}  // namespace fb::operator_page
