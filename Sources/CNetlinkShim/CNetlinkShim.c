#define _GNU_SOURCE
#include <sched.h>
#include "CNetlinkShim.h"

int CNetlinkShim_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }
