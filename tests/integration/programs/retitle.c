/* Rewrites its argv[0] as setproctitle does (postgres, nginx, sshd, redis): the title
   fills the whole argument area, with slashes in it, so the name glibc saw at start-up
   (program_invocation_short_name points into that area) is gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *kept[50];

__attribute__((noinline)) static void retitle_work(void)
{
	for (int i = 0; i < 50; i++)
		kept[i] = malloc(3000);
}

static void set_title(int argc, char **argv)
{
	char *area = argv[0];
	char *end = argv[argc - 1] + strlen(argv[argc - 1]);
	static const char title[] = "retitle: serving /srv/a/b/c";
	size_t length = (size_t)(end - area);
	for (size_t i = 0; i < length; i++)
		area[i] = i < sizeof title - 1 ? title[i] : "/x"[i % 2];
}

int main(int argc, char **argv)
{
	set_title(argc, argv);
	retitle_work();
	printf("title set\n");
	return 0;
}
