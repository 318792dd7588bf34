/* SPDX-License-Identifier: MIT */
/**
 * @file worker_standalone.c  `vpbot-sched` for the fleet commands alone
 * (worker, exec-bot, submit, fleet), until the scheduler's own command
 * line takes them over.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "src/sched/worker.h"

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return 70;
	self[n] = '\0';
	if (argc >= 2 && !strcmp(argv[1], "worker"))
		return vp_sched_worker_main(argc - 1, argv + 1, self);
	if (argc >= 2 && !strcmp(argv[1], "exec-bot"))
		return vp_sched_worker_exec_bot(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "submit"))
		return vp_sched_submit_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "fleet"))
		return vp_sched_fleet_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: vpbot-sched worker|submit|fleet …\n");
	return 64;
}
