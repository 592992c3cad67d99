// A fast yes/no check of a work order against the work-order JSON Schema, compiled once from the
// same embedded schema the validator uses. Valijson stays the authority: it runs when this check
// says no (to give the reason) and whenever the schema uses a keyword this check does not know.
#pragma once

#include <boost/json/value.hpp>
#include <memory>

namespace fb::mapping {

class SchemaCheck {
  public:
    // nullptr when the schema uses a keyword this check does not implement.
    static std::unique_ptr<SchemaCheck> compile(const boost::json::object& schema);
    bool valid(const boost::json::value& v) const;
    ~SchemaCheck();

    struct Node;

  private:
    std::unique_ptr<Node> root_;
};

// The work-order check, or nullptr (then use fb::schema::Validator alone).
const SchemaCheck* work_order_check();

}  // namespace fb::mapping
