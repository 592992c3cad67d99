// Boost.JSON, Asio (with SSL), Beast and URL compiled once here instead of in every file that includes them.
#include <boost/json/src.hpp>
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/url/src.hpp>
