#pragma once
#include <string>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/exceptions.h>

namespace fb {

// yaml-cpp's reason for a file it could not read, in words an integrator can act on: its depth
// guard says only "bad file".
inline std::string yaml_reason(const YAML::Exception& e) {
    if (dynamic_cast<const YAML::DeepRecursion*>(&e))
        return "nested too deeply to read (yaml-cpp stops at a few hundred levels; no mapping or "
               "config needs that many): look for brackets `[` `{` that are never closed";
    return e.msg;
}

}  // namespace fb
