// spawn: runs CNI plugin invocations inside a node network namespace and measures each one the way
// a container runtime experiences it: wall time from fork to reap, and the child's CPU time and peak
// RSS from wait4(2) (these include the child's waited-for descendants: IPAM plugins, `nft`, ...).
//
// Why a C helper: peak RSS from wait4 is the high-water mark of every address space the child ever
// had, including the one it was forked with before exec. A child forked (or vforked) by the Python
// driver would report the driver's own RSS (~10 MiB); forked from this ~1 MiB program it reports
// the plugin's.
//
//   spawn [-j N | -m] NETNS_PATH < jobs
//
// Enters NETNS_PATH like `ip netns exec` does (setns, a private mount namespace and a sysfs of
// that netns on /sys) once, before any measurement, so the plugins start in the node namespace as
// a runtime's plugins start in the host's. Then runs every job of stdin, at most N at once
// (default 1: one after the other; 0: all at once). A job is one line of tab-separated fields:
//
//   STDIN_FILE  STDOUT_FILE  STDERR_FILE  NAME=VALUE ...  --  ARGV0 ARGV1 ...
//
// The child gets exactly the NAME=VALUE environment. Output, one line per job in input order:
//
//   job=<i> status=<exit code or 128+signal> wall_us=<..> user_us=<..> sys_us=<..> maxrss_kb=<..>
//
// and a last line `batch wall_us=<first fork to last reap>`.
//
// -m (memory breakdown, not for timing): runs the jobs one at a time under ptrace, stops each child
// just before it exits (PTRACE_O_TRACEEXIT, its address space still mapped) and adds to its line
// the fields of /proc/<pid>/smaps_rollup: rss_kb, anon_kb (anonymous: heap, stacks, copy-on-write
// data), file_kb (rss_kb - anon_kb: pages of the executable and libraries mapped from the page
// cache, shared with every other process using them) and private_dirty_kb. Only the child itself,
// not its children.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 4096
#define MAX_FIELDS 256

struct job {
    char *in, *out, *err;
    char *env[MAX_FIELDS];
    char *argv[MAX_FIELDS];
    pid_t pid;
    long long start_ns, end_ns;
    int status;
    struct rusage usage;
    long rss_kb, anon_kb, private_dirty_kb;
};

static struct job jobs[MAX_JOBS];

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "spawn: %s: %s\n", what, strerror(errno));
    exit(111);
}

static void enter_netns(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(path);
    if (setns(fd, CLONE_NEWNET) < 0) die("setns");
    close(fd);
    // As `ip netns exec`: a private mount namespace whose /sys shows this netns's devices.
    if (unshare(CLONE_NEWNS) < 0) die("unshare(CLONE_NEWNS)");
    if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0) die("mount --make-rslave /");
    if (umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL) die("umount /sys");
    if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) die("mount sysfs");
}

static int parse(char *line, struct job *job) {
    char *fields[3 * MAX_FIELDS];
    int n = 0;
    for (char *save = NULL, *f = strtok_r(line, "\t\n", &save); f && n < 3 * MAX_FIELDS; f = strtok_r(NULL, "\t\n", &save))
        fields[n++] = f;
    if (n < 5) return -1;
    job->in = fields[0]; job->out = fields[1]; job->err = fields[2];
    int i = 3, e = 0, a = 0;
    for (; i < n && strcmp(fields[i], "--") != 0; i++) {
        if (e == MAX_FIELDS - 1) return -1;
        job->env[e++] = fields[i];
    }
    job->env[e] = NULL;
    for (i++; i < n; i++) {
        if (a == MAX_FIELDS - 1) return -1;
        job->argv[a++] = fields[i];
    }
    job->argv[a] = NULL;
    return a > 0 ? 0 : -1;
}

static int traced;

static long smaps_field(const char *text, const char *name) {
    const char *p = strstr(text, name);
    return p ? atol(p + strlen(name)) : -1;
}

// -m: follows one traced child to its exit event, reads its smaps_rollup there, lets it exit.
static void trace_to_exit(struct job *job) {
    int status;
    if (waitpid(job->pid, &status, 0) < 0 || !WIFSTOPPED(status)) die("waiting for the exec stop");
    if (ptrace(PTRACE_SETOPTIONS, job->pid, 0, PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL) < 0) die("PTRACE_SETOPTIONS");
    int deliver = 0;
    for (;;) {
        if (ptrace(PTRACE_CONT, job->pid, 0, deliver) < 0) die("PTRACE_CONT");
        if (waitpid(job->pid, &status, 0) < 0) die("waitpid");
        if (!WIFSTOPPED(status)) die("traced child ended without an exit event");
        if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) break;
        deliver = WSTOPSIG(status);  // a signal for the child (SIGCHLD, Go's SIGURG, ...): pass it on
    }
    char path[64], text[4096] = "";
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", job->pid);
    FILE *f = fopen(path, "r");
    if (f) { size_t n = fread(text, 1, sizeof text - 1, f); text[n] = 0; fclose(f); }
    job->rss_kb = smaps_field(text, "\nRss:");
    job->anon_kb = smaps_field(text, "\nAnonymous:");
    job->private_dirty_kb = smaps_field(text, "\nPrivate_Dirty:");
    if (ptrace(PTRACE_CONT, job->pid, 0, 0) < 0) die("PTRACE_CONT at exit");
}

static void start(struct job *job) {
    job->start_ns = now_ns();
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        if (traced && ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) _exit(114);
        int in = open(job->in, O_RDONLY), out = open(job->out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
            err = open(job->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0) _exit(112);
        dup2(in, 0); dup2(out, 1); dup2(err, 2);
        execve(job->argv[0], job->argv, job->env);
        _exit(113);
    }
    job->pid = pid;
    if (traced) trace_to_exit(job);
}

// Reaps one child and records its measurements; returns 0 when none is left.
static int reap(int count) {
    int status;
    struct rusage usage;
    pid_t pid = wait4(-1, &status, 0, &usage);
    long long end = now_ns();
    if (pid < 0) {
        if (errno == ECHILD) return 0;
        if (errno == EINTR) return reap(count);
        die("wait4");
    }
    for (int i = 0; i < count; i++) {
        if (jobs[i].pid == pid) {
            jobs[i].end_ns = end;
            jobs[i].usage = usage;
            jobs[i].status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    int parallel = 1, arg = 1;
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (argc > 2 && strcmp(argv[1], "-j") == 0) { parallel = atoi(argv[2]); arg = 3; }
    else if (argc > 1 && strcmp(argv[1], "-m") == 0) { traced = 1; arg = 2; }
    if (argc != arg + 1) {
        fprintf(stderr, "usage: spawn [-j N | -m] NETNS_PATH < jobs\n");
        return 2;
    }
    int count = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        if (count == MAX_JOBS) { fprintf(stderr, "spawn: too many jobs\n"); return 2; }
        if (parse(line, &jobs[count]) < 0) { fprintf(stderr, "spawn: bad job line %d\n", count + 1); return 2; }
        count++;
        line = NULL;  // fields point into this line: keep it
        cap = 0;
    }
    enter_netns(argv[arg]);

    long long batch_start = now_ns();
    int next = 0, running = 0;
    while (next < count || running > 0) {
        while (next < count && (parallel <= 0 || running < parallel)) { start(&jobs[next++]); running++; }
        if (!reap(count)) break;
        running--;
    }
    long long batch_end = now_ns();
    for (int i = 0; i < count; i++) {
        struct rusage *u = &jobs[i].usage;
        printf("job=%d status=%d wall_us=%lld user_us=%lld sys_us=%lld maxrss_kb=%ld", i, jobs[i].status,
               (jobs[i].end_ns - jobs[i].start_ns) / 1000,
               (long long)u->ru_utime.tv_sec * 1000000 + u->ru_utime.tv_usec,
               (long long)u->ru_stime.tv_sec * 1000000 + u->ru_stime.tv_usec, u->ru_maxrss);
        if (traced)
            printf(" rss_kb=%ld anon_kb=%ld file_kb=%ld private_dirty_kb=%ld", jobs[i].rss_kb, jobs[i].anon_kb,
                   jobs[i].rss_kb - jobs[i].anon_kb, jobs[i].private_dirty_kb);
        printf("\n");
    }
    printf("batch wall_us=%lld\n", (batch_end - batch_start) / 1000);
    return 0;
}
