// Boost.JSON, Asio and Beast compiled once here instead of in every file that includes them.
#include <boost/json/src.hpp>
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
