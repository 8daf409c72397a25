/* Loaded by tls_first_access under many names: thread-local data of its own, which a
   thread's first use allocates through __tls_get_addr. */
static __thread long values[64];

long *tls_holder_values(void)
{
	return values;
}
