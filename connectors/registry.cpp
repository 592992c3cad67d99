#include "connectors/registry.h"

#include "config/section.h"
#include "connectors/file/file_source.h"
#include "connectors/http_poll/http_poll.h"
#include "connectors/webhook/webhook.h"
#include "support/suggest.h"

namespace fb::connectors {

const std::vector<Connector>& all() {
    // One line per connector.
    static const std::vector<Connector> registry{
        webhook::connector,
        file::connector,
        http_poll::connector,
    };
    return registry;
}

const Connector* find(std::string_view type) {
    for (const auto& c : all())
        if (type == c.type) return &c;
    return nullptr;
}

std::shared_ptr<const core::SourceSpec> read_source_spec(const std::string& type,
                                                         config::Section& source,
                                                         const YAML::Node& type_node,
                                                         const std::string& base_dir) {
    const auto* c = find(type);
    if (!c) {
        std::string known;
        std::vector<std::string_view> names;
        for (const auto& k : all()) {
            known += (known.empty() ? "" : ", ") + std::string(k.type);
            names.push_back(k.type);
        }
        source.fail(type_node, "unknown source type `" + type + "` (known: " + known + ")" +
                                   support::did_you_mean(type, names));
    }
    auto spec = c->read_spec(source, base_dir);
    source.reject_unknown();
    return spec;
}

}  // namespace fb::connectors
