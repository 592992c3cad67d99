// A connector's typed config, read and validated (file:line:col) when the config loads; each
// connector derives its own from it (connectors/<name>/spec.h).
#pragma once

namespace fb::core {

struct SourceSpec {
    virtual ~SourceSpec() = default;
};

}  // namespace fb::core
