/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ceiling: intel-ipsec-mb alone, on a worker lcore, with the SA's own
 * precomputed key state (struct gw_sa_crypto) and the same crypto calls as
 * dataplane/esp_outb.c: the same job set-up (gw_job_sa, one chained
 * cipher+hash job per packet, a round of --burst jobs submitted then
 * flushed), and for AES-GCM, as the gateway, the direct GCM API (gw_gcm)
 * instead of jobs, so that the ratio compares like with like. Each job covers exactly
 * the bytes the gateway's transform would process for a packet of that
 * size: ESP enciphers payload + padding + trailer and authenticates
 * header + IV + ciphertext (AEAD: the ciphertext, with 8 bytes of AAD);
 * AH authenticates the whole outer packet. No headers, no mbufs, no
 * tables: what is left between this and the gateway is the packet path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_launch.h>

#include "bench.h"
#include "esp.h"
#include "tables.h"

#define RAW_MAX_BURST 256

struct raw_job_len {
	unsigned off;  /* ESP header + IV */
	unsigned ct;   /* enciphered bytes */
	unsigned hash; /* authenticated bytes */
};

/* What the gateway's transform processes for one plaintext of ip_len. */
static void job_len(const struct gw_sa_crypto *c, bool ah, unsigned ip_len, struct raw_job_len *L)
{
	unsigned pl = c->tunnel ? ip_len : ip_len - 20;

	if (ah) {
		L->off = 0;
		L->ct = 0;
		L->hash = ip_len + c->ah_len + (c->tunnel ? 20u : 0u);
		return;
	}
	L->off = 8 + c->iv_len;
	L->ct = RTE_ALIGN_CEIL(pl + 2, c->align);
	L->hash = c->kind == GW_CIPHER_AEAD ? L->ct : L->off + L->ct;
}

struct raw_arg {
	struct b_run *r;
	const struct gw_sa_crypto *c;
	bool encrypt;
	uint64_t pkts, cycles, bytes;
	double cpu; /* seconds of this thread's CPU time */
	int rc;
};

struct raw_done {
	uint64_t ok, failed;
};

static void raw_complete(struct raw_done *d, IMB_JOB *job)
{
	if (job->status == IMB_STATUS_COMPLETED)
		d->ok++;
	else
		d->failed++;
}

/* One packet's job, filled as the transform fills it (8 bytes of AAD). */
static void raw_job(IMB_JOB *job, const struct gw_sa_crypto *c, bool encrypt, uint8_t *p,
		    const struct raw_job_len *l, unsigned seq, uint8_t *nonce, uint8_t *aad,
		    uint8_t *tag, unsigned i)
{
	gw_job_sa(job, c, encrypt);
	job->src = p;
	job->dst = p + l->off;
	job->cipher_start_src_offset_in_bytes = l->off;
	job->msg_len_to_cipher_in_bytes = l->ct;
	job->auth_tag_output = tag;
	if (c->kind == GW_CIPHER_CBC) {
		job->iv = p + 8;
		job->iv_len_in_bytes = c->iv_len;
	} else if (c->kind != GW_CIPHER_NONE) {
		memcpy(nonce, c->salt, 4);
		memcpy(nonce + 4, &seq, 4);
		job->iv = nonce;
		job->iv_len_in_bytes = 12;
	}
	if (c->kind == GW_CIPHER_AEAD) {
		gw_aead_aad(aad, c->spi_be, seq, false);
		job->hash_start_src_offset_in_bytes = l->off;
		job->msg_len_to_hash_in_bytes = l->hash;
		/* Only ChaCha20-Poly1305 comes here: GCM goes to raw_gcm. */
		job->u.CHACHA20_POLY1305.aad = aad;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = 8;
	} else {
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = l->hash;
	}
	job->user_data = (void *)(uintptr_t)i;
}

/* One packet's AES-GCM through the direct API, as gw_esp_gcm runs it: the
 * nonce and the 8 bytes of AAD built per packet, the ciphertext in place. */
static void raw_gcm(IMB_MGR *mgr, const struct gw_sa_crypto *c, bool encrypt, uint8_t *p,
		    const struct raw_job_len *l, unsigned seq, uint8_t *nonce, uint8_t *aad,
		    uint8_t *tag)
{
	memcpy(nonce, c->salt, 4);
	memcpy(nonce + 4, &seq, 4);
	gw_aead_aad(aad, c->spi_be, seq, false);
	gw_gcm(mgr, c, encrypt, p + l->off, p + l->off, l->ct, nonce, aad, 8, tag, c->icv_len);
}

static int raw_main(void *arg)
{
	struct raw_arg *a = arg;
	const struct b_opts *o = a->r->o;
	const struct gw_sa_crypto *c = a->c;
	struct gw_crypto_ctx *ctx = gw_crypto_ctx_new();
	unsigned burst = o->burst > RAW_MAX_BURST ? RAW_MAX_BURST : o->burst, i, seq = 0;
	static uint8_t tag[RAW_MAX_BURST][64] __rte_aligned(64);
	static uint8_t aad[RAW_MAX_BURST][16] __rte_aligned(64);
	static uint8_t nonce[RAW_MAX_BURST][16] __rte_aligned(64);
	struct raw_job_len L[B_IMIX_N];
	uint8_t *buf;
	size_t stride = RTE_ALIGN_CEIL(B_MAX_PKT + 256, 64);
	struct raw_done d = {0, 0};
	uint64_t hz = rte_get_tsc_hz(), start, end, bytes = 0;

	buf = aligned_alloc(64, stride * burst);
	if (!ctx || !buf) {
		a->rc = -1;
		goto out;
	}
	memset(buf, 0x5a, stride * burst);
	for (i = 0; i < B_IMIX_N; i++)
		job_len(c, a->r->alg->ah, o->size ? o->size : b_imix_size(i), &L[i]);
	a->r->raw_ct_len = L[0].ct;
	a->r->raw_hash_len = L[0].hash;
	a->cpu = b_cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
	start = rte_rdtsc();
	end = start + (uint64_t)(o->raw_seconds * (double)hz);
	while (rte_rdtsc() < end) {
		unsigned k;

		for (k = 0; k < 64; k++) {
			for (i = 0; i < burst; i++) {
				const struct raw_job_len *l = &L[seq++ % B_IMIX_N];
				uint8_t *p = buf + stride * i;

				bytes += o->size ? o->size : b_imix_size(seq - 1);
				if (gw_gcm_direct(c)) {
					raw_gcm(ctx->mgr, c, a->encrypt, p, l, seq, nonce[i], aad[i],
						tag[i]);
					d.ok++;
					continue;
				}
				raw_job(IMB_GET_NEXT_JOB(ctx->mgr), c, a->encrypt, p, l, seq, nonce[i],
					aad[i], tag[i], i);
				GW_CRYPTO_SUBMIT(ctx->mgr, raw_complete, &d);
			}
			GW_CRYPTO_FLUSH(ctx->mgr, raw_complete, &d);
		}
	}
	a->cycles = rte_rdtsc() - start;
	a->cpu = b_cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - a->cpu;
	a->pkts = d.ok;
	a->bytes = bytes;
	a->rc = d.failed ? -1 : 0;
	if (d.failed)
		fprintf(stderr, "ipsecgw-bench: raw pass: %lu jobs failed\n", (unsigned long)d.failed);
out:
	free(buf);
	gw_crypto_ctx_free(ctx);
	return 0;
}

int b_run_raw(struct b_run *r, unsigned lcore)
{
	const struct gw_tables *t = r->ctl.live;
	struct raw_arg a = {.r = r, .encrypt = r->o->dir != B_DECAP};
	struct gw_sa *sa = NULL;
	uint32_t i;

	/* The gateway's own SA of pair 0, in the direction measured. */
	for (i = 0; t && t->sad && i < t->sad->n && !sa; i++)
		if (t->sad->sa[i]->id.dir == (a.encrypt ? GW_SA_OUT : GW_SA_IN))
			sa = t->sad->sa[i];
	if (!sa || !sa->crypto)
		return -1;
	a.c = gw_sa_crypto(sa);
	if (rte_eal_remote_launch(raw_main, &a, lcore) != 0)
		return -1;
	rte_eal_wait_lcore(lcore);
	if (a.rc != 0 || a.cycles == 0)
		return -1;
	/* Per second of CPU the thread had: a busy host shares the core. */
	if (a.cpu <= 0)
		a.cpu = (double)a.cycles / (double)rte_get_tsc_hz();
	r->raw_wall_mpps = (double)a.pkts * (double)rte_get_tsc_hz() / (double)a.cycles / 1e6;
	r->raw_mpps = (double)a.pkts / a.cpu / 1e6;
	r->raw_gbps = (double)a.bytes * 8 / a.cpu / 1e9;
	r->raw_cycles = a.pkts ? a.cpu * (double)rte_get_tsc_hz() / (double)a.pkts : 0;
	return 0;
}
