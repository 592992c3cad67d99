// A strict reader of one YAML mapping, for the config and the connectors' config specs: every
// key must be known, every mistake names file:line:col, ${env:NAME} and ${file:PATH} expand.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace fb::config {

class Section {
public:
    // `offline` (config::load_state_only): a ${env:NAME} that is not set, or a ${file:PATH} that
    // cannot be read, stays as written instead of failing the load.
    Section(const YAML::Node& node, std::string file, std::string where, bool offline = false);

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const;
    YAML::Node get(const std::string& key);  // marks the key as known
    bool has(const std::string& key) { return bool(get(key)); }

    std::string string(const std::string& key, std::string fallback, bool required = false);
    long long integer(const std::string& key, long long fallback, long long min, long long max);
    bool boolean(const std::string& key, bool fallback);
    std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback);
    std::vector<std::string> strings(const std::string& key);             // a list of strings
    std::map<std::string, std::string> string_map(const std::string& key);  // values expanded
    // One of `allowed`, else an error listing them.
    std::string choice(const std::string& key, std::string fallback,
                       const std::vector<std::string>& allowed);

    Section section(const std::string& key);  // an absent key reads as an empty mapping
    Section child(const YAML::Node& n, const std::string& where) const;
    // Throws on the first key that was never asked for, suggesting the closest known one.
    void reject_unknown() const;

    const YAML::Node& node() const { return node_; }
    const std::string& file() const { return file_; }
    const std::string& where() const { return where_; }
    // ${env:NAME} and ${file:PATH} let secrets stay out of the file.
    std::string expand(const YAML::Node& at, const std::string& text) const;

private:
    YAML::Node node_;
    std::string file_;
    std::string where_;
    std::set<std::string> known_;
    bool offline_ = false;
};

// A relative path is taken from the config file's folder.
std::string resolve(const std::string& base_dir, const std::string& path);

}  // namespace fb::config
