// Exports the descriptor symbol name, but not a Fanout descriptor behind it.
namespace fanout::tests::bad_magic {
struct NotADescriptor {
    unsigned long long a = 0x1234;
    unsigned b = 1;
};
extern const NotADescriptor descriptor;
const NotADescriptor descriptor{};
}  // namespace fanout::tests::bad_magic

extern "C" __attribute__((visibility("default"), used)) const fanout::tests::bad_magic::NotADescriptor* const
    fanout_plugin_v1 = &fanout::tests::bad_magic::descriptor;
