// An `auth:` block read from YAML text as a source's config reads it (mistakes name
// test.yaml:line:col), for the tests of request auth and signing.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "config/section.h"
#include "http/auth.h"

namespace fb::test {

inline fb::http::Auth parse_auth(const std::string& yaml) {
    auto root = YAML::Load(yaml);
    fb::config::Section s(root, "test.yaml", "source");
    auto a = fb::http::read_auth(s);
    s.reject_unknown();
    return a;
}

}  // namespace fb::test
