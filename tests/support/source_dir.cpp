#include "support/source_dir.h"

namespace fb::test {

const std::string& source_dir() {
    static const std::string dir = FB_SOURCE_DIR_PATH;
    return dir;
}

const std::string& fieldbridge_binary() {
    static const std::string path = FB_BINARY_PATH;
    return path;
}

}  // namespace fb::test
