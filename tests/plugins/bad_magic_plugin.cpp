// Exports the descriptor symbol name, but not a Fanout descriptor behind it.
#include <boost/dll/alias.hpp>

namespace fanout::tests::bad_magic {
struct NotADescriptor {
    unsigned long long a = 0x1234;
    unsigned b = 1;
};
extern const NotADescriptor descriptor;
const NotADescriptor descriptor{};
}  // namespace fanout::tests::bad_magic

BOOST_DLL_ALIAS(fanout::tests::bad_magic::descriptor, fanout_plugin_v1)
