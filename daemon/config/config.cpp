#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include "support/suggest.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fb::config {
namespace {

// Reads one YAML mapping node strictly: every key must be consumed, else "unknown key".
class Section {
public:
    Section(const YAML::Node& node, std::string file, std::string where)
        : node_(node), file_(std::move(file)), where_(std::move(where)) {
        if (!node_.IsMap()) fail(node_, where_ + " must be a mapping");
    }

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
        auto mark = at.Mark();
        std::ostringstream out;
        out << file_ << ':' << mark.line + 1 << ':' << mark.column + 1 << ": " << message;
        throw ConfigError(out.str());
    }

    YAML::Node get(const std::string& key) {
        known_.insert(key);
        return node_[key];
    }

    std::string string(const std::string& key, std::string fallback, bool required = false) {
        auto n = get(key);
        if (!n) {
            if (required) fail(node_, where_ + ": missing required field `" + key + "`");
            return fallback;
        }
        if (!n.IsScalar()) fail(n, where_ + "." + key + " must be a string");
        return expand(n, n.Scalar());
    }

    long long integer(const std::string& key, long long fallback, long long min, long long max) {
        auto n = get(key);
        if (!n) return fallback;
        long long v = 0;
        if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v))
            fail(n, where_ + "." + key + " must be an integer, found `" + dump(n) + "`");
        if (v < min || v > max)
            fail(n, where_ + "." + key + " must be between " + std::to_string(min) + " and " +
                        std::to_string(max));
        return v;
    }

    std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback) {
        auto n = get(key);
        if (!n) return fallback;
        static const std::regex re(R"((\d+)(ms|s|m|h))");
        std::smatch m;
        std::string text = n.IsScalar() ? n.Scalar() : "";
        if (!std::regex_match(text, m, re))
            fail(n, where_ + "." + key + " must be a duration like 500ms, 30s, 5m or 1h, found `" +
                        dump(n) + "`");
        long long v = std::stoll(m[1]);
        std::string unit = m[2];
        if (unit == "s") v *= 1000;
        if (unit == "m") v *= 60'000;
        if (unit == "h") v *= 3'600'000;
        return std::chrono::milliseconds(v);
    }

    Section section(const std::string& key) {
        auto n = get(key);
        return Section(n ? n : YAML::Node(YAML::NodeType::Map), file_, where_ + "." + key);
    }

    Section child(const YAML::Node& n, const std::string& where) const {
        return Section(n, file_, where);
    }

    // Throws on the first key that was never asked for, suggesting the closest known one.
    void reject_unknown() const {
        for (const auto& kv : node_) {
            auto key = kv.first.as<std::string>();
            if (known_.count(key)) continue;
            std::vector<std::string_view> candidates(known_.begin(), known_.end());
            auto hint = support::did_you_mean(key, candidates);
            for (const auto& k : known_)  // `mapping_file` → `mapping`: too far apart to be a typo
                if (hint.empty() && (key.starts_with(k) || k.starts_with(key)))
                    hint = " (did you mean `" + k + "`?)";
            fail(kv.first, "unknown key `" + key + "` in " + where_ + hint);
        }
    }

    const YAML::Node& node() const { return node_; }

    // ${env:NAME} and ${file:PATH} let secrets stay out of the file.
    std::string expand(const YAML::Node& at, const std::string& text) const {
        static const std::regex ref(R"(\$\{(env|file):([^}]+)\})");
        std::string out;
        auto begin = text.cbegin();
        std::smatch m;
        while (std::regex_search(begin, text.cend(), m, ref)) {
            out.append(begin, m[0].first);
            std::string kind = m[1], name = m[2];
            if (kind == "env") {
                const char* v = std::getenv(name.c_str());
                if (!v) fail(at, "environment variable " + name + " is not set");
                out += v;
            } else {
                std::ifstream in(name, std::ios::binary);
                if (!in) fail(at, "cannot read secret file " + name);
                std::string content((std::istreambuf_iterator<char>(in)), {});
                while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
                    content.pop_back();
                out += content;
            }
            begin = m[0].second;
        }
        out.append(begin, text.cend());
        return out;
    }

private:
    static std::string dump(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : "(not a scalar)"; }

    YAML::Node node_;
    std::string file_;
    std::string where_;
    std::set<std::string> known_;
};

std::string resolve(const std::string& base_dir, const std::string& path) {
    if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

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
    if (f.source.type != "webhook")
        src.fail(src.get("type"), "unknown source type `" + f.source.type + "` (known: webhook)");
    auto hmac = src.get("hmac");
    if (hmac) {
        Section h = src.child(hmac, "flow.source.hmac");
        f.source.hmac_secret = h.string("secret", "", true);
        f.source.hmac_header = h.string("header", f.source.hmac_header);
        h.reject_unknown();
    }
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
