#ifndef CNETLINK_SHIM_H
#define CNETLINK_SHIM_H

#include <sched.h>

/// setns(2) for network namespaces; CLONE_NEWNET is a macro Swift imports, setns needs _GNU_SOURCE.
int CNetlinkShim_setns_net(int fd);

#endif
