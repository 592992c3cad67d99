// Reads a sample document from tests/fixtures/samples/ as raw bytes, the way a source hands it
// over.
#pragma once

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include "support/source_dir.h"

namespace fb::decode::test {

inline std::string read_sample(const std::string& relative_path) {
    std::string path = std::string(FB_SOURCE_DIR) + "/tests/fixtures/samples/" + relative_path;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace fb::decode::test
