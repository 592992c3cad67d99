// The connectors this build knows, one entry each in registry.cpp: its type name, how to read
// its config spec, how to build its source.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/source.h"

namespace fb::config {
class Section;
}
namespace fb::ingest {
class SourceContext;
}

namespace fb::connectors {

struct Connector {
    const char* type;
    // Reads `flow.source` (its `type` already read); throws config::ConfigError with file:line:col.
    std::shared_ptr<const core::SourceSpec> (*read_spec)(config::Section& source,
                                                         const std::string& base_dir);
    std::unique_ptr<core::Source> (*make)(ingest::SourceContext& context);
};

const std::vector<Connector>& all();
const Connector* find(std::string_view type);

// The spec of `type`, or a ConfigError at `type_node` naming the known types.
std::shared_ptr<const core::SourceSpec> read_source_spec(const std::string& type,
                                                         config::Section& source,
                                                         const YAML::Node& type_node,
                                                         const std::string& base_dir);

}  // namespace fb::connectors
