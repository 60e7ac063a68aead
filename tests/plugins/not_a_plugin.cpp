// A shared library that is not a Fanout plugin.
extern "C" __attribute__((visibility("default"))) int fanout_test_not_a_plugin() { return 42; }
