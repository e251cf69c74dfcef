#define BOOST_TEST_MODULE onedoor
#include <boost/test/unit_test.hpp>
