// The `file` source's config: the export folder and its subfolders, when a file counts as
// complete, how to decode it, what to do with it afterwards, and its limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/source_spec.h"

namespace fb::config {
class Section;
}

namespace fb::connectors::file {

struct Spec : core::SourceSpec {
    std::string inbox;       // the ERP writes here
    std::string processing;  // claimed files (default: <inbox>/../processing); same file system
    std::string done;        // default <inbox>/../done
    std::string failed;      // default <inbox>/../failed
    std::vector<std::string> patterns{"*"};  // file names taken, e.g. "*.csv"
    enum class Complete { stable, marker, rename };
    // stable: size and mtime unchanged for `stable_for`; marker: `<name><marker>` exists (then
    // removed); rename: the ERP writes under a temporary name and renames, so every name matching
    // `patterns` (and not a dotfile or *.tmp / *.part) is complete at once.
    Complete complete = Complete::stable;
    std::chrono::milliseconds stable_for{2000};
    std::string marker = ".ok";
    bool delete_done = false;  // after: delete, instead of moving to done/
    std::string format;        // "", json, ndjson, xml, csv ("" = the mapping's input:, else by extension)
    std::string charset;       // "" = the mapping's input:, else UTF-8
    std::size_t max_file_bytes = 16u << 20;
    std::chrono::milliseconds rescan{10000};  // safety net beside inotify
    bool create_inbox = false;                // make the inbox at start (the quickstart's drop folder)

    std::vector<std::pair<std::string, std::string>> owned_folders() const override {
        return {{"inbox", inbox}, {"processing", processing}, {"done", done}, {"failed", failed}};
    }
};

std::shared_ptr<const core::SourceSpec> read_spec(config::Section& source, const std::string& base_dir);

}  // namespace fb::connectors::file
