// The repository's sample mappings (mappings/**/*.yaml, outside tests/) in a fixed order, for the
// mapping fuzz targets and the seed generator: the first byte of a mapping_eval input is an index
// into it.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace fb::fuzz {

inline std::string source_path(const std::string& relative) {
    return std::string(FB_SOURCE_DIR) + "/" + relative;
}

inline std::vector<std::string> sample_mapping_paths() {
    std::vector<std::string> paths;
    for (const auto& e : std::filesystem::recursive_directory_iterator(source_path("mappings")))
        if (e.is_regular_file() &&
            (e.path().extension() == ".yaml" || e.path().extension() == ".yml") &&
            e.path().string().find("/tests/") == std::string::npos)
            paths.push_back(e.path().string());
    std::sort(paths.begin(), paths.end());
    return paths;
}

}  // namespace fb::fuzz
