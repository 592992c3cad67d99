// The `file` source: an ERP's export folder (see README.md beside this file).
#pragma once

#include "connectors/file/spec.h"
#include "connectors/registry.h"

namespace fb::connectors::file {

extern const Connector connector;

}  // namespace fb::connectors::file
