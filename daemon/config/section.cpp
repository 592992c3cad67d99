#include "config/section.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/suggest.h"

namespace fb::config {
namespace {
std::string dump(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : "(not a scalar)"; }
}  // namespace

Section::Section(const YAML::Node& node, std::string file, std::string where, bool offline)
    : node_(node), file_(std::move(file)), where_(std::move(where)), offline_(offline) {
    if (!node_.IsMap()) fail(node_, where_ + " must be a mapping");
}

void Section::fail(const YAML::Node& at, const std::string& message) const {
    auto mark = at.Mark();
    std::ostringstream out;
    out << file_ << ':' << mark.line + 1 << ':' << mark.column + 1 << ": " << message;
    throw ConfigError(out.str());
}

YAML::Node Section::get(const std::string& key) {
    known_.insert(key);
    return node_[key];
}

std::string Section::string(const std::string& key, std::string fallback, bool required) {
    auto n = get(key);
    if (!n) {
        if (required) fail(node_, where_ + ": missing required field `" + key + "`");
        return fallback;
    }
    if (!n.IsScalar()) fail(n, where_ + "." + key + " must be a string");
    return expand(n, n.Scalar());
}

long long Section::integer(const std::string& key, long long fallback, long long min, long long max) {
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

bool Section::boolean(const std::string& key, bool fallback) {
    auto n = get(key);
    if (!n) return fallback;
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
        fail(n, where_ + "." + key + " must be true or false, found `" + dump(n) + "`");
    return v;
}

std::chrono::milliseconds Section::duration(const std::string& key, std::chrono::milliseconds fallback) {
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

std::vector<std::string> Section::strings(const std::string& key) {
    auto n = get(key);
    std::vector<std::string> out;
    if (!n) return out;
    if (n.IsScalar()) return {expand(n, n.Scalar())};
    if (!n.IsSequence()) fail(n, where_ + "." + key + " must be a list of strings");
    for (const auto& item : n) {
        if (!item.IsScalar()) fail(item, where_ + "." + key + " must be a list of strings");
        out.push_back(expand(item, item.Scalar()));
    }
    return out;
}

std::map<std::string, std::string> Section::string_map(const std::string& key) {
    auto n = get(key);
    std::map<std::string, std::string> out;
    if (!n) return out;
    if (!n.IsMap()) fail(n, where_ + "." + key + " must be a mapping of strings");
    for (const auto& kv : n) {
        if (!kv.second.IsScalar()) fail(kv.second, where_ + "." + key + " values must be strings");
        out[kv.first.as<std::string>()] = expand(kv.second, kv.second.Scalar());
    }
    return out;
}

std::string Section::choice(const std::string& key, std::string fallback,
                            const std::vector<std::string>& allowed) {
    auto v = string(key, fallback);
    for (const auto& a : allowed)
        if (a == v) return v;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    std::vector<std::string_view> candidates(allowed.begin(), allowed.end());
    fail(get(key), where_ + "." + key + ": `" + v + "` is not one of " + list +
                       support::did_you_mean(v, candidates));
}

Section Section::section(const std::string& key) {
    auto n = get(key);
    return Section(n ? n : YAML::Node(YAML::NodeType::Map), file_, where_ + "." + key, offline_);
}

Section Section::child(const YAML::Node& n, const std::string& where) const {
    return Section(n, file_, where, offline_);
}

void Section::reject_unknown() const {
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

std::string Section::expand(const YAML::Node& at, const std::string& text) const {
    static const std::regex ref(R"(\$\{(env|file):([^}]+)\})");
    std::string out;
    auto begin = text.cbegin();
    std::smatch m;
    while (std::regex_search(begin, text.cend(), m, ref)) {
        out.append(begin, m[0].first);
        std::string kind = m[1], name = m[2];
        if (kind == "env") {
            const char* v = std::getenv(name.c_str());
            if (!v && !offline_) fail(at, "environment variable " + name + " is not set");
            out += v ? std::string(v) : std::string(m[0]);
        } else {
            std::ifstream in(name, std::ios::binary);
            if (!in && offline_) {
                out += m[0];
                begin = m[0].second;
                continue;
            }
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

std::string resolve(const std::string& base_dir, const std::string& path) {
    if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

}  // namespace fb::config
