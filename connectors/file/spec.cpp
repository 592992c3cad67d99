#include "connectors/file/spec.h"

#include <filesystem>
#include <memory>

#include "config/section.h"

namespace fb::connectors::file {
namespace fs = std::filesystem;

namespace {

// A folder without `.`/`..` steps or a trailing slash: the parent of "/srv/export/inbox/" is the
// inbox itself, and processing/, done/ and failed/ would land inside it.
std::string folder(const std::string& path) {
    auto p = fs::path(path).lexically_normal();
    if (!p.has_filename() && p != p.root_path()) p = p.parent_path();
    return p.string();
}

}  // namespace

std::shared_ptr<const core::SourceSpec> read_spec(config::Section& s, const std::string& base_dir) {
    auto spec = std::make_shared<Spec>();
    spec->inbox = folder(config::resolve(base_dir, s.string("inbox", "", true)));
    auto sibling = [&](const char* key) {
        auto v = s.string(key, "");
        if (!v.empty()) return folder(config::resolve(base_dir, v));
        return folder((fs::path(spec->inbox).parent_path() / key).string());
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
    // One folder for two of them mixes what they hold: a failed file (and its .error.txt) in
    // processing/ would be taken again at every start.
    auto folders = spec->owned_folders();
    for (std::size_t i = 0; i < folders.size(); ++i)
        for (std::size_t j = i + 1; j < folders.size(); ++j)
            if (folders[i].second == folders[j].second)
                s.fail(s.node(), s.where() + ": " + folders[i].first + " and " + folders[j].first + " are both " +
                                     folders[i].second + "; inbox, processing, done and failed must be four folders");
    return spec;
}

}  // namespace fb::connectors::file
