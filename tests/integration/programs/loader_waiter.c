/* Loaded by loader_lock_holder: its constructor runs with the loader's lock held and
   waits there for the program. */
void loader_waiter_constructing(void);

__attribute__((constructor)) static void construct(void)
{
	loader_waiter_constructing();
}
