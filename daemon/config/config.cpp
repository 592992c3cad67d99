#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include "config/section.h"
#include "connectors/registry.h"

#include <cstdlib>
#include <filesystem>
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
    s.reject_unknown();
    return f;
}

}  // namespace

const FlowConfig* Config::flow(std::string_view name) const {
    for (const auto& f : flows)
        if (f.name == name) return &f;
    return nullptr;
}

Config parse(const std::string& yaml_text, const std::string& file_name, const std::string& base_dir) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
        throw ConfigError(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    Config c;
    c.file = file_name;
    if (!root.IsMap()) throw ConfigError(file_name + ":1:1: the config must be a YAML mapping");
    Section top(root, file_name, "config");
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
    read_kafka(top.section("kafka"), c.kafka);
    read_http(top.section("http"), c.http);
    read_outbox(top.section("outbox"), c.outbox);
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
    top.reject_unknown();
    return c;
}

Config load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot read the config file");
    std::stringstream text;
    text << in.rdbuf();
    auto dir = std::filesystem::path(path).parent_path().string();
    return parse(text.str(), path, dir.empty() ? "." : dir);
}

}  // namespace fb::config
