#include "status/lifecycle.h"

#include <algorithm>

namespace fb::status {

const char* to_string(Decision::Kind kind) {
    switch (kind) {
        case Decision::Kind::applied: return "applied";
        case Decision::Kind::late: return "late";
        case Decision::Kind::rejected: return "rejected";
    }
    return "rejected";
}

Lifecycle::Lifecycle(const config::LifecycleConfig& config) : config_(config) {}

int Lifecycle::rank(std::string_view state) const {
    auto it = std::find(config_.states.begin(), config_.states.end(), state);
    return it == config_.states.end() ? -1 : static_cast<int>(it - config_.states.begin());
}

bool Lifecycle::terminal(std::string_view state) const {
    return std::find(config_.terminal.begin(), config_.terminal.end(), state) != config_.terminal.end();
}

bool Lifecycle::allowed(std::string_view from, std::string_view to) const {
    // No declared transitions: forward to any later state (a platform may skip `arrived`).
    if (config_.transitions.empty()) return rank(to) > rank(from);
    auto has = [&](const char* key) {
        auto it = config_.transitions.find(key);
        return it != config_.transitions.end() &&
               std::find(it->second.begin(), it->second.end(), to) != it->second.end();
    };
    return has(std::string(from).c_str()) || has("*");
}

Decision Lifecycle::decide(std::string_view current, std::string_view target) const {
    auto list = [&] {
        std::string s;
        for (const auto& st : config_.states) s += (s.empty() ? "" : ", ") + st;
        return s;
    };
    if (!known(target))
        return {Decision::Kind::rejected,
                "unknown status `" + std::string(target) + "` (this flow knows: " + list() + ")"};
    // Order of progress decides lateness first: a late `en_route` after `completed` is history,
    // not a refused transition.
    if (rank(target) <= rank(current))
        return {Decision::Kind::late, "`" + std::string(target) + "` arrived after `" +
                                          std::string(current) + "`; the state stays `" +
                                          std::string(current) + "`"};
    if (terminal(current))
        return {Decision::Kind::rejected, "`" + std::string(current) + "` is terminal; `" +
                                              std::string(target) + "` cannot follow it"};
    if (!allowed(current, target))
        return {Decision::Kind::rejected, "`" + std::string(current) + "` → `" +
                                              std::string(target) +
                                              "` is not a transition of this flow"};
    return {Decision::Kind::applied, ""};
}

}  // namespace fb::status
