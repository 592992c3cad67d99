// JSON Schema checks against the contracts in schemas/ (embedded in the binary at build time).
#pragma once

#include <boost/json/fwd.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fb::schema {

class Validator {
public:
    // The schemas the product publishes, compiled once on first use.
    static const Validator& work_order();
    static const Validator& work_order_event();
    static const Validator& status_event();

    // Empty when `doc` conforms; otherwise one "<json pointer>: <reason>" line per violation.
    std::vector<std::string> check(const boost::json::value& doc) const;

    explicit Validator(std::string_view schema_name);
    ~Validator();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The text of an embedded schema by file name ("work_order.schema.json"); empty when unknown.
std::string_view embedded_schema(std::string_view file_name);

}  // namespace fb::schema
