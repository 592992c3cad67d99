#include "config/config.h"

#include <iconv.h>
#include <yaml-cpp/yaml.h>

#include "config/section.h"
#include "connectors/http_sink/spec.h"
#include "connectors/registry.h"
#include "http/endpoint_config.h"
#include "support/yaml_reason.h"

#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fb::config {
namespace {

void read_kafka(Section s, KafkaConfig& k) {
    k.brokers = s.string("brokers", k.brokers);
    k.embedded_brokers = static_cast<int>(s.integer("embedded_brokers", k.embedded_brokers, 1, 9));
    k.embedded_partitions =
        static_cast<int>(s.integer("embedded_partitions", k.embedded_partitions, 1, 64));
    auto props = s.get("properties");
    if (props) {
        if (!props.IsMap()) s.fail(props, "kafka.properties must be a mapping of strings");
        for (const auto& kv : props) {
            if (!kv.second.IsScalar()) s.fail(kv.second, "kafka.properties values must be strings");
            k.properties[kv.first.as<std::string>()] = s.expand(kv.second, kv.second.Scalar());
        }
        if (auto max = props["message.max.bytes"]) {
            auto text = k.properties["message.max.bytes"];
            char* end = nullptr;
            auto n = std::strtoll(text.c_str(), &end, 10);
            if (text.empty() || *end || n < 131072 || n > 1000000000)
                s.fail(max, "kafka.properties message.max.bytes must be a whole number of bytes "
                            "from 131072 to 1000000000 (a dead-letter message carries up to 64 KiB of "
                            "its input)");
            k.max_message_bytes = static_cast<std::size_t>(n);
        }
    }
    k.delivery_stall = s.duration("delivery_stall", k.delivery_stall);
    auto t = s.section("topics");
    k.topics.work_orders = t.string("work_orders", k.topics.work_orders);
    k.topics.status = t.string("status", k.topics.status);
    k.topics.dead_letter = t.string("dead_letter", k.topics.dead_letter);
    t.reject_unknown();
    s.reject_unknown();
}

void read_http(Section s, HttpConfig& h) {
    auto listen = s.get("listen");
    if (listen) {
        static const std::regex re(R"(([^:]+):(\d{1,5}))");
        std::smatch m;
        std::string text = listen.IsScalar() ? listen.Scalar() : "";
        if (!std::regex_match(text, m, re) || std::stoi(m[2]) > 65535)
            s.fail(listen, "http.listen must be host:port, e.g. 127.0.0.1:8088");
        h.address = m[1];
        h.port = static_cast<unsigned short>(std::stoi(m[2]));
    }
    h.admin_token = s.string("admin_token", "");
    h.max_body_bytes = s.integer("max_body_bytes", h.max_body_bytes, 1024, 1ll << 30);
    h.max_batch_body_bytes =
        s.integer("max_batch_body_bytes", h.max_batch_body_bytes, 1024, 1ll << 32);
    h.request_timeout = s.duration("request_timeout", h.request_timeout);
    h.max_connections = s.integer("max_connections", h.max_connections, 1, 100000);
    h.workers = s.integer("workers", 0, 0, 256);
    s.reject_unknown();
}

void read_outbox(Section s, OutboxConfig& o) {
    o.high_water = s.integer("high_water", o.high_water, 1, 100'000'000);
    o.low_water = s.integer("low_water", std::min(o.low_water, o.high_water / 2), 0,
                            static_cast<long long>(o.high_water));
    o.retention = std::chrono::duration_cast<std::chrono::seconds>(s.duration("retention", o.retention));
    o.max_batch = s.integer("max_batch", o.max_batch, 1, 100'000);
    o.housekeeping_every = s.duration("housekeeping_every", o.housekeeping_every);
    s.reject_unknown();
}

std::vector<std::string> strings(Section& s, const std::string& key, std::vector<std::string> fallback) {
    auto n = s.get(key);
    if (!n) return fallback;
    if (n.IsScalar()) return {s.expand(n, n.Scalar())};
    if (!n.IsSequence()) s.fail(n, key + " must be a string or a list of strings");
    std::vector<std::string> out;
    for (const auto& e : n) {
        if (!e.IsScalar()) s.fail(e, key + " must list strings");
        out.push_back(e.Scalar());
    }
    return out;
}

void read_status(Section s, StatusConfig& c) {
    c.group_id = s.string("group_id", c.group_id);
    c.max_event_bytes = s.integer("max_event_bytes", c.max_event_bytes, 256, 64ll << 20);
    c.max_depth = static_cast<int>(s.integer("max_depth", c.max_depth, 2, 256));
    c.max_batch = s.integer("max_batch", c.max_batch, 1, 100'000);
    s.reject_unknown();
}

void read_lifecycle(Section s, LifecycleConfig& l) {
    l.states = strings(s, "states", l.states);
    l.terminal = strings(s, "terminal", l.terminal);
    auto known = [&](const std::string& st) {
        return st == "*" || std::find(l.states.begin(), l.states.end(), st) != l.states.end();
    };
    if (l.states.empty() || l.states.front() != "created")
        s.fail(s.node(), "lifecycle.states must start with `created` (a new work order's state)");
    for (const auto& t : l.terminal)
        if (!known(t)) s.fail(s.get("terminal"), "lifecycle.terminal names unknown state `" + t + "`");
    auto tr = s.get("transitions");
    if (tr) {
        if (!tr.IsMap()) s.fail(tr, "lifecycle.transitions maps a state to the states it may move to");
        for (const auto& kv : tr) {
            auto from = kv.first.as<std::string>();
            if (!known(from)) s.fail(kv.first, "lifecycle.transitions: unknown state `" + from + "`");
            std::vector<std::string> to;
            if (kv.second.IsScalar()) to.push_back(kv.second.Scalar());
            else if (kv.second.IsSequence())
                for (const auto& e : kv.second) to.push_back(e.IsScalar() ? e.Scalar() : "");
            else s.fail(kv.second, "lifecycle.transitions." + from + " must list states");
            for (const auto& st : to)
                if (st == "*" || !known(st))
                    s.fail(kv.second, "lifecycle.transitions." + from + ": unknown state `" + st + "`");
            l.transitions[from] = to;
        }
    }
    s.reject_unknown();
}

void read_sink(Section s, SinkConfig& k, const std::string& base_dir) {
    k.type = s.string("type", "", true);
    if (k.type == "file_export") {
        k.folder = resolve(base_dir, s.string("folder", "", true));
        k.format = s.string("format", k.format);
        if (k.format != "json" && k.format != "csv")
            s.fail(s.get("format"), "writeback.sink.format must be `json` or `csv`");
        k.charset = s.string("charset", k.charset);
        if (auto cd = iconv_open(k.charset.c_str(), "UTF-8"); cd == reinterpret_cast<iconv_t>(-1))
            s.fail(s.get("charset"), "writeback.sink.charset `" + k.charset + "` is not known to iconv");
        else
            iconv_close(cd);
        k.csv_rows = s.string("csv_rows", "");
        boost::json::object vars;
        http::read_vars(s, vars, k.var_secrets);
        for (const auto& kv : vars) k.vars[std::string(kv.key())] = std::string(kv.value().as_string());
    } else if (k.type == "http" || k.type == "jsonrpc") {
        k.spec = connectors::http_sink::read_spec(s, base_dir, k.type == "jsonrpc");
    } else {
        s.fail(s.get("type"), "unknown writeback sink type `" + k.type + "` (known: file_export, http, jsonrpc)");
    }
    s.reject_unknown();
}

void read_writeback(Section s, WritebackConfig& w, const LifecycleConfig& life,
                    const std::string& base_dir) {
    for (const auto& m : strings(s, "mapping", {})) w.mappings.push_back(resolve(base_dir, m));
    if (w.mappings.empty()) s.fail(s.node(), "writeback: missing required field `mapping`");
    if (auto v = s.string("verify", ""); !v.empty()) w.verify = resolve(base_dir, v);
    w.on = strings(s, "on", w.on);
    for (const auto& st : w.on)
        if (std::find(life.states.begin(), life.states.end(), st) == life.states.end())
            s.fail(s.get("on"), "writeback.on names unknown state `" + st + "`");
    read_sink(s.section("sink"), w.sink, base_dir);
    w.timeout = s.duration("timeout", w.timeout);
    auto r = s.section("retry");
    w.backoff_initial = r.duration("initial", w.backoff_initial);
    w.backoff_max = r.duration("max", w.backoff_max);
    w.max_age = r.duration("max_age", w.max_age);
    r.reject_unknown();
    auto b = s.section("breaker");
    w.breaker_failures = static_cast<int>(b.integer("failures", w.breaker_failures, 1, 1000));
    w.breaker_cooldown = b.duration("cooldown", w.breaker_cooldown);
    b.reject_unknown();
    w.verify_attempts = static_cast<int>(s.integer("verify_attempts", w.verify_attempts, 1, 100));
    w.retention = s.duration("retention", w.retention);
    s.reject_unknown();
}

FlowConfig read_flow(Section s, const std::string& base_dir) {
    FlowConfig f;
    f.name = s.string("name", "", true);
    static const std::regex name_re("[a-z0-9][a-z0-9_-]{0,62}");
    if (!std::regex_match(f.name, name_re))
        s.fail(s.get("name"), "flow name `" + f.name + "` must be lowercase letters, digits, - or _");
    f.document_type = s.string("document_type", f.name);
    f.mapping = resolve(base_dir, s.string("mapping", "", true));
    auto src = s.section("source");
    f.source.type = src.string("type", "", true);
    f.source.spec = connectors::read_source_spec(f.source.type, src, src.get("type"), base_dir);
    src.reject_unknown();
    if (s.get("lifecycle")) read_lifecycle(s.section("lifecycle"), f.lifecycle);
    if (s.get("writeback")) read_writeback(s.section("writeback"), f.writeback, f.lifecycle, base_dir);
    s.reject_unknown();
    return f;
}

// How folder `a` stands to `b`: the same, one inside the other, or apart (""). Compared as
// absolute paths without `.` and `..` (a symlink between them is not seen).
std::string overlap(const std::string& a, const std::string& b) {
    auto clean = [](const std::string& p) {
        auto n = std::filesystem::absolute(p).lexically_normal().string();
        if (n.size() > 1 && n.ends_with('/')) n.pop_back();
        return n;
    };
    auto x = clean(a), y = clean(b);
    auto inside = [](const std::string& dir, const std::string& in) {
        return in.starts_with(dir.ends_with('/') ? dir : dir + "/");
    };
    if (x == y) return "is";
    if (inside(x, y)) return "contains";
    if (inside(y, x)) return "is inside";
    return "";
}

// Two flows moving files in one folder take each other's files: two sibling inboxes both
// default to <parent>/processing, and each flow's start recovers the other's claimed files.
void reject_shared_folders(const Section& top, const YAML::Node& nodes, const std::vector<FlowConfig>& flows) {
    auto folders = [](const FlowConfig& f) {
        return f.source.spec ? f.source.spec->owned_folders() : std::vector<std::pair<std::string, std::string>>{};
    };
    for (std::size_t b = 1; b < flows.size(); ++b)
        for (std::size_t a = 0; a < b; ++a)
            for (const auto& [what_a, dir_a] : folders(flows[a]))
                for (const auto& [what_b, dir_b] : folders(flows[b]))
                    if (auto how = overlap(dir_a, dir_b); !how.empty())
                        top.fail(nodes[b], "flows `" + flows[a].name + "` and `" + flows[b].name +
                                               "` share folders: `" + flows[a].name + "`'s " + what_a + " " + dir_a +
                                               " " + how + " `" + flows[b].name + "`'s " + what_b + " " + dir_b +
                                               ", and each flow would take the other's files; give each its own "
                                               "inbox, processing, done and failed (set them under `source:`)");
}

}  // namespace

const FlowConfig* Config::flow(std::string_view name) const {
    for (const auto& f : flows)
        if (f.name == name) return &f;
    return nullptr;
}

namespace {

YAML::Node load_yaml(const std::string& yaml_text, const std::string& file_name) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
        throw ConfigError(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": " + yaml_reason(e));
    }
    if (!root.IsMap()) throw ConfigError(file_name + ":1:1: the config must be a YAML mapping");
    return root;
}

void read_state(Section& top, Config& c, const std::string& base_dir) {
    auto state = top.section("state");
    c.state.path = resolve(base_dir, state.string("path", c.state.path));
    c.state.synchronous = state.string("synchronous", c.state.synchronous);
    if (c.state.synchronous != "full" && c.state.synchronous != "normal")
        state.fail(state.get("synchronous"), "state.synchronous must be `full` or `normal`");
    c.state.wal_max_bytes = state.integer("wal_max_bytes", c.state.wal_max_bytes, 64 << 10, 1ll << 40);
    c.state.reserve_bytes = state.integer("reserve_bytes", c.state.reserve_bytes, 0, 1ll << 40);
    if (c.state.reserve_bytes > 0 && c.state.reserve_bytes < c.state.wal_max_bytes)
        state.fail(state.get("reserve_bytes") ? state.get("reserve_bytes") : state.get("wal_max_bytes"),
                   "state.reserve_bytes (" + std::to_string(c.state.reserve_bytes) +
                       ") must be 0 or at least state.wal_max_bytes (" +
                       std::to_string(c.state.wal_max_bytes) + "): a checkpoint needs that much room");
    state.reject_unknown();
}

}  // namespace

Config parse(const std::string& yaml_text, const std::string& file_name, const std::string& base_dir) {
    auto root = load_yaml(yaml_text, file_name);
    Config c;
    c.file = file_name;
    Section top(root, file_name, "config");
    read_state(top, c, base_dir);
    read_kafka(top.section("kafka"), c.kafka);
    read_http(top.section("http"), c.http);
    read_outbox(top.section("outbox"), c.outbox);
    read_status(top.section("status"), c.status);
    auto log = top.section("log");
    c.log_level = log.string("level", c.log_level);
    log.reject_unknown();
    auto flows = top.get("flows");
    if (!flows || !flows.IsSequence() || flows.size() == 0)
        top.fail(flows ? flows : root, "config: `flows` must list at least one flow");
    for (const auto& f : flows) {
        c.flows.push_back(read_flow(Section(f, file_name, "flow"), base_dir));
        for (std::size_t i = 0; i + 1 < c.flows.size(); ++i)
            if (c.flows[i].name == c.flows.back().name)
                top.fail(f, "flow name `" + c.flows.back().name + "` is used twice");
    }
    reject_shared_folders(top, flows, c.flows);
    top.reject_unknown();
    return c;
}

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot read the config file");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string folder_of(const std::string& path) {
    auto dir = std::filesystem::path(path).parent_path().string();
    return dir.empty() ? "." : dir;
}

}  // namespace

Config load(const std::string& path) { return parse(read_text(path), path, folder_of(path)); }

Config load_state_only(const std::string& path) {
    auto root = load_yaml(read_text(path), path);
    Config c;
    c.file = path;
    Section top(root, path, "config", true);  // a secret the shell lacks stays as written
    read_state(top, c, folder_of(path));
    if (auto flows = root["flows"]; flows && flows.IsSequence())
        for (const auto& f : flows)
            if (f.IsMap() && f["name"] && f["name"].IsScalar()) {
                FlowConfig flow;
                flow.name = f["name"].Scalar();
                c.flows.push_back(std::move(flow));
            }
    return c;
}

}  // namespace fb::config
