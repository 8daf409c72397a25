/* Loaded by test_loaded_object: marked NODELETE when linked (-z nodelete), and a weak
   definition. */
__attribute__((weak)) int loaded_object_fixture(void)
{
	return 1;
}
