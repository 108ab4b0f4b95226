#define _GNU_SOURCE
#include <sched.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>
#include "CNetlinkShim.h"

int CNetlinkShim_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }

int CNetlinkShim_is_netns(int fd) { return ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET; }
