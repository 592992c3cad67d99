#include "connectors/file/spec.h"

#include <filesystem>
#include <memory>

#include "config/section.h"

namespace fb::connectors::file {
namespace fs = std::filesystem;

std::shared_ptr<const core::SourceSpec> read_spec(config::Section& s, const std::string& base_dir) {
    auto spec = std::make_shared<Spec>();
    spec->inbox = config::resolve(base_dir, s.string("inbox", "", true));
    auto sibling = [&](const char* key) {
        auto v = s.string(key, "");
        if (!v.empty()) return config::resolve(base_dir, v);
        return (fs::path(spec->inbox).parent_path() / key).lexically_normal().string();
    };
    spec->processing = sibling("processing");
    spec->done = sibling("done");
    spec->failed = sibling("failed");
    if (s.has("patterns")) spec->patterns = s.strings("patterns");
    auto complete = s.choice("complete", "stable", {"stable", "marker", "rename"});
    spec->complete = complete == "marker" ? Spec::Complete::marker
                     : complete == "rename" ? Spec::Complete::rename
                                            : Spec::Complete::stable;
    spec->stable_for = s.duration("stable_for", spec->stable_for);
    spec->marker = s.string("marker", spec->marker);
    if (spec->marker.empty()) s.fail(s.get("marker"), s.where() + ".marker must not be empty");
    spec->delete_done = s.choice("after", "move", {"move", "delete"}) == "delete";
    spec->format = s.choice("format", "", {"", "json", "ndjson", "xml", "csv"});
    spec->charset = s.string("charset", "");
    spec->max_file_bytes = s.integer("max_file_bytes", spec->max_file_bytes, 1, 1ll << 32);
    spec->rescan = s.duration("rescan", spec->rescan);
    spec->create_inbox = s.boolean("create_inbox", false);
    for (auto* dir : {&spec->processing, &spec->done, &spec->failed})
        if (*dir == spec->inbox)
            s.fail(s.node(), s.where() + ": processing, done and failed must differ from the inbox");
    return spec;
}

}  // namespace fb::connectors::file
