// A connector's typed config, read and validated (file:line:col) when the config loads; each
// connector derives its own from it (connectors/<name>/spec.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace fb::core {

struct SourceSpec {
    virtual ~SourceSpec() = default;
    // Folders the source moves files in and out of, each with what it is ("inbox",
    // "processing"…): no other flow may have the same one or one inside it (config.cpp), or
    // each would take the other's files.
    virtual std::vector<std::pair<std::string, std::string>> owned_folders() const { return {}; }
};

}  // namespace fb::core
