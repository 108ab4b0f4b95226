/*
 * Differential check of StaticLibs/mnl.c against Debian's libmnl: scripts/check-mnl.sh builds this
 * program twice (against libmnl.so and against mnl.o) and compares the two outputs byte for byte.
 * It builds messages, attributes, nests and batches from a fixed pseudo-random sequence, parses and
 * validates them, and runs mnl_cb_run over well-formed and garbled message streams, printing every
 * byte written, every return value and errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>

static unsigned long long state = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return n ? (unsigned)(state % n) : 0;
}

static void dump(const char *what, const void *p, size_t n)
{
	const unsigned char *b = p;
	printf("%s %zu:", what, n);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static int on_attr(const struct nlattr *attr, void *data)
{
	int *calls = data;
	int type = rnd(MNL_TYPE_MAX + 1);
	errno = 0;
	int valid = mnl_attr_type_valid(attr, rnd(8));
	printf(" attr type=%u len=%u plen=%u valid=%d/%d", mnl_attr_get_type(attr), mnl_attr_get_len(attr),
	       mnl_attr_get_payload_len(attr), valid, errno);
	errno = 0;
	int v = mnl_attr_validate(attr, type);
	printf(" validate(%d)=%d/%d", type, v, errno);
	errno = 0;
	size_t expected = rnd(10);
	v = mnl_attr_validate2(attr, rnd(MNL_TYPE_MAX + 1), expected);
	printf(" validate2(%zu)=%d/%d", expected, v, errno);
	if (mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
		printf(" u64=%llx", (unsigned long long)mnl_attr_get_u64(attr));
	if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		printf(" u32=%x", mnl_attr_get_u32(attr));
	if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		printf(" u16=%x", mnl_attr_get_u16(attr));
	if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
		printf(" u8=%x", mnl_attr_get_u8(attr));
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		printf(" str=%s", mnl_attr_get_str(attr));
	printf("\n");
	if ((attr->nla_type & NLA_F_NESTED) && mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
		printf(" nested=%d\n", mnl_attr_parse_nested(attr, on_attr, data));
	return ++*calls % 7 == 0 ? (int)rnd(3) - 1 : MNL_CB_OK;
}

static void build_and_parse(void)
{
	static unsigned char buf[4096];
	/* Zeroed: libmnl 1.0.4 leaves attribute padding as it was, 1.0.5 and mnl.c zero it. */
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = rnd(40);
	nlh->nlmsg_flags = rnd(0x10000);
	nlh->nlmsg_seq = rnd(4);
	size_t extra = rnd(21);
	void *eh = mnl_nlmsg_put_extra_header(nlh, extra);
	printf("extra at %td len %u\n", (char *)eh - (char *)nlh, nlh->nlmsg_len);
	struct nlattr *nests[4];
	int depth = 0;
	char text[48];
	unsigned ops = rnd(14);
	for (unsigned i = 0; i < ops; i++) {
		unsigned type = rnd(20);
		size_t n = rnd(sizeof(text) - 1);
		for (size_t j = 0; j < n; j++)
			text[j] = 'a' + rnd(26);
		text[n] = 0;
		switch (rnd(12)) {
		case 0: mnl_attr_put_u8(nlh, type, rnd(256)); break;
		case 1: mnl_attr_put_u16(nlh, type, rnd(65536)); break;
		case 2: mnl_attr_put_u32(nlh, type, rnd(0xffffffffu)); break;
		case 3: mnl_attr_put_u64(nlh, type, ((unsigned long long)rnd(0xffffffffu) << 32) | rnd(0xffffffffu)); break;
		case 4: mnl_attr_put_str(nlh, type, text); break;
		case 5: mnl_attr_put_strz(nlh, type, text); break;
		case 6: mnl_attr_put(nlh, type, n, text); break;
		case 7: printf("check=%d\n", mnl_attr_put_check(nlh, 60 + rnd(200), type, n, text)); break;
		case 8: printf("check32=%d strz=%d\n", mnl_attr_put_u32_check(nlh, 60 + rnd(200), type, 7),
			       mnl_attr_put_strz_check(nlh, 60 + rnd(200), type, text)); break;
		case 9:
			if (depth < 4) {
				struct nlattr *nest = rnd(2) ? mnl_attr_nest_start(nlh, type)
							     : mnl_attr_nest_start_check(nlh, 60 + rnd(200), type);
				printf("nest %s\n", nest ? "open" : "refused");
				if (nest)
					nests[depth++] = nest;
			}
			break;
		case 10:
			if (depth > 0)
				mnl_attr_nest_end(nlh, nests[--depth]);
			break;
		case 11:
			if (depth > 0 && rnd(2)) {
				mnl_attr_nest_cancel(nlh, nests[--depth]);
				/* Fresh bytes again past the tail, so padding compares equal (see above). */
				char *tail = mnl_nlmsg_get_payload_tail(nlh);
				memset(tail, 0, (char *)buf + sizeof(buf) - tail);
			}
			break;
		}
	}
	while (depth > 0)
		mnl_attr_nest_end(nlh, nests[--depth]);
	printf("size %zu payload %zu\n", mnl_nlmsg_size(extra), mnl_nlmsg_get_payload_len(nlh));
	dump("msg", buf, nlh->nlmsg_len + 8);
	printf("payload %td offset %td tail %td\n", (char *)mnl_nlmsg_get_payload(nlh) - (char *)buf,
	       (char *)mnl_nlmsg_get_payload_offset(nlh, extra) - (char *)buf,
	       (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)buf);
	int calls = 0;
	errno = 0;
	int ret = mnl_attr_parse(nlh, extra, on_attr, &calls);
	printf("parse=%d/%d\n", ret, errno);
	/* The same payload with a few bytes flipped, read as bare attributes. */
	size_t plen = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	for (unsigned k = rnd(4); k > 0 && plen > 0; k--)
		buf[MNL_NLMSG_HDRLEN + rnd(plen)] = rnd(256);
	calls = 0;
	ret = mnl_attr_parse_payload(buf + MNL_NLMSG_HDRLEN, plen, on_attr, &calls);
	printf("parse_payload=%d\n", ret);
}

static int on_message(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	printf(" msg type=%u len=%u\n", nlh->nlmsg_type, nlh->nlmsg_len);
	return rnd(10) == 0 ? (int)rnd(3) - 1 : MNL_CB_OK;
}

static int control_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	printf(" control %u\n", nlh->nlmsg_type);
	return MNL_CB_OK;
}

static void run_callbacks(void)
{
	static unsigned char buf[2048];
	size_t used = 0;
	unsigned count = rnd(6);
	for (unsigned i = 0; i < count && used + 64 < sizeof(buf); i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + used);
		nlh->nlmsg_type = rnd(3) == 0 ? rnd(NLMSG_MIN_TYPE + 2) : NLMSG_MIN_TYPE + rnd(30);
		nlh->nlmsg_seq = rnd(3);
		nlh->nlmsg_pid = rnd(3);
		nlh->nlmsg_flags = rnd(8) == 0 ? NLM_F_DUMP_INTR : rnd(4);
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			if (rnd(5)) {
				struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
				err->error = rnd(3) == 0 ? 0 : -(int)rnd(130);
			}
		} else {
			mnl_attr_put_u32(nlh, rnd(5), rnd(100));
		}
		if (rnd(10) == 0)
			nlh->nlmsg_len += rnd(40) - 20;
		used += MNL_ALIGN(nlh->nlmsg_len);
	}
	size_t total = used > sizeof(buf) ? sizeof(buf) : used;
	if (rnd(6) == 0 && total > 0)
		total -= rnd(total);
	unsigned seq = rnd(3), portid = rnd(3);
	errno = 0;
	int ret = mnl_cb_run(buf, total, seq, portid, on_message, NULL);
	printf("cb_run(%zu, %u, %u)=%d/%d\n", total, seq, portid, ret, errno);
	mnl_cb_t controls[NLMSG_MIN_TYPE] = { [NLMSG_NOOP] = control_noop, [NLMSG_DONE] = control_noop };
	errno = 0;
	ret = mnl_cb_run2(buf, total, seq, portid, rnd(2) ? on_message : NULL, NULL, controls, rnd(NLMSG_MIN_TYPE + 1));
	printf("cb_run2=%d/%d\n", ret, errno);
	int len = total;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	while (mnl_nlmsg_ok(nlh, len)) {
		printf(" ok seq=%d port=%d\n", mnl_nlmsg_seq_ok(nlh, seq), mnl_nlmsg_portid_ok(nlh, portid));
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	printf("left %d\n", len);
}

static void batches(void)
{
	static unsigned char buf[8192];
	size_t limit = 200 + rnd(500); /* > 2 x the largest message: the overflow copy never overlaps */
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, limit);
	printf("batch limit %zu empty=%d\n", limit, mnl_nlmsg_batch_is_empty(b));
	for (unsigned i = rnd(30); i > 0; i--) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
		nlh->nlmsg_type = i;
		for (unsigned k = rnd(6); k > 0; k--)
			mnl_attr_put_u64(nlh, k, i);
		bool fits = mnl_nlmsg_batch_next(b);
		printf(" next=%d size=%zu cur=%td\n", fits, mnl_nlmsg_batch_size(b),
		       (char *)mnl_nlmsg_batch_current(b) - (char *)mnl_nlmsg_batch_head(b));
		if (!fits || rnd(8) == 0) {
			dump(" sent", mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b));
			mnl_nlmsg_batch_reset(b);
			printf(" reset size=%zu empty=%d\n", mnl_nlmsg_batch_size(b), mnl_nlmsg_batch_is_empty(b));
		}
	}
	dump("last", mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b));
	mnl_nlmsg_batch_stop(b);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3000;
	for (int i = 0; i < rounds; i++) {
		printf("round %d\n", i);
		build_and_parse();
		run_callbacks();
		batches();
	}
	/* A socket round trip: open, bind, portid, an empty request the kernel answers with an error. */
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	printf("socket=%d bind=%d\n", nl != NULL, nl ? mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) : -1);
	if (nl) {
		unsigned char req[64], resp[8192];
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
		nlh->nlmsg_type = 0x7ff0;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = 42;
		printf("portid>0=%d fd>=0=%d\n", mnl_socket_get_portid(nl) > 0, mnl_socket_get_fd(nl) >= 0);
		printf("sent=%zd\n", mnl_socket_sendto(nl, req, nlh->nlmsg_len));
		ssize_t n = mnl_socket_recvfrom(nl, resp, sizeof(resp));
		errno = 0;
		int ret = mnl_cb_run(resp, n, 42, mnl_socket_get_portid(nl), NULL, NULL);
		printf("received>0=%d cb_run=%d/%d\n", n > 0, ret, errno);
		int one = 1;
		printf("setsockopt=%d\n", mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one)));
		socklen_t len = sizeof(one);
		printf("getsockopt=%d\n", mnl_socket_getsockopt(nl, NETLINK_EXT_ACK, &one, &len));
		printf("close=%d\n", mnl_socket_close(nl));
	}
	return 0;
}
