// Where the checkout and the built daemon are, for tests and benchmarks. Compiled into one small
// library (source_dir.cpp) so no other file holds the paths: a clone elsewhere still hits ccache.
#pragma once

#include <string>

namespace fb::test {

const std::string& source_dir();          // the checkout: mappings/, tests/fixtures/, deploy/
const std::string& fieldbridge_binary();  // the build's fieldbridge

}  // namespace fb::test

#define FB_SOURCE_DIR (::fb::test::source_dir())
#define FB_BINARY (::fb::test::fieldbridge_binary())
