/* Loaded by test_loader_locks: its constructor, run with the loader's lock held,
   calls back into the test. */
void loader_locks_fixture_constructing(void);

__attribute__((constructor)) static void construct(void)
{
	loader_locks_fixture_constructing();
}
